"""plate-deblur bench: prove deblurring by reading the plates (Tesseract, PP-OCR).

``bench run`` restores every sample of a suite with every candidate method, reads the
sharp, blurred and restored images with each OCR engine and writes a tidy per-sample
table (see :func:`bench.runner.run`).
"""

from __future__ import annotations

from typing import Any

from bench.aggregate import (
    CONDITION_LABELS,
    PER_SAMPLE_COLUMNS,
    SUMMARY_COLUMNS,
    by_blur_length,
    compare_runs,
    gap_closed,
    summarize,
    versus_best_baseline,
)
from bench.compare import Comparison, RunSummary, compare, load_run, write_comparison
from bench.config import (
    COMMAND_PREFIX,
    FOLDER_PREFIX,
    BenchConfig,
    BlurGrid,
    CandidateConfig,
    OcrConfig,
    SuiteConfig,
    available_suites,
    load_suite,
)
from bench.external import (
    IMAGE_SUFFIXES,
    ExternalResult,
    export_inputs,
    restore_external,
    sample_stem,
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
from bench.reads import OUTCOMES, is_plate_shaped, plate_pattern, read_outcome
from bench.rows import COLUMNS, ResultRow, load_rows, read_log, write_per_sample
from bench.rundir import expected_rows, load_run_suite
from bench.runner import iter_results, run
from bench.samples import Sample, build_sample, iter_samples, sample_label
from bench.stats import (
    SIGNIFICANCE,
    discordant_pairs,
    gap_interval,
    mcnemar_exact,
    verdict,
    wilson_interval,
)
from bench.textline import TextLine, crop_text_region, find_text_line

# Figures and the report writer need matplotlib: imported on first use (PEP 562) so
# ``import bench`` stays light. Neither package pulls in TensorFlow.
_LAZY = {
    "write_report": "bench.report",
    "summary_table": "bench.report",
    "GAP_LENGTHS": "bench.report",
    "Examples": "bench.figures",
    "load_examples": "bench.figures",
    "plot_accuracy_vs_blur": "bench.figures",
    "plot_quality_vs_blur": "bench.figures",
    "plot_accuracy_vs_speed": "bench.figures",
    "plot_examples": "bench.figures",
}


def __getattr__(name: str) -> Any:  # Any: whichever object the lazy name refers to
    """Import the report/figures names on first access."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "COMMAND_PREFIX",
    "FOLDER_PREFIX",
    "IMAGE_SUFFIXES",
    "OUTCOMES",
    "SIGNIFICANCE",
    "Comparison",
    "ExternalResult",
    "RunSummary",
    "compare",
    "discordant_pairs",
    "expected_rows",
    "export_inputs",
    "gap_interval",
    "is_plate_shaped",
    "load_run",
    "load_run_suite",
    "mcnemar_exact",
    "plate_pattern",
    "read_outcome",
    "restore_external",
    "sample_label",
    "sample_stem",
    "verdict",
    "versus_best_baseline",
    "wilson_interval",
    "write_comparison",
    "CONDITION_LABELS",
    "GAP_LENGTHS",
    "PER_SAMPLE_COLUMNS",
    "SUMMARY_COLUMNS",
    "Examples",
    "TextLine",
    "by_blur_length",
    "compare_runs",
    "crop_text_region",
    "find_text_line",
    "gap_closed",
    "load_examples",
    "plot_accuracy_vs_blur",
    "plot_accuracy_vs_speed",
    "plot_examples",
    "plot_quality_vs_blur",
    "summarize",
    "summary_table",
    "write_report",
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
    "read_log",
    "write_per_sample",
    "load_suite",
    "normalize_plate_text",
    "normalized_edit_distance",
    "psnr",
    "run",
    "ssim",
    "ssim_rgb",
]
