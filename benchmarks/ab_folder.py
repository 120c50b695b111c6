"""Compare the folder throughput of two revisions, interleaved, on the same machine.

This project's 2-core VM drifts by 30% or more from one minute to the next, so two
``benchmarks/perf.py`` runs made at different times cannot show a 20% change. This
script checks the baseline revision out into a temporary git worktree and alternates
runs of the same measurement on it and on the working tree: a folder of 240x60
blurred plates (as ``perf.py``'s folder rows) restored by
``deblur_jobs_in_processes`` in two worker processes, start-up included. It prints
each run, the medians and their ratio.

Usage: ``python benchmarks/ab_folder.py [--baseline HEAD~1] [--models fast,default]
[--rounds 3] [--plates 1000]``
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

ROOT = Path(__file__).resolve().parent.parent

# Run in a fresh interpreter whose sys.path starts at the tree being measured.
_MEASURE = """
import functools, json, sys, tempfile, time
from pathlib import Path
import numpy as np
from PIL import Image
from deblur.config import BlurConfig, PlateConfig
from deblur.folder import deblur_jobs_in_processes, plan_jobs
from deblur.inference import load
from deblur.io import to_uint8
from deblur.synth.degrade import make_pair
from deblur.synth.plates import make_plates

def main():
    model, count = sys.argv[1], int(sys.argv[2])
    sharp = next(iter(make_plates(1, PlateConfig(style="uk", height=60), 0))).image
    cfg = BlurConfig(kind="linear", length=(17.0, 17.0), noise=(0.005, 0.005))
    blurred = make_pair(sharp, cfg, 0).blurred
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        for i in range(count):
            noisy = np.clip(blurred + rng.normal(0, 0.004, blurred.shape), 0, 1)
            Image.fromarray(to_uint8(noisy.astype(np.float32))).save(src / f"p{i:04d}.png")
        start = time.perf_counter()
        make = functools.partial(load, model, threads=1)
        done = list(deblur_jobs_in_processes(plan_jobs(src, Path(tmp) / "out"), make,
                                             workers=2, batch=16))
        seconds = time.perf_counter() - start
    assert all(r.status == "written" for r in done)
    print(json.dumps({"plates_per_s": count / seconds}))

if __name__ == "__main__":
    main()
"""


def measure(tree: Path, model: str, plates: int) -> float:
    """Plates per second of `model` from the code in `tree` (a fresh process)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "TF_CPP_MIN_LOG_LEVEL": "3"}
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(_MEASURE)
    try:
        done = subprocess.run(
            [sys.executable, script.name, model, str(plates)],
            capture_output=True, text=True, check=True, env=env, cwd=tree,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["plates_per_s"])


def main(
    baseline: Annotated[
        str, typer.Option(help="Git revision to compare with.")
    ] = "HEAD~1",
    models: Annotated[str, typer.Option(help="Shipped models, comma-separated.")] = (
        "fast,default"
    ),
    rounds: Annotated[int, typer.Option(help="Runs of each model on each tree.")] = 3,
    plates: Annotated[int, typer.Option(help="Plates in the folder.")] = 1000,
) -> None:
    """Alternate the folder measurement between `baseline` and the working tree."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), baseline],
            check=True, capture_output=True,
        )  # fmt: skip
        try:
            for model in models.split(","):
                runs: dict[str, list[float]] = {"baseline": [], "working tree": []}
                for _ in range(rounds):
                    for label, tree in (("baseline", base), ("working tree", ROOT)):
                        runs[label].append(measure(tree, model, plates))
                        print(f"{model} {label}: {runs[label][-1]:.1f} plates/s")
                base_rate, new_rate = (statistics.median(v) for v in runs.values())
                print(
                    f"{model}: median {new_rate:.1f} plates/s against {base_rate:.1f} "
                    f"at {baseline} ({new_rate / base_rate:.2f}x)"
                )
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                check=False, capture_output=True,
            )  # fmt: skip


if __name__ == "__main__":
    typer.run(main)
