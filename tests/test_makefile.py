"""Tests for the Makefile's `bench` target (dry runs: nothing is installed or run)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _dry_run(*variables: str) -> list[str]:
    if shutil.which("make") is None:
        pytest.fail("make is missing; install it with: sudo apt-get install make")
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", "bench", *variables],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.splitlines()


def test_make_bench_prints_a_fresh_run_folder_and_the_resume_command() -> None:
    lines = _dry_run("SUITE=smoke")
    [folder] = [ln for ln in lines if ln.startswith('echo "run folder: ')]
    out = re.search(r"results/\d{8}-\d{6}_smoke", folder)
    assert out is not None, folder
    assert (
        f'echo "if interrupted, resume it with: make bench SUITE=smoke OUT={out[0]}"'
        in lines
    )
    assert lines[-1].endswith(f"bench run --suite smoke --workers 2 --out {out[0]}")


def test_make_bench_resumes_the_folder_given_as_out() -> None:
    lines = _dry_run("SUITE=smoke", "OUT=results/old_smoke")
    assert 'echo "run folder: results/old_smoke"' in lines
    assert lines[-1].endswith("--out results/old_smoke")
