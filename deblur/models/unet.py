"""``unet``: an efficient encoder-decoder with NAFNet-style blocks and a global residual.

Most of the computation runs at 1/4 and 1/8 resolution, where a few depthwise 3x3
convolutions already see far (each one reaches +-8 px of the input at 1/8), and every
block has global channel attention, so 31-px motion blurs are inside the receptive field
at a cost of a few thousand multiply-adds per pixel.
"""

from __future__ import annotations

import keras

from deblur.config import ModelConfig
from deblur.models.layers import (
    ChannelAttention,
    CropLike,
    PadToMultiple,
    ScaledResidual,
    SimpleGate,
    SliceChannels,
)

__all__ = ["BLEND_LOGIT", "build_unet"]

BLEND_LOGIT = (8.0, 4.0)
"""Gain and offset of a guide-blend weight's logit: ``m = sigmoid(8 z + 4)`` with the
convolution ``z`` starting at zero, so a new blend head starts at ``m = 0.98`` (close to
the guide alone, as a guided model without it) and learns 8x as fast as its weights."""


def _naf_block(x: keras.KerasTensor, channels: int, *, name: str) -> keras.KerasTensor:
    """NAFNet block: norm, pointwise, depthwise 3x3, gate, attention, pointwise; FFN."""
    y = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm1")(x)
    y = keras.layers.Conv2D(2 * channels, 1, name=f"{name}_expand")(y)
    y = keras.layers.DepthwiseConv2D(3, padding="same", name=f"{name}_dw")(y)
    y = SimpleGate(name=f"{name}_gate1")(y)
    y = ChannelAttention(channels, name=f"{name}_sca")(y)
    y = keras.layers.Conv2D(channels, 1, name=f"{name}_project")(y)
    x = ScaledResidual(channels, name=f"{name}_res1")([x, y])
    y = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm2")(x)
    y = keras.layers.Conv2D(2 * channels, 1, name=f"{name}_ffn1")(y)
    y = SimpleGate(name=f"{name}_gate2")(y)
    y = keras.layers.Conv2D(channels, 1, name=f"{name}_ffn2")(y)
    return ScaledResidual(channels, name=f"{name}_res2")([x, y])


def build_unet(cfg: ModelConfig) -> keras.Model:
    """Build the residual NAF U-Net.

    Levels ``0..depth-1`` halve the resolution and double the width; the middle runs
    ``cfg.blocks[-1]`` blocks at ``1 / 2**depth`` resolution; each decoder level has
    one block and adds the encoder skip. Inputs of any size run: the model pads to a
    multiple of ``2**depth`` internally and crops back.

    Parameters
    ----------
    cfg : ModelConfig
        ``arch == "unet"``; ``width``, ``depth``, ``blocks``, ``channels``.

    Returns
    -------
    keras.Model
        Input ``(None, None, cfg.input_channels)``, output ``(None, None,
        cfg.channels)``; output = input (or the guide image) + correction.
    """
    if cfg.arch != "unet":
        raise ValueError(f"cfg.arch must be 'unet', got {cfg.arch!r}")
    inputs = keras.Input(shape=(None, None, cfg.input_channels), name="blurred")
    padded = PadToMultiple(cfg.multiple, name="pad")(inputs)
    base = padded
    if cfg.guide != "none":
        base = SliceChannels(cfg.channels, 2 * cfg.channels, name="guide")(padded)
    x = keras.layers.Conv2D(cfg.width, 3, padding="same", name="intro")(padded)
    skips = []
    channels = cfg.width
    for level in range(cfg.depth):
        for b in range(cfg.blocks[level]):
            x = _naf_block(x, channels, name=f"enc{level}_b{b}")
        skips.append(x)
        x = keras.layers.Conv2D(2 * channels, 2, strides=2, name=f"down{level}")(x)
        channels *= 2
    for b in range(cfg.blocks[-1]):
        x = _naf_block(x, channels, name=f"mid_b{b}")
    for level in reversed(range(cfg.depth)):
        channels //= 2
        x = keras.layers.Conv2DTranspose(channels, 2, strides=2, name=f"up{level}")(x)
        x = keras.layers.Add(name=f"skip{level}")([x, skips[level]])
        x = _naf_block(x, channels, name=f"dec{level}_b0")
    # A guided model starts exactly at its guide (zero correction).
    init = "zeros" if cfg.guide != "none" else "glorot_uniform"
    correction = keras.layers.Conv2D(
        cfg.channels, 3, padding="same", kernel_initializer=init, name="ending"
    )(x)
    if cfg.guide_blend:
        base = _guide_blend(padded, base, x, cfg.channels)
    restored = keras.layers.Add(name="residual")([base, correction])
    outputs = CropLike(name="crop")([restored, inputs])
    return keras.Model(inputs, outputs, name="unet")


def _guide_blend(
    padded: keras.KerasTensor,
    guide: keras.KerasTensor,
    features: keras.KerasTensor,
    channels: int,
) -> keras.KerasTensor:
    """``image + m * (guide - image)``, ``m`` a per-pixel weight from `features`."""
    image = SliceChannels(0, channels, name="image")(padded)
    logit = keras.layers.Conv2D(
        1, 3, padding="same", kernel_initializer="zeros", name="blend_logit"
    )(features)
    gain, offset = BLEND_LOGIT
    logit = keras.layers.Rescaling(gain, offset, name="blend_scale")(logit)
    weight = keras.layers.Activation("sigmoid", name="blend_weight")(logit)
    step = keras.layers.Subtract(name="guide_step")([guide, image])
    step = keras.layers.Multiply(name="blend_step")([step, weight])
    return keras.layers.Add(name="blend")([image, step])
