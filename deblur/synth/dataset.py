"""Dataset folders: validated loading, synthetic plate sets and blurred pair sets.

Two layouts, both described in ``datasets/README.md``:

- a *labelled image folder*: images plus ``labels.csv`` (``file,text[,split,...]``),
  e.g. written by :func:`write_plates_dataset` (columns :data:`PLATE_COLUMNS`);
- a *blurred pair set* written by :func:`write_blurred_dataset`: ``blurred/``,
  ``sharp/``, ``psfs/`` and ``manifest.csv``.

Every folder written here also holds ``config.json`` (the generator's settings and
seed). Files are written atomically and ``config.json`` last, so a folder with a
``config.json`` is complete.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, TypeVar

import numpy as np
from PIL import Image as PILImage

from deblur.config import BlurConfig, PlateConfig
from deblur.io import (
    IMAGE_SUFFIXES,
    atomic_write,
    atomic_write_bytes,
    read_image,
    write_image,
)
from deblur.synth.degrade import make_pair
from deblur.synth.plates import make_plates
from deblur.types import Image

__all__ = [
    "Track",
    "OnError",
    "INCOMPLETE",
    "LabelRow",
    "ManifestRow",
    "MANIFEST_COLUMNS",
    "PLATE_COLUMNS",
    "load_labels",
    "iter_dataset",
    "write_plates_dataset",
    "write_blurred_dataset",
]

T = TypeVar("T")
Track = Callable[[Iterable[Any], int], Iterable[Any]]  # Any: wraps any iterator
"""``track(items, total) -> items``: hook for a progress bar (the CLI's)."""

OnError = Callable[[Path, Exception], None]
"""``on_error(path, error)``: told about an unreadable source image, which is skipped."""

INCOMPLETE = ".incomplete"
"""Marker file present while a dataset folder is being written (removed at the end)."""

PLATE_COLUMNS = (
    "file",
    "text",
    "style",
    "font",
    "scheme",
    "bolts",
    "dirt",
    "shadow",
    "surround",
)
"""Columns of the ``labels.csv`` that :func:`write_plates_dataset` writes."""

MANIFEST_COLUMNS = (
    "file",
    "source",
    "copy",
    "text",
    "kind",
    "length",
    "angle",
    "noise",
    "crop_x",
    "crop_y",
    "crop_w",
    "crop_h",
)


@dataclass(frozen=True)
class LabelRow:
    """One row of ``labels.csv``.

    Attributes
    ----------
    file : str
        Image path relative to the dataset folder (``/``-separated).
    text : str
        The plate text exactly as labelled.
    extra : dict of str to str
        Every other column, e.g. ``split``, ``style``, ``font``.
    """

    file: str
    text: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def split(self) -> str | None:
        """The ``split`` column, or None when absent or empty."""
        return self.extra.get("split") or None


@dataclass(frozen=True)
class ManifestRow:
    """One row of a blurred set's ``manifest.csv`` (see :data:`MANIFEST_COLUMNS`)."""

    file: str
    source: str
    copy: int
    text: str
    kind: str
    length: float | str
    angle: float | str
    noise: float | str
    crop_x: int
    crop_y: int
    crop_w: int
    crop_h: int


def _fail(csv_path: Path, line: int, message: str) -> ValueError:
    return ValueError(f"{csv_path} row {line}: {message}")


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read a UTF-8 CSV: header and row dicts (with ``__line__``), widths checked."""
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not valid UTF-8 (byte {err.start})") from err
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        return _read_rows(path, reader)
    except csv.Error as err:
        raise ValueError(
            f"{path} row {reader.line_num}: not valid CSV ({err})"
        ) from err


def _read_rows(
    path: Path, reader: Any
) -> tuple[list[str], list[dict[str, str]]]:  # Any: a csv reader object
    header = next(reader, None)
    if not header:
        raise ValueError(f"{path}: empty file, expected a header row")
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise _fail(
                path, reader.line_num, f"{len(values)} fields, header has {len(header)}"
            )
        rows.append(
            {"__line__": str(reader.line_num), **dict(zip(header, values, strict=True))}
        )
    return header, rows


def _safe_relative(name: str) -> bool:
    if "\0" in name:
        return False
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    return not (
        posix.is_absolute()
        or windows.is_absolute()
        or windows.drive
        or ".." in posix.parts
        or ".." in windows.parts
    )


def _check_path(csv_path: Path, line: int, folder: Path, name: str) -> None:
    path = folder / name
    if not _safe_relative(name) or not path.resolve().is_relative_to(folder.resolve()):
        raise _fail(csv_path, line, f"file {name!r} leaves the dataset folder")


def _check_image_file(csv_path: Path, line: int, folder: Path, name: str) -> None:
    path = folder / name
    if not path.is_file():
        raise FileNotFoundError(f"{csv_path} row {line}: image {name!r} not found")
    try:
        with PILImage.open(path) as pil:
            pil.verify()
    except Exception as err:  # PIL raises many types for corrupt files
        raise _fail(
            csv_path, line, f"{name!r} is not a readable image ({err})"
        ) from err


def load_labels(folder: str | Path, *, check_images: bool = True) -> list[LabelRow]:
    """Read and validate ``folder/labels.csv``.

    Parameters
    ----------
    folder : path-like
        Dataset folder holding ``labels.csv`` and the images it names.
    check_images : bool
        Also check that every listed image exists and Pillow can verify it. Callers
        that read the images later and handle a bad one on its own (the bench runner,
        ``write_blurred_dataset`` with `on_error`) pass False; the file itself
        (encoding, columns, paths, duplicates) is always validated.

    Returns
    -------
    list of LabelRow
        In file order.

    Raises
    ------
    FileNotFoundError
        If `folder`, ``labels.csv`` or (with `check_images`) a listed image is missing.
    ValueError
        If ``labels.csv`` is not UTF-8 or not CSV, lacks the ``file`` or ``text`` column, has a
        row of the wrong width, no rows, an empty file name or text, a duplicate
        file, a path leaving `folder`, or an image Pillow cannot verify. The message
        names the file and row.
    """
    folder = Path(folder)
    csv_path = folder / "labels.csv"
    if not folder.is_dir():
        raise FileNotFoundError(f"dataset folder not found: {folder}")
    if not csv_path.is_file():
        raise FileNotFoundError(f"{folder}: labels.csv not found")
    header, raw = _read_csv(csv_path)
    missing = [c for c in ("file", "text") if c not in header]
    if missing:
        raise ValueError(f"{csv_path}: missing columns {missing}, found {header}")
    if not raw:
        raise ValueError(f"{csv_path}: no rows")
    rows: list[LabelRow] = []
    first_line: dict[str, int] = {}
    for values in raw:
        line = int(values.pop("__line__"))
        name, text = values.pop("file").strip(), values.pop("text")
        if not name:
            raise _fail(csv_path, line, "empty file name")
        if not text.strip():
            raise _fail(csv_path, line, f"empty text for {name!r}")
        if name in first_line:
            raise _fail(
                csv_path,
                line,
                f"duplicate file {name!r} (first on row {first_line[name]})",
            )
        first_line[name] = line
        _check_path(csv_path, line, folder, name)
        if check_images:
            _check_image_file(csv_path, line, folder, name)
        rows.append(LabelRow(file=name, text=text, extra=values))
    return rows


def iter_dataset(
    folder: str | Path, *, mode: str = "RGB"
) -> Iterator[tuple[LabelRow, Image]]:
    """Yield ``(row, image)`` for every row of a validated ``labels.csv``.

    Parameters
    ----------
    folder : path-like
        Dataset folder, validated by :func:`load_labels` before the first image.
    mode : {"RGB", "L"}
        Passed to :func:`deblur.io.read_image`.
    """
    folder = Path(folder)
    rows = load_labels(folder)
    for row in rows:
        yield row, read_image(folder / row.file, mode=mode)


def _prepare_out(out: Path, *, overwrite: bool, protect: Sequence[Path] = ()) -> None:
    """Create `out`, or empty a previous dataset there when `overwrite` is set."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"out must be a folder, got the file {out}")
    for other in protect:
        a, b = out.resolve(), other.resolve()
        if a == b or a.is_relative_to(b) or b.is_relative_to(a):
            raise ValueError(f"out {out} must not be, contain or lie inside {other}")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise ValueError(
                f"out folder {out} is not empty; pass overwrite=True (--overwrite) to replace it"
            )
        ours = (out / "config.json").is_file() or (out / INCOMPLETE).is_file()
        if not ours:
            raise ValueError(
                f"refusing to overwrite {out}: not a dataset (no config.json)"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / INCOMPLETE).touch()


def _finish_out(out: Path, config: dict[str, Any]) -> None:  # Any: JSON values
    """Write ``config.json`` last and drop the in-progress marker."""
    _write_json(out / "config.json", config)
    (out / INCOMPLETE).unlink(missing_ok=True)


def _write_csv(
    path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))


def _write_json(path: Path, data: dict[str, Any]) -> None:  # Any: JSON values
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))


def _tracked(items: Iterable[T], total: int, track: Track | None) -> Iterable[T]:
    return items if track is None else track(items, total)


def write_plates_dataset(
    out: str | Path,
    count: int,
    cfg: PlateConfig | None = None,
    *,
    seed: int,
    overwrite: bool = False,
    track: Track | None = None,
) -> list[LabelRow]:
    """Render `count` synthetic plates into a labelled image folder.

    Writes ``plate_000000.png ...``, ``labels.csv`` (:data:`PLATE_COLUMNS`: the
    text, style, font and each plate's :class:`~deblur.synth.plates.PlateLook`) and
    ``config.json`` (``{"generator": "plates", "seed", "count", "plate":
    asdict(cfg)}``). The same arguments give byte-identical files.

    Parameters
    ----------
    out : path-like
        Destination folder; created, or must be empty.
    count : int
        Number of plates, >= 1.
    cfg : PlateConfig, optional
        ``PlateConfig()`` when None.
    seed : int
        Seed of the one random generator.
    overwrite : bool
        Replace a previous dataset in `out` (a folder with ``config.json``).
    track : callable, optional
        ``track(items, total)`` wraps the sample iterator, e.g. in a progress bar.

    Returns
    -------
    list of LabelRow

    Raises
    ------
    ValueError
        If `count` < 1 or `out` is a file, non-empty, or not a dataset to overwrite.
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    cfg = cfg or PlateConfig()
    out = Path(out)
    _prepare_out(out, overwrite=overwrite)
    digits = max(6, len(str(count - 1)))
    rows = []
    for i, sample in enumerate(_tracked(make_plates(count, cfg, seed), count, track)):
        name = f"plate_{i:0{digits}d}.png"
        write_image(out / name, sample.image)
        extra = {"style": sample.style, "font": sample.font, **sample.look.as_row()}
        rows.append(LabelRow(name, sample.text, extra))
    table = [(r.file, r.text, *(r.extra[c] for c in PLATE_COLUMNS[2:])) for r in rows]
    _write_csv(out / "labels.csv", PLATE_COLUMNS, table)
    config = {"generator": "plates", "seed": seed, "count": count}
    _finish_out(out, {**config, "plate": dataclasses.asdict(cfg)})
    return rows


def _sources(folder: Path, *, check_images: bool) -> list[LabelRow]:
    if not folder.is_dir():
        raise FileNotFoundError(f"sharp folder not found: {folder}")
    if (folder / "labels.csv").is_file():
        return load_labels(folder, check_images=check_images)
    files = sorted(
        p.name for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not files:
        raise ValueError(
            f"{folder}: no labels.csv and no images ({', '.join(IMAGE_SUFFIXES)})"
        )
    return [LabelRow(name, "") for name in files]


def _crop_box(
    shape: tuple[int, ...],
    crop: tuple[int, int] | None,
    source: str,
    rng: np.random.Generator,
) -> tuple[int, int, int, int]:
    height, width = shape[:2]
    if crop is None:
        return 0, 0, width, height
    cw, ch = crop
    if cw > width or ch > height:
        raise ValueError(f"crop {cw}x{ch} is larger than {source} ({width}x{height})")
    return (
        int(rng.integers(0, width - cw + 1)),
        int(rng.integers(0, height - ch + 1)),
        cw,
        ch,
    )


def _iter_pairs(
    sharp_dir: Path,
    sources: list[LabelRow],
    copies: int,
    crop: tuple[int, int] | None,
    blur: BlurConfig,
    rng: np.random.Generator,
    on_error: OnError | None,
) -> Iterator[tuple[ManifestRow, Image, Image, np.ndarray]]:
    for source in sources:
        try:
            sharp = read_image(sharp_dir / source.file)
        except (ValueError, FileNotFoundError) as err:
            if on_error is None:
                raise
            on_error(sharp_dir / source.file, err)
            continue
        stem = PurePosixPath(source.file).with_suffix("").as_posix().replace("/", "__")
        for copy in range(copies):
            pair = make_pair(sharp, blur, rng)
            x, y, w, h = _crop_box(sharp.shape, crop, source.file, rng)
            p = pair.params
            row = ManifestRow(
                file=f"{stem}_{copy:03d}.png",
                source=source.file,
                copy=copy,
                text=source.text,
                kind=str(p.get("kind", blur.kind)),
                length=p.get("length", ""),
                angle=p.get("angle", ""),
                noise=p.get("noise", ""),
                crop_x=x,
                crop_y=y,
                crop_w=w,
                crop_h=h,
            )
            window = (slice(y, y + h), slice(x, x + w))
            yield row, pair.blurred[window], sharp[window], pair.psf


def write_blurred_dataset(
    sharp_dir: str | Path,
    out: str | Path,
    copies: int,
    *,
    seed: int,
    crop: tuple[int, int] | None = None,
    blur: BlurConfig | None = None,
    overwrite: bool = False,
    track: Track | None = None,
    on_error: OnError | None = None,
) -> list[ManifestRow]:
    """Write `copies` blurred copies of every sharp image: the 2017 pair generator.

    Each copy draws one degradation with :func:`deblur.synth.degrade.make_pair`
    on the whole image, then (with `crop`) cuts the same random box from the blurred
    and the sharp image. Writes ``blurred/<file>``, ``sharp/<file>``,
    ``psfs/<stem>.npy`` (the kernel, for oracle methods), ``manifest.csv``
    (:data:`MANIFEST_COLUMNS`) and ``config.json``. `sharp_dir` is only read.

    Parameters
    ----------
    sharp_dir : path-like
        Sharp images: the rows of its ``labels.csv`` when present (validated by
        :func:`load_labels`), else every image file directly inside it, sorted.
    out : path-like
        Destination folder; must not be, contain or lie inside `sharp_dir`.
    copies : int
        Blurred copies per sharp image, >= 1.
    seed : int
        Seed of the one random generator; the same arguments give identical files.
    crop : (width, height), optional
        Patch size; None keeps whole images.
    blur : BlurConfig, optional
        ``BlurConfig(kind="seed2017")`` when None.
    overwrite : bool
        Replace a previous dataset in `out`.
    track : callable, optional
        ``track(items, total)`` wraps the pair iterator, e.g. in a progress bar.
    on_error : callable, optional
        ``on_error(path, error)`` is called for each source image that cannot be read
        (missing, corrupt, truncated, too large), which is then skipped; the others
        are written. When None, the first such image raises (and a ``labels.csv`` is
        checked image by image before anything is written).

    Returns
    -------
    list of ManifestRow

    Raises
    ------
    FileNotFoundError
        If `sharp_dir` or a listed image is missing.
    ValueError
        If `copies` < 1, `crop` is invalid or larger than an image, `out` overlaps
        `sharp_dir` or is not empty, or `sharp_dir` holds no (readable) images.
    """
    if copies < 1:
        raise ValueError(f"copies must be >= 1, got {copies}")
    if crop is not None and (len(crop) != 2 or min(crop) < 1):
        raise ValueError(f"crop must be (width, height) >= 1, got {crop}")
    blur = blur or BlurConfig(kind="seed2017")
    sharp_dir, out = Path(sharp_dir), Path(out)
    sources = _sources(sharp_dir, check_images=on_error is None)
    _prepare_out(out, overwrite=overwrite, protect=[sharp_dir])
    for sub in ("blurred", "sharp", "psfs"):
        (out / sub).mkdir()
    rng = np.random.default_rng(seed)
    rows: list[ManifestRow] = []
    pairs = _iter_pairs(sharp_dir, sources, copies, crop, blur, rng, on_error)
    for row, blurred, sharp, psf in _tracked(pairs, len(sources) * copies, track):
        if (out / "blurred" / row.file).exists():
            raise ValueError(f"two sources map to the same output name {row.file!r}")
        write_image(out / "blurred" / row.file, blurred)
        write_image(out / "sharp" / row.file, sharp)
        _save_npy(out / "psfs" / Path(row.file).with_suffix(".npy").name, psf)
        rows.append(row)
    if not rows:
        raise ValueError(f"{sharp_dir}: none of the {len(sources)} images is readable")
    table = ([getattr(r, c) for c in MANIFEST_COLUMNS] for r in rows)
    _write_csv(out / "manifest.csv", MANIFEST_COLUMNS, table)
    config = {
        "generator": "blur",
        "seed": seed,
        "copies": copies,
        "source": str(sharp_dir),
    }
    config |= {"crop": list(crop) if crop else None, "blur": dataclasses.asdict(blur)}
    _finish_out(out, config)
    return rows


def _save_npy(path: Path, array: np.ndarray) -> None:
    atomic_write(path, lambda tmp: np.save(tmp, array, allow_pickle=False))
