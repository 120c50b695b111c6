"""Tests for deblur.synth.dataset."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any  # Any: the BadInputs fixture (conftest)

import numpy as np
import pytest

from deblur.config import BlurConfig, PlateConfig
from deblur.io import read_image, write_image
from deblur.synth.dataset import (
    INCOMPLETE,
    MANIFEST_COLUMNS,
    PLATE_COLUMNS,
    iter_dataset,
    load_labels,
    write_blurred_dataset,
    write_plates_dataset,
)

TINY = PlateConfig(width=96, height=32)
LINEAR = BlurConfig(kind="linear", length=(3.0, 7.0))


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def labelled(tmp_path: Path, tiny_plate: np.ndarray) -> Path:
    """A folder with two PNGs and a valid labels.csv."""
    folder = tmp_path / "labelled"
    folder.mkdir()
    write_image(folder / "a.png", tiny_plate)
    (folder / "sub").mkdir()
    write_image(folder / "sub" / "b.png", tiny_plate)
    (folder / "labels.csv").write_text(
        "file,text,split\na.png,AB12 CDE,train\nsub/b.png,7ABC123,val\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def plates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plates") / "set"
    write_plates_dataset(out, 3, TINY, seed=1)
    return out


def test_load_labels_reads_rows_and_extra_columns(labelled: Path) -> None:
    rows = load_labels(labelled)
    assert [(r.file, r.text, r.split) for r in rows] == [
        ("a.png", "AB12 CDE", "train"),
        ("sub/b.png", "7ABC123", "val"),
    ]
    assert rows[0].extra == {"split": "train"}


def test_iter_dataset_yields_images(labelled: Path) -> None:
    items = list(iter_dataset(labelled, mode="L"))
    assert [row.file for row, _ in items] == ["a.png", "sub/b.png"]
    assert items[0][1].shape == (32, 96)


def _labels(folder: Path, text: str) -> None:
    (folder / "labels.csv").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "error", "match"),
    [
        ("name,text\na.png,AB1\n", ValueError, r"missing columns \['file'\]"),
        ("file,text\na.png,AB1\nc.png,X\n", FileNotFoundError, r"row 3: image 'c.png' not found"),
        ("file,text\na.png,AB1\na.png,X\n", ValueError, r"row 3: duplicate file 'a.png' \(first on row 2\)"),
        ("file,text\n../a.png,AB1\n", ValueError, r"row 2: file '../a.png' leaves the dataset"),
        ("file,text\n/etc/passwd,AB1\n", ValueError, r"row 2: file '/etc/passwd' leaves"),
        ("file,text\na.png,  \n", ValueError, r"row 2: empty text for 'a.png'"),
        ("file,text\n,AB1\n", ValueError, r"row 2: empty file name"),
        ("file,text\na.png,AB1,extra\n", ValueError, r"row 2: 3 fields, header has 2"),
        ("file,text\n", ValueError, r"labels.csv: no rows"),
        ("", ValueError, r"labels.csv: empty file"),
        ("file,text\nbroken.png,AB1\n", ValueError, r"row 2: 'broken.png' is not a readable image"),
    ],
)  # fmt: skip
def test_load_labels_rejects_bad_rows(
    labelled: Path, content: str, error: type[Exception], match: str
) -> None:
    (labelled / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    _labels(labelled, content)
    with pytest.raises(error, match=match):
        load_labels(labelled)


def test_load_labels_rejects_non_utf8(labelled: Path) -> None:
    (labelled / "labels.csv").write_bytes("file,text\na.png,ÄB1\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"labels.csv: not valid UTF-8"):
        load_labels(labelled)


def test_load_labels_rejects_missing_csv_and_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="dataset folder not found"):
        load_labels(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="labels.csv not found"):
        load_labels(tmp_path)


def test_write_plates_dataset_writes_images_labels_config(plates: Path) -> None:
    rows = load_labels(plates)
    assert [r.file for r in rows] == [
        "plate_000000.png",
        "plate_000001.png",
        "plate_000002.png",
    ]
    assert all(r.extra["style"] in ("uk", "eu", "us") for r in rows)
    assert read_image(plates / rows[0].file).shape == (32, 96, 3)
    config = json.loads((plates / "config.json").read_text())
    assert config["seed"] == 1 and config["count"] == 3
    assert PlateConfig(**{**config["plate"]}) == TINY


def test_write_plates_dataset_records_each_plates_look(tmp_path: Path) -> None:
    cfg = PlateConfig(
        width=96, height=32, style="cn", scheme="white_on_green", bolts=1.0,
        dirt=1.0, shadow=1.0, car=1.0,
    )  # fmt: skip
    rows = write_plates_dataset(tmp_path / "p", 2, cfg, seed=0)
    with (tmp_path / "p" / "labels.csv").open(encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    assert tuple(table[0]) == PLATE_COLUMNS
    for row, line in zip(rows, table[1:], strict=True):
        look = dict(zip(PLATE_COLUMNS, line, strict=True))
        assert look == {"file": row.file, "text": row.text, **row.extra}
        assert (look["style"], look["scheme"], look["surround"]) == (
            "cn", "white_on_green", "car"
        )  # fmt: skip
        assert look["bolts"] == "1" and 0.25 <= float(look["dirt"]) <= 0.7
        assert 0.25 <= float(look["shadow"]) <= 0.6


def test_write_plates_dataset_is_byte_identical_per_seed(
    plates: Path, tmp_path: Path
) -> None:
    write_plates_dataset(tmp_path / "again", 3, TINY, seed=1)
    write_plates_dataset(tmp_path / "other", 3, TINY, seed=2)
    assert _hashes(tmp_path / "again") == _hashes(plates)
    assert _hashes(tmp_path / "other") != _hashes(plates)


def test_write_plates_dataset_refuses_non_empty_and_overwrites_dataset(
    tmp_path: Path,
) -> None:
    out = tmp_path / "set"
    write_plates_dataset(out, 2, TINY, seed=0)
    with pytest.raises(ValueError, match="is not empty; pass overwrite"):
        write_plates_dataset(out, 2, TINY, seed=0)
    write_plates_dataset(out, 1, TINY, seed=0, overwrite=True)
    assert len(load_labels(out)) == 1 and not (out / "plate_000001.png").exists()


def test_write_plates_dataset_refuses_to_overwrite_other_folders(
    tmp_path: Path,
) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a dataset"):
        write_plates_dataset(tmp_path, 1, TINY, seed=0, overwrite=True)
    with pytest.raises(ValueError, match="must be a folder"):
        write_plates_dataset(tmp_path / "keep.txt", 1, TINY, seed=0)
    with pytest.raises(ValueError, match="count must be >= 1"):
        write_plates_dataset(tmp_path / "x", 0, TINY, seed=0)
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_write_plates_dataset_calls_track(tmp_path: Path) -> None:
    seen = []

    def track(items, total):
        seen.append(total)
        return items

    write_plates_dataset(tmp_path / "t", 2, TINY, seed=0, track=track)
    assert seen == [2]


def _manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_write_blurred_dataset_writes_pairs_psfs_manifest(
    plates: Path, tmp_path: Path
) -> None:
    before = _hashes(plates)
    out = tmp_path / "blurred"
    rows = write_blurred_dataset(plates, out, 2, seed=0, crop=(40, 20), blur=LINEAR)
    assert len(rows) == 6 and _hashes(plates) == before
    manifest = _manifest(out)
    assert tuple(manifest[0]) == MANIFEST_COLUMNS
    labels = {r.file: r.text for r in load_labels(plates)}
    for row in manifest:
        assert row["text"] == labels[row["source"]] and row["kind"] == "linear"
        assert 3.0 <= float(row["length"]) <= 7.0
        blurred = read_image(out / "blurred" / row["file"])
        sharp = read_image(out / "sharp" / row["file"])
        assert blurred.shape == sharp.shape == (20, 40, 3)
        x, y = int(row["crop_x"]), int(row["crop_y"])
        source = read_image(plates / row["source"])
        np.testing.assert_array_equal(sharp, source[y : y + 20, x : x + 40])
        psf = np.load(out / "psfs" / row["file"].replace(".png", ".npy"))
        assert psf.ndim == 2 and abs(psf.sum() - 1.0) < 1e-6
    config = json.loads((out / "config.json").read_text())
    assert config["crop"] == [40, 20] and config["blur"]["kind"] == "linear"


def test_write_blurred_dataset_seed2017_default_whole_images(
    plates: Path, tmp_path: Path
) -> None:
    write_blurred_dataset(plates, tmp_path / "a", 1, seed=3)
    write_blurred_dataset(plates, tmp_path / "b", 1, seed=3)
    write_blurred_dataset(plates, tmp_path / "c", 1, seed=4)
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b") != _hashes(tmp_path / "c")
    row = _manifest(tmp_path / "a")[0]
    assert row["kind"] == "seed2017" and (row["crop_w"], row["crop_h"]) == ("96", "32")
    sharp = read_image(tmp_path / "a" / "sharp" / row["file"])
    np.testing.assert_array_equal(sharp, read_image(plates / row["source"]))


def test_write_blurred_dataset_without_labels_uses_all_images(
    tmp_path: Path, tiny_plate: np.ndarray
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("b.png", "a.jpg", "notes.txt"):
        if name.endswith("txt"):
            (src / name).write_text("x")
        else:
            write_image(src / name, tiny_plate)
    rows = write_blurred_dataset(src, tmp_path / "out", 1, seed=0, blur=LINEAR)
    assert [(r.source, r.file, r.text) for r in rows] == [
        ("a.jpg", "a_000.png", ""),
        ("b.png", "b_000.png", ""),
    ]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"copies": 0}, ValueError, "copies must be >= 1"),
        ({"crop": (0, 5)}, ValueError, r"crop must be \(width, height\)"),
        ({"crop": (200, 20)}, ValueError, r"crop 200x20 is larger than plate_000000.png \(96x32\)"),
        ({"out": "SRC"}, ValueError, "must not be, contain or lie inside"),
        ({"out": "SRC/inner"}, ValueError, "must not be, contain or lie inside"),
        ({"src": "missing"}, FileNotFoundError, "sharp folder not found"),
        ({"src": "empty"}, ValueError, "no labels.csv and no images"),
    ],
)  # fmt: skip
def test_write_blurred_dataset_rejects_bad_input(
    plates: Path, tmp_path: Path, kwargs: dict, error: type[Exception], match: str
) -> None:
    (tmp_path / "empty").mkdir()
    src = {"missing": tmp_path / "missing", "empty": tmp_path / "empty"}.get(
        kwargs.pop("src", ""), plates
    )
    out = kwargs.pop("out", "out").replace("SRC", str(src))
    options = {"copies": 1, **kwargs}
    before = _hashes(plates)
    with pytest.raises(error, match=match):
        write_blurred_dataset(
            src, tmp_path / out, options.pop("copies"), seed=0, **options
        )
    assert _hashes(plates) == before


def test_interrupted_dataset_can_be_overwritten(
    bad_inputs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = bad_inputs.folder
    out = tmp_path / "out"
    import deblur.synth.dataset as dataset

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(dataset, "_write_csv", crash)
        with pytest.raises(KeyboardInterrupt):
            write_blurred_dataset(folder, out, 1, seed=0, on_error=lambda p, e: None)
    assert (out / INCOMPLETE).is_file() and not (out / "config.json").exists()
    with pytest.raises(ValueError, match="not empty"):
        write_blurred_dataset(folder, out, 1, seed=0, on_error=lambda p, e: None)
    rows = write_blurred_dataset(
        folder, out, 1, seed=0, overwrite=True, on_error=lambda p, e: None
    )
    assert len(rows) == len(bad_inputs.good) and not (out / INCOMPLETE).exists()


def test_labels_null_byte_and_huge_field_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_bytes(b"file,text\nok\x00.png,AB\n")
    with pytest.raises(ValueError, match=r"labels.csv row 2: file 'ok\\x00.png'"):
        load_labels(tmp_path)
    (tmp_path / "labels.csv").write_text("file,text\nok.png," + "A" * 200_000 + "\n")
    with pytest.raises(ValueError, match="labels.csv row 2: not valid CSV"):
        load_labels(tmp_path)


def test_load_labels_without_image_checks_still_refuses_unsafe_paths(
    tmp_path: Path,
) -> None:
    (tmp_path / "labels.csv").write_text("file,text\nmissing.png,AB\n")
    assert [r.file for r in load_labels(tmp_path, check_images=False)] == [
        "missing.png"
    ]
    with pytest.raises(FileNotFoundError, match="missing.png"):
        load_labels(tmp_path)
    (tmp_path / "labels.csv").write_text("file,text\n../x.png,AB\n")
    with pytest.raises(ValueError, match="leaves the dataset folder"):
        load_labels(tmp_path, check_images=False)
