"""Fit the learned plate gate (:mod:`deblur.gate`) and write ``deblur/weights/plate_gate.json``.

Draws synthetic plates of every degradation family with the ``mixed`` suite's
generator, but other seeds than any suite or selection draw: seed 11 (1,200 plates of
the uk/eu/us styles) and seed 12 (600 plates of all six styles, light-on-dark schemes
included), blurs of 5-25 px. Each plate is restored by the shipped default network
with no gate at all and read by PP-OCR and Tesseract, blurred and restored. Its label
says whether it shows the straight blur the network was trained on and restoring did
not cost reads: a ``motion``, ``seed2017`` or ``camera`` plate that reads at least as
well restored. Every other plate is a 0, shaken ones included: labelling the shaken
plates that happened to gain as 1 (tried) taught the gate to restore about half of all
shakes, and on 210 seed-7 shake plates PP-OCR then read 10 fewer than the blurred
input. Plates where restoring cost reads weigh more (1 + |reads gained| + 1 if lost).

It prints the held-out check (fitted on seed 11, scored on seed 12) as OCR reads
gained over the blurred plates, per family, against the cepstral thresholds that
decided before and against an oracle that restores exactly the plates that gain. The
shipped gate is then fitted on both draws. Takes about 8 minutes on 2 cores.

Usage: ``python benchmarks/fit_gate.py [--out deblur/weights/plate_gate.json]
[--model default]`` (``--model`` takes a shipped name or a model file, for a network
that is not shipped yet).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from bench.config import load_suite
from bench.ocr import get_ocr, normalize_plate_text
from bench.samples import build_sample, count_samples
from deblur.config import TileConfig
from deblur.estimate import estimate_linear_psf
from deblur.gate import (
    GATE_FEATURES,
    GATE_THRESHOLDS,
    PlateGate,
    fit_gate,
    plate_features,
)
from deblur.inference import GUIDE_MAX_LENGTH, load
from deblur.regions import region_weight

DRAWS = (
    (11, 1200, ("uk", "eu", "us")),
    (12, 600, ("uk", "eu", "us", "cn", "br", "br_old")),
)
LENGTHS = (5, 9, 13, 17, 21, 25)
STRAIGHT = ("motion", "seed2017", "camera")


def _draw(
    model_file: str, seed: int, count: int, styles: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Features, family and OCR reads gained by ungated restoring, for one draw."""
    base = load_suite("mixed")
    blur = dataclasses.replace(base.blur, lengths=LENGTHS)
    suite = dataclasses.replace(base, seed=seed, count=count, styles=styles, blur=blur)
    samples = [build_sample(suite, i) for i in range(count_samples(suite))]
    model = load(model_file, tile=TileConfig(plate_pass_through=None))
    blurred = [s.blurred for s in samples]
    restored = [model(image) for image in blurred]
    estimates = [estimate_linear_psf(b, max_length=GUIDE_MAX_LENGTH) for b in blurred]
    gained = np.zeros(len(samples), int)
    for engine in ("ppocr", "tesseract"):
        ocr = get_ocr(engine)
        for sign, images in ((-1, blurred), (1, restored)):
            for i, read in enumerate(ocr.read_batch(images)):
                right = normalize_plate_text(read, o_equals_zero=True)
                truth = normalize_plate_text(samples[i].text, o_equals_zero=True)
                gained[i] += sign * (right == truth)
    return {
        "features": np.array(
            [plate_features(b, e) for b, e in zip(blurred, estimates, strict=True)]
        ),
        "family": np.array([s.blur["kind"] for s in samples]),
        "gained": gained,
        "cepstral": np.array(
            [
                region_weight(b, e, TileConfig().plate_pass_through)
                for b, e in zip(blurred, estimates, strict=True)
            ]
        ),
    }


def _labels(draw: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Labels (1: restoring helps) and weights of a draw's plates."""
    gained, straight = draw["gained"], np.isin(draw["family"], STRAIGHT)
    labels = (straight & (gained >= 0)).astype(float)
    return labels, 1.0 + np.abs(gained) + (gained < 0)


def _gains(draw: dict[str, np.ndarray], restore: np.ndarray) -> str:
    """Reads gained per family when the plates in `restore` are restored."""
    parts = []
    for family in dict.fromkeys(draw["family"]):
        mask = draw["family"] == family
        parts.append(f"{family} {int(draw['gained'][mask & restore].sum()):+d}")
    return f"{int(draw['gained'][restore].sum()):+d} ({', '.join(parts)})"


def main(
    out: Annotated[Path, typer.Option(help="Gate file to write.")] = Path(
        "deblur/weights/plate_gate.json"
    ),
    model: Annotated[
        str, typer.Option(help="The network whose restorations label the plates.")
    ] = "default",
) -> None:
    """Gather the draws, print the held-out check and write the gate."""
    draws = [_draw(model, *spec) for spec in DRAWS]
    first, second = draws
    held = fit_gate(first["features"], *_labels(first), thresholds=GATE_THRESHOLDS)
    middle = sum(GATE_THRESHOLDS) / 2  # where the gate's weight passes 0.5
    learned = np.array([held.probability(f) > middle for f in second["features"]])
    gate_says = learned | (second["cepstral"] >= 0.5)  # the gate only adds plates
    typer.echo(
        f"held-out (fitted on seed {DRAWS[0][0]}, scored on seed {DRAWS[1][0]}), "
        "OCR reads gained over the blurred plates, both engines:"
    )
    typer.echo(f"  thresholds + gate:   {_gains(second, gate_says)}")
    typer.echo(f"  cepstral thresholds: {_gains(second, second['cepstral'] >= 0.5)}")
    typer.echo(f"  oracle:              {_gains(second, second['gained'] > 0)}")
    features = np.concatenate([d["features"] for d in draws])
    pairs = [_labels(draw) for draw in draws]
    labels = np.concatenate([pair[0] for pair in pairs])
    weights = np.concatenate([pair[1] for pair in pairs])
    gate = fit_gate(features, labels, weights, thresholds=GATE_THRESHOLDS)
    record = {"features": list(GATE_FEATURES), **dataclasses.asdict(gate)}
    record["fitted"] = (
        f"benchmarks/fit_gate.py on {datetime.date.today()}: seeds "
        f"{[d[0] for d in DRAWS]}, {len(labels)} plates, labelled by the {model} network"
    )
    PlateGate.from_dict(record)  # what is written must load
    out.write_text(json.dumps(record, indent=1) + "\n")
    typer.echo(f"wrote {out}")


if __name__ == "__main__":
    typer.run(main)
