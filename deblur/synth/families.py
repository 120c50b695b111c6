"""Named degradation families: what a camera really does to a plate, one name each.

A family is a :class:`~deblur.config.BlurConfig` with a name. Suites select families by
name (``bench`` ``[blur] families = [...]``), training mixes them by weight
(:func:`training_mix`), and every degraded sample records its family, so results are
broken down by it. Ranges are in pixels of a plate about 240 px wide and 56-64 px
high (the suites' and the training plates' size).

| family | what |
|---|---|
| ``sharp`` | no blur, light Gaussian noise: the do-no-harm check |
| ``motion`` | straight linear motion, 3-45 px (up to ~20% of the width) |
| ``seed2017`` | the 2017 generator: one-sided line, 0.3-1.0 x 25% of the width |
| ``shake`` | curved camera-shake path at uneven speed, 5-31 px of path |
| ``defocus`` | out-of-focus disc, 2-9 px across |
| ``soft`` | slight optical softness only (Gaussian, sigma 0.5-1.5 px) |
| ``lowres`` | plate text 10-40 px high: down-sampled, compressed, up-sampled |
| ``dim`` | exposure, gamma and contrast changes with Poisson-Gaussian noise |
| ``jpeg`` | JPEG at quality 30-95 only |
| ``camera`` | straight motion + soft optics + Poisson-Gaussian noise + JPEG q40-75 |

Each stage can also be switched on or off alone in a ``BlurConfig``; the families are
only names for useful combinations.
"""

from __future__ import annotations

import dataclasses

from deblur.config import BlurConfig

__all__ = ["FAMILIES", "family_config", "available_families", "training_mix"]

FAMILIES: dict[str, BlurConfig] = {
    "sharp": BlurConfig(family="sharp", kind="none", noise=(0.0, 0.01)),
    "motion": BlurConfig(
        family="motion", kind="linear", length=(3.0, 45.0), noise=(0.0, 0.01)
    ),
    "seed2017": BlurConfig(family="seed2017", kind="seed2017", noise=(0.0, 0.01)),
    "shake": BlurConfig(
        family="shake", kind="shake", length=(5.0, 31.0), noise=(0.0, 0.01)
    ),
    "defocus": BlurConfig(
        family="defocus", kind="defocus", length=(2.0, 9.0), noise=(0.0, 0.01)
    ),
    "soft": BlurConfig(
        family="soft", kind="none", optics=(0.5, 1.5), noise=(0.0, 0.01)
    ),
    "lowres": BlurConfig(
        family="lowres",
        kind="none",
        resolution=(10.0, 40.0),
        noise=(0.0, 0.01),
        jpeg_quality=(50, 95),
    ),
    "dim": BlurConfig(
        family="dim",
        kind="none",
        exposure=1.0,
        photons=(20.0, 200.0),
        noise=(0.0, 0.01),
    ),
    "jpeg": BlurConfig(
        family="jpeg", kind="none", noise=(0.0, 0.005), jpeg_quality=(30, 95)
    ),
    "camera": BlurConfig(
        family="camera",
        kind="linear",
        length=(3.0, 31.0),
        optics=(0.4, 1.2),
        photons=(30.0, 300.0),
        noise=(0.002, 0.01),
        jpeg_quality=(40, 75),
    ),
}


def available_families() -> list[str]:
    """Return the family names, in table order."""
    return list(FAMILIES)


def family_config(name: str, *, length: float | None = None) -> BlurConfig:
    """Return family `name`, with its blur length fixed to `length` when given.

    Parameters
    ----------
    name : str
        One of :func:`available_families`.
    length : float, optional
        Blur length (path length for ``shake``, diameter for ``defocus``) in pixels;
        ignored by the families without a blur kernel (``kind="none"``) and by
        ``seed2017``, whose length follows the image width.

    Raises
    ------
    KeyError
        If `name` is not a family; the message lists them.
    ValueError
        If `length` is below 1.

    Examples
    --------
    >>> family_config("shake", length=9).length
    (9.0, 9.0)
    """
    if name not in FAMILIES:
        raise KeyError(
            f"unknown degradation family {name!r}; available: {available_families()}"
        )
    cfg = FAMILIES[name]
    if length is None or cfg.kind in ("none", "seed2017"):
        return cfg
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    return dataclasses.replace(cfg, length=(float(length), float(length)))


def training_mix(
    weights: dict[str, float], *, invert: float = 0.0
) -> tuple[BlurConfig, ...]:
    """Return the families in `weights` with those training weights (and negatives).

    Parameters
    ----------
    weights : dict of str to float
        Family name -> relative frequency (> 0).
    invert : float
        Probability of a photographic negative of each scene (light-on-dark plates).

    Raises
    ------
    KeyError
        If a name is not a family.
    """
    return tuple(
        dataclasses.replace(family_config(name), weight=float(w), invert=invert)
        for name, w in weights.items()
    )
