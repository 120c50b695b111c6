"""Fixtures shared by the deblur tests: labelled and bad input folders, a tiny model."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage


@pytest.fixture
def labelled_folder(tmp_path: Path) -> Path:
    """Three readable plates, one corrupt one, and a labels.csv naming all four."""
    from deblur.io import write_image

    folder = tmp_path / "labelled"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for name in ("a.png", "b.png", "c.png"):
        write_image(folder / name, rng.random((24, 64, 3)).astype(np.float32))
    (folder / "bad.png").write_bytes(b"not a png")
    rows = ["file,text", "a.png,AB12 CDE", "bad.png,XX1", "b.png,7KL-42", "c.png,Q9"]
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    return folder


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(kind + data))
    return struct.pack(">I", len(data)) + kind + data + crc


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` (8-bit gray)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _chunk(b"IEND", b"")
    )


@pytest.fixture
def png_claiming() -> Callable[[int, int], bytes]:
    """``png_claiming(width, height)``: PNG bytes whose header claims that size."""
    return _png_claiming


@dataclass(frozen=True)
class BadInputs:
    """A folder of good images (incl. 1x1) and one of each kind of bad file."""

    folder: Path
    good: tuple[str, ...] = ("ok.png", "photo.jpg", "one.png")
    bad: tuple[str, ...] = (
        "empty.png",
        "trunc.png",
        "trunc.jpg",
        "text.png",
        "huge.png",
        "bomb.png",
    )


@pytest.fixture
def bad_inputs(tmp_path: Path) -> BadInputs:
    """Corrupt, empty, truncated and non-image files, and headers claiming huge sizes."""
    folder = tmp_path / "in"
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
    (folder / "huge.png").write_bytes(_png_claiming(20000, 20000))
    (folder / "bomb.png").write_bytes(_png_claiming(12000, 9000))  # warns in Pillow
    return BadInputs(folder)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved, untrained U-Net of width 4 (a model file that loads in a second)."""
    import keras

    from deblur.config import ModelConfig
    from deblur.models import build_model

    keras.utils.set_random_seed(0)
    model = build_model(ModelConfig(arch="unet", width=4, depth=2, blocks=(1, 1, 1)))
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    return path
