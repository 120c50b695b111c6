"""Candidates that restore outside this process: a shell command or a folder of outputs.

``cmd:TEMPLATE``
    For each batch of samples (a chunk of the run), the blurred images are written as
    8-bit PNGs named ``<stem>.png`` (:func:`sample_stem`) into a fresh folder, and the
    template runs once through the shell with ``{in}`` replaced by that folder and
    ``{out}`` by an empty one (both quoted). The command writes one restored image per
    input into ``{out}``, with the same stem and any image suffix. A command that exits
    non-zero or passes its time limit fails every row of the batch; a missing output
    fails its own rows; each error carries the last line the command wrote to stderr.
    The time per image is the command's wall time divided by the batch size.
``dir:FOLDER``
    Already restored images, one per sample, matched by stem (``bench export`` writes
    the blurred inputs under the same names). No time is measured.

Outputs may be grey or colour whatever the input; they are converted to the input's
channels. An output of another size fails its rows.
"""

from __future__ import annotations

import csv
import io
import math
import os
import shlex
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.config import CandidateConfig, SuiteConfig
from bench.samples import Sample, build_sample, count_samples
from deblur.io import atomic_write_bytes, read_image, to_gray, write_image
from deblur.types import Image

__all__ = [
    "IMAGE_SUFFIXES",
    "ExternalResult",
    "safe_name",
    "sample_stem",
    "restore_external",
    "export_inputs",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
"""Suffixes of output images that ``cmd:`` and ``dir:`` candidates may write."""

_STDERR_CHARS = 300


@dataclass(frozen=True, kw_only=True)
class ExternalResult:
    """One sample's restoration by an external candidate.

    ``image`` is None when it failed, and ``error`` then says why; ``ms`` is the time
    per image (NaN when unknown).
    """

    image: Image | None
    ms: float = math.nan
    error: str = ""


def safe_name(name: str) -> str:
    """`name` usable as one path component (sample ids of folders are file names)."""
    cleaned = "".join(c if c.isalnum() or c in "-_.+" else "_" for c in name)
    return cleaned.strip(".") or "_"


def sample_stem(sample_id: str) -> str:
    """File stem under which a sample is given to and expected from external tools.

    Examples
    --------
    >>> sample_stem("smoke-00003"), sample_stem("cars/AB12.jpg")
    ('smoke-00003', 'cars_AB12')
    """
    name = safe_name(sample_id)
    suffix = Path(name).suffix
    return name[: -len(suffix)] if suffix.lower() in IMAGE_SUFFIXES else name


def _index(folder: Path) -> dict[str, list[Path]]:
    """Image files of `folder` (not recursive) by stem."""
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            found.setdefault(path.stem, []).append(path)
    return found


def _last_line(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln]
    return lines[-1][:_STDERR_CHARS] if lines else "(nothing on stderr)"


def _fit(output: Image, like: Image) -> Image:
    """`output` with the channels of `like`; ValueError when the sizes differ."""
    if output.shape[:2] != like.shape[:2]:
        raise ValueError(
            f"output size {output.shape[1]}x{output.shape[0]} differs from input "
            f"{like.shape[1]}x{like.shape[0]}"
        )
    if like.ndim == 2:
        return to_gray(output) if output.ndim == 3 else output
    gray = output if output.ndim == 2 else to_gray(output)
    if output.ndim == 3 and output.shape[2] == like.shape[2]:
        return output
    return np.repeat(gray[:, :, None], like.shape[2], axis=2)


def _collect(
    samples: Sequence[Sample], folder: Path, *, ms: float, note: str
) -> dict[int, ExternalResult]:
    """Match each sample to its output in `folder`; `note` is added to errors."""
    found = _index(folder)
    out: dict[int, ExternalResult] = {}
    for sample in samples:
        stem = sample_stem(sample.sample_id)
        paths = found.get(stem, [])
        try:
            if len(paths) != 1:
                what = "no output" if not paths else f"{len(paths)} outputs"
                raise FileNotFoundError(f"{what} named {stem}.* in {folder}{note}")
            image = np.clip(_fit(read_image(paths[0]), sample.blurred), 0, 1)
            out[sample.index] = ExternalResult(image=image.astype(np.float32), ms=ms)
        except (OSError, ValueError) as err:
            out[sample.index] = ExternalResult(
                image=None, error=f"{type(err).__name__}: {err}"
            )
    return out


def _failed(samples: Sequence[Sample], error: str) -> dict[int, ExternalResult]:
    return {s.index: ExternalResult(image=None, error=error) for s in samples}


def _run_shell(command: str, timeout: float) -> tuple[int | None, bytes]:
    """Run `command` in its own process group; None as status when it timed out."""
    proc = subprocess.Popen(
        command, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        _, stderr = proc.communicate(timeout=timeout)
        return proc.returncode, stderr
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate()
        return None, stderr
    finally:
        if proc.poll() is None:  # interrupted: leave nothing running
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _run_command(
    cand: CandidateConfig, samples: Sequence[Sample]
) -> dict[int, ExternalResult]:
    with tempfile.TemporaryDirectory(prefix="bench-cmd-") as tmp:
        in_dir, out_dir = Path(tmp) / "in", Path(tmp) / "out"
        in_dir.mkdir()
        out_dir.mkdir()
        for sample in samples:
            write_image(in_dir / f"{sample_stem(sample.sample_id)}.png", sample.blurred)
        command = cand.command.replace("{in}", shlex.quote(str(in_dir)))
        command = command.replace("{out}", shlex.quote(str(out_dir)))
        start = time.perf_counter()
        status, stderr = _run_shell(command, cand.timeout)
        ms = 1000.0 * (time.perf_counter() - start) / len(samples)
        last = _last_line(stderr)
        if status is None:
            return _failed(
                samples, f"command timed out after {cand.timeout:g} s: {last}"
            )
        if status != 0:
            return _failed(samples, f"command exited with status {status}: {last}")
        return _collect(samples, out_dir, ms=ms, note=f"; command stderr: {last}")


def restore_external(
    cand: CandidateConfig, samples: Sequence[Sample]
) -> dict[int, ExternalResult]:
    """Restore `samples` with a ``cmd:`` or ``dir:`` candidate; never raises for them.

    Parameters
    ----------
    cand : CandidateConfig
        An external candidate (``cand.is_external``).
    samples : sequence of Sample
        The batch; a ``cmd:`` candidate runs once for all of them.

    Returns
    -------
    results : dict
        ``{sample.index: ExternalResult}`` for every sample.

    Raises
    ------
    ValueError
        If `cand` is not external.
    """
    if not cand.is_external:
        raise ValueError(f"cand must be a cmd: or dir: candidate, got {cand.name!r}")
    if not samples:
        return {}
    if cand.is_folder:
        if not Path(cand.folder).is_dir():
            return _failed(
                samples, f"FileNotFoundError: folder not found: {cand.folder}"
            )
        return _collect(samples, Path(cand.folder), ms=math.nan, note="")
    return _run_command(cand, samples)


def export_inputs(suite: SuiteConfig, out_dir: str | os.PathLike[str]) -> int:
    """Write every sample's blurred image as ``<stem>.png`` plus ``labels.csv``.

    Restore these with any tool into a folder under the same stems and judge it with
    ``dir:FOLDER``. ``labels.csv`` (``file,text``) makes the folder usable by a
    ``blind`` suite too.

    Parameters
    ----------
    suite : SuiteConfig
        The suite (with run overrides applied).
    out_dir : path-like
        Created if missing; existing files of the same names are replaced.

    Returns
    -------
    count : int
        Images written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["file", "text"])
    total = count_samples(suite)
    for index in range(total):
        sample = build_sample(suite, index)
        name = f"{sample_stem(sample.sample_id)}.png"
        write_image(out / name, sample.blurred)
        writer.writerow([name, sample.text])
    atomic_write_bytes(out / "labels.csv", table.getvalue().encode("utf-8"))
    return total
