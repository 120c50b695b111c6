"""Time a bench suite run and break it down by stage; extrapolate to the full suite.

Two measurements on the first ``--limit`` samples of a suite:

1. The real thing: ``bench.runner.run`` with ``--workers`` processes (wall clock).
2. A per-stage breakdown in this process, the way a runner worker does it: sample
   generation, each candidate's restoration, each OCR engine reading a chunk's images
   in one batch. Each stage gets wall time and CPU time (CPU time includes Tesseract
   child processes), so the effect of other load on the machine can be seen: on an idle
   machine a single-threaded stage's wall time equals its CPU time.

The extrapolation scales both to the full suite (``count`` samples; candidates with
``every = N`` run on 1/N of them) and to ``--workers`` cores. Writes
``results/suite_walltime.md``.

Usage: ``python benchmarks/suite_walltime.py [--suite default] [--limit 14]
[--workers 2] [--candidates a,b,...] [--budget-min 15]``
"""

from __future__ import annotations

import dataclasses
import os
import resource
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.config import BenchConfig, CandidateConfig, SuiteConfig, load_suite
from bench.runner import run
from bench.samples import build_sample
from bench.worker import WorkerSettings, init_worker

CLASSICAL = "identity,wiener,richardson_lucy,unsupervised_wiener,unsharp_mask"


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class _Clock:
    """Accumulates wall and CPU seconds per stage name."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def time(self, stage: str, fn: Callable[[], Any], *, calls: int = 1) -> Any:
        wall, cpu = time.perf_counter(), _cpu()
        out = fn()
        self.wall[stage] += time.perf_counter() - wall
        self.cpu[stage] += _cpu() - cpu
        self.calls[stage] += calls
        return out


def _breakdown(suite: SuiteConfig, limit: int, chunk: int) -> _Clock:
    """Run the worker's stages for samples [0, limit) in this process, timed."""
    worker = init_worker(WorkerSettings(suite=suite))  # one tesseract thread, too
    clock = _Clock()
    for start in range(0, limit, chunk):
        images = []
        for index in range(start, min(limit, start + chunk)):
            sample = clock.time(
                "sample generation", lambda i=index: build_sample(suite, i)
            )
            images += [img for img in (sample.sharp, sample.blurred) if img is not None]
            for cand in suite.candidates:
                if index % cand.every:
                    continue
                fn = worker.deblurrer(cand, sample)
                images.append(clock.time(f"deblur: {cand.label}",
                                         lambda f=fn, s=sample: f(s.blurred)))  # fmt: skip
        for name, engine in worker.ocr.items():
            clock.time(f"ocr: {name}", lambda e=engine, b=images: e.read_batch(b),
                       calls=len(images))  # fmt: skip
    return clock


def _share(cand: CandidateConfig | None) -> float:
    return 1.0 if cand is None else 1.0 / cand.every


OUT = Path("results/suite_walltime.md")


def main(
    suite_name: Annotated[
        str, typer.Option("--suite", help="Suite name or .toml.")
    ] = "default",
    limit: Annotated[int, typer.Option(help="Samples to time.")] = 14,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    candidates: Annotated[
        str, typer.Option(help="Comma-separated candidates.")
    ] = CLASSICAL,
    budget_min: Annotated[
        float, typer.Option(help="Wall-time budget in minutes.")
    ] = 15.0,
    out: Annotated[Path, typer.Option(help="Markdown file to write.")] = OUT,
) -> None:
    """Time a few samples of a suite and extrapolate to the whole suite."""
    cands = tuple(CandidateConfig.parse(n) for n in candidates.split(","))
    suite = dataclasses.replace(load_suite(suite_name), candidates=cands)
    full = suite.count
    cfg = BenchConfig(suite=suite, limit=limit, workers=workers)
    limited = cfg.effective_suite

    with tempfile.TemporaryDirectory(prefix="suite_walltime_") as tmp:
        start = time.perf_counter()
        frame = run(cfg, Path(tmp) / "run")
        run_wall = time.perf_counter() - start
    failed = int((frame["error"] != "").sum())
    print(f"run: {limit} samples in {run_wall:.1f} s ({failed} failed rows)")

    clock = _breakdown(limited, limit, cfg.chunk)
    by_label = {c.label: c for c in cands}
    rows, total_wall, total_cpu = [], 0.0, 0.0
    for stage in clock.wall:
        cand = by_label.get(stage.removeprefix("deblur: "))
        scale = (
            full * _share(cand) / max(1, clock.calls[stage]) if cand else full / limit
        )
        wall, cpu = clock.wall[stage] * scale, clock.cpu[stage] * scale
        per = 1000 * clock.wall[stage] / max(1, clock.calls[stage])
        rows.append((stage, clock.calls[stage], per, clock.cpu[stage] / clock.wall[stage],
                     wall / 60, cpu / 60))  # fmt: skip
        total_wall, total_cpu = total_wall + wall, total_cpu + cpu
    rows.sort(key=lambda r: -r[5])
    run_full = run_wall * full / limit / 60
    ideal = total_cpu / workers / 60
    load = os.getloadavg()
    lines = [
        "# Bench suite wall time", "",
        f"Suite `{suite.name}`: {full} samples (sample *i* gets blur length "
        f"`lengths[i % {len(suite.blur.lengths)}]`, so {full} plates in all, "
        f"{full // len(suite.blur.lengths)} per length); candidates "
        f"{', '.join(c.label for c in cands)}; OCR {', '.join(suite.ocr)}. Measured on "
        f"the first {limit} samples, extrapolated linearly.", "",
        f"Machine: {os.cpu_count()} CPU cores, load average {load[0]:.1f} / "
        f"{load[1]:.1f} / {load[2]:.1f} during this measurement (the measurement itself "
        "keeps the cores busy; above the core count, other work shared them and wall "
        "times are pessimistic). CPU times are what the bench itself needs.", "",
        "## Whole run", "",
        f"`bench.runner.run`, {workers} workers, chunk {cfg.chunk}: "
        f"{limit} samples in {run_wall:.1f} s wall -> **{run_full:.1f} min** for "
        f"the full suite at this load (budget {budget_min:.0f} min).", "",
        "## Per stage (one process)", "",
        "| stage | calls | ms/call (wall) | CPU/wall | full suite, wall min (1 core) "
        "| full suite, CPU min |",
        "|---|---|---|---|---|---|",
        *[f"| {s} | {n} | {ms:.1f} | {ratio:.2f} | {w:.1f} | {c:.1f} |"
          for s, n, ms, ratio, w, c in rows],
        f"| **total** | | | | {total_wall / 60:.1f} | {total_cpu / 60:.1f} |", "",
        f"Full suite on {workers} idle cores (CPU total / {workers}): "
        f"**{ideal:.1f} min**; at the measured load: {run_full:.1f} min.", "",
    ]  # fmt: skip
    grid = len(suite.blur.lengths)
    lines += [
        f"If every plate were run at every length ({full} x {grid} = {full * grid} "
        f"samples, not what the suite does), multiply by {grid}: "
        f"{ideal * grid:.1f} min on {workers} idle cores, "
        f"{run_full * grid:.1f} min at this load.", "",
    ]  # fmt: skip
    verdict = "within" if ideal <= budget_min else "over"
    lines.append(f"Verdict: the CPU need is {verdict} the {budget_min:.0f}-minute "
                 f"budget on {workers} cores.")  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    typer.run(main)
