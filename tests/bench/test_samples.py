from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bench.config import BlurGrid, SuiteConfig
from bench.samples import build_sample, count_samples, iter_samples


def test_iter_samples_deterministic(tiny_suite: Callable[..., SuiteConfig]) -> None:
    suite = tiny_suite(count=3)
    first, second = list(iter_samples(suite)), list(iter_samples(suite))
    for a, b in zip(first, second, strict=True):
        assert a.text == b.text
        np.testing.assert_array_equal(a.blurred, b.blurred)


def test_build_sample_alone_equals_iterated(
    tiny_suite: Callable[..., SuiteConfig],
) -> None:
    suite = tiny_suite(count=4)
    iterated = list(iter_samples(suite))[2]
    alone = build_sample(suite, 2)
    assert alone.sample_id == iterated.sample_id == "tiny-00002"
    np.testing.assert_array_equal(alone.sharp, iterated.sharp)
    np.testing.assert_array_equal(alone.blurred, iterated.blurred)


def test_samples_follow_the_grid(tiny_suite: Callable[..., SuiteConfig]) -> None:
    suite = tiny_suite(count=4, styles=("uk", "us"), blur=BlurGrid(lengths=(3, 7)))
    samples = list(iter_samples(suite))
    assert [s.style for s in samples] == ["uk", "us", "uk", "us"]
    assert [s.blur["length"] for s in samples] == [3, 7, 3, 7]
    assert all(s.psf is not None and s.sharp is not None for s in samples)
    assert all(s.blurred.shape == s.sharp.shape for s in samples)  # type: ignore[union-attr]
    assert samples[0].blur["kind"] == "linear" and not math.isnan(
        samples[0].blur["angle"]
    )


def test_seed_changes_images(tiny_suite: Callable[..., SuiteConfig]) -> None:
    a = build_sample(tiny_suite(seed=1), 0)
    b = build_sample(tiny_suite(seed=2), 0)
    assert not np.array_equal(a.blurred, b.blurred)


def test_seed2017_grid(tiny_suite: Callable[..., SuiteConfig]) -> None:
    sample = build_sample(tiny_suite(blur=BlurGrid(kind="seed2017")), 0)
    assert sample.blur["kind"] == "seed2017" and sample.psf is not None


def test_family_grid_cycles_families_then_lengths(
    tiny_suite: Callable[..., SuiteConfig],
) -> None:
    grid = BlurGrid(kind="family", families=("sharp", "shake", "dim"), lengths=(5, 9))
    samples = list(iter_samples(tiny_suite(count=6, blur=grid)))
    assert [s.blur["kind"] for s in samples] == ["sharp", "shake", "dim"] * 2
    assert [s.blur["length"] for s in samples] == [0.0, 5.0, 0.0, 0.0, 9.0, 0.0]
    assert samples[0].psf is None and samples[1].psf is not None
    # the sharp family is noise only; dim changes the reference's exposure too
    assert np.abs(samples[0].blurred - samples[0].sharp).max() < 0.06  # type: ignore[operator]
    assert samples[2].sharp is not None


@pytest.mark.parametrize(
    ("kind", "families", "match"),
    [
        ("family", (), "exactly when"),
        ("linear", ("shake",), "exactly when"),
        ("family", ("wobble",), "unknown blur families"),
    ],
)
def test_family_grid_validation(
    kind: str, families: tuple[str, ...], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        BlurGrid(kind=kind, families=families)


def test_build_sample_index_out_of_range(
    tiny_suite: Callable[..., SuiteConfig],
) -> None:
    with pytest.raises(IndexError, match="index"):
        build_sample(tiny_suite(count=2), 2)


def test_folder_suite_needs_folder(tiny_suite: Callable[..., SuiteConfig]) -> None:
    with pytest.raises(ValueError, match="--data"):
        count_samples(tiny_suite(kind="real", count=0))


def _write_folder(folder: Path) -> None:
    from deblur.io import write_image
    from deblur.synth.plates import render_plate

    folder.mkdir()
    lines = ["file,text"]
    for i, text in enumerate(["AB12 CDE", "XY34 ZZZ"]):
        write_image(folder / f"p{i}.png", render_plate(text, rng=i, style="uk"))
        lines.append(f"p{i}.png,{text}")
    (folder / "labels.csv").write_text("\n".join(lines) + "\n")


def test_real_and_blind_folders(
    tmp_path: Path, tiny_suite: Callable[..., SuiteConfig]
) -> None:
    folder = tmp_path / "plates"
    _write_folder(folder)
    real = list(iter_samples(tiny_suite(kind="real", count=0, folder=str(folder))))
    assert [s.sample_id for s in real] == ["p0.png", "p1.png"]
    assert real[0].sharp is not None and real[0].sharp.shape[1] == 96
    blind = list(iter_samples(tiny_suite(kind="blind", count=1, folder=str(folder),
                                         plate_width=0)))  # fmt: skip
    assert len(blind) == 1 and blind[0].sharp is None and blind[0].psf is None
    assert blind[0].blurred.shape[1] == 240


def _write_frames(folder: Path, boxes: list[str]) -> list[tuple[int, int, int, int]]:
    """Two frames with a plate box and one crop without; `boxes` are the csv cells."""
    from deblur.io import write_image
    from deblur.synth.frames import make_frame
    from deblur.synth.plates import render_plate

    folder.mkdir()
    lines, truth = ["file,text,x,y,w,h"], []
    for i, text in enumerate(["AB12 CDE", "XY34 ZZZ"]):
        frame = make_frame(render_plate(text, rng=i, style="uk"), rng=i)
        write_image(folder / f"f{i}.png", frame.image)
        lines.append(f"f{i}.png,{text},{boxes[i] or ','.join(map(str, frame.box))}")
        truth.append(frame.box)
    write_image(folder / "crop.png", render_plate("CR05 OPS", rng=5, style="uk"))
    lines.append("crop.png,CR05 OPS,,,,")
    (folder / "labels.csv").write_text("\n".join(lines) + "\n")
    return truth


def test_folder_frames_keep_their_size_and_plate_box(
    tmp_path: Path, tiny_suite: Callable[..., SuiteConfig]
) -> None:
    from bench.samples import FRAME_STYLE

    truth = _write_frames(tmp_path / "frames", ["", ""])
    suite = tiny_suite(kind="blind", count=0, folder=str(tmp_path / "frames"))
    frames = list(iter_samples(suite))
    assert [s.box for s in frames] == [*truth, None]
    assert [s.style for s in frames] == [FRAME_STYLE, FRAME_STYLE, "real"]
    assert frames[0].blurred.shape == (384, 512, 3)  # not resized to plate_width
    assert frames[2].blurred.shape[1] == 96  # a crop still is
    x, y, w, h = truth[0]
    np.testing.assert_array_equal(
        frames[0].in_box(frames[0].blurred), frames[0].blurred[y : y + h, x : x + w]
    )
    assert frames[2].in_box(frames[2].blurred) is frames[2].blurred


@pytest.mark.parametrize(
    ("cell", "match"),
    [("1,2,3,", "four integers"), ("a,2,3,4", "four integers"),
     ("1,2,0,4", "four integers"), ("-1,2,3,4", "four integers"),
     ("500,300,100,40", "leaves the 512x384 image")],
)  # fmt: skip
def test_folder_frames_bad_box_is_one_clear_error(
    tmp_path: Path, tiny_suite: Callable[..., SuiteConfig], cell: str, match: str
) -> None:
    _write_frames(tmp_path / "frames", [cell, ""])
    suite = tiny_suite(kind="blind", count=0, folder=str(tmp_path / "frames"))
    with pytest.raises(ValueError, match=match) as info:
        build_sample(suite, 0)
    assert "f0.png" in str(info.value) and "\n" not in str(info.value)


def test_repeated_draws_pool_independent_samples(
    tiny_suite: Callable[..., SuiteConfig],
) -> None:
    single = tiny_suite(count=3, seed=4)
    pooled = tiny_suite(count=3, seed=4, seeds=(4, 9), repeats=2)
    assert count_samples(pooled) == 6
    samples = list(iter_samples(pooled))
    assert [s.sample_id for s in samples] == [
        "tiny-s4-00000", "tiny-s4-00001", "tiny-s4-00002",
        "tiny-s9-00000", "tiny-s9-00001", "tiny-s9-00002",
    ]  # fmt: skip
    assert [s.seed for s in samples] == [4, 4, 4, 9, 9, 9]
    for i in range(3):  # the first draw is the single-seed suite, pixel for pixel
        np.testing.assert_array_equal(
            samples[i].blurred, build_sample(single, i).blurred
        )
    other = build_sample(tiny_suite(count=3, seed=9), 1)
    np.testing.assert_array_equal(samples[4].blurred, other.blurred)
    assert [s.blur["length"] for s in samples] == [3, 5, 3, 3, 5, 3]
    with pytest.raises(IndexError, match="index"):
        build_sample(pooled, 6)


def test_sample_label_without_images(tmp_path: Path,
                                     tiny_suite: Callable[..., SuiteConfig]) -> None:  # fmt: skip
    from bench.samples import sample_label

    (tmp_path / "labels.csv").write_text("file,text\na.png,AB 12\nb.png,CD 34\n")
    suite = tiny_suite(kind="real", count=0, folder=str(tmp_path), repeats=2)
    assert sample_label(suite, 1) == ("s3-b.png", "CD 34")  # seed 3, second draw 4
    assert sample_label(suite, 3) == ("s4-b.png", "CD 34")
    assert sample_label(tiny_suite(), 2) == ("tiny-00002", "")
