"""``deblur synth ...``: the command-line face of the `deblur` package.

Commands only parse options, build a config, call one library function and print a
one-line summary on stdout. Progress bars and error lines go to stderr. Both CLIs
share one convention (:mod:`deblur.clikit`): known errors (``ValueError``,
``KeyError``, ``FileNotFoundError``, ``FileExistsError``) become one red line and
exit code 2; ``--debug`` re-raises them with the traceback and shows TensorFlow's
start-up lines, which are hidden otherwise. New commands wrap their body in
:func:`deblur.clikit.run_cli` and take the shared :data:`deblur.clikit.Debug` option.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.progress import track

from deblur.clikit import Debug, log_to_stderr, run_cli, step_progress
from deblur.clikit import stderr as _stderr
from deblur.config import (
    Arch,
    BlurConfig,
    BlurKind,
    Distribute,
    Guide,
    Loss,
    ModelConfig,
    PlateConfig,
    PlatePreset,
    TrainConfig,
    from_dict,
)
from deblur.types import Image

__all__ = ["app", "synth_app"]

T = TypeVar("T")

app = typer.Typer(
    help="Remove motion blur from licence-plate images.", no_args_is_help=True
)
synth_app = typer.Typer(help="Generate synthetic datasets.", no_args_is_help=True)
app.add_typer(synth_app, name="synth")

Overwrite = Annotated[
    bool, typer.Option("--overwrite", help="Replace a previous dataset in --out.")
]


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


class StyleChoice(str, Enum):
    """``--style``: one plate style, or "any" to draw one per plate."""

    any = "any"
    uk = "uk"
    eu = "eu"
    us = "us"
    cn = "cn"
    br = "br"
    br_old = "br_old"


class SchemeChoice(str, Enum):
    """``--scheme``: "auto" (each style's usual colours) or one colour scheme."""

    auto = "auto"
    black_on_white = "black_on_white"
    black_on_yellow = "black_on_yellow"
    red_on_white = "red_on_white"
    white_on_blue = "white_on_blue"
    white_on_green = "white_on_green"
    white_on_black = "white_on_black"
    yellow_on_black = "yellow_on_black"
    black_on_grey = "black_on_grey"
    white_on_red = "white_on_red"


_STYLE_HELP = ", ".join(s.value for s in StyleChoice)


def _style_names(value: str) -> str:
    """``--style`` check at parse time: each comma-separated name is a StyleChoice."""
    names = {s.value for s in StyleChoice}
    for name in value.replace(" ", "").split(","):
        if name not in names:
            choices = ", ".join(repr(s.value) for s in StyleChoice)
            raise typer.BadParameter(f"{name!r} is not one of {choices}.")
    return value


def _plate_config(
    style: str,
    size: str | None,
    *,
    noise: bool,
    background: bool,
    border: bool,
    geometry: bool,
    illumination: bool,
    preset: str = "classic",
    looks: Mapping[str, object] | None = None,
) -> PlateConfig:
    """`preset`'s PlateConfig with the given options; None looks keep the preset's."""
    options: dict[str, object] = {"style": style, "background": background}
    if "," in style:
        options |= {"style": "any", "styles": tuple(style.replace(" ", "").split(","))}
    options |= {k: v for k, v in (looks or {}).items() if v is not None}
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
    return dataclasses.replace(PlateConfig.preset(preset), **options)  # type: ignore[arg-type]


@synth_app.command("plates")
def synth_plates(
    out: Annotated[Path, typer.Option(help="Output folder (created; must be empty).")],
    count: Annotated[int, typer.Option(help="Number of plates.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 0,
    style: Annotated[
        str,
        typer.Option(
            help=f"{_STYLE_HELP}, or a comma list to draw from, e.g. cn,br.",
            callback=_style_names,
        ),
    ] = StyleChoice.any.value,
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
    preset: Annotated[
        PlatePreset,
        typer.Option(help="classic (default looks) or variety (all looks on)."),
    ] = PlatePreset.classic,
    scheme: Annotated[
        SchemeChoice | None,
        typer.Option(help="Colour scheme for every plate; the preset's when omitted."),
    ] = None,
    scheme_variety: Annotated[
        float | None, typer.Option(help="P(another real-world colour scheme).")
    ] = None,
    bolts: Annotated[float | None, typer.Option(help="P(two screw heads).")] = None,
    dirt: Annotated[float | None, typer.Option(help="P(dirt and speckle).")] = None,
    shadow: Annotated[float | None, typer.Option(help="P(a soft shadow).")] = None,
    car: Annotated[float | None, typer.Option(help="P(car body around).")] = None,
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
            preset=preset.value,
            looks={"scheme": None if scheme is None else scheme.value}
            | {"scheme_variety": scheme_variety, "bolts": bolts, "dirt": dirt}
            | {"shadow": shadow, "car": car},
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

    run_cli(body, debug)


@synth_app.command("blur")
def synth_blur(
    in_dir: Annotated[Path, typer.Option("--in", help="Folder of sharp images.")],
    out: Annotated[Path, typer.Option(help="Output folder (created; must be empty).")],
    copies: Annotated[int, typer.Option(help="Blurred copies per sharp image.")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 0,
    crop: Annotated[
        str | None, typer.Option(help="Patch size WxH, e.g. 40x20.")
    ] = None,
    kind: Annotated[BlurKind, typer.Option(help="PSF family.")] = BlurKind.seed2017,
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
        options: dict[str, object] = {"kind": kind.value}
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

    run_cli(body, debug)
    _report_failures(failures)


_MODEL = ModelConfig()
_TRAIN = TrainConfig()
_MODEL_FIELDS = {"arch", "channels", "width", "guide", "guide_blend", "blocks"}
_TRAIN_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}
# Option defaults, as the CLI spells them, read from the config dataclasses.
_ARCH, _GUIDE, _LOSS = Arch(_MODEL.arch), Guide(_MODEL.guide), Loss(_TRAIN.loss)
_PLATE_PRESET = PlatePreset(_TRAIN.plate_preset)
_BLOCKS = ",".join(str(b) for b in _MODEL.blocks)
_PATCH = f"{_TRAIN.patch[1]}x{_TRAIN.patch[0]}"  # WxH; TrainConfig.patch is (H, W)

TrainOut = Annotated[Path, typer.Option(help="Run folder (checkpoints, log, model).")]
DataOpt = Annotated[
    Path | None,
    typer.Option(
        help="Folder of sharp images (or a `synth blur` output); "
        "synthetic plates when omitted."
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        help="JSON file of TrainConfig fields, and optionally ModelConfig fields "
        'under "model". Options given on the command line override it; it '
        "overrides the defaults shown here."
    ),
]


@app.command("train")
def train_command(
    ctx: typer.Context,
    out: TrainOut,
    data: DataOpt = None,
    config: ConfigOpt = None,
    arch: Annotated[Arch, typer.Option(help="Architecture.")] = _ARCH,
    channels: Annotated[int, typer.Option(help="1 = luminance, 3 = RGB.")] = _MODEL.channels,
    width: Annotated[int, typer.Option(help="Base filters.")] = _MODEL.width,
    guide: Annotated[Guide, typer.Option(help="unet guide image.")] = _GUIDE,
    guide_blend: Annotated[bool, typer.Option(help="Correct a learned per-pixel blend of input and guide (needs --guide).")] = _MODEL.guide_blend,
    blocks: Annotated[str, typer.Option(help="unet blocks per level (sets the depth).")] = _BLOCKS,
    steps: Annotated[int, typer.Option(help="Optimiser steps.")] = _TRAIN.steps,
    batch: Annotated[int, typer.Option(help="Patches (or plates) per step.")] = _TRAIN.batch,
    patch: Annotated[str, typer.Option(help="Patch size WxH.")] = _PATCH,
    lr: Annotated[float, typer.Option(help="Peak learning rate.")] = _TRAIN.lr,
    loss: Annotated[Loss, typer.Option(help="Pixel loss.")] = _LOSS,
    edge_weight: Annotated[float, typer.Option(help="Gradient-loss weight.")] = _TRAIN.edge_weight,
    val_fraction: Annotated[float, typer.Option(help="Share of sources held out.")] = _TRAIN.val_fraction,
    val_every: Annotated[int, typer.Option(help="Validate/checkpoint every N steps.")] = _TRAIN.val_every,
    patience: Annotated[int, typer.Option(help="Early stopping patience (0 = off).")] = _TRAIN.patience,
    seed: Annotated[int, typer.Option(help="Random seed.")] = _TRAIN.seed,
    plates: Annotated[int, typer.Option(help="Synthetic source plates.")] = _TRAIN.plates,
    plate_preset: Annotated[PlatePreset, typer.Option(help="Look of the synthetic plates.")] = _PLATE_PRESET,
    max_cpu_s: Annotated[float | None, typer.Option(help="Stop after this many CPU-seconds.")] = _TRAIN.max_cpu_s,
    photometric: Annotated[float, typer.Option(help="Photometric jitter strength, 0-1.")] = _TRAIN.photometric,
    init: Annotated[str | None, typer.Option(help=".keras model to fine-tune from.")] = _TRAIN.init,
    degradations: Annotated[str | None, typer.Option(help="Degradation mix: a JSON list of BlurConfig mappings, or a .json file holding one.")] = None,
    ocr_weight: Annotated[float, typer.Option(help="Weight of the plate reader's CTC loss (OCR-aware training on whole plates: synthetic, or --data with a labels.csv; 0 = off).")] = _TRAIN.ocr_weight,
    reader: Annotated[str, typer.Option(help="Plate reader for --ocr-weight: shipped name or .keras file.")] = _TRAIN.reader,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run.")] = False,
    distribute: Annotated[Distribute, typer.Option(help="mirrored: data-parallel on every visible GPU.")] = Distribute.none,
    show_config: Annotated[bool, typer.Option("--show-config", help="Print the resolved configuration as JSON and exit.")] = False,
    debug: Debug = False,
) -> None:  # fmt: skip
    """Train a model on blurred/sharp pairs generated on the fly.

    Settings come from the defaults shown, then --config, then the options given on
    the command line. Images in --data that cannot be read are listed at the end and
    the exit code is 1; training uses the others.
    """
    values = dict(locals())  # before the comprehension: it has its own locals()
    options = {name: value for name, value in values.items() if _given(ctx, name)}
    failures: list[str] = []

    def body() -> None:
        from deblur.train import train

        model_cfg, cfg = _train_configs(config, options)
        if "patch" in options and cfg.patch[1] < cfg.patch[0]:
            _stderr.print(
                f"[yellow]note: --patch is WxH, so {patch} is {cfg.patch[1]} wide "
                f"and {cfg.patch[0]} high (it was HxW before)[/yellow]",
                highlight=False,
            )
        if show_config:
            _print_configs(model_cfg, cfg)
            return
        sources, texts = _train_sources(data, cfg, failures)
        log_to_stderr()
        with step_progress("training") as on_step:
            result = train(
                model_cfg,
                cfg,
                out,
                sources=sources,
                texts=texts,
                data_description="synthetic" if data is None else str(data),
                resume=resume,
                distribute=distribute.value,
                on_step=on_step,
            )
        typer.echo(
            f"trained {result.steps} steps into {out}: best validation PSNR "
            f"{result.best_val_psnr:.2f} dB, {result.wall_s:.0f} s wall, {result.cpu_s:.0f} s CPU"
        )

    run_cli(body, debug)
    _report_failures(failures)


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether option `name` was given on the command line (not left at its default)."""
    source = ctx.get_parameter_source(name)  # Typer may vendor its own click: by name
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def _train_configs(
    config: Path | None, options: dict[str, object]
) -> tuple[ModelConfig, TrainConfig]:
    """Defaults, then the --config file, then the options given, as both configs."""
    data = _read_json(config) if config is not None else {}
    if not isinstance(data, dict):
        raise ValueError(f"{config}: must hold a JSON object, got {data!r}")
    model_data = data.pop("model", {})
    if not isinstance(model_data, dict):
        raise ValueError(f"{config}: model must be a mapping, got {model_data!r}")
    for name, given in options.items():
        value = _option_value(name, given)
        if isinstance(value, tuple) and name == "blocks":
            model_data["depth"] = len(value) - 1
        if name in _MODEL_FIELDS:
            model_data[name] = value
        elif name in _TRAIN_FIELDS:
            data[name] = value
    arch = model_data.get("arch", _MODEL.arch)
    if "blocks" in options and arch != "unet":
        raise ValueError(f"--blocks applies to arch unet only, got arch {arch!r}")
    return from_dict(ModelConfig, model_data), from_dict(TrainConfig, data)


def _option_value(name: str, value: object) -> object:
    """A command-line value as its config field holds it."""
    if isinstance(value, Enum):
        return value.value
    if name == "patch":
        width, height = _parse_pair(str(value), "patch", "x", int)
        return (height, width)
    if name == "blocks":
        try:
            return tuple(int(b) for b in str(value).split(","))
        except ValueError:
            raise ValueError(
                f"--blocks must look like 1,1,2,4, got {value!r}"
            ) from None
    if name == "degradations":
        text = str(value)
        if text.lstrip().startswith("["):
            return _parse_json(text, "--degradations")
        return _read_json(Path(text))
    return value


def _parse_json(text: str, where: str) -> Any:  # Any: parsed JSON
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{where}: not valid JSON ({err})") from None


def _read_json(path: Path) -> Any:  # Any: parsed JSON (from_dict checks it)
    if not path.is_file():
        raise FileNotFoundError(f"JSON file not found: {path}")
    return _parse_json(path.read_text(encoding="utf-8"), str(path))


def _print_configs(model_cfg: ModelConfig, cfg: TrainConfig) -> None:
    import json

    data = {"model": dataclasses.asdict(model_cfg), **dataclasses.asdict(cfg)}
    typer.echo(json.dumps(data, indent=2))


def _train_sources(
    data: Path | None, cfg: TrainConfig, failures: list[str]
) -> tuple[list[Image] | None, list[str] | None]:
    """The images (and texts, for OCR-aware training) of --data; None for synthetic."""
    from deblur.pairs import load_labelled_sources, load_sources

    def on_error(path: Path, err: Exception) -> None:
        failures.append(_naming(path, str(err)))

    if data is None:
        return None, None
    if cfg.ocr_weight:
        sources, texts = load_labelled_sources(data, on_error=on_error)
        return list(sources), list(texts)
    return list(load_sources(data, on_error=on_error)), None


@app.command("train-reader")
def train_reader_command(
    out: Annotated[Path, typer.Option(help="The .keras file to write.")],
    steps: Annotated[int, typer.Option(help="Optimiser steps.")] = 2500,
    plates: Annotated[int, typer.Option(help="Synthetic training plates.")] = 6000,
    batch: Annotated[int, typer.Option(help="Plates per step.")] = 32,
    lr: Annotated[float, typer.Option(help="Peak learning rate.")] = 1e-3,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 11,
    debug: Debug = False,
) -> None:
    """Train the CRNN plate reader that OCR-aware training (--ocr-weight) uses."""
    from deblur.reader import train_reader

    def body() -> None:
        with step_progress("training the reader") as on_step:
            result = train_reader(
                out,
                steps=steps,
                plates=plates,
                batch=batch,
                lr=lr,
                seed=seed,
                on_step=on_step,
            )
        typer.echo(
            f"trained the reader for {result.steps} steps into {out}: "
            f"{result.val_exact:.1%} of held-out sharp plates read exactly, "
            f"{result.wall_s:.0f} s"
        )

    run_cli(body, debug)


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
        typer.Option(
            help="Shipped weights name, .keras/.onnx/.tflite file or run folder."
        ),
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
    workers: Annotated[
        int,
        typer.Option(
            min=0,
            help="Worker processes (each loads the model; 0: one per CPU, up to 8, "
            "for 256 files or more, else 1).",
        ),
    ] = 0,
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
    from deblur.folder import (
        auto_workers,
        deblur_jobs,
        deblur_jobs_in_processes,
        plan_jobs,
    )
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
        processes = workers or auto_workers(len(jobs))
        if processes > 1:
            make = functools.partial(
                load, model, tile=cfg, seed_tiling=seed_tiling, threads=1
            )
            results = deblur_jobs_in_processes(
                jobs, make, workers=processes, overwrite=overwrite
            )
        else:
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

    _report_failures(run_cli(body, debug))


class ExportFormat(str, Enum):
    """``deblur export --format`` (:data:`deblur.export.FORMATS`)."""

    onnx = "onnx"
    tflite = "tflite"


@app.command("export")
def export_command(
    model: Annotated[
        str, typer.Argument(help="Shipped weights name, .keras file or run folder.")
    ],
    out: Annotated[Path, typer.Option(help="Output .onnx or .tflite file.")],
    format: Annotated[
        ExportFormat, typer.Option(help="Model format.")
    ] = ExportFormat.onnx,
    height: Annotated[int, typer.Option(help="TFLite fixed input height.")] = 64,
    width: Annotated[int, typer.Option(help="TFLite fixed input width.")] = 256,
    debug: Debug = False,
) -> None:
    """Export a model to ONNX (any input size) or TFLite (fixed input size)."""
    from deblur.export import export_model

    def body() -> None:
        result = export_model(
            model, out, format=format.value, height=height, width=width
        )
        typer.echo(
            f"exported {model} to {result.path} ({result.format}); "
            f"max |difference| to Keras {result.max_abs_error:.2e}"
        )

    run_cli(body, debug)


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

    run_cli(body, debug)


if __name__ == "__main__":  # python -m deblur.cli
    app()
