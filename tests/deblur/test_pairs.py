from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deblur.config import BlurConfig
from deblur.pairs import PairSampler, load_labelled_sources, load_sources

DEGRADATIONS = (BlurConfig(kind="linear", length=(3, 7)),)


@pytest.fixture
def sources() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.random((20, 40, 3)).astype(np.float32) for _ in range(6)]


def test_pair_sampler_patch_shapes_and_padding(sources: list[np.ndarray]) -> None:
    sampler = PairSampler(sources, DEGRADATIONS, patch=(24, 48), channels=1)
    x, y = sampler.batch([0, 1], 3, np.random.default_rng(0))
    assert x.shape == y.shape == (3, 24, 48, 1)
    assert x.dtype == np.float32


def test_load_sources_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        load_sources(tmp_path / "missing")
    with pytest.raises(ValueError, match="at least 2"):
        load_sources(tmp_path)


def test_pair_sampler_photometric_changes_sources_deterministically(
    sources: list[np.ndarray],
) -> None:
    plain = PairSampler(sources, DEGRADATIONS, patch=(16, 32), channels=1)
    varied = PairSampler(
        sources, DEGRADATIONS, patch=(16, 32), channels=1, photometric=1.0
    )
    a = varied.batch([0, 1], 2, np.random.default_rng(5))
    b = varied.batch([0, 1], 2, np.random.default_rng(5))
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], plain.batch([0, 1], 2, np.random.default_rng(5))[1])


def test_pair_sampler_plate_batch_is_one_size_with_texts() -> None:
    rng = np.random.default_rng(1)
    sources = [rng.random(shape).astype(np.float32) for shape in [(20, 40, 3)] * 3]
    sources.append(rng.random((24, 40, 3)).astype(np.float32))
    texts = ["AB1", "CD2", "EF3", "GH4"]
    sampler = PairSampler(sources, DEGRADATIONS, patch=(8, 8), channels=1, texts=texts)
    for seed in range(5):
        batch = sampler.plate_batch([0, 1, 2, 3], 4, np.random.default_rng(seed))
        assert batch.blurred.shape[1:3] == batch.sharp.shape[1:3]
        assert batch.blurred.shape[1:3] in ((20, 40), (24, 40))
        sizes = {(20, 40): set(texts[:3]), (24, 40): {"GH4"}}
        assert set(batch.texts) <= sizes[batch.blurred.shape[1:3]]
    with pytest.raises(ValueError, match="texts"):
        PairSampler(sources, DEGRADATIONS, patch=(8, 8), channels=1).plate_batch(
            [0], 1, np.random.default_rng(0)
        )


def test_load_labelled_sources_keeps_texts_aligned(labelled_folder: Path) -> None:
    folder = labelled_folder
    with pytest.raises(ValueError, match="bad.png"):
        load_labelled_sources(folder)
    skipped: list[str] = []
    images, texts = load_labelled_sources(
        folder, on_error=lambda path, err: skipped.append(path.name)
    )
    assert texts == ["AB12 CDE", "7KL-42", "Q9"] and len(images) == 3
    assert skipped == ["bad.png"]
    assert (folder / "bad.png").read_bytes() == b"not a png"  # input untouched
