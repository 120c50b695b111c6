"""``bench run | report | compare | list``: the command-line face of the bench.

Errors follow the convention both CLIs share (:mod:`deblur.clikit`): known errors,
and a missing OCR engine, become one red line and exit code 2; ``--debug`` re-raises
them and shows TensorFlow's start-up lines, which are hidden otherwise (in the
worker processes too).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress

from bench.config import (
    BenchConfig,
    CandidateConfig,
    available_suites,
    load_suite,
)
from bench.ocr import OcrNotAvailableError, available_ocr
from deblur.clikit import Debug, progress_columns, run_cli
from deblur.clikit import stderr as _console

__all__ = ["app"]

app = typer.Typer(
    help="OCR-judged benchmark of plate deblurring.", no_args_is_help=True
)
_KNOWN = (OcrNotAvailableError,)


@app.callback()
def _main() -> None:
    logging.basicConfig(level=logging.WARNING)


def _split(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = tuple(v.strip() for v in value.split(",") if v.strip())
    if not items:
        raise ValueError(f"expected a comma-separated list, got {value!r}")
    return items


def _candidates(values: list[str] | None) -> tuple[CandidateConfig, ...] | None:
    """Each ``--candidates`` value is a comma-separated list, except an external one
    (``cmd:...``, ``dir:...``, ``ALIAS=cmd:...``), which is taken whole."""
    if not values:
        return None
    out: list[CandidateConfig] = []
    for value in values:
        whole = CandidateConfig.parse(value.strip())
        if whole.is_external:
            out.append(whole)
        else:
            out += [CandidateConfig.parse(n) for n in _split(value) or ()]
    return tuple(out)


def _seeds(value: str | None) -> tuple[int, ...] | None:
    items = _split(value)
    if items is None:
        return None
    try:
        return tuple(int(v) for v in items)
    except ValueError as err:
        raise ValueError(
            f"--seeds must be integers such as 2024,7,8,9, got {value!r}"
        ) from err


def _write_report(frame: object, out_dir: Path, title: str) -> Path:
    from bench.figures import load_examples
    from bench.report import write_report
    from bench.rundir import load_run_suite

    examples = load_examples(out_dir)  # saved by the runner; {} when none
    suite, samples = None, None
    if (out_dir / "config.json").is_file():
        suite, samples = load_run_suite(out_dir)
    return write_report(frame, out_dir, title=title, examples=examples,  # type: ignore[arg-type]
                        suite=suite, samples=samples)  # fmt: skip


@app.command("run")
def run_command(
    suite: Annotated[
        str, typer.Option(help="Shipped suite name or a .toml file.")
    ] = "smoke",
    candidates: Annotated[
        list[str] | None,
        typer.Option(
            help="Candidates (override), comma-separated; repeat the option for more. "
            "'cmd:TEMPLATE' runs a shell command per batch ({in}, {out} folders), "
            "'dir:FOLDER' reads restored images; 'NAME=cmd:...' names one."
        ),
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
    seeds: Annotated[
        str | None,
        typer.Option(
            help="Pool independent draws of the suite: root seeds 2024,7,8,9."
        ),
    ] = None,
    chunk: Annotated[
        int, typer.Option(help="Samples per batch (one cmd: command run per batch).")
    ] = 4,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address (tcp://host:8786): run on that cluster "
            "instead of local worker processes."
        ),
    ] = None,
    debug: Debug = False,
) -> None:
    """Run (or resume) a suite and write per_sample.csv and the report.

    Rows that failed (an unreadable image, a candidate that raised) are kept in the
    table with their error; each is listed on one line and the exit code is 1.
    """
    from bench import rows

    def body() -> tuple[Any, Path, Path]:  # Any: pandas.DataFrame
        cfg = BenchConfig(
            suite=load_suite(suite),
            candidates=_candidates(candidates),
            ocr=_split(ocr),
            folder=None if data is None else str(data),
            limit=limit,
            workers=workers,
            chunk=chunk,
            examples=examples,
            seeds=_seeds(seeds),
            scheduler=scheduler,
        )
        effective = cfg.effective_suite
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out_dir = out or Path("results") / f"{stamp}_{effective.name}"
        _run_with_progress(cfg, out_dir)
        frame = rows.load_rows(out_dir)
        rows.write_per_sample(frame, out_dir)
        report = _write_report(frame, out_dir, f"{effective.name} ({out_dir.name})")
        return frame, out_dir, report

    frame, out_dir, report = run_cli(body, debug, known=_KNOWN)
    failed = int((frame["error"] != "").sum())
    typer.echo(f"{len(frame)} rows ({failed} failed) in {out_dir}")
    typer.echo(f"report: {report}")
    if failed:
        _list_failures(frame)
        raise typer.Exit(1)


def _run_with_progress(cfg: BenchConfig, out_dir: Path) -> None:
    """Run every pending sample of `cfg` into `out_dir` under a progress bar."""
    from bench import runner
    from bench.samples import count_samples

    effective = cfg.effective_suite
    total = count_samples(effective)
    seen: set[str] = set()
    _console.print(
        f"run folder: {escape(str(out_dir))} (if interrupted, resume it with "
        f"--out {escape(str(out_dir))})",
        highlight=False,
        soft_wrap=True,
    )
    with Progress(
        *progress_columns(),
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
    from bench.rows import ROWS_FILE

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
    debug: Debug = False,
) -> None:
    """Rebuild per_sample.csv and the report of a run from its saved rows."""
    from bench import rows

    def body() -> tuple[Any, Path]:  # Any: pandas.DataFrame
        frame = rows.load_rows(run_dir)
        rows.write_per_sample(frame, run_dir)
        return frame, _write_report(frame, run_dir, _run_title(run_dir))

    frame, report = run_cli(body, debug, known=_KNOWN)
    typer.echo(f"{len(frame)} rows in {run_dir}")
    typer.echo(f"report: {report}")


@app.command("compare")
def compare_command(
    run_dirs: Annotated[
        list[Path], typer.Argument(help="Run folders; the first is the reference.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for compare.md/.html (default results/<time>_compare)."
        ),
    ] = None,
    allow_different: Annotated[
        bool,
        typer.Option(
            help="Compare runs of different suite settings (warned, unpaired)."
        ),
    ] = False,
    debug: Debug = False,
) -> None:
    """Set runs against the first: deltas, n, intervals, paired tests; write reports."""
    from bench.compare import Comparison, compare, write_comparison

    def body() -> tuple[Comparison, Path]:
        comparison = compare(run_dirs, allow_different=allow_different)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = write_comparison(comparison, out or Path("results") / f"{stamp}_compare")
        return comparison, path

    comparison, path = run_cli(body, debug, known=_KNOWN)
    for warning in comparison.warnings:
        _console.print(f"[yellow]warning: {escape(warning)}[/yellow]", soft_wrap=True)
    columns = ["OCR", "Method", "Exact A [95% CI]", "Exact B [95% CI]",
               "Δ exact (B − A)", "p (McNemar)", "B vs A"]  # fmt: skip
    for name, table in comparison.tables.items():
        typer.echo(
            f"{name}\n{table[columns].to_markdown(index=False, disable_numparse=True)}\n"
        )
    typer.echo(f"comparison: {path} and {path.with_suffix('.html')}")


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option(help="Folder for the blurred inputs.")],
    suite: Annotated[
        str, typer.Option(help="Shipped suite name or a .toml file.")
    ] = "smoke",
    data: Annotated[Path | None, typer.Option(help="Data folder (real/blind).")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N samples.")] = None,
    seeds: Annotated[
        str | None, typer.Option(help="Root seeds of pooled draws, as for run.")
    ] = None,
    debug: Debug = False,
) -> None:
    """Write a suite's blurred inputs (<sample>.png + labels.csv) for outside tools.

    Restore them into a folder under the same names, then judge that folder with
    ``bench run --suite SAME --candidates dir:FOLDER``.
    """
    from bench.external import export_inputs

    def body() -> int:
        cfg = BenchConfig(
            suite=load_suite(suite), folder=None if data is None else str(data),
            limit=limit, seeds=_seeds(seeds),
        )  # fmt: skip
        return export_inputs(cfg.effective_suite, out)

    count = run_cli(body, debug, known=_KNOWN)
    typer.echo(f"{count} blurred inputs and labels.csv in {out}")


@app.command("list")
def list_command(debug: Debug = False) -> None:
    """List shipped suites, registered candidates and OCR engines."""
    run_cli(_list, debug, known=_KNOWN)


def _list() -> None:
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
    typer.echo("  cmd:TEMPLATE         any shell command: {in} folder -> {out} folder")
    typer.echo("  dir:FOLDER           images restored elsewhere (see bench export)")
    typer.echo("ocr engines: " + ", ".join(available_ocr()))


if __name__ == "__main__":  # python -m bench.cli
    app()
