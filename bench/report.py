"""Write a bench report: summary.csv, report.md, figures/*.png and report.html.

The report reads the runner's per-sample frame, the example images the runner saved
and, when given, the run's suite (for the scoring policy and the completeness check).
Every file is written atomically (temporary file + ``os.replace``).
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bench.aggregate import (
    by_blur_length,
    by_family,
    gap_closed,
    summarize,
    versus_best_baseline,
)
from bench.config import SuiteConfig
from bench.figures import (
    Examples,
    has_blur_lengths,
    load_examples,
    plot_accuracy_vs_blur,
    plot_accuracy_vs_speed,
    plot_examples,
    plot_quality_vs_blur,
)
from bench.rundir import expected_rows
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
.warn { background: #fff8c5; border: 1px solid #d4a72c; padding: 0.6rem 1rem; }
"""


def _fmt(value: object, digits: int) -> str:
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return "–"
        text = f"{value:.{digits}f}"
        negative_zero = text.startswith("-") and text.strip("-0.") == ""
        return text[1:] if negative_zero else text  # "-0.00" -> "0.00"
    return str(value)


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Format :func:`bench.aggregate.summarize` output as strings for display.

    Returns
    -------
    table : DataFrame of str
        Columns ``OCR, Method, Role, n, Exact match [95% CI], Misread, CER, PSNR (dB),
        SSIM, ms/image, Failed``; NaN shown as an en dash.
    """
    spec = [
        ("ocr", "OCR", 0), ("method", "Method", 0), ("condition", "Role", 0),
        ("n", "n", 0), ("exact", "Exact match [95% CI]", 3), ("misread", "Misread", 3),
        ("cer", "CER", 3), ("psnr", "PSNR (dB)", 2), ("ssim", "SSIM", 3),
        ("ms", "ms/image", 1), ("errors", "Failed", 0),
    ]  # fmt: skip
    table = pd.DataFrame(
        {title: [_fmt(v, d) for v in summary[col]] for col, title, d in spec}
    )
    table["Exact match [95% CI]"] = [
        _with_interval(v, lo, hi, 3)
        for v, lo, hi in zip(
            summary["exact"], summary["exact_lo"], summary["exact_hi"], strict=True
        )
    ]
    return table


def _with_interval(value: float, low: float, high: float, digits: int) -> str:
    if not np.isfinite(value):
        return "–"
    if not (np.isfinite(low) and np.isfinite(high)):
        return _fmt(value, digits)
    return f"{value:.{digits}f} [{low:.2f}, {high:.2f}]"


def _gap_table(per_sample: pd.DataFrame) -> tuple[pd.DataFrame, str, list[str]]:
    """Gap closed for every engine (pools all lengths when 13/17/21 are absent), and a
    plain-words note for each gap above 1."""
    present = pd.to_numeric(per_sample["blur_length"], errors="coerce").to_numpy()
    found = np.isclose(present[:, None], np.array(GAP_LENGTHS)).any(axis=0)
    lengths = tuple(g for g, ok in zip(GAP_LENGTHS, found, strict=True) if ok) or None
    if not (per_sample["condition"] == "sharp").any():
        return pd.DataFrame(), "", []
    parts = []
    for engine in sorted(per_sample["ocr"].dropna().unique()):
        gaps = gap_closed(per_sample, lengths=lengths, ocr=str(engine))
        parts.append(gaps.assign(ocr=engine))
    if not parts:
        return pd.DataFrame(), "", []
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
            "Gap closed (exact) [95% CI]": [
                _with_interval(g, lo, hi, 2)
                for g, lo, hi in zip(
                    gaps["gap_exact"],
                    gaps["gap_exact_lo"],
                    gaps["gap_exact_hi"],
                    strict=True,
                )  # fmt: skip
            ],
            "Gap closed (CER)": [_fmt(v, 2) for v in gaps["gap_cer"]],
        }
    )
    where = (
        "all blur lengths" if lengths is None else f"blur lengths {list(lengths)} px"
    )
    above = gaps[gaps["gap_exact"] > 1]
    notes = [
        f"{r.method} closes {r.gap_exact:.2f} of the gap with {r.ocr}: its output "
        f"was read exactly more often ({r.exact:.3f}) than the sharp plates "
        f"({r.exact_sharp:.3f}). The sharp image is a ceiling for the blur, not for "
        "the OCR engine, which misses some sharp plates that this method's output "
        "(e.g. with more contrast) makes easier; read it as the whole gap closed, "
        "and see the interval."
        for r in above.itertuples()
    ]
    return table, where, notes


def _baseline_table(per_sample: pd.DataFrame) -> pd.DataFrame:
    tests = versus_best_baseline(per_sample)
    if tests.empty:
        return tests
    return pd.DataFrame(
        {
            "OCR": tests["ocr"],
            "Method": tests["method"],
            "Best baseline": tests["baseline"],
            "Pairs": tests["n_pairs"],
            "Exact (method / baseline)": [
                f"{_fmt(a, 3)} / {_fmt(b, 3)}"
                for a, b in zip(tests["exact"], tests["exact_baseline"], strict=True)
            ],
            "Only method / only baseline": [
                f"{a} / {b}"
                for a, b in zip(
                    tests["only_method"], tests["only_baseline"], strict=True
                )
            ],
            "p (McNemar)": [f"{p:.3g}" for p in tests["p_value"]],
            "Verdict": tests["verdict"],
        }
    )


_TEXT_COLUMNS = ("OCR", "Method", "Role", "Best baseline", "Verdict")


def _markdown(table: pd.DataFrame) -> str:
    if table.empty:
        return "_(no rows)_\n"
    align = ["left" if c in _TEXT_COLUMNS else "right" for c in table.columns]
    text = table.to_markdown(index=False, disable_numparse=True, colalign=align)
    return str(text) + "\n"


def _html_table(table: pd.DataFrame) -> str:
    if table.empty:
        return "<p><em>(no rows)</em></p>"
    text = table.to_html(index=False, border=0, escape=True)
    if "Role" not in table.columns:
        return text
    roles = iter(html.escape(str(r)) for r in table["Role"])
    body_start = text.index("<tbody>")
    body = re.sub(r"<tr>", lambda _: f'<tr class="{next(roles)}">', text[body_start:])
    return text[:body_start] + body


def _exact_wide(
    table: pd.DataFrame, labels: pd.Series, order: list[str]
) -> pd.DataFrame:
    """Exact match, one row per (OCR, method, role) and one column per label.

    `labels` names each row of `table` (a summary from :mod:`bench.aggregate`) by its
    column; `order` lists the columns. Rows run ceiling, candidates, floor per engine.
    """
    wide = (
        table.assign(column=labels)
        .pivot_table(
            index=["ocr", "condition", "method"], columns="column", values="exact"
        )[order]
        .reset_index()
    )
    wide.columns.name = None
    rank = wide["condition"].map({"ceiling": 0, "candidate": 1, "floor": 2})
    wide = wide.assign(_r=rank).sort_values(["ocr", "_r", "method"]).drop(columns="_r")
    wide = wide.rename(columns={"ocr": "OCR", "condition": "Role", "method": "Method"})
    return wide[["OCR", "Method", "Role", *order]].map(lambda v: _fmt(v, 2))


def _accuracy_by_length(per_sample: pd.DataFrame) -> pd.DataFrame:
    table = by_blur_length(per_sample).dropna(subset=["blur_length"])
    if table.empty:
        return pd.DataFrame()
    names = {
        v: f"{_fmt(float(v), 0)} px" for v in sorted(table["blur_length"].unique())
    }
    return _exact_wide(table, table["blur_length"].map(names), list(names.values()))


def _families(per_sample: pd.DataFrame) -> list[str]:
    """The degradation families of a family suite (more than one ``blur_kind``)."""
    kinds = per_sample["blur_kind"].dropna().astype(str)
    kinds = kinds[kinds != ""].unique().tolist()
    return kinds if len(kinds) > 1 else []


def _accuracy_by_family(per_sample: pd.DataFrame, *, lengths: bool) -> pd.DataFrame:
    """Exact match per (OCR, method, role) and family (and blur length) columns."""
    table = by_family(per_sample, lengths=lengths)
    if lengths:
        table = table.dropna(subset=["blur_length"])
    labels = table["blur_kind"].astype(str)
    if lengths:
        labels = labels + " " + [_fmt(float(v), 0) for v in table["blur_length"]]
    return _exact_wide(table, labels, list(dict.fromkeys(labels)))


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


def _figures(
    per_sample: pd.DataFrame, examples: Examples
) -> dict[str, tuple[str, Figure]]:
    """The report's figures; none that would be empty (no blur lengths, no examples)."""
    figures: dict[str, tuple[str, Figure]] = {}
    if has_blur_lengths(per_sample):
        figures["accuracy_vs_blur"] = (
            "Exact match vs blur length",
            plot_accuracy_vs_blur(per_sample),
        )
        figures["quality_vs_blur"] = (
            "CER, PSNR, SSIM vs blur length",
            plot_quality_vs_blur(per_sample),
        )
    figures["accuracy_vs_speed"] = (
        "Exact match vs speed",
        plot_accuracy_vs_speed(per_sample),
    )
    if examples:
        figures["examples"] = (_EXAMPLES_NOTE, plot_examples(examples, per_sample))
    return figures


_Section = tuple[str, list[str], pd.DataFrame]
"""(heading, paragraphs, table) of one report section."""


def _sections(per_sample: pd.DataFrame, summary: pd.DataFrame) -> list[_Section]:
    sections: list[_Section] = [
        ("Summary", [_SUMMARY_NOTE, _LUMINANCE_NOTE], summary_table(summary))
    ]
    baseline = _baseline_table(per_sample)
    if not baseline.empty:
        sections.append(("Paired test against the best baseline", [_PAIRED_NOTE],
                         baseline))  # fmt: skip
    gaps, where, notes = _gap_table(per_sample)
    if not gaps.empty:
        sections.append((f"Gap closed ({where})", [_GAP_NOTE, *notes], gaps))
    if has_blur_lengths(per_sample):
        sections.append(
            ("Exact match by blur length", [], _accuracy_by_length(per_sample))
        )
    if _families(per_sample):
        sections.append(
            (
                "Exact match by family",
                [_FAMILY_NOTE],
                _accuracy_by_family(per_sample, lengths=False),
            )
        )
        sections.append(
            (
                "Exact match by family and blur length",
                [],
                _accuracy_by_family(per_sample, lengths=True),
            )
        )
    return sections


_FAMILY_NOTE = (
    "Each plate was degraded by one family (deblur.synth.families); a family without "
    "a blur kernel (sharp, soft, lowres, dim, jpeg) has blur length 0."
)


def _render_markdown(title: str, warnings: list[str], facts: list[str],
                     sections: list[_Section], captions: dict[str, str]) -> str:  # fmt: skip
    out = [f"# {title}\n\n", *[f"> **Warning:** {w}\n\n" for w in warnings]]
    out += [f"- {f}\n" for f in facts]
    for heading, notes, table in sections:
        out += [f"\n## {heading}\n\n", *[f"{n}\n\n" for n in notes], _markdown(table)]
    out += ["\n## Figures\n\n"]
    out += [f"![{name}](figures/{name}.png)\n\n{c}\n\n" for name, c in captions.items()]
    return "".join(out)


def _render_html(title: str, warnings: list[str], facts: list[str],
                 sections: list[_Section], captions: dict[str, str],
                 pngs: dict[str, bytes]) -> str:  # fmt: skip
    page = [f"<h1>{html.escape(title)}</h1>"]
    page += [f'<p class="warn"><b>Warning:</b> {html.escape(w)}</p>' for w in warnings]
    page += ["<ul>", *[f"<li>{html.escape(f)}</li>" for f in facts], "</ul>"]
    for heading, notes, table in sections:
        page += [f"<h2>{html.escape(heading)}</h2>"]
        page += [f"<p>{html.escape(n)}</p>" for n in notes]
        page += [_html_table(table)]
    page += ["<h2>Figures</h2>"]
    for name, data in pngs.items():
        encoded = base64.b64encode(data).decode("ascii")
        page += [f"<h3>{html.escape(name.replace('_', ' '))}</h3>"]
        page += [f'<img alt="{name}" src="data:image/png;base64,{encoded}">']
        page += [f"<p>{html.escape(captions[name])}</p>"]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(page)}</body></html>\n"
    )


def write_report(
    per_sample: pd.DataFrame,
    out_dir: Path,
    *,
    title: str,
    examples: Examples | None = None,
    suite: SuiteConfig | None = None,
    samples: int | None = None,
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
    suite : SuiteConfig, optional
        The run's suite (:func:`bench.runner.load_run_suite`): states the scoring
        policy (O read as 0 or not) and the pooled draws at the top.
    samples : int, optional
        Samples of a complete run; with `suite`, a run with fewer is flagged as
        incomplete in the first lines.

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
    figures = _figures(per_sample, examples)
    pngs = {name: _png_bytes(fig) for name, (_, fig) in figures.items()}
    for name, data in pngs.items():
        _write_atomic(out_dir / "figures" / f"{name}.png", partial(_save, data=data))
    _write_atomic(out_dir / "summary.csv", lambda p: summary.to_csv(p, index=False))

    warnings = _warnings(per_sample, suite, samples)
    facts = _facts(per_sample, int(summary["errors"].sum()), suite)
    sections = _sections(per_sample, summary)
    captions = {name: caption for name, (caption, _) in figures.items()}
    markdown = _render_markdown(title, warnings, facts, sections, captions)
    document = _render_html(title, warnings, facts, sections, captions, pngs)
    report_md = out_dir / "report.md"
    _write_atomic(report_md, lambda p: p.write_text(markdown, encoding="utf-8"))
    _write_atomic(
        out_dir / "report.html", lambda p: p.write_text(document, encoding="utf-8")
    )
    return report_md


_GAP_NOTE = (
    "Gap closed = (restored − blurred) / (sharp − blurred): 1 reads as well as the sharp "
    "plate, 0 no better than the blurred one, negative is worse. Computed on the "
    "exact-match rate (with a 95% bootstrap interval over the candidate's samples) and "
    "on the CER."
)
_SUMMARY_NOTE = (
    "n: scored rows. Exact match: rate with its 95% Wilson interval. Misread: rate of "
    "plate-shaped wrong reads (see the scoring policy above); the remaining errors are "
    "no read or a partial read."
)
_PAIRED_NOTE = (
    "Each candidate against the best baseline (highest exact match among identity and "
    "the classical restorers) on the samples both read: exact McNemar test on the "
    "discordant pairs (only one of the two read the plate). Better or worse when "
    "p < 0.05, otherwise a tie."
)
_EXAMPLES_NOTE = (
    "Each block is one sample: its id, true plate text and blur length. Under each "
    "image, every OCR engine's reading: green ✓ matches the plate, red ✗ does not. A "
    "blank cell is a candidate that did not run on that sample (a candidate with "
    "every = N runs on every Nth sample only) or that failed (its error is shown)."
)


def _warnings(
    per_sample: pd.DataFrame, suite: SuiteConfig | None, samples: int | None
) -> list[str]:
    if suite is None or samples is None:
        return []
    done = int(per_sample["sample_id"].nunique())
    if done >= samples:
        return []
    return [
        f"Incomplete run: {done} of {samples} samples have rows ({len(per_sample)} of "
        f"{expected_rows(suite, samples)} rows); every figure below covers only those. "
        "Run the same `bench run` command with `--out` set to this folder to finish it."
    ]


def _policy(suite: SuiteConfig | None) -> str:
    text = (
        "Scoring: a plate counts as read when the OCR text equals the label after both "
        "are upper-cased and stripped of everything but A–Z and 0–9 (spaces, hyphens "
        "and other separators are ignored). "
    )
    if suite is None:
        return text + "Whether O was read as 0 is unknown (no config.json)."
    if suite.o_equals_zero:
        return text + (
            "The letter O is read as the digit 0 in both (o_equals_zero: this "
            "suite's labels never contain O)."
        )
    return text + "O and 0 are different characters (o_equals_zero is off)."


def _facts(
    per_sample: pd.DataFrame, failed: int, suite: SuiteConfig | None = None
) -> list[str]:
    samples = per_sample["sample_id"].nunique()
    suites = ", ".join(sorted(per_sample["suite"].dropna().astype(str).unique())) or "–"
    engines = ", ".join(sorted(per_sample["ocr"].dropna().astype(str).unique())) or "–"
    restored = per_sample[per_sample["condition"] == "restored"]["method"]
    methods = ", ".join(sorted(restored.dropna().astype(str).unique())) or "–"
    facts = [
        f"Suite: {suites}; {samples} samples; {len(per_sample)} rows.",
        _policy(suite),
        "Misread: a wrong reading with the plate's length and letter/digit pattern "
        "(one a plate-format check would accept); other errors are no or partial reads.",
    ]
    if suite is not None and len(suite.draw_seeds) > 1:
        seeds = ", ".join(str(s) for s in suite.draw_seeds)
        facts.append(f"Pooled independent draws of the suite, root seeds {seeds}.")
    if (per_sample["style"] == "frame").any():
        facts.append(
            "Images are whole frames: restored whole, read and scored only inside "
            "their plate box (labels.csv x,y,w,h)."
        )
    return [
        *facts,
        f"OCR engines: {engines}. Candidates: {methods}.",
        f"Failed rows (excluded from every metric): {failed}.",
    ]
