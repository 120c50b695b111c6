"""Measure whole-frame restoration and write ``results/frames.md``.

Two questions, answered with a shipped model or a model file (``--model``, the default
model unless given; re-run after new weights):

* Does a sharp frame come back unchanged? Mean absolute change (grey levels) and the
  largest difference of mean change between neighbouring 256 px tiles, on five photos
  of ``skimage.data`` and on synthetic street frames (:mod:`deblur.synth.frames`).
* Is a plate inside a blurred frame restored as well as the same plate cropped?
  Exact plate reads (Tesseract, PP-OCR) on the plate box of the restored frame against
  the restored crop and the blurred crop, for plates blurred 5-31 px with the whole
  frame (the car moves).

Usage: ``nice python benchmarks/frames.py [--plates 24] [--model default]
[--out results/frames.md]``
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import typer

PHOTOS = ("astronaut", "camera", "coffee", "chelsea", "rocket")
LENGTHS = (5, 9, 15, 21, 25, 31)


def _sharp_rows(deblurrer: object) -> list[str]:
    import skimage.data
    from perf import tile_steps  # type: ignore[import-not-found]

    from deblur.config import PlateConfig
    from deblur.io import to_float, to_gray
    from deblur.synth.frames import make_frame
    from deblur.synth.plates import make_plates

    images = {name: to_float(getattr(skimage.data, name)()) for name in PHOTOS}
    for seed, (height, width) in enumerate([(384, 512), (750, 1000), (600, 800)]):
        plate = next(iter(make_plates(1, PlateConfig(style="eu"), seed))).image
        frame = make_frame(plate, height=height, width=width, rng=seed).image
        images[f"street frame {width}x{height}"] = frame
    rows = []
    for name, image in images.items():
        start = time.perf_counter()
        change = 255.0 * (to_gray(deblurrer(image)) - to_gray(image))  # type: ignore[operator]
        seconds = time.perf_counter() - start
        rows.append(
            f"| {name} | {image.shape[1]}x{image.shape[0]} | "
            f"{np.abs(change).mean():.2f} | {tile_steps(change):.2f} | {seconds:.1f} s |"
        )
    return rows


def _plate_rows(deblurrer: object, count: int) -> tuple[list[str], dict[str, int]]:
    from bench.ocr import get_ocr, normalize_plate_text
    from deblur.config import BlurConfig, PlateConfig
    from deblur.synth.degrade import make_pair
    from deblur.synth.frames import make_frame
    from deblur.synth.plates import make_plates

    engines = {name: get_ocr(name) for name in ("tesseract", "ppocr")}
    totals = {
        f"{what} {name}": 0 for what in ("frame", "crop", "blurred") for name in engines
    }
    rows = []
    for i in range(count):
        style, length = ("uk", "eu", "us")[i % 3], LENGTHS[i % len(LENGTHS)]
        plate = next(iter(make_plates(1, PlateConfig(style=style), 100 + i)))
        frame = make_frame(plate.image, rng=100 + i)
        cfg = BlurConfig(kind="linear", length=(length, length), noise=(0.005, 0.005))
        blurred = make_pair(frame.image, cfg, 100 + i).blurred
        x, y, w, h = frame.box
        crop = blurred[y : y + h, x : x + w]
        images = {
            "frame": deblurrer(blurred)[y : y + h, x : x + w],  # type: ignore[operator]
            "crop": deblurrer(crop),  # type: ignore[operator]
            "blurred": crop,
        }
        label = normalize_plate_text(plate.text)
        cells = []
        for name, engine in engines.items():
            reads = engine.read_batch(list(images.values()))
            for what, read in zip(images, reads, strict=True):
                hit = normalize_plate_text(read) == label
                totals[f"{what} {name}"] += hit
                cells.append("yes" if hit else normalize_plate_text(read) or "-")
        rows.append(f"| {plate.text} | {length} | " + " | ".join(cells) + " |")
    return rows, totals


app = typer.Typer(add_completion=False)


@app.command()
def main(
    plates: Annotated[
        int, typer.Option(help="Plates pasted into blurred frames.")
    ] = 24,
    out: Annotated[Path, typer.Option(help="Markdown file to write.")] = Path(
        "results/frames.md"
    ),
    model: Annotated[
        str, typer.Option(help="Shipped model name or model file to measure.")
    ] = "default",
) -> None:
    """Measure whole-frame restoration and write ``results/frames.md``."""

    from deblur.inference import load

    deblurrer = load(model)
    load_before = os.getloadavg()[0]
    sharp = _sharp_rows(deblurrer)
    rows, totals = _plate_rows(deblurrer, plates)
    n = plates
    summary = ", ".join(f"{key} {value}/{n}" for key, value in totals.items())
    text = f"""# Whole frames (`benchmarks/frames.py`)

Model `{model}`, region by region (256 px tiles, `TileConfig.pass_through`
{_thresholds()}). Load average {load_before:.1f} at the start (2-core machine, shared).

## Sharp frames: how much they change (targets: <= 1.5 and <= 0.5 grey levels)

| image | size | mean abs change | largest step between 256 px tiles | time |
|---|---|---|---|---|
{chr(10).join(sharp)}

## Plates in blurred frames against the same plate cropped

Each plate is pasted into a 512x384 street frame and the whole frame is blurred (linear,
{", ".join(map(str, LENGTHS))} px in turn, noise 0.005). "frame": the plate box of the
restored frame; "crop": the blurred crop restored alone; "blurred": the blurred crop.
Exact reads: **{summary}**.

| plate | blur | frame Tesseract | crop Tesseract | blurred Tesseract | frame PP-OCR | crop PP-OCR | blurred PP-OCR |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}
"""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)


def _thresholds() -> str:
    from deblur.config import TileConfig
    from deblur.regions import DIRECTION_RATIO

    low, high = TileConfig().pass_through or (0.0, 0.0)
    return (
        f"cepstral strength {low:g}-{high:g}, direction ratio "
        f"{DIRECTION_RATIO[0]:g}-{DIRECTION_RATIO[1]:g}"
    )


if __name__ == "__main__":
    app()
