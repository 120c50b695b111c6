"""Tests for deblur.lifetime: workers and subprocesses die with a parent killed by -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from deblur.lifetime import die_with_parent, process_pool

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.name != "posix", reason="kill -9 needs POSIX")


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _start_parent(script: str, folder: Path) -> tuple[subprocess.Popen[str], list[int]]:
    """Run `script` as a parent process; it prints its children's pids on one line."""
    path = folder / "parent.py"  # a file, so that spawned workers can import __main__
    path.write_text(textwrap.dedent(script))
    parent = subprocess.Popen(
        [sys.executable, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert parent.stdout is not None
    line = parent.stdout.readline()
    assert line.strip(), "the parent printed no child pids"
    return parent, [int(pid) for pid in line.split()]


def _kill_and_wait(parent: subprocess.Popen[str], children: list[int]) -> float:
    """kill -9 `parent`; return the seconds until every child is gone (max 10)."""
    assert all(_alive(pid) for pid in children)
    start = time.monotonic()
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    while any(_alive(pid) for pid in children) and time.monotonic() - start < 10:
        time.sleep(0.05)
    for pid in children:  # never leave a stray process behind a failing test
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    return time.monotonic() - start


POOL_PARENT = """
import os, time
from deblur.lifetime import process_pool

def pid(_):
    time.sleep(0.5)  # both workers take one task each
    return os.getpid()

if __name__ == "__main__":
    pool = process_pool(2)
    pids = set()
    while len(pids) < 2:  # until both workers have started (slow on a loaded machine)
        pids.update(pool.map(pid, range(2)))
    print(*sorted(pids), flush=True)
    time.sleep(120)
"""


def test_process_pool_workers_die_within_seconds_of_kill_9(tmp_path: Path) -> None:
    parent, workers = _start_parent(POOL_PARENT, tmp_path)
    assert len(workers) == 2
    assert _kill_and_wait(parent, workers) < 3.0


SUBPROCESS_PARENT = """
import subprocess, time
from deblur.lifetime import kill_with_parent

child = subprocess.Popen(["sleep", "120"], preexec_fn=kill_with_parent)
print(child.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux")
def test_kill_with_parent_ends_a_subprocess_on_kill_9(tmp_path: Path) -> None:
    parent, children = _start_parent(SUBPROCESS_PARENT, tmp_path)
    assert _kill_and_wait(parent, children) < 2.0


BENCH_PARENT = """
import os, sys, time
from bench.cli import app

sys.argv = ["bench", "run", "--suite", sys.argv[1], "--workers", "2",
            "--out", sys.argv[2], "--examples", "0"]
app()
"""


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_bench_run_workers_and_tesseract_die_with_a_killed_parent(
    tmp_path: Path,
) -> None:
    suite = tmp_path / "slow.toml"
    suite.write_text(
        'name = "slow"\ncount = 400\nseed = 1\nplate_width = 96\n'
        'candidates = ["identity"]\nocr = ["tesseract"]\n[blur]\nlengths = [3]\n'
    )
    script = textwrap.dedent(BENCH_PARENT)
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(suite), str(tmp_path / "run")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    rows = tmp_path / "run" / "rows.jsonl"
    while time.monotonic() < deadline and not (rows.is_file() and rows.stat().st_size):
        time.sleep(0.1)  # both workers are up and reading once rows arrive
    tree = _children(parent.pid)
    tree += [grandchild for child in tree for grandchild in _children(child)]
    assert len(tree) >= 2, "the bench run started no workers"
    assert _kill_and_wait(parent, tree) < 3.0  # type: ignore[arg-type]


def test_die_with_parent_validates_interval() -> None:
    with pytest.raises(ValueError, match="interval must be > 0, got 0"):
        die_with_parent(os.getppid(), interval=0)


def test_process_pool_runs_tasks_in_children_of_this_process() -> None:
    with process_pool(1) as pool:
        assert pool.submit(os.getppid).result() == os.getpid()
