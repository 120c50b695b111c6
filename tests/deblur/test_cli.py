"""Tests for deblur.cli: synth commands, choices, and how train resolves settings."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any  # Any: the BadInputs fixture (conftest)

import numpy as np
import pytest
import typer
from PIL import Image as PILImage
from typer.testing import CliRunner

from deblur.cli import app
from deblur.config import PlateConfig
from deblur.synth.dataset import INCOMPLETE, load_labels

runner = CliRunner()


def _failed_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("failed: ")]


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
        (["--style", "uk,uk"], "styles must be distinct names"),
        (["--dirt", "2"], "dirt must be in [0.0, 1.0]"),
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


@pytest.mark.parametrize(
    ("args", "option", "choices"),
    [
        (["synth", "blur", "--in", "x", "--out", "y", "--kind", "wobble"], "--kind",
         "'seed2017', 'linear', 'trajectory', 'shake', 'defocus', 'gaussian', 'none'"),
        (["synth", "plates", "--out", "y", "--style", "fr"], "--style",
         "'any', 'uk', 'eu', 'us', 'cn', 'br', 'br_old'"),
        (["synth", "plates", "--out", "y", "--style", "uk,fr"], "--style",
         "'fr' is not one of 'any', 'uk', 'eu', 'us', 'cn', 'br', 'br_old'"),
        (["synth", "plates", "--out", "y", "--scheme", "pink"], "--scheme",
         "'auto', 'black_on_white', 'black_on_yellow', 'red_on_white'"),
        (["synth", "plates", "--out", "y", "--preset", "fancy"], "--preset",
         "'classic', 'variety'"),
        (["train", "--out", "y", "--arch", "unnet"], "--arch",
         "'plain15', 'res15', 'unet'"),
        (["train", "--out", "y", "--guide", "wiener"], "--guide",
         "'none', 'blind_wiener', 'gated_wiener'"),
        (["train", "--out", "y", "--loss", "l2"], "--loss",
         "'mse', 'l1', 'charbonnier'"),
        (["train", "--out", "y", "--distribute", "ring"], "--distribute",
         "'none', 'mirrored'"),
        (["export", "default", "--out", "y", "--format", "tf"], "--format",
         "'onnx', 'tflite'"),
    ],
)  # fmt: skip
def test_choice_typo_fails_at_parse_time_listing_choices(
    tmp_path: Path, args: list[str], option: str, choices: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    text = " ".join(result.stderr.replace("│", " ").split())
    assert f"Invalid value for '{option}'" in text and choices in text
    assert not Path("y").exists()


def _show_config(*args: str) -> dict:
    result = runner.invoke(app, ["train", "--out", "unused", "--show-config", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_train_defaults_come_from_the_config_dataclasses() -> None:
    from deblur.config import ModelConfig, TrainConfig

    data = _show_config()
    assert data.pop("model") == json.loads(json.dumps(asdict(ModelConfig())))
    assert data == json.loads(json.dumps(asdict(TrainConfig())))


def test_train_flags_override_config_file_which_overrides_defaults(
    tmp_path: Path,
) -> None:
    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"steps": 7, "batch": 3, "lr": 0.002,
                                  "model": {"width": 8, "guide": "blind_wiener"}}))  # fmt: skip
    data = _show_config("--config", str(config), "--steps", "9", "--width", "4")
    assert (data["steps"], data["batch"], data["lr"]) == (9, 3, 0.002)
    assert data["model"]["width"] == 4 and data["model"]["guide"] == "blind_wiener"
    assert data["seed"] == 0  # neither given: the default


def test_train_shipped_config_file_keeps_its_values() -> None:
    path = Path(__file__).parents[2] / "benchmarks" / "configs" / "default_train.json"
    shipped = json.loads(path.read_text())
    data = _show_config("--config", str(path), "--guide", "blind_wiener")
    degradations = shipped.pop("degradations")
    assert {key: data[key] for key in shipped} == shipped
    for given, resolved in zip(degradations, data["degradations"], strict=True):
        assert {key: resolved[key] for key in given} == given  # new fields: defaults
    assert data["model"]["guide"] == "blind_wiener"


def test_train_every_config_field_is_an_option(tmp_path: Path) -> None:
    from deblur.config import ModelConfig, TrainConfig

    mix = tmp_path / "mix.json"
    mix.write_text(json.dumps([{"kind": "gaussian", "length": [3, 9]}]))
    data = _show_config(
        "--patch", "96x32", "--blocks", "1,2,3", "--photometric", "0.5",
        "--init", "runs/x/model.keras", "--val-fraction", "0.2",
        "--reader", "mine.keras", "--degradations", str(mix),
    )  # fmt: skip
    assert data["patch"] == [32, 96]  # WxH on the command line, (H, W) in the config
    assert data["model"]["blocks"] == [1, 2, 3] and data["model"]["depth"] == 2
    assert (data["photometric"], data["init"]) == (0.5, "runs/x/model.keras")
    assert (data["val_fraction"], data["reader"]) == (0.2, "mine.keras")
    assert data["degradations"][0]["kind"] == "gaussian"
    blend = _show_config("--guide", "blind_wiener", "--guide-blend")["model"]
    assert (blend["guide"], blend["guide_blend"]) == ("blind_wiener", True)
    text = _show_config("--degradations", '[{"kind": "defocus"}]')
    assert [d["kind"] for d in text["degradations"]] == ["defocus"]
    options = {p.name for p in typer.main.get_command(app).commands["train"].params}
    model_fields = {f.name for f in fields(ModelConfig)} - {"depth"}  # via --blocks
    assert model_fields | {f.name for f in fields(TrainConfig)} <= options


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--arch", "res15", "--blocks", "1,2"], "--blocks applies to arch unet only"),
        (["--arch", "res15", "--guide", "blind_wiener"], "guide is only supported"),
        (["--guide-blend"], "guide_blend needs a guide"),
        (["--patch", "128"], "--patch must look like AxB"),
        (["--blocks", "1,x"], "--blocks must look like 1,1,2,4"),
        (["--degradations", "[{"], "--degradations: not valid JSON"),
        (["--degradations", "missing.json"], "JSON file not found: missing.json"),
        (["--degradations", '[{"kind": "zoom"}]'], "kind must be one of"),
        (["--steps", "0"], "steps must be >= 1"),
    ],
)
def test_train_bad_options_one_red_line_exit_2(args: list[str], match: str) -> None:
    result = runner.invoke(app, ["train", "--out", "unused", "--show-config", *args])
    assert result.exit_code == 2
    assert match in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_train_patch_taller_than_wide_notes_the_wxh_order() -> None:
    result = runner.invoke(
        app, ["train", "--out", "u", "--show-config", "--patch", "48x128"]
    )
    assert result.exit_code == 0
    assert "--patch is WxH, so 48x128 is 48 wide and 128 high" in result.stderr


def test_export_format_choices_are_the_exporters() -> None:
    from deblur.cli import ExportFormat
    from deblur.export import FORMATS

    assert tuple(f.value for f in ExportFormat) == FORMATS


def test_synth_blur_skips_bad_sources_and_lists_them(
    bad_inputs: Any, tmp_path: Path
) -> None:
    folder = bad_inputs.folder
    out = tmp_path / "out"
    args = ["synth", "blur", "--in", str(folder), "--out", str(out), "--copies", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert len(_failed_lines(result.output)) == len(bad_inputs.bad)
    assert sorted(p.name for p in (out / "sharp").iterdir()) == sorted(
        f"{Path(n).stem}_000.png" for n in bad_inputs.good
    )
    assert (out / "config.json").is_file() and not (out / INCOMPLETE).exists()


def test_synth_blur_same_stem_collision_one_line(
    bad_inputs: Any, tmp_path: Path
) -> None:
    folder = bad_inputs.folder
    PILImage.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "ok.bmp")
    args = ["synth", "blur", "--in", str(folder), "--out", str(tmp_path / "o")]
    result = runner.invoke(app, [*args, "--copies", "1"])
    assert result.exit_code == 2
    assert "same output name 'ok_000.png'" in result.output


def test_train_into_existing_run_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "checkpoints" / "checkpoint").write_text("x")
    result = runner.invoke(app, ["train", "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "already holds a training run" in (
        result.output
    )


def test_style_choices_are_any_and_the_plate_styles() -> None:
    from deblur.cli import StyleChoice
    from deblur.config import PLATE_STYLES

    assert tuple(s.value for s in StyleChoice) == ("any", *PLATE_STYLES)


def test_scheme_choices_are_auto_and_the_plate_schemes() -> None:
    from deblur.cli import SchemeChoice
    from deblur.config import PLATE_SCHEMES

    assert tuple(s.value for s in SchemeChoice) == ("auto", *PLATE_SCHEMES)
