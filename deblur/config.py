"""Configuration dataclasses for synthesis, models, training and tiling.

Every tunable of the `deblur` package lives here, validated once in ``__post_init__``.
Files are read only at the CLI boundary through :func:`from_dict`, the typed loader
both packages use; unknown keys are errors.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

__all__ = [
    "from_dict",
    "PlateConfig",
    "BlurConfig",
    "ModelConfig",
    "TrainConfig",
    "TileConfig",
    "PLATE_STYLES",
    "CLASSIC_STYLES",
    "PLATE_SCHEMES",
    "PLATE_PRESETS",
    "BLUR_KINDS",
    "ARCHITECTURES",
    "GUIDES",
    "LOSSES",
    "PlateStyle",
    "PlateScheme",
    "PlatePreset",
    "BlurKind",
    "Arch",
    "Guide",
    "Loss",
    "Distribute",
]

T = TypeVar("T")


class PlateStyle(str, Enum):
    """Plate styles of synthetic plates (``PlateConfig.style`` also takes "any")."""

    uk = "uk"
    eu = "eu"
    us = "us"
    cn = "cn"
    br = "br"
    br_old = "br_old"


class PlateScheme(str, Enum):
    """Plate and text colour schemes of ``PlateConfig.scheme`` (besides "auto")."""

    black_on_white = "black_on_white"
    black_on_yellow = "black_on_yellow"
    red_on_white = "red_on_white"
    white_on_blue = "white_on_blue"
    white_on_green = "white_on_green"
    white_on_black = "white_on_black"
    yellow_on_black = "yellow_on_black"
    black_on_grey = "black_on_grey"
    white_on_red = "white_on_red"


class PlatePreset(str, Enum):
    """Named presets of :meth:`PlateConfig.preset`."""

    classic = "classic"
    variety = "variety"


class BlurKind(str, Enum):
    """PSF families of :class:`BlurConfig`."""

    seed2017 = "seed2017"
    linear = "linear"
    trajectory = "trajectory"
    shake = "shake"
    defocus = "defocus"
    gaussian = "gaussian"
    none = "none"


class Arch(str, Enum):
    """Architectures of :class:`ModelConfig`."""

    plain15 = "plain15"
    res15 = "res15"
    unet = "unet"


class Guide(str, Enum):
    """Guide images of :class:`ModelConfig`."""

    none = "none"
    blind_wiener = "blind_wiener"
    gated_wiener = "gated_wiener"


class Loss(str, Enum):
    """Pixel losses of :class:`TrainConfig`."""

    mse = "mse"
    l1 = "l1"
    charbonnier = "charbonnier"


class Distribute(str, Enum):
    """How :func:`deblur.train.train` spreads a step over devices."""

    none = "none"
    mirrored = "mirrored"


PLATE_STYLES = tuple(s.value for s in PlateStyle)
CLASSIC_STYLES = ("uk", "eu", "us")
PLATE_SCHEMES = tuple(s.value for s in PlateScheme)
PLATE_PRESETS = tuple(p.value for p in PlatePreset)
BLUR_KINDS = tuple(k.value for k in BlurKind)
ARCHITECTURES = tuple(a.value for a in Arch)
GUIDES = tuple(g.value for g in Guide)
LOSSES = tuple(loss.value for loss in Loss)


def from_dict(cls: type[T], data: object) -> T:
    """Build the config dataclass `cls` from a parsed JSON or TOML mapping.

    The one typed loader of both packages (``bench.config`` uses it too): every value
    must fit its field's type hint, lists become tuples, and mappings (or lists of
    mappings) for fields typed as config dataclasses are built recursively, such as
    ``TrainConfig.degradations``. Each class still validates its values in
    ``__post_init__``.

    Parameters
    ----------
    cls : type
        A dataclass.
    data : mapping
        Field names to values.

    Returns
    -------
    cls instance

    Raises
    ------
    ValueError
        If `data` is not a mapping, has a key `cls` does not define, lacks a required
        key, or a value does not fit the field's type (the message names the class,
        the field, the expected type and the value).

    Examples
    --------
    >>> cfg = from_dict(TileConfig, {"tile": 128, "overlap": 16, "pass_through": None})
    >>> cfg.tile, cfg.overlap, cfg.pass_through
    (128, 16, None)
    >>> from_dict(TileConfig, {"tile": "128"})
    Traceback (most recent call last):
    ...
    ValueError: TileConfig.tile must be int, got '128'
    """
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__} must be a mapping, got {data!r}")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = {f.name for f in fields}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(
            f"unknown {cls.__name__} keys {unknown}; expected some of {sorted(names)}"
        )
    hints = typing.get_type_hints(cls)
    values = {key: _convert(value, hints[key]) for key, value in data.items()}
    for key, value in values.items():
        if not _matches(value, hints[key]):
            raise ValueError(
                f"{cls.__name__}.{key} must be {_describe(hints[key])}, got {value!r}"
            )
    required = [
        f.name
        for f in fields
        if f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
        and f.name not in values
    ]
    if required:
        raise ValueError(f"{cls.__name__} is missing the required keys {required}")
    return cls(**values)


def _convert(value: object, hint: Any) -> object:  # Any: a typing annotation
    """Lists to tuples, and mappings to the config dataclass that `hint` names."""
    for arg in _union_args(hint):
        if dataclasses.is_dataclass(arg) and isinstance(value, dict):
            return from_dict(arg, value)  # type: ignore[arg-type]
        if typing.get_origin(arg) is tuple and isinstance(value, (list, tuple)):
            item = typing.get_args(arg)[0]
            return tuple(_convert(v, item) for v in value)
    return tuple(value) if isinstance(value, list) else value


def _union_args(hint: Any) -> tuple[Any, ...]:  # Any: a typing annotation
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _matches(value: object, hint: Any) -> bool:  # Any: a typing annotation
    """Whether a parsed value fits a dataclass field annotation."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if origin is tuple:
        (item, *_) = typing.get_args(hint)
        return isinstance(value, tuple) and all(_matches(v, item) for v in value)
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:  # Any: a typing annotation
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return f"a list of {_describe(typing.get_args(hint)[0])}"
    if hint is type(None):
        return "absent"
    return "a mapping" if dataclasses.is_dataclass(hint) else hint.__name__


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")


@dataclass(frozen=True, kw_only=True)
class PlateConfig:
    """How synthetic sharp plates look.

    The defaults draw the three classic styles exactly as before issue 13 (same seed,
    same pixels); every look added since is off until its knob is set, and
    ``PlateConfig.preset("variety")`` turns them all on.

    Attributes
    ----------
    style : {"any", "uk", "eu", "us", "cn", "br", "br_old"}
        Plate style; ``"any"`` draws one per plate from `styles`.
    styles : tuple of str
        The styles ``"any"`` draws from (default the classic ``uk``, ``eu``, ``us``).
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
    scheme : str
        Plate and text colours: ``"auto"`` takes the style's usual colours (UK
        white front or yellow rear, EU white, US the state's, CN white on blue, BR
        black on white, old BR black on grey), or one of :data:`PLATE_SCHEMES` for
        every plate.
    scheme_variety : float
        Probability in [0, 1] that an ``"auto"`` plate takes one of its style's other
        real-world schemes instead (most of them light text on a dark plate).
    bolts : float
        Probability in [0, 1] of two screw heads on the plate.
    dirt : float
        Probability in [0, 1] of dirt: low-frequency blotches and speckle.
    shadow : float
        Probability in [0, 1] of a soft-edged shadow across part of the crop.
    car : float
        Probability in [0, 1] that the crop is wider and shows a synthetic car rear
        (painted body, recess, bumper line, highlights) instead of the textured margin.
    """

    style: str = "any"
    styles: tuple[str, ...] = CLASSIC_STYLES
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
    scheme: str = "auto"
    scheme_variety: float = 0.0
    bolts: float = 0.0
    dirt: float = 0.0
    shadow: float = 0.0
    car: float = 0.0

    def __post_init__(self) -> None:
        if self.style not in ("any", *PLATE_STYLES):
            raise ValueError(
                f"style must be 'any' or one of {PLATE_STYLES}, got {self.style!r}"
            )
        styles = tuple(self.styles)
        object.__setattr__(self, "styles", styles)  # a list from a file -> tuple
        if (
            not styles
            or set(styles) - set(PLATE_STYLES)
            or len(set(styles)) < len(styles)
        ):
            raise ValueError(
                f"styles must be distinct names from {PLATE_STYLES}, got {self.styles}"
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
        if self.scheme not in ("auto", *PLATE_SCHEMES):
            raise ValueError(
                f"scheme must be 'auto' or one of {PLATE_SCHEMES}, got {self.scheme!r}"
            )
        for name in ("scheme_variety", "bolts", "dirt", "shadow", "car"):
            _check_range(name, getattr(self, name), 0.0, 1.0)

    @classmethod
    def preset(cls, name: str) -> PlateConfig:
        """Return the named preset, one of :data:`PLATE_PRESETS`.

        ``"classic"`` is ``PlateConfig()``: the three classic styles, usual colours,
        no bolts, dirt, shadows or car body. ``"variety"`` draws all of
        :data:`PLATE_STYLES`, gives 40% of plates another real-world colour scheme,
        and adds bolts (50%), dirt (35%), shadows (30%) and car body (30%): the
        distribution meant for training and for new suites.

        Raises
        ------
        ValueError
            If `name` is not in :data:`PLATE_PRESETS`.

        Examples
        --------
        >>> PlateConfig.preset("variety").styles
        ('uk', 'eu', 'us', 'cn', 'br', 'br_old')
        """
        if name == "classic":
            return cls()
        if name == "variety":
            return cls(
                styles=PLATE_STYLES,
                scheme_variety=0.4,
                bolts=0.5,
                dirt=0.35,
                shadow=0.3,
                car=0.3,
            )
        raise ValueError(f"preset must be one of {PLATE_PRESETS}, got {name!r}")


@dataclass(frozen=True, kw_only=True)
class BlurConfig:
    """One degradation: exposure, a blur kernel, optics, sampling, noise and JPEG.

    The stages run in camera order: exposure change of the scene, motion/defocus blur
    (`kind`), lens softness (`optics`), sensor sampling (`resolution`), Poisson and
    Gaussian noise (`photons`, `noise`), JPEG (`jpeg_quality`), and the up-scaling back
    to the input size. Every stage but the blur and the Gaussian noise is off unless
    set. Named combinations live in :mod:`deblur.synth.families`.

    Attributes
    ----------
    kind : {"seed2017", "linear", "trajectory", "shake", "defocus", "gaussian", "none"}
        PSF family. ``seed2017`` is the 2017 generator (one-sided line, length
        0.3-1.0 x 25% of the image width); the others are centred. ``shake`` is a
        smooth curved camera-shake path travelled at uneven speed; ``none`` applies no
        blur (the later stages still apply).
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
    family : str
        Name of the degradation family this config belongs to (see
        :mod:`deblur.synth.families`); recorded with every draw, so results can be
        broken down by it. Empty for ad-hoc configs.
    exposure : float or None
        Strength in (0, 1] of a random exposure change of the *scene* before it is
        blurred: gamma ``exp(s * U(-0.7, 0.7))``, contrast ``1 - s * U(0, 0.6)`` and a
        brightness shift ``s * U(-0.2, 0.1)``. The sharp reference gets the same
        change (the task is deblurring, not relighting). None disables it.
    invert : float
        Probability of a photographic negative of the scene (light text on a dark
        plate), applied with the exposure change; a training augmentation.
    optics : tuple of (float, float) or None
        Range of the standard deviation (px) of a Gaussian lens softness applied after
        the motion blur. None disables it.
    resolution : tuple of (float, float) or None
        Range of the plate *text* height in pixels at which the sensor samples the
        plate: the image is down-scaled so that its text (taken as 60% of the image
        height) is that high, noised and compressed there, then up-scaled back to its
        size (bicubic). Only down-scaling happens. None disables it.
    photons : tuple of (float, float) or None
        Range of the photon count of a white pixel for signal-dependent (Poisson)
        noise, added before the Gaussian read noise `noise`. Fewer photons, more
        noise. None disables it.
    """

    kind: str = "linear"
    length: tuple[float, float] = (5.0, 31.0)
    angle: float | None = None
    noise: tuple[float, float] = (0.0, 0.01)
    jpeg_quality: tuple[int, int] | None = None
    weight: float = 1.0
    family: str = ""
    exposure: float | None = None
    invert: float = 0.0
    optics: tuple[float, float] | None = None
    resolution: tuple[float, float] | None = None
    photons: tuple[float, float] | None = None

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
        if self.exposure is not None:
            _check_range("exposure", self.exposure, 1e-6, 1.0)
        _check_range("invert", self.invert, 0.0, 1.0)
        _check_pair("optics", self.optics, 0.0, 10.0)
        _check_pair("resolution", self.resolution, 4.0, 512.0)
        _check_pair("photons", self.photons, 1.0, 1e6)


def _check_pair(
    name: str, value: tuple[float, float] | None, low: float, high: float
) -> None:
    """Check an optional ``(low, high)`` range lies in ``[low, high]`` and is ordered."""
    if value is None:
        return
    if len(value) != 2 or not low <= value[0] <= value[1] <= high:
        raise ValueError(
            f"{name} must be None or (low, high) with {low} <= low <= high <= {high}, "
            f"got {value}"
        )


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
    guide : {"none", "blind_wiener", "gated_wiener"}
        ``"blind_wiener"`` (``unet`` only) feeds the model a second image beside the
        blurred one, the blind Wiener restoration (registered deblurrer ``blind_wiener``),
        and adds the predicted correction to that guide instead of to the input. The
        model then has ``2 * channels`` inputs and ``channels`` outputs.
        ``"gated_wiener"`` does the same with the registered ``gated_wiener``, which
        is the input itself wherever the blind estimate finds no clear straight blur.
    guide_blend : bool
        A guided ``unet`` adds its correction to a per-pixel blend of the input and the
        guide, ``input + m * (guide - input)``, with the weight ``m`` in (0, 1)
        predicted from its last features, instead of to the guide alone: it can learn
        to ignore a guide that is wrong (a straight-blur guide on a curved shake).
    """

    arch: str = "unet"
    channels: int = 1
    width: int = 16
    depth: int = 3
    blocks: tuple[int, ...] = (1, 1, 2, 4)
    guide: str = "none"
    guide_blend: bool = False

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
        if self.guide_blend and self.guide == "none":
            raise ValueError("guide_blend needs a guide, got guide 'none'")
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
        Patch (height, width) in pixels (``deblur train --patch`` takes WxH).
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
    plate_preset : {"classic", "variety"}
        How those synthetic plates look (:meth:`PlateConfig.preset`): the three
        classic dark-on-light styles, or every style and colour scheme with bolts,
        dirt, shadows and car body.
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
    plate_preset: str = "classic"
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
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
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
        if self.plate_preset not in PLATE_PRESETS:
            raise ValueError(
                f"plate_preset must be one of {PLATE_PRESETS}, got {self.plate_preset!r}"
            )
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
        Do no harm on regions without measurable motion blur (a plate is one
        region, a frame's tiles are regions): a region whose blur estimate has a
        cepstral strength (:class:`deblur.estimate.PsfEstimate`) below the first value
        is passed through unchanged and skips the model, above the second it is fully
        restored, and in between the two are mixed linearly (times the direction
        weight, :func:`deblur.inference.region_weight`). None restores every region.
        Used for the tiles of a frame; a plate uses `plate_pass_through`.
    plate_pass_through : (float, float) or None
        The same rule for an image that is one region (a plate crop). Plates need
        lower thresholds than 256-px photo regions: on 168 straight-blurred plates of
        the default generator drawn with seed 7 (not the suite's), (10, 14) passed
        8.3% of the 25-31 px blurs through unrestored and (8, 12) 4.2%, while 84
        sharp plates of that draw kept a weight of at most 0.12 (mean 0.005) and 77
        sharp real crops 0. None restores every plate (and turns `plate_gate` off).
    plate_gate : bool
        Let the learned plate gate (:func:`deblur.gate.shipped_gate`) raise a plate's
        weight above the `plate_pass_through` thresholds' (it never lowers it): it
        restores the straight blurs that a camera's soft optics, sensor noise and JPEG
        hide from the cepstrum (``results/plate_gate.md``). False keeps the
        thresholds alone. Frames' tiles always use `pass_through` alone.
    """

    tile: int = 256
    overlap: int = 32
    batch: int = 8
    max_pixels: int = 1024 * 1024
    pass_through: tuple[float, float] | None = (10.0, 14.0)
    plate_pass_through: tuple[float, float] | None = (8.0, 12.0)
    plate_gate: bool = True

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
        for name in ("pass_through", "plate_pass_through"):
            value = getattr(self, name)
            if value is not None and not 0 <= value[0] < value[1]:
                raise ValueError(
                    f"{name} must be (low, high) with 0 <= low < high, got {value}"
                )
