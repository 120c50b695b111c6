"""Export a trained model to ONNX or TFLite (both take any input size).

ONNX goes through ``tf2onnx`` from a ``tf.function`` with a dynamic
``(None, None, None, C)`` input signature; the file carries ``channels`` and
``multiple`` metadata that :class:`deblur.inference.OnnxDeblurrer` reads. The converted
graph computes the model's internal pad-to-multiple wrongly for sizes that are not
already a multiple (tf2onnx turns the ``FloorMod`` of a negative size into a truncated
remainder), so the ONNX wrapper always pads inputs to the multiple itself.

TFLite goes through ``tf.lite.TFLiteConverter`` with the variables frozen into
constants, from a copy of the model without its internal pad-to-multiple and crop (the
TFLite builtin ``CONV_2D`` needs a known channel count, which the dynamic padding hides).
The file takes any ``(N, H, W, C)`` input whose ``H`` and ``W`` are multiples of the
model's size multiple; :class:`deblur.inference.LiteRtDeblurrer` pads to it. The file
carries the same ``channels``/``multiple``/``source`` metadata as the ONNX export, in
the flatbuffer's metadata table (:func:`deblur.inference.tflite_metadata` reads it).

Both are made from the model's export form (:func:`deblur.models.export_form.
export_form`): the same function with its normalisations and residual scales folded
into plain operations that the runtimes run faster.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from deblur.io import atomic_write_bytes
from deblur.tiling import round_up

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
    from deblur.models.export_form import export_form

    channels, multiple = _model_info(model)
    core = export_form(model, drop_padding=False)
    spec = [tf.TensorSpec([None, None, None, channels], tf.float32, name="blurred")]
    function = tf.function(lambda x: core(x, training=False), input_signature=spec)
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
    """Export `model` to TFLite with a dynamic ``(N, H, W, C)`` input.

    ``H`` and ``W`` must be multiples of the model's size multiple (the model's own
    padding is left out, see the module notes); run the file through
    :class:`deblur.inference.LiteRtDeblurrer` (``load(path)``), which pads, or through
    :func:`run_tflite`.

    Parameters
    ----------
    model : keras.Model
        Input ``(None, None, C)``.
    path : path-like
        Output ``.tflite`` file (written atomically).
    height, width : int
        Size of the random probe that checks the export against Keras (rounded up to
        the multiple).

    Returns
    -------
    ExportResult
        With the largest difference to Keras on that probe.
    """
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    from deblur.models.export_form import export_form

    if height < 8 or width < 8:
        raise ValueError(f"height and width must be >= 8, got {height} x {width}")
    channels, multiple = _model_info(model)
    core = export_form(model)
    spec = tf.TensorSpec([None, None, None, channels], tf.float32, name="blurred")
    function = tf.function(lambda x: core(x, training=False))
    frozen = convert_variables_to_constants_v2(function.get_concrete_function(spec))
    content = tf.lite.TFLiteConverter.from_concrete_functions([frozen]).convert()
    content = _with_tflite_metadata(
        content,
        {
            "channels": str(model.outputs[0].shape[-1]),  # restored channels
            "multiple": str(multiple),
            "source": "deblur",
        },
    )
    path = Path(path)
    atomic_write_bytes(path, content)
    probe = _probe((1, round_up(height, multiple), round_up(width, multiple), channels))
    error = float(np.abs(run_tflite(path, probe) - np.asarray(model(probe))).max())
    return ExportResult(path=path, format="tflite", max_abs_error=error)


def _with_tflite_metadata(content: bytes, entries: dict[str, str]) -> bytes:
    """`content` (a TFLite flatbuffer) with `entries` added to its metadata table."""
    from tensorflow.lite.tools import flatbuffer_utils

    schema = flatbuffer_utils.schema_fb
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(content))
    for name, value in entries.items():
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(value.encode("utf-8"), dtype=np.uint8)
        model.buffers.append(buffer)
        entry = schema.MetadataT()
        entry.name = name
        entry.buffer = len(model.buffers) - 1
        model.metadata = [*(model.metadata or []), entry]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def run_tflite(
    path: str | os.PathLike[str], batch: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Run an exported ``.tflite`` file on `batch` as it is (no padding).

    Raises
    ------
    ValueError
        If `batch` is not ``(N, H, W, C)`` with ``H`` and ``W`` multiples of the
        model's size multiple (:class:`deblur.inference.LiteRtDeblurrer` pads for you).
    """
    from deblur.inference import LiteRtDeblurrer

    model = LiteRtDeblurrer(path)
    if (
        batch.ndim != 4
        or batch.shape[1] % model.multiple
        or batch.shape[2] % model.multiple
    ):
        raise ValueError(
            f"{path}: expects (N, H, W, C) batches with H and W multiples of "
            f"{model.multiple}, got {batch.shape}"
        )
    return model._run(batch)


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
