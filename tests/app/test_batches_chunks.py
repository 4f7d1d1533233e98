"""Chunk jobs (several batch items per queue job) and how items are stored from the ZIP.

A chunk runs in the test's own transaction, on SQLite and PostgreSQL; the same guarantees
as one item per job: each item final once with at most one result, a bad file fails its
own item, items a stopped worker left behind are run again, cancellation stops a chunk.
"""

from __future__ import annotations

import concurrent.futures as cf
import gzip
import io
import zipfile
import zlib

import pytest
from sqlalchemy import select, update

from app.auth import Principal, Role
from app.db.batches import BatchRepository
from app.db.database import BoundDatabase
from app.db.models import Batch, BatchItem, BatchResult
from app.jobs import batch_chunks
from app.jobs.batch_chunks import MAX_CLAIMS, chunks, run_chunk
from app.jobs.batch_items import run_item, unpack
from app.services import batches as svc
from app.services.ingest import Limits
from tests.app.conftest import TenantKeys
from tests.app.test_batches import FILES, STUDY, rr_text, study_zip

LIMITS = Limits(10**6, 10**5)
ZIP_LIMITS = svc.ZipLimits(1000, 10**9, 10**8, 100.0)


def record(bound_db: BoundDatabase, tenant: TenantKeys, body: bytes = STUDY) -> str:
    principal = Principal("k", tenant.tenant_id, Role.RESEARCHER)
    with bound_db.session() as db:
        return svc.create_from_zip(db, principal, io.BytesIO(body), ZIP_LIMITS, None).id


def items(bound_db: BoundDatabase, batch_id: str) -> list[BatchItem]:
    with bound_db.session() as db:
        return list(db.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id)
                               .order_by(BatchItem.position)))


def results(bound_db: BoundDatabase, batch_id: str) -> list[BatchResult]:
    with bound_db.session() as db:
        return list(db.scalars(select(BatchResult).where(BatchResult.batch_id == batch_id)))


def pending(bound_db: BoundDatabase, batch_id: str) -> list[str]:
    with bound_db.session() as db:
        return BatchRepository(db).pending_item_ids_unscoped(batch_id)


class InlineWriter:
    def submit(self, fn, *args):  # type: ignore[no-untyped-def]
        fut: cf.Future[object] = cf.Future()
        fut.set_result(fn(*args))
        return fut


def many_rr(n: int) -> bytes:
    files = {f"r{i:02d}.txt": rr_text(60 + i % 7, 20, i, dur_s=120) for i in range(n)}
    manifest = "file,participant,phase,kind,format\n" + "".join(
        f"r{i:02d}.txt,P{i // 2},{'pre' if i % 2 == 0 else 'post'},rr,rr_text\n"
        for i in range(n))
    return study_zip(files, manifest)


class TestChunks:
    def test_cut_in_order_every_id_once(self) -> None:
        ids = [f"i{k}" for k in range(500)]
        cut = chunks(ids, size=32, share=8, smallest=4)
        sizes = [len(c) for c in cut]
        assert [i for c in cut for i in c] == ids
        assert sizes[0] == 32 and max(sizes) == 32
        # Shrinking towards the end: the last chunks are small, so no worker is left
        # with a full chunk while the others have nothing to do.
        assert sizes == sorted(sizes, reverse=True)
        assert sizes[-1] <= 4 and sizes[-2] == 4
        assert len(cut) < 40  # and still few jobs
        # A small batch is shared by several workers rather than one chunk.
        assert [len(c) for c in chunks(ids[:12], size=32, share=8, smallest=4)] == [4, 4, 4]
        assert chunks([]) == []
        assert chunks(ids[:1]) == [["i0"]]

    def test_one_chunk_runs_the_batch_and_bad_files_fail_alone(
        self, bound_db: BoundDatabase, tenant: TenantKeys
    ) -> None:
        batch_id = record(bound_db, tenant)
        assert run_chunk(bound_db, pending(bound_db, batch_id), LIMITS) == 5
        by_file = {i.file: i for i in items(bound_db, batch_id)}
        assert {f: i.status for f, i in by_file.items()} == {
            "p1_pre.txt": "succeeded", "p1_post.txt": "succeeded", "p2_pre.txt": "succeeded",
            "p2_post.txt": "succeeded", "notes.txt": "failed", "gone.txt": "failed"}
        assert "line 1" in (by_file["notes.txt"].error or "")
        res = results(bound_db, batch_id)
        assert sorted(r.item_id for r in res) == sorted(
            i.id for i in by_file.values() if i.status == "succeeded")
        assert all(r.writes == 1 and r.compute_s > 0 for r in res)
        # A chunk run again (its job retried after the worker acknowledged nothing) finds
        # every item final and writes nothing.
        assert run_chunk(bound_db, list(i.id for i in by_file.values()), LIMITS) == 0
        assert all(r.writes == 1 for r in results(bound_db, batch_id))

    def test_same_numbers_as_one_item_per_job(
        self, bound_db: BoundDatabase, tenant: TenantKeys
    ) -> None:
        a, b = record(bound_db, tenant), record(bound_db, tenant)
        run_chunk(bound_db, pending(bound_db, a), LIMITS)
        for item_id in pending(bound_db, b):
            run_item(bound_db, item_id, LIMITS)
        ra = {i.file: i for i in items(bound_db, a)}
        rb = {i.file: i for i in items(bound_db, b)}
        assert {f: (i.status, i.error) for f, i in ra.items()} == \
            {f: (i.status, i.error) for f, i in rb.items()}
        by_item_a = {r.item_id: r.analysis for r in results(bound_db, a)}
        by_item_b = {r.item_id: r.analysis for r in results(bound_db, b)}
        for name in FILES:
            if ra[name].status == "succeeded":
                assert by_item_a[ra[name].id] == by_item_b[rb[name].id]

    def test_items_a_stopped_worker_left_are_run_again_once(
        self, bound_db: BoundDatabase, tenant: TenantKeys
    ) -> None:
        batch_id = record(bound_db, tenant)
        ids = pending(bound_db, batch_id)
        # A worker claimed the first two items and died: one after writing its result
        # (before finishing the job), one before.
        run_item(bound_db, ids[0], LIMITS)
        with bound_db.session() as db:
            db.execute(update(BatchItem).where(BatchItem.id.in_(ids[:2])).values(
                status="running", attempts=1))
        assert run_chunk(bound_db, ids, LIMITS) == 5
        by_id = {i.id: i for i in items(bound_db, batch_id)}
        assert [by_id[i].attempts for i in ids] == [2, 2, 1, 1, 1]
        res = {r.item_id: r for r in results(bound_db, batch_id)}
        assert res[ids[0]].writes == 2 and res[ids[1]].writes == 1
        assert len(res) == 4  # four readable recordings, one result each

    def test_a_file_that_keeps_stopping_its_worker_is_failed(
        self, bound_db: BoundDatabase, tenant: TenantKeys
    ) -> None:
        batch_id = record(bound_db, tenant)
        ids = pending(bound_db, batch_id)
        with bound_db.session() as db:
            db.execute(update(BatchItem).where(BatchItem.id == ids[1]).values(
                status="running", attempts=MAX_CLAIMS))
        run_chunk(bound_db, ids, LIMITS)
        by_id = {i.id: i for i in items(bound_db, batch_id)}
        assert by_id[ids[1]].status == "failed"
        assert f"stopped {MAX_CLAIMS} times" in (by_id[ids[1]].error or "")
        assert [by_id[i].status for i in ids if i != ids[1]].count("succeeded") == 3

    def test_cancelled_while_a_chunk_runs(
        self, bound_db: BoundDatabase, tenant: TenantKeys, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        batch_id = record(bound_db, tenant, many_rr(6))
        ids = pending(bound_db, batch_id)
        real = batch_chunks.compute_item

        def compute_then_cancel(inp, limits):  # type: ignore[no-untyped-def]
            out = real(inp, limits)
            if inp.item_id == ids[1]:
                with bound_db.session() as db:
                    batch = db.get(Batch, batch_id)
                    assert batch is not None
                    svc.cancel_batch(db, batch)
            return out

        monkeypatch.setattr(batch_chunks, "compute_item", compute_then_cancel)
        # Writes inline: the cancelling above shares the test's one connection with them.
        monkeypatch.setattr(batch_chunks, "_writer", lambda: InlineWriter())
        monkeypatch.setattr(batch_chunks, "FLUSH_S", 0.0)  # write after every item
        monkeypatch.setattr(batch_chunks, "CANCEL_CHECK_S", 0.0)  # and look each time
        assert run_chunk(bound_db, ids, LIMITS) == 2
        assert [i.status for i in items(bound_db, batch_id)] == \
            ["succeeded", "succeeded"] + ["cancelled"] * 4
        assert len(results(bound_db, batch_id)) == 2

    def test_damaged_stored_bytes_fail_their_item(
        self, bound_db: BoundDatabase, tenant: TenantKeys
    ) -> None:
        batch_id = record(bound_db, tenant)
        ids = pending(bound_db, batch_id)
        with bound_db.session() as db:
            db.execute(update(BatchItem).where(BatchItem.id.in_(ids[:2])).values(
                raw=b"not a zlib stream"))
        assert run_chunk(bound_db, ids[:1], LIMITS) == 1
        assert run_item(bound_db, ids[1], LIMITS) is False
        by_id = {i.id: i for i in items(bound_db, batch_id)}
        for item_id in ids[:2]:
            assert by_id[item_id].status == "failed"
            assert "damaged" in (by_id[item_id].error or "")


class TestStoredBytes:
    @pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
    def test_each_item_holds_its_members_bytes(
        self, bound_db: BoundDatabase, tenant: TenantKeys, method: int
    ) -> None:
        members = {"a.txt": rr_text(70, 20, 1), "b.txt": bytes(range(256)) * 300,
                   "c.txt": b""}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", method) as z:
            z.writestr("manifest.csv", "file\na.txt\nb.txt\nc.txt\n")
            for name, data in members.items():
                z.writestr(name, data)
        batch_id = record(bound_db, tenant, buf.getvalue())
        with zipfile.ZipFile(buf) as z:
            packed = {i.filename: i.compress_size for i in z.infolist()}
        for item in items(bound_db, batch_id):
            assert item.raw is not None
            assert unpack(item.raw) == members[item.file]
            if method == zipfile.ZIP_DEFLATED:
                # The member's own deflate stream in gzip's 10-byte header and 8-byte
                # trailer (CRC-32, size): nothing inflated or compressed again; any
                # gzip reader takes it.
                assert len(item.raw) == packed[item.file] + 18
                assert gzip.decompress(item.raw) == members[item.file]
            else:
                assert zlib.decompress(item.raw) == members[item.file]

    @pytest.mark.parametrize("damage", ["crc", "size", "data"])
    def test_a_damaged_member_fails_its_own_item(
        self, bound_db: BoundDatabase, tenant: TenantKeys, damage: str
    ) -> None:
        good, bad = rr_text(70, 20, 1), rr_text(64, 25, 2)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("manifest.csv", "file,kind,format\ngood.txt,rr,rr_text\n"
                       "bad.txt,rr,rr_text\n")
            z.writestr("good.txt", good)
            z.writestr("bad.txt", bad)
        body = bytearray(buf.getvalue())
        with zipfile.ZipFile(io.BytesIO(bytes(body))) as z:
            info = z.getinfo("bad.txt")
        # The bad member's entry in the central directory (what the upload reads).
        cd = body.rfind(b"PK\x01\x02")
        if damage == "crc":
            body[cd + 16] ^= 0xFF
        elif damage == "size":  # declares fewer bytes than the stream inflates to
            body[cd + 24:cd + 28] = (info.file_size - 100).to_bytes(4, "little")
        else:  # a byte of the deflate stream itself
            body[info.header_offset + 30 + len("bad.txt") + info.compress_size // 2] ^= 0x55
        batch_id = record(bound_db, tenant, bytes(body))
        run_chunk(bound_db, pending(bound_db, batch_id), LIMITS)
        by_file = {i.file: i for i in items(bound_db, batch_id)}
        assert by_file["good.txt"].status == "succeeded"
        assert by_file["bad.txt"].status == "failed"
        assert "damaged" in (by_file["bad.txt"].error or ""), by_file["bad.txt"].error
