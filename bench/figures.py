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
    "has_blur_lengths",
]

Examples = Mapping[str, Mapping[str, Image]]
"""``{sample_id: {method: image}}``; methods include ``sharp`` and ``blurred``."""

# Any: matplotlib Line2D keyword values of mixed types. The floor is a wide pale band
# drawn under everything, so a candidate equal to it (identity) shows inside it
# instead of hiding it; the ceiling is a dashed line drawn over everything.
_CEILING: dict[str, Any] = {
    "color": "black", "linestyle": "--", "linewidth": 1.5, "zorder": 5,
}  # fmt: skip
_FLOOR: dict[str, Any] = {
    "color": "#f0b000", "alpha": 0.45, "linestyle": "-", "linewidth": 7,
    "solid_capstyle": "butt", "zorder": 1,
}  # fmt: skip
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")
_RIGHT, _WRONG = "#1a7f37", "#cf222e"
_GRID_COLUMNS = 5
_CELL_WIDTH = 2.15
"""Images per line of the example grid and their width in inches: at 110 dpi five
240-px plates fit a 1,200-px page at about their own size."""


def _candidate_colours(methods: list[str]) -> dict[str, tuple[float, ...]]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {m: cmap(i % 10) for i, m in enumerate(sorted(methods))}


def _candidate_markers(methods: list[str]) -> dict[str, str]:
    return {m: _MARKERS[i % len(_MARKERS)] for i, m in enumerate(sorted(methods))}


def _role_label(method: str, condition: str) -> str:
    return f"{method} ({condition})" if condition != "candidate" else method


def has_blur_lengths(per_sample: pd.DataFrame) -> bool:
    """Whether any row has a finite blur length (blind suites have none)."""
    lengths = pd.to_numeric(per_sample["blur_length"], errors="coerce")
    return bool(np.isfinite(lengths.to_numpy(dtype=float)).any())


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
    markers = _candidate_markers(_candidates(table))
    rank = {"ceiling": 0, "floor": 1, "candidate": 2}
    groups = sorted(
        table.groupby("method", sort=True),
        key=lambda item: rank.get(str(item[1]["condition"].iloc[0]), 3),
    )  # stable: legend lists ceiling, floor, then candidates by name
    for method, rows in groups:
        condition = rows["condition"].iloc[0]
        rows = rows.sort_values("blur_length")
        if condition == "candidate":
            style: dict[str, Any] = {  # Any: mixed Line2D keyword values
                "color": colours[str(method)],
                "marker": markers[str(method)],
                "linewidth": 1.5,
                "zorder": 3,
            }
        else:
            style = dict(_CEILING if condition == "ceiling" else _FLOOR)
        label = _role_label(str(method), str(condition))
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

    Each candidate is a point with its 95% Wilson interval, told apart by colour and
    marker in a legend beside the panels (no labels on the plot, so none overlap).
    The ceiling is a dashed line and the floor a pale band. Candidates without a
    time (``dir:`` folders) are named in the panel's corner.
    """
    summary = summarize(per_sample)
    engines = sorted(summary["ocr"].unique()) or ["(none)"]
    axes = _panels(len(engines))
    methods = _candidates(summary)
    colours, markers = _candidate_colours(methods), _candidate_markers(methods)
    for ax, engine in zip(axes, engines, strict=True):
        rows = summary[summary["ocr"] == engine]
        untimed = []
        for _, row in rows.iterrows():
            if row["condition"] != "candidate":
                style = _CEILING if row["condition"] == "ceiling" else _FLOOR
                label = _role_label(str(row["method"]), str(row["condition"]))
                ax.axhline(row["exact"], label=label, **style)
                continue
            if not np.isfinite(row["ms"]):
                untimed.append(str(row["method"]))
                continue
            ms = max(float(row["ms"]), 1e-3)
            error = [[row["exact"] - row["exact_lo"]], [row["exact_hi"] - row["exact"]]]
            ax.errorbar(
                ms, row["exact"], yerr=error, fmt=markers[row["method"]], markersize=7,
                color=colours[row["method"]], capsize=3, label=row["method"], zorder=3,
            )  # fmt: skip
        if untimed:
            ax.text(0.01, 0.01, "not timed: " + ", ".join(untimed), fontsize="small",
                    transform=ax.transAxes, va="bottom")  # fmt: skip
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.margins(x=0.3)
        ax.set_xlabel("restoration time per image (ms, median, log scale)")
        ax.set_ylabel("exact-match rate (95% interval)")
        ax.set_ylim(-0.03, 1.03)
        ax.set_title(f"Accuracy vs speed — {engine}")
        ax.grid(True, which="both", alpha=0.3)
    _legend_outside(axes[-1])
    fig = axes[0].get_figure()
    assert isinstance(fig, Figure)
    return fig


def _method_order(methods: set[str]) -> list[str]:
    rest = sorted(methods - {"sharp", "blurred"})
    return [m for m in ("sharp", "blurred") if m in methods] + rest


def _aspect(images: Mapping[str, Image]) -> float:
    """Largest height/width ratio of a sample's images (0.25 when none)."""
    return max((im.shape[0] / im.shape[1] for im in images.values()), default=0.25)


def _rows_of(per_sample: pd.DataFrame | None, sample_id: str) -> pd.DataFrame:
    if per_sample is None:
        return pd.DataFrame(columns=["method", "ocr", "prediction", "exact", "error"])
    return per_sample[per_sample["sample_id"].astype(str) == sample_id]


def _is_true(value: object) -> bool:
    return str(value).strip().lower() in ("true", "1", "1.0")


def _sample_title(sample_id: str, rows: pd.DataFrame) -> str:
    """``id — plate AB12CDE — blur 13 px`` from the sample's rows."""
    parts = [sample_id]
    if not rows.empty:
        text = rows["text"].iloc[0]
        parts.append(f"plate {text}" if isinstance(text, str) and text else "plate ?")
        length = pd.to_numeric(rows["blur_length"], errors="coerce").iloc[0]
        if np.isfinite(length):
            parts.append(f"blur {length:g} px")
    return "  —  ".join(parts)


def _caption_cell(ax: Axes, rows: pd.DataFrame, has_image: bool) -> None:
    """Write each engine's reading under an image, or why the cell is blank."""
    if not has_image:
        errors = rows["error"].fillna("").astype(str)
        failed = rows[errors.str.len() > 0]
        why = "image not saved" if len(rows) else "not run on this sample"
        if len(failed):
            why = "failed: " + str(failed["error"].iloc[0])[:60]
        ax.text(0.5, 0.5, why, ha="center", va="center", wrap=True,
                transform=ax.transAxes, fontsize=8, color="0.35")  # fmt: skip
        return
    for i, (_, r) in enumerate(rows.sort_values("ocr").iterrows()):
        text = "" if pd.isna(r["prediction"]) else str(r["prediction"])
        ok = _is_true(r["exact"])
        ax.annotate(
            f"{r['ocr']}: {text or '∅'} {'✓' if ok else '✗'}", xy=(0, 0),
            xycoords="axes fraction", xytext=(0, -3 - 11 * i),
            textcoords="offset points", va="top", fontsize=9, family="monospace",
            color=_RIGHT if ok else _WRONG,
        )  # fmt: skip


def plot_examples(examples: Examples, per_sample: pd.DataFrame | None = None) -> Figure:
    """Show example plates: one block per sample, five images per line.

    Each block is titled with the sample id, its true plate text and blur length;
    images are sharp, blurred, then the candidates. The figure is about 1,200 px wide
    at 110 dpi, so it reads at page width.

    Parameters
    ----------
    examples : mapping
        ``{sample_id: {method: image}}`` (see :func:`load_examples`).
    per_sample : DataFrame, optional
        When given, each image is captioned with every OCR engine's reading, green
        when it matches the plate text exactly and red otherwise; a blank cell says
        whether the candidate failed or did not run on the sample (``every = N``).

    Returns
    -------
    fig : Figure
    """
    samples = sorted(examples)
    methods = _method_order({m for s in samples for m in examples[s]})
    if per_sample is not None:
        ran = per_sample.loc[per_sample["condition"] == "restored", "method"]
        methods = _method_order(set(methods) | set(ran.dropna().astype(str)))
    cols = _GRID_COLUMNS
    lines = max(1, -(-len(methods) // cols))
    engines = 0 if per_sample is None else per_sample["ocr"].nunique()
    heights = [
        lines * (_CELL_WIDTH * _aspect(examples[s]) + 0.3 + 0.16 * engines) + 0.35
        for s in samples
    ]
    fig = Figure(
        figsize=(_CELL_WIDTH * cols, sum(heights) or 1.0), layout="constrained"
    )
    if not samples:
        _no_data(fig.subplots(), "examples")
        return fig
    subfigures = fig.subfigures(len(samples), 1, squeeze=False, height_ratios=heights)
    blocks = list(np.asarray(subfigures).ravel())
    for sub, sample_id in zip(blocks, samples, strict=True):
        rows = _rows_of(per_sample, str(sample_id))
        sub.suptitle(_sample_title(str(sample_id), rows), fontsize=11,
                     fontweight="bold", x=0.01, ha="left")  # fmt: skip
        axes = np.atleast_2d(sub.subplots(lines, cols, squeeze=False))
        for k, ax in enumerate(axes.flat):
            ax.set_xticks([])
            ax.set_yticks([])
            if k >= len(methods):
                ax.set_axis_off()
                continue
            method = methods[k]
            ax.set_title(method, fontsize=10, fontweight="bold", loc="left")
            image = examples[sample_id].get(method)
            if image is not None:
                cmap = "gray" if image.ndim == 2 else None
                ax.imshow(np.clip(image, 0, 1), cmap=cmap, vmin=0, vmax=1)
            else:
                for spine in ax.spines.values():
                    spine.set_linestyle(":")
            if per_sample is not None:
                _caption_cell(ax, rows[rows["method"] == method], image is not None)
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
