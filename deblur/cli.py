"""``deblur synth ...``: the command-line face of the `deblur` package.

Commands only parse options, build a config, call one library function and print a
one-line summary on stdout. Progress bars and error lines go to stderr. Known errors
(``ValueError``, ``KeyError``, ``FileNotFoundError``) become one red line and exit
code 2; ``--debug`` re-raises them with the traceback. New commands wrap their body
in :func:`_run_cli` and take the shared :data:`Debug` option.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import track

from deblur.config import BlurConfig, PlateConfig

__all__ = ["app", "synth_app"]

T = TypeVar("T")
KNOWN_ERRORS = (ValueError, KeyError, FileNotFoundError, FileExistsError)

app = typer.Typer(
    help="Remove motion blur from licence-plate images.", no_args_is_help=True
)
synth_app = typer.Typer(help="Generate synthetic datasets.", no_args_is_help=True)
app.add_typer(synth_app, name="synth")
_stderr = Console(stderr=True)

Debug = Annotated[
    bool, typer.Option("--debug", help="Re-raise errors with the traceback.")
]
Overwrite = Annotated[
    bool, typer.Option("--overwrite", help="Replace a previous dataset in --out.")
]


def _run_cli(fn: Callable[[], T], debug: bool) -> T:
    """Call `fn`; known errors become one red line on stderr and exit code 2."""
    try:
        return fn()
    except KNOWN_ERRORS as err:
        if debug:
            raise
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        _stderr.print(f"[red]error: {escape(str(message))}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None


def _progress(description: str) -> Callable[[Iterable[T], int], Iterable[T]]:
    """A ``track(items, total)`` hook for library writers: a rich bar on stderr."""

    def wrap(items: Iterable[T], total: int) -> Iterable[T]:
        return track(
            items, description=description, total=total, console=_stderr, transient=True
        )

    return wrap


def _summary(verb: str, count: int, unit: str, out: Path, start: float) -> None:
    seconds = max(time.perf_counter() - start, 1e-9)
    typer.echo(
        f"{verb} {count} {unit} to {out} in {seconds:.1f} s ({count / seconds:.1f} {unit}/s)"
    )


def _report_failures(failures: list[str]) -> None:
    """Print one red ``failed:`` line per input that was skipped; exit 1 if any."""
    for line in failures:
        _stderr.print(f"[red]failed: {escape(line)}[/red]", soft_wrap=True)
    if failures:
        raise typer.Exit(1)


def _naming(path: Path, error: str) -> str:
    """`error` as one line that names `path` once (readers already name it)."""
    return error if str(path) in error else f"{path}: {error}"


def _parse_pair(value: str, name: str, sep: str, kind: type[T]) -> tuple[T, T]:
    parts = value.lower().split(sep)
    try:
        first, second = (kind(p) for p in parts)  # type: ignore[call-arg]
    except ValueError:
        raise ValueError(f"--{name} must look like A{sep}B, got {value!r}") from None
    return first, second


def _plate_config(
    style: str,
    size: str | None,
    *,
    noise: bool,
    background: bool,
    border: bool,
    geometry: bool,
    illumination: bool,
) -> PlateConfig:
    options: dict[str, object] = {"style": style, "background": background}
    options["border"] = border
    if size is not None and "x" not in size:
        options["width"] = _parse_pair(f"{size}x0", "size", "x", int)[0]
    elif size is not None:
        options["width"], options["height"] = _parse_pair(size, "size", "x", int)
    if not noise:
        options["noise"] = 0.0
    if not geometry:
        options |= {"scale_jitter": 0.0, "rotation": 0.0, "perspective": 0.0}
    if not illumination:
        options["illumination"] = 0.0
    return PlateConfig(**options)  # type: ignore[arg-type]


@synth_app.command("plates")
def synth_plates(
    out: Annotated[Path, typer.Option(help="Output folder (created; must be empty).")],
    count: Annotated[int, typer.Option(help="Number of plates.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 0,
    style: Annotated[str, typer.Option(help="any, uk, eu or us.")] = "any",
    size: Annotated[
        str | None, typer.Option(help="WxH, or W (height by style).")
    ] = None,
    noise: Annotated[bool, typer.Option(help="Sensor noise.")] = True,
    background: Annotated[bool, typer.Option(help="Textured background.")] = True,
    border: Annotated[bool, typer.Option(help="Plate border.")] = True,
    geometry: Annotated[
        bool, typer.Option(help="Scale, rotation, perspective.")
    ] = True,
    illumination: Annotated[bool, typer.Option(help="Uneven illumination.")] = True,
    overwrite: Overwrite = False,
    debug: Debug = False,
) -> None:
    """Render synthetic sharp plates into OUT with labels.csv and config.json."""
    from deblur.synth.dataset import write_plates_dataset

    def body() -> None:
        cfg = _plate_config(
            style,
            size,
            noise=noise,
            background=background,
            border=border,
            geometry=geometry,
            illumination=illumination,
        )
        start = time.perf_counter()
        rows = write_plates_dataset(
            out,
            count,
            cfg,
            seed=seed,
            overwrite=overwrite,
            track=_progress("plates"),
        )
        _summary("wrote", len(rows), "plates", out, start)

    _run_cli(body, debug)


@synth_app.command("blur")
def synth_blur(
    in_dir: Annotated[Path, typer.Option("--in", help="Folder of sharp images.")],
    out: Annotated[Path, typer.Option(help="Output folder (created; must be empty).")],
    copies: Annotated[int, typer.Option(help="Blurred copies per sharp image.")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 0,
    crop: Annotated[
        str | None, typer.Option(help="Patch size WxH, e.g. 40x20.")
    ] = None,
    kind: Annotated[
        str, typer.Option(help="seed2017, linear, trajectory, ...")
    ] = "seed2017",
    length: Annotated[
        str | None, typer.Option(help="Blur length range LO,HI px.")
    ] = None,
    noise: Annotated[str | None, typer.Option(help="Noise sigma range LO,HI.")] = None,
    overwrite: Overwrite = False,
    debug: Debug = False,
) -> None:
    """Write blurred/sharp pairs, PSFs and manifest.csv for every image of --in.

    Images that cannot be read are listed at the end and the exit code is 1; all
    others are still written.
    """
    from deblur.synth.dataset import write_blurred_dataset

    failures: list[str] = []

    def on_error(path: Path, err: Exception) -> None:
        failures.append(_naming(path, str(err)))

    def body() -> None:
        options: dict[str, object] = {"kind": kind}
        if length is not None:
            options["length"] = _parse_pair(length, "length", ",", float)
        if noise is not None:
            options["noise"] = _parse_pair(noise, "noise", ",", float)
        blur = BlurConfig(**options)  # type: ignore[arg-type]
        box = None if crop is None else _parse_pair(crop, "crop", "x", int)
        start = time.perf_counter()
        rows = write_blurred_dataset(
            in_dir,
            out,
            copies,
            seed=seed,
            crop=box,
            blur=blur,
            overwrite=overwrite,
            track=_progress("blurred copies"),
            on_error=on_error,
        )
        _summary("wrote", len(rows), "copies", out, start)

    _run_cli(body, debug)
    _report_failures(failures)


@app.command("train")
def train_command(
    out: Annotated[Path, typer.Option(help="Run folder (checkpoints, log, model).")],
    arch: Annotated[str, typer.Option(help="plain15, res15 or unet.")] = "unet",
    data: Annotated[
        Path | None,
        typer.Option(
            help="Folder of sharp images (or a `synth blur` output); "
            "synthetic plates when omitted."
        ),
    ] = None,
    channels: Annotated[int, typer.Option(help="1 = luminance, 3 = RGB.")] = 1,
    width: Annotated[int, typer.Option(help="Base filters.")] = 16,
    guide: Annotated[
        str, typer.Option(help="unet guide image: blind_wiener or none.")
    ] = "blind_wiener",
    blocks: Annotated[
        str, typer.Option(help="unet blocks per level, e.g. 1,1,2,4.")
    ] = "1,1,2,4",
    steps: Annotated[int, typer.Option(help="Optimiser steps.")] = 6000,
    batch: Annotated[int, typer.Option(help="Patches per step.")] = 12,
    patch: Annotated[str, typer.Option(help="Patch HxW.")] = "48x128",
    lr: Annotated[float, typer.Option(help="Peak learning rate.")] = 1e-3,
    loss: Annotated[str, typer.Option(help="mse, l1 or charbonnier.")] = "charbonnier",
    edge_weight: Annotated[float, typer.Option(help="Gradient-loss weight.")] = 0.05,
    plates: Annotated[int, typer.Option(help="Synthetic source plates.")] = 3000,
    val_every: Annotated[
        int, typer.Option(help="Validate/checkpoint every N steps.")
    ] = 250,
    patience: Annotated[
        int, typer.Option(help="Early stopping patience (0 = off).")
    ] = 0,
    max_cpu_s: Annotated[
        float | None, typer.Option(help="Stop after this many CPU-seconds.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    ocr_weight: Annotated[
        float,
        typer.Option(
            help="Weight of the plate reader's CTC loss (OCR-aware training on "
            "whole plates: synthetic, or --data with a labels.csv; 0 = off)."
        ),
    ] = 0.0,
    config: Annotated[
        Path | None, typer.Option(help="JSON TrainConfig; overrides the options above.")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run.")] = False,
    distribute: Annotated[
        str,
        typer.Option(
            help="none, or mirrored: data-parallel on every visible GPU "
            "(tf.distribute.MirroredStrategy)."
        ),
    ] = "none",
    debug: Debug = False,
) -> None:
    """Train a model on blurred/sharp pairs generated on the fly.

    Images in --data that cannot be read are listed at the end and the exit code is
    1; training uses the others.
    """
    import json
    import logging

    from deblur.config import ModelConfig, TrainConfig, from_dict
    from deblur.train import load_labelled_sources, load_sources, train

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    failures: list[str] = []

    def on_error(path: Path, err: Exception) -> None:
        failures.append(_naming(path, str(err)))

    def body() -> None:
        blocks_t = tuple(int(b) for b in blocks.split(","))
        model_cfg = ModelConfig(arch=arch, channels=channels, width=width)
        if arch == "unet":
            model_cfg = ModelConfig(
                arch=arch,
                channels=channels,
                width=width,
                depth=len(blocks_t) - 1,
                blocks=blocks_t,
                guide=guide,
            )
        if config is not None:
            cfg = from_dict(TrainConfig, json.loads(config.read_text()))
        else:
            cfg = TrainConfig(
                steps=steps,
                batch=batch,
                patch=_parse_pair(patch, "patch", "x", int),
                lr=lr,
                loss=loss,
                edge_weight=edge_weight,
                plates=plates,
                val_every=val_every,
                patience=patience,
                max_cpu_s=max_cpu_s,
                seed=seed,
                ocr_weight=ocr_weight,
            )
        sources, texts = None, None
        if data is not None and cfg.ocr_weight:
            sources, texts = load_labelled_sources(data, on_error=on_error)
        elif data is not None:
            sources = load_sources(data, on_error=on_error)
        result = train(
            model_cfg,
            cfg,
            out,
            sources=sources,
            texts=texts,
            data_description="synthetic" if data is None else str(data),
            resume=resume,
            distribute=distribute,
        )
        typer.echo(
            f"trained {result.steps} steps into {out}: best validation PSNR "
            f"{result.best_val_psnr:.2f} dB, {result.wall_s:.0f} s wall, {result.cpu_s:.0f} s CPU"
        )

    _run_cli(body, debug)
    _report_failures(failures)


@app.command("train-reader")
def train_reader_command(
    out: Annotated[Path, typer.Option(help="The .keras file to write.")],
    steps: Annotated[int, typer.Option(help="Optimiser steps.")] = 2500,
    plates: Annotated[int, typer.Option(help="Synthetic training plates.")] = 6000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 11,
    debug: Debug = False,
) -> None:
    """Train the CRNN plate reader that OCR-aware training (--ocr-weight) uses."""
    from deblur.reader import train_reader

    def body() -> None:
        result = train_reader(out, steps=steps, plates=plates, seed=seed)
        typer.echo(
            f"trained the reader for {result.steps} steps into {out}: "
            f"{result.val_exact:.1%} of held-out sharp plates read exactly, "
            f"{result.wall_s:.0f} s"
        )

    _run_cli(body, debug)


@app.command("run")
def run_command(
    source: Annotated[Path, typer.Argument(help="Image file or folder of images.")],
    target: Annotated[
        str,
        typer.Argument(
            help="Output file (its extension picks the format), or a folder: an "
            "existing one or a path ending in / (created); always a folder for a "
            "folder input."
        ),
    ],
    model: Annotated[
        str,
        typer.Option(help="Shipped weights name, .keras/.onnx file or run folder."),
    ] = "default",
    recursive: Annotated[
        bool, typer.Option("--recursive", help="Include sub-folders.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace existing outputs.")
    ] = False,
    seed_tiling: Annotated[
        bool,
        typer.Option("--seed-tiling", help="2017 stride-1 40x20 tiling (very slow)."),
    ] = False,
    tile: Annotated[int, typer.Option(help="Tile side for large images.")] = 256,
    overlap: Annotated[int, typer.Option(help="Tile overlap in pixels.")] = 32,
    debug: Debug = False,
) -> None:
    """Deblur an image or a folder, keeping names, formats, sizes and modes.

    A single file goes to TARGET, written in the format its extension names (an
    unknown extension is refused), or into TARGET/<name> when TARGET is an existing
    folder or ends in /. Palette images are written as RGB (RGBA with transparency),
    16-bit grayscale stays 16-bit and alpha is kept where the output format holds them,
    and EXIF rotation is applied. Files that cannot be read are
    listed at the end and the exit code is 1; everything else is still written.
    """
    from deblur.config import TileConfig
    from deblur.folder import deblur_jobs, plan_jobs
    from deblur.inference import load

    def body() -> list[str]:
        cfg = TileConfig(tile=tile, overlap=overlap)
        jobs = plan_jobs(source, target, recursive=recursive)
        # Loaded before the empty-folder check: a bad model is reported either way.
        deblurrer = load(model, tile=cfg, seed_tiling=seed_tiling)
        if not jobs:
            hint = "" if recursive else " (images in sub-folders need --recursive)"
            typer.echo(f"no images to restore in {source}{hint}")
            return []
        start = time.perf_counter()
        results = deblur_jobs(jobs, deblurrer, overwrite=overwrite)
        counts = {"written": 0, "skipped": 0, "failed": 0}
        failures = []
        for result in _progress("deblurring")(results, len(jobs)):
            counts[result.status] += 1
            if result.status == "failed":
                failures.append(_naming(result.source, result.error or "failed"))
        _summary("restored", counts["written"], "images", Path(target), start)
        if counts["skipped"]:
            typer.echo(
                f"skipped {counts['skipped']} existing outputs (use --overwrite)"
            )
        return failures

    _report_failures(_run_cli(body, debug))


@app.command("export")
def export_command(
    model: Annotated[
        str, typer.Argument(help="Shipped weights name, .keras file or run folder.")
    ],
    out: Annotated[Path, typer.Option(help="Output .onnx or .tflite file.")],
    format: Annotated[str, typer.Option(help="onnx or tflite.")] = "onnx",
    height: Annotated[int, typer.Option(help="TFLite fixed input height.")] = 64,
    width: Annotated[int, typer.Option(help="TFLite fixed input width.")] = 256,
    debug: Debug = False,
) -> None:
    """Export a model to ONNX (any input size) or TFLite (fixed input size)."""
    from deblur.export import export_model

    def body() -> None:
        result = export_model(model, out, format=format, height=height, width=width)
        typer.echo(
            f"exported {model} to {result.path} ({result.format}); "
            f"max |difference| to Keras {result.max_abs_error:.2e}"
        )

    _run_cli(body, debug)


@app.command("models")
def models_command(debug: Debug = False) -> None:
    """List the architectures with parameters and multiply-adds per pixel."""
    import warnings

    from deblur.config import ModelConfig
    from deblur.inference import load_keras_model, resolve_model, shipped_weights
    from deblur.models import build_model, model_stats

    configs = {
        "plain15 (2017, RGB)": ModelConfig(arch="plain15", channels=3, width=128),
        "res15": ModelConfig(arch="res15"),
        "unet (default)": ModelConfig(guide="blind_wiener"),  # the shipped design
        "unet (no guide)": ModelConfig(),
    }

    def row(label: str, model: object, detail: str) -> None:
        with warnings.catch_warnings():  # keras warns about the probe's input name
            warnings.simplefilter("ignore", UserWarning)
            stats = model_stats(model)  # type: ignore[arg-type]
        typer.echo(
            f"{label:<22}{stats.params:>12,}{stats.macs_per_pixel:>12,.0f}  {detail}"
        )

    def body() -> None:
        typer.echo(f"{'architecture':<22}{'params':>12}{'MACs/px':>12}  config")
        for label, cfg in configs.items():
            detail = f"channels={cfg.channels} width={cfg.width}"
            if cfg.arch == "unet":
                detail += f" depth={cfg.depth} blocks={cfg.blocks} guide={cfg.guide}"
            row(label, build_model(cfg), detail)
        for name in shipped_weights():
            model = load_keras_model(resolve_model(name))
            row(f"{name} (shipped)", model, f"deblur/weights/{name}.keras")
        typer.echo(f"shipped weights: {', '.join(shipped_weights()) or 'none'}")

    _run_cli(body, debug)
