"""Tests for deblur.clikit: the error convention and progress both CLIs share."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from deblur.clikit import Debug, run_cli

runner = CliRunner()


class _EngineMissing(RuntimeError):
    pass


def _app(error: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def fail(debug: Debug = False) -> None:
        def body() -> None:
            raise error

        run_cli(body, debug, known=(_EngineMissing,))

    return app


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (ValueError("width must be >= 16, got 4"), "error: width must be >= 16, got 4"),
        (KeyError("unknown method 'x'"), "error: unknown method 'x'"),
        (FileNotFoundError("no such folder: a"), "error: no such folder: a"),
        (FileExistsError("runs/a holds a run"), "error: runs/a holds a run"),
        (_EngineMissing("install tesseract"), "error: install tesseract"),
    ],
)
def test_known_error_is_one_red_line_exit_2(error: BaseException, line: str) -> None:
    result = runner.invoke(_app(error), [])
    assert result.exit_code == 2
    assert result.stderr.strip() == line and result.stdout == ""


def test_debug_reraises_with_the_traceback() -> None:
    result = runner.invoke(_app(ValueError("bad")), ["--debug"])
    assert isinstance(result.exception, ValueError)


def test_unknown_error_is_not_swallowed() -> None:
    result = runner.invoke(_app(ZeroDivisionError("bug")), [])
    assert isinstance(result.exception, ZeroDivisionError)
