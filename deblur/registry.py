"""Registry of deblurring methods: register_deblurrer / get_deblurrer.

Registration is explicit, by decorator on a factory in :mod:`deblur.deblurrers`.
Nothing is discovered by scanning the file system.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from deblur.types import Deblurrer

__all__ = [
    "DeblurrerInfo",
    "register_deblurrer",
    "get_deblurrer",
    "available_deblurrers",
    "deblurrer_info",
]

Factory = Callable[..., Deblurrer]


@dataclass(frozen=True, kw_only=True)
class DeblurrerInfo:
    """What the registry knows about one method.

    Attributes
    ----------
    name : str
        Registered name.
    factory : callable
        Builds an instance from keyword-only options.
    needs_psf : bool
        True for oracle (non-blind) methods: the factory takes ``psf=`` and the bench
        passes the true kernel of each sample.
    threaded : bool
        True for methods that run a model: the factory takes ``threads=`` (CPU
        threads of the model runtime, 0 = its default), which the bench sets to 1 when
        it runs several worker processes.
    description : str
        One line shown by ``bench list`` and ``deblur models``.
    """

    name: str
    factory: Factory
    needs_psf: bool
    threaded: bool = False
    description: str


_REGISTRY: dict[str, DeblurrerInfo] = {}


def register_deblurrer(
    name: str,
    *,
    needs_psf: bool = False,
    threaded: bool = False,
    description: str = "",
) -> Callable[[Factory], Factory]:
    """Register `factory` under `name` (decorator).

    Raises
    ------
    ValueError
        If `name` is already registered.
    """

    def decorator(factory: Factory) -> Factory:
        if name in _REGISTRY:
            raise ValueError(f"deblurrer {name!r} is already registered")
        _REGISTRY[name] = DeblurrerInfo(
            name=name,
            factory=factory,
            needs_psf=needs_psf,
            threaded=threaded,
            description=description,
        )
        return factory

    return decorator


def available_deblurrers() -> list[str]:
    """Return the registered names, sorted."""
    return sorted(_REGISTRY)


def deblurrer_info(name: str) -> DeblurrerInfo:
    """Return the registry entry for `name`.

    Raises
    ------
    KeyError
        If `name` is not registered; the message lists the available names.
    """
    if name not in _REGISTRY:
        raise KeyError(
            f"unknown deblurrer {name!r}; available: {', '.join(available_deblurrers())}"
        )
    return _REGISTRY[name]


def get_deblurrer(name: str, **options: Any) -> Deblurrer:  # Any: per-factory options
    """Build the deblurrer registered as `name` with keyword `options`.

    Raises
    ------
    KeyError
        If `name` is not registered.
    TypeError
        If an option is not accepted by the factory.
    """
    return deblurrer_info(name).factory(**options)
