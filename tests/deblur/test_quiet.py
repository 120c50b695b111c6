"""Tests for deblur.quiet: TensorFlow's start-up lines stay off stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deblur.quiet import QUIET_ENV, muted_stderr

ROOT = Path(__file__).parents[2]


def _stderr_of(code: str, **env: str) -> str:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TF_CPP_MIN_LOG_LEVEL", QUIET_ENV)
    }
    environ |= {"PYTHONPATH": str(ROOT), **env}
    done = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    return done.stderr


@pytest.fixture(scope="module")
def loud_import() -> str:
    """What importing TensorFlow prints without the quiet switch (not empty here)."""
    text = _stderr_of("import tensorflow")
    assert text.strip(), "this TensorFlow prints nothing at import; test proves nothing"
    return text


def test_quiet_tensorflow_hides_start_up_lines(loud_import: str) -> None:
    code = (
        "from deblur.quiet import quiet_tensorflow; quiet_tensorflow()\n"
        "import tensorflow as tf; assert int(tf.constant(2) + 1) == 3"
    )
    assert _stderr_of(code) == ""


def test_child_process_with_the_env_variable_is_quiet(loud_import: str) -> None:
    code = "import deblur.io, tensorflow as tf; assert int(tf.constant(1)) == 1"
    assert _stderr_of(code, **{QUIET_ENV: "1"}) == ""


def test_cli_debug_keeps_start_up_lines(loud_import: str) -> None:
    code = "from deblur.clikit import run_cli; run_cli(lambda: __import__('tensorflow'), {})"
    assert _stderr_of(code.format(False)) == ""
    assert _stderr_of(code.format(True)).strip()


def test_muted_stderr_restores_descriptor_2(capfd: pytest.CaptureFixture[str]) -> None:
    with muted_stderr():
        os.write(2, b"hidden\n")
    os.write(2, b"shown\n")
    assert capfd.readouterr().err == "shown\n"
