"""Copy a trained run into ``deblur/weights/<name>.keras`` and write its model card.

Usage::

    python benchmarks/ship_model.py NAME TRAIN_RUN_DIR --command "deblur train ..." \
        [--bench RESULTS_RUN_DIR ...] [--method NAME] [--onnx]

With ``--onnx`` the shipped file is also exported to ``deblur/weights/<name>.onnx``, which
:func:`deblur.load` then runs through onnxruntime (about twice as fast on a CPU); the
export is checked against Keras and refused above 1e-4.

The card (``deblur/weights/<name>.model_card.json``) records the architecture, the
training data and degradation mix, steps, wall and CPU time, the machine, the exact
command that retrains it, and, for every bench run given, the summary rows of this
model (exact match per OCR engine and blur length, PSNR, SSIM, ms).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
from pathlib import Path

import pandas as pd

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--command", required=True, help="the command that retrains it")
    parser.add_argument("--bench", type=Path, nargs="*", default=[])
    parser.add_argument(
        "--method", default=None, help="bench method name (default: NAME)"
    )
    parser.add_argument(
        "--onnx", action="store_true", help="also export deblur/weights/NAME.onnx"
    )
    args = parser.parse_args()

    import keras

    from deblur.models import model_stats

    run = args.run_dir
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
        "name": args.name,
        "file": f"{args.name}.keras",
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
        "retrain_command": args.command,
        "scores": [_scores(b, args.method or args.name) for b in args.bench],
    }
    WEIGHTS.mkdir(exist_ok=True)
    shutil.copyfile(run / "model.keras", WEIGHTS / f"{args.name}.keras")
    if args.onnx:
        from deblur.export import export_onnx

        result = export_onnx(model, WEIGHTS / f"{args.name}.onnx")
        if result.max_abs_error > 1e-4:
            raise SystemExit(
                f"ONNX export differs from Keras by {result.max_abs_error}"
            )
        card["onnx"] = {
            "file": f"{args.name}.onnx",
            "max_abs_error": result.max_abs_error,
        }
    (WEIGHTS / f"{args.name}.model_card.json").write_text(
        json.dumps(card, indent=2) + "\n"
    )
    size = (WEIGHTS / f"{args.name}.keras").stat().st_size / 1e6
    print(
        f"shipped {args.name}: {stats.params} params, {size:.1f} MB, best val {best['val_psnr']} dB"
    )


if __name__ == "__main__":
    main()
