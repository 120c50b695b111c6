"""Re-export the shipped models' ONNX and TFLite files from their ``.keras`` weights.

The exports are made from each model's export form (:mod:`deblur.models.export_form`);
run this after that form changes. It rewrites ``deblur/weights/<name>.onnx`` and
``<name>.tflite`` and the ``onnx``/``tflite`` entries of the model card (the largest
difference to Keras on a probe), and stops if an export differs by more than 1e-4.

Usage: ``python benchmarks/export_shipped.py [default fast]``
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import typer

from deblur.export import export_onnx, export_tflite
from deblur.inference import load_keras_model, resolve_model

MAX_ERROR = 1e-4


def main(names: list[str] = typer.Argument(None)) -> None:  # noqa: B008
    """Re-export the shipped models `names` (``default`` and ``fast`` if none)."""
    for name in names or ["default", "fast"]:
        keras_path = resolve_model(name)  # deblur/weights/<name>.keras
        weights = keras_path.parent
        model = load_keras_model(keras_path)
        card_path = weights / f"{name}.model_card.json"
        card = json.loads(card_path.read_text())
        for fmt, export in (("onnx", export_onnx), ("tflite", export_tflite)):
            result = export(model, weights / f"{name}.{fmt}")
            if result.max_abs_error > MAX_ERROR:
                raise SystemExit(
                    f"{name}.{fmt} differs from Keras by {result.max_abs_error}"
                )
            card[fmt] = {"file": f"{name}.{fmt}", "max_abs_error": result.max_abs_error}
            print(
                f"{name}.{fmt}: largest difference to Keras {result.max_abs_error:.2e}"
            )
        card_path.write_text(json.dumps(card, indent=2) + "\n")


if __name__ == "__main__":
    typer.run(main)
