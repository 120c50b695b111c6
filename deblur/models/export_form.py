"""The export form of a model: the same function, in the layers runtimes run fastest.

Exported files (:mod:`deblur.export`) are made from this copy, not from the trained
model itself. It computes the same thing (within float rounding, checked on a probe at
every export) with fewer and simpler operations:

* Keras' ``LayerNormalization`` exports as a longer chain (squared difference, negate,
  and its scale and offset as separate multiply-adds). It becomes :class:`ChannelNorm`,
  a mean and a reciprocal square root over the channels, and its scale and offset are
  folded into the 1x1 convolution that alone reads it:
  ``W (g * n + b) + c = (W g) n + (W b + c)``.
* The channel attention's matmul on a ``(N, 1, 1, C)`` tensor exported with dynamic
  reshapes around it (shape, gather, product, pack), which XNNPACK cannot run, so LiteRT
  split the graph into dozens of pieces; :class:`~deblur.models.layers.ChannelAttention`
  now computes it as a 1x1 convolution (same numbers).
* A :class:`~deblur.models.layers.ScaledResidual`'s ``beta`` is folded into the 1x1
  convolution that alone makes its second input, which leaves a plain ``Add``.
* A transposed convolution whose kernel equals its stride (the U-Net's upsampling)
  becomes a 1x1 convolution and a depth-to-space (:class:`PixelShuffleConv`).
* ``PadToMultiple`` and ``CropLike`` pass through (``drop_padding``); the runtime
  wrappers pad to the size multiple themselves.

With these, LiteRT's XNNPACK delegate takes the whole graph. Against the files
exported before (2026-12-02, 25 interleaved calls on this project's 2-core CPU), the
shipped models run 1.4-1.7x as fast through LiteRT on 240x64 plates and 256x256 tiles,
one thread or two: ``fast`` 8.1 -> 5.6 ms a plate, the default 21.2 -> 14.6 ms on one
thread; the default 92 -> 58 ms a tile on two. Through onnxruntime the default plate
went from 25.4 to 16.7 ms (the transposed convolution made no difference there).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
from keras import ops

from deblur.models.layers import CropLike, PadToMultiple, ScaledResidual

__all__ = ["ChannelNorm", "PixelShuffleConv", "export_form"]


class ChannelNorm(keras.layers.Layer):
    """Normalise over the last axis, with no scale or offset (export only).

    ``(x - mean) / sqrt(var + epsilon)`` with the mean and the (biased) variance over
    the channels: what ``LayerNormalization(axis=-1)`` computes before its scale and
    offset.
    """

    def __init__(self, epsilon: float, **kwargs: Any) -> None:  # Any: Layer options
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, x: Any) -> Any:  # Any: backend tensor
        centred = x - ops.mean(x, axis=-1, keepdims=True)
        variance = ops.mean(centred * centred, axis=-1, keepdims=True)
        return centred * ops.rsqrt(variance + self.epsilon)

    def get_config(self) -> dict[str, Any]:  # Any: JSON-serialisable config
        return {**super().get_config(), "epsilon": self.epsilon}


class PixelShuffleConv(keras.layers.Layer):
    """A transposed convolution whose kernel equals its stride, as a 1x1 convolution to
    ``stride**2`` times the filters and a depth-to-space (export only).

    ``Conv2DTranspose(filters, r, strides=r)`` writes each input pixel's ``r x r``
    block on its own: ``y[r i + a, r j + b] = K[a, b] x[i, j] + bias``. That is a 1x1
    convolution whose outputs are laid out by ``depth_to_space``. The exporters turn
    the transposed convolution into an op whose output shape is computed at run time,
    which XNNPACK does not take, so LiteRT ran it in its slower reference kernels.
    """

    def __init__(
        self, filters: int, stride: int, **kwargs: Any
    ) -> None:  # Any: Layer options
        super().__init__(**kwargs)
        self.filters = filters
        self.stride = stride

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        outputs = self.filters * self.stride**2
        self.kernel = self.add_weight(
            name="kernel", shape=(1, 1, input_shape[-1], outputs)
        )
        self.bias = self.add_weight(name="bias", shape=(outputs,))

    def call(self, x: Any) -> Any:  # Any: backend tensor
        return ops.depth_to_space(ops.conv(x, self.kernel) + self.bias, self.stride)

    def get_config(self) -> dict[str, Any]:  # Any: JSON-serialisable config
        return {**super().get_config(), "filters": self.filters, "stride": self.stride}


class _PassThrough(keras.layers.Layer):
    def call(self, x: Any) -> Any:  # Any: backend tensor(s)
        return x[0] if isinstance(x, (list, tuple)) else x


def export_form(model: Any, *, drop_padding: bool = True) -> Any:  # Any: keras.Model
    """A copy of the functional `model` in its export form (see the module notes).

    Parameters
    ----------
    model : keras.Model
        A functional model. Layers that cannot be folded (a normalisation read by
        more than one layer, or not by a 1x1 convolution) keep their own weights.
    drop_padding : bool
        Let ``PadToMultiple`` and ``CropLike`` pass through: inputs must then be
        multiples of the model's size multiple.

    Returns
    -------
    keras.Model
        Same inputs and outputs; new layers, with weights computed from `model`'s.
    """
    readers, makers = _graph(model)
    folds: dict[str, dict[str, Any]] = {}  # conv name -> what to fold into it
    for layer in model.layers:
        if _is_channel_layer_norm(layer):
            only = readers[layer.name]
            if len(only) == 1 and _is_pointwise(model, only[0]):
                folds.setdefault(only[0], {})["norm"] = layer
        elif isinstance(layer, ScaledResidual):
            maker = makers[layer.name][1]
            if readers[maker] == [layer.name] and _is_pointwise(model, maker):
                folds.setdefault(maker, {})["residual"] = layer
    folded = {f[k].name for f in folds.values() for k in f}

    def clone(layer: Any) -> Any:  # Any: keras.layers.Layer
        if drop_padding and isinstance(layer, (PadToMultiple, CropLike)):
            return _PassThrough(name=layer.name)
        if layer.name in folded and isinstance(layer, ScaledResidual):
            return keras.layers.Add(name=layer.name)
        if layer.name in folded:  # a channel LayerNormalization
            return ChannelNorm(layer.epsilon, name=layer.name)
        if _is_block_transpose(layer):
            return PixelShuffleConv(layer.filters, layer.strides[0], name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    core = keras.models.clone_model(model, clone_function=clone)
    for layer in core.layers:
        if layer.name in folded or not layer.weights:
            continue
        weights = [np.asarray(w) for w in model.get_layer(layer.name).get_weights()]
        if isinstance(layer, PixelShuffleConv):
            weights = _shuffled(weights)
        layer.set_weights(_fold(weights, folds.get(layer.name, {})))
    return core


def _is_block_transpose(layer: Any) -> bool:  # Any: keras.layers.Layer
    """A ``Conv2DTranspose`` whose square kernel equals its stride (no overlap)."""
    if type(layer) is not keras.layers.Conv2DTranspose:
        return False
    config = layer.get_config()
    kernel, strides = tuple(layer.kernel_size), tuple(layer.strides)
    return (
        kernel == strides
        and kernel[0] == kernel[1]
        and config["padding"] == "valid"
        and config["activation"] == "linear"
        and layer.use_bias
        and config.get("output_padding") is None
        and tuple(config.get("dilation_rate", (1, 1))) == (1, 1)
    )


def _shuffled(weights: list[np.ndarray]) -> list[np.ndarray]:
    """A block transpose's ``[kernel (r, r, out, in), bias]`` as a
    :class:`PixelShuffleConv`'s ``[kernel (1, 1, in, r*r*out), bias]``: channel
    ``(a * r + b) * out + o`` of the 1x1 output is pixel ``(a, b)`` of filter ``o``,
    the order ``depth_to_space`` reads."""
    kernel, bias = weights
    r, _, filters, inputs = kernel.shape
    pointwise = kernel.transpose(3, 0, 1, 2).reshape(1, 1, inputs, r * r * filters)
    return [pointwise, np.tile(bias, r * r)]


def _fold(weights: list[np.ndarray], fold: dict[str, Any]) -> list[np.ndarray]:
    """A 1x1 convolution's ``[kernel, bias]`` with a norm before / a beta after it."""
    if not fold:
        return weights
    kernel, bias = weights
    if "norm" in fold:
        scale, offset = (np.asarray(w) for w in fold["norm"].get_weights())
        bias = bias + offset @ kernel[0, 0]
        kernel = kernel * scale[None, None, :, None]
    if "residual" in fold:
        (beta,) = (np.asarray(w) for w in fold["residual"].get_weights())
        kernel, bias = kernel * beta[None, None, None, :], bias * beta
    return [kernel, bias]


def _is_channel_layer_norm(layer: Any) -> bool:  # Any: keras.layers.Layer
    if not isinstance(layer, keras.layers.LayerNormalization):
        return False
    axis = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    return list(axis) in ([-1], [len(layer.input.shape) - 1]) and bool(
        layer.center and layer.scale and not getattr(layer, "rms_scaling", False)
    )


def _is_pointwise(model: Any, name: str) -> bool:  # Any: keras.Model
    layer = model.get_layer(name)
    return (
        type(layer) is keras.layers.Conv2D
        and tuple(layer.kernel_size) == (1, 1)
        and layer.use_bias
        and layer.get_config()["activation"] == "linear"
    )


def _graph(model: Any) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(readers, makers): each layer's consuming layers and its input layers, in
    order, from the model's serialised config (``keras_history`` of its inputs)."""
    readers: dict[str, list[str]] = {layer.name: [] for layer in model.layers}
    makers: dict[str, list[str]] = {}
    for entry in model.get_config()["layers"]:
        name = entry["name"]
        makers[name] = list(_histories(entry["inbound_nodes"]))
        for maker in makers[name]:
            readers[maker].append(name)
    return readers, makers


def _histories(node: Any) -> Iterator[str]:  # Any: nested JSON of a layer's inputs
    """The layer names in a serialised ``inbound_nodes`` structure, in order."""
    if isinstance(node, dict):
        if "keras_history" in node:
            yield node["keras_history"][0]
            return
        for value in node.values():
            yield from _histories(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _histories(value)
