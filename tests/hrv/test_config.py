import pytest

from hrv import AnalysisConfig, ConfigError
from hrv.config import SpectrumMethod


class TestAnalysisConfig:
    def test_round_trip(self) -> None:
        cfg = AnalysisConfig.from_dict({"spectrum": {"method": "lomb", "resample_hz": 8}})
        assert cfg.spectrum.method is SpectrumMethod.LOMB
        again = AnalysisConfig.from_dict(cfg.to_dict())
        assert again == cfg

    def test_unknown_choice_lists_valid_ones(self) -> None:
        with pytest.raises(ConfigError, match="'welch', 'lomb'"):
            AnalysisConfig.from_dict({"spectrum": {"method": "fft"}})

    def test_unknown_key(self) -> None:
        with pytest.raises(ConfigError, match="valid keys"):
            AnalysisConfig.from_dict({"spectrum": {"methd": "lomb"}})

    def test_unknown_section(self) -> None:
        with pytest.raises(ConfigError, match="valid sections"):
            AnalysisConfig.from_dict({"spectra": {}})

    @pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf")])
    def test_bad_rate(self, value: float) -> None:
        with pytest.raises(ConfigError):
            AnalysisConfig.from_dict({"spectrum": {"resample_hz": value}})


class TestToDictCopies:
    def test_to_dict_is_a_fresh_copy(self) -> None:
        # The plain form is built once per configuration; callers must not share it.
        cfg = AnalysisConfig()
        d = cfg.to_dict()
        d["spectrum"]["method"] = "changed"
        d["bands"]["hf_hz"][0] = 99.0
        again = cfg.to_dict()
        assert again["spectrum"]["method"] == "welch"
        assert again["bands"]["hf_hz"][0] == pytest.approx(0.15)


def test_to_dict_returns_a_fresh_copy_each_time() -> None:
    # The plain form is cached per configuration: what a caller does to its copy must
    # not reach the next caller, at any depth.
    cfg = AnalysisConfig()
    first = cfg.to_dict()
    want = AnalysisConfig().to_dict()
    for section in first.values():
        for key, value in list(section.items()):
            if isinstance(value, list):
                value.append("changed")
            section[key] = "changed"
    first["extra"] = {}
    assert cfg.to_dict() == want
