"""Write the sharp images of the ``fast`` model's last training stage.

600 synthetic plates (default :class:`deblur.config.PlateConfig`, seed 101) and 200
synthetic street frames of 400x300 with one more plate each
(:func:`deblur.synth.frames.make_frame`, seeds 5000-5199), as PNGs in one folder for
``deblur train --data``. Trained on plates alone, the width-8 model learned their bright
backgrounds and brightened dark scenery; this stage, with a pixel loss only (frames
have no text), taught it scenery too.

Usage: ``python benchmarks/make_fast_frames.py OUT_DIR``
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from PIL import Image

from deblur.config import PlateConfig
from deblur.io import to_uint8
from deblur.synth.frames import make_frame
from deblur.synth.plates import make_plates

PLATES = 600
FRAMES = 200


def main(out: Annotated[Path, typer.Argument(help="Folder to write.")]) -> None:
    """Write the plates and frames."""
    out.mkdir(parents=True, exist_ok=True)
    plates = list(make_plates(PLATES + FRAMES, PlateConfig(), 101))
    for i, plate in enumerate(plates[:PLATES]):
        Image.fromarray(to_uint8(plate.image)).save(out / f"plate{i:04d}.png")
    for i, plate in enumerate(plates[PLATES:]):
        frame = make_frame(plate.image, height=300, width=400, rng=5000 + i).image
        Image.fromarray(to_uint8(frame)).save(out / f"frame{i:04d}.png")
    typer.echo(f"wrote {PLATES} plates and {FRAMES} frames to {out}")


if __name__ == "__main__":
    typer.run(main)
