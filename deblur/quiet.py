"""Keep TensorFlow's start-up lines (absl, oneDNN, cpu_feature_guard) off the terminal.

TensorFlow writes them from C++ straight to file descriptor 2 while it is imported,
before its own log level applies, so the only way to hide them is to point that
descriptor at ``/dev/null`` for the length of the import. :func:`quiet_tensorflow`
does that for the first ``import tensorflow`` anywhere in the process (library code
imports it lazily) and raises TensorFlow's and absl's log thresholds to errors.

The CLIs call it unless ``--debug`` is given. It sets ``DEBLUR_QUIET=1`` in the
environment, and ``import deblur`` calls it again in any process that inherits that
variable, so bench worker processes are quiet too.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from types import ModuleType

__all__ = ["QUIET_ENV", "quiet_tensorflow", "muted_stderr"]

QUIET_ENV = "DEBLUR_QUIET"
"""Environment variable that makes ``import deblur`` call :func:`quiet_tensorflow`."""


@contextlib.contextmanager
def muted_stderr() -> Iterator[None]:
    """Point file descriptor 2 at ``/dev/null`` inside the block (C++ output too)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (embedded, captured)
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _QuietLoader(importlib.abc.Loader):
    """Run the real loader of ``tensorflow`` with descriptor 2 muted."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        with muted_stderr():
            self._loader.exec_module(module)
        _raise_log_levels()


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Find ``tensorflow`` as usual, then wrap its loader in :class:`_QuietLoader`."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "tensorflow":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def _raise_log_levels() -> None:
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with contextlib.suppress(ImportError):
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)


def quiet_tensorflow() -> None:
    """Hide TensorFlow's start-up lines in this process and in its children.

    Sets ``TF_CPP_MIN_LOG_LEVEL=3`` (unless already set) and ``DEBLUR_QUIET=1``; if
    TensorFlow is not imported yet, its import runs with descriptor 2 muted. Calling
    it again does nothing more. Errors are still raised as exceptions.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ[QUIET_ENV] = "1"
    if "tensorflow" in sys.modules:
        _raise_log_levels()
        return
    if not any(isinstance(finder, _QuietFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietFinder())
