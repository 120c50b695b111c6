"""Tests for deblur.deblurrers: the shared protocol contract and the baselines."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy import ndimage
from skimage.metrics import peak_signal_noise_ratio

import deblur  # noqa: F401  (fills the registry)
from deblur.deblurrers import apply_per_channel, edge_taper
from deblur.registry import available_deblurrers, deblurrer_info, get_deblurrer
from deblur.types import Deblurrer


def _line_psf(length: int) -> np.ndarray:
    """A horizontal box PSF built here so these tests do not depend on synth."""
    psf = np.zeros((length, length))
    psf[length // 2, :] = 1.0 / length
    return psf


@functools.cache
def _build(name: str) -> Deblurrer:
    """Build each entry once per session (the shipped models load in seconds).

    ``default`` runs the shipped TFLite file through LiteRT (what ``load``
    picks), ``default[keras]`` the same weights through Keras, ``model`` the shipped
    ONNX file given by path (onnxruntime), ``plain15`` the shipped 2017 CNN through
    Keras.
    """
    from deblur.inference import _weights_dir, load

    if name == "default[keras]":
        return load("default", runtime="keras")
    if name == "model":
        return get_deblurrer("model", path=str(_weights_dir() / "default.onnx"))
    options = {"psf": _line_psf(5)} if deblurrer_info(name).needs_psf else {}
    return get_deblurrer(name, **options)


def _psnr(reference: np.ndarray, test: np.ndarray) -> float:
    return float(peak_signal_noise_ratio(reference, test, data_range=1.0))


def _blur(image: np.ndarray, psf: np.ndarray) -> np.ndarray:
    return ndimage.convolve(image.astype(np.float64), psf, mode="nearest").astype(
        np.float32
    )


# Names starting with "_" are test doubles other test folders register (e.g. the bench
# runner's always-failing candidate); the contract is for the shipped entries, and for
# the shipped default model through Keras as well as through onnxruntime.
REGISTERED = [name for name in available_deblurrers() if not name.startswith("_")]
CONTRACT = [*REGISTERED, "default[keras]"]


@pytest.mark.parametrize("name", CONTRACT)
@pytest.mark.parametrize("channels", [None, 1, 3, 4])
def test_deblurrer_contract(
    name: str, channels: int | None, tiny_plate: np.ndarray
) -> None:
    deblurrer = _build(name)
    image = _blur(tiny_plate, _line_psf(5))
    if channels is not None:
        image = np.repeat(image[..., None], channels, axis=2)
        image[..., 0] *= 0.8
        if channels == 4:
            image[..., 3] = np.linspace(0, 1, image.shape[1], dtype=np.float32)
    before = image.copy()
    out = deblurrer(image)
    assert isinstance(deblurrer, Deblurrer)
    assert isinstance(deblurrer.name, str) and deblurrer.name
    assert out.shape == image.shape
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))
    assert out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_array_equal(image, before)
    assert out is not image
    np.testing.assert_array_equal(deblurrer(image), out)
    if channels == 4:
        np.testing.assert_array_equal(out[..., 3], image[..., 3])


@pytest.mark.parametrize("name", CONTRACT)
def test_deblurrer_rejects_uint8(name: str) -> None:
    deblurrer = _build(name)
    with pytest.raises(TypeError, match="float32"):
        deblurrer(np.zeros((8, 8), dtype=np.uint8))


def test_identity_returns_input_exactly(tiny_plate_rgb: np.ndarray) -> None:
    out = get_deblurrer("identity")(tiny_plate_rgb)
    np.testing.assert_array_equal(out, tiny_plate_rgb)
    assert out is not tiny_plate_rgb


def test_wiener_delta_psf_returns_input(tiny_plate: np.ndarray) -> None:
    delta = np.zeros((5, 5))
    delta[2, 2] = 1.0
    out = get_deblurrer("wiener", psf=delta, balance=1e-5)(tiny_plate)
    np.testing.assert_allclose(out, tiny_plate, atol=1e-3)


@pytest.mark.parametrize("name", ["wiener", "richardson_lucy", "unsupervised_wiener"])
@pytest.mark.parametrize("length", [5, 9])
def test_oracle_deconvolution_improves_psnr(
    name: str, length: int, tiny_plate: np.ndarray, rng: np.random.Generator
) -> None:
    psf = _line_psf(length)
    noise = rng.normal(0.0, 0.005, tiny_plate.shape)
    blurred = np.clip(_blur(tiny_plate, psf) + noise, 0, 1).astype(np.float32)
    restored = get_deblurrer(name, psf=psf)(blurred)
    gain = _psnr(tiny_plate, restored) - _psnr(tiny_plate, blurred)
    assert gain > 2.0, f"{name} gained only {gain:.2f} dB at length {length}"


def test_unsharp_mask_increases_contrast(tiny_plate: np.ndarray) -> None:
    blurred = _blur(tiny_plate, _line_psf(3))
    out = get_deblurrer("unsharp_mask")(blurred)
    assert np.abs(np.diff(out, axis=1)).sum() > np.abs(np.diff(blurred, axis=1)).sum()


def test_wiener_rgb_equals_per_channel_gray(tiny_plate_rgb: np.ndarray) -> None:
    psf = _line_psf(5)
    wiener = get_deblurrer("wiener", psf=psf)
    out = wiener(tiny_plate_rgb)
    for c in range(3):
        np.testing.assert_array_equal(
            out[..., c], wiener(tiny_plate_rgb[..., c].copy())
        )


def test_unsupervised_wiener_seed_is_deterministic(tiny_plate: np.ndarray) -> None:
    psf = _line_psf(5)
    blurred = _blur(tiny_plate, psf)
    first = get_deblurrer("unsupervised_wiener", psf=psf, seed=3)(blurred)
    again = get_deblurrer("unsupervised_wiener", psf=psf, seed=3)(blurred)
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize(
    ("name", "options", "match"),
    [
        ("wiener", {"psf": np.ones((3, 3)), "balance": 0.0}, "balance"),
        ("wiener", {"psf": np.zeros((3, 3))}, "positive sum"),
        ("wiener", {"psf": np.ones(3)}, "2-D"),
        ("wiener", {"psf": np.full((3, 3), np.nan)}, "finite"),
        ("richardson_lucy", {"psf": np.ones((3, 3)), "num_iter": 0}, "num_iter"),
        ("unsupervised_wiener", {"psf": np.ones((3, 3)), "max_num_iter": 1}, "max_num"),
        ("unsharp_mask", {"radius": -1.0}, "radius"),
        ("unsharp_mask", {"amount": 0.0}, "amount"),
    ],
)
def test_factory_rejects_bad_options(name: str, options: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        get_deblurrer(name, **options)


def test_factory_rejects_non_array_psf() -> None:
    with pytest.raises(TypeError, match="psf must be a numpy array"):
        get_deblurrer("wiener", psf=[[1.0]])


def test_oracle_requires_psf() -> None:
    with pytest.raises(TypeError):
        get_deblurrer("wiener")


def test_psf_is_not_modified() -> None:
    psf = np.ones((3, 3)) * 2.0
    get_deblurrer("wiener", psf=psf)
    np.testing.assert_array_equal(psf, np.ones((3, 3)) * 2.0)


def test_apply_per_channel_pads_and_crops(tiny_plate: np.ndarray) -> None:
    shapes = []

    def fn(plane: np.ndarray) -> np.ndarray:
        shapes.append(plane.shape)
        return plane

    out = apply_per_channel(tiny_plate, fn, pad=4)
    assert shapes == [(40, 104)]
    np.testing.assert_array_equal(out, tiny_plate)


def test_edge_taper_keeps_interior_and_matches_blur_at_border() -> None:
    plane = np.random.default_rng(0).random((20, 30))
    psf = _line_psf(3)
    out = edge_taper(plane, psf, width=5)
    np.testing.assert_array_equal(out[5:-5, 5:-5], plane[5:-5, 5:-5])
    wrapped = ndimage.convolve(plane, psf, mode="wrap")
    np.testing.assert_allclose(out[0], wrapped[0])


def test_default_litert_onnx_and_keras_agree(tiny_plate: np.ndarray) -> None:
    image = _blur(tiny_plate, _line_psf(7))
    assert type(_build("default")).__name__ == "LiteRtDeblurrer"  # what load() picks
    assert type(_build("model")).__name__ == "OnnxDeblurrer"
    keras = _build("default[keras]")(image)
    np.testing.assert_allclose(_build("default")(image), keras, atol=1e-4)
    np.testing.assert_allclose(_build("model")(image), keras, atol=1e-4)


def test_default_makes_blurred_plates_read_better_with_tesseract(
    tesseract_binary: str,
) -> None:
    """Real OCR: six synthetic plates blurred by 15 px read better after `default`."""
    from bench.metrics import char_error_rate
    from bench.ocr import TesseractOcr
    from deblur.config import BlurConfig, PlateConfig
    from deblur.synth.degrade import make_pair
    from deblur.synth.plates import make_plates
    from deblur.text import normalize_plate_text

    plates = list(make_plates(6, PlateConfig(style="any", width=240), 21))
    blur = BlurConfig(kind="linear", length=(15, 15), noise=(0.005, 0.005))
    blurred = [make_pair(p.image, blur, rng=i).blurred for i, p in enumerate(plates)]
    restored = [_build("default")(image) for image in blurred]
    ocr = TesseractOcr(binary=tesseract_binary)
    labels = [normalize_plate_text(p.text) for p in plates]

    def score(images: list[np.ndarray]) -> tuple[int, float]:
        reads = [normalize_plate_text(r) for r in ocr.read_batch(images)]
        pairs = list(zip(labels, reads, strict=True))
        return sum(a == b for a, b in pairs), float(
            np.mean([char_error_rate(a, b) for a, b in pairs])
        )

    (exact_before, cer_before), (exact_after, cer_after) = (
        score(blurred),
        score(restored),
    )
    assert exact_after >= exact_before + 3, (exact_before, exact_after)
    assert cer_after < cer_before


@pytest.mark.parametrize("name", ["blind_wiener", "gated_wiener"])
def test_blind_wiener_from_estimate_equals_call(
    name: str, tiny_plate: np.ndarray
) -> None:
    from deblur.estimate import estimate_linear_psf

    deblurrer = get_deblurrer(name)
    estimate = estimate_linear_psf(tiny_plate, max_length=40.0)
    np.testing.assert_array_equal(
        deblurrer.from_estimate(tiny_plate, estimate),  # type: ignore[attr-defined]
        deblurrer(tiny_plate),
    )


def test_gated_wiener_from_estimate_with_the_gate_shut_returns_a_copy() -> None:
    from deblur.estimate import estimate_linear_psf

    flat = np.full((32, 96), 0.5, np.float32)  # strength 0: the gate stays shut
    gated = get_deblurrer("gated_wiener")
    out = gated.from_estimate(flat, estimate_linear_psf(flat))  # type: ignore[attr-defined]
    np.testing.assert_array_equal(out, flat)
    assert out is not flat


def test_plain15_reference_restores_every_plate() -> None:
    from deblur.registry import get_deblurrer

    reference = get_deblurrer("plain15")
    assert reference.tile.pass_through is None  # type: ignore[attr-defined]
    assert reference.tile.plate_pass_through is None  # type: ignore[attr-defined]
    assert get_deblurrer("default").tile.plate_pass_through is not None  # type: ignore[attr-defined]
