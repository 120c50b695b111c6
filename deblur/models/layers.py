"""Custom Keras layers used by the model builders (all serializable)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

__all__ = [
    "SliceChannels",
    "SimpleGate",
    "ChannelAttention",
    "ScaledResidual",
    "PadToMultiple",
    "CropLike",
]


@keras.saving.register_keras_serializable(package="deblur")
class SimpleGate(keras.layers.Layer):
    """Split channels in two halves and multiply them (NAFNet's activation).

    References
    ----------
    L. Chen, X. Chu, X. Zhang, J. Sun, "Simple Baselines for Image Restoration",
    ECCV 2022.
    """

    def call(self, x: Any) -> Any:  # Any: backend tensor
        a, b = ops.split(x, 2, axis=-1)
        return a * b

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple:
        channels = input_shape[-1]
        return (*input_shape[:-1], None if channels is None else channels // 2)


@keras.saving.register_keras_serializable(package="deblur")
class ChannelAttention(keras.layers.Layer):
    """Simplified channel attention: global average pool, 1x1 conv, rescale input."""

    def __init__(self, channels: int, **kwargs: Any) -> None:  # Any: Layer options
        super().__init__(**kwargs)
        self.channels = channels

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.channels, self.channels),
            initializer="glorot_uniform",
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.channels,), initializer="zeros"
        )

    def call(self, x: Any) -> Any:  # Any: backend tensor
        pooled = ops.mean(x, axis=(1, 2), keepdims=True)
        # A 1x1 convolution, not a matmul: the same numbers, but exporters turn a
        # matmul of a (N, 1, 1, C) tensor into reshapes around a fully connected op.
        kernel = ops.reshape(self.kernel, (1, 1, self.channels, self.channels))
        weights = ops.conv(pooled, kernel) + self.bias
        return x * weights

    def get_config(self) -> dict[str, Any]:  # Any: JSON-serialisable config
        return {**super().get_config(), "channels": self.channels}


@keras.saving.register_keras_serializable(package="deblur")
class ScaledResidual(keras.layers.Layer):
    """Return ``x + beta * y`` with a learnable per-channel ``beta`` initialised to 0.

    Starting every block as the identity keeps a deep residual network stable.
    """

    def __init__(self, channels: int, **kwargs: Any) -> None:  # Any: Layer options
        super().__init__(**kwargs)
        self.channels = channels

    def build(self, input_shape: Any) -> None:  # Any: list of two shapes
        self.beta = self.add_weight(
            name="beta", shape=(self.channels,), initializer="zeros"
        )

    def call(self, inputs: list[Any]) -> Any:  # Any: backend tensors
        x, y = inputs
        return x + self.beta * y

    def compute_output_shape(self, input_shape: Any) -> Any:  # Any: list of shapes
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:  # Any: JSON-serialisable config
        return {**super().get_config(), "channels": self.channels}


@keras.saving.register_keras_serializable(package="deblur")
class PadToMultiple(keras.layers.Layer):
    """Reflect-pad height and width up to a multiple of `multiple` (bottom/right)."""

    def __init__(self, multiple: int, **kwargs: Any) -> None:  # Any: Layer options
        super().__init__(**kwargs)
        self.multiple = multiple

    def call(self, x: Any) -> Any:  # Any: backend tensor
        shape = ops.shape(x)
        pad_h = (-shape[1]) % self.multiple
        pad_w = (-shape[2]) % self.multiple
        return ops.pad(x, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]], mode="symmetric")

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple:
        return (input_shape[0], None, None, input_shape[3])

    def get_config(self) -> dict[str, Any]:  # Any: JSON-serialisable config
        return {**super().get_config(), "multiple": self.multiple}


@keras.saving.register_keras_serializable(package="deblur")
class CropLike(keras.layers.Layer):
    """Crop the first input to the height and width of the second."""

    def call(self, inputs: list[Any]) -> Any:  # Any: backend tensors
        x, like = inputs
        shape = ops.shape(like)
        return x[:, : shape[1], : shape[2], :]

    def compute_output_shape(self, input_shape: Any) -> Any:  # Any: list of shapes
        return (*input_shape[1][:3], input_shape[0][3])


@keras.saving.register_keras_serializable(package="deblur")
class SliceChannels(keras.layers.Layer):
    """Return channels ``start:stop`` of the input (used to pick the guide image)."""

    def __init__(
        self, start: int, stop: int, **kwargs: Any
    ) -> None:  # Any: Layer options
        super().__init__(**kwargs)
        self.start = start
        self.stop = stop

    def call(self, x: Any) -> Any:  # Any: backend tensor
        return x[..., self.start : self.stop]

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple:
        return (*input_shape[:-1], self.stop - self.start)

    def get_config(self) -> dict[str, Any]:  # Any: JSON-serialisable config
        return {**super().get_config(), "start": self.start, "stop": self.stop}
