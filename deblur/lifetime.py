"""Child processes that die with their parent: worker pools and OCR subprocesses.

A process killed with ``SIGKILL`` cannot clean up, so its children must notice by
themselves. On Linux the kernel does it: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` in the
child asks for ``SIGKILL`` when the parent dies. The setting survives ``exec``, so it also
works for a subprocess such as ``tesseract`` when set between ``fork`` and ``exec``
(:func:`kill_with_parent`, a ``preexec_fn``). Pool workers also run a watchdog thread
that polls ``os.getppid()``: the only mechanism where ``prctl`` does not exist, and a
second one where it does (the kernel signal follows the parent *thread* that started
the child, the watchdog the parent process).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

__all__ = [
    "die_with_parent",
    "kill_with_parent",
    "process_pool",
    "WATCHDOG_S",
]

logger = logging.getLogger(__name__)

WATCHDOG_S = 0.5
"""Seconds between two checks of the watchdog thread."""

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _prctl_death_signal(sig: int) -> bool:
    """Ask the kernel to send `sig` to this process when its parent dies (Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)) == 0
    except (OSError, AttributeError):  # no libc or no prctl: the watchdog remains
        return False


def kill_with_parent() -> None:
    """``preexec_fn`` for ``subprocess.Popen``: the child gets ``SIGKILL`` when its
    parent dies (Linux; elsewhere nothing happens).

    Runs in the forked child before ``exec``; the setting survives ``exec``.
    """
    _prctl_death_signal(signal.SIGKILL)


def _watch(parent: int, interval: float) -> None:
    while True:
        time.sleep(interval)
        if os.getppid() != parent:
            os._exit(1)  # the parent is gone; nothing here is worth finishing


def die_with_parent(parent: int, *, interval: float = WATCHDOG_S) -> str:
    """Make this process end when process `parent` ends, however it ends.

    Parameters
    ----------
    parent : int
        Process id of the parent (read in the parent before starting this process, so
        a parent that died in between is noticed at once).
    interval : float
        Seconds between two checks of the watchdog thread.

    Returns
    -------
    str
        ``"prctl+watchdog"`` on Linux, ``"watchdog"`` where ``prctl`` is missing.

    Raises
    ------
    ValueError
        If `interval` is not positive.
    """
    if not interval > 0:
        raise ValueError(f"interval must be > 0, got {interval}")
    kernel = _prctl_death_signal(signal.SIGKILL)
    if os.getppid() != parent:  # died before the signal was armed
        os._exit(1)
    threading.Thread(
        target=_watch, args=(parent, interval), name="die-with-parent", daemon=True
    ).start()
    return "prctl+watchdog" if kernel else "watchdog"


def _init_child(
    parent: int,
    initializer: Callable[..., object] | None,
    initargs: tuple[Any, ...],  # Any: whatever `initializer` takes
) -> None:
    die_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def process_pool(
    max_workers: int,
    *,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),  # Any: whatever `initializer` takes
) -> ProcessPoolExecutor:
    """Return a spawn-context process pool whose workers die with this process.

    Parameters
    ----------
    max_workers : int
        Worker processes.
    initializer : callable, optional
        Called in every worker after :func:`die_with_parent`, with `initargs`.
    initargs : tuple
        Arguments of `initializer` (picklable).

    Returns
    -------
    ProcessPoolExecutor
        Workers are ``spawn``-ed (no inherited threads or locks) and end within a
        second of this process ending, even by ``SIGKILL``.
    """
    return ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=get_context("spawn"),
        initializer=_init_child,
        initargs=(os.getpid(), initializer, initargs),
    )
