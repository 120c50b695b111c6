"""Pool bench runs of one generator drawn with several seeds into one table.

One 336-plate draw leaves about +-1.5 points of noise on an exact-match rate at 13-21
px (144 plates), a few plates either way. This script reads the ``per_sample.csv`` of
several run folders (e.g. the default suite and ``benchmarks/suites/default_seed*.toml``)
and prints, per OCR engine and method, the exact match over all plates and at
13-21 px for each run and pooled over all runs. Writes ``results/seeds.md``.

Usage: ``python benchmarks/seeds_table.py RUN_DIR [RUN_DIR ...] [--out FILE]``
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from bench.aggregate import read_per_sample, summarize

MIDDLE = (13.0, 17.0, 21.0)
METHODS = ("sharp", "default", "wiener", "blind_wiener", "blurred")


def _cells(frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    """ "all / 13-21 px (reads/plates)" per (ocr, method), from bench's own summary."""
    whole = summarize(frame).set_index(["ocr", "method"])
    middle = summarize(frame[frame["blur_length"].isin(MIDDLE)])
    return {
        (row.ocr, row.method): f"{whole.at[(row.ocr, row.method), 'exact']:.1%} / "
        f"{row.exact:.1%} ({round(row.exact * row.n)}/{row.n})"
        for row in middle.itertuples()
    }


OUT = Path("results/seeds.md")


def main(
    runs: Annotated[list[Path], typer.Argument(help="Run folders, one per seed.")],
    out: Annotated[Path, typer.Option(help="Markdown file to write.")] = OUT,
) -> None:
    """Read the runs, print and write the pooled table."""
    frames = [read_per_sample(run) for run in runs]
    names = [str(f["suite"].iloc[0]) for f in frames]
    cells = [_cells(f) for f in frames]
    pooled = _cells(pd.concat(frames))
    engines = sorted({ocr for ocr, _ in pooled})
    lines = [
        "# One generator, several seeds",
        "",
        "Exact plate match, all plates / 13-21 px (reads at 13-21 px in brackets), per",
        f"run and pooled over {len(frames)} runs of 336 plates; "
        "`python benchmarks/seeds_table.py` on "
        + ", ".join(f"`{n}`" for n in names)
        + ".",
        "",
    ]
    for ocr in engines:
        lines += [f"## {ocr}", "",
                  "| method | " + " | ".join(names) + " | pooled |",
                  "|---|" + "---|" * (len(names) + 1)]  # fmt: skip
        for method in METHODS:
            row = [c[(ocr, method)] for c in (*cells, pooled)]
            lines.append(f"| {method} | " + " | ".join(row) + " |")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    typer.run(main)
