"""Configuration dataclasses for synthesis, models, training and tiling.

Every tunable of the `deblur` package lives here, validated once in ``__post_init__``.
Files are read only at the CLI boundary through ``from_dict``; unknown keys are errors.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "from_dict",
    "PlateConfig",
    "BlurConfig",
    "ModelConfig",
    "TrainConfig",
    "TileConfig",
    "PLATE_STYLES",
    "BLUR_KINDS",
    "ARCHITECTURES",
    "GUIDES",
]

T = TypeVar("T")

PLATE_STYLES = ("uk", "eu", "us")
BLUR_KINDS = ("seed2017", "linear", "trajectory", "defocus", "gaussian")
ARCHITECTURES = ("plain15", "res15", "unet")
GUIDES = ("none", "blind_wiener")


def from_dict(cls: type[T], data: dict[str, Any]) -> T:  # Any: parsed JSON/TOML values
    """Build dataclass `cls` from a mapping, rejecting unknown keys.

    Lists become tuples and nested ``BlurConfig`` mappings are converted.

    Raises
    ------
    ValueError
        If `data` has a key that `cls` does not define.
    """
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(
            f"unknown {cls.__name__} keys {unknown}; expected some of {sorted(names)}"
        )
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "degradations":
            value = tuple(
                v if isinstance(v, BlurConfig) else from_dict(BlurConfig, v)
                for v in value
            )
        elif isinstance(value, list):
            value = tuple(value)
        values[key] = value
    return cls(**values)


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")


@dataclass(frozen=True, kw_only=True)
class PlateConfig:
    """How synthetic sharp plates look.

    Attributes
    ----------
    style : {"any", "uk", "eu", "us"}
        Plate style; ``"any"`` draws one per plate.
    width : int
        Output image width in pixels.
    height : int or None
        Output height; None keeps the style's aspect ratio.
    margin : float
        Background margin around the plate, as a fraction of the plate size.
    scale_jitter : float
        Relative random scale change of the plate inside the crop.
    rotation : float
        Maximum in-plane rotation in degrees.
    perspective : float
        Maximum perspective distortion (fraction of the plate size at the corners).
    illumination : float
        Strength of the uneven-illumination gradient, 0 to disable.
    background : bool
        Textured background around the plate (else flat grey).
    border : bool
        Draw the plate's border.
    noise : float
        Standard deviation of Gaussian sensor noise in [0, 1] units.
    """

    style: str = "any"
    width: int = 240
    height: int | None = None
    margin: float = 0.08
    scale_jitter: float = 0.05
    rotation: float = 2.0
    perspective: float = 0.02
    illumination: float = 0.25
    background: bool = True
    border: bool = True
    noise: float = 0.01

    def __post_init__(self) -> None:
        if self.style not in ("any", *PLATE_STYLES):
            raise ValueError(
                f"style must be 'any' or one of {PLATE_STYLES}, got {self.style!r}"
            )
        if self.width < 16:
            raise ValueError(f"width must be >= 16, got {self.width}")
        if self.height is not None and self.height < 8:
            raise ValueError(f"height must be >= 8 or None, got {self.height}")
        _check_range("margin", self.margin, 0.0, 1.0)
        _check_range("scale_jitter", self.scale_jitter, 0.0, 0.5)
        _check_range("rotation", self.rotation, 0.0, 30.0)
        _check_range("perspective", self.perspective, 0.0, 0.3)
        _check_range("illumination", self.illumination, 0.0, 1.0)
        _check_range("noise", self.noise, 0.0, 0.5)


@dataclass(frozen=True, kw_only=True)
class BlurConfig:
    """One degradation: a blur kernel family plus noise and JPEG re-compression.

    Attributes
    ----------
    kind : {"seed2017", "linear", "trajectory", "defocus", "gaussian"}
        PSF family. ``seed2017`` is the 2017 generator (one-sided line, length
        0.3-1.0 x 25% of the image width); the others are centred.
    length : tuple of (float, float)
        Range of the blur length in pixels for ``linear`` and ``trajectory``, of the
        diameter for ``defocus``, of ``6 * sigma`` for ``gaussian``. Drawn uniformly.
    angle : float or None
        Blur angle in degrees for ``linear``; None draws it in [0, 180).
    noise : tuple of (float, float)
        Range of the Gaussian noise standard deviation added after blurring.
    jpeg_quality : tuple of (int, int) or None
        Range of JPEG re-compression quality; None disables it.
    weight : float
        Relative frequency of this degradation in a training mix.
    """

    kind: str = "linear"
    length: tuple[float, float] = (5.0, 31.0)
    angle: float | None = None
    noise: tuple[float, float] = (0.0, 0.01)
    jpeg_quality: tuple[int, int] | None = None
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in BLUR_KINDS:
            raise ValueError(f"kind must be one of {BLUR_KINDS}, got {self.kind!r}")
        low, high = self.length
        if not 1.0 <= low <= high <= 512.0:
            raise ValueError(
                f"length must satisfy 1 <= low <= high <= 512, got {self.length}"
            )
        if self.angle is not None:
            _check_range("angle", self.angle, -360.0, 360.0)
        nlow, nhigh = self.noise
        if not 0.0 <= nlow <= nhigh <= 0.5:
            raise ValueError(
                f"noise must satisfy 0 <= low <= high <= 0.5, got {self.noise}"
            )
        if self.jpeg_quality is not None:
            qlow, qhigh = self.jpeg_quality
            if not 1 <= qlow <= qhigh <= 100:
                raise ValueError(
                    f"jpeg_quality must satisfy 1 <= low <= high <= 100, got {self.jpeg_quality}"
                )
        if self.weight <= 0:
            raise ValueError(f"weight must be > 0, got {self.weight}")


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """Architecture hyper-parameters.

    Attributes
    ----------
    arch : {"plain15", "res15", "unet"}
        Architecture name.
    channels : int
        Image channels in and out: 1 (luminance) or 3 (RGB).
    width : int
        Base number of filters (``plain15`` uses 128 as in 2017).
    depth : int
        Number of down-sampling levels (``unet`` only).
    blocks : tuple of int
        Blocks per encoder level, then the middle (``unet`` only); length ``depth + 1``.
    guide : {"none", "blind_wiener"}
        ``"blind_wiener"`` (``unet`` only) feeds the model a second image beside the
        blurred one, the blind Wiener restoration (registered deblurrer ``blind_wiener``),
        and adds the predicted correction to that guide instead of to the input. The
        model then has ``2 * channels`` inputs and ``channels`` outputs.
    """

    arch: str = "unet"
    channels: int = 1
    width: int = 16
    depth: int = 3
    blocks: tuple[int, ...] = (1, 1, 2, 4)
    guide: str = "none"

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"arch must be one of {ARCHITECTURES}, got {self.arch!r}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if not 1 <= self.width <= 512:
            raise ValueError(f"width must be in [1, 512], got {self.width}")
        if not 1 <= self.depth <= 5:
            raise ValueError(f"depth must be in [1, 5], got {self.depth}")
        if self.guide not in GUIDES:
            raise ValueError(f"guide must be one of {GUIDES}, got {self.guide!r}")
        if self.guide != "none" and self.arch != "unet":
            raise ValueError(
                f"guide is only supported by arch 'unet', got {self.arch!r}"
            )
        if self.arch == "unet" and len(self.blocks) != self.depth + 1:
            raise ValueError(
                f"blocks must have depth + 1 = {self.depth + 1} entries, got {self.blocks}"
            )

    @property
    def input_channels(self) -> int:
        """Channels the model takes: the image, plus the guide image if any."""
        return self.channels * (1 if self.guide == "none" else 2)

    @property
    def multiple(self) -> int:
        """Input sides must be a multiple of this (``2 ** depth`` for ``unet``)."""
        return 2**self.depth if self.arch == "unet" else 1


def _default_mix() -> tuple[BlurConfig, ...]:
    return (
        BlurConfig(kind="linear", length=(3.0, 35.0), noise=(0.0, 0.015), weight=6.0),
        BlurConfig(kind="seed2017", noise=(0.0, 0.01), weight=1.0),
        BlurConfig(
            kind="trajectory", length=(5.0, 31.0), noise=(0.0, 0.015), weight=2.0
        ),
        BlurConfig(
            kind="linear", length=(3.0, 31.0), jpeg_quality=(60, 95), weight=1.0
        ),
    )


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Training hyper-parameters.

    Attributes
    ----------
    steps : int
        Number of optimiser steps.
    batch : int
        Patches per step.
    patch : tuple of (int, int)
        Patch (height, width) in pixels.
    lr : float
        Peak learning rate (cosine decay to 1% after a short warm-up).
    loss : {"mse", "l1", "charbonnier"}
        Pixel loss.
    edge_weight : float
        Weight of an extra loss on image gradients (0 disables).
    val_fraction : float
        Fraction of source plates held out for validation (split by source).
    val_every : int
        Validate, log and checkpoint every this many steps.
    patience : int
        Early stopping: stop after this many validations without improvement (0 = off).
    seed : int
        Seed for data order, degradation draws and weight initialisation.
    plates : int
        Number of synthetic source plates when training without ``data``.
    max_cpu_s : float or None
        Stop once the process has used this many CPU-seconds (for equal-budget
        comparisons between architectures); None trains for ``steps``.
    degradations : tuple of BlurConfig
        The degradation mix, drawn by weight.
    photometric : float
        Strength in [0, 1] of random photometric changes of each sharp source before
        it is degraded (lower contrast, gamma, brightness, slight softness), so the
        model does not learn that every plate is crisp black on white. 0 disables.
    init : str or None
        Path of a ``.keras`` model whose weights initialise the run (fine-tuning).
    ocr_weight : float
        Weight of the OCR-aware term: the CTC loss of the frozen plate reader
        ``reader`` (:mod:`deblur.reader`) on each restored plate, added to the pixel
        loss. Above 0, a step trains on ``batch`` whole plates of one size instead of
        patches (``patch`` is unused), and the plates' texts are needed. 0 disables.
    reader : str
        That reader: a name shipped in ``deblur/weights/readers/`` or a ``.keras``
        path (:func:`deblur.reader.load_reader`).
    """

    steps: int = 20_000
    batch: int = 16
    patch: tuple[int, int] = (64, 128)
    lr: float = 1e-3
    loss: str = "charbonnier"
    edge_weight: float = 0.05
    val_fraction: float = 0.33
    val_every: int = 250
    patience: int = 0
    seed: int = 0
    plates: int = 3000
    max_cpu_s: float | None = None
    photometric: float = 0.0
    init: str | None = None
    degradations: tuple[BlurConfig, ...] = field(default_factory=_default_mix)
    ocr_weight: float = 0.0
    reader: str = "plate"

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.batch < 1:
            raise ValueError(f"batch must be >= 1, got {self.batch}")
        if len(self.patch) != 2 or min(self.patch) < 8:
            raise ValueError(f"patch must be (height, width) >= 8, got {self.patch}")
        if not 0 < self.lr < 1:
            raise ValueError(f"lr must be in (0, 1), got {self.lr}")
        if self.loss not in ("mse", "l1", "charbonnier"):
            raise ValueError(
                f"loss must be 'mse', 'l1' or 'charbonnier', got {self.loss!r}"
            )
        if self.edge_weight < 0:
            raise ValueError(f"edge_weight must be >= 0, got {self.edge_weight}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        if self.val_every < 1:
            raise ValueError(f"val_every must be >= 1, got {self.val_every}")
        if self.patience < 0:
            raise ValueError(f"patience must be >= 0, got {self.patience}")
        if self.plates < 2:
            raise ValueError(f"plates must be >= 2, got {self.plates}")
        if self.max_cpu_s is not None and self.max_cpu_s <= 0:
            raise ValueError(f"max_cpu_s must be > 0 or None, got {self.max_cpu_s}")
        _check_range("photometric", self.photometric, 0.0, 1.0)
        if not self.degradations:
            raise ValueError("degradations must not be empty")
        if self.ocr_weight < 0:
            raise ValueError(f"ocr_weight must be >= 0, got {self.ocr_weight}")


@dataclass(frozen=True, kw_only=True)
class TileConfig:
    """How large images are split for inference.

    Attributes
    ----------
    tile : int
        Tile side in pixels.
    overlap : int
        Overlap between neighbouring tiles in pixels, blended by a window.
    batch : int
        Tiles per model call.
    max_pixels : int
        Images with at most this many pixels run as one pass, without tiling (for
        :func:`deblur.tiling.predict_tiled`; model deblurrers restore every image larger
        than one tile region by region, see :class:`deblur.inference.ModelDeblurrer`).
    pass_through : (float, float) or None
        Do no harm on regions without measurable motion blur: a region whose blur
        estimate has a cepstral strength (:class:`deblur.estimate.PsfEstimate`) below
        the first value is passed through unchanged, above the second it is fully
        restored, and in between the two are mixed linearly. None restores every
        region.
    """

    tile: int = 256
    overlap: int = 32
    batch: int = 8
    max_pixels: int = 1024 * 1024
    pass_through: tuple[float, float] | None = (10.0, 14.0)

    def __post_init__(self) -> None:
        if self.tile < 16:
            raise ValueError(f"tile must be >= 16, got {self.tile}")
        if not 0 <= self.overlap < self.tile // 2:
            raise ValueError(
                f"overlap must be in [0, {self.tile // 2}), got {self.overlap}"
            )
        if self.batch < 1:
            raise ValueError(f"batch must be >= 1, got {self.batch}")
        if self.max_pixels < 0:
            raise ValueError(f"max_pixels must be >= 0, got {self.max_pixels}")
        if self.pass_through is not None:
            low, high = self.pass_through
            if not 0 <= low < high:
                raise ValueError(
                    f"pass_through must be (low, high) with 0 <= low < high, got "
                    f"{self.pass_through}"
                )
