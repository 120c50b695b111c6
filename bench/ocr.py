"""OCR engines that read a licence-plate crop: Tesseract and PP-OCRv4.

Every engine follows :class:`OcrEngine`: ``engine(image) -> str`` for one crop and
``engine.read_batch(images) -> list[str]`` for many (the fast path). Engines return the
raw text; the bench compares :func:`normalize_plate_text` of label and prediction.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage

from bench.config import OcrConfig
from bench.textline import crop_text_region
from deblur.io import to_gray, to_uint8
from deblur.lifetime import kill_with_parent
from deblur.text import PLATE_ALPHABET, normalize_plate_text
from deblur.types import Image, check_image

__all__ = [
    "OcrEngine",
    "OcrNotAvailableError",
    "TesseractOcr",
    "PpOcr",
    "normalize_plate_text",
    "get_ocr",
    "available_ocr",
]

logger = logging.getLogger(__name__)


class OcrNotAvailableError(RuntimeError):
    """An OCR engine's binary or package is missing; the message says how to install."""


@runtime_checkable
class OcrEngine(Protocol):
    """Reads the text of a plate crop.

    Contract: the input image is never modified; ``read_batch(images)[i] ==
    engine(images[i])`` up to engine non-determinism (none for the shipped engines).
    """

    name: str

    def __call__(self, image: Image) -> str: ...

    def read_batch(self, images: list[Image]) -> list[str]: ...


def _resize_to_height(gray: NDArray[np.uint8], height: int) -> NDArray[np.uint8]:
    h, w = gray.shape
    width = max(1, round(w * height / h))
    pil = PILImage.fromarray(gray).resize((width, height), PILImage.Resampling.BICUBIC)
    return np.asarray(pil)


def _background(gray: NDArray[np.uint8]) -> int:
    """Grey level of the plate background: the median of the larger Otsu class."""
    from skimage.filters import threshold_otsu

    if int(gray.max()) == int(gray.min()):
        return int(gray[0, 0])
    threshold = threshold_otsu(gray)
    light, dark = gray[gray > threshold], gray[gray <= threshold]
    return int(np.median(light if light.size >= dark.size else dark))


def _prepare_tesseract(image: Image, cfg: OcrConfig) -> NDArray[np.uint8]:
    """Crop to the text line, gray, resize to ``cfg.height``, binarise, pad."""
    if cfg.tesseract_crop:
        image = crop_text_region(
            image, margin=cfg.crop_margin, extend=cfg.tesseract_extend
        )
    gray = _resize_to_height(to_uint8(to_gray(image)), cfg.height)
    if cfg.tesseract_binarize:
        from skimage.filters import threshold_otsu

        gray = np.where(gray > threshold_otsu(gray), 255, 0).astype(np.uint8)
    if cfg.tesseract_pad:
        fill = _background(gray)
        gray = np.pad(gray, cfg.tesseract_pad, mode="constant", constant_values=fill)
    return gray


class TesseractOcr:
    """Tesseract 5 tuned for one-line plates (whitelist A-Z0-9, single-line mode).

    Parameters
    ----------
    cfg : OcrConfig, optional
        Height, page-segmentation mode, padding, binarisation, batching.
    binary : str, optional
        Path of the ``tesseract`` executable; found on ``PATH`` when None.

    Raises
    ------
    OcrNotAvailableError
        If the binary is missing (install with ``make setup`` or
        ``sudo apt-get install tesseract-ocr``).

    Notes
    -----
    Each Tesseract process costs ~150 ms of start-up (loading ``eng.traineddata``).
    With ``cfg.tesseract_batch`` the crops of one :meth:`read_batch` call are written as
    PNGs, listed in a text file and read by *one* process, which emits one page per
    image separated by form feeds; every crop is still read in its own page with the
    configured page-segmentation mode, so results equal the one-process-per-crop path.
    """

    name = "tesseract"

    def __init__(
        self, cfg: OcrConfig | None = None, *, binary: str | None = None
    ) -> None:
        import pytesseract

        self.cfg = cfg or OcrConfig()
        path = binary or shutil.which("tesseract")
        if path is None or not Path(path).exists():
            raise OcrNotAvailableError(
                "tesseract binary not found: run `make setup` "
                "(or `sudo apt-get install tesseract-ocr`)"
            )
        _tesseract_dies_with_parent(pytesseract)
        self._pytesseract = pytesseract
        self._binary = path
        self._config = (
            f"--psm {self.cfg.tesseract_psm} --oem 1 "
            f"-c tessedit_char_whitelist={PLATE_ALPHABET} "
            "-c load_system_dawg=0 -c load_freq_dawg=0"
        )

    def __call__(self, image: Image) -> str:
        """Read one crop (one Tesseract process)."""
        return self.read_batch([image])[0]

    def read_batch(self, images: list[Image]) -> list[str]:
        """Read many crops; one Tesseract process when ``cfg.tesseract_batch``."""
        for image in images:
            check_image(image)
        if not images:
            return []
        with tempfile.TemporaryDirectory(prefix="bench_tess_") as tmp:
            files = [
                self._write(img, Path(tmp), index=i) for i, img in enumerate(images)
            ]
            if not self.cfg.tesseract_batch:
                return [self._read_isolated([f])[0] for f in files]
            return self._read_isolated(files)

    def _read_isolated(self, files: Sequence[Path]) -> list[str]:
        """Read `files`; if Tesseract crashes, bisect to the image that crashes it.

        Tesseract 5.3 dies with SIGFPE on rare images (seen on heavily blurred crops
        with the character whitelist); one such image would otherwise fail a whole
        batch. An image that crashes Tesseract on its own reads as ``""`` (no text),
        so it counts as a miss rather than disappearing from the statistics.
        """
        try:
            return self._read_files(files)
        except self._pytesseract.TesseractError as err:
            if err.status >= 0:  # an ordinary error, not a crash: report it
                raise
            if len(files) == 1:
                logger.warning(
                    "tesseract crashed (signal %d) on %s; read as no text",
                    -err.status,
                    files[0].name,
                )
                return [""]
            half = len(files) // 2
            return self._read_isolated(files[:half]) + self._read_isolated(files[half:])

    def _write(self, image: Image, folder: Path, *, index: int = 0) -> Path:
        path = folder / f"plate_{index:05d}.png"
        PILImage.fromarray(_prepare_tesseract(image, self.cfg)).save(path, format="PNG")
        return path

    def _read_files(self, files: Sequence[Path]) -> list[str]:
        self._pytesseract.pytesseract.tesseract_cmd = self._binary
        try:
            if len(files) == 1:
                return [
                    self._pytesseract.image_to_string(
                        str(files[0]), config=self._config
                    )
                ]
            listing = files[0].parent / "images.txt"
            listing.write_text(
                "\n".join(str(f) for f in files) + "\n", encoding="utf-8"
            )
            text = self._pytesseract.image_to_string(str(listing), config=self._config)
        except self._pytesseract.TesseractNotFoundError as err:
            raise OcrNotAvailableError(
                f"tesseract binary {self._binary!r} cannot run: run `make setup` "
                "(or `sudo apt-get install tesseract-ocr`)"
            ) from err
        pages = text.split("\f")
        if len(pages) == len(files) + 1 and not pages[-1].strip():
            pages = pages[:-1]
        if len(pages) != len(files):
            raise RuntimeError(
                f"tesseract returned {len(pages)} pages for {len(files)} images"
            )
        return pages


def _tesseract_dies_with_parent(module: Any) -> None:  # Any: the pytesseract module
    """Start every tesseract process with :func:`deblur.lifetime.kill_with_parent`.

    pytesseract starts tesseract with ``Popen(args, **subprocess_args())`` and takes
    no ``Popen`` options, so its ``subprocess_args`` is wrapped (once per process) to
    add the ``preexec_fn``: a tesseract whose bench process is killed then ends too.
    """
    inner = module.pytesseract
    original = getattr(inner, "subprocess_args", None)
    if original is None or getattr(original, "dies_with_parent", False):
        return

    def subprocess_args(include_stdout: bool = True) -> dict[str, Any]:
        args = dict(original(include_stdout))
        if os.name == "posix":
            args["preexec_fn"] = kill_with_parent
        return args

    subprocess_args.dies_with_parent = True  # type: ignore[attr-defined]
    inner.subprocess_args = subprocess_args


class PpOcr:
    """PP-OCRv4 text recogniser (ONNX, via ``rapidocr_onnxruntime``) on the plate crop.

    Only the recognition network runs: the crop is already the text line, so the
    detector and the angle classifier are skipped.

    Parameters
    ----------
    cfg : OcrConfig, optional
        Height is fixed by the network (48 px); uses ``ppocr_threads``,
        ``ppocr_batch``, ``ppocr_crop``, ``ppocr_extend``, ``ppocr_alphabet`` and
        ``crop_margin``.

    Raises
    ------
    OcrNotAvailableError
        If ``rapidocr_onnxruntime`` is not installed.
    ValueError
        If ``cfg.ppocr_alphabet`` holds a character the recogniser cannot output.

    References
    ----------
    Li et al., "PP-OCRv3: More Attempts for the Improvement of Ultra Lightweight OCR
    System", arXiv:2206.03001 (2022); PP-OCRv4 release notes, PaddleOCR (2023).
    """

    name = "ppocr"

    def __init__(self, cfg: OcrConfig | None = None) -> None:
        self.cfg = cfg or OcrConfig()
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as err:
            raise OcrNotAvailableError(
                "rapidocr_onnxruntime is not installed: run `make setup` "
                "(or `pip install rapidocr-onnxruntime`)"
            ) from err
        options: dict[str, Any] = {"rec_batch_num": self.cfg.ppocr_batch}  # Any: mixed
        if self.cfg.ppocr_threads:
            options["intra_op_num_threads"] = self.cfg.ppocr_threads
            options["inter_op_num_threads"] = 1
        recognizer = RapidOCR(**options).text_rec
        if self.cfg.ppocr_alphabet:
            recognizer.session = _AlphabetSession(
                recognizer.session,
                recognizer.postprocess_op.character,
                self.cfg.ppocr_alphabet,
            )
        self._recognize: Callable[[list[NDArray[np.uint8]]], Any] = recognizer

    def __call__(self, image: Image) -> str:
        """Read one crop."""
        return self.read_batch([image])[0]

    def read_batch(self, images: list[Image]) -> list[str]:
        """Read many crops in batches of ``cfg.ppocr_batch``."""
        for image in images:
            check_image(image)
        if self.cfg.ppocr_crop:
            margin, extend = self.cfg.crop_margin, self.cfg.ppocr_extend
            images = [
                crop_text_region(image, margin=margin, extend=extend)
                for image in images
            ]
        crops = [_to_bgr_uint8(image) for image in images]
        if not crops:
            return []
        results, _elapsed = self._recognize(crops)
        return [str(text) for text, _score in results]


class _AlphabetSession:
    """Wrap the recogniser's ONNX session so CTC decoding sees only `alphabet`.

    The session returns per-column class probabilities; columns outside the alphabet
    (and the CTC blank) are zeroed, and each lower-case letter's probability is added
    to its upper case, so greedy decoding picks the likeliest allowed character.
    """

    def __init__(self, session: Any, characters: Sequence[str], alphabet: str) -> None:
        index = {char: i for i, char in enumerate(characters)}  # 0 is the CTC blank
        missing = [char for char in alphabet if char not in index]
        if missing:
            raise ValueError(
                f"ppocr_alphabet holds characters PP-OCR cannot output: {missing}"
            )
        self._session = session
        self._keep = np.array([0] + [index[char] for char in alphabet])
        self._fold = [
            (index[char.lower()], index[char])
            for char in alphabet
            if char.isupper() and char.lower() in index
        ]

    def __call__(self, batch: NDArray[np.float32]) -> list[NDArray[np.float32]]:
        probs = self._session(batch)[0]
        out = np.zeros_like(probs)
        out[..., self._keep] = probs[..., self._keep]
        for lower, upper in self._fold:
            out[..., upper] += probs[..., lower]
        return [out]


def _to_bgr_uint8(image: Image) -> NDArray[np.uint8]:
    data = to_uint8(image)
    if data.ndim == 2:
        return np.repeat(data[..., None], 3, axis=2)
    if data.shape[2] == 1:
        return np.repeat(data, 3, axis=2)
    return np.ascontiguousarray(data[..., 2::-1])  # RGB(A) -> BGR


_ENGINES: dict[str, Callable[[OcrConfig | None], OcrEngine]] = {
    "tesseract": TesseractOcr,
    "ppocr": PpOcr,
}


def available_ocr() -> list[str]:
    """Return the names of the OCR engines, sorted."""
    return sorted(_ENGINES)


def get_ocr(name: str, *, cfg: OcrConfig | None = None) -> OcrEngine:
    """Build the OCR engine `name` (``tesseract`` or ``ppocr``).

    Raises
    ------
    KeyError
        If `name` is unknown; the message lists :func:`available_ocr`.
    OcrNotAvailableError
        If the engine's binary or package is missing.
    """
    if name not in _ENGINES:
        raise KeyError(
            f"unknown OCR engine {name!r}; available: {', '.join(available_ocr())}"
        )
    return _ENGINES[name](cfg)
