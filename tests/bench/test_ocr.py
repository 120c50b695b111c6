"""OCR engines: normalisation, and the real engines on a few sharp synthetic plates."""

from __future__ import annotations

import numpy as np
import pytest

from bench.config import OcrConfig
from bench.ocr import (
    OcrEngine,
    OcrNotAvailableError,
    TesseractOcr,
    available_ocr,
    get_ocr,
)
from deblur.config import PlateConfig
from deblur.text import normalize_plate_text


@pytest.fixture(scope="module")
def sharp_plates() -> tuple[list[np.ndarray], list[str]]:
    from deblur.synth.plates import make_plates

    plates = list(make_plates(6, PlateConfig(style="uk", width=240), rng=11))
    return [p.image for p in plates], [p.text for p in plates]


def _accuracy(engine: OcrEngine, images: list[np.ndarray], labels: list[str]) -> float:
    reads = engine.read_batch(images)
    return float(np.mean([normalize_plate_text(r) == normalize_plate_text(t)
                          for r, t in zip(reads, labels, strict=True)]))  # fmt: skip


def test_available_ocr() -> None:
    assert available_ocr() == ["ppocr", "tesseract"]
    with pytest.raises(KeyError, match="available"):
        get_ocr("easyocr")


def test_tesseract_reads_sharp_plates(tesseract_binary: str, sharp_plates) -> None:  # type: ignore[no-untyped-def]
    images, labels = sharp_plates
    engine = TesseractOcr(binary=tesseract_binary)
    assert isinstance(engine, OcrEngine)
    assert _accuracy(engine, images, labels) >= 0.5


def test_tesseract_batch_equals_single(tesseract_binary: str, sharp_plates) -> None:  # type: ignore[no-untyped-def]
    images, _ = sharp_plates
    batched = TesseractOcr(OcrConfig(tesseract_batch=True)).read_batch(images[:3])
    single = [
        TesseractOcr(OcrConfig(tesseract_batch=False))(image) for image in images[:3]
    ]
    assert batched == single


def test_tesseract_input_untouched(tesseract_binary: str, sharp_plates) -> None:  # type: ignore[no-untyped-def]
    image = sharp_plates[0][0]
    before = image.copy()
    TesseractOcr()(image)
    np.testing.assert_array_equal(image, before)


def test_tesseract_missing_binary_names_setup() -> None:
    with pytest.raises(OcrNotAvailableError, match="make setup"):
        TesseractOcr(binary="/nonexistent/tesseract")


def test_tesseract_empty_batch(tesseract_binary: str) -> None:
    assert TesseractOcr().read_batch([]) == []


def test_ppocr_reads_sharp_plates(sharp_plates) -> None:  # type: ignore[no-untyped-def]
    images, labels = sharp_plates
    engine = get_ocr("ppocr")
    assert _accuracy(engine, images, labels) >= 0.8
    gray = images[0].mean(axis=2).astype(np.float32)
    assert normalize_plate_text(engine(gray)) == normalize_plate_text(labels[0])


def test_ppocr_outputs_only_its_alphabet(sharp_plates) -> None:  # type: ignore[no-untyped-def]
    images, _labels = sharp_plates
    digits = get_ocr("ppocr", cfg=OcrConfig(ppocr_alphabet="0123456789"))
    texts = digits.read_batch(images[:4])
    assert all(set(text) <= set("0123456789") for text in texts)
    assert any(text for text in texts)


def test_ppocr_alphabet_folds_lower_case_and_masks_the_rest() -> None:
    from bench.ocr import _AlphabetSession

    characters = ["blank", "a", "A", "b", "8", "x"]
    probs = np.array([[[0.1, 0.3, 0.2, 0.0, 0.0, 0.4]]], np.float32)  # x wins
    session = _AlphabetSession(lambda batch: [probs], characters, "A8")
    out = session(np.zeros((1, 3, 48, 8), np.float32))[0]
    np.testing.assert_allclose(out[0, 0], [0.1, 0.0, 0.5, 0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"\['Q'\]"):
        _AlphabetSession(lambda batch: [probs], characters, "AQ")


def test_ppocr_alphabet_rejects_repeats() -> None:
    with pytest.raises(ValueError, match="repeats"):
        OcrConfig(ppocr_alphabet="AA")


def test_ocr_rejects_non_float() -> None:
    with pytest.raises(TypeError, match="float32"):
        get_ocr("ppocr").read_batch([np.zeros((8, 8), np.uint8)])  # type: ignore[list-item]


@pytest.fixture(scope="module")
def styled_plates() -> tuple[list[np.ndarray], list[str]]:
    """Four sharp 240-px plates of each style (border, EU band, US state name)."""
    from deblur.synth.plates import make_plates

    images, labels = [], []
    for style in ("uk", "eu", "us"):
        for plate in make_plates(4, PlateConfig(style=style, width=240), rng=23):
            images.append(plate.image)
            labels.append(plate.text)
    return images, labels


def test_tesseract_crop_reads_every_style(tesseract_binary: str, styled_plates) -> None:  # type: ignore[no-untyped-def]
    """Cropping to the text line is what makes Tesseract read EU and US plates."""
    images, labels = styled_plates
    cropped = _accuracy(TesseractOcr(binary=tesseract_binary), images, labels)
    whole = _accuracy(
        TesseractOcr(OcrConfig(tesseract_crop=False, tesseract_pad=0,
                               tesseract_binarize=False)),
        images, labels,
    )  # fmt: skip
    assert cropped >= 0.8
    assert cropped > whole


def test_tesseract_crash_is_isolated(monkeypatch: pytest.MonkeyPatch,
                                     tesseract_binary: str) -> None:  # fmt: skip
    """One image that crashes Tesseract (a signal) reads as '' and spares the batch."""
    import pytesseract

    engine = TesseractOcr(binary=tesseract_binary)
    calls: list[int] = []

    def fake_read(files):  # type: ignore[no-untyped-def]
        calls.append(len(files))
        if any(f.name == "plate_00002.png" for f in files):
            raise pytesseract.TesseractError(-8, "Floating point exception")
        return [f.name for f in files]

    monkeypatch.setattr(engine, "_read_files", fake_read)
    images = [np.full((20, 60), 0.5, np.float32) for _ in range(5)]
    reads = engine.read_batch(images)
    assert reads == ["plate_00000.png", "plate_00001.png", "", "plate_00003.png",
                     "plate_00004.png"]  # fmt: skip
    assert len(calls) > 1

    def fail(files):  # type: ignore[no-untyped-def]
        raise pytesseract.TesseractError(1, "bad option")

    monkeypatch.setattr(engine, "_read_files", fail)
    with pytest.raises(pytesseract.TesseractError, match="bad option"):
        engine.read_batch(images)


def test_tesseract_processes_are_started_to_die_with_their_parent() -> None:
    import pytesseract

    from deblur.lifetime import kill_with_parent

    TesseractOcr()
    TesseractOcr()  # wrapping twice must not stack wrappers
    args = pytesseract.pytesseract.subprocess_args()
    assert args["preexec_fn"] is kill_with_parent
    inner = pytesseract.pytesseract.subprocess_args
    assert inner.dies_with_parent and inner.__closure__ is not None
    originals = [
        c.cell_contents for c in inner.__closure__ if callable(c.cell_contents)
    ]
    assert not any(getattr(f, "dies_with_parent", False) for f in originals)
