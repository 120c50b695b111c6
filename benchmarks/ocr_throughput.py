"""Measure OCR throughput and the sharp-plate ceiling of each engine.

Reads the sharp plates of a suite (default: the ``default`` suite) with Tesseract one
process per image, Tesseract amortised (one process per batch, a list file), and
PP-OCR; reports ms/plate (median of repeats), plates/s, speed-up ratios and the exact
match rate, and writes ``results/ocr_throughput.md``.

Usage: ``python benchmarks/ocr_throughput.py [--suite default] [--count N]
[--repeats 3] [--real DIR]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from bench.config import OcrConfig, load_suite
from bench.ocr import OcrEngine, PpOcr, TesseractOcr, normalize_plate_text
from bench.samples import build_sample


def _time(engine: OcrEngine, images: list[np.ndarray], repeats: int, *, per_image: bool
          ) -> tuple[list[str], float]:  # fmt: skip
    times, reads = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        reads = [engine(i) for i in images] if per_image else engine.read_batch(images)
        times.append(1000.0 * (time.perf_counter() - start) / len(images))
    return reads, statistics.median(times)


def _exact(reads: list[str], labels: list[str], oz: bool) -> float:
    return float(np.mean([normalize_plate_text(r, o_equals_zero=oz)
                          == normalize_plate_text(t, o_equals_zero=oz)
                          for r, t in zip(reads, labels, strict=True)]))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suite", default="default")
    parser.add_argument("--count", type=int, default=0, help="0 = the suite's count")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--real", type=Path, action="append", default=[])
    parser.add_argument("--out", type=Path, default=Path("results/ocr_throughput.md"))
    args = parser.parse_args()
    suite = load_suite(args.suite)
    count = args.count or suite.count
    samples = [build_sample(suite, i) for i in range(count)]
    images = [s.sharp for s in samples if s.sharp is not None]
    labels = [s.text for s in samples]
    cfg = OcrConfig()
    engines = [
        ("tesseract, one process per plate", TesseractOcr(cfg), True, 1),
        ("tesseract, amortised (list file)", TesseractOcr(cfg), False, args.repeats),
        ("ppocr (PP-OCRv4 rec, batched)", PpOcr(cfg), False, args.repeats),
    ]
    lines = [
        "# OCR throughput and sharp-plate ceiling", "",
        f"Suite `{suite.name}`, {len(images)} sharp plates ({suite.plate_width} px wide);"
        f" settings `{cfg}`. ms/plate is the median of {args.repeats} passes "
        "(1 pass for one-process-per-plate).", "",
        "| engine | ms/plate | plates/s | exact match |", "|---|---|---|---|",
    ]  # fmt: skip
    results = {}
    for name, engine, per_image, repeats in engines:
        reads, ms = _time(engine, images, repeats, per_image=per_image)
        results[name] = ms
        acc = _exact(reads, labels, suite.o_equals_zero)
        lines.append(f"| {name} | {ms:.1f} | {1000 / ms:.1f} | {acc:.1%} |")
        print(lines[-1], flush=True)
    single, batched = (results[n] for n, *_ in engines[:2])
    lines += ["", f"Amortised Tesseract is {single / batched:.1f}x faster than one "
              "process per plate.", ""]  # fmt: skip
    for folder in args.real:
        from deblur.io import read_image
        from deblur.synth.dataset import load_labels

        rows = load_labels(folder)
        crops = [read_image(folder / r.file) for r in rows]
        oz = folder.name == "us"
        accs = [f"{name.split(',')[0].split(' ')[0]} {_exact(e.read_batch(crops), [r.text for r in rows], oz):.1%}"
                for name, e, per_image, _ in engines if not per_image]  # fmt: skip
        lines.append(
            f"Real crops `{folder.name}` ({len(rows)}): " + ", ".join(accs) + "  "
        )
        print(lines[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
