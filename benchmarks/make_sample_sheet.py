"""Draw ``datasets/samples/plates.png``: sharp synthetic plates and blurred copies.

Four plates of each style (seed 0), each beside two copies blurred by a linear PSF of
7 px and 15 px at a random angle (plus the default noise). Run from the repository
root::

    python benchmarks/make_sample_sheet.py [--out datasets/samples/plates.png]
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import typer
from PIL import Image as PILImage

from deblur.config import BlurConfig, PlateConfig
from deblur.synth.degrade import make_pair
from deblur.synth.plates import make_plates

LENGTHS = (7.0, 15.0)
PER_STYLE = 4


OUT = Path("datasets/samples/plates.png")


def main(out: Annotated[Path, typer.Option(help="PNG to write.")] = OUT) -> None:
    """Render the sample sheet of synthetic plates."""
    rng = np.random.default_rng(0)
    samples = [
        sample
        for style in ("uk", "eu", "us")
        for sample in make_plates(PER_STYLE, PlateConfig(style=style), rng)
    ]
    heights = [s.image.shape[0] for s in samples]
    fig, axes = plt.subplots(
        len(samples), 3, figsize=(9.6, sum(heights) / 52), dpi=100,
        gridspec_kw={"height_ratios": heights, "hspace": 0.45, "wspace": 0.04},
    )  # fmt: skip
    for row, sample in zip(axes, samples, strict=True):
        row[0].imshow(sample.image)
        row[0].set_title(f"{sample.style} | {sample.font} | {sample.text}", fontsize=7)
        for ax, length in zip(row[1:], LENGTHS, strict=True):
            cfg = BlurConfig(kind="linear", length=(length, length))
            pair = make_pair(sample.image, cfg, rng)
            ax.imshow(pair.blurred)
            ax.set_title(
                f"linear {length:.0f} px, {pair.params['angle']:.0f} deg", fontsize=7
            )
    for ax in axes.ravel():
        ax.set_axis_off()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    buffer.seek(0)
    with PILImage.open(buffer) as sheet:  # a 128-colour palette keeps the file small
        sheet.convert("RGB").quantize(128, dither=PILImage.Dither.NONE).save(
            out, optimize=True
        )
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    typer.run(main)
