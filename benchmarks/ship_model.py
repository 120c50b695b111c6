"""Copy a trained run into ``deblur/weights/<name>.keras`` and write its model card.

Usage::

    python benchmarks/ship_model.py NAME TRAIN_RUN_DIR --command "deblur train ..." \
        [--bench RESULTS_RUN_DIR]... [--method NAME] [--onnx] [--tflite]

With ``--onnx`` the shipped file is also exported to ``deblur/weights/<name>.onnx``, which
:func:`deblur.load` runs through onnxruntime (about twice as fast as Keras on a CPU);
with ``--tflite`` to ``deblur/weights/<name>.tflite``, which it runs through LiteRT
when installed (about 1.7x as fast again). Each export is checked against Keras and
refused above 1e-4.

The card (``deblur/weights/<name>.model_card.json``) records the architecture, the
training data and degradation mix, steps, wall and CPU time, the machine, the exact
command that retrains it, and, for every bench run given, the summary rows of this
model (exact match per OCR engine and blur length, PSNR, SSIM, ms).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

WEIGHTS = Path(__file__).resolve().parents[1] / "deblur" / "weights"


def _scores(bench_dir: Path, method: str) -> dict:
    from bench.aggregate import by_blur_length, gap_closed, read_per_sample, summarize

    frame = read_per_sample(bench_dir)
    summary = summarize(frame)
    keep = summary[summary["method"].isin([method, "sharp", "blurred"])]
    lengths = by_blur_length(frame)
    lengths = lengths[lengths["method"].isin([method, "sharp", "blurred"])]
    gap = gap_closed(frame)
    return {
        "run": bench_dir.name,
        "summary": json.loads(keep.to_json(orient="records")),
        "by_blur_length": json.loads(lengths.to_json(orient="records")),
        "gap_closed_13_21_ppocr": json.loads(gap.to_json(orient="records")),
    }


def main(
    name: Annotated[str, typer.Argument(help="Name of the shipped weights.")],
    run_dir: Annotated[Path, typer.Argument(help="The training run folder.")],
    command: Annotated[str, typer.Option(help="The command that retrains it.")],
    bench: Annotated[
        list[Path] | None, typer.Option(help="Bench run folder (repeatable).")
    ] = None,
    method: Annotated[
        str | None, typer.Option(help="Bench method name (default: NAME).")
    ] = None,
    onnx: Annotated[
        bool, typer.Option("--onnx", help="Also export deblur/weights/NAME.onnx.")
    ] = False,
    tflite: Annotated[
        bool, typer.Option("--tflite", help="Also export deblur/weights/NAME.tflite.")
    ] = False,
    stage: Annotated[
        str | None,
        typer.Option(
            help="This run is one more training stage of the shipped NAME: keep its "
            "card's stages and notes, and append this run as a stage so described."
        ),
    ] = None,
    config: Annotated[
        str | None, typer.Option(help="The stage's --config file, for the card.")
    ] = None,
) -> None:
    """Copy a trained run into deblur/weights and write its model card."""
    bench = bench or []

    import keras

    from deblur.models import model_stats

    run = run_dir
    model = keras.saving.load_model(run / "model.keras", compile=False, safe_mode=True)
    stats = model_stats(model)
    log = pd.read_csv(run / "log.csv")
    train_config = json.loads((run / "train_config.json").read_text())
    # The row whose checkpoint is model.keras: training keeps the best validation PSNR,
    # or, with an OCR term, the lowest validation loss (deblur.train).
    if train_config.get("ocr_weight"):
        best = log.loc[log["val_loss"].idxmin()]
    else:
        best = log.loc[log["val_psnr"].idxmax()]
    card = {
        "name": name,
        "file": f"{name}.keras",
        "model_config": json.loads((run / "model_config.json").read_text()),
        "train_config": train_config,
        "params": stats.params,
        "macs_per_pixel": stats.macs_per_pixel,
        "steps_trained": int(log["step"].max()),
        "best_step": int(best["step"]),
        "best_val_psnr_db": float(best["val_psnr"]),
        "wall_s": float(log["wall_s"].max()),
        "cpu_s": float(log["cpu_s"].max()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}, "
        "shared with other work during training",
        "retrain_command": command,
        "scores": [_scores(b, method or name) for b in bench],
    }
    if stage is not None:
        card = _with_stage(WEIGHTS / f"{name}.model_card.json", card, stage, config)
    WEIGHTS.mkdir(exist_ok=True)
    shutil.copyfile(run / "model.keras", WEIGHTS / f"{name}.keras")
    from deblur.export import export_onnx, export_tflite

    for wanted, fmt, export in [
        (onnx, "onnx", export_onnx),
        (tflite, "tflite", export_tflite),
    ]:
        if not wanted:
            continue
        result = export(model, WEIGHTS / f"{name}.{fmt}")
        if result.max_abs_error > 1e-4:
            raise SystemExit(
                f"{fmt} export differs from Keras by {result.max_abs_error}"
            )
        card[fmt] = {"file": f"{name}.{fmt}", "max_abs_error": result.max_abs_error}
    (WEIGHTS / f"{name}.model_card.json").write_text(json.dumps(card, indent=2) + "\n")
    size = (WEIGHTS / f"{name}.keras").stat().st_size / 1e6
    print(
        f"shipped {name}: {stats.params} params, {size:.1f} MB, best val {best['val_psnr']} dB"
    )


def _with_stage(path: Path, card: dict, stage: str, config: str | None) -> dict:
    """`card` as one more stage of the card at `path`: its earlier stages, the total
    CPU time and its hand-written notes are kept; what this run measured replaces the
    rest. Shipping the same stage again (say, to add its bench runs) replaces it."""
    previous = json.loads(path.read_text())
    entry = {
        "stage": stage,
        "steps": card["steps_trained"],
        "best_step": card["best_step"],
        "wall_s": card["wall_s"],
        "cpu_s": card["cpu_s"],
        "best_val_psnr_db": card["best_val_psnr_db"],
        "config": config,
    }
    earlier = [s for s in previous.get("training_stages", []) if s["stage"] != stage]
    stages = [*earlier, entry]  # shipping the same stage again replaces it
    total = sum(s.get("cpu_s", 0.0) for s in stages)
    return {
        **previous,
        **card,
        "training_stages": stages,
        "total_cpu_s": round(total, 1),
    }


if __name__ == "__main__":
    typer.run(main)
