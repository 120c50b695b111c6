"""Shared types and conventions for the `deblur` package.

Images inside the library are ``float32`` arrays in ``[0, 1]``, channels-last:
``(H, W)`` for grayscale or ``(H, W, C)`` for colour. Conversion from and to ``uint8``
happens only in :mod:`deblur.io`. Batch dimensions exist only in model and tiling code.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = ["Image", "PSF", "Deblurrer", "check_image"]

Image = NDArray[np.float32]
"""A float32 image in [0, 1], shape (H, W) or (H, W, C)."""

PSF = NDArray[np.float64]
"""A 2-D blur kernel that sums to 1."""


@runtime_checkable
class Deblurrer(Protocol):
    """Anything that restores a blurred image.

    Contract: same shape and dtype out as in, values in ``[0, 1]``, the input is never
    modified, and the output is deterministic for a given construction.
    """

    name: str

    def __call__(self, image: Image) -> Image: ...


def check_image(
    image: object,
    *,
    name: str = "image",
    channels: tuple[int, ...] | None = (1, 3, 4),
) -> Image:
    """Validate that `image` is a float32 (H, W) or (H, W, C) array and return it.

    Parameters
    ----------
    image : object
        Candidate image.
    name : str
        Argument name used in error messages.
    channels : tuple of int or None
        Allowed channel counts of a 3-D image; None allows any.

    Returns
    -------
    image : ndarray
        The same object, typed as :data:`Image`.

    Raises
    ------
    TypeError
        If `image` is not a numpy array or not float32.
    ValueError
        If `image` is not 2-D or 3-D, has an unsupported channel count or is empty.
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.float32:
        raise TypeError(f"{name} must be float32 in [0, 1], got dtype {image.dtype}")
    if image.ndim not in (2, 3):
        raise ValueError(f"{name} must be 2-D or 3-D, got shape {image.shape}")
    if image.ndim == 3 and channels is not None and image.shape[2] not in channels:
        raise ValueError(
            f"{name} must have {channels} channels, got shape {image.shape}"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {image.shape}")
    return image
