"""Draw ``datasets/samples/plates_variety.png``: sharp plates of the variety preset.

The first nine plates show each colour scheme (``cn`` layout, no wear); the rest are
drawn by ``PlateConfig.preset("variety")`` with seed 6 (chosen because it shows every
style and look): all six styles, other real-world colour schemes, bolts, dirt,
shadows and car-body crops. Under each plate: style, scheme and the wear drawn. Run
from the repository root::

    python benchmarks/make_variety_sheet.py [--out datasets/samples/plates_variety.png]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from deblur.config import PLATE_SCHEMES, PlateConfig
from deblur.io import to_uint8
from deblur.synth.plates import PlateSample, font_path, make_plates

COLUMNS = 4
ROWS = 5
GAP = 6
CAPTION = 13
SEED = 6
OUT = Path("datasets/samples/plates_variety.png")


def _caption(sample: PlateSample) -> str:
    look = sample.look
    wear = [
        name
        for name, on in (
            ("bolts", look.bolts),
            (f"dirt {look.dirt:.2f}", look.dirt > 0),
            (f"shadow {look.shadow:.2f}", look.shadow > 0),
            ("car", look.surround == "car"),
        )
        if on
    ]
    return " | ".join([sample.style, look.scheme, *wear])


def _samples() -> list[PlateSample]:
    schemes = [
        next(iter(make_plates(1, PlateConfig(style="cn", scheme=scheme), i)))
        for i, scheme in enumerate(PLATE_SCHEMES)
    ]
    variety = make_plates(
        COLUMNS * ROWS - len(schemes), PlateConfig.preset("variety"), SEED
    )
    return schemes + list(variety)


def main(out: Annotated[Path, typer.Option(help="PNG to write.")] = OUT) -> None:
    """Render the sample sheet of variety-preset plates."""
    samples = _samples()
    cell_w = max(s.image.shape[1] for s in samples) + GAP
    cell_h = max(s.image.shape[0] for s in samples) + CAPTION + GAP
    sheet = PILImage.new("RGB", (COLUMNS * cell_w, ROWS * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    face = ImageFont.truetype(str(font_path("DejaVuSans-Bold")), 8)
    for i, sample in enumerate(samples):
        x, y = (i % COLUMNS) * cell_w, (i // COLUMNS) * cell_h
        sheet.paste(PILImage.fromarray(to_uint8(sample.image)), (x, y))
        draw.text((x, y + sample.image.shape[0] + 1), _caption(sample), "black", face)
    sheet.quantize(128, dither=PILImage.Dither.NONE).save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    typer.run(main)
