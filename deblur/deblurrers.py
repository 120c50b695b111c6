"""Registered deblurring methods: classical baselines (and, below them, the models).

Every factory is registered with :func:`deblur.registry.register_deblurrer` and returns
an object satisfying :class:`deblur.types.Deblurrer`. The classical baselines are

``identity``
    Returns the input unchanged (the "blurred" floor in the bench).
``wiener``, ``richardson_lucy``, ``unsupervised_wiener``
    Oracle non-blind deconvolution given the true PSF (``needs_psf=True``): an upper
    reference for what a kernel-aware classical method reaches, not a deployable method.
``unsharp_mask``
    Blind sharpening, the cheapest deployable baseline.

Colour images are restored channel by channel; an alpha channel is passed through
unchanged. PSF-based methods pad the image by replicating its edge pixels (the same
boundary rule as :func:`deblur.synth.degrade.blur`) and crop afterwards; the FFT-based
Wiener methods also taper the padding towards its circularly blurred version
(MATLAB's ``edgetaper``) so the periodic wrap-around does not ring through the plate.
Outputs are float32, clipped to ``[0, 1]``; inputs are never modified.

The default parameters were tuned on synthetic 240x60 plates blurred by linear PSFs of
5-31 px with Gaussian noise of sigma 0.005-0.01: PSNR gain (42 plates) and, for Wiener,
Tesseract exact matches (24 plates). Wiener ``balance=0.01`` gains 3.2 dB (0.002 gains
3.9 dB but its ringing halves Tesseract's reads at 13-21 px); Richardson-Lucy
``num_iter=15`` gains 1.5 dB (more iterations amplify noise); unsupervised Wiener
``max_num_iter=30`` gains 3.2 dB; unsharp masking (radius 1, amount 1) gains only
0.2 dB and only on short blurs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from deblur.config import TileConfig
from deblur.regions import blur_weight
from deblur.registry import register_deblurrer
from deblur.types import PSF, Deblurrer, Image, check_image
from deblur.wiener import edge_taper, wiener_hunt

if TYPE_CHECKING:  # scipy is imported only when a blur is estimated
    from deblur.estimate import PsfEstimate

__all__ = [
    "IdentityDeblurrer",
    "WienerDeblurrer",
    "RichardsonLucyDeblurrer",
    "UnsupervisedWienerDeblurrer",
    "UnsharpMaskDeblurrer",
    "apply_per_channel",
    "edge_taper",
]

Plane = NDArray[np.floating]
"""One 2-D colour plane, float64 or float32 (see :func:`apply_per_channel`)."""

_TAPER_PADS = 3
"""FFT methods pad by this many PSF sizes (tuned: 3 beats 1 and 2 on long blurs)."""


def apply_per_channel(
    image: Image,
    fn: Callable[[Plane], Plane],
    *,
    pad: int = 0,
    dtype: type[np.floating] = np.float64,
) -> Image:
    """Apply a 2-D restoration `fn` to every colour plane of `image`.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray of float32 in [0, 1]
        Input image, C in {1, 3, 4}; it is not modified.
    fn : callable
        Maps a plane of `dtype` to a plane of the same shape.
    pad : int
        Edge-replicating padding added on every side before `fn`, cropped afterwards.
    dtype : {numpy.float64, numpy.float32}
        Precision of the planes `fn` receives.

    Returns
    -------
    restored : ndarray of float32 in [0, 1]
        Same shape as `image`; a fourth (alpha) channel is copied unchanged.

    Raises
    ------
    TypeError, ValueError
        If `image` is not a valid image (see :func:`deblur.types.check_image`).
    """
    check_image(image)
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    height, width = image.shape[:2]

    def restore(plane: NDArray[np.float32]) -> NDArray[np.float32]:
        padded = np.pad(plane.astype(dtype), pad, mode="edge")
        out = np.asarray(fn(padded))[pad : pad + height, pad : pad + width]
        return np.clip(out, 0.0, 1.0).astype(np.float32)

    if image.ndim == 2:
        return restore(image)
    colour = min(image.shape[2], 3)
    planes = [restore(image[..., c]) for c in range(colour)]
    planes.extend(image[..., c].copy() for c in range(colour, image.shape[2]))
    return np.stack(planes, axis=2)


def _check_psf(psf: object) -> PSF:
    """Validate a PSF and return a float64 copy normalised to sum 1."""
    if not isinstance(psf, np.ndarray):
        raise TypeError(f"psf must be a numpy array, got {type(psf).__name__}")
    if psf.ndim != 2 or psf.size == 0:
        raise ValueError(f"psf must be a non-empty 2-D array, got shape {psf.shape}")
    kernel = np.asarray(psf, dtype=np.float64).copy()
    if not np.all(np.isfinite(kernel)):
        raise ValueError("psf must contain only finite values")
    total = kernel.sum()
    if total <= 0:
        raise ValueError(f"psf must have a positive sum, got {total}")
    return kernel / total


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")


class IdentityDeblurrer:
    """Return a copy of the input (the no-restoration floor)."""

    name = "identity"

    def __call__(self, image: Image) -> Image:
        """Return a copy of `image`."""
        return check_image(image).copy()


class WienerDeblurrer:
    """Wiener-Hunt deconvolution with a Laplacian regulariser and a known PSF.

    Parameters
    ----------
    psf : 2-D ndarray
        Blur kernel, centre at index ``shape // 2``; normalised to sum 1.
    balance : float
        Regularisation weight (larger = smoother, less ringing and noise).

    References
    ----------
    F. Orieux, J.-F. Giovannelli, T. Rodet, "Bayesian estimation of regularization and
    point spread function parameters for Wiener-Hunt deconvolution", JOSA A 27(7), 2010.
    """

    name = "wiener"

    def __init__(self, *, psf: PSF, balance: float) -> None:
        _check_positive("balance", balance)
        self.psf = _check_psf(psf)
        self.balance = float(balance)

    def __call__(self, image: Image) -> Image:
        """Deconvolve `image` (same shape and dtype out), in float32 FFTs."""
        pad = _TAPER_PADS * max(self.psf.shape)
        return apply_per_channel(
            image,
            lambda plane: wiener_hunt(plane, self.psf, balance=self.balance, taper=pad),
            pad=pad,
            dtype=np.float32,
        )


class RichardsonLucyDeblurrer:
    """Richardson-Lucy deconvolution with a known PSF.

    Parameters
    ----------
    psf : 2-D ndarray
        Blur kernel, centre at index ``shape // 2``; normalised to sum 1.
    num_iter : int
        Number of iterations (more = sharper, but amplifies noise).

    References
    ----------
    W. H. Richardson, "Bayesian-based iterative method of image restoration",
    JOSA 62(1), 1972. L. B. Lucy, "An iterative technique for the rectification of
    observed distributions", Astron. J. 79, 1974.
    """

    name = "richardson_lucy"

    def __init__(self, *, psf: PSF, num_iter: int) -> None:
        if not isinstance(num_iter, int) or num_iter < 1:
            raise ValueError(f"num_iter must be an int >= 1, got {num_iter!r}")
        self.psf = _check_psf(psf)
        self.num_iter = num_iter

    def __call__(self, image: Image) -> Image:
        """Deconvolve `image` (same shape and dtype out)."""
        from skimage.restoration import richardson_lucy

        return apply_per_channel(
            image,
            lambda plane: richardson_lucy(plane, self.psf, self.num_iter, clip=False),
            pad=max(self.psf.shape),
        )


class UnsupervisedWienerDeblurrer:
    """Wiener-Hunt deconvolution whose regularisation is estimated by Gibbs sampling.

    Parameters
    ----------
    psf : 2-D ndarray
        Blur kernel, centre at index ``shape // 2``; normalised to sum 1.
    max_num_iter : int
        Upper bound on Gibbs iterations (speed/accuracy trade-off).
    seed : int
        Seed of the sampler; the same seed gives the same output.

    References
    ----------
    F. Orieux, J.-F. Giovannelli, T. Rodet, JOSA A 27(7), 2010 (see `WienerDeblurrer`).
    """

    name = "unsupervised_wiener"

    def __init__(self, *, psf: PSF, max_num_iter: int, seed: int) -> None:
        if not isinstance(max_num_iter, int) or max_num_iter < 2:
            raise ValueError(f"max_num_iter must be an int >= 2, got {max_num_iter!r}")
        self.psf = _check_psf(psf)
        self.max_num_iter = max_num_iter
        self.seed = int(seed)

    def __call__(self, image: Image) -> Image:
        """Deconvolve `image` (same shape and dtype out)."""
        from skimage.restoration import unsupervised_wiener

        params = {
            "max_num_iter": self.max_num_iter,
            "min_num_iter": min(30, self.max_num_iter - 1),
            "burnin": min(15, self.max_num_iter // 2),
        }

        def restore(plane: Plane) -> Plane:
            rng = np.random.default_rng(self.seed)
            tapered = edge_taper(plane, self.psf, width=pad)
            out, _ = unsupervised_wiener(
                tapered, self.psf, user_params=params, clip=False, rng=rng
            )
            return np.asarray(out, dtype=np.float64)

        pad = _TAPER_PADS * max(self.psf.shape)
        return apply_per_channel(image, restore, pad=pad)


class UnsharpMaskDeblurrer:
    """Blind unsharp masking: ``image + amount * (image - gaussian(image, radius))``.

    Parameters
    ----------
    radius : float
        Standard deviation of the Gaussian blur, in pixels.
    amount : float
        Strength of the added detail.
    """

    name = "unsharp_mask"

    def __init__(self, *, radius: float, amount: float) -> None:
        _check_positive("radius", radius)
        _check_positive("amount", amount)
        self.radius = float(radius)
        self.amount = float(amount)

    def __call__(self, image: Image) -> Image:
        """Sharpen `image` (same shape and dtype out)."""
        from skimage.filters import unsharp_mask

        return apply_per_channel(
            image,
            lambda plane: unsharp_mask(
                plane, radius=self.radius, amount=self.amount, preserve_range=True
            ),
        )


@register_deblurrer("identity", description="No restoration: returns the input.")
def _make_identity() -> Deblurrer:
    return IdentityDeblurrer()


@register_deblurrer(
    "wiener",
    needs_psf=True,
    description="Oracle Wiener-Hunt deconvolution with the true PSF (skimage).",
)
def _make_wiener(*, psf: PSF, balance: float = 0.01) -> Deblurrer:
    return WienerDeblurrer(psf=psf, balance=balance)


@register_deblurrer(
    "richardson_lucy",
    needs_psf=True,
    description="Oracle Richardson-Lucy deconvolution with the true PSF (skimage).",
)
def _make_richardson_lucy(*, psf: PSF, num_iter: int = 15) -> Deblurrer:
    return RichardsonLucyDeblurrer(psf=psf, num_iter=num_iter)


@register_deblurrer(
    "unsupervised_wiener",
    needs_psf=True,
    description="Oracle Wiener-Hunt with self-tuned regularisation (skimage, Gibbs).",
)
def _make_unsupervised_wiener(
    *, psf: PSF, max_num_iter: int = 30, seed: int = 0
) -> Deblurrer:
    return UnsupervisedWienerDeblurrer(psf=psf, max_num_iter=max_num_iter, seed=seed)


@register_deblurrer(
    "unsharp_mask", description="Blind unsharp masking (skimage), no PSF needed."
)
def _make_unsharp_mask(*, radius: float = 1.0, amount: float = 1.0) -> Deblurrer:
    return UnsharpMaskDeblurrer(radius=radius, amount=amount)


class BlindWienerDeblurrer:
    """Wiener deconvolution with a linear PSF estimated from the image (blind).

    The kernel comes from :func:`deblur.estimate.estimate_linear_psf`; the restoration
    is :class:`WienerDeblurrer` with it. With a `gate`, the restoration is trusted only
    as far as the estimate is: ``input + w * (wiener - input)`` with ``w`` rising
    linearly from 0 at ``strength = gate[0]`` to 1 at ``gate[1]``, so a plate without
    a clear straight blur (sharp, soft, shaken, compressed) comes back unchanged
    instead of ringing around an invented kernel.
    """

    def __init__(
        self,
        *,
        balance: float,
        max_length: float,
        gate: tuple[float, float] | None = None,
        name: str = "blind_wiener",
    ) -> None:
        _check_positive("balance", balance)
        _check_positive("max_length", max_length)
        if gate is not None and not 0 <= gate[0] < gate[1]:
            raise ValueError(
                f"gate must be (low, high) with 0 <= low < high, got {gate}"
            )
        self.balance = float(balance)
        self.max_length = float(max_length)
        self.gate = gate
        self.name = name

    def weight(self, strength: float) -> float:
        """The share of the Wiener restoration kept for an estimate's `strength`."""
        return blur_weight(strength, self.gate)

    def __call__(self, image: Image) -> Image:
        """Estimate the blur of `image`, then deconvolve it (as far as the gate lets)."""
        from deblur.estimate import estimate_linear_psf

        estimate = estimate_linear_psf(check_image(image), max_length=self.max_length)
        return self.from_estimate(image, estimate)

    def from_estimate(self, image: Image, estimate: PsfEstimate) -> Image:
        """Deconvolve `image` with an estimate already made (as far as the gate lets).

        Parameters
        ----------
        image : (H, W) or (H, W, C) ndarray of float32 in [0, 1]
            The blurred image.
        estimate : PsfEstimate
            Its blur estimate (:func:`deblur.estimate.estimate_linear_psf` with
            ``max_length=self.max_length``); :meth:`__call__` makes it itself.

        Returns
        -------
        ndarray
            ``image + w * (wiener - image)`` with ``w = self.weight(estimate.strength)``:
            a copy of `image` when ``w`` is 0, the Wiener restoration when it is 1.
        """
        weight = self.weight(estimate.strength)
        if weight == 0.0:
            return image.copy()
        restored = WienerDeblurrer(psf=estimate.psf, balance=self.balance)(image)
        if weight == 1.0:
            return restored
        return (image + weight * (restored - image)).astype(image.dtype)


@register_deblurrer(
    "blind_wiener",
    description="Blind: cepstral estimate of a linear motion PSF, then Wiener.",
)
def _make_blind_wiener(*, balance: float = 0.01, max_length: float = 40.0) -> Deblurrer:
    return BlindWienerDeblurrer(balance=balance, max_length=max_length)


GATED_WIENER_GATE = (10.0, 16.0)
"""Cepstral strength (:attr:`deblur.estimate.PsfEstimate.strength`) below which
``gated_wiener`` returns the input, and above which it returns the full blind Wiener
restoration. Chosen on 40 synthetic plates of seed 99
and 40 real crops of each set (not the suites' draws): sharp, soft, JPEG, dim and
camera-pipeline plates score 4-12 (95th percentile 11.5), straight motion of 5-17 px
scores 12-46 (5th percentile 23 on synthetic, 6-11 on real crops)."""


@register_deblurrer(
    "gated_wiener",
    description="Blind Wiener only where the cepstrum finds a clear straight blur; "
    "elsewhere the input (do no harm).",
)
def _make_gated_wiener(
    *,
    balance: float = 0.01,
    max_length: float = 40.0,
    gate: tuple[float, float] = GATED_WIENER_GATE,
) -> Deblurrer:
    return BlindWienerDeblurrer(
        balance=balance, max_length=max_length, gate=gate, name="gated_wiener"
    )


# --- Trained models (see deblur.inference) ---------------------------------------------


@register_deblurrer(
    "model",
    threaded=True,
    description="A trained model from a .keras/.onnx/.tflite model file or run folder (path=).",
)
def _make_model(
    *,
    path: str,
    tile: TileConfig | None = None,
    seed_tiling: bool = False,
    threads: int = 0,
) -> Deblurrer:
    from pathlib import Path

    from deblur.inference import load

    return load(Path(path), tile=tile, seed_tiling=seed_tiling, threads=threads)


def _shipped(name: str) -> Callable[..., Deblurrer]:
    """The factory of the shipped weights `name` (:func:`deblur.inference.load`)."""

    def make(
        *, tile: TileConfig | None = None, seed_tiling: bool = False, threads: int = 0
    ) -> Deblurrer:
        from deblur.inference import load

        return load(name, tile=tile, seed_tiling=seed_tiling, threads=threads)

    return make


register_deblurrer(
    "default",
    threaded=True,
    description="Shipped luminance NAF U-Net; needs the shipped weights file "
    "deblur/weights/default.keras.",
)(_shipped("default"))

register_deblurrer(
    "fast",
    threaded=True,
    description="Shipped throughput model: the default's U-Net at width 8 (3.7x fewer "
    "multiply-adds); needs deblur/weights/fast.keras.",
)(_shipped("fast"))


@register_deblurrer(
    "plain15",
    threaded=True,
    description="The 2017 plain RGB CNN, one pass (seed_tiling=True: 2017 tiling); "
    "needs the shipped weights file deblur/weights/plain15.keras.",
)
def _make_plain15(
    *, tile: TileConfig | None = None, seed_tiling: bool = False, threads: int = 0
) -> Deblurrer:
    from deblur.inference import load

    # the 2017 reference restores every plate: no do-no-harm pass-through
    reference = tile or TileConfig(pass_through=None, plate_pass_through=None)
    return load("plain15", tile=reference, seed_tiling=seed_tiling, threads=threads)
