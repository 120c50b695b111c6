"""Compare candidate models on the selection draws: never on the suites' own draws.

A model, a checkpoint or a gate setting is chosen here, then the suites are run once.
The selection draws are the ones issue 13's choices were made on:

- ``shake`` seeds 7 and 8, ``camera`` seed 7 (210 plates each, classic styles);
- ``mixed`` seed 7 (200 plates, one family each, classic styles) and seed 9 (200
  plates, all six styles, light-on-dark schemes included);
- the default generator, seed 7 (first 168 of ``benchmarks/suites/default_seed7.toml``);
- with ``--real DIR`` (repeatable), each folder of real sharp crops degraded by the
  ``real_families`` grid with seed 7. Crops are read in place, never copied.

Every plate is read by PP-OCR and Tesseract, sharp, blurred and restored by each
candidate; reads are cached under ``--cache`` per draw and per model file (by size
and modification time), so a rerun with one new candidate only restores and reads
that one. It prints, per draw and family, the plates read by each candidate, the
family x blur-length x engine cells where a candidate reads more than one plate fewer
than the blurred input, and the pooled totals.

Usage::

    python benchmarks/select_model.py --real ../shared/data/real-plates/br \\
        --real ../shared/data/real-plates/us \\
        default=deblur/weights/default.keras new=runs/x/model.keras new_ungated=runs/x/model.keras:ungated
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from robustness import harm_cells  # benchmarks/robustness.py, beside this script

from bench.config import load_suite
from bench.ocr import get_ocr, normalize_plate_text
from bench.samples import Sample, build_sample, count_samples
from deblur.config import TileConfig
from deblur.inference import load
from deblur.io import atomic_write

ENGINES = ("ppocr", "tesseract")
SUITES = Path(__file__).resolve().parent / "suites"


def _draws(real: list[Path]) -> dict[str, tuple]:
    """Label -> (suite, seed, count, styles or None, folder or None)."""
    classic = ("uk", "eu", "us")
    six = ("uk", "eu", "us", "cn", "br", "br_old")
    draws: dict[str, tuple] = {
        "shake_s7": ("shake", 7, 210, classic, None),
        "shake_s8": ("shake", 8, 210, classic, None),
        "camera_s7": ("camera", 7, 210, classic, None),
        "mixed_s7": ("mixed", 7, 200, classic, None),
        "mixed_s9_six": ("mixed", 9, 200, six, None),
        "default_s7": (SUITES / "default_seed7.toml", 7, 168, classic, None),
    }
    for folder in real:
        draws[f"real_{folder.name}_s7"] = ("real_families", 7, 0, None, folder)
    return draws


def _samples(spec: tuple) -> list[Sample]:
    suite_name, seed, count, styles, folder = spec
    suite = load_suite(suite_name)
    changes: dict = {"seed": seed, "count": count, "repeats": 1, "seeds": ()}
    if styles is not None:
        changes["styles"] = styles
    if folder is not None:
        changes["folder"] = str(folder)
    suite = dataclasses.replace(suite, **changes)
    return [build_sample(suite, i) for i in range(count_samples(suite))]


def _reads(images: list[np.ndarray], samples: list[Sample], o_zero: bool) -> dict:
    """Engine -> list of 0/1 exact reads."""
    out = {}
    for engine in ENGINES:
        texts = get_ocr(engine).read_batch(images)
        out[engine] = [
            int(
                normalize_plate_text(t, o_equals_zero=o_zero)
                == normalize_plate_text(s.text, o_equals_zero=o_zero)
            )
            for t, s in zip(texts, samples, strict=True)
        ]
    return out


def _cached(path: Path, compute) -> dict:  # untyped: a callable returning a dict
    if path.exists():
        return json.loads(path.read_text())
    value = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(value)))
    return value


def _candidate(spec: str) -> tuple[str, Path, bool]:
    name, _, rest = spec.partition("=")
    file, _, option = rest.partition(":")
    if not file or option not in ("", "ungated"):
        raise typer.BadParameter(f"{spec!r}: expected NAME=FILE or NAME=FILE:ungated")
    return name, Path(file), option == "ungated"


def main(
    candidates: Annotated[list[str], typer.Argument(help="NAME=FILE[:ungated]")],
    real: Annotated[list[Path] | None, typer.Option(help="Real crops folder.")] = None,
    cache: Annotated[Path, typer.Option(help="Cache folder.")] = Path("runs/select"),
    only: Annotated[str, typer.Option(help="Comma-separated draw labels.")] = "",
) -> None:
    """Restore, read and tabulate every selection draw."""
    specs = [_candidate(c) for c in candidates]
    draws = _draws(real or [])
    if only:
        draws = {k: v for k, v in draws.items() if k in only.split(",")}
    totals: dict = defaultdict(lambda: np.zeros(2, int))
    for label, spec in draws.items():
        samples = _samples(spec)
        rows = _draw_rows(samples, spec[4] is None, specs, cache / label)
        _print_draw(label, samples, rows, totals)
    typer.echo("\n## pooled over all draws (PP-OCR / Tesseract)")
    for name, value in totals.items():
        typer.echo(f"  {name:>14}: {value[0]} / {value[1]}")


def _draw_rows(
    samples: list[Sample], o_zero: bool, specs: list[tuple], cache: Path
) -> dict[str, dict]:
    """Row name -> engine -> 0/1 reads: sharp, blurred, then each candidate."""
    rows = {
        name: _cached(
            cache / f"{name}.json",
            lambda name=name: _reads(
                [getattr(s, name) for s in samples], samples, o_zero
            ),
        )
        for name in ("sharp", "blurred")
    }
    for name, file, ungated in specs:
        stat = file.stat()
        key = f"{file.stem}-{stat.st_size}-{int(stat.st_mtime)}-{int(ungated)}"

        def restore(file: Path = file, ungated: bool = ungated) -> dict:
            tile = TileConfig(plate_pass_through=None) if ungated else None
            model = load(file, tile=tile)
            images = [model(s.blurred) for s in samples]
            return _reads(images, samples, o_zero)

        rows[name] = _cached(cache / f"{key}.json", restore)
    return rows


def _print_draw(label: str, samples: list[Sample], rows: dict, totals: dict) -> None:
    """Reads per family, the harm cells (:func:`robustness.harm_cells`), and add the
    draw's reads to `totals`."""
    frame = pd.DataFrame(
        {
            "method": name,
            "ocr": engine,
            "blur_kind": s.blur["kind"],
            "blur_length": np.nan_to_num(float(s.blur["length"])),  # no blur: 0 px
            "exact": read,
            "error": None,
        }
        for name, reads in rows.items()
        for engine in ENGINES
        for s, read in zip(samples, reads[engine], strict=True)
    )
    typer.echo(f"\n## {label} ({len(samples)} plates): PP-OCR / Tesseract reads")
    typer.echo("| family | n | " + " | ".join(rows) + " |")
    counts = frame.groupby(["blur_kind", "method", "ocr"], sort=False)["exact"].sum()
    for family in frame["blur_kind"].unique():
        cells = [" / ".join(str(counts[family, n, e]) for e in ENGINES) for n in rows]
        plates = (frame["blur_kind"] == family).sum() // (len(rows) * len(ENGINES))
        typer.echo(f"| {family} | {plates} | " + " | ".join(cells) + " |")
    for name in rows:
        totals[name] += [counts[:, name, e].sum() for e in ENGINES]
    harm = [
        f"{name} {c.blur_kind} {c.blur_length:g}px {c.ocr} -{-c.reads_lost:g}"
        for name in list(rows)[2:]
        for c in harm_cells(frame, name).itertuples()
    ]
    typer.echo("harm cells: " + ("; ".join(harm) if harm else "none"))


if __name__ == "__main__":
    typer.run(main)
