"""What both command-line apps (``deblur`` and ``bench``) share.

- :func:`run_cli`: the one error convention. Known errors (``ValueError``,
  ``KeyError``, ``FileNotFoundError``, ``FileExistsError`` and any the app adds)
  become one red ``error:`` line on stderr and exit code 2; with ``--debug`` they
  are re-raised with the traceback.
- :data:`Debug`: the ``--debug`` option every command takes. Without it TensorFlow's
  start-up lines are hidden (:func:`deblur.quiet.quiet_tensorflow`).
- :func:`step_progress`: a rich progress bar with ETA that library code drives
  through an ``on_step(done, total)`` callback.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from deblur.quiet import quiet_tensorflow

__all__ = [
    "KNOWN_ERRORS",
    "Debug",
    "stderr",
    "error_line",
    "run_cli",
    "log_to_stderr",
    "step_progress",
    "progress_columns",
]

T = TypeVar("T")


def progress_columns() -> tuple[str | ProgressColumn, ...]:
    """The columns of every progress bar of both CLIs: name, bar, n/N, elapsed, ETA."""
    return (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        "eta",
        TimeRemainingColumn(),
    )


KNOWN_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    KeyError,
    FileNotFoundError,
    FileExistsError,
)
"""Errors a command reports as one line (exit code 2) instead of a traceback."""

stderr = Console(stderr=True)
"""Where progress bars, log lines and error lines go (stdout keeps the summary)."""

Debug = Annotated[
    bool,
    typer.Option(
        "--debug",
        help="Re-raise errors with the traceback and show TensorFlow's start-up lines.",
    ),
]


def error_line(text: str) -> None:
    """Print ``error: <text>`` in red on stderr, as one (soft-wrapped) line."""
    stderr.print(f"[red]error: {escape(text)}[/red]", highlight=False, soft_wrap=True)


def run_cli(
    fn: Callable[[], T],
    debug: bool,
    *,
    known: tuple[type[BaseException], ...] = (),
) -> T:
    """Call `fn` under the shared convention and return what it returns.

    Parameters
    ----------
    fn : callable
        The command's body.
    debug : bool
        The ``--debug`` flag: show TensorFlow's start-up lines and re-raise errors.
    known : tuple of exception types
        Errors the app reports as one line besides :data:`KNOWN_ERRORS`.

    Raises
    ------
    typer.Exit
        With code 2 after printing the error line of a known error.
    """
    if not debug:
        quiet_tensorflow()
    try:
        return fn()
    except KNOWN_ERRORS + known as err:
        if debug:
            raise
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        error_line(str(message))
        raise typer.Exit(2) from None


def log_to_stderr(level: int = logging.INFO) -> None:
    """Send library log lines to stderr through rich, above any progress bar."""
    handler = RichHandler(console=stderr, show_path=False, show_level=False)
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler])


@contextlib.contextmanager
def step_progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar with ETA on stderr, driven by ``on_step(done, total)`` calls.

    The first call sets where the bar starts (a resumed run starts part-way), so
    the ETA is estimated from the steps this process runs.

    Examples
    --------
    >>> with step_progress("demo") as on_step:
    ...     for done in range(1, 4):
    ...         on_step(done, 3)
    """
    with Progress(
        *progress_columns(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,  # no bar (nor its blank line) in a pipe
    ) as progress:
        task: list[TaskID] = []

        def on_step(done: int, total: int) -> None:
            if not task:
                task.append(progress.add_task(description, total=total, completed=done))
            else:
                progress.update(task[0], completed=done, total=total)

        yield on_step
