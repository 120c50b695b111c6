"""Tests for the `deblur run`, `deblur export` and `deblur models` commands."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any  # Any: the BadInputs fixture (conftest)

import numpy as np
import pytest
from PIL import Image as PILImage
from typer.testing import CliRunner

keras = pytest.importorskip("keras")

from deblur.cli import app  # noqa: E402

runner = CliRunner()


def _failed_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("failed: ")]


@pytest.fixture
def plates(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        pixels = rng.integers(0, 255, (32, 96, 3), np.uint8)
        PILImage.fromarray(pixels).save(folder / f"plate{i}.png")
    return folder


def test_run_folder_writes_every_image(
    tiny_model_path: Path, plates: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["run", "--model", str(tiny_model_path), str(plates), str(out)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "plate0.png",
        "plate1.png",
        "plate2.png",
    ]
    assert PILImage.open(out / "plate0.png").size == (96, 32)
    assert "restored 3 images" in result.output


def test_run_reports_unreadable_files_and_exits_1(
    tiny_model_path: Path, plates: Path, tmp_path: Path
) -> None:
    (plates / "broken.jpg").write_bytes(b"garbage")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["run", "--model", str(tiny_model_path), str(plates), str(out)]
    )
    assert result.exit_code == 1
    assert "failed:" in result.output and "broken.jpg" in result.output
    assert len(list(out.iterdir())) == 3


def test_run_skips_existing_unless_overwrite(
    tiny_model_path: Path, plates: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["run", "--model", str(tiny_model_path), str(plates), str(out)]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "skipped 3 existing outputs" in again.output
    assert "restored 3 images" in runner.invoke(app, [*args, "--overwrite"]).output


def test_run_single_file_and_tiling_options(
    tiny_model_path: Path, plates: Path, tmp_path: Path
) -> None:
    out = tmp_path / "one.png"
    args = [
        "run",
        "--model",
        str(tiny_model_path),
        str(plates / "plate0.png"),
        str(out),
    ]
    result = runner.invoke(app, [*args, "--tile", "32", "--overlap", "8"])
    assert result.exit_code == 0, result.output
    assert out.is_file()


def test_run_refuses_input_folder_with_exit_2(
    tiny_model_path: Path, plates: Path
) -> None:
    result = runner.invoke(
        app, ["run", "--model", str(tiny_model_path), str(plates), str(plates)]
    )
    assert result.exit_code == 2
    assert "input folder" in result.output


def test_run_bad_tile_option_is_exit_2(
    tiny_model_path: Path, plates: Path, tmp_path: Path
) -> None:
    args = ["run", "--model", str(tiny_model_path), str(plates), str(tmp_path / "o")]
    result = runner.invoke(app, [*args, "--tile", "64", "--overlap", "40"])
    assert result.exit_code == 2 and "overlap" in result.output


def test_run_missing_model_is_exit_2(plates: Path, tmp_path: Path) -> None:
    args = ["run", "--model", "no_such_weights", str(plates), str(tmp_path / "o")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "no shipped weights named" in result.output


def test_export_onnx_then_run_with_it(
    tiny_model_path: Path, plates: Path, tmp_path: Path
) -> None:
    pytest.importorskip("tf2onnx")
    onnx_file = tmp_path / "tiny.onnx"
    result = runner.invoke(
        app, ["export", str(tiny_model_path), "--out", str(onnx_file)]
    )
    assert result.exit_code == 0, result.output
    assert "max |difference| to Keras" in result.output
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["run", "--model", str(onnx_file), str(plates), str(out)]
    )
    assert result.exit_code == 0, result.output
    assert len(list(out.iterdir())) == 3


def test_models_lists_architectures() -> None:
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    assert "2,876,931" in result.output  # the 2017 network's parameter count
    for arch in ("plain15", "res15", "unet"):
        assert arch in result.output


def test_run_folder_with_images_only_in_sub_folders_hints_recursive(
    tiny_model_path: Path, plates: Path, tmp_path: Path
) -> None:
    outer = tmp_path / "outer"
    outer.mkdir()
    plates.rename(outer / "in")
    result = runner.invoke(
        app, ["run", "--model", str(tiny_model_path), str(outer), str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert "no images to restore" in result.output and "--recursive" in result.output
    assert not (tmp_path / "out").exists()


def test_run_single_file_into_folder_with_trailing_slash(
    tiny_model_path: Path, plates: Path, tmp_path: Path
) -> None:
    out = tmp_path / "single_out"
    args = [
        "run",
        "--model",
        str(tiny_model_path),
        str(plates / "plate0.png"),
        f"{out}/",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["plate0.png"]


def test_run_single_file_format_follows_extension_and_unknown_is_refused(
    tiny_model_path: Path, plates: Path, tmp_path: Path
) -> None:
    args = ["run", "--model", str(tiny_model_path), str(plates / "plate0.png")]
    result = runner.invoke(app, [*args, str(tmp_path / "newout.jpg")])
    assert result.exit_code == 0, result.output
    with PILImage.open(tmp_path / "newout.jpg") as written:
        assert written.format == "JPEG"
    result = runner.invoke(app, [*args, str(tmp_path / "newout.xyz")])
    assert result.exit_code == 2
    assert "unknown image extension '.xyz'" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "newout.xyz").exists()


def test_run_bad_files_listed_once_and_others_written(
    bad_inputs: Any, tiny_model_path: Path, tmp_path: Path
) -> None:
    folder = bad_inputs.folder
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["run", "--model", str(tiny_model_path), str(folder), str(out)]
    )
    assert result.exit_code == 1, result.output
    lines = _failed_lines(result.output)
    assert len(lines) == len(bad_inputs.bad)
    for name in bad_inputs.bad:
        (line,) = [line for line in lines if f"/{name}" in line]
        assert line.count(name) == 1  # named once, not "path: path: ..."
    assert sorted(p.name for p in out.iterdir()) == sorted(bad_inputs.good)
    assert PILImage.open(out / "one.png").size == (1, 1)


@pytest.mark.parametrize("damage", ["truncated", "no-metadata", "bad-json", "empty"])
def test_damaged_model_file_one_line_exit_2(
    tiny_model_path: Path, tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "damaged.keras"
    data = tiny_model_path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        with zipfile.ZipFile(tiny_model_path) as src, zipfile.ZipFile(path, "w") as dst:
            for item in src.infolist():
                if item.filename == "metadata.json" and damage == "no-metadata":
                    continue
                body = src.read(item)
                if item.filename == "config.json" and damage == "bad-json":
                    body = body[: len(body) // 2]
                dst.writestr(item, body)
    (tmp_path / "in").mkdir()
    result = runner.invoke(
        app, ["run", "--model", str(path), str(tmp_path / "in"), str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "damaged.keras" in result.output
    assert "Traceback" not in result.output


def test_export_tflite_then_run_it_in_two_worker_processes(
    tiny_model_path: Path, plates: Path, tmp_path: Path
) -> None:
    tflite_file = tmp_path / "tiny.tflite"
    result = runner.invoke(
        app,
        [
            "export",
            str(tiny_model_path),
            "--out",
            str(tflite_file),
            "--format",
            "tflite",
        ],
    )
    assert result.exit_code == 0, result.output
    one, two = tmp_path / "one", tmp_path / "two"
    for out, workers in ((one, "1"), (two, "2")):
        args = ["run", "--model", str(tflite_file), str(plates), str(out)]
        result = runner.invoke(app, [*args, "--workers", workers])
        assert result.exit_code == 0, result.output
    names = sorted(p.name for p in one.iterdir())
    assert len(names) == 3 and names == sorted(p.name for p in two.iterdir())
    for name in names:
        with PILImage.open(one / name) as a, PILImage.open(two / name) as b:
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
