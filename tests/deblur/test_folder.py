"""Tests for deblur.folder: planning and restoring files and folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any  # Any: the BadInputs fixture (conftest)

import numpy as np
import pytest
from PIL import Image as PILImage

from deblur.folder import deblur_folder, plan_jobs
from deblur.inference import load
from deblur.registry import get_deblurrer

SHARPEN = get_deblurrer("unsharp_mask")  # any deblurrer that changes the pixels


def test_deblur_folder_keeps_modes_and_reports_failures(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(6)
    src, dst = tmp_path / "in", tmp_path / "out"
    (src / "sub").mkdir(parents=True)
    PILImage.fromarray(rng.integers(0, 255, (32, 96), np.uint8)).save(src / "gray.png")
    PILImage.fromarray(rng.integers(0, 255, (32, 96, 3), np.uint8)).save(
        src / "rgb.jpg"
    )
    rgba = rng.integers(0, 255, (32, 96, 4), np.uint8)
    PILImage.fromarray(rgba).save(src / "rgba.png")
    PILImage.fromarray(rng.integers(0, 65535, (32, 96), np.uint16)).save(
        src / "deep.png"
    )
    PILImage.fromarray(rng.integers(0, 255, (32, 96, 3), np.uint8)).convert("P").save(
        src / "palette.png"
    )
    rotated = PILImage.fromarray(rng.integers(0, 255, (32, 96, 3), np.uint8))
    exif = PILImage.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    rotated.save(src / "rotated.jpg", exif=exif)
    (src / "broken.png").write_bytes(b"garbage")
    (src / "labels.csv").write_text("file,text\n")
    PILImage.fromarray(rng.integers(0, 255, (32, 96), np.uint8)).save(
        src / "sub" / "deep2.png"
    )
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}

    results = list(deblur_folder(src, dst, deblurrer=SHARPEN))

    status = {r.source.name: r.status for r in results}
    assert status == {
        "broken.png": "failed",
        "deep.png": "written",
        "gray.png": "written",
        "palette.png": "written",
        "rgb.jpg": "written",
        "rgba.png": "written",
        "rotated.jpg": "written",
    }
    failed = [r for r in results if r.status == "failed"]
    assert "broken.png" in (failed[0].error or "")
    modes = {p.name: PILImage.open(p).mode for p in dst.iterdir()}
    assert modes == {
        "deep.png": "I;16",
        "gray.png": "L",
        "palette.png": "RGB",
        "rgb.jpg": "RGB",
        "rgba.png": "RGBA",
        "rotated.jpg": "RGB",
    }
    assert PILImage.open(dst / "rotated.jpg").size == (32, 96)
    assert PILImage.open(dst / "gray.png").size == (96, 32)
    np.testing.assert_array_equal(
        np.asarray(PILImage.open(dst / "rgba.png"))[..., 3], rgba[..., 3]
    )
    deep = np.asarray(PILImage.open(dst / "deep.png"))
    assert len(np.unique(deep)) > 256  # really 16-bit, not 8-bit scaled up
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before
    assert not list(dst.glob(".*"))  # no temporary files left behind


def test_deblur_folder_skips_existing_unless_overwrite(
    tmp_path: Path,
) -> None:
    src, dst = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    dst.mkdir()
    PILImage.fromarray(np.zeros((32, 96), np.uint8)).save(src / "a.png")
    (dst / "a.png").write_bytes(b"old")
    assert [r.status for r in deblur_folder(src, dst, deblurrer=SHARPEN)] == ["skipped"]
    assert (dst / "a.png").read_bytes() == b"old"
    again = deblur_folder(src, dst, deblurrer=SHARPEN, overwrite=True)
    assert [r.status for r in again] == ["written"]
    assert PILImage.open(dst / "a.png").size == (96, 32)


def test_deblur_folder_recursive_keeps_subfolders(
    tmp_path: Path,
) -> None:
    src, dst = tmp_path / "in", tmp_path / "out"
    (src / "sub").mkdir(parents=True)
    PILImage.fromarray(np.zeros((32, 96), np.uint8)).save(src / "sub" / "b.png")
    assert [j.target for j in plan_jobs(src, dst)] == []
    results = list(deblur_folder(src, dst, deblurrer=SHARPEN, recursive=True))
    assert [r.status for r in results] == ["written"]
    assert (dst / "sub" / "b.png").is_file()


def test_plan_jobs_refuses_to_write_over_inputs(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    PILImage.fromarray(np.zeros((8, 8), np.uint8)).save(src / "a.png")
    with pytest.raises(ValueError, match="input folder"):
        plan_jobs(src, src)
    with pytest.raises(ValueError, match="overwrite the input"):
        plan_jobs(src / "a.png", src / "a.png")
    with pytest.raises(ValueError, match="overwrite the input"):
        plan_jobs(src / "a.png", src)
    with pytest.raises(ValueError, match="inside the input folder"):
        plan_jobs(src, src / "out", recursive=True)
    with pytest.raises(FileNotFoundError, match="input not found"):
        plan_jobs(tmp_path / "missing", tmp_path / "out")


def test_deblur_run_crash_mid_write_leaves_no_final_file(
    bad_inputs: Any,
    tiny_model_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = bad_inputs.folder
    for name in bad_inputs.bad:
        (folder / name).unlink()
    original = PILImage.Image.save

    def half_then_fail(
        self: PILImage.Image, fp: object, *a: object, **k: object
    ) -> None:
        original(self, fp, *a, **k)
        data = Path(fp).read_bytes()  # type: ignore[arg-type]
        Path(fp).write_bytes(data[: len(data) // 2])  # type: ignore[arg-type]
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(PILImage.Image, "save", half_then_fail)
    results = list(
        deblur_folder(folder, tmp_path / "out", deblurrer=load(tiny_model_path))
    )
    assert [r.status for r in results] == ["failed"] * len(bad_inputs.good)
    assert all("disk full" in (r.error or "") for r in results)
    assert list((tmp_path / "out").iterdir()) == []  # no final and no temporary file
