"""Tests for deblur.cli (synth commands)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deblur.cli import app
from deblur.config import PlateConfig
from deblur.synth.dataset import load_labels

runner = CliRunner()


def _plates(out: Path, *extra: str) -> object:
    args = ["synth", "plates", "--out", str(out), "--count", "3", "--seed", "1"]
    return runner.invoke(app, [*args, "--size", "96x32", *extra])


def test_synth_plates_writes_dataset_and_summary(tmp_path: Path) -> None:
    result = _plates(tmp_path / "p", "--style", "eu", "--no-noise", "--no-geometry")
    assert result.exit_code == 0, result.output
    assert "wrote 3 plates" in result.stdout and "plates/s" in result.stdout
    rows = load_labels(tmp_path / "p")
    assert [r.extra["style"] for r in rows] == ["eu"] * 3


def test_synth_plates_variety_options_reach_the_labels(tmp_path: Path) -> None:
    result = _plates(
        tmp_path / "p", "--preset", "variety", "--style", "cn,br", "--car", "1",
        "--bolts", "0", "--scheme", "yellow_on_black",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = load_labels(tmp_path / "p")
    assert {r.extra["style"] for r in rows} <= {"cn", "br"}
    assert {r.extra["surround"] for r in rows} == {"car"}
    assert {r.extra["bolts"] for r in rows} == {"0"}
    assert {r.extra["scheme"] for r in rows} == {"yellow_on_black"}
    config = json.loads((tmp_path / "p" / "config.json").read_text())
    assert config["plate"]["dirt"] == PlateConfig.preset("variety").dirt


def test_synth_plates_same_seed_same_bytes(tmp_path: Path) -> None:
    _plates(tmp_path / "a")
    _plates(tmp_path / "b")
    for name in ("plate_000000.png", "labels.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (
            tmp_path / "b" / name
        ).read_bytes()


def test_synth_blur_writes_crops(tmp_path: Path) -> None:
    _plates(tmp_path / "p")
    result = runner.invoke(
        app,
        ["synth", "blur", "--in", str(tmp_path / "p"), "--out", str(tmp_path / "b"),
         "--copies", "2", "--seed", "0", "--crop", "40x20", "--kind", "linear",
         "--length", "3,9"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote 6 copies" in result.stdout
    assert len(list((tmp_path / "b" / "blurred").glob("*.png"))) == 6


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--size", "96by32"], "--size must look like AxB"),
        (["--size", "9x4"], "width must be >= 16"),
        (["--style", "fr"], "style must be 'any' or one of"),
        (["--style", "uk,fr"], "styles must be distinct names"),
        (["--scheme", "pink"], "scheme must be 'auto' or one of"),
        (["--dirt", "2"], "dirt must be in [0.0, 1.0]"),
        (["--preset", "fancy"], "preset must be one of"),
    ],
)
def test_synth_plates_bad_options_one_red_line_exit_2(
    tmp_path: Path, args: list[str], match: str
) -> None:
    result = runner.invoke(
        app, ["synth", "plates", "--out", str(tmp_path / "x"), *args]
    )
    assert result.exit_code == 2
    assert match in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_synth_blur_known_error_exit_2_and_debug_reraises(tmp_path: Path) -> None:
    args = [
        "synth",
        "blur",
        "--in",
        str(tmp_path / "nope"),
        "--out",
        str(tmp_path / "o"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "sharp folder not found" in result.stderr
    result = runner.invoke(app, [*args, "--debug"])
    assert isinstance(result.exception, FileNotFoundError)


def test_synth_blur_bad_kind(tmp_path: Path) -> None:
    _plates(tmp_path / "p")
    args = ["synth", "blur", "--in", str(tmp_path / "p"), "--out", str(tmp_path / "o")]
    result = runner.invoke(app, [*args, "--kind", "wobble"])
    assert result.exit_code == 2 and "kind must be one of" in result.stderr
