"""Model-backed deblurrers, safe model loading and folder inference.

``load("default")`` returns a :class:`~deblur.types.Deblurrer` for the shipped weights,
a ``.keras`` file, a training run folder or an exported ``.onnx`` or ``.tflite`` file.
The shipped weights run through LiteRT (XNNPACK) when it is installed, else
onnxruntime, else Keras (``results/perf.md`` times all three). The model wrappers share
one image path: channel adaptation (luminance model on RGB, RGB model on
gray, alpha kept), padding to what the model needs, and region-by-region restoration of
images larger than a tile (camera frames), where each region gets its own blur estimate
and guide and regions without measurable motion blur are passed through.
Restoring files and folders (``deblur run``) lives in :mod:`deblur.folder`.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import importlib.util
import json
import logging
import os
import re
import threading
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from deblur.config import TileConfig
from deblur.io import to_gray
from deblur.regions import pooled_weights, region_weight
from deblur.registry import get_deblurrer
from deblur.tiling import (
    Tile,
    image_tiles,
    pad_to,
    predict_seed_tiling,
    predict_tiles,
    round_up,
)
from deblur.types import Deblurrer, Image, check_image

if TYPE_CHECKING:  # scipy is imported only when a frame is restored
    from deblur.estimate import PsfEstimate
    from deblur.gate import PlateGate

__all__ = [
    "ModelDeblurrer",
    "KerasDeblurrer",
    "OnnxDeblurrer",
    "LiteRtDeblurrer",
    "tflite_metadata",
    "litert_available",
    "load",
    "load_keras_model",
    "resolve_model",
    "shipped_weights",
    "MIN_SIDE",
    "model_multiple",
    "model_guide",
    "first_line",
    "GUIDE_BALANCE",
    "GUIDE_MAX_LENGTH",
]

logger = logging.getLogger(__name__)

MIN_SIDE = 16
"""Images smaller than this in either dimension are edge-padded before the model."""

GUIDE_BALANCE = 0.01
"""Wiener balance of a guided model's guide (the ``blind_wiener`` default)."""

CALL_PIXELS = 16 * 1024
"""Pixels per model call and runtime thread (at least one image a call). Larger calls
cost more per pixel on a CPU, the activations outgrow the caches, unless more threads
share them. Measured through LiteRT on this project's 2-core CPU (240x64 plates,
2026-12-02, medians of 40 interleaved calls): with one thread ``fast`` takes 8.0 ms a
plate one at a time, 8.2 two, 9.1 four at a time, the default 15.8, 17.1 and 18.0 ms;
with two threads ``fast`` takes 7.0, 6.3 and 5.9 ms. A 256x256 tile (65 k pixels) runs
alone either way."""

FRAME_LANES = 2
"""Threads that measure a frame's tiles, and batches of tiles restored at once: one
batch's guides (NumPy) run while another's model pass runs."""

GUIDE_MAX_LENGTH = 40.0
"""Longest blur (px) the guide's estimate searches (the ``blind_wiener`` default)."""

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class ModelDeblurrer:
    """Shared image path of the model wrappers (subclasses implement ``_run``).

    Parameters
    ----------
    name : str
        Deblurrer name (reports, logs).
    channels : int
        Model channels: 1 (luminance) or 3 (RGB).
    multiple : int
        Model inputs are mirror-padded to a multiple of this (bottom/right).
    tile : TileConfig, optional
        Tiling for large images; ``TileConfig()`` when None.
    seed_tiling : bool
        Predict with the 2017 stride-1 40x20 tiling (:func:`predict_seed_tiling`).
    guided : bool
        The model takes ``2 * channels`` inputs: the image and its guide restoration
        (``ModelConfig.guide``), made region by region from each region's own blur
        estimate.
    guide : str
        The registered deblurrer that makes the guide (``blind_wiener`` or
        ``gated_wiener``); see :func:`model_guide` and :meth:`guide_region`.

    Attributes
    ----------
    threads : int
        The runtime's CPU threads (0: every CPU), as the subclass was given them; a
        model call takes :data:`CALL_PIXELS` pixels per thread.
    crops_only : bool
        Refuse images larger than one tile with a ``ValueError`` (set by :func:`load`
        from ``"crops_only": true`` in the model card: a model known to fail on whole
        frames, such as one trained on plates alone).

    Notes
    -----
    Restoration is local. An image that fits in one ``tile.tile`` square (a plate) is
    one region; a larger one (a camera frame) is cut into overlapping tiles, each
    restored by :meth:`restore_regions` with its own blur estimate and guide, and the
    tiles are blended by :func:`deblur.tiling.predict_tiled`'s window. A frame's blur
    differs from place to place (the car moves, the background does not). Regions,
    plates included, without measurable straight motion blur are passed through
    (``tile.pass_through``) and skip the model, so a sharp plate comes back unchanged
    and a sharp frame nearly so (``tile.plate_pass_through`` for plates,
    ``tile.pass_through`` for a frame's tiles; None restores everything).

    A 1-channel model on an RGB(A) image restores the BT.601 luminance ``Y`` and returns
    ``rgb + (clip(Y_restored) - Y)`` for every colour channel. A 3-channel model on a gray
    image runs on the gray replicated three times and returns the luminance of the
    result. An alpha channel is copied unchanged. Outputs are clipped to ``[0, 1]``.
    """

    def __init__(
        self,
        *,
        name: str,
        channels: int,
        multiple: int,
        tile: TileConfig | None,
        seed_tiling: bool,
        guided: bool = False,
        guide: str = "blind_wiener",
    ) -> None:
        if channels not in (1, 3):
            raise ValueError(f"model channels must be 1 or 3, got {channels}")
        if multiple < 1:
            raise ValueError(f"multiple must be >= 1, got {multiple}")
        self.name = name
        self.channels = channels
        self.multiple = multiple
        self.tile = tile or TileConfig()
        self.seed_tiling = seed_tiling
        self.guided = guided
        self.guide = guide
        self.in_channels = channels * (2 if guided else 1)
        self.crops_only = False
        self.threads = 0  # the runtime's threads (0: every CPU); set by subclasses

    def _run(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        raise NotImplementedError

    def predict_batch(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        """Run the model on a ``(N, H, W, channels)`` batch of any size; same shape out.

        The batch is mirror-padded to at least ``MIN_SIDE`` and to a multiple of
        ``multiple`` on each side, then cropped back. Not clipped. It runs in calls of
        at most :data:`CALL_PIXELS` pixels per runtime thread (at least one image
        each).
        """
        _, height, width, _ = batch.shape
        target_h = round_up(max(height, MIN_SIDE), self.multiple)
        target_w = round_up(max(width, MIN_SIDE), self.multiple)
        padded = np.ascontiguousarray(pad_to(batch, target_h, target_w), np.float32)
        threads = self.threads or os.cpu_count() or 1
        step = max(1, CALL_PIXELS * threads // (target_h * target_w))
        out = np.concatenate(
            [
                np.asarray(self._run(padded[i : i + step]), dtype=np.float32)
                for i in range(0, len(padded), step)
            ]
        )
        if out.shape[3] < padded.shape[3]:  # guided: pass the guide through unchanged
            out = np.concatenate([out, padded[..., out.shape[3] :]], axis=3)
        return out[:, :height, :width, :]

    def _restore(self, planes: NDArray[np.float32]) -> NDArray[np.float32]:
        if self.seed_tiling:
            if self.guided:
                guide = get_deblurrer(self.guide)(planes)
                planes = np.concatenate([planes, guide], axis=2)
            out = predict_seed_tiling(self.predict_batch, planes)
            return out[..., : self.channels]
        height, width = planes.shape[:2]
        if height <= self.tile.tile and width <= self.tile.tile:
            return self.restore_regions(planes[None], pass_through="plate")[0]
        if self.crops_only:
            raise ValueError(
                f"model {self.name!r} restores plate crops of at most "
                f"{self.tile.tile} px a side, not a {width}x{height} frame (its "
                "model card says crops_only); use the default model for whole frames"
            )
        return self._restore_frame(planes)

    def _restore_frame(self, planes: NDArray[np.float32]) -> NDArray[np.float32]:
        """Estimate every tile's blur, pool the evidence, then restore tile by tile."""
        from deblur.estimate import estimate_linear_psf

        tiles = image_tiles(planes.shape[0], planes.shape[1], self.tile)

        def measure(t: Tile) -> tuple[PsfEstimate, float]:
            region = planes[t.top : t.top + t.height, t.left : t.left + t.width]
            estimate = estimate_linear_psf(region, max_length=GUIDE_MAX_LENGTH)
            return estimate, region_weight(region, estimate, self.tile.pass_through)

        with ThreadPoolExecutor(max_workers=FRAME_LANES) as pool:
            measured = list(pool.map(measure, tiles))
        found = {(t.top, t.left): m for t, m in zip(tiles, measured, strict=True)}
        weights = pooled_weights(tiles, found)

        def restore(
            batch: NDArray[np.float32], chunk: list[Tile]
        ) -> NDArray[np.float32]:
            keys = [(t.top, t.left) for t in chunk]
            return self._restore_with(
                batch, [found[k][0] for k in keys], np.array([weights[k] for k in keys])
            )

        return predict_tiles(restore, planes, cfg=self.tile, lanes=FRAME_LANES)

    def restore_regions(
        self,
        regions: NDArray[np.float32],
        *,
        pass_through: tuple[float, float] | None | str = "tile",
    ) -> NDArray[np.float32]:
        """Restore a ``(N, h, w, channels)`` batch of regions, each on its own.

        Each region gets its own blur estimate (:func:`deblur.estimate.
        estimate_linear_psf`, on the luminance), and a guided model its own guide
        from it (:meth:`guide_region`). With `pass_through` thresholds (``"tile"``: those of
        ``tile.pass_through``), a region without measurable motion blur is returned
        unchanged and skips the model: its weight is :func:`blur_weight` of the
        estimate's strength times :func:`direction_weight`; between 0 and 1 the
        restored and input regions are mixed. ``"plate"`` treats every region as a
        plate crop: the ``tile.plate_pass_through`` thresholds, and when
        ``tile.plate_gate`` is set the learned gate (:func:`deblur.gate.shipped_gate`)
        may raise a plate's weight above theirs (None thresholds: restore every
        plate). Not clipped. (Frames pool the weights of neighbouring tiles first,
        see :func:`pooled_weights`.)
        """
        from deblur.estimate import estimate_linear_psf

        if isinstance(pass_through, str) and pass_through not in ("tile", "plate"):
            raise ValueError(
                "pass_through must be 'tile', 'plate', None or (low, high), "
                f"got {pass_through!r}"
            )
        if pass_through == "tile":
            thresholds = self.tile.pass_through
        elif pass_through == "plate":
            thresholds = self.tile.plate_pass_through
        else:
            thresholds = pass_through  # type: ignore[assignment]
        gate = None
        if pass_through == "plate" and thresholds is not None and self.tile.plate_gate:
            from deblur.gate import shipped_gate

            gate = shipped_gate()
        estimates = [
            estimate_linear_psf(region, max_length=GUIDE_MAX_LENGTH)
            if self.guided or thresholds is not None
            else None
            for region in regions
        ]
        weights = np.array(
            [
                1.0 if e is None else self._region_weight(r, e, thresholds, gate)
                for r, e in zip(regions, estimates, strict=True)
            ]
        )
        return self._restore_with(regions, estimates, weights)

    @staticmethod
    def _region_weight(
        region: NDArray[np.float32],
        estimate: PsfEstimate,
        thresholds: tuple[float, float] | None,
        gate: PlateGate | None,
    ) -> float:
        """The thresholds' weight, raised to the learned gate's where it has one."""
        weight = region_weight(region, estimate, thresholds)
        if gate is None or weight >= 1.0:  # the gate only raises a weight
            return weight
        return max(weight, gate.weight(region, estimate))

    def _restore_with(
        self,
        regions: NDArray[np.float32],
        estimates: Sequence[PsfEstimate | None],
        weights: NDArray[np.float64],
    ) -> NDArray[np.float32]:
        """Restore the regions whose weight is above 0 (guides from `estimates`)."""
        out = regions.copy()
        todo = np.flatnonzero(weights > 0)
        if not len(todo):
            return out
        batch = regions[todo]
        if self.guided:
            guides = []
            for i in todo:
                estimate = estimates[int(i)]
                assert estimate is not None  # a guided model estimates every region
                guides.append(self.guide_region(regions[i], estimate))
            batch = np.concatenate([batch, np.stack(guides)], axis=3)
        restored = self.predict_batch(batch)[..., : self.channels]
        mix = weights[todo].reshape(-1, 1, 1, 1).astype(np.float32)
        out[todo] = mix * restored + (1 - mix) * regions[todo]
        return out

    def guide_region(
        self, region: NDArray[np.float32], estimate: PsfEstimate
    ) -> NDArray[np.float32]:
        """The guide image a guided model takes beside `region` (its second half).

        Parameters
        ----------
        region : (h, w, channels) ndarray of float32
            One region's planes.
        estimate : PsfEstimate
            The region's blur estimate (``max_length=GUIDE_MAX_LENGTH``), made once
            and shared with the pass-through rule.

        Returns
        -------
        ndarray
            For ``guide == "blind_wiener"`` the Wiener restoration with the estimated
            PSF; for ``"gated_wiener"`` ``region + w * (wiener - region)`` with ``w``
            the gate's weight of the estimate's strength (:data:`deblur.deblurrers.
            GATED_WIENER_GATE`), as the model saw it in training. Any other registered
            guide is called on the region itself.
        """
        from deblur.deblurrers import GATED_WIENER_GATE, BlindWienerDeblurrer

        if self.guide not in ("blind_wiener", "gated_wiener"):
            return np.asarray(get_deblurrer(self.guide)(region), np.float32)
        gate = GATED_WIENER_GATE if self.guide == "gated_wiener" else None
        wiener = BlindWienerDeblurrer(
            balance=GUIDE_BALANCE, max_length=GUIDE_MAX_LENGTH, gate=gate
        )
        return wiener.from_estimate(region, estimate)

    def __call__(self, image: Image) -> Image:
        """Restore `image`: same shape and dtype out, values in [0, 1]."""
        check_image(image)
        return self._from_planes(image, self._restore(self._to_planes(image)))

    def restore_many(self, images: Sequence[Image]) -> list[Image]:
        """Restore several images; plates of one shape share one model call.

        Equal to ``[self(image) for image in images]`` (within float rounding), but
        when every image has the same shape and fits in one tile, their planes are
        stacked and run through the model as one batch, which costs less per plate
        than one call each (``results/perf.md``). Other lists run one by one.
        """
        for image in images:
            check_image(image)
        shapes = {image.shape for image in images}
        height, width = images[0].shape[:2] if images else (0, 0)
        one_region = height <= self.tile.tile and width <= self.tile.tile
        if self.seed_tiling or len(shapes) != 1 or not one_region:
            return [self(image) for image in images]
        planes = np.stack([self._to_planes(image) for image in images])
        restored = self.restore_regions(planes, pass_through="plate")
        return [self._from_planes(i, r) for i, r in zip(images, restored, strict=True)]

    def _to_planes(self, image: Image) -> NDArray[np.float32]:
        """The ``(H, W, channels)`` planes the model restores for `image`."""
        height, width = image.shape[:2]
        if image.ndim == 2 or image.shape[2] == 1:
            gray = image.reshape(height, width, 1)
            return np.repeat(gray, 3, axis=2) if self.channels == 3 else gray
        colour = image[..., :3]
        return to_gray(colour)[..., None] if self.channels == 1 else colour

    def _from_planes(self, image: Image, restored: NDArray[np.float32]) -> Image:
        """`image` with its restored planes put back (colour, alpha), clipped."""
        if image.ndim == 3 and image.shape[2] >= 3 and self.channels == 1:
            colour = image[..., :3]
            change = np.clip(restored, 0.0, 1.0) - to_gray(colour)[..., None]
            restored = colour + change
        elif (image.ndim == 2 or image.shape[2] == 1) and self.channels == 3:
            restored = to_gray(restored)[..., None]
        out = np.clip(np.asarray(restored, dtype=np.float32), 0.0, 1.0)
        if image.ndim == 2:
            return out[..., 0]
        if image.shape[2] == 4:
            return np.concatenate([out, image[..., 3:]], axis=2)
        return out


class KerasDeblurrer(ModelDeblurrer):
    """Run a Keras model through one compiled ``tf.function`` with a dynamic shape.

    Parameters
    ----------
    model : keras.Model
        Input ``(None, None, C)`` with C = 1 or 3, output the same shape.
    name : str
        Deblurrer name.
    tile : TileConfig, optional
        Tiling for large images.
    seed_tiling : bool
        Use the 2017 prediction mode.

    Notes
    -----
    The function has ``input_signature=[TensorSpec([None, None, None, C])]``, so it is
    traced once and every later call of any size reuses the graph.
    """

    def __init__(
        self,
        model: Any,  # Any: keras.Model (keras is imported lazily)
        *,
        name: str = "keras",
        tile: TileConfig | None = None,
        seed_tiling: bool = False,
        guide: str = "blind_wiener",
    ) -> None:
        import tensorflow as tf

        in_channels = model.inputs[0].shape[-1]
        channels = model.outputs[0].shape[-1]
        super().__init__(
            name=name,
            channels=int(channels) if channels is not None else -1,
            multiple=model_multiple(model),
            tile=tile,
            seed_tiling=seed_tiling,
            guided=in_channels is not None and in_channels == 2 * channels,
            guide=guide,
        )
        self.model = model
        spec = tf.TensorSpec([None, None, None, self.in_channels], tf.float32)
        self._fn = tf.function(
            lambda x: model(x, training=False),
            input_signature=[spec],
            reduce_retracing=True,
        )

    def _run(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        return np.asarray(self._fn(batch))


def model_multiple(model: Any) -> int:  # Any: keras.Model
    """The model's size multiple: from a ``PadToMultiple`` layer, else 1."""
    for layer in model.layers:
        if hasattr(layer, "multiple") and isinstance(layer.multiple, int):
            return int(layer.multiple)
    return 1


@dataclass(frozen=True)
class _Signature:
    """What an exported model file says about itself."""

    inputs: int  # input channels (twice `channels` for a guided model)
    channels: int  # restored channels
    multiple: int  # inputs are padded to a multiple of this


class _ExportedDeblurrer(ModelDeblurrer):
    """Shared constructor of the wrappers of exported files (subclasses implement
    ``_open``, which loads the file and returns its :class:`_Signature`)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        tile: TileConfig | None = None,
        seed_tiling: bool = False,
        threads: int = 0,
        guide: str = "blind_wiener",
    ) -> None:
        path = Path(path)
        found = self._open(path, threads)
        super().__init__(
            name=name or path.stem,
            channels=found.channels,
            multiple=found.multiple,
            tile=tile,
            seed_tiling=seed_tiling,
            guided=found.inputs == 2 * found.channels,
            guide=guide,
        )
        self.path = path
        self.threads = threads

    def _open(self, path: Path, threads: int) -> _Signature:
        raise NotImplementedError


class OnnxDeblurrer(_ExportedDeblurrer):
    """Run an exported ONNX model with onnxruntime (CPU).

    Parameters
    ----------
    path : path-like
        ``.onnx`` file written by :func:`deblur.export.export_onnx` (its metadata gives
        the size multiple; other files default to 1).
    name : str, optional
        Deblurrer name; the file stem when None.
    tile : TileConfig, optional
        Tiling for large images.
    seed_tiling : bool
        Use the 2017 prediction mode.
    threads : int
        Intra-op threads of the session; 0 leaves onnxruntime's default (one per
        physical core), 1 suits one process per core (see :func:`load`).

    Raises
    ------
    ValueError
        If the file is not a loadable ONNX model with a ``(N, H, W, C)`` input.
    """

    def _open(self, path: Path, threads: int) -> _Signature:
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as err:  # onnxruntime raises its own classes; one clear line
            raise ValueError(
                f"{path}: not a loadable ONNX model ({first_line(err)})"
            ) from err
        inputs = session.get_inputs()
        shape = inputs[0].shape if len(inputs) == 1 else []
        if len(shape) != 4 or not isinstance(shape[3], int):
            raise ValueError(
                f"{path}: expected one (N, H, W, C) input with a fixed C, got "
                f"{[(i.name, i.shape) for i in inputs]}"
            )
        meta = session.get_modelmeta().custom_metadata_map
        out_shape = session.get_outputs()[0].shape
        self._session = session
        self._input = inputs[0].name
        return _Signature(
            inputs=shape[3],
            channels=int(meta.get("channels", "0"))
            or (out_shape[3] if isinstance(out_shape[3], int) else shape[3]),
            multiple=int(meta.get("multiple", "1")),
        )

    def _run(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        return np.asarray(self._session.run(None, {self._input: batch})[0])


class LiteRtDeblurrer(_ExportedDeblurrer):
    """Run an exported ``.tflite`` model with LiteRT (``ai-edge-litert``) and XNNPACK.

    On this project's 2-core CPU it runs the default's network 1.3-1.5x as fast as
    onnxruntime, with the same numbers within 1e-5 (``results/perf.md``).

    Parameters
    ----------
    path : path-like
        ``.tflite`` file written by :func:`deblur.export.export_tflite` (its metadata
        gives the size multiple and the restored channels; other files default to a
        multiple of 1 and to the output's channels).
    name : str, optional
        Deblurrer name; the file stem when None.
    tile : TileConfig, optional
        Tiling for large images.
    seed_tiling : bool
        Use the 2017 prediction mode.
    threads : int
        XNNPACK threads; 0 uses every CPU (``os.cpu_count()``), 1 suits one process
        per core.
    guide : str
        The guide deblurrer of a guided model (see :func:`model_guide`).

    Raises
    ------
    ValueError
        If the file is not a loadable TFLite model with a ``(N, H, W, C)`` input.
    ImportError
        If ``ai-edge-litert`` is not installed.

    Notes
    -----
    An interpreter is planned for one input shape. One is kept per shape (at most
    ``SHAPES_KEPT``, least recently used dropped), since a frame alternates between
    full and edge tiles and re-planning costs more than a plate's pass. Calls are
    serialised by a lock: an interpreter is not thread-safe.
    """

    SHAPES_KEPT = 4

    def _open(self, path: Path, threads: int) -> _Signature:
        self._by_shape: dict[tuple[int, ...], Any] = {}  # Any: Interpreter
        self._lock = threading.Lock()
        try:
            self._content = path.read_bytes()
            meta = tflite_metadata(self._content)
            probe = self._interpreter(None, threads=threads)
        except ImportError:
            raise
        except Exception as err:  # the runtime raises its own classes; one clear line
            raise ValueError(
                f"{path}: not a loadable TFLite model ({first_line(err)})"
            ) from err
        (given,) = probe.get_input_details()
        (output,) = probe.get_output_details()
        shape = given["shape_signature"]
        if len(shape) != 4 or shape[3] < 1:
            raise ValueError(
                f"{path}: expected one (N, H, W, C) input with a fixed C, got {shape}"
            )
        return _Signature(
            inputs=int(shape[3]),
            channels=int(meta.get("channels", "0")) or int(output["shape"][3]),
            multiple=int(meta.get("multiple", "1")),
        )

    def _interpreter(self, shape: tuple[int, ...] | None, *, threads: int) -> Any:
        from ai_edge_litert.interpreter import Interpreter

        from deblur.quiet import QUIET_ENV, muted_stderr

        # LiteRT logs "Created TensorFlow Lite XNNPACK delegate" to descriptor 2.
        quiet = (
            muted_stderr() if os.environ.get(QUIET_ENV) else contextlib.nullcontext()
        )
        with quiet:
            interpreter = Interpreter(
                model_content=self._content, num_threads=threads or os.cpu_count() or 1
            )
            if shape is not None:  # planned for this shape (a probe only reads details)
                (given,) = interpreter.get_input_details()
                interpreter.resize_tensor_input(
                    given["index"], list(shape), strict=True
                )
                interpreter.allocate_tensors()
        return interpreter

    def _run(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        shape = tuple(batch.shape)
        with self._lock:
            interpreter = self._by_shape.pop(shape, None)
            if interpreter is None:
                interpreter = self._interpreter(shape, threads=self.threads)
                while len(self._by_shape) >= self.SHAPES_KEPT:
                    self._by_shape.pop(next(iter(self._by_shape)))
            self._by_shape[shape] = interpreter  # most recently used last
            (given,) = interpreter.get_input_details()
            (output,) = interpreter.get_output_details()
            interpreter.set_tensor(given["index"], np.ascontiguousarray(batch))
            interpreter.invoke()
            return np.array(interpreter.get_tensor(output["index"]), dtype=np.float32)


def tflite_metadata(content: bytes) -> dict[str, str]:
    """The text entries of a TFLite flatbuffer's metadata table (name -> value).

    :func:`deblur.export.export_tflite` writes ``channels``, ``multiple`` and
    ``source``; entries that are not UTF-8 text (the converter's own) are left out.
    """
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAsModel(bytearray(content), 0)
    found = {}
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        data = model.Buffers(entry.Buffer()).DataAsNumpy()
        try:
            found[entry.Name().decode("utf-8")] = bytes(data).decode("utf-8")
        except (UnicodeDecodeError, TypeError):  # binary, or an empty buffer (0)
            continue
    return found


def first_line(err: BaseException) -> str:
    """The first line of an error's text (at most 300 characters), for one-line reports."""
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:300]


RUNTIMES = ("auto", "keras", "onnx", "litert")
MODEL_SUFFIXES = (".keras", ".onnx", ".tflite")


def _weights_dir() -> Path:
    return Path(str(importlib.resources.files("deblur") / "weights"))


def shipped_weights() -> list[str]:
    """Return the names of the model files shipped in ``deblur/weights``."""
    folder = _weights_dir()
    if not folder.is_dir():
        return []
    return sorted(
        p.name[: -len(".keras")] for p in folder.iterdir() if p.name.endswith(".keras")
    )


def resolve_model(name_or_path: str | os.PathLike[str]) -> Path:
    """Turn a shipped-weights name or a path into a ``.keras``/``.onnx``/``.tflite`` path.

    Parameters
    ----------
    name_or_path : str or path-like
        A name such as ``"default"`` or ``"plain15"`` (``deblur/weights/<name>.keras``),
        a ``.keras``, ``.onnx`` or ``.tflite`` file, or a training run folder holding
        ``model.keras``.

    Returns
    -------
    Path

    Raises
    ------
    FileNotFoundError
        If the file, folder or shipped weights do not exist.
    ValueError
        If the file suffix is not one of :data:`MODEL_SUFFIXES`.
    """
    text = os.fspath(name_or_path)
    is_name = (
        isinstance(name_or_path, str) and _NAME.match(text) and not Path(text).exists()
    )
    if is_name and not text.endswith(MODEL_SUFFIXES):
        path = _weights_dir() / f"{text}.keras"
        if not path.is_file():
            raise FileNotFoundError(
                f"no shipped weights named {text!r} ({path} is missing); shipped: "
                f"{shipped_weights() or 'none'}; pass a .keras/.onnx/.tflite file or a "
                "run folder"
            )
        return path
    path = Path(text)
    if path.is_dir():
        path = path / "model.keras"
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise ValueError(f"model must be a .keras, .onnx or .tflite file, got {path}")
    return path


def load_keras_model(path: str | os.PathLike[str]) -> Any:  # Any: keras.Model
    """Load a ``.keras`` file safely: no code from the file is ever executed.

    Uses ``keras.saving.load_model(path, safe_mode=True, compile=False)`` with the
    custom layers of :mod:`deblur.models.layers` registered; the training code is not
    imported.

    Raises
    ------
    ValueError
        One line naming `path` if the file is not a Keras archive, was saved by a newer
        Keras major version, or cannot be deserialised safely (e.g. it holds a Python
        lambda).
    """
    path = Path(path)
    _check_keras_archive(path)
    import keras

    from deblur.models import layers  # noqa: F401  (registers the custom layers)

    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as err:  # any deserialisation failure becomes one clear line
        raise ValueError(
            f"{path}: cannot load Keras model ({first_line(err)})"
        ) from err


def _check_keras_archive(path: Path) -> None:
    import keras

    try:
        with zipfile.ZipFile(path) as archive:
            meta = json.loads(archive.read("metadata.json"))
    except (zipfile.BadZipFile, KeyError, OSError, json.JSONDecodeError) as err:
        raise ValueError(
            f"{path}: not a Keras .keras archive ({first_line(err)})"
        ) from err
    saved = str(meta.get("keras_version", "0"))
    saved_major = int(re.match(r"\d*", saved).group() or 0)  # type: ignore[union-attr]
    installed_major = int(keras.__version__.split(".")[0])
    if saved_major > installed_major:
        raise ValueError(
            f"{path}: saved by Keras {saved}, newer than the installed {keras.__version__}"
        )


def load(
    name_or_path: str | os.PathLike[str] = "default",
    *,
    tile: TileConfig | None = None,
    seed_tiling: bool = False,
    runtime: str = "auto",
    threads: int = 0,
) -> Deblurrer:
    """Load a model as a ready-to-call deblurrer.

    Parameters
    ----------
    name_or_path : str or path-like
        Shipped weights name (``"default"``, ``"plain15"``), a ``.keras`` or ``.onnx``
        file, or a training run folder with ``model.keras``.
    tile : TileConfig, optional
        Tiling for large images; ``TileConfig()`` when None.
    seed_tiling : bool
        Predict with the 2017 stride-1 tiling (slow; reference only).
    runtime : {"auto", "keras", "onnx", "litert"}
        For shipped weights: ``"auto"`` runs ``deblur/weights/<name>.tflite`` through
        LiteRT when it is shipped and ``ai-edge-litert`` is installed, else
        ``<name>.onnx`` through onnxruntime when it is shipped, else the ``.keras`` file
        (the exports equal Keras within 1e-4; on this project's CPU a plate takes
        about half as long through LiteRT as through Keras, and onnxruntime lies
        between: ``results/perf.md``); ``"keras"`` always
        runs the ``.keras`` file; ``"onnx"`` and ``"litert"`` require their file.
        Files given by path run as their suffix says.
    threads : int
        CPU threads of a LiteRT interpreter or onnxruntime session (0: every CPU for
        LiteRT, one per physical core for onnxruntime).
        Use 1 when several processes share the cores: two processes on 2 cores restore
        a plate in 17.5 ms each with 1 thread, 32 ms each with the default. TensorFlow's
        thread pools are per process and are not changed here.

    Returns
    -------
    Deblurrer
        A :class:`LiteRtDeblurrer`, :class:`OnnxDeblurrer` or :class:`KerasDeblurrer`.

    Raises
    ------
    FileNotFoundError
        If the model cannot be found, or `runtime` asks for a missing shipped export.
    ValueError
        If the file cannot be loaded safely.

    Examples
    --------
    >>> restore = load("default")  # doctest: +SKIP
    >>> restored = restore(blurred)  # doctest: +SKIP
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
    if threads < 0:
        raise ValueError(f"threads must be >= 0, got {threads}")
    path = resolve_model(name_or_path)
    name = path.parent.name if path.name == "model.keras" else path.stem
    if path.parent == _weights_dir() and path.suffix == ".keras":
        path = _shipped_runtime_file(path, runtime)
    guide = model_guide(path)
    suffix = path.suffix.lower()
    restorer: ModelDeblurrer
    if suffix in (".tflite", ".onnx"):
        kind = LiteRtDeblurrer if suffix == ".tflite" else OnnxDeblurrer
        restorer = kind(
            path,
            name=name,
            tile=tile,
            seed_tiling=seed_tiling,
            threads=threads,
            guide=guide,
        )
    else:
        restorer = KerasDeblurrer(
            load_keras_model(path),
            name=name,
            tile=tile,
            seed_tiling=seed_tiling,
            guide=guide,
        )
    restorer.crops_only = _card(path).get("crops_only") is True
    return restorer


def _card(path: Path) -> dict[str, Any]:
    """The model card beside shipped or exported weights (``{}`` when none)."""
    return _json_object(path.with_suffix(".model_card.json")) or {}


def _json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`: None when the file is missing or unreadable, ``{}``
    when it holds valid JSON that is not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else {}


def litert_available() -> bool:
    """Whether LiteRT (``ai-edge-litert``) can be imported here."""
    return importlib.util.find_spec("ai_edge_litert") is not None


def _shipped_runtime_file(keras_path: Path, runtime: str) -> Path:
    """The file `runtime` runs for shipped weights ``deblur/weights/<name>.keras``."""
    tflite, onnx = keras_path.with_suffix(".tflite"), keras_path.with_suffix(".onnx")
    if runtime == "litert" and not (tflite.is_file() and litert_available()):
        raise FileNotFoundError(
            f"runtime 'litert' needs {tflite} and the ai-edge-litert package"
        )
    if runtime == "onnx" and not onnx.is_file():
        raise FileNotFoundError(f"no shipped ONNX export {onnx}")
    if runtime in ("auto", "litert") and tflite.is_file() and litert_available():
        return tflite
    if runtime in ("auto", "onnx") and onnx.is_file():
        return onnx
    return keras_path


def model_guide(path: str | os.PathLike[str]) -> str:
    """The guide deblurrer a guided model file was trained with.

    Read from ``ModelConfig.guide`` in the JSON beside the file: ``model_config.json``
    in a training run folder, or ``<stem>.model_card.json`` beside shipped or exported
    weights. Models without one (older runs) were trained with ``blind_wiener``.

    Raises
    ------
    ValueError
        If that JSON names a guide that is not a registered deblurrer.
    """
    from deblur.registry import available_deblurrers

    path = Path(path)
    for sidecar in (
        path.parent / "model_config.json",
        path.with_suffix(".model_card.json"),
    ):
        data = _json_object(sidecar)
        if data is None:
            continue
        config = data.get("model_config", data)
        guide = config.get("guide", "none") if isinstance(config, dict) else "none"
        if guide in ("none", None):
            break
        if guide not in available_deblurrers():
            raise ValueError(
                f"{sidecar}: guide {guide!r} is not a registered deblurrer; "
                f"available: {available_deblurrers()}"
            )
        return str(guide)
    return "blind_wiener"
