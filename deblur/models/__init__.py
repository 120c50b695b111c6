"""Keras model builders: ``plain15`` (2017 reference), ``res15`` and ``unet``.

Importing this package imports Keras; ``import deblur`` does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from deblur.config import ModelConfig
from deblur.models import layers  # noqa: F401  (registers the custom layers)
from deblur.models.plain import build_plain15
from deblur.models.residual import build_res15
from deblur.models.unet import build_unet

__all__ = [
    "build_model",
    "ModelStats",
    "model_stats",
    "build_plain15",
    "build_res15",
    "build_unet",
]

_BUILDERS = {"plain15": build_plain15, "res15": build_res15, "unet": build_unet}


def build_model(cfg: ModelConfig) -> keras.Model:
    """Build the architecture named by ``cfg.arch``."""
    return _BUILDERS[cfg.arch](cfg)


@dataclass(frozen=True)
class ModelStats:
    """Size and cost of a model."""

    params: int
    macs_per_pixel: float


def model_stats(
    model: keras.Model, *, probe: tuple[int, int] = (64, 128)
) -> ModelStats:
    """Count parameters and multiply-adds per input pixel of a convolutional model.

    Convolution layers (``Conv2D``, ``DepthwiseConv2D``, ``Conv2DTranspose``) and the
    channel-attention matmuls are counted at their actual resolution by running one
    probe image of size `probe`; element-wise work is ignored.
    """
    convs = [
        layer
        for layer in model.layers
        if isinstance(
            layer,
            keras.layers.Conv2D
            | keras.layers.DepthwiseConv2D
            | keras.layers.Conv2DTranspose,
        )
    ]
    probe_model = keras.Model(model.inputs, [layer.output for layer in convs])
    channels = model.inputs[0].shape[-1]
    outputs = probe_model(np.zeros((1, *probe, channels), np.float32))
    if not isinstance(outputs, list | tuple):
        outputs = [outputs]
    macs = 0.0
    for layer, out in zip(convs, outputs, strict=True):
        h, w, c_out = out.shape[1], out.shape[2], out.shape[3]
        kernel = layer.kernel.shape
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            per_out = kernel[0] * kernel[1]
        elif isinstance(layer, keras.layers.Conv2DTranspose):
            # each input pixel scatters k*k*c_out values: in_pixels*k*k*c_in*c_out
            per_out = (
                kernel[0]
                * kernel[1]
                * kernel[3]
                / (layer.strides[0] * layer.strides[1])
            )
        else:
            per_out = kernel[0] * kernel[1] * kernel[2]
        macs += h * w * c_out * per_out
    return ModelStats(
        params=int(model.count_params()), macs_per_pixel=macs / (probe[0] * probe[1])
    )
