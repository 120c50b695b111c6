from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any  # Any: the BadInputs fixture (conftest)

import numpy as np
import pytest
from PIL import Image as PILImage

import deblur.io
from deblur.io import (
    atomic_write_bytes,
    read_image,
    read_image_native,
    to_float,
    to_gray,
    to_uint8,
    write_image,
)
from deblur.types import check_image


def test_uint8_roundtrip_exact() -> None:
    data = np.arange(256, dtype=np.uint8).reshape(16, 16)
    np.testing.assert_array_equal(to_uint8(to_float(data)), data)


def test_to_float_rejects_float() -> None:
    with pytest.raises(TypeError, match="uint8 or uint16"):
        to_float(np.zeros(3, np.float32))  # type: ignore[arg-type]


def test_to_gray_weights() -> None:
    rgb = np.zeros((1, 1, 3), np.float32)
    rgb[..., 1] = 1.0
    assert to_gray(rgb)[0, 0] == pytest.approx(0.587)


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_write_then_read(tmp_path: Path, tiny_plate_rgb: np.ndarray, mode: str) -> None:
    path = tmp_path / "x.png"
    write_image(path, tiny_plate_rgb)
    image = read_image(path, mode=mode)
    assert image.dtype == np.float32
    assert image.shape == (
        tiny_plate_rgb.shape if mode == "RGB" else tiny_plate_rgb.shape[:2]
    )
    if mode == "RGB":
        np.testing.assert_allclose(image, tiny_plate_rgb, atol=1 / 255)
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]  # no temporary left behind
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)


def test_read_16bit_png(tmp_path: Path) -> None:
    data = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000).astype(np.uint16)
    PILImage.fromarray(data).save(tmp_path / "d.png")
    image = read_image(tmp_path / "d.png", mode="L")
    np.testing.assert_allclose(image, data / 65535.0, atol=1e-6)


def test_read_image_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        read_image(tmp_path / "missing.png")
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="bad.png"):
        read_image(tmp_path / "bad.png")
    with pytest.raises(ValueError, match="mode"):
        read_image(tmp_path / "bad.png", mode="CMYK")


def test_atomic_write_bytes_replaces(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    atomic_write_bytes(path, b"one")
    atomic_write_bytes(path, b"two")
    assert path.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["a.txt"]


@pytest.mark.parametrize(
    ("image", "error", "match"),
    [
        ([1, 2], TypeError, "numpy array"),
        (np.zeros((2, 2), np.uint8), TypeError, "float32"),
        (np.zeros(3, np.float32), ValueError, "2-D or 3-D"),
        (np.zeros((2, 2, 2), np.float32), ValueError, "channels"),
        (np.zeros((0, 2), np.float32), ValueError, "empty"),
    ],
)
def test_check_image_errors(image: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        check_image(image)


@pytest.mark.parametrize(
    ("size", "match"),
    [((20000, 20000), "exceeds the limit"), ((12000, 9000), "12000x9000 pixels")],
)
@pytest.mark.parametrize("reader", [read_image, read_image_native])
def test_read_image_pixel_guard_from_header(
    tmp_path: Path,
    png_claiming: Callable[[int, int], bytes],
    reader: object,
    size: tuple[int, int],
    match: str,
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


def test_read_image_bad_file_is_one_line_naming_it(bad_inputs: Any) -> None:
    folder = bad_inputs.folder
    for name in bad_inputs.bad:
        with pytest.raises(ValueError) as info:
            read_image(folder / name)
        message = str(info.value)
        assert message.startswith(str(folder / name)) and "\n" not in message, name


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


def test_atomic_write_bytes_crash_keeps_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "summary.csv"
    path.write_bytes(b"old\n")

    def crash(self: Path, data: bytes) -> int:
        self.open("wb").write(data[:3])
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_bytes", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(path, b"new content\n")
    monkeypatch.undo()
    assert path.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]


def test_write_image_native_png_is_lossless_and_run_length_coded(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (60, 240, 3), dtype=np.uint8)
    flat = np.zeros((300, 400, 3), np.uint8)
    flat[:, :200] = 200
    flat[100:150, 50:350] = 30
    for name, pixels in (("noise", noise), ("flat", flat)):
        source = tmp_path / f"{name}.png"
        PILImage.fromarray(pixels).save(source)
        image, info = read_image_native(source)
        target = tmp_path / f"{name}_out.png"
        deblur.io.write_image_native(target, image, info=info)
        with PILImage.open(target) as written:
            np.testing.assert_array_equal(np.asarray(written), pixels)
    # Z_RLE codes the flat image's long runs compactly (Huffman-only would not)
    assert (tmp_path / "flat_out.png").stat().st_size < 2_000
