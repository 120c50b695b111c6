"""The plate gate: a learned rule for which plates the network should restore.

A plate crop is one region. Restoring it helps when it shows the straight motion blur
the network was trained to undo, and harms (invents edges, rings, lowers OCR) when it is
sharp, shaken along a curved path, out of focus, compressed or noisy. The cepstral
strength of :func:`deblur.estimate.estimate_linear_psf` alone separates sharp plates
from clean straight blurs, but a camera pipeline (soft optics, sensor noise and JPEG on
top of the motion) fills the cepstral zeros: those plates score like sharp ones, so the
fixed thresholds of :attr:`deblur.config.TileConfig.plate_pass_through` passed almost
every ``camera`` plate through unrestored, although the network reads far more of them
(+140 PP-OCR and Tesseract reads on 180 plates, restored with no gate, on seed-11 and
-12 draws of every family).

:class:`PlateGate` is a logistic regression on seven cheap features of the plate and its
blur estimate (:data:`GATE_FEATURES`, :func:`plate_features`). It was fitted by
``benchmarks/fit_gate.py`` on synthetic plates of every degradation family (seeds 11
and 12, not the suites' seeds): 1 for a plate with a straight blur that the default
network's restoration did not cost reads, 0 for every other plate, shaken ones
included. The shipped coefficients live in ``deblur/weights/plate_gate.json``
(:func:`shipped_gate`); its probability is turned into a restoration weight by linear
thresholds, and the model deblurrers keep the larger of that weight and the cepstral
thresholds' (``results/plate_gate.md``).
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from deblur.io import to_gray

if TYPE_CHECKING:  # scipy is imported only when a plate is restored
    from deblur.estimate import PsfEstimate

__all__ = [
    "GATE_FEATURES",
    "GATE_THRESHOLDS",
    "PlateGate",
    "plate_features",
    "fit_gate",
    "shipped_gate",
]

GATE_FEATURES = (
    "log_strength",
    "anisotropy",
    "angle_gap",
    "hf_along",
    "hf_across",
    "noise",
    "echo_ratio",
)
"""The gate's inputs, in order (see :func:`plate_features`)."""

GATE_THRESHOLDS = (0.6, 0.8)
"""Probability at which a plate's weight starts to rise, and at which it is restored
fully: chosen on selection draws (seeds 7 and 8, synthetic and real crops) among 0.4-0.6
to 0.7-0.9 (``results/plate_gate.md``)."""

_MIN_SIDE = 3  # np.gradient's second differences need three samples a side


def plate_features(
    region: NDArray[np.float32], estimate: PsfEstimate
) -> NDArray[np.float64]:
    """The :data:`GATE_FEATURES` of one plate and its blur estimate.

    Parameters
    ----------
    region : (H, W) or (H, W, C) ndarray of float32
        The plate (colour is reduced to luminance).
    estimate : PsfEstimate
        Its blur estimate (:func:`deblur.estimate.estimate_linear_psf`).

    Returns
    -------
    (7,) ndarray of float64
        ``log_strength``: log of the cepstral valley's strength (at least 0.1).
        ``anisotropy``: smallest over largest eigenvalue of the gradient's structure
        tensor (about 0.8 on sharp plates, 0.2 under a straight 15 px blur).
        ``angle_gap``: degrees between the estimated blur direction and the direction
        of least gradient energy (they agree under a straight blur).
        ``hf_along``, ``hf_across``: energy of the second derivative over that of the
        first, along and across the estimated blur (a blur removes the fine detail
        along its path only).
        ``noise``: robust spread of the Laplacian over the gradient's RMS (sensor
        noise and JPEG raise it).
        ``echo_ratio``: the cepstral valley's echo at twice the blur length over its
        strength, clipped to [-1, 1] (:attr:`deblur.estimate.PsfEstimate.echo`):
        about 0.25 under a straight blur, under 0.1 under a curved shake.

    Examples
    --------
    >>> from deblur.estimate import estimate_linear_psf
    >>> plate = np.random.default_rng(0).random((32, 96)).astype(np.float32)
    >>> plate_features(plate, estimate_linear_psf(plate)).shape
    (7,)
    """
    from scipy import ndimage

    gray = to_gray(region).astype(np.float64)
    rows, cols = np.gradient(gray)
    xx, yy, xy = np.mean(cols * cols), np.mean(rows * rows), np.mean(cols * rows)
    trace = xx + yy
    spread = math.sqrt(max(trace * trace / 4 - (xx * yy - xy * xy), 0.0))
    anisotropy = max(trace / 2 - spread, 1e-12) / max(trace / 2 + spread, 1e-12)
    # least gradient energy lies across the strongest; image rows point down, the
    # estimate's angle counts counter-clockwise with rows up
    least = (0.5 * math.degrees(math.atan2(2 * xy, xx - yy)) + 90.0) % 180.0
    gap = abs(least - (-estimate.angle) % 180.0) % 180.0
    theta = math.radians(estimate.angle)
    along = math.cos(theta) * cols - math.sin(theta) * rows
    across = math.sin(theta) * cols + math.cos(theta) * rows
    along_rows, along_cols = np.gradient(along)
    across_rows, across_cols = np.gradient(across)
    along2 = math.cos(theta) * along_cols - math.sin(theta) * along_rows
    across2 = math.sin(theta) * across_cols + math.cos(theta) * across_rows
    energy_along = float(np.mean(along**2)) + 1e-12
    energy_across = float(np.mean(across**2)) + 1e-12
    laplace = ndimage.laplace(gray)
    noise = 1.4826 * float(np.median(np.abs(laplace - np.median(laplace))))
    return np.array(
        [
            math.log(max(estimate.strength, 0.1)),
            anisotropy,
            min(gap, 180.0 - gap),
            float(np.mean(along2**2)) / energy_along,
            float(np.mean(across2**2)) / energy_across,
            noise / math.sqrt(trace + 1e-12),
            min(max(estimate.echo / max(estimate.strength, 0.1), -1.0), 1.0),
        ]
    )


@dataclass(frozen=True, kw_only=True)
class PlateGate:
    """A logistic regression on :data:`GATE_FEATURES`: how likely restoring helps.

    Attributes
    ----------
    mean, scale : tuple of float
        Standardisation of each feature (subtract `mean`, divide by `scale`).
    coef : tuple of float
        One weight per standardised feature.
    intercept : float
    thresholds : (float, float)
        ``(low, high)`` on the probability: weight 0 (pass the plate through) at or
        below `low`, 1 at or above `high`, linear in between.
    """

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    thresholds: tuple[float, float] = GATE_THRESHOLDS

    def __post_init__(self) -> None:
        size = len(GATE_FEATURES)
        for name in ("mean", "scale", "coef"):
            if len(getattr(self, name)) != size:
                raise ValueError(
                    f"{name} needs {size} values (one per feature), "
                    f"got {len(getattr(self, name))}"
                )
        if min(self.scale) <= 0:
            raise ValueError(f"scale must be > 0, got {self.scale}")
        low, high = self.thresholds
        if not 0.0 <= low < high <= 1.0:
            raise ValueError(
                f"thresholds must be (low, high) with 0 <= low < high <= 1, "
                f"got {self.thresholds}"
            )

    def probability(self, features: NDArray[np.float64]) -> float:
        """Probability that restoring the plate with these features helps."""
        z = (np.asarray(features) - np.array(self.mean)) / np.array(self.scale)
        logit = self.intercept + float(z @ np.array(self.coef))
        return 1.0 / (1.0 + math.exp(-min(max(logit, -50.0), 50.0)))

    def weight(self, region: NDArray[np.float32], estimate: PsfEstimate) -> float:
        """How much of the plate's restoration to keep, in [0, 1] (0: pass through).

        A plate under 3 px on a side is too small to judge and is passed through.
        """
        if min(region.shape[:2]) < _MIN_SIDE:
            return 0.0
        low, high = self.thresholds
        p = self.probability(plate_features(region, estimate))
        return float(np.clip((p - low) / (high - low), 0.0, 1.0))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlateGate:
        """Build from a JSON object; unknown keys and a wrong feature list are errors."""
        data = dict(data)
        features = tuple(data.pop("features", GATE_FEATURES))
        if features != GATE_FEATURES:
            raise ValueError(f"gate features {features} are not {GATE_FEATURES}")
        data.pop("fitted", None)  # provenance, for readers of the file
        known = {"mean", "scale", "coef", "intercept", "thresholds"}
        if set(data) - known:
            raise ValueError(f"unknown gate keys: {sorted(set(data) - known)}")
        return cls(
            mean=tuple(data["mean"]),
            scale=tuple(data["scale"]),
            coef=tuple(data["coef"]),
            intercept=float(data["intercept"]),
            thresholds=tuple(data.get("thresholds", GATE_THRESHOLDS)),
        )

    @classmethod
    def load(cls, path: str | Path) -> PlateGate:
        """Read a gate file written by ``benchmarks/fit_gate.py``; one-line errors."""
        try:
            return cls.from_dict(json.loads(Path(path).read_text()))
        except (OSError, ValueError, TypeError, KeyError) as err:
            raise ValueError(f"{path}: not a plate gate ({err})") from err


def fit_gate(
    features: NDArray[np.float64],
    labels: NDArray[np.float64],
    weights: NDArray[np.float64] | None = None,
    *,
    ridge: float = 1e-2,
    thresholds: tuple[float, float] = GATE_THRESHOLDS,
) -> PlateGate:
    """Fit a :class:`PlateGate` by Newton's method (iteratively reweighted least squares).

    Parameters
    ----------
    features : (N, 7) ndarray
        :func:`plate_features` of N plates.
    labels : (N,) ndarray of 0 and 1
        1 where restoring the plate helped.
    weights : (N,) ndarray, optional
        Per-plate weights (how much each plate's outcome counts); ones when None.
    ridge : float
        L2 penalty on the coefficients (standardised features).
    thresholds : (float, float)
        Stored in the gate (see :class:`PlateGate`).
    """
    features = np.asarray(features, np.float64)
    mean, scale = features.mean(0), features.std(0) + 1e-9
    design = np.c_[np.ones(len(features)), (features - mean) / scale]
    weights = np.ones(len(labels)) if weights is None else np.asarray(weights)
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        hessian = design.T @ (design * (weights * p * (1 - p))[:, None])
        gradient = design.T @ (weights * (p - labels)) + ridge * beta
        step = np.linalg.solve(hessian + ridge * np.eye(len(beta)), gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return PlateGate(
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in beta[1:]),
        intercept=float(beta[0]),
        thresholds=thresholds,
    )


@functools.cache
def shipped_gate() -> PlateGate:
    """The gate shipped in ``deblur/weights/plate_gate.json`` (read once)."""
    resource = importlib.resources.files("deblur") / "weights" / "plate_gate.json"
    with importlib.resources.as_file(resource) as path:
        return PlateGate.load(path)
