"""The export form of a model: the same function, in the layers runtimes run fastest.

Exported files (:mod:`deblur.export`) are made from this copy, not from the trained
model itself. It computes the same thing (within float rounding, checked on a probe at
every export) with fewer and simpler operations:

* Keras' ``LayerNormalization`` exports with dynamic reshapes (shape, gather, product,
  pack) around every normalisation. XNNPACK cannot run those, so LiteRT split the
  graph into dozens of pieces. It becomes :class:`ChannelNorm`, a mean and a reciprocal
  square root over the channels.
* A normalisation's scale and offset are folded into the 1x1 convolution that alone
  reads it: ``W (g * n + b) + c = (W g) n + (W b + c)``.
* A :class:`~deblur.models.layers.ScaledResidual`'s ``beta`` is folded into the 1x1
  convolution that alone makes its second input, which leaves a plain ``Add``.
* ``PadToMultiple`` and ``CropLike`` pass through (``drop_padding``); the runtime
  wrappers pad to the size multiple themselves.

On this project's 2-core CPU this made the shipped NAF U-Nets run 1.7-1.8x as fast
through LiteRT and 1.5x through onnxruntime (``results/perf.md``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
from keras import ops

from deblur.models.layers import CropLike, PadToMultiple, ScaledResidual

__all__ = ["ChannelNorm", "export_form"]


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
        if layer.name in folded:
            return ChannelNorm(layer.epsilon, name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    core = keras.models.clone_model(model, clone_function=clone)
    for layer in core.layers:
        if layer.name in folded or not layer.weights:
            continue
        weights = [np.asarray(w) for w in model.get_layer(layer.name).get_weights()]
        layer.set_weights(_fold(weights, folds.get(layer.name, {})))
    return core


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
