"""plate-deblur bench: prove deblurring by reading the plates (Tesseract, PP-OCR).

``bench run`` restores every sample of a suite with every candidate method, reads the
sharp, blurred and restored images with each OCR engine and writes a tidy per-sample
table (see :func:`bench.runner.run`).
"""

from __future__ import annotations

from bench.config import (
    BenchConfig,
    BlurGrid,
    CandidateConfig,
    OcrConfig,
    SuiteConfig,
    available_suites,
    load_suite,
)
from bench.metrics import (
    char_error_rate,
    exact_match,
    normalized_edit_distance,
    psnr,
    ssim,
    ssim_rgb,
)
from bench.ocr import (
    OcrEngine,
    PpOcr,
    TesseractOcr,
    available_ocr,
    get_ocr,
    normalize_plate_text,
)
from bench.runner import COLUMNS, ResultRow, iter_results, load_rows, run
from bench.samples import Sample, build_sample, iter_samples

__all__ = [
    "BenchConfig",
    "BlurGrid",
    "CandidateConfig",
    "COLUMNS",
    "OcrConfig",
    "OcrEngine",
    "PpOcr",
    "ResultRow",
    "Sample",
    "SuiteConfig",
    "TesseractOcr",
    "available_ocr",
    "available_suites",
    "build_sample",
    "char_error_rate",
    "exact_match",
    "get_ocr",
    "iter_results",
    "iter_samples",
    "load_rows",
    "load_suite",
    "normalize_plate_text",
    "normalized_edit_distance",
    "psnr",
    "run",
    "ssim",
    "ssim_rgb",
]
