"""Aggregate the bench's per-sample table into summaries.

Every function here reads the tidy per-sample frame written by :mod:`bench.runner`
(``per_sample.csv``); its columns are :data:`PER_SAMPLE_COLUMNS`. Rows whose ``error``
is non-empty are excluded from every metric but counted in the ``errors`` column.

Summary columns (one row per group):

``method, ocr, condition``
    Group keys; ``condition`` is ``ceiling`` (the sharp image), ``candidate`` (a
    restoration method) or ``floor`` (the blurred input).
``n``
    Number of scored (error-free) rows.
``exact``
    Exact-match rate of the normalised plate text, in [0, 1].
``exact_lo``, ``exact_hi``
    Its 95% Wilson interval (:func:`bench.stats.wilson_interval`).
``misread``
    Rate of plate-shaped wrong reads (:func:`bench.reads.read_outcome`), in [0, 1];
    the other errors are no read or a partial one. NaN for runs saved before the
    ``outcome`` column existed.
``cer``, ``ned``
    Mean character error rate and mean normalised edit distance.
``psnr``, ``ssim``
    Mean luminance PSNR (dB) and SSIM against the sharp image; non-finite values
    (PSNR of the sharp image against itself) are left out, so the ceiling shows NaN.
``ms``
    Median milliseconds per image spent restoring (0 for ceiling and floor).
``errors``
    Number of rows that failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from bench.rows import COLUMNS
from bench.stats import (
    discordant_pairs,
    gap_interval,
    mcnemar_exact,
    verdict,
    wilson_interval,
)

__all__ = [
    "PER_SAMPLE_COLUMNS",
    "SUMMARY_COLUMNS",
    "CONDITION_LABELS",
    "summarize",
    "by_blur_length",
    "by_family",
    "gap_closed",
    "compare_runs",
    "read_per_sample",
    "versus_best_baseline",
]

PER_SAMPLE_COLUMNS = COLUMNS
"""Columns of the runner's per-sample frame, in order (:data:`bench.rows.COLUMNS`)."""

_ADDED_LATER = ("seed", "outcome")
"""Columns that older run folders lack; read as missing values."""

SUMMARY_COLUMNS = (
    "method",
    "ocr",
    "condition",
    "n",
    "exact",
    "exact_lo",
    "exact_hi",
    "misread",
    "cer",
    "ned",
    "psnr",
    "ssim",
    "ms",
    "errors",
)
"""Columns of :func:`summarize` (``by_blur_length`` adds ``blur_length``)."""

CONDITION_LABELS = {"sharp": "ceiling", "restored": "candidate", "blurred": "floor"}
"""Per-sample ``condition`` -> summary ``condition``."""

_RANK = {"ceiling": 0, "candidate": 1, "floor": 2}
_METRICS = ("cer", "ned", "psnr", "ssim", "ms")


def _prepare(per_sample: pd.DataFrame) -> pd.DataFrame:
    """Validate columns and return a typed copy with an ``ok`` column."""
    if not isinstance(per_sample, pd.DataFrame):
        raise TypeError(
            f"per_sample must be a pandas DataFrame, got {type(per_sample).__name__}"
        )
    missing = [
        c
        for c in PER_SAMPLE_COLUMNS
        if c not in per_sample.columns and c not in _ADDED_LATER
    ]
    if missing:
        raise ValueError(f"per_sample is missing columns {missing}")
    frame = per_sample.copy()
    for column in _ADDED_LATER:
        if column not in frame.columns:
            frame[column] = np.nan
    unknown = sorted(set(frame["condition"].dropna()) - set(CONDITION_LABELS))
    if unknown:
        raise ValueError(
            f"condition must be one of {sorted(CONDITION_LABELS)}, got {unknown}"
        )
    errors = frame["error"].astype(object)
    frame["error"] = errors.where(errors.notna(), "").astype(str)
    frame["ok"] = frame["error"].str.len() == 0
    frame["exact"] = frame["exact"].map(_to_bool).astype(float)
    for column in (*_METRICS, "blur_length"):
        values = pd.to_numeric(frame[column], errors="coerce").astype(float)
        frame[column] = values.where(np.isfinite(values))
    outcome = frame["outcome"].astype(object)
    known = outcome.isin(["exact", "misread", "unread"]) & frame["ok"]
    frame["misread"] = np.where(known, outcome == "misread", np.nan)
    frame.loc[~frame["ok"], ["exact", *_METRICS]] = np.nan
    frame["condition"] = frame["condition"].map(CONDITION_LABELS)
    return frame


def _to_bool(value: object) -> float:
    """Read a bool written by pandas or by hand (True/'true'/1); NaN when missing."""
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1"):
            return 1.0
        if text in ("false", "0"):
            return 0.0
        return float("nan")
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return float("nan")
    return float(bool(value))


def _group(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(
        n=("ok", "sum"),
        exact=("exact", "mean"),
        cer=("cer", "mean"),
        ned=("ned", "mean"),
        psnr=("psnr", "mean"),
        ssim=("ssim", "mean"),
        ms=("ms", "median"),
        errors=("ok", lambda ok: int((~ok).sum())),
    ).reset_index()
    out["n"] = out["n"].astype(int)
    out["errors"] = out["errors"].astype(int)
    misread = grouped["misread"].mean()
    out["misread"] = misread.to_numpy()
    bounds = [
        wilson_interval(int(round(rate * n)), n) if n and np.isfinite(rate) else
        (np.nan, np.nan)
        for rate, n in zip(out["exact"], out["n"], strict=True)
    ]  # fmt: skip
    out["exact_lo"] = [b[0] for b in bounds]
    out["exact_hi"] = [b[1] for b in bounds]
    return out


def _order(summary: pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    rank = summary["condition"].map(_RANK)
    ordered = summary.assign(_rank=rank).sort_values(
        ["ocr", *extra, "_rank", "method"], kind="stable"
    )
    return ordered.drop(columns="_rank").reset_index(drop=True)


def summarize(per_sample: pd.DataFrame) -> pd.DataFrame:
    """Summarise per (method, ocr): rates, mean errors, image quality, speed.

    Parameters
    ----------
    per_sample : DataFrame
        The runner's per-sample frame (columns :data:`PER_SAMPLE_COLUMNS`).

    Returns
    -------
    summary : DataFrame
        Columns :data:`SUMMARY_COLUMNS` (see the module docstring). Rows are grouped
        by OCR engine, each block ordered ceiling, candidates (by name), floor.

    Raises
    ------
    TypeError
        If `per_sample` is not a DataFrame.
    ValueError
        If a column is missing or a ``condition`` is unknown.
    """
    frame = _prepare(per_sample)
    summary = _group(frame, ["method", "ocr", "condition"])
    return _order(summary)[list(SUMMARY_COLUMNS)]


def by_blur_length(per_sample: pd.DataFrame) -> pd.DataFrame:
    """Summarise per (method, ocr, blur_length), like :func:`summarize`.

    Returns
    -------
    summary : DataFrame
        :data:`SUMMARY_COLUMNS` plus ``blur_length`` (after ``condition``), ordered by
        OCR engine, blur length, then ceiling, candidates, floor.
    """
    frame = _prepare(per_sample)
    summary = _group(frame, ["method", "ocr", "condition", "blur_length"])
    columns = [*SUMMARY_COLUMNS[:3], "blur_length", *SUMMARY_COLUMNS[3:]]
    return _order(summary, extra=["blur_length"])[columns]


def by_family(per_sample: pd.DataFrame, *, lengths: bool = False) -> pd.DataFrame:
    """Summarise per (method, ocr, family), like :func:`summarize`.

    The family is the ``blur_kind`` column: the degradation family in family suites
    (``[blur] kind = "family"``), the kernel kind elsewhere.

    Parameters
    ----------
    per_sample : DataFrame
        The runner's per-sample frame.
    lengths : bool
        Also split each family by ``blur_length``.

    Returns
    -------
    summary : DataFrame
        :data:`SUMMARY_COLUMNS` plus ``blur_kind`` (and ``blur_length``) after
        ``condition``, ordered by OCR engine, family, then ceiling, candidates, floor.
    """
    frame = _prepare(per_sample)
    keys = ["blur_kind", "blur_length"] if lengths else ["blur_kind"]
    summary = _group(frame, ["method", "ocr", "condition", *keys])
    columns = [*SUMMARY_COLUMNS[:3], *keys, *SUMMARY_COLUMNS[3:]]
    return _order(summary, extra=keys)[columns]


def gap_closed(
    per_sample: pd.DataFrame,
    *,
    lengths: Sequence[float] | None = (13, 17, 21),
    ocr: str = "ppocr",
) -> pd.DataFrame:
    """Fraction of the sharp-vs-blurred gap that each candidate closes.

    ``gap = (restored - blurred) / (sharp - blurred)`` for the exact-match rate, and
    the same with the CER (lower is better, the ratio has the same meaning). 1 means
    as good as the sharp image, 0 no better than the blurred one, negative is worse.

    Parameters
    ----------
    per_sample : DataFrame
        The runner's per-sample frame.
    lengths : sequence of float or None
        Blur lengths (pixels) to pool; None pools every length.
    ocr : str
        OCR engine whose readings are compared.

    Returns
    -------
    gaps : DataFrame
        One row per candidate method with columns ``method, n, exact, exact_sharp,
        exact_blurred, gap_exact, gap_exact_lo, gap_exact_hi, cer, cer_sharp,
        cer_blurred, gap_cer``; a gap is NaN when sharp and blurred score the same.
        ``gap_exact_lo/hi`` is a 95% bootstrap interval over the candidate's samples
        (:func:`bench.stats.gap_interval`). A gap above 1 means the candidate's output
        reads better than the sharp plates themselves.

    Raises
    ------
    ValueError
        If `ocr` is absent from the frame, or no row has one of `lengths`.
    """
    frame = _prepare(per_sample)
    engines = sorted(frame["ocr"].dropna().unique())
    if ocr not in engines:
        raise ValueError(
            f"ocr must be one of the engines in the frame {engines}, got {ocr!r}"
        )
    frame = frame[frame["ocr"] == ocr]
    if lengths is not None:
        wanted = np.asarray(list(lengths), dtype=float)
        keep = np.isclose(frame["blur_length"].to_numpy()[:, None], wanted).any(axis=1)
        frame = frame[keep]
        if frame.empty:
            raise ValueError(f"no {ocr!r} rows with blur_length in {list(lengths)}")
    summary = _group(frame, ["method", "condition"])
    ceiling = summary[summary["condition"] == "ceiling"][["exact", "cer"]].mean()
    floor = summary[summary["condition"] == "floor"][["exact", "cer"]].mean()
    gaps = summary[summary["condition"] == "candidate"][["method", "n", "exact", "cer"]]
    gaps = gaps.sort_values("method").reset_index(drop=True)
    for metric in ("exact", "cer"):
        span = ceiling[metric] - floor[metric]
        gaps[f"{metric}_sharp"] = ceiling[metric]
        gaps[f"{metric}_blurred"] = floor[metric]
        gaps[f"gap_{metric}"] = (
            (gaps[metric] - floor[metric]) / span if span != 0 else np.nan
        )
    bounds = [_gap_bounds(frame, str(m)) for m in gaps["method"]]
    gaps["gap_exact_lo"] = [b[0] for b in bounds]
    gaps["gap_exact_hi"] = [b[1] for b in bounds]
    order = ["method", "n"]
    for metric in ("exact", "cer"):
        order += [metric, f"{metric}_sharp", f"{metric}_blurred", f"gap_{metric}"]
    order[6:6] = ["gap_exact_lo", "gap_exact_hi"]
    return gaps[order]


def _exact_by_sample(frame: pd.DataFrame) -> pd.DataFrame:
    """Scored exact matches as a (sample_id x method) table (NaN where missing)."""
    scored = frame[frame["ok"]]
    return scored.pivot_table(
        index="sample_id", columns="method", values="exact", aggfunc="first"
    )


def _gap_bounds(frame: pd.DataFrame, method: str) -> tuple[float, float]:
    wide = _exact_by_sample(frame)
    if not {"sharp", "blurred", method} <= set(wide.columns):
        return np.nan, np.nan
    paired = wide[["sharp", "blurred", method]].dropna()
    return gap_interval(paired["sharp"], paired["blurred"], paired[method])


def _is_baseline(method: str) -> bool:
    """A registered method that runs no model: the classical restorers, identity."""
    import deblur  # noqa: F401 - fills the registry
    from deblur.registry import available_deblurrers, deblurrer_info

    return method in available_deblurrers() and not deblurrer_info(method).threaded


def versus_best_baseline(per_sample: pd.DataFrame) -> pd.DataFrame:
    """Test each candidate against the best baseline on the same samples (McNemar).

    Baselines are the registered methods that run no model (identity and the
    classical restorers, oracle ones included). Per OCR engine, the best baseline has
    the highest exact-match rate; every other candidate is paired with it on the
    samples both read without error, and the exact McNemar test
    (:func:`bench.stats.mcnemar_exact`) gives a two-sided p-value.

    Returns
    -------
    tests : DataFrame
        Columns ``ocr, method, baseline, n_pairs, exact, exact_baseline, only_method,
        only_baseline, p_value, verdict`` (``better``/``worse``/``tie``, tie when
        p >= 0.05); exact rates are over the paired samples. Empty when a run has no
        baseline.
    """
    frame = _prepare(per_sample)
    frame = frame[frame["condition"] == "candidate"]
    columns = ["ocr", "method", "baseline", "n_pairs", "exact", "exact_baseline",
               "only_method", "only_baseline", "p_value", "verdict"]  # fmt: skip
    rows = []
    for engine, part in frame.groupby("ocr", sort=True):
        wide = _exact_by_sample(part)
        baselines = [m for m in wide.columns if _is_baseline(str(m))]
        if not baselines:
            continue
        rates = wide[baselines].mean()
        best = min(baselines, key=lambda m: (-rates[m], str(m)))
        for method in sorted(m for m in wide.columns if m != best):
            pair = wide[[method, best]].dropna()
            only_method, only_best = discordant_pairs(pair[method], pair[best])
            p_value = mcnemar_exact(only_method, only_best)
            diff = float(pair[method].mean() - pair[best].mean())
            rows.append([engine, method, best, len(pair), pair[method].mean(),
                         pair[best].mean(), only_method, only_best, p_value,
                         verdict(p_value, diff)])  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def read_per_sample(run_dir: str | Path) -> pd.DataFrame:
    """Read ``run_dir/per_sample.csv`` as written by the runner.

    Empty cells (no error, no prediction) are read as NaN, the text "NA" as text.

    Raises
    ------
    FileNotFoundError
        If the run folder has no ``per_sample.csv``.
    """
    path = Path(run_dir) / "per_sample.csv"
    if not path.is_file():
        raise FileNotFoundError(f"run folder has no per_sample.csv: {path}")
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def compare_runs(
    run_dirs: Sequence[Path],
    *,
    metrics: Sequence[str] = ("exact", "cer", "psnr", "ssim", "ms"),
) -> pd.DataFrame:
    """Put the summaries of several runs side by side.

    Parameters
    ----------
    run_dirs : sequence of Path
        Run folders, each holding a ``per_sample.csv``; their names label the columns.
    metrics : sequence of str
        Summary columns to compare.

    Returns
    -------
    comparison : DataFrame
        Columns ``ocr, condition, method`` then ``<metric>@<run name>`` for every
        metric and run; a method missing from a run has NaN there.

    Raises
    ------
    ValueError
        If `run_dirs` is empty, two runs share a folder name, or a metric is unknown.
    FileNotFoundError
        If a run folder has no ``per_sample.csv``.
    """
    if not run_dirs:
        raise ValueError("run_dirs must name at least one run folder, got none")
    bad = [m for m in metrics if m not in SUMMARY_COLUMNS[3:]]
    if bad:
        raise ValueError(
            f"metrics must be among {list(SUMMARY_COLUMNS[3:])}, got {bad}"
        )
    names = [Path(d).name for d in run_dirs]
    if len(set(names)) != len(names):
        raise ValueError(f"run folder names must be unique, got {names}")
    key = ["ocr", "condition", "method"]
    merged: pd.DataFrame | None = None
    for name, run_dir in zip(names, run_dirs, strict=True):
        summary = summarize(read_per_sample(run_dir))
        part = summary[[*key, *metrics]].rename(
            columns={m: f"{m}@{name}" for m in metrics}
        )
        merged = part if merged is None else merged.merge(part, on=key, how="outer")
    assert merged is not None  # run_dirs is non-empty
    merged["_rank"] = merged["condition"].map(_RANK)
    merged = merged.sort_values(["ocr", "_rank", "method"], kind="stable")
    return merged.drop(columns="_rank").reset_index(drop=True)
