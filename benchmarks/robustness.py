"""Judge a restorer on every degradation family: reads, recovery and do-no-harm.

Reads the ``per_sample.csv`` of bench runs of family suites (``sharp``, ``shake``,
``camera``, ``mixed``, ``real_families``; any suite whose ``[blur] kind = "family"``)
and prints, per run, family and OCR engine:

- exact plate match of the sharp plates, the blurred input, the candidate and the
  baseline (``blind_wiener`` by default), with n;
- recovery ``(candidate - blurred) / (sharp - blurred)`` (undefined where the blur costs
  fewer than 3 plates; shown as "-");
- the do-no-harm cells: every (family, blur length, engine) where the candidate reads
  more than one plate fewer than the blurred input.

``--psnr-input SUITE`` also restores the ``sharp``-family samples of that suite (a name
or a TOML file; ``--data`` for folder suites) and reports the candidate's PSNR against
its own input: how much it changes a plate that needs no restoration.

Usage::

    python benchmarks/robustness.py RUN_DIR [RUN_DIR ...] --candidate default \
        [--psnr-input sharp] [--out results/robustness.md]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from bench.aggregate import read_per_sample

app = typer.Typer(add_completion=False)


def _reads(frame: pd.DataFrame, method: str) -> pd.Series:
    """Exact reads per (family, length, ocr) of `method` (sharp/blurred: conditions)."""
    rows = frame[(frame["method"] == method) & frame["error"].isna()]
    return rows.groupby(["blur_kind", "blur_length", "ocr"])["exact"].sum()


def family_table(frame: pd.DataFrame, candidate: str, baseline: str) -> pd.DataFrame:
    """Exact match per (family, ocr) of sharp, blurred, `candidate`, `baseline`.

    Returns
    -------
    DataFrame
        Columns ``family, ocr, n, sharp, blurred, <candidate>, <baseline>, recovery``
        (rates in [0, 1]; recovery NaN when sharp - blurred < 3 plates).
    """
    ok = frame[frame["error"].isna()]
    out = []
    for (family, ocr), group in ok.groupby(["blur_kind", "ocr"], sort=False):
        rate = {
            m: group.loc[group["method"] == m, "exact"].mean()
            for m in ("sharp", "blurred", candidate, baseline)
        }
        n = int((group["method"] == "blurred").sum())
        gap = (rate["sharp"] - rate["blurred"]) * n
        recovery = (
            (rate[candidate] - rate["blurred"]) / (rate["sharp"] - rate["blurred"])
            if gap >= 3
            else np.nan
        )
        out.append({"family": family, "ocr": ocr, "n": n, **rate, "recovery": recovery})
    return pd.DataFrame(out)


def harm_cells(frame: pd.DataFrame, candidate: str) -> pd.DataFrame:
    """Cells (family, length, ocr) where `candidate` reads > 1 plate fewer than input."""
    blurred, restored = _reads(frame, "blurred"), _reads(frame, candidate)
    diff = (restored - blurred).dropna()
    bad = diff[diff < -1]
    return bad.rename("reads_lost").reset_index()


def psnr_against_input(
    suite_name: str, data: Path | None, candidate: str, limit: int
) -> tuple[float, float, int]:
    """Median and 5th-percentile PSNR (dB) of `candidate` against its sharp inputs."""
    from skimage.metrics import peak_signal_noise_ratio

    from bench.config import BenchConfig, CandidateConfig, load_suite
    from bench.samples import build_sample, count_samples
    from deblur.registry import get_deblurrer

    suite = BenchConfig(
        suite=load_suite(suite_name), folder=None if data is None else str(data)
    ).effective_suite
    if CandidateConfig(name=candidate).is_model_file:  # as bench's workers build it
        restore = get_deblurrer("model", path=candidate)
    else:
        restore = get_deblurrer(candidate)
    values = []
    for index in range(min(limit, count_samples(suite))):
        sample = build_sample(suite, index)
        if sample.blur["kind"] != "sharp":
            continue
        restored = restore(sample.blurred)
        values.append(peak_signal_noise_ratio(sample.blurred, restored, data_range=1.0))
    return float(np.median(values)), float(np.percentile(values, 5)), len(values)


def _pct(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.1%}"


@app.command()
def main(
    runs: Annotated[list[Path], typer.Argument(help="Bench run folders.")],
    candidate: Annotated[str, typer.Option(help="Method under test.")] = "default",
    baseline: Annotated[str, typer.Option(help="Method to beat.")] = "blind_wiener",
    psnr_input: Annotated[
        str | None, typer.Option(help="Suite whose sharp samples give PSNR vs input.")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Data folder for it.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Restorer for --psnr-input (default: candidate).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Samples of it to restore.")] = 120,
    out: Annotated[Path | None, typer.Option(help="Also write Markdown here.")] = None,
) -> None:
    """Print the family x engine table, recovery and do-no-harm cells."""
    lines = [f"# Robustness of `{candidate}` (baseline `{baseline}`)", ""]
    for run in runs:
        frame = read_per_sample(run)
        table = family_table(frame, candidate, baseline)
        lines += [f"## {run.name}", ""]
        lines += [
            f"| family | ocr | n | sharp | blurred | {candidate} | {baseline} | "
            "recovery |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in table.itertuples(index=False):
            values = row._asdict()
            lines.append(
                f"| {row.family} | {row.ocr} | {row.n} | {_pct(values['sharp'])} | "
                f"{_pct(values['blurred'])} | {_pct(values[candidate])} | "
                f"{_pct(values[baseline])} | "
                + ("-" if pd.isna(row.recovery) else f"{row.recovery:.2f}")
                + " |"
            )
        cells = harm_cells(frame, candidate)
        lines += [
            "",
            f"Cells where `{candidate}` reads more than one plate fewer than the "
            f"blurred input: {len(cells)}"
            + ("" if cells.empty else "\n\n" + cells.to_string(index=False)),
            "",
        ]
    if psnr_input is not None:
        median, low, n = psnr_against_input(psnr_input, data, model or candidate, limit)
        lines += [
            f"PSNR of `{model or candidate}` against its input on {n} sharp-family "
            f"samples of `{psnr_input}`: median {median:.2f} dB, 5th percentile "
            f"{low:.2f} dB.",
            "",
        ]
    text = "\n".join(lines)
    typer.echo(text)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    app()
