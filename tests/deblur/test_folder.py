"""Tests for deblur.folder: planning and restoring files and folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any  # Any: the BadInputs fixture (conftest)

import numpy as np
import pytest
from PIL import Image as PILImage

from deblur.folder import deblur_folder, deblur_jobs, plan_jobs
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


def test_plan_jobs_file_into_folder_when_target_ends_in_slash_or_exists(
    tmp_path: Path,
) -> None:
    src = tmp_path / "plate.png"
    PILImage.fromarray(np.zeros((8, 8), np.uint8)).save(src)
    fresh = tmp_path / "fresh"
    [job] = plan_jobs(src, f"{fresh}/")
    assert job.target == fresh / "plate.png"
    existing = tmp_path / "existing"
    existing.mkdir()
    [job] = plan_jobs(src, existing)
    assert job.target == existing / "plate.png"
    [result] = list(deblur_folder(src, f"{fresh}/", deblurrer=SHARPEN))
    assert result.status == "written" and (fresh / "plate.png").is_file()
    (tmp_path / "afile").write_bytes(b"x")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        plan_jobs(src, f"{tmp_path / 'afile'}/")


@pytest.mark.parametrize("name", ["out", "out.txt", "out.png.bak"])
def test_plan_jobs_refuses_unknown_output_extension(tmp_path: Path, name: str) -> None:
    src = tmp_path / "plate.png"
    PILImage.fromarray(np.zeros((8, 8), np.uint8)).save(src)
    with pytest.raises(ValueError, match="unknown image extension") as info:
        plan_jobs(src, tmp_path / name)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "pil_format", "mode"),
    [("out.jpg", "JPEG", "RGB"), ("out.webp", "WEBP", "RGBA"),
     ("out.png", "PNG", "RGBA"), ("out.BMP", "BMP", "RGB")],
)  # fmt: skip
def test_deblur_folder_writes_the_format_of_the_target_extension(
    tmp_path: Path, name: str, pil_format: str, mode: str
) -> None:
    src = tmp_path / "plate.png"  # an RGBA PNG: alpha is kept only where it fits
    rgba = np.random.default_rng(1).integers(0, 255, (16, 24, 4), np.uint8)
    PILImage.fromarray(rgba).save(src)
    [result] = list(deblur_folder(src, tmp_path / name, deblurrer=SHARPEN))
    assert result.status == "written"
    with PILImage.open(tmp_path / name) as written:
        assert (written.format, written.mode, written.size) == (
            pil_format,
            mode,
            (24, 16),
        )


def test_deblur_folder_16_bit_source_to_jpeg_is_8_bit_gray(tmp_path: Path) -> None:
    src = tmp_path / "deep.png"
    PILImage.fromarray(np.full((16, 24), 40000, np.uint16)).save(src)
    [result] = list(deblur_folder(src, tmp_path / "deep.jpg", deblurrer=SHARPEN))
    assert result.status == "written"
    with PILImage.open(tmp_path / "deep.jpg") as written:
        assert (written.format, written.mode) == ("JPEG", "L")
        assert abs(int(np.asarray(written).mean()) - round(40000 / 257)) <= 1


class _CountingDeblurrer:
    """Unsharp masking that records how it was called (per image or many at once)."""

    name = "counting"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, image: np.ndarray) -> np.ndarray:
        self.calls.append(1)
        return SHARPEN(image)

    def restore_many(self, images: list[np.ndarray]) -> list[np.ndarray]:
        self.calls.append(len(images))
        return [SHARPEN(image) for image in images]


@pytest.mark.parametrize("lanes", [1, 3])
def test_deblur_jobs_batches_equal_shapes_keeps_order_and_isolates_failures(
    tmp_path: Path, lanes: int
) -> None:
    rng = np.random.default_rng(2)
    src, dst = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i in range(5):
        shape = (16, 48, 3) if i != 3 else (20, 40, 3)
        PILImage.fromarray(rng.integers(0, 255, shape, np.uint8)).save(
            src / f"p{i}.png"
        )
    (src / "p2.png").write_bytes(b"broken")
    deblurrer = _CountingDeblurrer()
    jobs = plan_jobs(src, dst)
    results = list(deblur_jobs(jobs, deblurrer, batch=3, lanes=lanes))
    assert [r.source.name for r in results] == [f"p{i}.png" for i in range(5)]
    assert [r.status for r in results] == ["written"] * 2 + ["failed"] + ["written"] * 2
    # step 1: p0+p1 together; step 2: two shapes (steps may overlap in lanes)
    assert sorted(deblurrer.calls) == [1, 1, 2]
    for i in (0, 1, 3, 4):
        with (
            PILImage.open(dst / f"p{i}.png") as out,
            PILImage.open(src / f"p{i}.png") as im,
        ):
            expected = SHARPEN(np.asarray(im, np.float32) / 255)
            assert np.abs(np.asarray(out, np.float32) / 255 - expected).max() <= 1 / 255
    assert all(r.seconds > 0 for r in results)
    with pytest.raises(ValueError, match="batch must be >= 1, got 0"):
        list(deblur_jobs(jobs, deblurrer, batch=0))
    with pytest.raises(ValueError, match="lanes must be >= 1, got 0"):
        list(deblur_jobs(jobs, deblurrer, lanes=0))


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
    assert all("disk full" in (r.error or "") for r in results), [
        r.error for r in results
    ]
    assert list((tmp_path / "out").iterdir()) == []  # no final and no temporary file


def test_deblur_jobs_in_processes_equals_one_process_in_job_order(
    tmp_path: Path,
) -> None:
    import functools

    from deblur.folder import auto_workers, deblur_jobs_in_processes

    rng = np.random.default_rng(3)
    src = tmp_path / "in"
    src.mkdir()
    for i in range(7):
        PILImage.fromarray(rng.integers(0, 255, (16, 48, 3), np.uint8)).save(
            src / f"p{i}.png"
        )
    (src / "p4.png").write_bytes(b"broken")
    make = functools.partial(get_deblurrer, "unsharp_mask")
    jobs = plan_jobs(src, tmp_path / "many")
    results = list(deblur_jobs_in_processes(jobs, make, workers=2, batch=1))
    assert [r.source.name for r in results] == [f"p{i}.png" for i in range(7)]
    assert [r.status for r in results] == ["written"] * 4 + ["failed"] + ["written"] * 2
    assert "p4.png" in str(results[4].source) and results[4].error
    list(deblur_jobs(plan_jobs(src, tmp_path / "one"), SHARPEN))
    for i in (0, 1, 2, 3, 5, 6):
        with (
            PILImage.open(tmp_path / "many" / f"p{i}.png") as many,
            PILImage.open(tmp_path / "one" / f"p{i}.png") as one,
        ):
            np.testing.assert_array_equal(np.asarray(many), np.asarray(one))
    with pytest.raises(ValueError, match="workers must be >= 1, got 0"):
        list(deblur_jobs_in_processes(jobs, make, workers=0))
    assert auto_workers(10) == 1 and auto_workers(10_000) >= 1


def test_a_frame_given_to_a_crops_only_model_fails_alone(tmp_path: Path) -> None:
    from deblur.inference import _weights_dir

    model = tmp_path / "crops.tflite"
    model.write_bytes((_weights_dir() / "fast.tflite").read_bytes())
    (tmp_path / "crops.model_card.json").write_text('{"crops_only": true}')
    rng = np.random.default_rng(5)
    src = tmp_path / "in"
    src.mkdir()
    PILImage.fromarray(rng.integers(0, 255, (60, 240, 3), np.uint8)).save(
        src / "plate.png"
    )
    PILImage.fromarray(rng.integers(0, 255, (300, 400, 3), np.uint8)).save(
        src / "frame.png"
    )
    results = list(deblur_jobs(plan_jobs(src, tmp_path / "out"), load(model)))
    status = {r.source.name: (r.status, r.error) for r in results}
    assert status["plate.png"] == ("written", None)
    assert status["frame.png"][0] == "failed"
    assert "use the default model for whole frames" in (status["frame.png"][1] or "")
    assert not (tmp_path / "out" / "frame.png").exists()
