"""Compare bench runs: deltas with n, intervals and paired tests; compare.md/.html.

The first run is the reference; every other run is set against it, one table each.
Runs of different suite settings (anything but the candidates and OCR engines) are
refused unless ``allow_different``, and the reports then say so at the top; their
samples share names but not images, so no paired test is made. Incomplete runs are
flagged at the top too.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bench.aggregate import read_per_sample, summarize
from bench.config import SuiteConfig
from bench.rundir import load_run_suite
from bench.stats import discordant_pairs, mcnemar_exact, verdict
from deblur.io import atomic_write_bytes

__all__ = ["RunSummary", "Comparison", "load_run", "compare", "write_comparison"]

_IGNORED = ("candidates", "ocr", "description", "seed", "seeds", "repeats")
"""Suite fields that may differ between compared runs (the seeds are compared as
``draws``, the root seed of every draw)."""


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    """One run folder as read for a comparison.

    Attributes
    ----------
    name : str
        The folder's name.
    frame : DataFrame
        Its ``per_sample.csv``.
    suite : SuiteConfig or None
        From ``config.json`` (None when the folder has none).
    samples : int or None
        Samples a complete run has (None when unknown).
    """

    name: str
    frame: pd.DataFrame
    suite: SuiteConfig | None
    samples: int | None

    @property
    def done(self) -> int:
        """Samples with rows."""
        return int(self.frame["sample_id"].nunique())

    @property
    def incomplete(self) -> str:
        """A warning when fewer samples ran than the suite has, else ``""``."""
        if self.samples is None or self.done >= self.samples:
            return ""
        return (
            f"Incomplete run {self.name}: {self.done} of {self.samples} samples "
            "have rows; its figures cover only those."
        )


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """Tables of a comparison and the warnings to show above them.

    ``tables`` maps ``"<reference> vs <other>"`` to a display table of strings.
    """

    runs: tuple[RunSummary, ...]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def load_run(run_dir: str | Path) -> RunSummary:
    """Read a run folder's ``per_sample.csv`` and ``config.json`` (when present).

    Raises
    ------
    FileNotFoundError
        If the folder has no ``per_sample.csv``.
    """
    run_dir = Path(run_dir)
    frame = read_per_sample(run_dir)
    suite: SuiteConfig | None = None
    samples: int | None = None
    if (run_dir / "config.json").is_file():
        suite, samples = load_run_suite(run_dir)
    return RunSummary(name=run_dir.name, frame=frame, suite=suite, samples=samples)


def _differences(first: SuiteConfig | None, other: SuiteConfig | None) -> list[str]:
    if first is None or other is None:
        return ["configuration unknown (no config.json)"]
    a, b = (
        {**dataclasses.asdict(suite), "draws": suite.draw_seeds}
        for suite in (first, other)
    )
    return [
        f"{k}: {a[k]!r} vs {b[k]!r}" for k in a if k not in _IGNORED and a[k] != b[k]
    ]


def _rate(rate: float, low: float, high: float) -> str:
    if not np.isfinite(rate):
        return "–"
    return f"{rate:.3f} [{low:.2f}, {high:.2f}]"


def _num(value: float, digits: int) -> str:
    return f"{value:.{digits}f}" if np.isfinite(value) else "–"


def _paired(first: pd.DataFrame, other: pd.DataFrame, method: str, ocr: str) -> list:
    """``[n_pairs, p, verdict]`` of `other` vs `first` on the samples both scored."""

    def scored(frame: pd.DataFrame) -> pd.Series:
        rows = frame[(frame["method"] == method) & (frame["ocr"] == ocr)]
        rows = rows[rows["error"].isna() | (rows["error"].astype(str) == "")]
        values = rows["exact"].astype(str).str.lower().isin(["true", "1", "1.0"])
        return pd.Series(values.to_numpy(dtype=float), index=rows["sample_id"])

    both = pd.concat([scored(first), scored(other)], axis=1, join="inner").dropna()
    if both.empty:
        return [0, "–", "–"]
    only_other, only_first = discordant_pairs(both.iloc[:, 1], both.iloc[:, 0])
    p_value = mcnemar_exact(only_other, only_first)
    diff = float(both.iloc[:, 1].mean() - both.iloc[:, 0].mean())
    return [len(both), f"{p_value:.3g}", verdict(p_value, diff)]


def _pair_table(first: RunSummary, other: RunSummary, paired: bool) -> pd.DataFrame:
    key = ["ocr", "condition", "method"]
    a, b = summarize(first.frame), summarize(other.frame)
    merged = a.merge(b, on=key, how="outer", suffixes=(" A", " B"))
    rank = merged["condition"].map({"ceiling": 0, "candidate": 1, "floor": 2})
    merged = merged.assign(_r=rank).sort_values(["ocr", "_r", "method"], kind="stable")
    rows = []
    for _, r in merged.iterrows():
        delta = r["exact B"] - r["exact A"]
        test = (
            _paired(first.frame, other.frame, str(r["method"]), str(r["ocr"]))
            if paired
            else ["–", "–", "–"]
        )
        rows.append({
            "OCR": r["ocr"], "Method": r["method"], "Role": r["condition"],
            "n A": _num(r["n A"], 0), "Exact A [95% CI]":
            _rate(r["exact A"], r["exact_lo A"], r["exact_hi A"]),
            "n B": _num(r["n B"], 0), "Exact B [95% CI]":
            _rate(r["exact B"], r["exact_lo B"], r["exact_hi B"]),
            "Δ exact (B − A)": f"{delta:+.3f}" if np.isfinite(delta) else "–",
            "Pairs": test[0], "p (McNemar)": test[1], "B vs A": test[2],
            "Misread A": _num(r["misread A"], 3), "Misread B": _num(r["misread B"], 3),
            "CER A": _num(r["cer A"], 3), "CER B": _num(r["cer B"], 3),
            "ms A": _num(r["ms A"], 1), "ms B": _num(r["ms B"], 1),
        })  # fmt: skip
    return pd.DataFrame(rows)


def compare(
    run_dirs: Sequence[str | Path], *, allow_different: bool = False
) -> Comparison:
    """Set every run against the first: exact match with intervals, deltas, tests.

    Parameters
    ----------
    run_dirs : sequence of path
        Two or more run folders with ``per_sample.csv``; the first is the reference.
    allow_different : bool
        Compare runs of different suite settings anyway (warned, no paired tests).

    Returns
    -------
    Comparison
        One table per other run: per (OCR, method), n, exact match and its 95%
        Wilson interval in each run, the difference, and where the runs share their
        samples the exact McNemar test on the samples both scored (``B vs A``:
        better/worse/tie at p < 0.05); misread rate, CER and ms of each run.

    Raises
    ------
    ValueError
        If fewer than two runs are given, two share a folder name, or suite settings
        differ and `allow_different` is False.
    FileNotFoundError
        If a folder has no ``per_sample.csv``.
    """
    if len(run_dirs) < 2:
        raise ValueError(f"run_dirs must name at least two runs, got {len(run_dirs)}")
    names = [Path(d).name for d in run_dirs]
    if len(set(names)) != len(names):
        raise ValueError(f"run folder names must be unique, got {names}")
    runs = tuple(load_run(d) for d in run_dirs)
    warnings = [r.incomplete for r in runs if r.incomplete]
    tables: dict[str, pd.DataFrame] = {}
    for other in runs[1:]:
        differences = _differences(runs[0].suite, other.suite)
        if differences and not allow_different:
            raise ValueError(
                f"runs {runs[0].name} and {other.name} have different suite settings "
                f"({'; '.join(differences)}); compare like with like, or pass "
                "--allow-different"
            )
        if differences:
            warnings.append(
                f"Different settings, {runs[0].name} vs {other.name}: "
                f"{'; '.join(differences)}. Samples differ, so no paired tests."
            )
        title = f"{runs[0].name} (A) vs {other.name} (B)"
        tables[title] = _pair_table(runs[0], other, paired=not differences)
    return Comparison(runs=runs, tables=tables, warnings=tuple(warnings))


_NOTE = (
    "Exact: exact-match rate with its 95% Wilson interval; n: scored rows. Pairs and p: "
    "exact McNemar test on the samples both runs scored, B vs A is better/worse at "
    "p < 0.05, else tie. Misread: rate of plate-shaped wrong reads. A dash: the "
    "method or engine is not in that run."
)

_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1400px;"
    "padding:0 1rem;color:#1f2328}table{border-collapse:collapse;font-size:.85rem;"
    "margin:.8rem 0 1.6rem}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;"
    "text-align:right}th{background:#f6f8fa}.warn{background:#fff8c5;"
    "border:1px solid #d4a72c;padding:.6rem 1rem}"
)


def write_comparison(comparison: Comparison, out_dir: str | Path) -> Path:
    """Write ``compare.md`` and ``compare.html`` into `out_dir`; return the .md path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    title = "Comparison: " + ", ".join(r.name for r in comparison.runs)
    md = [f"# {title}\n\n"]
    md += [f"> **Warning:** {w}\n\n" for w in comparison.warnings]
    md += [f"{_NOTE}\n"]
    page = [f"<h1>{html.escape(title)}</h1>"]
    page += [f'<p class="warn"><b>Warning:</b> {html.escape(w)}</p>'
             for w in comparison.warnings]  # fmt: skip
    page += [f"<p>{html.escape(_NOTE)}</p>"]
    for name, table in comparison.tables.items():
        md += [
            f"\n## {name}\n\n",
            table.to_markdown(index=False, disable_numparse=True),
            "\n",
        ]
        page += [f"<h2>{html.escape(name)}</h2>", table.to_html(index=False, border=0)]
    document = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(page)}</body></html>\n"
    )
    atomic_write_bytes(out / "compare.md", "".join(md).encode("utf-8"))
    atomic_write_bytes(out / "compare.html", document.encode("utf-8"))
    return out / "compare.md"
