from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from deblur.io import (
    atomic_write_bytes,
    read_image,
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
