"""``bench run | report | compare | list``: the command-line face of the bench."""

from __future__ import annotations

import importlib.util
import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bench.config import (
    BenchConfig,
    CandidateConfig,
    available_suites,
    load_suite,
)
from bench.ocr import OcrNotAvailableError, available_ocr

__all__ = ["app"]

app = typer.Typer(
    help="OCR-judged benchmark of plate deblurring.", no_args_is_help=True
)
_console = Console(stderr=True)
_KNOWN = (ValueError, KeyError, FileNotFoundError, OcrNotAvailableError)
_STATE = {"debug": False}


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    _STATE["debug"] = debug
    logging.basicConfig(level=logging.WARNING)


def _fail(err: BaseException) -> None:
    if _STATE["debug"]:
        raise err
    message = err.args[0] if isinstance(err, KeyError) and err.args else err
    _console.print(
        f"[red]error: {escape(str(message))}[/red]",
        markup=True,
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(2)


def _split(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = tuple(v.strip() for v in value.split(",") if v.strip())
    if not items:
        raise ValueError(f"expected a comma-separated list, got {value!r}")
    return items


def _write_report(frame: object, out_dir: Path, title: str) -> Path | None:
    if importlib.util.find_spec("bench.report") is None:
        return None
    from bench.figures import load_examples
    from bench.report import write_report

    examples = load_examples(out_dir)  # saved by the runner; {} when none
    return write_report(frame, out_dir, title=title, examples=examples)  # type: ignore[arg-type]


@app.command("run")
def run_command(
    suite: Annotated[
        str, typer.Option(help="Shipped suite name or a .toml file.")
    ] = "smoke",
    candidates: Annotated[
        str | None, typer.Option(help="Comma-separated candidates (override).")
    ] = None,
    ocr: Annotated[
        str | None, typer.Option(help="Comma-separated OCR engines.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Run folder (resumes if it exists).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    data: Annotated[Path | None, typer.Option(help="Data folder (real/blind).")] = None,
    limit: Annotated[
        int | None, typer.Option(help="Run only the first N samples.")
    ] = None,
    examples: Annotated[
        int, typer.Option(help="Save images of the first N samples for the report.")
    ] = 4,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address (tcp://host:8786): run on that cluster "
            "instead of local worker processes."
        ),
    ] = None,
) -> None:
    """Run (or resume) a suite and write per_sample.csv and the report.

    Rows that failed (an unreadable image, a candidate that raised) are kept in the
    table with their error; each is listed on one line and the exit code is 1.
    """
    from bench import runner
    from bench.samples import count_samples

    try:
        suite_cfg = load_suite(suite)
        names = _split(candidates)
        cfg = BenchConfig(
            suite=suite_cfg,
            candidates=None
            if names is None
            else tuple(CandidateConfig.parse(n) for n in names),
            ocr=_split(ocr),
            folder=None if data is None else str(data),
            limit=limit,
            workers=workers,
            examples=examples,
            scheduler=scheduler,
        )
        effective = cfg.effective_suite
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out_dir = out or Path("results") / f"{stamp}_{effective.name}"
        total = count_samples(effective)
        seen: set[str] = set()
        _console.print(
            f"run folder: {escape(str(out_dir))} (if interrupted, resume it with "
            f"--out {escape(str(out_dir))})",
            highlight=False,
            soft_wrap=True,
        )
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            "eta",
            TimeRemainingColumn(),
            console=_console,
        ) as progress:
            # Samples done before a resume are the start, not a speed sample: passing
            # them to add_task keeps them out of the ETA's rate.
            already = _finished(out_dir)
            task = progress.add_task(effective.name, total=total, completed=already)
            for row in runner.iter_results(cfg, out_dir):
                if row.sample_id not in seen:
                    seen.add(row.sample_id)
                    progress.update(task, completed=min(total, already + len(seen)))
        frame = runner.load_rows(out_dir)
        runner.write_per_sample(frame, out_dir)
        report = _write_report(frame, out_dir, f"{effective.name} ({out_dir.name})")
    except _KNOWN as err:
        _fail(err)
        return
    failed = int((frame["error"] != "").sum())
    typer.echo(f"{len(frame)} rows ({failed} failed) in {out_dir}")
    if report is not None:
        typer.echo(f"report: {report}")
    if failed:
        _list_failures(frame)
        raise typer.Exit(1)


MAX_FAILURE_LINES = 20


def _list_failures(frame: Any) -> None:  # Any: pandas.DataFrame (imported lazily)
    """One red line per failed (sample, method) naming its error, at most 20."""
    failed = frame[frame["error"] != ""].drop_duplicates(
        ["sample_id", "method", "error"]
    )
    for row in failed.head(MAX_FAILURE_LINES).itertuples():
        line = f"failed: {row.sample_id} {row.method}: {row.error}"
        _console.print(f"[red]{escape(line)}[/red]", highlight=False, soft_wrap=True)
    if len(failed) > MAX_FAILURE_LINES:
        more = len(failed) - MAX_FAILURE_LINES
        _console.print(f"[red]... and {more} more (see per_sample.csv)[/red]")


def _finished(out_dir: Path) -> int:
    """Samples already in the run folder (one line each), for the progress bar."""
    from bench.runner import ROWS_FILE

    path = out_dir / ROWS_FILE
    if not path.is_file():
        return 0
    with open(path, "rb") as fh:
        return sum(1 for line in fh if line.endswith(b"\n"))


def _run_title(run_dir: Path) -> str:
    """``"<suite> (<folder>)"`` as ``bench run`` titles it; the folder alone without config."""
    import json

    try:
        name = json.loads((run_dir / "config.json").read_text())["suite"]["name"]
    except (OSError, ValueError, KeyError, TypeError):
        return run_dir.name
    return f"{name} ({run_dir.name})"


@app.command("report")
def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder with rows.jsonl.")],
) -> None:
    """Rebuild per_sample.csv and the report of a run from its saved rows."""
    from bench import runner

    try:
        frame = runner.load_rows(run_dir)
        runner.write_per_sample(frame, run_dir)
        report = _write_report(frame, run_dir, _run_title(run_dir))
    except _KNOWN as err:
        _fail(err)
        return
    typer.echo(f"{len(frame)} rows in {run_dir}")
    if report is not None:
        typer.echo(f"report: {report}")


@app.command("compare")
def compare_command(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run folders to compare.")],
) -> None:
    """Print the summaries of several runs side by side."""
    try:
        from bench.aggregate import compare_runs

        table = compare_runs(run_dirs)
    except _KNOWN as err:
        _fail(err)
        return
    typer.echo(table.to_string())


@app.command("list")
def list_command() -> None:
    """List shipped suites, registered candidates and OCR engines."""
    import deblur
    from deblur.registry import deblurrer_info

    typer.echo("suites:")
    for name in available_suites():
        typer.echo(f"  {name:12s} {load_suite(name).description}")
    typer.echo("candidates:")
    for name in deblur.available_deblurrers():
        info = deblurrer_info(name)
        psf = " [needs PSF]" if info.needs_psf else ""
        typer.echo(f"  {name:20s} {info.description}{psf}")
    typer.echo("ocr engines: " + ", ".join(available_ocr()))
