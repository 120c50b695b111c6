"""plate-deblur: remove motion blur from licence-plate images.

``import deblur`` is light: TensorFlow is imported only by functions that need it.
"""

from __future__ import annotations

import os as _os

from deblur import deblurrers as _deblurrers  # noqa: F401  (fills the registry)
from deblur.config import BlurConfig, ModelConfig, PlateConfig, TileConfig, TrainConfig
from deblur.inference import load
from deblur.io import read_image, to_float, to_gray, to_uint8, write_image
from deblur.quiet import QUIET_ENV as _QUIET_ENV
from deblur.quiet import quiet_tensorflow as _quiet_tensorflow
from deblur.registry import (
    available_deblurrers,
    deblurrer_info,
    get_deblurrer,
    register_deblurrer,
)
from deblur.types import Deblurrer, Image

if _os.environ.get(_QUIET_ENV) == "1":  # started by a quiet CLI (bench workers)
    _quiet_tensorflow()

__all__ = [
    "BlurConfig",
    "Deblurrer",
    "Image",
    "ModelConfig",
    "PlateConfig",
    "TileConfig",
    "TrainConfig",
    "available_deblurrers",
    "deblurrer_info",
    "get_deblurrer",
    "load",
    "read_image",
    "register_deblurrer",
    "to_float",
    "to_gray",
    "to_uint8",
    "write_image",
]
