"""Pool bench runs of one generator drawn with several seeds into one table.

One 336-plate draw leaves about +-1.5 points of noise on an exact-match rate at 13-21
px (144 plates), a few plates either way. This script reads the ``per_sample.csv`` of
several run folders (e.g. the default suite and ``benchmarks/suites/default_seed*.toml``)
and prints, per OCR engine and method, the exact match over all plates and at
13-21 px for each run and pooled over all runs. Writes ``results/seeds.md``.

Usage: ``python benchmarks/seeds_table.py RUN_DIR [RUN_DIR ...] [--out FILE]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

MIDDLE = (13.0, 17.0, 21.0)
METHODS = ("sharp", "default", "wiener", "blind_wiener", "blurred")


def _cell(frame: pd.DataFrame) -> str:
    middle = frame[frame["blur_length"].isin(MIDDLE)]
    return (
        f"{frame['exact'].mean():.1%} / {middle['exact'].mean():.1%} "
        f"({int(middle['exact'].sum())}/{len(middle)})"
    )


def main() -> None:
    """Read the runs, print and write the pooled table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=Path("results/seeds.md"))
    args = parser.parse_args()
    frames = []
    for run in args.runs:
        frame = pd.read_csv(run / "per_sample.csv", keep_default_na=False,
                            na_values=[""])  # fmt: skip
        frames.append(frame[frame["error"].isna() | (frame["error"] == "")])
    names = [str(f["suite"].iloc[0]) for f in frames]
    pooled = pd.concat(frames)
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
    for ocr in sorted(pooled["ocr"].unique()):
        lines += [f"## {ocr}", "",
                  "| method | " + " | ".join(names) + " | pooled |",
                  "|---|" + "---|" * (len(names) + 1)]  # fmt: skip
        for method in METHODS:
            cells = [
                _cell(f[(f["ocr"] == ocr) & (f["method"] == method)]) for f in frames
            ]
            both = pooled[(pooled["ocr"] == ocr) & (pooled["method"] == method)]
            lines.append(f"| {method} | " + " | ".join(cells) + f" | {_cell(both)} |")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
