"""start_beside: a stage started on a pool thread, its result asked for later."""

from __future__ import annotations

import threading

import pytest

from hrv._dsp import map_chunks, start_beside


@pytest.mark.parametrize("threads", ["1", "2"])
def test_result_once_and_where(monkeypatch: pytest.MonkeyPatch, threads: str) -> None:
    monkeypatch.setenv("HRV_THREADS", threads)
    calls: list[str] = []
    gate = threading.Event()

    def stage() -> int:
        calls.append(threading.current_thread().name)
        gate.wait(5.0)
        return 42

    get = start_beside(stage)
    gate.set()
    assert get() == 42
    assert get() == 42
    assert len(calls) == 1  # computed once, whoever asks
    if threads == "1":
        assert calls == [threading.current_thread().name]


def test_error_is_raised_where_the_result_is_asked_for(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    monkeypatch.setenv("HRV_THREADS", "2")

    def stage() -> int:
        raise ValueError("boom")

    get = start_beside(stage)
    with pytest.raises(ValueError, match="boom"):
        get()


def test_inside_a_chunk_it_runs_in_that_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRV_THREADS", "2")

    def chunk(i: int) -> tuple[int, str, str]:
        seen: list[str] = []

        def stage() -> int:
            seen.append(threading.current_thread().name)
            return i

        get = start_beside(stage)
        return get(), threading.current_thread().name, seen[0]

    for i, (value, chunk_thread, stage_thread) in enumerate(map_chunks(chunk, range(4))):
        assert value == i
        assert stage_thread == chunk_thread
