from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bench.config import (
    BenchConfig,
    BlurGrid,
    CandidateConfig,
    OcrConfig,
    SuiteConfig,
    available_suites,
    load_suite,
    suite_from_dict,
)


def test_available_suites_ships_the_five() -> None:
    assert {"smoke", "default", "seed", "real", "blind"} <= set(available_suites())


@pytest.mark.parametrize("name", available_suites())
def test_load_suite_shipped(name: str) -> None:
    suite = load_suite(name)
    assert suite.name == name


def test_default_suite_matches_the_brief() -> None:
    suite = load_suite("default")
    assert suite.count >= 300 and suite.plate_width == 240
    assert suite.blur.lengths == (5, 9, 13, 17, 21, 25, 31) and suite.blur.angle is None
    assert set(suite.ocr) == {"tesseract", "ppocr"}
    plain = [c for c in suite.candidates if c.name == "plain15"]
    assert plain and plain[0].every > 1


def test_load_suite_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('name = "x"\nbogus = 1\n')
    with pytest.raises(ValueError, match="bogus"):
        load_suite(path)


def test_load_suite_unknown_nested_key() -> None:
    with pytest.raises(ValueError, match="wobble"):
        suite_from_dict({"name": "x", "blur": {"wobble": 1}})


def test_load_suite_missing() -> None:
    with pytest.raises(FileNotFoundError, match="unknown suite"):
        load_suite("no-such-suite")


def test_candidate_parse_forms() -> None:
    assert CandidateConfig.parse("wiener") == CandidateConfig(name="wiener")
    assert CandidateConfig.parse({"name": "plain15", "every": 4}).every == 4
    model = CandidateConfig.parse("models/mine.keras")
    assert model.is_model_file and model.label == "mine"
    with pytest.raises(ValueError, match="every"):
        CandidateConfig(name="x", every=0)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"kind": "video"}, "kind"),
        ({"count": 0}, "count"),
        ({"styles": ("mars",)}, "styles"),
        ({"ocr": ("easyocr",)}, "ocr"),
        ({"candidates": ()}, "candidates"),
        (
            {"candidates": (CandidateConfig(name="a"), CandidateConfig(name="a"))},
            "unique",
        ),
        ({"plate_width": 8}, "plate_width"),
        ({"candidates": (CandidateConfig(name="dir:x/blurred"),)}, "are taken by"),
        ({"repeats": 0}, "repeats must be >= 1"),
        ({"seeds": (3, 3), "seed": 3, "repeats": 2}, "seeds must be distinct"),
        ({"seeds": (1, -2), "seed": 1, "repeats": 2}, "seeds must be distinct"),
        ({"seeds": (4, 5), "seed": 0, "repeats": 2}, "must start with seed"),
        ({"seeds": (4, 5), "seed": 4, "repeats": 3}, "must start with seed"),
        ({"kind": "blind", "count": 0, "repeats": 2}, "repeats must be 1"),
    ],
)
def test_suite_validation(changes: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SuiteConfig(name="x", **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (BlurGrid, {"kind": "zoom"}, "kind"),
        (BlurGrid, {"lengths": (0,)}, "lengths"),
        (BlurGrid, {"noise": 0.9}, "noise"),
        (OcrConfig, {"tesseract_psm": 3}, "tesseract_psm"),
        (OcrConfig, {"height": 4}, "height"),
        (OcrConfig, {"ppocr_batch": 0}, "ppocr_batch"),
        (OcrConfig, {"crop_margin": -0.1}, "crop_margin"),
    ],
)
def test_part_validation(cls: type, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_bench_config_overrides() -> None:
    suite = load_suite("smoke")
    cfg = BenchConfig(suite=suite, ocr=("ppocr",), limit=2,
                      candidates=(CandidateConfig(name="identity"),))  # fmt: skip
    effective = cfg.effective_suite
    assert effective.ocr == ("ppocr",) and effective.count == 2
    assert [c.name for c in effective.candidates] == ["identity"]
    with pytest.raises(ValueError, match="workers"):
        BenchConfig(suite=suite, workers=0)
    with pytest.raises(ValueError, match="examples"):
        BenchConfig(suite=suite, examples=-1)


BASE = 'name = "x"\ncount = 2\nocr = ["tesseract"]\n'


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ("bogus = 1", r"unknown SuiteConfig keys \['bogus'\]"),
        ("seed = 1.5", "SuiteConfig.seed must be int, got 1.5"),
        ("seed = -1", "seed must be >= 0, got -1"),
        ('plate_width = "96"', "SuiteConfig.plate_width must be int, got '96'"),
        ('styles = "uk"', "SuiteConfig.styles must be a list of str"),
        ("o_equals_zero = 1", "o_equals_zero must be bool, got 1"),
        ("folder = 7", "SuiteConfig.folder must be str or absent, got 7"),
        ("blur = 3", "blur must be a table, got 3"),
        ('candidates = "identity"', "candidates must be a list"),
        ("candidates = []", "candidates must not be empty"),
        ("candidates = [3]", "candidate must be a string or a table, got 3"),
        ('candidates = [{name = "identity", evry = 2}]', r"CandidateConfig keys"),
        ('[blur]\nlengths = ["a"]', "BlurGrid.lengths must be a list of float"),
        ("[blur]\nlengths = [0]", r"blur lengths must be in \[1, 512\]"),
        ('[blur]\nangle = "sideways"', "BlurGrid.angle must be float or absent"),
        ("[blur]\nnoise = nan", "blur noise must be in"),
        ("[ocr_settings]\nheight = true", "OcrConfig.height must be int, got True"),
        ("= broken", "invalid TOML"),
    ],
)
def test_load_suite_bad_values_name_file_and_field(
    tmp_path: Path, extra: str, match: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BASE + extra + "\n")
    with pytest.raises(ValueError, match=f"bad.toml: .*{match}"):
        load_suite(path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"\xff\xfename = 1", "not valid UTF-8"),
        (b"", "SuiteConfig is missing the required keys"),
    ],
)
def test_load_suite_bad_file(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"bad.toml: {match}"):
        load_suite(path)


def test_suite_accepts_every_deblur_plate_style() -> None:
    suite = SuiteConfig(name="x", styles=("cn", "br", "uk"))
    assert suite.styles == ("cn", "br", "uk")
    assert SuiteConfig(name="x").styles == ("uk", "eu", "us")


def test_draw_seeds_from_repeats_seeds_and_run_override(tmp_path: Path) -> None:
    assert SuiteConfig(name="x", seed=7).draw_seeds == (7,)
    assert SuiteConfig(name="x", seed=7, repeats=3).draw_seeds == (7, 8, 9)
    path = tmp_path / "s.toml"
    path.write_text('name = "s"\ncount = 2\nseeds = [2024, 7, 8, 9]\n')
    suite = load_suite(path)
    assert suite.seed == 2024 and suite.repeats == 4
    assert suite.draw_seeds == (2024, 7, 8, 9)
    cfg = BenchConfig(suite=load_suite("smoke"), seeds=(5, 1))
    assert cfg.effective_suite.draw_seeds == (5, 1)
    assert cfg.effective_suite.seed == 5
    one = BenchConfig(suite=load_suite("smoke"), seeds=(11,)).effective_suite
    assert one == dataclasses.replace(load_suite("smoke"), seed=11)  # plain suite
    with pytest.raises(ValueError, match="at least one seed"):
        _ = BenchConfig(suite=load_suite("smoke"), seeds=()).effective_suite
