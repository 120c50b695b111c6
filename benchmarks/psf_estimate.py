"""Measure the blind PSF estimate (:mod:`deblur.estimate`) on suite plates.

For each seed, the default suite's plates are built with that seed (seed 7 is the one
the estimator's settings were chosen on; the suite's own seed, 2024, is the test set)
and every plate's linear blur is estimated with the shipped settings and with one of
them changed (the Tukey window's taper, the cepstrum smoothing).
Reported per variant: gross misses (off by more than 3 px or 10 degrees) by blur
length, the median length and angle errors of the other estimates, the median time
per estimate, and the PP-OCR exact match of blind Wiener built on the estimate (all
plates and 13-21 px), next to oracle Wiener (true PSF). Writes
``results/psf_estimate.md``.

Usage: ``python benchmarks/psf_estimate.py [--seed 7 --seed 2024] [--out FILE]``
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from bench.config import OcrConfig, load_suite
from bench.ocr import PpOcr, normalize_plate_text
from bench.samples import Sample, build_sample
from deblur.deblurrers import WienerDeblurrer
from deblur.estimate import PsfEstimate, estimate_linear_psf

# keyword arguments of estimate_linear_psf; the shipped settings come first
VARIANTS: dict[str, dict[str, float]] = {
    "shipped (taper 0.3, smoothed sigma 0.7)": {},
    "taper 0.5 (before 2026-11-27)": {"taper": 0.5},
    "taper 0.1": {"taper": 0.1},
    "not smoothed": {"smooth": 0.0},
}
MIDDLE = (13.0, 17.0, 21.0)


def _gross(est: PsfEstimate, sample: Sample) -> bool:
    return bool(_length_error(est, sample) > 3 or _angle_error(est, sample) > 10)


def _length_error(est: PsfEstimate, sample: Sample) -> float:
    return abs(est.length - float(sample.blur["length"]))


def _angle_error(est: PsfEstimate, sample: Sample) -> float:
    return abs((est.angle - float(sample.blur["angle"]) + 90) % 180 - 90)


def _read(engine: PpOcr, images: list[np.ndarray], samples: list[Sample]) -> np.ndarray:
    reads = engine.read_batch(images)
    return np.array([normalize_plate_text(r, o_equals_zero=True)
                     == normalize_plate_text(s.text, o_equals_zero=True)
                     for r, s in zip(reads, samples, strict=True)])  # fmt: skip


def _measure(seed: int, engine: PpOcr) -> list[str]:
    suite = dataclasses.replace(load_suite("default"), seed=seed)
    samples = [build_sample(suite, i) for i in range(suite.count)]
    lengths = sorted({float(s.blur["length"]) for s in samples})
    middle = np.array([float(s.blur["length"]) in MIDDLE for s in samples])
    psfs = [s.psf for s in samples if s.psf is not None]
    if len(psfs) != len(samples):
        raise SystemExit("psf_estimate: every sample needs a known (linear) PSF")
    oracle = _read(engine, [WienerDeblurrer(psf=p, balance=0.01)(s.blurred)
                            for p, s in zip(psfs, samples, strict=True)], samples)  # fmt: skip
    head = " | ".join(f"{length:.0f} px" for length in lengths)
    lines = [
        f"### seed {seed} ({len(samples)} plates)",
        "",
        f"| estimate | gross misses | {head} | median length / angle error "
        "| ms | blind Wiener PP-OCR all / 13-21 px |",
        "|---" * (len(lengths) + 5) + "|",
    ]
    for name, options in VARIANTS.items():
        times, ests = [], []
        for s in samples:
            start = time.perf_counter()
            ests.append(estimate_linear_psf(s.blurred, **options))
            times.append(1000.0 * (time.perf_counter() - start))
        gross = np.array([_gross(e, s) for e, s in zip(ests, samples, strict=True)])
        by_length = " | ".join(
            f"{sum(g for g, s in zip(gross, samples, strict=True) if s.blur['length'] == length)}"
            for length in lengths
        )
        fine = [(e, s) for e, s, g in zip(ests, samples, gross, strict=True) if not g]
        length_err = statistics.median(_length_error(e, s) for e, s in fine)
        angle_err = statistics.median(_angle_error(e, s) for e, s in fine)
        ok = _read(engine, [WienerDeblurrer(psf=e.psf, balance=0.01)(s.blurred)
                            for e, s in zip(ests, samples, strict=True)], samples)  # fmt: skip
        lines.append(
            f"| {name} | {gross.mean():.1%} | {by_length} | {length_err:.2f} px / "
            f"{angle_err:.2f} deg | {statistics.median(times):.1f} | "
            f"{ok.mean():.1%} / {ok[middle].mean():.1%} |"
        )
    lines += ["", f"Oracle Wiener (true PSF), PP-OCR: {oracle.mean():.1%} all, "
              f"{oracle[middle].mean():.1%} at 13-21 px.", ""]  # fmt: skip
    return lines


OUT = Path("results/psf_estimate.md")


def main(
    seeds: Annotated[
        list[int] | None,
        typer.Option("--seed", help="Suite seed (repeatable; 7 and 2024 by default)."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Markdown file to write.")] = OUT,
) -> None:
    """Measure each seed, print and write the tables."""
    seeds = seeds or [7, 2024]
    engine = PpOcr(OcrConfig())
    lines = [
        "# Blind PSF estimate on suite plates",
        "",
        "`python benchmarks/psf_estimate.py` on the default suite's generator; gross miss",
        "= more than 3 px or 10 degrees off; per-length columns count gross misses (of 48).",
        "Seed 7 chose the settings; seed 2024 is the default suite itself.",
        "",
    ]
    for seed in seeds:
        block = _measure(seed, engine)
        print("\n".join(block), flush=True)
        lines += block
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    typer.run(main)
