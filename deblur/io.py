"""Read and write images; the only place where uint8 <-> float32 conversion lives.

Writes are atomic: the image is written to a temporary file in the target folder and
renamed into place, so a crash never leaves a half-written file under its final name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from deblur.types import Image

__all__ = [
    "to_float",
    "to_uint8",
    "read_image",
    "write_image",
    "to_gray",
    "atomic_write_bytes",
    "atomic_path",
    "atomic_write",
    "ImageInfo",
    "read_image_native",
    "write_image_native",
    "output_format",
    "IMAGE_SUFFIXES",
]

_UMASK = os.umask(0)
os.umask(_UMASK)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif")
"""File suffixes read as images by folder commands (compared case-insensitively)."""

MAX_PIXELS = 100_000_000
"""Refuse images larger than this many pixels (decompression-bomb guard)."""

PNG_COMPRESS_LEVEL = 1
"""zlib level of written PNGs. On a 240x60 restored plate level 1 encodes in 1.1 ms and
26.9 kB, Pillow's default 6 in 4.4 ms and 25.1 kB: in a folder run the encoder was the
largest cost after the model (``results/perf.md``)."""

PNG_COMPRESS_TYPE = zlib.Z_RLE
"""zlib strategy of written PNGs: run-length matches only. At level 1 on eight restored
240x60 plates (mean) it encoded in 1.25 ms and 33.0 kB against the default strategy's
1.69 ms and 37.1 kB; on four ``skimage.data`` photos 18-22% faster and 7-12% smaller,
and on a flat synthetic 1000x750 image as fast and a third of the size (4 against 12
kB), measured 2026-12-02. Huffman-only, as fast on photos, made the flat image 23x
larger."""


def to_float(array: NDArray[np.integer]) -> Image:
    """Convert an integer image (uint8 or uint16) to float32 in [0, 1].

    Parameters
    ----------
    array : ndarray of uint8 or uint16
        Image data.

    Returns
    -------
    image : ndarray of float32 in [0, 1]

    Raises
    ------
    TypeError
        If `array` is not uint8 or uint16.

    Examples
    --------
    >>> to_float(np.array([[0, 255]], dtype=np.uint8)).tolist()
    [[0.0, 1.0]]
    """
    if array.dtype == np.uint8:
        return array.astype(np.float32) / np.float32(255.0)
    if array.dtype == np.uint16:
        return array.astype(np.float32) / np.float32(65535.0)
    raise TypeError(f"array must be uint8 or uint16, got dtype {array.dtype}")


def to_uint8(image: Image) -> NDArray[np.uint8]:
    """Convert a float image in [0, 1] to uint8, clipping and rounding.

    Examples
    --------
    >>> to_uint8(np.array([[0.0, 0.5, 1.2]], dtype=np.float32)).tolist()
    [[0, 128, 255]]
    """
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def to_gray(image: Image) -> Image:
    """Return the ITU-R BT.601 luminance of an RGB(A) image; grayscale passes through.

    References
    ----------
    ITU-R Recommendation BT.601, Y = 0.299 R + 0.587 G + 0.114 B.
    """
    if image.ndim == 2:
        return image
    if image.shape[2] == 1:
        return image[..., 0]
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.asarray(image[..., :3] @ weights, dtype=np.float32)


def read_image(path: str | os.PathLike[str], *, mode: str = "RGB") -> Image:
    """Read an image file as float32 in [0, 1].

    EXIF orientation is applied, palette and 16-bit images are converted.

    Parameters
    ----------
    path : path-like
        Image file.
    mode : {"RGB", "L"}
        ``"RGB"`` returns (H, W, 3); ``"L"`` returns (H, W) luminance.

    Returns
    -------
    image : ndarray of float32 in [0, 1]

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not a readable image, or `mode` is unknown.
    """
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image not found: {path}")
    try:
        with _open_checked(path) as opened:
            pil = ImageOps.exif_transpose(opened)
            if pil.mode in ("I;16", "I;16B", "I;16L", "I"):
                data = np.asarray(pil, dtype=np.float32) / np.float32(65535.0)
                data = np.clip(data, 0.0, 1.0)
                return data if mode == "L" else np.repeat(data[..., None], 3, axis=2)
            converted = pil.convert(mode)
            return to_float(np.asarray(converted))
    except UnidentifiedImageError as err:
        raise ValueError(
            f"{path}: not a readable image ({_unidentified(path)})"
        ) from err
    except (OSError, SyntaxError) as err:
        raise ValueError(f"{path}: not a readable image ({err})") from err


def _unidentified(path: Path) -> str:
    """Why Pillow could not identify `path` (its own message repeats the path)."""
    if path.stat().st_size == 0:
        return "empty file"
    return "unknown format or damaged header"


@contextlib.contextmanager
def _open_checked(path: Path) -> Iterator[PILImage.Image]:
    """Open `path` with Pillow, refusing images over :data:`MAX_PIXELS` pixels.

    The size comes from the header, so nothing is decoded; Pillow's own
    decompression-bomb warning and error are replaced by this one guard.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
        try:
            opened = PILImage.open(path)
        except PILImage.DecompressionBombError as err:
            raise ValueError(
                f"{path}: image exceeds the limit of {MAX_PIXELS} pixels ({err})"
            ) from err
    with opened:
        if opened.width * opened.height > MAX_PIXELS:
            raise ValueError(
                f"{path}: image of {opened.width}x{opened.height} pixels exceeds the "
                f"limit of {MAX_PIXELS} pixels"
            )
        yield opened


def atomic_path(path: str | os.PathLike[str]) -> Path:
    """Return a temporary path in the same folder as `path`, for write-then-rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent
    )
    os.close(fd)
    os.chmod(
        tmp, 0o666 & ~_UMASK
    )  # mkstemp makes 0600; finished files get the usual mode
    return Path(tmp)


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary file beside `path`, then rename it into place.

    A crash inside `write` leaves `path` as it was and no temporary file behind.
    """
    path = Path(path)
    tmp = atomic_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically (temporary file + rename)."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_image(
    path: str | os.PathLike[str], image: Image, *, format: str | None = None
) -> None:
    """Write a float image in [0, 1] as an 8-bit file, atomically.

    Parameters
    ----------
    path : path-like
        Destination; its suffix picks the format unless `format` is given.
    image : (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) ndarray of float32 in [0, 1]
        Image to write; values are clipped.
    format : str, optional
        Pillow format name, e.g. ``"PNG"``.
    """
    data = to_uint8(image)
    if data.ndim == 3 and data.shape[2] == 1:
        data = data[..., 0]
    path = Path(path)
    image_format = format or _format_for(path)
    atomic_write(
        path, lambda tmp: PILImage.fromarray(data).save(tmp, format=image_format)
    )


def _format_for(path: Path) -> str:
    ext = path.suffix.lower()
    known = PILImage.registered_extensions()
    if ext not in known:
        raise ValueError(f"cannot tell the image format of {path} from its suffix")
    return known[ext]


# --- Mode-preserving read/write for `deblur run` (inference helper) -------------------

_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I")


@dataclass(frozen=True, kw_only=True)
class ImageInfo:
    """How an image file was stored, so a restored copy can be written the same way.

    Attributes
    ----------
    format : str or None
        Pillow format of the source (``"PNG"``, ``"JPEG"``...).
    mode : str
        Pillow mode to write: ``"L"``, ``"LA"``, ``"RGB"``, ``"RGBA"`` or ``"I;16"``.
    icc_profile : bytes or None
        Embedded colour profile, written back when present.
    """

    format: str | None
    mode: str
    icc_profile: bytes | None = None


def _native_mode(pil: PILImage.Image) -> str:
    if pil.mode in _SIXTEEN_BIT:
        return "I;16"
    if pil.mode in ("1", "L"):
        return "L"
    if pil.mode in ("LA", "La"):
        return "LA"
    if pil.mode == "RGBA" or pil.mode in ("PA", "RGBa"):
        return "RGBA"
    if pil.mode == "P" and "transparency" in pil.info:
        return "RGBA"
    return "RGB"


def read_image_native(path: str | os.PathLike[str]) -> tuple[Image, ImageInfo]:
    """Read an image keeping its channel layout and bit depth, as float32 in [0, 1].

    EXIF orientation is applied (the result has the displayed size).

    Parameters
    ----------
    path : path-like
        Image file.

    Returns
    -------
    image : ndarray of float32 in [0, 1]
        ``(H, W)`` for grayscale and 16-bit grayscale, ``(H, W, 3)`` for RGB and for
        palette or other colour modes (CMYK, YCbCr...), ``(H, W, 4)`` for RGBA, palette
        with transparency and gray+alpha (gray replicated into RGB).
    info : ImageInfo
        What :func:`write_image_native` needs to write the same layout back.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not a readable image or is too large.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image not found: {path}")
    try:
        with _open_checked(path) as opened:
            source_format = opened.format
            icc = opened.info.get("icc_profile")
            pil = ImageOps.exif_transpose(opened)
            mode = _native_mode(pil)
            info = ImageInfo(format=source_format, mode=mode, icc_profile=icc or None)
            if mode == "I;16":
                data = np.asarray(pil, dtype=np.float32) / np.float32(65535.0)
                return np.clip(data, 0.0, 1.0), info
            convert = {"L": "L", "LA": "RGBA", "RGBA": "RGBA", "RGB": "RGB"}[mode]
            return to_float(np.asarray(pil.convert(convert))), info
    except UnidentifiedImageError as err:
        raise ValueError(
            f"{path}: not a readable image ({_unidentified(path)})"
        ) from err
    except (OSError, SyntaxError) as err:
        raise ValueError(f"{path}: not a readable image ({err})") from err


_KEEPS_ALPHA = ("PNG", "TIFF", "WEBP")
_KEEPS_16_BIT = ("PNG", "TIFF")


def output_format(path: str | os.PathLike[str]) -> str:
    """Return the Pillow format that `path`'s extension asks for.

    Parameters
    ----------
    path : path-like
        Output file; its suffix must be one of :data:`IMAGE_SUFFIXES`.

    Returns
    -------
    str
        ``"PNG"``, ``"JPEG"``, ``"TIFF"``...

    Raises
    ------
    ValueError
        If the suffix is not an image extension this package writes.

    Examples
    --------
    >>> output_format("out/plate.JPG")
    'JPEG'
    """
    path = Path(path)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(
            f"output {path}: unknown image extension {path.suffix or '(none)'!r}; "
            f"use one of {', '.join(IMAGE_SUFFIXES)}, or end the path with / for a folder"
        )
    return _format_for(path)


def write_image_native(
    path: str | os.PathLike[str], image: Image, *, info: ImageInfo
) -> None:
    """Write `image` atomically in the layout described by `info`, as `path` names.

    The format follows the extension of `path` (:func:`output_format`), not the
    source's. 16-bit sources are written back as 16-bit grayscale and alpha is kept
    where the format holds them (PNG, TIFF; alpha also WebP); elsewhere they become
    8-bit gray and the alpha channel is dropped. Everything else is 8-bit L/RGB/RGBA.
    JPEG is written at quality 95.

    Parameters
    ----------
    path : path-like
        Destination; its suffix picks the format.
    image : ndarray of float32 in [0, 1]
        As returned by :func:`read_image_native` (after restoration); values clipped.
    info : ImageInfo
        Layout of the source file.

    Raises
    ------
    ValueError
        If the suffix of `path` is not an image extension (see :func:`output_format`).
    """
    path = Path(path)
    image_format = output_format(path)
    if info.mode == "I;16" and image_format in _KEEPS_16_BIT:
        plane = image if image.ndim == 2 else to_gray(image)
        data16 = np.round(np.clip(plane, 0.0, 1.0) * 65535.0).astype(np.uint16)
        pil = PILImage.fromarray(data16)
    else:
        data = to_uint8(image)
        if data.ndim == 3 and data.shape[2] == 1:
            data = data[..., 0]
        pil = PILImage.fromarray(data)
        if info.mode == "LA":
            pil = pil.convert("LA")
        if pil.mode in ("RGBA", "LA") and image_format not in _KEEPS_ALPHA:
            pil = pil.convert(pil.mode[:-1])
    options: dict[str, object] = {}
    if info.icc_profile is not None:
        options["icc_profile"] = info.icc_profile
    if image_format == "JPEG":
        options["quality"] = 95
    if image_format == "PNG":  # level 1, Z_RLE: 3x faster than Pillow's 6, as small
        options["compress_level"] = PNG_COMPRESS_LEVEL
        options["compress_type"] = PNG_COMPRESS_TYPE
    atomic_write(path, lambda tmp: pil.save(tmp, format=image_format, **options))
