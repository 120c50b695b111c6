"""Write a bench report: summary.csv, report.md, figures/*.png and report.html.

The report reads only the runner's per-sample frame (and the example images the runner
saved). Every file is written atomically (temporary file + ``os.replace``).
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bench.aggregate import by_blur_length, gap_closed, summarize
from bench.figures import (
    Examples,
    load_examples,
    plot_accuracy_vs_blur,
    plot_accuracy_vs_speed,
    plot_examples,
    plot_quality_vs_blur,
)
from deblur.io import atomic_write

__all__ = ["write_report", "summary_table", "GAP_LENGTHS"]

GAP_LENGTHS = (13, 17, 21)
"""Blur lengths (px) pooled for the gap-closed table, when the run has them."""

_LUMINANCE_NOTE = (
    "PSNR (dB) and SSIM are computed by `bench.metrics` on the ITU-R BT.601 luminance "
    "of the restored image against the sharp image, with `data_range=1`; the sharp "
    "ceiling has no PSNR (identical images)."
)

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px;
       color: #1f2328; line-height: 1.45; padding: 0 1rem; }
table { border-collapse: collapse; margin: 0.8rem 0 1.6rem; font-size: 0.9rem; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.6rem; text-align: right; }
th { background: #f6f8fa; }
td:first-child, th:first-child, td:nth-child(2) { text-align: left; }
tr.ceiling td { background: #eef6ee; } tr.floor td { background: #f6eeee; }
img { max-width: 100%; border: 1px solid #d0d7de; margin: 0.5rem 0 1.5rem; }
code { background: #f6f8fa; padding: 0 0.2rem; }
"""


def _fmt(value: object, digits: int) -> str:
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "–" if not np.isfinite(value) else f"{value:.{digits}f}"
    return str(value)


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Format :func:`bench.aggregate.summarize` output as strings for display.

    Returns
    -------
    table : DataFrame of str
        Columns ``OCR, Method, Role, n, Exact match, CER, PSNR (dB), SSIM, ms/image,
        Failed``; NaN shown as an en dash.
    """
    spec = [
        ("ocr", "OCR", 0), ("method", "Method", 0), ("condition", "Role", 0),
        ("n", "n", 0), ("exact", "Exact match", 3), ("cer", "CER", 3),
        ("psnr", "PSNR (dB)", 2), ("ssim", "SSIM", 3), ("ms", "ms/image", 1),
        ("errors", "Failed", 0),
    ]  # fmt: skip
    return pd.DataFrame(
        {title: [_fmt(v, d) for v in summary[col]] for col, title, d in spec}
    )


def _gap_table(per_sample: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Gap closed for every engine; pools all lengths when 13/17/21 are absent."""
    lengths: tuple[int, ...] | None = GAP_LENGTHS
    present = pd.to_numeric(per_sample["blur_length"], errors="coerce")
    if not np.isclose(present.to_numpy()[:, None], np.array(GAP_LENGTHS)).any():
        lengths = None
    parts = []
    for engine in sorted(per_sample["ocr"].dropna().unique()):
        gaps = gap_closed(per_sample, lengths=lengths, ocr=str(engine))
        parts.append(gaps.assign(ocr=engine))
    if not parts:
        return pd.DataFrame(), ""
    gaps = pd.concat(parts, ignore_index=True)
    table = pd.DataFrame(
        {
            "OCR": gaps["ocr"],
            "Method": gaps["method"],
            "Exact (blurred → restored / sharp)": [
                f"{_fmt(b, 3)} → {_fmt(r, 3)} / {_fmt(s, 3)}"
                for b, r, s in zip(
                    gaps["exact_blurred"],
                    gaps["exact"],
                    gaps["exact_sharp"],
                    strict=True,
                )
            ],
            "Gap closed (exact)": [_fmt(v, 2) for v in gaps["gap_exact"]],
            "Gap closed (CER)": [_fmt(v, 2) for v in gaps["gap_cer"]],
        }
    )
    where = (
        "all blur lengths" if lengths is None else f"blur lengths {list(lengths)} px"
    )
    return table, where


def _markdown(table: pd.DataFrame) -> str:
    if table.empty:
        return "_(no rows)_\n"
    cells = table.astype(str).map(lambda s: s.replace("|", "\\|"))
    lines = ["| " + " | ".join(table.columns) + " |"]
    lines.append("|" + "|".join(["---"] * len(table.columns)) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def _html_table(table: pd.DataFrame) -> str:
    if table.empty:
        return "<p><em>(no rows)</em></p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    body = []
    for row in table.astype(str).itertuples(index=False):
        role = row[2] if "Role" in table.columns else ""
        cells = "".join(f"<td>{html.escape(v)}</td>" for v in row)
        body.append(f'<tr class="{html.escape(role)}">{cells}</tr>')
    return (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _accuracy_by_length(per_sample: pd.DataFrame) -> pd.DataFrame:
    table = by_blur_length(per_sample).dropna(subset=["blur_length"])
    if table.empty:
        return pd.DataFrame()
    wide = table.pivot_table(
        index=["ocr", "condition", "method"], columns="blur_length", values="exact"
    )
    wide.columns = [f"{_fmt(float(c), 0)} px" for c in wide.columns]
    wide = wide.reset_index()
    wide.insert(1, "Method", wide.pop("method"))
    rank = wide["condition"].map({"ceiling": 0, "candidate": 1, "floor": 2})
    wide = wide.assign(_r=rank).sort_values(["ocr", "_r", "Method"]).drop(columns="_r")
    wide = wide.rename(columns={"ocr": "OCR", "condition": "Role"})
    wide = wide[["OCR", "Method", "Role", *wide.columns[3:]]]
    return wide.map(lambda v: _fmt(v, 2))


def _write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    def write_shared(tmp: Path) -> None:
        write(tmp)
        os.chmod(tmp, 0o644)  # reports are meant to be shared, whatever the umask

    atomic_write(path, write_shared)


def _save(path: Path, *, data: bytes) -> None:
    path.write_bytes(data)


def _png_bytes(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def write_report(
    per_sample: pd.DataFrame,
    out_dir: Path,
    *,
    title: str,
    examples: Examples | None = None,
) -> Path:
    """Write the bench report of one run into `out_dir`.

    Parameters
    ----------
    per_sample : DataFrame
        The runner's per-sample frame (columns
        :data:`bench.aggregate.PER_SAMPLE_COLUMNS`).
    out_dir : Path
        Run folder; created if missing. Receives ``summary.csv``, ``report.md``,
        ``report.html`` and ``figures/*.png``.
    title : str
        Report heading.
    examples : mapping, optional
        ``{sample_id: {method: image}}`` for the example grid; when None they are read
        from ``out_dir/examples`` (:func:`bench.figures.load_examples`), and the grid
        is left out when there are none.

    Returns
    -------
    path : Path
        The written ``report.md``.

    Raises
    ------
    ValueError
        If `per_sample` lacks a column (see :func:`bench.aggregate.summarize`).
    """
    out_dir = Path(out_dir)
    summary = summarize(per_sample)
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    if examples is None:
        examples = load_examples(out_dir)
    figures: dict[str, tuple[str, Figure]] = {
        "accuracy_vs_blur": ("Exact match vs blur length", plot_accuracy_vs_blur(per_sample)),
        "quality_vs_blur": ("CER, PSNR, SSIM vs blur length", plot_quality_vs_blur(per_sample)),
        "accuracy_vs_speed": ("Exact match vs speed", plot_accuracy_vs_speed(per_sample)),
    }  # fmt: skip
    if examples:
        figures["examples"] = ("Examples", plot_examples(examples, per_sample))
    pngs = {name: _png_bytes(fig) for name, (_, fig) in figures.items()}
    for name, data in pngs.items():
        _write_atomic(out_dir / "figures" / f"{name}.png", partial(_save, data=data))
    _write_atomic(out_dir / "summary.csv", lambda p: summary.to_csv(p, index=False))

    table = summary_table(summary)
    gaps, gap_where = _gap_table(per_sample)
    by_length = _accuracy_by_length(per_sample)
    failed = int(summary["errors"].sum())
    captions = {name: caption for name, (caption, _) in figures.items()}
    facts = _facts(per_sample, failed) + ["Images are whole frames: restored whole, read and scored only inside their plate box (labels.csv x,y,w,h)."] * bool((per_sample["style"] == "frame").any())  # fmt: skip  # noqa: E501

    markdown = [f"# {title}\n", *[f"- {f}\n" for f in facts], "\n## Summary\n\n"]
    markdown += [_markdown(table), f"\n{_LUMINANCE_NOTE}\n"]
    markdown += [
        f"\n## Gap closed ({gap_where})\n\n",
        _GAP_NOTE,
        "\n\n",
        _markdown(gaps),
    ]
    markdown += ["\n## Exact match by blur length\n\n", _markdown(by_length)]
    markdown += ["\n## Figures\n\n"]
    markdown += [f"![{captions[n]}](figures/{n}.png)\n\n" for n in pngs]
    report_md = out_dir / "report.md"
    _write_atomic(
        report_md, lambda p: p.write_text("".join(markdown), encoding="utf-8")
    )

    page = [f"<h1>{html.escape(title)}</h1><ul>"]
    page += [f"<li>{html.escape(f)}</li>" for f in facts]
    page += ["</ul><h2>Summary</h2>", _html_table(table)]
    page += [f"<p>{html.escape(_LUMINANCE_NOTE)}</p>"]
    page += [
        f"<h2>Gap closed ({html.escape(gap_where)})</h2><p>{html.escape(_GAP_NOTE)}</p>"
    ]
    page += [_html_table(gaps), "<h2>Exact match by blur length</h2>"]
    page += [_html_table(by_length), "<h2>Figures</h2>"]
    for name, data in pngs.items():
        encoded = base64.b64encode(data).decode("ascii")
        page += [f"<h3>{html.escape(captions[name])}</h3>"]
        page += [f'<img alt="{name}" src="data:image/png;base64,{encoded}">']
    document = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(page)}</body></html>\n"
    )
    _write_atomic(
        out_dir / "report.html", lambda p: p.write_text(document, encoding="utf-8")
    )
    return report_md


_GAP_NOTE = (
    "Gap closed = (restored − blurred) / (sharp − blurred): 1 reads as well as the sharp "
    "plate, 0 no better than the blurred one, negative is worse. Computed on the "
    "exact-match rate and on the CER."
)


def _facts(per_sample: pd.DataFrame, failed: int) -> list[str]:
    samples = per_sample["sample_id"].nunique()
    suites = ", ".join(sorted(per_sample["suite"].dropna().astype(str).unique())) or "–"
    engines = ", ".join(sorted(per_sample["ocr"].dropna().astype(str).unique())) or "–"
    restored = per_sample[per_sample["condition"] == "restored"]["method"]
    methods = ", ".join(sorted(restored.dropna().astype(str).unique())) or "–"
    return [
        f"Suite: {suites}; {samples} samples; {len(per_sample)} rows.",
        f"OCR engines: {engines}. Candidates: {methods}.",
        f"Failed rows (excluded from every metric): {failed}.",
    ]
