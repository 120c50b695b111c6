"""The bench package: its public names resolve and ``import bench`` stays light."""

from __future__ import annotations

import subprocess
import sys

import bench


def test_all_names_resolve() -> None:
    missing = [name for name in bench.__all__ if not hasattr(bench, name)]
    assert missing == []
    assert len(set(bench.__all__)) == len(bench.__all__)


def test_import_is_light() -> None:
    code = (
        "import sys, bench; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)  # fmt: skip
    assert out.stdout.strip() == "[]"


def test_lazy_names_are_the_module_objects() -> None:
    from bench import figures, report

    assert bench.write_report is report.write_report
    assert bench.load_examples is figures.load_examples
