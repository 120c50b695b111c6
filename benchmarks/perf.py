"""Measure inference speed and memory, and write ``results/perf.md``.

Rows (medians over repeats, wall clock, after one warm-up call):

* the machine's convolution throughput (a 3x3 Conv2D, 64 -> 64 channels, 256 x 256),
  which turns a model's multiply-adds into a speed floor;
* the default U-Net on a 240 x 60 RGB plate through :func:`deblur.load` (the shipped
  TFLite export through LiteRT), ``runtime="onnx"`` (onnxruntime) and
  ``runtime="keras"`` (TensorFlow), against that floor, with its blind Wiener guide
  timed alone on the luminance it runs on;
* the shipped ``fast`` model (width 8): a plate, the blurred 4000 x 3000 photo and the
  folder of plates;
* ``plain15`` (the 2017 network) as one full-image pass;
* ``plain15`` with the 2017 stride-1 40x20 seed tiling: a fraction of the tiles is timed
  (stride 4) and extrapolated linearly to the 8,000 tiles of a 240 x 60 plate;
* 4000 x 3000 RGB photos (noise, a sharp synthetic street frame, the same blurred)
  region by region, each in a subprocess, with peak RSS;
* a 1000 x 750 street frame: how much a sharp one changes (and the tile steps), and
  the time for it sharp and blurred;
* plates/s over a folder of plates (read, restore, write) with ``deblur_jobs`` in
  steps of 16 one and two at a time (lanes), one plate at a time, and in
  two worker processes (what `deblur run` does for 256 files or more).

Usage: ``nice python benchmarks/perf.py [--plates 1000] [--repeats 30] [--out results/perf.md]``
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import typer
from PIL import Image as PILImage

PLATE = (60, 240)
WORKERS = 2  # worker processes of the folder rows that use them (one per core here)
TARGET_MS = 30.0


def _median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up (tracing, allocation)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(1000.0 * (time.perf_counter() - start))
    return statistics.median(times)


def conv_gmacs() -> float:
    """Median GMAC/s of a 3x3 Conv2D 64 -> 64 on a 256 x 256 image."""
    import keras
    import tensorflow as tf

    layer = keras.layers.Conv2D(64, 3, padding="same")
    x = tf.random.uniform((1, 256, 256, 64))
    fn = tf.function(lambda t: layer(t))
    macs = 256 * 256 * 64 * 64 * 9
    ms = _median_ms(lambda: fn(x).numpy(), 10)
    return macs / (ms / 1000.0) / 1e9


def _deblurrers() -> dict[str, tuple[object, bool]]:
    """(deblurrer, shipped?) for the default U-Net and plain15."""
    from deblur.config import ModelConfig
    from deblur.inference import KerasDeblurrer, load, shipped_weights
    from deblur.models import build_model

    shipped = shipped_weights()
    default = (
        (load("default"), True)
        if "default" in shipped
        else (KerasDeblurrer(build_model(ModelConfig()), name="default"), False)
    )
    default_keras = (
        (load("default", runtime="keras"), True) if "default" in shipped else default
    )
    default_onnx = (
        (load("default", runtime="onnx"), True) if "default" in shipped else default
    )
    plain = (
        (load("plain15"), True)
        if "plain15" in shipped
        else (
            KerasDeblurrer(
                build_model(ModelConfig(arch="plain15", channels=3, width=128)),
                name="plain15",
            ),
            False,
        )
    )
    fast = (load("fast"), True) if "fast" in shipped else (None, False)
    return {
        "default": default,
        "default_keras": default_keras,
        "default_onnx": default_onnx,
        "fast": fast,
        "plain15": plain,
    }


def load_keras_fast() -> object:
    """The shipped ``fast`` weights through Keras (for their multiply-adds)."""
    from deblur.inference import load

    return load("fast", runtime="keras")


def _macs_per_pixel(deblurrer: object) -> float:
    import warnings

    from deblur.models import model_stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return model_stats(deblurrer.model).macs_per_pixel  # type: ignore[attr-defined]


_MAKE_PHOTO = """
import sys
import numpy as np
kind, path = sys.argv[1:]
if kind == "noise":
    image = np.random.default_rng(0).random((3000, 4000, 3), dtype=np.float32)
else:
    from deblur.config import BlurConfig, PlateConfig
    from deblur.synth.degrade import make_pair
    from deblur.synth.frames import make_frame
    from deblur.synth.plates import make_plates
    plate = next(iter(make_plates(1, PlateConfig(style="uk"), 0))).image
    image = make_frame(plate, height=3000, width=4000, rng=0).image
    if kind == "blurred":  # every textured region blurred: the worst case
        cfg = BlurConfig(kind="linear", length=(15.0, 15.0), noise=(0.005, 0.005))
        image = make_pair(image, cfg, 0).blurred
np.save(path, image.astype(np.float32))
"""

_PHOTO = """
import json, resource, sys, time
import numpy as np
from deblur.inference import load, shipped_weights
name = sys.argv[2]
if name in shipped_weights():
    d = load(name)
else:  # TensorFlow is imported only here: the shipped ONNX path does not need it
    from deblur.config import ModelConfig
    from deblur.inference import KerasDeblurrer
    from deblur.models import build_model
    d = KerasDeblurrer(build_model(ModelConfig()))
image = np.load(sys.argv[1])
d(image[:300, :400])
start = time.perf_counter()
out = d(image)
seconds = time.perf_counter() - start
change = float(255 * np.abs(out - image).mean())
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_rss_mib": rss, "change": change}))
"""

PHOTOS = ("noise", "sharp", "blurred")
"""4000 x 3000 photos: uniform noise (as before 2026-12-01), a synthetic street frame
(:func:`deblur.synth.frames.make_frame`) as shot, and the same frame blurred 15 px."""


def photo_run(kind: str, model: str = "default") -> dict[str, float]:
    """Restore a 4000 x 3000 RGB photo in a fresh process; time and peak RSS.

    The photo is made by another process and loaded from a ``.npy`` file, so the peak
    RSS is that of loading and restoring it, not of synthesising it.
    """
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "photo.npy")
        subprocess.run(
            [sys.executable, "-c", _MAKE_PHOTO, kind, path], check=True, env=env
        )
        done = subprocess.run(
            [sys.executable, "-c", _PHOTO, path, model],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def tile_steps(change: np.ndarray, block: int = 256) -> float:
    """Largest difference of mean change between neighbouring block x block tiles."""
    means = np.array(
        [[change[r : r + block, c : c + block].mean()
          for c in range(0, change.shape[1], block)]
         for r in range(0, change.shape[0], block)]
    )  # fmt: skip
    return float(max(np.abs(np.diff(means, axis=a)).max(initial=0.0) for a in (0, 1)))


def frame_run(deblurrer: object) -> dict[str, float]:
    """A 1000 x 750 synthetic street frame: change when sharp, time when blurred."""
    from deblur.config import BlurConfig, PlateConfig
    from deblur.io import to_gray
    from deblur.synth.degrade import make_pair
    from deblur.synth.frames import make_frame
    from deblur.synth.plates import make_plates

    plate = next(iter(make_plates(1, PlateConfig(style="eu"), 1))).image
    sharp = make_frame(plate, height=750, width=1000, rng=1).image
    cfg = BlurConfig(kind="linear", length=(15.0, 15.0), noise=(0.005, 0.005))
    blurred = make_pair(sharp, cfg, 1).blurred
    change = 255.0 * (to_gray(deblurrer(sharp)) - to_gray(sharp))  # type: ignore[operator]
    return {
        "frame_sharp_ms": _median_ms(lambda: deblurrer(sharp), 3),  # type: ignore[operator]
        "frame_blurred_ms": _median_ms(lambda: deblurrer(blurred), 3),  # type: ignore[operator]
        "frame_change": float(np.abs(change).mean()),
        "frame_steps": tile_steps(change),
    }


def folder_run(
    deblurrer: object, count: int, batch: int, lanes: int, *, workers: int = 1
) -> float:
    """Plates per second over a folder of `count` 240 x 60 RGB PNGs (read+restore+write).

    The plates are the 17 px straight-blurred plate with fresh noise each, so every one
    goes through the network: random pixels would be passed through by the
    do-no-harm rule (``TileConfig.plate_pass_through``) and time nothing but I/O.
    With ``workers > 1`` `deblurrer` is a shipped model's name, loaded with one thread
    in each of that many worker processes (:func:`deblur.folder.
    deblur_jobs_in_processes`, what ``deblur run`` does for 256 files or more); their
    start-up is timed too.
    """
    import functools

    from deblur.folder import deblur_jobs, deblur_jobs_in_processes, plan_jobs
    from deblur.inference import load
    from deblur.io import to_uint8

    rng = np.random.default_rng(0)
    blurred = _blurred_plate()
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in", Path(tmp) / "out"
        src.mkdir()
        for i in range(count):
            noisy = np.clip(blurred + rng.normal(0, 0.004, blurred.shape), 0, 1)
            pixels = to_uint8(noisy.astype(np.float32))
            PILImage.fromarray(pixels).save(src / f"plate{i:04d}.png")
        start = time.perf_counter()
        jobs = plan_jobs(src, dst)
        if workers > 1:
            make = functools.partial(load, deblurrer, threads=1)
            done = deblur_jobs_in_processes(jobs, make, workers=workers, batch=batch)
        else:
            done = deblur_jobs(jobs, deblurrer, batch=batch, lanes=lanes)  # type: ignore[arg-type]
        results = list(done)
        seconds = time.perf_counter() - start
        assert all(r.status == "written" for r in results), "folder run failed"
    return count / seconds


app = typer.Typer(add_completion=False)


@app.command()
def main(
    plates: Annotated[
        int, typer.Option(help="Plates in the folder throughput rows.")
    ] = 1000,
    repeats: Annotated[
        int, typer.Option(help="Timed calls per plate row (median).")
    ] = 30,
    out: Annotated[Path, typer.Option(help="Markdown file to write.")] = Path(
        "results/perf.md"
    ),
) -> None:
    """Measure inference speed and memory, and write ``results/perf.md``."""

    from deblur.tiling import predict_seed_tiling, seed_tile_offsets

    load_before = os.getloadavg()
    gmacs = conv_gmacs()
    models = _deblurrers()
    default, default_shipped = models["default"]
    default_keras, _ = models["default_keras"]
    default_onnx, _ = models["default_onnx"]
    plain, plain_shipped = models["plain15"]
    plate = _blurred_plate()

    default_ms = _median_ms(lambda: default(plate), repeats)  # type: ignore[operator]
    keras_ms = _median_ms(lambda: default_keras(plate), repeats)  # type: ignore[operator]
    onnx_ms = _median_ms(lambda: default_onnx(plate), repeats)  # type: ignore[operator]
    from deblur import get_deblurrer
    from deblur.io import to_gray

    blind = get_deblurrer("blind_wiener")
    luma = to_gray(plate)[..., None]
    guide_ms = _median_ms(lambda: blind(luma), repeats)
    blind_ms = _median_ms(lambda: blind(plate), repeats)
    default_macs = _macs_per_pixel(default_keras)
    padded_pixels = 64 * 240  # the U-Net runs at a multiple of 8
    floor_ms = 1000.0 * default_macs * padded_pixels / (gmacs * 1e9)
    plain_ms = _median_ms(lambda: plain(plate), max(3, repeats // 6))  # type: ignore[operator]
    plain_macs = _macs_per_pixel(plain)
    plain_floor_ms = 1000.0 * plain_macs * PLATE[0] * PLATE[1] / (gmacs * 1e9)

    stride = 4
    timed_tiles = len(seed_tile_offsets(*PLATE, stride=stride))
    all_tiles = len(seed_tile_offsets(*PLATE))
    seed_fraction_ms = _median_ms(
        lambda: predict_seed_tiling(plain.predict_batch, plate, stride=stride),  # type: ignore[attr-defined]
        2,
    )
    seed_ms = seed_fraction_ms * all_tiles / timed_tiles

    from deblur.folder import BATCH, LANES

    photos = {kind: photo_run(kind) for kind in PHOTOS}
    fast, fast_shipped = models["fast"]
    fast_rows = {}
    if fast is not None:
        fast_rows = {
            "fast_ms": _median_ms(lambda: fast(plate), repeats),  # type: ignore[operator]
            "fast_macs_per_px": _macs_per_pixel(load_keras_fast()),
            "fast_plates_per_s": folder_run(fast, plates, BATCH, LANES),
            **{f"fast_photo_{m}": v for m, v in photo_run("blurred", "fast").items()},
            "fast_plates_per_s_processes": folder_run(
                "fast", plates, BATCH, 1, workers=WORKERS
            ),
        }
    frame = frame_run(default)
    plates_per_s_processes = folder_run("default", plates, BATCH, 1, workers=WORKERS)
    plates_per_s = folder_run(default, plates, BATCH, LANES)
    plates_per_s_two_lanes = folder_run(default, plates, BATCH, 2)
    plates_per_s_single = folder_run(default, plates, 1, 1)
    load_after = os.getloadavg()

    rows = {
        "conv_gmacs": gmacs,
        "default_ms": default_ms,
        "default_runtime": type(default).__name__,
        "default_keras_ms": keras_ms,
        "default_onnx_ms": onnx_ms,
        "guide_ms": guide_ms,
        "default_macs_per_px": default_macs,
        "default_floor_ms": floor_ms,
        "blind_wiener_ms": blind_ms,
        "plain15_ms": plain_ms,
        "plain15_macs_per_px": plain_macs,
        "plain15_floor_ms": plain_floor_ms,
        "seed_ms_extrapolated": seed_ms,
        "seed_tiles_timed": timed_tiles,
        "seed_tiles_total": all_tiles,
        **{f"photo_{k}_{m}": v for k, p in photos.items() for m, v in p.items()},
        **frame,
        **fast_rows,
        "plates_per_s": plates_per_s,
        "plates_per_s_processes": plates_per_s_processes,
        "workers": WORKERS,
        "plates_per_s_two_lanes": plates_per_s_two_lanes,
        "plates_per_s_single": plates_per_s_single,
        "batch": BATCH,
        "lanes": LANES,
        "photo_floor_s": default_macs * 3000 * 4000 / (gmacs * 1e9),
        "plates": plates,
        "load_before": load_before,
        "load_after": load_after,
    }
    print(json.dumps(rows, indent=2))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_report(rows, default_shipped, plain_shipped))


def _photo_rows(r: dict) -> str:
    rows = []
    for kind, label in zip(PHOTOS, ("uniform noise", "synthetic street frame, sharp",
                                     "the same frame blurred 15 px"), strict=True):  # fmt: skip
        seconds, rss = r[f"photo_{kind}_seconds"], r[f"photo_{kind}_peak_rss_mib"]
        rows.append(
            f"| default U-Net, region by region (256 px tiles, 32 px overlap) "
            f"| 4000x3000 RGB photo: {label} | {seconds:.1f} s | {r['photo_floor_s']:.1f} s "
            f"| {seconds / r['photo_floor_s']:.1f}x the floor, target 6 s; peak RSS "
            f"{rss:.0f} MiB ({'under' if rss < 2048 else 'OVER'} 2 GiB); mean change "
            f"{r[f'photo_{kind}_change']:.2f} grey levels |\n"
        )
    return "".join(rows)


def _fast_rows(r: dict) -> str:
    """Rows of the shipped ``fast`` model (none when it is not shipped)."""
    if "fast_ms" not in r:
        return ""
    floor_ms = r["default_floor_ms"] * r["fast_macs_per_px"] / r["default_macs_per_px"]
    return (
        f'| `fast` (width 8, shipped weights), `load("fast")` | 240x60 RGB plate (17 px '
        f"blur) | **{r['fast_ms']:.1f} ms** | {floor_ms:.1f} ms "
        f"({r['fast_macs_per_px']:,.0f} MACs/px) | the default takes "
        f"{r['default_ms'] / r['fast_ms']:.1f}x as long |\n"
        f"| `fast`, region by region | 4000x3000 RGB photo: the same frame blurred 15 px "
        f"| **{r['fast_photo_seconds']:.1f} s** | "
        f"{r['photo_floor_s'] * r['fast_macs_per_px'] / r['default_macs_per_px']:.1f} s "
        f"| target 6 s; peak RSS {r['fast_photo_peak_rss_mib']:.0f} MiB; the default "
        f"takes {r['photo_blurred_seconds'] / r['fast_photo_seconds']:.1f}x as long |\n"
        f"| `fast`, `deblur run` on a folder: {r['workers']} worker processes "
        f"(`deblur_jobs_in_processes`, start-up included) | {r['plates']} plates 240x60 "
        f"| **{r['fast_plates_per_s_processes']:.1f} plates/s** | "
        f"{1000 / floor_ms:.0f} plates/s | target 150 plates/s; "
        f"{r['fast_plates_per_s_processes'] / r['plates_per_s_processes']:.1f}x the "
        "default's rate |\n"
        f"| `fast`, in one process: `deblur_jobs` in steps of {r['batch']} "
        f"| {r['plates']} plates 240x60 | "
        f"{r['fast_plates_per_s']:.1f} plates/s | | |\n"
    )


def _blurred_plate() -> np.ndarray:
    """A synthetic 240x60 UK plate with a 17 px linear blur: what the model really sees."""
    from deblur.config import BlurConfig, PlateConfig
    from deblur.synth.degrade import make_pair
    from deblur.synth.plates import make_plates

    sharp = next(
        iter(make_plates(1, PlateConfig(style="uk", height=PLATE[0]), 0))
    ).image
    cfg = BlurConfig(kind="linear", length=(17.0, 17.0), noise=(0.005, 0.005))
    return make_pair(sharp, cfg, 0).blurred


def _report(r: dict, default_shipped: bool, plain_shipped: bool) -> str:
    weights = lambda shipped: "shipped weights" if shipped else "random init"  # noqa: E731
    verdict = "meets" if r["default_ms"] <= TARGET_MS else "misses"
    contended = (
        ": **the CPU was shared with other jobs, so these numbers are contended**"
        if r["load_before"][0] > 1.5
        else " (quiet machine)"
    )
    return f"""# Inference speed (`benchmarks/perf.py`)

Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores,
Python {platform.python_version()}, CPU only. Load average {r["load_before"][0]:.1f} before,
{r["load_after"][0]:.1f} after{contended}.
Wall-clock medians after one warm-up call.

Convolution throughput of this machine (3x3 Conv2D 64->64 on 256x256):
**{r["conv_gmacs"]:.1f} GMAC/s**. A model's floor is its multiply-adds / this throughput.

| what | input | time | floor | vs target / ratio |
|---|---|---|---|---|
| default U-Net ({weights(default_shipped)}), `load("default")` = `{r["default_runtime"]}` | 240x60 RGB plate (17 px blur) | **{r["default_ms"]:.1f} ms** | {r["default_floor_ms"]:.1f} ms ({r["default_macs_per_px"]:,.0f} MACs/px x 240x64) | {verdict} the {TARGET_MS:.0f} ms target |
| of which the blind Wiener guide (on the luminance; FFTs, no network) | 240x60 luminance | {r["guide_ms"]:.1f} ms | | network and colour ~{r["default_ms"] - r["guide_ms"]:.1f} ms |
| the same model through onnxruntime, `load("default", runtime="onnx")` | 240x60 RGB plate | {r["default_onnx_ms"]:.1f} ms | | `{r["default_runtime"]}` is {r["default_onnx_ms"] / r["default_ms"]:.2f}x as fast |
| the same model through TensorFlow, `load("default", runtime="keras")` | 240x60 RGB plate | {r["default_keras_ms"]:.1f} ms | | `{r["default_runtime"]}` is {r["default_keras_ms"] / r["default_ms"]:.1f}x as fast |
| `blind_wiener` candidate (3 colour planes) | 240x60 RGB plate | {r["blind_wiener_ms"]:.1f} ms | | |
| plain15 (2017 net, {weights(plain_shipped)}), one pass | 240x60 RGB plate | {r["plain15_ms"]:.0f} ms | {r["plain15_floor_ms"]:.0f} ms ({r["plain15_macs_per_px"]:,.0f} MACs/px) | default is {r["plain15_ms"] / r["default_ms"]:.0f}x faster |
| plain15 + 2017 stride-1 seed tiling | 240x60 RGB plate | {r["seed_ms_extrapolated"] / 1000:.0f} s (extrapolated) | | default is {r["seed_ms_extrapolated"] / r["default_ms"]:,.0f}x faster |
{_photo_rows(r)}| default U-Net, frame region by region | 1000x750 street frame, sharp | {r["frame_sharp_ms"] / 1000:.2f} s | | changed by {r["frame_change"]:.2f} grey levels on average (target <= 1.5), largest step between neighbouring 256 px tiles {r["frame_steps"]:.2f} (target <= 0.5) |
| the same frame blurred 15 px | 1000x750 street frame | {r["frame_blurred_ms"] / 1000:.2f} s | | |
{_fast_rows(r)}| default U-Net, `deblur run` on a folder: {r["workers"]} worker processes (start-up included) | {r["plates"]} plates 240x60 | **{r["plates_per_s_processes"]:.1f} plates/s** | | target 150 plates/s |
| default U-Net, in one process: `deblur_jobs` in steps of {r["batch"]} (read ahead, model calls of up to 16 k pixels per runtime thread, write behind) | {r["plates"]} plates 240x60 | {r["plates_per_s"]:.1f} plates/s | {1000 / r["default_floor_ms"]:.0f} plates/s | {1000 / r["plates_per_s"]:.1f} ms/plate end to end, {r["default_floor_ms"] * r["plates_per_s"] / 1000:.2f} of the floor's rate; target 150 plates/s |
| the same, two steps at a time (`lanes=2`) | {r["plates"]} plates 240x60 | {r["plates_per_s_two_lanes"]:.1f} plates/s | | 2 lanes are {r["plates_per_s_two_lanes"] / r["plates_per_s"]:.2f}x as fast as {r["lanes"]} |
| the same, one plate at a time (`batch=1, lanes=1`, as before 2026-12-01) | {r["plates"]} plates 240x60 | {r["plates_per_s_single"]:.1f} plates/s | | steps of {r["batch"]} are {r["plates_per_s"] / r["plates_per_s_single"]:.2f}x as fast |

Notes

- Seed tiling: {r["seed_tiles_timed"]} of the {r["seed_tiles_total"]:,} tiles of a 240x60
  plate were run (stride 4, including the per-tile PIL blends) and the time was scaled
  linearly by {r["seed_tiles_total"] / r["seed_tiles_timed"]:.0f}.
- Photos run in a fresh subprocess each; peak RSS (`ru_maxrss`) includes the runtime
  itself (LiteRT for the shipped models; TensorFlow is not imported). Frames are
  restored region by region (256 px tiles): each tile gets its own blur estimate and
  guide, and tiles without measurable motion blur skip the model. Uniform noise and the
  sharp frame are mostly such tiles; the blurred frame is the worst case, where every
  textured tile goes through the model.
- On a shared machine every time grows with the load, the floor's too (it is measured
  in the same run): compare runs by the ratio to the floor, not by the times. Quiet on
  2026-11-30 (178.6 GMAC/s): a plate took 14.7 ms (7.7x its 1.9 ms floor), a folder
  ran at 52.7 plates/s (0.10 of the floor's 526 plates/s), the 4000x3000 noise photo
  took 18.9 s (one guide per frame then; 12.6x its 1.5 s floor). Quiet on 2026-12-01
  before LiteRT, the fast model, lanes and the cheaper I/O (100.2 GMAC/s): a plate
  took 19.2 ms through onnxruntime, a folder ran at 46.9 plates/s, the blurred
  4000x3000 frame took 22.3 s.
- Run-to-run spread on this VM is large even when it is quiet. Seven runs on
  2026-12-01 after LiteRT (the last with the learned plate gate) gave a plate
  11.7-13.3 ms through the default in five runs and 16.5 and 18.4 ms in two slower
  ones, the blurred 4000x3000 frame 10.7-17.0 s with the default and 6.0-8.3 s with
  `fast` (5.8 s once in-process), the `fast`
  folder in two processes 120.3-146.0 plates/s and the default's 81.7-93.9 plates/s;
  compare rows within one run. onnxruntime took 17.1-19.7 ms a plate in four runs and
  28-36 ms in three: its threads then competed with those LiteRT had started in the
  same process.
- 2026-12-02: the exported files are made from the models' export form
  (`deblur/models/export_form.py`: LayerNorm, residual scales and the upsampling in
  plain ops, so XNNPACK takes the whole graph), the guide's and the estimate's FFTs are
  float32, model calls take 16 k pixels per runtime thread, worker processes start
  about 1 s sooner (no `scipy.signal` import) and freeze their start-up objects out of
  the GC. This VM was about 1.35x slower that day than on 2026-12-01 (plain15: 511
  against 378 ms), so the table above barely moved; interleaved runs against the
  2026-12-01 code on the same minute (`benchmarks/ab_folder.py`, three rounds each)
  measured the folder in two processes at 109-124 against 72-86 plates/s with `fast`
  and 72-79 against 53-59 with the default (medians 1.38x and 1.45x), and the network
  alone 1.4-1.7x as fast on plates and 256 px tiles.
- 2026-12-02, second stop, same code all afternoon: within 45 minutes the `fast` folder
  in two processes ran at 151, 138, 115, 109, 114 and 112 plates/s, the default's at
  96, 82, 79, 85, 85 and 93; the blurred 4000x3000 frame took 4.7-7.8 s with `fast`
  and 8.4-10.3 s with the default. A worker's CPU per plate (1,000 plates, start-up
  included) was 12.7 ms with `fast` and 19.9 ms with the default, of which LiteRT's
  `invoke` is about half; the rest is the blur estimate (1.3 ms), the guide (1.4 ms),
  PNG coding (0.4 ms read, 1.8 ms write; since then zlib's Z_RLE strategy cut the
  encoder's part from 1.69 to 1.25 ms) and start-up. The default's network alone
  takes 10.8 ms a plate on one thread in steps of 16, so two cores cannot restore more
  than about 185 plates/s with it before any I/O.
- "random init" rows time the architecture only (speed does not depend on the weights);
  rerun once `deblur/weights/*.keras` exist to time `load()` on the shipped files.
"""


if __name__ == "__main__":
    app()
