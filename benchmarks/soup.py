"""Average the weights of fine-tuned networks of one design (a "model soup").

Networks fine-tuned from the same start sit in one basin of the loss, so the mean of
their weights is itself a network, often better than each (Wortsman et al., 2022), at
no cost at run time. A file that lacks a layer of the first design (a guide-blend head
added to the others) gives that layer its initial value from a fresh build.

Usage::

    python benchmarks/soup.py OUT.keras A.keras B.keras [C.keras ...]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from deblur.config import ModelConfig, from_dict
from deblur.inference import load_keras_model
from deblur.models import build_model


def main(
    out: Annotated[Path, typer.Argument(help="The averaged .keras file to write.")],
    models: Annotated[list[Path], typer.Argument(help="Networks to average.")],
    config: Annotated[
        Path | None,
        typer.Option(
            help="model_config.json of the design (default: the first file's run)."
        ),
    ] = None,
) -> None:
    """Write the layer-by-layer mean of `models` to `out`."""
    if len(models) < 2:
        raise typer.BadParameter("give at least two networks")
    config = config or models[0].parent / "model_config.json"
    soup = build_model(from_dict(ModelConfig, json.loads(config.read_text())))
    nets = [
        {layer.name: layer for layer in load_keras_model(path).layers}
        for path in models
    ]
    for layer in soup.layers:
        if not layer.weights:
            continue
        parts = [net.get(layer.name, layer).get_weights() for net in nets]
        layer.set_weights([np.mean(ws, axis=0) for ws in zip(*parts, strict=True)])
    out.parent.mkdir(parents=True, exist_ok=True)
    soup.save(out)
    print(f"{out}: mean of {len(models)} networks")


if __name__ == "__main__":
    typer.run(main)
