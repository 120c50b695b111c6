"""Bad inputs to every `deblur` command: one clear line naming the input, work goes on.

Covers corrupt, empty, truncated and non-image files, 1x1 images, a header that claims
20000x20000 pixels (the `deblur.io.MAX_PIXELS` guard, nothing is allocated), labels
with unsafe paths, model files that are corrupt, from a newer Keras or carry code, and
crashes in the middle of a write (no half-written file under its final name).
"""

from __future__ import annotations

import json
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from typer.testing import CliRunner

keras = pytest.importorskip("keras")

import deblur.io  # noqa: E402
from deblur.cli import app  # noqa: E402
from deblur.config import ModelConfig, TileConfig  # noqa: E402
from deblur.folder import deblur_folder  # noqa: E402
from deblur.inference import load, load_keras_model  # noqa: E402
from deblur.io import read_image, read_image_native, write_image  # noqa: E402
from deblur.models import build_model  # noqa: E402
from deblur.synth.dataset import (  # noqa: E402
    INCOMPLETE,
    load_labels,
    write_blurred_dataset,
)

runner = CliRunner()


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(kind + data))
    return struct.pack(">I", len(data)) + kind + data + crc


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` (8-bit gray)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _chunk(b"IEND", b"")
    )


GOOD = ("ok.png", "photo.jpg", "one.png")
BAD = ("empty.png", "trunc.png", "trunc.jpg", "text.png", "huge.png", "bomb.png")


def _bad_folder(folder: Path) -> Path:
    """Good images (incl. 1x1) and one of each kind of bad file."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    PILImage.fromarray(rng.integers(0, 255, (32, 96, 3), np.uint8)).save(
        folder / "ok.png"
    )
    PILImage.fromarray(rng.integers(0, 255, (32, 96, 3), np.uint8)).save(
        folder / "photo.jpg", quality=90
    )
    PILImage.fromarray(np.full((1, 1, 3), 128, np.uint8)).save(folder / "one.png")
    (folder / "empty.png").write_bytes(b"")
    png, jpg = (folder / "ok.png").read_bytes(), (folder / "photo.jpg").read_bytes()
    (folder / "trunc.png").write_bytes(png[: len(png) // 2])
    (folder / "trunc.jpg").write_bytes(jpg[: len(jpg) // 2])
    (folder / "text.png").write_text("plate,text\nnot an image\n")
    (folder / "huge.png").write_bytes(png_claiming(20000, 20000))
    (folder / "bomb.png").write_bytes(png_claiming(12000, 9000))  # warns in Pillow
    return folder


def _failed_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("failed: ")]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    keras.utils.set_random_seed(0)
    model = build_model(ModelConfig(arch="unet", width=4, depth=2, blocks=(1, 1, 1)))
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    return path


# --- images -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "match"),
    [((20000, 20000), "exceeds the limit"), ((12000, 9000), "12000x9000 pixels")],
)
@pytest.mark.parametrize("reader", [read_image, read_image_native])
def test_read_image_pixel_guard_from_header(
    tmp_path: Path, reader: object, size: tuple[int, int], match: str
) -> None:
    path = tmp_path / "claims.png"
    path.write_bytes(png_claiming(*size))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Pillow DecompressionBombWarning either
        with pytest.raises(ValueError, match=f"claims.png: .*{match}"):
            reader(path)  # type: ignore[operator]


def test_read_image_pixel_guard_follows_max_pixels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_image(tmp_path / "a.png", np.zeros((40, 50), np.float32))
    monkeypatch.setattr(deblur.io, "MAX_PIXELS", 2000)
    assert read_image(tmp_path / "a.png").shape == (40, 50, 3)
    monkeypatch.setattr(deblur.io, "MAX_PIXELS", 1999)
    with pytest.raises(ValueError, match="a.png: image of 50x40 pixels exceeds"):
        read_image(tmp_path / "a.png")


@pytest.mark.parametrize("name", BAD)
def test_read_image_bad_file_is_one_line_naming_it(tmp_path: Path, name: str) -> None:
    folder = _bad_folder(tmp_path / "in")
    with pytest.raises(ValueError) as info:
        read_image(folder / name)
    message = str(info.value)
    assert message.startswith(str(folder / name)) and "\n" not in message


def test_run_bad_files_listed_once_and_others_written(
    model_path: Path, tmp_path: Path
) -> None:
    folder = _bad_folder(tmp_path / "in")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["run", "--model", str(model_path), str(folder), str(out)]
    )
    assert result.exit_code == 1, result.output
    lines = _failed_lines(result.output)
    assert len(lines) == len(BAD)
    for name in BAD:
        (line,) = [line for line in lines if f"/{name}" in line]
        assert line.count(name) == 1  # named once, not "path: path: ..."
    assert sorted(p.name for p in out.iterdir()) == sorted(GOOD)
    assert PILImage.open(out / "one.png").size == (1, 1)


def test_large_valid_image_runs_through_tiles(model_path: Path) -> None:
    tiles = TileConfig(tile=64, overlap=8, max_pixels=0, pass_through=None)
    deblurrer = load(model_path, tile=tiles)
    calls: list[tuple[int, ...]] = []
    predict = deblurrer.predict_batch  # type: ignore[attr-defined]

    def spy(batch: np.ndarray) -> np.ndarray:
        calls.append(batch.shape)
        return predict(batch)  # type: ignore[no-any-return]

    deblurrer.predict_batch = spy  # type: ignore[attr-defined]
    image = np.random.default_rng(1).random((150, 260), dtype=np.float32)
    restored = deblurrer(image)
    assert restored.shape == image.shape and np.isfinite(restored).all()
    assert sum(shape[0] for shape in calls) == 3 * 5  # a 3 x 5 grid of 64px tiles


# --- model files ------------------------------------------------------------------


def _lambda_model(marker: Path) -> keras.Model:
    # The marker path is a constant inside the lambda's own code (no closure), so
    # the saved bytecode alone creates the marker when it runs.
    code = f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x)[1]"
    inputs = keras.Input((None, None, 1))
    return keras.Model(inputs, keras.layers.Lambda(eval(code))(inputs))  # noqa: S307


def test_lambda_model_is_refused_and_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    path = tmp_path / "lambda.keras"
    _lambda_model(marker).save(path)
    marker.unlink()  # building the model ran the lambda once
    with pytest.raises(ValueError, match=r"lambda.keras: cannot load Keras model"):
        load_keras_model(path)
    assert not marker.exists()
    result = runner.invoke(app, ["run", "--model", str(path), str(tmp_path), "o"])
    assert result.exit_code == 2 and "lambda.keras" in result.output
    assert not marker.exists()
    # the test can fail: loading unsafely does run the code
    keras.saving.load_model(path, safe_mode=False)(np.zeros((1, 4, 4, 1), np.float32))
    assert marker.exists()


def test_model_naming_an_arbitrary_callable_is_refused(
    model_path: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "executed"
    path = tmp_path / "evil.keras"
    config = {
        "module": "subprocess",
        "class_name": "Popen",
        "config": {"args": ["touch", str(marker)]},
        "registered_name": None,
    }
    with zipfile.ZipFile(model_path) as src, zipfile.ZipFile(path, "w") as dst:
        dst.writestr("metadata.json", src.read("metadata.json"))
        dst.writestr("config.json", json.dumps(config))
        dst.writestr("model.weights.h5", src.read("model.weights.h5"))
    with pytest.raises(ValueError, match="evil.keras: cannot load Keras model"):
        load(path)
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["truncated", "no-metadata", "bad-json", "empty"])
def test_damaged_model_file_one_line_exit_2(
    model_path: Path, tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "damaged.keras"
    data = model_path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        with zipfile.ZipFile(model_path) as src, zipfile.ZipFile(path, "w") as dst:
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


# --- synth blur, train, labels ----------------------------------------------------


def test_synth_blur_skips_bad_sources_and_lists_them(tmp_path: Path) -> None:
    folder = _bad_folder(tmp_path / "in")
    out = tmp_path / "out"
    args = ["synth", "blur", "--in", str(folder), "--out", str(out), "--copies", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert len(_failed_lines(result.output)) == len(BAD)
    assert sorted(p.name for p in (out / "sharp").iterdir()) == sorted(
        f"{Path(n).stem}_000.png" for n in GOOD
    )
    assert (out / "config.json").is_file() and not (out / INCOMPLETE).exists()


def test_synth_blur_same_stem_collision_one_line(tmp_path: Path) -> None:
    folder = _bad_folder(tmp_path / "in")
    PILImage.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "ok.bmp")
    args = ["synth", "blur", "--in", str(folder), "--out", str(tmp_path / "o")]
    result = runner.invoke(app, [*args, "--copies", "1"])
    assert result.exit_code == 2
    assert "same output name 'ok_000.png'" in result.output


def test_interrupted_dataset_can_be_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bad_folder(tmp_path / "in")
    out = tmp_path / "out"
    import deblur.synth.dataset as dataset

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(dataset, "_write_csv", crash)
        with pytest.raises(KeyboardInterrupt):
            write_blurred_dataset(folder, out, 1, seed=0, on_error=lambda p, e: None)
    assert (out / INCOMPLETE).is_file() and not (out / "config.json").exists()
    with pytest.raises(ValueError, match="not empty"):
        write_blurred_dataset(folder, out, 1, seed=0, on_error=lambda p, e: None)
    rows = write_blurred_dataset(
        folder, out, 1, seed=0, overwrite=True, on_error=lambda p, e: None
    )
    assert len(rows) == len(GOOD) and not (out / INCOMPLETE).exists()


def test_train_into_existing_run_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "checkpoints" / "checkpoint").write_text("x")
    result = runner.invoke(app, ["train", "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "already holds a training run" in (
        result.output
    )


def test_labels_null_byte_and_huge_field_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_bytes(b"file,text\nok\x00.png,AB\n")
    with pytest.raises(ValueError, match=r"labels.csv row 2: file 'ok\\x00.png'"):
        load_labels(tmp_path)
    (tmp_path / "labels.csv").write_text("file,text\nok.png," + "A" * 200_000 + "\n")
    with pytest.raises(ValueError, match="labels.csv row 2: not valid CSV"):
        load_labels(tmp_path)


def test_load_labels_without_image_checks_still_refuses_unsafe_paths(
    tmp_path: Path,
) -> None:
    (tmp_path / "labels.csv").write_text("file,text\nmissing.png,AB\n")
    assert [r.file for r in load_labels(tmp_path, check_images=False)] == [
        "missing.png"
    ]
    with pytest.raises(FileNotFoundError, match="missing.png"):
        load_labels(tmp_path)
    (tmp_path / "labels.csv").write_text("file,text\n../x.png,AB\n")
    with pytest.raises(ValueError, match="leaves the dataset folder"):
        load_labels(tmp_path, check_images=False)


# --- atomic writes ----------------------------------------------------------------


def test_deblur_run_crash_mid_write_leaves_no_final_file(
    model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bad_folder(tmp_path / "in")
    for name in BAD:
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
    results = list(deblur_folder(folder, tmp_path / "out", deblurrer=load(model_path)))
    assert [r.status for r in results] == ["failed"] * len(GOOD)
    assert all("disk full" in (r.error or "") for r in results)
    assert list((tmp_path / "out").iterdir()) == []  # no final and no temporary file


def test_write_image_crash_keeps_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.png"
    write_image(path, np.zeros((4, 4), np.float32))
    before = path.read_bytes()

    def fail(self: PILImage.Image, fp: object, *a: object, **k: object) -> None:
        Path(fp).write_bytes(b"\x89PNG half")  # type: ignore[arg-type]
        raise OSError("killed")

    monkeypatch.setattr(PILImage.Image, "save", fail)
    with pytest.raises(OSError, match="killed"):
        write_image(path, np.ones((4, 4), np.float32))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]
