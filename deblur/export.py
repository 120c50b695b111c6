"""Export a trained model to ONNX (any input size) or TFLite (one fixed input size).

ONNX goes through ``tf2onnx`` from a ``tf.function`` with a dynamic
``(None, None, None, C)`` input signature; the file carries ``channels`` and
``multiple`` metadata that :class:`deblur.inference.OnnxDeblurrer` reads. The converted
graph computes the model's internal pad-to-multiple wrongly for sizes that are not
already a multiple (tf2onnx turns the ``FloorMod`` of a negative size into a truncated
remainder), so the ONNX wrapper always pads inputs to the multiple itself.

TFLite goes through ``tf.lite.TFLiteConverter`` with the variables frozen into
constants. The TFLite builtin ``CONV_2D`` needs a known channel count, which the
models' dynamic reflect-padding hides, so a TFLite file has one fixed input shape
``(1, height, width, C)``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from deblur.io import atomic_write_bytes

__all__ = [
    "ExportResult",
    "export_model",
    "export_onnx",
    "export_tflite",
    "run_tflite",
    "FORMATS",
]

FORMATS = ("onnx", "tflite")

ONNX_OPSET = 17


@dataclass(frozen=True, kw_only=True)
class ExportResult:
    """What was written.

    Attributes
    ----------
    path : Path
        The exported file.
    format : {"onnx", "tflite"}
    max_abs_error : float
        Largest absolute difference between the exported model and Keras on a random
        probe image (checked right after export).
    """

    path: Path
    format: str
    max_abs_error: float


def _model_info(model: Any) -> tuple[int, int]:  # Any: keras.Model
    from deblur.inference import model_multiple

    channels = model.inputs[0].shape[-1]
    out = model.outputs[0].shape[-1]
    if out not in (1, 3) or channels not in (out, 2 * out):
        raise ValueError(
            "model must map 1 or 3 channels to themselves, or twice that many "
            f"(image + guide) to them; got {channels} -> {out}"
        )
    return int(channels), model_multiple(model)


def _probe(shape: tuple[int, ...]) -> NDArray[np.float32]:
    return np.random.default_rng(0).random(shape, dtype=np.float32)


def export_onnx(
    model: Any,  # Any: keras.Model
    path: str | os.PathLike[str],
    *,
    opset: int = ONNX_OPSET,
) -> ExportResult:
    """Export `model` to ONNX with a dynamic ``(N, H, W, C)`` input named ``blurred``.

    Parameters
    ----------
    model : keras.Model
        Input ``(None, None, C)``.
    path : path-like
        Output ``.onnx`` file (written atomically).
    opset : int
        ONNX opset.

    Returns
    -------
    ExportResult
        With the largest difference to Keras on a 32 x 96 probe.
    """
    import onnx
    import tensorflow as tf
    import tf2onnx

    from deblur.inference import OnnxDeblurrer

    channels, multiple = _model_info(model)
    spec = [tf.TensorSpec([None, None, None, channels], tf.float32, name="blurred")]
    function = tf.function(lambda x: model(x, training=False), input_signature=spec)
    proto, _ = tf2onnx.convert.from_function(
        function, input_signature=spec, opset=opset
    )
    onnx.helper.set_model_props(
        proto,
        {
            "channels": str(model.outputs[0].shape[-1]),  # restored channels
            "multiple": str(multiple),
            "source": "deblur",
        },
    )
    path = Path(path)
    atomic_write_bytes(path, proto.SerializeToString())
    probe = _probe((1, 32, 96, channels))
    expected = np.asarray(model(probe))
    exported = OnnxDeblurrer(path).predict_batch(probe)[..., : expected.shape[-1]]
    error = float(np.abs(exported - expected).max())
    return ExportResult(path=path, format="onnx", max_abs_error=error)


def export_tflite(
    model: Any,  # Any: keras.Model
    path: str | os.PathLike[str],
    *,
    height: int = 64,
    width: int = 256,
) -> ExportResult:
    """Export `model` to TFLite for one fixed input shape ``(1, height, width, C)``.

    Parameters
    ----------
    model : keras.Model
        Input ``(None, None, C)``.
    path : path-like
        Output ``.tflite`` file (written atomically).
    height, width : int
        The fixed input size (TFLite's builtin convolution cannot take the dynamic
        shape; see the module notes).

    Returns
    -------
    ExportResult
        With the largest difference to Keras on a random probe of that size.
    """
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    if height < 8 or width < 8:
        raise ValueError(f"height and width must be >= 8, got {height} x {width}")
    channels, _ = _model_info(model)
    spec = tf.TensorSpec([1, height, width, channels], tf.float32, name="blurred")
    function = tf.function(lambda x: model(x, training=False))
    frozen = convert_variables_to_constants_v2(function.get_concrete_function(spec))
    content = tf.lite.TFLiteConverter.from_concrete_functions([frozen]).convert()
    path = Path(path)
    atomic_write_bytes(path, content)
    probe = _probe((1, height, width, channels))
    error = float(np.abs(run_tflite(path, probe) - np.asarray(model(probe))).max())
    return ExportResult(path=path, format="tflite", max_abs_error=error)


def run_tflite(
    path: str | os.PathLike[str], batch: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Run an exported ``.tflite`` file on `batch` (its fixed input shape)."""
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    (given,) = interpreter.get_input_details()
    if tuple(given["shape"]) != batch.shape:
        raise ValueError(
            f"{path}: expects input shape {tuple(given['shape'])}, got {batch.shape}"
        )
    interpreter.set_tensor(given["index"], batch)
    interpreter.invoke()
    (output,) = interpreter.get_output_details()
    return np.asarray(interpreter.get_tensor(output["index"]), dtype=np.float32)


def export_model(
    name_or_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    format: str = "onnx",
    height: int = 64,
    width: int = 256,
) -> ExportResult:
    """Load a model (as :func:`deblur.inference.load` does) and export it.

    Parameters
    ----------
    name_or_path : str or path-like
        Shipped weights name, ``.keras`` file or training run folder.
    out : path-like
        Output file.
    format : {"onnx", "tflite"}
        Target format.
    height, width : int
        TFLite input size (ignored for ONNX).

    Raises
    ------
    ValueError
        If `format` is unknown, the model is not a Keras model or cannot be loaded.
    FileNotFoundError
        If the model does not exist.
    """
    from deblur.inference import load_keras_model, resolve_model

    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    path = resolve_model(name_or_path)
    if path.suffix.lower() != ".keras":
        raise ValueError(f"only .keras models can be exported, got {path}")
    model = load_keras_model(path)
    if format == "onnx":
        return export_onnx(model, out)
    return export_tflite(model, out, height=height, width=width)
