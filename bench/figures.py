"""Bench figures: each function takes the per-sample frame and returns a Figure.

Figures are built with :class:`matplotlib.figure.Figure` directly (no ``pyplot``, no
global state, rendered by the Agg canvas when saved); they are never shown or saved
here. :mod:`bench.report` picks the file names and writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from bench.aggregate import by_blur_length, summarize
from deblur.io import read_image
from deblur.types import Image

__all__ = [
    "Examples",
    "plot_accuracy_vs_blur",
    "plot_quality_vs_blur",
    "plot_accuracy_vs_speed",
    "plot_examples",
    "load_examples",
]

Examples = Mapping[str, Mapping[str, Image]]
"""``{sample_id: {method: image}}``; methods include ``sharp`` and ``blurred``."""

# Any: matplotlib Line2D keyword values of mixed types.
_CEILING: dict[str, Any] = {"color": "black", "linestyle": "--", "linewidth": 1.5}
_FLOOR: dict[str, Any] = {"color": "0.5", "linestyle": ":", "linewidth": 1.8}
_RIGHT, _WRONG = "#1a7f37", "#cf222e"


def _candidate_colours(methods: list[str]) -> dict[str, tuple[float, ...]]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {m: cmap(i % 10) for i, m in enumerate(sorted(methods))}


def _candidates(table: pd.DataFrame) -> list[str]:
    return sorted(table.loc[table["condition"] == "candidate", "method"].unique())


def _panels(count: int, *, width: float = 5.0, height: float = 3.6) -> list[Axes]:
    fig = Figure(figsize=(width * count, height), layout="constrained")
    return list(np.atleast_1d(fig.subplots(1, count, squeeze=False)[0]))


def _legend_outside(ax: Axes) -> None:
    """Put the legend right of `ax`, where it cannot hide a line."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(
            loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
            fontsize="small",
        )  # fmt: skip


def _no_data(ax: Axes, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what}", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _lines_by_length(ax: Axes, table: pd.DataFrame, metric: str) -> None:
    """Draw `metric` vs blur length: candidates coloured, ceiling/floor as lines."""
    table = table.dropna(subset=["blur_length"])
    if table.empty:
        _no_data(ax, "blur lengths")
        return
    colours = _candidate_colours(_candidates(table))
    for method, rows in table.groupby("method", sort=True):
        condition = rows["condition"].iloc[0]
        rows = rows.sort_values("blur_length")
        if condition == "candidate":
            style: dict[str, Any] = {  # Any: mixed Line2D keyword values
                "color": colours[str(method)],
                "marker": "o",
                "linewidth": 1.5,
            }
        else:
            style = dict(_CEILING if condition == "ceiling" else _FLOOR)
        label = f"{method} ({condition})" if condition != "candidate" else str(method)
        ax.plot(rows["blur_length"], rows[metric], label=label, **style)
    ax.set_xlabel("blur length (px)")
    ax.grid(True, alpha=0.3)


def plot_accuracy_vs_blur(per_sample: pd.DataFrame) -> Figure:
    """Plot the exact-match rate against blur length, one panel per OCR engine.

    Candidates are coloured lines; the sharp ceiling is a black dashed line and the
    blurred floor a grey dotted line.
    """
    table = by_blur_length(per_sample)
    engines = sorted(table["ocr"].unique()) or ["(none)"]
    axes = _panels(len(engines))
    for ax, engine in zip(axes, engines, strict=True):
        _lines_by_length(ax, table[table["ocr"] == engine], "exact")
        ax.set_title(f"Exact plate match — {engine}")
        ax.set_ylabel("exact-match rate")
        ax.set_ylim(-0.03, 1.03)
    _legend_outside(axes[-1])
    fig = axes[0].get_figure()
    assert isinstance(fig, Figure)
    return fig


def plot_quality_vs_blur(per_sample: pd.DataFrame) -> Figure:
    """Plot CER (one panel per OCR engine), PSNR and SSIM against blur length.

    PSNR and SSIM do not depend on the OCR engine; they are taken from the first
    engine's rows.
    """
    table = by_blur_length(per_sample)
    engines = sorted(table["ocr"].unique())
    axes = _panels(len(engines) + 2, width=4.2)
    for ax, engine in zip(axes, engines, strict=False):
        _lines_by_length(ax, table[table["ocr"] == engine], "cer")
        ax.set_title(f"CER — {engine} (lower is better)")
        ax.set_ylabel("character error rate")
        ax.set_ylim(bottom=0)
    image_rows = table[table["ocr"] == engines[0]] if engines else table
    for ax, metric, label in zip(
        axes[len(engines) :], ("psnr", "ssim"), ("PSNR (dB)", "SSIM"), strict=True
    ):
        _lines_by_length(ax, image_rows, metric)
        ax.set_title(f"{label} vs sharp (luminance)")
        ax.set_ylabel(label)
    _legend_outside(axes[-1])
    fig = axes[0].get_figure()
    assert isinstance(fig, Figure)
    return fig


def plot_accuracy_vs_speed(per_sample: pd.DataFrame) -> Figure:
    """Plot exact-match rate against median ms per image (log x), per OCR engine.

    Only candidates have a restoration time; the ceiling and floor are horizontal
    lines.
    """
    summary = summarize(per_sample)
    engines = sorted(summary["ocr"].unique()) or ["(none)"]
    axes = _panels(len(engines))
    colours = _candidate_colours(_candidates(summary))
    for ax, engine in zip(axes, engines, strict=True):
        rows = summary[summary["ocr"] == engine]
        for _, row in rows.iterrows():
            if row["condition"] == "candidate":
                ms = max(float(row["ms"]), 1e-3) if np.isfinite(row["ms"]) else np.nan
                ax.scatter(ms, row["exact"], s=60, color=colours[row["method"]])
                ax.annotate(
                    row["method"],
                    (ms, row["exact"]),
                    xytext=(5, 4),
                    textcoords="offset points",
                    fontsize="small",
                )
            else:
                style = _CEILING if row["condition"] == "ceiling" else _FLOOR
                label = f"{row['method']} ({row['condition']})"
                ax.axhline(row["exact"], label=label, **style)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.margins(x=0.3)
        ax.set_xlabel("restoration time per image (ms, median, log scale)")
        ax.set_ylabel("exact-match rate")
        ax.set_ylim(-0.03, 1.03)
        ax.set_title(f"Accuracy vs speed — {engine}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower right", fontsize="small")
    fig = axes[0].get_figure()
    assert isinstance(fig, Figure)
    return fig


def _method_order(methods: set[str]) -> list[str]:
    rest = sorted(methods - {"sharp", "blurred"})
    return [m for m in ("sharp", "blurred") if m in methods] + rest


def _readings(per_sample: pd.DataFrame | None, sample_id: str, method: str) -> list:
    if per_sample is None:
        return []
    rows = per_sample[
        (per_sample["sample_id"].astype(str) == sample_id)
        & (per_sample["method"] == method)
    ]
    return [
        (
            str(r["ocr"]),
            "" if pd.isna(r["prediction"]) else str(r["prediction"]),
            str(r["exact"]).strip().lower() in ("true", "1", "1.0"),
        )
        for _, r in rows.sort_values("ocr").iterrows()
    ]


def plot_examples(examples: Examples, per_sample: pd.DataFrame | None = None) -> Figure:
    """Show example plates: one row per sample, columns sharp, blurred, candidates.

    Parameters
    ----------
    examples : mapping
        ``{sample_id: {method: image}}`` (see :func:`load_examples`).
    per_sample : DataFrame, optional
        When given, each image is captioned with every OCR engine's reading, green
        when it matches the plate text exactly and red otherwise.

    Returns
    -------
    fig : Figure
    """
    samples = sorted(examples)
    methods = _method_order({m for s in samples for m in examples[s]})
    rows, cols = max(len(samples), 1), max(len(methods), 1)
    aspect = max(
        (im.shape[0] / im.shape[1] for s in samples for im in examples[s].values()),
        default=0.25,
    )
    engines = 0 if per_sample is None else per_sample["ocr"].nunique()
    row_height = 2.6 * aspect + 0.2 + 0.17 * engines
    fig = Figure(figsize=(2.6 * cols, row_height * rows + 0.3), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    if not samples:
        _no_data(axes[0][0], "examples")
        return fig
    for r, sample_id in enumerate(samples):
        for c, method in enumerate(methods):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            image = examples[sample_id].get(method)
            if image is None:
                ax.set_axis_off()
                continue
            cmap = "gray" if image.ndim == 2 else None
            ax.imshow(np.clip(image, 0, 1), cmap=cmap, vmin=0, vmax=1)
            if r == 0:
                ax.set_title(method, fontsize="medium", fontweight="bold")
            if c == 0:
                ax.set_ylabel(sample_id, fontsize="small")
            lines = _readings(per_sample, str(sample_id), method)
            line = 0.15 / (2.6 * image.shape[0] / image.shape[1])
            for i, (ocr, text, ok) in enumerate(lines):
                ax.text(
                    0.0,
                    -0.04 - line * i,
                    f"{ocr}: {text or '∅'}",
                    transform=ax.transAxes,
                    va="top",
                    fontsize="small",
                    color=_RIGHT if ok else _WRONG,
                    family="monospace",
                )
    return fig


def load_examples(run_dir: Path) -> dict[str, dict[str, Image]]:
    """Read ``<run_dir>/examples/<sample_id>/<method>.png`` into a nested dict.

    Returns
    -------
    examples : dict
        ``{sample_id: {method: RGB float32 image}}``; empty when the run saved no
        examples.

    Raises
    ------
    FileNotFoundError
        If `run_dir` does not exist.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run folder not found: {run_dir}")
    folder = run_dir / "examples"
    examples: dict[str, dict[str, Image]] = {}
    if not folder.is_dir():
        return examples
    for sample in sorted(p for p in folder.iterdir() if p.is_dir()):
        images = {p.stem: read_image(p) for p in sorted(sample.glob("*.png"))}
        if images:
            examples[sample.name] = images
    return examples
