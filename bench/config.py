"""Configuration of a benchmark run: suites, candidates, OCR settings.

A *suite* (``bench/suites/<name>.toml``) says which plates are read and how they are
degraded; a :class:`BenchConfig` wraps a suite with the overrides given on the command
line. Files are read only through :func:`load_suite` / :func:`suite_from_dict`, which
check types with :func:`deblur.config.from_dict` (the loader both packages share);
unknown keys are errors.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from deblur.config import PLATE_STYLES, from_dict
from deblur.inference import MODEL_SUFFIXES
from deblur.text import PLATE_ALPHABET

__all__ = [
    "SUITE_KINDS",
    "GRID_KINDS",
    "OCR_ENGINES",
    "MODEL_SUFFIXES",
    "COMMAND_PREFIX",
    "FOLDER_PREFIX",
    "OcrConfig",
    "CandidateConfig",
    "BlurGrid",
    "SuiteConfig",
    "BenchConfig",
    "suite_from_dict",
    "load_suite",
    "available_suites",
]

SUITE_KINDS = ("synthetic", "real", "blind")
GRID_KINDS = ("linear", "seed2017", "none", "family")
OCR_ENGINES = ("tesseract", "ppocr")
_STYLES = ("uk", "eu", "us")  # the default; any of deblur's PLATE_STYLES is allowed


@dataclass(frozen=True, kw_only=True)
class OcrConfig:
    """How the OCR engines prepare and read a plate crop.

    The defaults were chosen by measurement (``benchmarks/ocr_throughput.py``).

    Attributes
    ----------
    height : int
        Crops are resized (aspect kept) to this height in pixels before reading.
    tesseract_psm : {7, 8, 13}
        Tesseract page-segmentation mode: 7 single line, 8 single word, 13 raw line.
    tesseract_pad : int
        Border in pixels added around the crop, filled with the plate's background
        grey (the larger Otsu class).
    tesseract_binarize : bool
        Otsu-binarise the crop before Tesseract reads it.
    tesseract_batch : bool
        Read many crops with one Tesseract process (a list file of images) instead of
        one process per crop.
    tesseract_crop : bool
        Cut the crop down to its line of characters (:func:`bench.textline.
        crop_text_region`: drops the plate border, EU band, US state name) before
        Tesseract reads it.
    ppocr_crop : bool
        The same for PP-OCR.
    tesseract_extend, ppocr_extend : bool
        Let the crop's left and right ends reach character-sized shapes that the
        component test missed (``extend`` of :func:`bench.textline.find_text_line`):
        on restored plates a character that touches the plate border merges with it
        and used to be cut off. On for PP-OCR: seed-7 plates of the default suite,
        PP-OCR exact on the default model's output 93.2% -> 96.4% (oracle Wiener
        93.2% -> 95.5%, sharp 100% either way). Off for Tesseract, which reads the
        border pieces it sometimes adds as characters (sharp 93.2% -> 85.4%).
    crop_margin : float
        Border kept around the characters when cropping, as a fraction of their height.
    ppocr_threads : int
        ONNX Runtime threads of the PP-OCR recogniser (0 = runtime default).
    ppocr_batch : int
        Crops per recogniser forward pass. 1 by default: a batch is padded to its
        widest crop, so larger batches cost more CPU (measured 32 ms/crop at 1 or 4,
        52 ms at 16, 74 ms at 32, same readings) and 1 makes each reading independent
        of what else is in the batch.
    ppocr_alphabet : str
        Characters the PP-OCR recogniser may output, as Tesseract's whitelist does
        (its dictionary holds 6,623 characters, mostly Chinese). Lower-case letters
        are read as their upper case. Plate letters, digits, space and hyphen by
        default; ``""`` keeps the whole dictionary.
    """

    height: int = 64
    tesseract_psm: int = 7
    tesseract_pad: int = 16
    tesseract_binarize: bool = True
    tesseract_batch: bool = True
    tesseract_crop: bool = True
    ppocr_crop: bool = True
    tesseract_extend: bool = False
    ppocr_extend: bool = True
    crop_margin: float = 0.1
    ppocr_threads: int = 1
    ppocr_batch: int = 1
    ppocr_alphabet: str = PLATE_ALPHABET + " -"

    def __post_init__(self) -> None:
        if not 16 <= self.height <= 512:
            raise ValueError(f"height must be in [16, 512], got {self.height}")
        if self.tesseract_psm not in (6, 7, 8, 13):
            raise ValueError(
                f"tesseract_psm must be one of 6, 7, 8, 13, got {self.tesseract_psm}"
            )
        if not 0 <= self.tesseract_pad <= 256:
            raise ValueError(
                f"tesseract_pad must be in [0, 256], got {self.tesseract_pad}"
            )
        if not 0 <= self.crop_margin <= 2:
            raise ValueError(f"crop_margin must be in [0, 2], got {self.crop_margin}")
        if self.ppocr_threads < 0:
            raise ValueError(f"ppocr_threads must be >= 0, got {self.ppocr_threads}")
        if self.ppocr_batch < 1:
            raise ValueError(f"ppocr_batch must be >= 1, got {self.ppocr_batch}")
        if len(set(self.ppocr_alphabet)) != len(self.ppocr_alphabet):
            raise ValueError(
                f"ppocr_alphabet repeats a character: {self.ppocr_alphabet!r}"
            )


COMMAND_PREFIX = "cmd:"
"""Candidate prefix of a shell command template run on batches of images."""
FOLDER_PREFIX = "dir:"
"""Candidate prefix of a folder of already restored images."""
_SCRIPT_SUFFIXES = (".py", ".sh", ".bash", ".r", ".jl", ".pl", ".rb", ".js", ".m")
_LABELLED = re.compile(r"^([A-Za-z0-9_.+-]+)=((?:cmd|dir):.*)$", re.DOTALL)


@dataclass(frozen=True, kw_only=True)
class CandidateConfig:
    """One deblurring method under test.

    Attributes
    ----------
    name : str
        What runs: a registered deblurrer name (``deblur.available_deblurrers()``),
        the path of a ``.keras`` / ``.onnx`` / ``.tflite`` model file, ``cmd:TEMPLATE`` (a shell
        command run once per batch of images: ``{in}`` is replaced by a folder of
        blurred PNGs, ``{out}`` by an empty folder where the command writes one
        restored image per input, same file stem) or ``dir:FOLDER`` (a folder of
        already restored images, matched to samples by file stem; see
        :mod:`bench.external`).
    every : int
        Run only on every `every`-th sample (sample index divisible by it); for slow
        references such as ``plain15``.
    alias : str
        Method name in result tables (:attr:`label`); empty derives one: the model
        file's stem, the folder's name, the command's script or program name.
    timeout : float
        Seconds a ``cmd:`` candidate may take for one batch before it is killed and
        its rows fail.
    """

    name: str
    every: int = 1
    alias: str = ""
    timeout: float = 600.0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("candidate name must not be empty")
        if self.every < 1:
            raise ValueError(
                f"candidate {self.name!r}: every must be >= 1, got {self.every}"
            )
        if not self.timeout > 0:
            raise ValueError(
                f"candidate {self.name!r}: timeout must be > 0 s, got {self.timeout}"
            )
        if self.alias != self.alias.strip() or any(c in self.alias for c in ",="):
            raise ValueError(
                "candidate alias must not contain ',' or '=' nor start or end with "
                f"a space, got {self.alias!r}"
            )
        if self.is_command:
            missing = [k for k in ("{in}", "{out}") if k not in self.command]
            if missing:
                raise ValueError(
                    f"candidate {self.name!r}: a cmd: template must contain {{in}} "
                    f"and {{out}}; missing {', '.join(missing)}"
                )
        if self.is_folder and not self.folder.strip():
            raise ValueError(f"candidate {self.name!r}: dir: needs a folder path")

    @property
    def is_model_file(self) -> bool:
        """True when `name` is a model file path rather than a registry name."""
        return not self.is_external and self.name.lower().endswith(MODEL_SUFFIXES)

    @property
    def is_command(self) -> bool:
        """True for a ``cmd:`` candidate."""
        return self.name.startswith(COMMAND_PREFIX)

    @property
    def is_folder(self) -> bool:
        """True for a ``dir:`` candidate."""
        return self.name.startswith(FOLDER_PREFIX)

    @property
    def is_external(self) -> bool:
        """True for ``cmd:`` and ``dir:`` candidates (run outside this process)."""
        return self.is_command or self.is_folder

    @property
    def command(self) -> str:
        """The shell template of a ``cmd:`` candidate (empty otherwise)."""
        return self.name[len(COMMAND_PREFIX) :] if self.is_command else ""

    @property
    def folder(self) -> str:
        """The folder of a ``dir:`` candidate (empty otherwise)."""
        return self.name[len(FOLDER_PREFIX) :] if self.is_folder else ""

    @property
    def label(self) -> str:
        """Method name used in result tables: `alias`, or one derived from `name`."""
        if self.alias:
            return self.alias
        if self.is_folder:
            return Path(self.folder.rstrip("/\\")).name or "dir"
        if self.is_command:
            return _command_label(self.command)
        return Path(self.name).stem if self.is_model_file else self.name

    @classmethod
    def parse(
        cls, entry: str | dict[str, Any] | CandidateConfig
    ) -> CandidateConfig:  # Any: TOML
        """Build from a TOML entry or a command-line item.

        A string is a name, or ``ALIAS=cmd:...`` / ``ALIAS=dir:...`` to name an
        external candidate; a table has ``name`` and optionally ``every``, ``alias``
        and ``timeout``.
        """
        if isinstance(entry, CandidateConfig):
            return entry
        if isinstance(entry, str):
            match = _LABELLED.match(entry)
            if match:
                return cls(name=match.group(2), alias=match.group(1))
            return cls(name=entry)
        if isinstance(entry, dict):
            return from_dict(cls, entry)
        raise TypeError(f"candidate must be a string or a table, got {entry!r}")


def _command_label(command: str) -> str:
    """The script a command runs (``python x/restore.py`` -> ``restore``), else the
    program's name."""
    try:
        tokens = shlex.split(command)
    except ValueError:
        tokens = command.split()
    for token in tokens:
        path = Path(token)
        if not token.startswith("-") and path.suffix.lower() in _SCRIPT_SUFFIXES:
            return path.stem
    return Path(tokens[0]).name if tokens else "cmd"


@dataclass(frozen=True, kw_only=True)
class BlurGrid:
    """How each sharp plate is degraded (synthetic and real suites).

    Attributes
    ----------
    kind : {"linear", "seed2017", "none", "family"}
        ``linear``: centred line PSF; sample ``i`` gets ``lengths[i % len(lengths)]``.
        ``seed2017``: the 2017 generator's own length/angle distribution.
        ``none``: no blur (noise only); for OCR ceilings.
        ``family``: named degradation families (:mod:`deblur.synth.families`): sample
        ``i`` gets ``families[i % F]`` and, for a family with a blur kernel,
        ``lengths[(i // F) % len(lengths)]``. Each family brings its own noise, optics,
        sampling and JPEG draws (`noise` and `angle` are unused), and the family name
        is the sample's ``blur_kind``.
    lengths : tuple of float
        Blur lengths in pixels (``linear`` and ``family``).
    families : tuple of str
        Family names (``family`` only).
    angle : float or None
        Blur angle in degrees; None draws a random angle in [0, 180) per sample.
    noise : float
        Standard deviation of Gaussian noise added after blurring, in [0, 1] units.
    """

    kind: str = "linear"
    lengths: tuple[float, ...] = (5, 9, 13, 17, 21, 25, 31)
    angle: float | None = None
    noise: float = 0.005
    families: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        from deblur.synth.families import available_families

        if self.kind not in GRID_KINDS:
            raise ValueError(
                f"blur kind must be one of {GRID_KINDS}, got {self.kind!r}"
            )
        if self.kind in ("linear", "family") and not self.lengths:
            raise ValueError(f"blur lengths must not be empty for kind {self.kind!r}")
        if (self.kind == "family") != bool(self.families):
            raise ValueError(
                f"blur families must be given exactly when kind is 'family', got kind "
                f"{self.kind!r} with families {self.families}"
            )
        unknown = [f for f in self.families if f not in available_families()]
        if unknown:
            raise ValueError(
                f"unknown blur families {unknown}; available: {available_families()}"
            )
        if any(not 1 <= length <= 512 for length in self.lengths):
            raise ValueError(f"blur lengths must be in [1, 512], got {self.lengths}")
        if self.angle is not None and not -360 <= self.angle <= 360:
            raise ValueError(
                f"blur angle must be in [-360, 360] or None, got {self.angle}"
            )
        if not 0 <= self.noise <= 0.5:
            raise ValueError(f"blur noise must be in [0, 0.5], got {self.noise}")


@dataclass(frozen=True, kw_only=True)
class SuiteConfig:
    """Which plates are read, how they are degraded, which methods and engines run.

    Attributes
    ----------
    name : str
        Suite name (a column of the result table).
    kind : {"synthetic", "real", "blind"}
        ``synthetic``: rendered plates; ``real``: a folder of sharp crops + labels,
        degraded by `blur`; ``blind``: a folder of already-blurred crops + labels
        (OCR only, no PSNR/SSIM).
    description : str
        One line shown by ``bench list``.
    count : int
        Number of synthetic plates; for folders the first `count` rows (0 = all).
    seed : int
        Root seed; sample ``i`` is built from ``SeedSequence([seed, i])``.
    repeats : int
        Independent draws of the suite pooled in one run: the samples are drawn again
        with root seeds ``seed + 1``, ``seed + 2``, ... (``count`` samples each), for
        tighter intervals. Not for ``blind`` suites, whose images are fixed.
    seeds : tuple of int
        Explicit root seeds of the draws (``bench run --seeds 2024,7,8,9``); when
        given, `seed` is the first and `repeats` their number.
    plate_width : int
        Width of synthetic plates; real crops are resized to it (0 keeps their size).
    styles : tuple of str
        Synthetic plate styles, cycled over the samples: any of
        ``deblur.config.PLATE_STYLES`` (default ``uk``, ``eu``, ``us``).
    blur : BlurGrid
        Degradation of the sharp plates (ignored for ``blind``).
    folder : str or None
        Data folder for ``real``/``blind`` (``bench run --data DIR`` sets it).
    candidates : tuple of CandidateConfig
        Methods under test.
    ocr : tuple of str
        OCR engines (``tesseract``, ``ppocr``).
    o_equals_zero : bool
        Read the letter O as the digit 0 in both label and prediction (US plates).
    ocr_settings : OcrConfig
        Engine preparation settings.
    """

    name: str
    kind: str = "synthetic"
    description: str = ""
    count: int = 300
    seed: int = 0
    repeats: int = 1
    seeds: tuple[int, ...] = ()
    plate_width: int = 240
    styles: tuple[str, ...] = _STYLES
    blur: BlurGrid = field(default_factory=BlurGrid)
    folder: str | None = None
    candidates: tuple[CandidateConfig, ...] = (CandidateConfig(name="identity"),)
    ocr: tuple[str, ...] = OCR_ENGINES
    o_equals_zero: bool = False
    ocr_settings: OcrConfig = field(default_factory=OcrConfig)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("suite name must not be empty")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        self._check_draws()
        if self.kind not in SUITE_KINDS:
            raise ValueError(f"kind must be one of {SUITE_KINDS}, got {self.kind!r}")
        if self.count < 0 or (self.kind == "synthetic" and self.count < 1):
            raise ValueError(f"count must be >= 1 (>= 0 for folders), got {self.count}")
        if self.plate_width != 0 and not 16 <= self.plate_width <= 4096:
            raise ValueError(
                f"plate_width must be 0 or in [16, 4096], got {self.plate_width}"
            )
        if self.kind == "synthetic" and self.plate_width == 0:
            raise ValueError("plate_width must be > 0 for synthetic suites, got 0")
        bad_styles = [s for s in self.styles if s not in PLATE_STYLES]
        if not self.styles or bad_styles:
            raise ValueError(
                f"styles must be a non-empty subset of {PLATE_STYLES}, got {self.styles}"
            )
        if not self.candidates:
            raise ValueError("candidates must not be empty")
        labels = [c.label for c in self.candidates]
        if len(set(labels)) != len(labels):
            raise ValueError(f"candidate names must be unique, got {labels}")
        reserved = sorted({"sharp", "blurred"} & set(labels))
        if reserved:
            raise ValueError(
                f"candidate names {reserved} are taken by the ceiling and the floor; "
                "give the candidate an alias"
            )
        bad_ocr = [o for o in self.ocr if o not in OCR_ENGINES]
        if not self.ocr or bad_ocr:
            raise ValueError(
                f"ocr must be a non-empty subset of {OCR_ENGINES}, got {self.ocr}"
            )

    def _check_draws(self) -> None:
        if self.repeats < 1:
            raise ValueError(f"repeats must be >= 1, got {self.repeats}")
        if self.seeds:
            if any(s < 0 for s in self.seeds) or len(set(self.seeds)) != len(
                self.seeds
            ):
                raise ValueError(
                    f"seeds must be distinct and >= 0, got {list(self.seeds)}"
                )
            if self.seeds[0] != self.seed or self.repeats != len(self.seeds):
                raise ValueError(
                    f"seeds {list(self.seeds)} must start with seed ({self.seed}) and "
                    f"number repeats ({self.repeats}); give seeds alone"
                )
        if self.kind == "blind" and self.repeats > 1:
            raise ValueError(
                f"repeats must be 1 for a 'blind' suite (fixed images), got "
                f"{self.repeats}"
            )

    @property
    def draw_seeds(self) -> tuple[int, ...]:
        """Root seed of each draw, in order (one entry unless repeated)."""
        return self.seeds or tuple(self.seed + k for k in range(self.repeats))


@dataclass(frozen=True, kw_only=True)
class BenchConfig:
    """A suite plus the overrides of one run.

    Attributes
    ----------
    suite : SuiteConfig
        The suite as loaded.
    candidates : tuple of CandidateConfig or None
        Replaces the suite's candidates when given.
    ocr : tuple of str or None
        Replaces the suite's OCR engines when given.
    folder : str or None
        Replaces the suite's data folder when given.
    limit : int or None
        Run only the first `limit` samples.
    workers : int
        Worker processes (1 runs in this process).
    chunk : int
        Samples per task; each OCR engine reads a whole chunk in one batch.
    examples : int
        Save the images of the first `examples` samples (sharp, blurred and every
        candidate's output) under ``<run>/examples/`` for the report (0 = none).
    seeds : tuple of int or None
        Root seeds of independent draws of the suite, pooled (replaces the suite's
        `seed` and `repeats`).
    scheduler : str or None
        Address of a Dask distributed scheduler (``tcp://host:8786``); chunks then
        run on its workers instead of local processes and `workers` is ignored.
        Needs ``pip install plate-deblur[dask]``; with `examples` > 0 the run folder
        must be on a file system the workers share.
    """

    suite: SuiteConfig
    candidates: tuple[CandidateConfig, ...] | None = None
    ocr: tuple[str, ...] | None = None
    folder: str | None = None
    limit: int | None = None
    workers: int = 1
    chunk: int = 4
    examples: int = 4
    seeds: tuple[int, ...] | None = None
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.scheduler is not None and not self.scheduler.strip():
            raise ValueError("scheduler must be an address such as tcp://host:8786")
        if self.examples < 0:
            raise ValueError(f"examples must be >= 0, got {self.examples}")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        if self.chunk < 1:
            raise ValueError(f"chunk must be >= 1, got {self.chunk}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be >= 1 or None, got {self.limit}")

    @property
    def effective_suite(self) -> SuiteConfig:
        """The suite with this run's overrides applied (validated again)."""
        changes: dict[str, Any] = {}  # Any: heterogeneous field values
        if self.candidates is not None:
            changes["candidates"] = self.candidates
        if self.ocr is not None:
            changes["ocr"] = self.ocr
        if self.folder is not None:
            changes["folder"] = self.folder
        if self.seeds is not None:
            if not self.seeds:
                raise ValueError("seeds must name at least one seed, got none")
            # One seed is the plain suite with that seed (same config, same ids).
            many = len(self.seeds) > 1
            changes["seed"], changes["seeds"] = self.seeds[0], self.seeds * many
            changes["repeats"] = len(self.seeds)
        if self.limit is not None:
            if self.suite.kind == "synthetic":
                changes["count"] = min(self.suite.count, self.limit)
            else:
                count = self.suite.count
                changes["count"] = self.limit if count == 0 else min(count, self.limit)
        return dataclasses.replace(self.suite, **changes) if changes else self.suite


def suite_from_dict(data: dict[str, Any]) -> SuiteConfig:  # Any: parsed TOML values
    """Build a :class:`SuiteConfig` from a parsed TOML mapping.

    ``blur`` and ``ocr_settings`` are tables; ``candidates`` is a list of strings or
    tables ``{name = ..., every = N}``; ``angle = "random"`` means None.

    Raises
    ------
    ValueError
        If a key is unknown at any level or a value is invalid.
    """
    data = dict(data)
    if "blur" in data:
        if not isinstance(data["blur"], dict):
            raise ValueError(f"blur must be a table, got {data['blur']!r}")
        blur = dict(data["blur"])
        if blur.get("angle") == "random":
            blur["angle"] = None
        data["blur"] = from_dict(BlurGrid, blur)
    if data.get("seeds") and isinstance(data["seeds"], list):
        data.setdefault("seed", data["seeds"][0])
        data.setdefault("repeats", len(data["seeds"]))
    if "ocr_settings" in data:
        data["ocr_settings"] = from_dict(OcrConfig, data["ocr_settings"])
    if "candidates" in data:
        if not isinstance(data["candidates"], list):
            raise ValueError(f"candidates must be a list, got {data['candidates']!r}")
        data["candidates"] = [CandidateConfig.parse(c) for c in data["candidates"]]
    return from_dict(SuiteConfig, data)  # type: ignore[no-any-return]


def available_suites() -> list[str]:
    """Return the names of the suites shipped in ``bench/suites``, sorted."""
    folder = resources.files("bench") / "suites"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_suite(name_or_path: str | Path) -> SuiteConfig:
    """Load a shipped suite by name, or a suite TOML file by path.

    Raises
    ------
    FileNotFoundError
        If `name_or_path` is neither a shipped suite nor an existing file.
    ValueError
        If the file is not valid TOML or has unknown keys / invalid values.
    """
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise FileNotFoundError(f"suite file not found: {path}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(f"{path}: not valid UTF-8 (byte {err.start})") from err
    else:
        name = str(name_or_path)
        if name not in available_suites():
            raise FileNotFoundError(
                f"unknown suite {name!r}; shipped: {', '.join(available_suites())} "
                "(or give a .toml path)"
            )
        text = (resources.files("bench") / "suites" / f"{name}.toml").read_text("utf-8")
        path = Path(f"{name}.toml")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: invalid TOML ({err})") from err
    try:
        return suite_from_dict(data)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path}: {err}") from err
