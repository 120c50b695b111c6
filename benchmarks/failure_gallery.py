"""Draw where the shipped default still fails: one row per family, synthetic plates only.

For each family (at a fixed blur length) the script degrades synthetic plates of a seed
that no suite uses, restores them with ``default`` and reads sharp, degraded and
restored plates with PP-OCR. It keeps the first plates whose sharp version reads but
whose restored version does not, and draws sharp | degraded | restored with the three
readings. Writes ``results/robustness/failures.png`` (for the model card).

Usage: ``python benchmarks/failure_gallery.py [--out FILE] [--per-family 2]``
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

app = typer.Typer(add_completion=False)

FAMILIES = (("shake", 17.0), ("camera", 13.0), ("defocus", 7.0), ("motion", 31.0))


@app.command()
def main(
    out: Annotated[Path, typer.Option(help="PNG to write.")] = Path(
        "results/robustness/failures.png"
    ),
    per_family: Annotated[int, typer.Option(help="Failures drawn per family.")] = 2,
    seed: Annotated[int, typer.Option(help="Plate seed (not a suite's).")] = 31,
) -> None:
    """Find and draw failures of the shipped default."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bench.ocr import get_ocr
    from deblur.config import PlateConfig
    from deblur.inference import load
    from deblur.synth.degrade import make_pair
    from deblur.synth.families import family_config
    from deblur.synth.plates import make_plates
    from deblur.text import normalize_plate_text

    restore, ocr = load("default"), get_ocr("ppocr")
    rows = []
    for family, length in FAMILIES:
        cfg = family_config(family, length=length)
        found = 0
        for i, plate in enumerate(make_plates(60, PlateConfig(), seed)):
            pair = make_pair(plate.image, cfg, rng=i)
            restored = restore(pair.blurred)
            reads = [ocr(x) for x in (pair.sharp, pair.blurred, restored)]
            ok = [
                normalize_plate_text(r, o_equals_zero=True)
                == normalize_plate_text(plate.text, o_equals_zero=True)
                for r in reads
            ]
            if ok[0] and not ok[2]:
                rows.append((family, length, plate.text, pair, restored, reads))
                found += 1
            if found == per_family:
                break
    fig, axes = plt.subplots(len(rows), 3, figsize=(9, 1.25 * len(rows)), squeeze=False)
    for axis_row, (family, length, text, pair, restored, reads) in zip(
        axes, rows, strict=True
    ):
        images = (pair.sharp, pair.blurred, restored)
        titles = ("sharp", f"{family} {length:g} px", "default")
        for axis, image, title, read in zip(
            axis_row, images, titles, reads, strict=True
        ):
            axis.imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1)
            axis.set_title(f"{title}: '{read}'", fontsize=8)
            axis.axis("off")
        axis_row[0].text(
            -0.05, 0.5, text, transform=axis_row[0].transAxes, ha="right", fontsize=8
        )
    fig.suptitle("Where the shipped default still fails (PP-OCR reads in quotes)")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    typer.echo(f"{len(rows)} failures drawn in {out}")


if __name__ == "__main__":
    app()
