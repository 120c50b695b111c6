"""Tests for deblur.tiling: grid, blending window, predict_tiled, 2017 seed tiling."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from deblur.config import TileConfig
from deblur.tiling import (
    predict_seed_tiling,
    predict_tiled,
    seed_tile_offsets,
    tile_grid,
    tile_starts,
    tile_window,
)

TILED = TileConfig(tile=32, overlap=8, batch=3, max_pixels=0)


def _identity(batch: NDArray[np.float32]) -> NDArray[np.float32]:
    return batch.copy()


@pytest.mark.parametrize(
    ("size", "tile", "overlap", "expected"),
    [
        (100, 40, 10, [0, 30, 60]),
        (40, 40, 10, [0]),
        (10, 40, 10, [0]),
        (41, 40, 0, [0, 1]),
    ],
)
def test_tile_starts_cover_axis(
    size: int, tile: int, overlap: int, expected: list[int]
) -> None:
    starts = tile_starts(size, tile, overlap)
    assert starts == expected
    assert starts[-1] + min(tile, size) == size


@pytest.mark.parametrize("shape", [(50, 70), (32, 32), (100, 33), (17, 200)])
def test_tile_window_weights_sum_to_one(shape: tuple[int, int]) -> None:
    tile = (min(32, shape[0]), min(32, shape[1]))
    tiles = tile_grid(*shape, tile=tile, overlap=8)
    windows = [tile_window(t, overlap=8) for t in tiles]
    accumulated = np.zeros(shape)
    for t, w in zip(tiles, windows, strict=True):
        assert np.all(w >= 0)
        accumulated[t.top : t.top + t.height, t.left : t.left + t.width] += w
    assert np.all(accumulated > 0)
    normalised = np.zeros(shape)
    for t, w in zip(tiles, windows, strict=True):
        rows, cols = slice(t.top, t.top + t.height), slice(t.left, t.left + t.width)
        normalised[rows, cols] += w / accumulated[rows, cols]
    np.testing.assert_allclose(normalised, 1.0, atol=1e-12)


def test_tile_window_full_weight_away_from_neighbours() -> None:
    (only,) = tile_grid(32, 32, tile=(32, 32), overlap=8)
    np.testing.assert_array_equal(tile_window(only, overlap=8), 1.0)


@pytest.mark.parametrize("shape", [(50, 70), (50, 70, 1), (45, 90, 3), (20, 300, 4)])
def test_predict_tiled_identity_is_exact(shape: tuple[int, ...]) -> None:
    image = np.random.default_rng(0).random(shape, dtype=np.float32)
    original = image.copy()
    out = predict_tiled(_identity, image, cfg=TILED)
    assert out.shape == image.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, image)
    np.testing.assert_array_equal(image, original)


def test_predict_tiled_constant_stays_constant() -> None:
    image = np.full((70, 90), 0.3, np.float32)
    out = predict_tiled(lambda b: b * 0 + 0.7, image, cfg=TILED)
    np.testing.assert_allclose(out, 0.7, atol=1e-6)


def test_predict_tiled_small_image_is_one_pass() -> None:
    calls: list[tuple[int, ...]] = []

    def fn(batch: NDArray[np.float32]) -> NDArray[np.float32]:
        calls.append(batch.shape)
        return batch

    predict_tiled(
        fn, np.zeros((60, 240), np.float32), cfg=TileConfig(tile=32, overlap=8)
    )
    assert calls == [(1, 60, 240, 1)]


def test_predict_tiled_batches_tiles() -> None:
    sizes: list[int] = []

    def fn(batch: NDArray[np.float32]) -> NDArray[np.float32]:
        sizes.append(batch.shape[0])
        return batch

    predict_tiled(fn, np.zeros((64, 100), np.float32), cfg=TILED)
    assert max(sizes) <= TILED.batch and sum(sizes) == len(
        tile_grid(64, 100, tile=(32, 32), overlap=8)
    )


def test_predict_tiled_rejects_wrong_fn_shape() -> None:
    with pytest.raises(ValueError, match="fn must return"):
        predict_tiled(lambda b: b[:, :-1], np.zeros((64, 64), np.float32), cfg=TILED)


def test_predict_tiled_rejects_bad_image() -> None:
    with pytest.raises(ValueError, match="2-D or 3-D"):
        predict_tiled(_identity, np.zeros((2, 3, 4, 5), np.float32), cfg=TILED)


def test_predict_tiled_no_seam_with_real_conv_model() -> None:
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((None, None, 1)),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(1, 3, padding="same"),
        ]
    )
    image = np.random.default_rng(1).random((96, 128), dtype=np.float32)

    def fn(batch: NDArray[np.float32]) -> NDArray[np.float32]:
        return np.asarray(model(batch))

    single = predict_tiled(fn, image, cfg=TileConfig(tile=48, overlap=16))
    tiled = predict_tiled(fn, image, cfg=TileConfig(tile=48, overlap=16, max_pixels=0))
    # The window gives zero weight to the outer overlap // 4 = 4 px of a tile; this
    # model's receptive field is +-3 px, so tiling changes nothing beyond rounding.
    np.testing.assert_allclose(tiled, single, atol=1e-6)
    wide = predict_tiled(fn, image, cfg=TileConfig(tile=48, overlap=8, max_pixels=0))
    assert np.abs(wide - single).max() > 1e-4  # a 2-px margin does show the seams


def test_seed_tile_offsets_count_matches_2017() -> None:
    offsets = seed_tile_offsets(60, 240)
    assert len(offsets) == (240 - 40) * (60 - 20)
    assert offsets[0] == (0, 0) and offsets[1] == (1, 0) and offsets[-1] == (39, 199)
    assert len(seed_tile_offsets(60, 240, stride=10)) == 20 * 4


@pytest.mark.parametrize("shape", [(30, 60), (30, 60, 3), (10, 12, 3), (5, 5)])
def test_predict_seed_tiling_identity_keeps_image(shape: tuple[int, ...]) -> None:
    image = np.random.default_rng(0).random(shape, dtype=np.float32)
    image = np.round(image * 255).astype(np.float32) / 255  # 8-bit exact values
    out = predict_seed_tiling(_identity, image, stride=3)
    assert out.shape == image.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, image, atol=1 / 255)


def test_predict_seed_tiling_later_tiles_weigh_more() -> None:
    image = np.zeros((21, 42), np.float32)
    calls = iter([0.8, 0.2])

    def fn(batch: NDArray[np.float32]) -> NDArray[np.float32]:
        return np.stack(
            [np.full(batch.shape[1:], next(calls), np.float32) for _ in batch]
        )

    out = predict_seed_tiling(fn, image, batch=1)
    # tiles at left=0 then left=1, each blended 50/50 into the canvas (0 at start):
    # column 0 sees only the first (0.5 * 0.8), columns 1..39 see both.
    assert out[5, 0] == pytest.approx(0.5 * 0.8, abs=1 / 255)
    assert out[5, 5] == pytest.approx(0.25 * 0.8 + 0.5 * 0.2, abs=1 / 255)
    assert out[:, -1].max() == 0.0  # the last column is never covered, as in 2017


def test_predict_seed_tiling_rejects_bad_stride() -> None:
    with pytest.raises(ValueError, match="stride"):
        predict_seed_tiling(_identity, np.zeros((30, 60), np.float32), stride=0)


# --- property tests (hypothesis) ----------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def _tiled_case(draw: st.DrawFn) -> tuple[tuple[int, ...], TileConfig]:
    tile = draw(st.integers(16, 48))
    overlap = draw(st.integers(0, tile // 2 - 1))
    height, width = draw(st.integers(1, 120)), draw(st.integers(1, 120))
    channels = draw(st.sampled_from([None, 1, 3, 4]))
    shape = (height, width) if channels is None else (height, width, channels)
    batch = draw(st.integers(1, 5))
    return shape, TileConfig(tile=tile, overlap=overlap, batch=batch, max_pixels=0)


@settings(max_examples=25, deadline=None)
@given(case=_tiled_case(), seed=st.integers(0, 2**16))
def test_predict_tiled_identity_exact_property(
    case: tuple[tuple[int, ...], TileConfig], seed: int
) -> None:
    shape, cfg = case
    image = np.random.default_rng(seed).random(shape, dtype=np.float32)
    original = image.copy()
    out = predict_tiled(_identity, image, cfg=cfg)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, image)
    np.testing.assert_array_equal(image, original)


@settings(max_examples=25, deadline=None)
@given(
    height=st.integers(1, 150),
    width=st.integers(1, 150),
    tile=st.integers(16, 48),
    data=st.data(),
)
def test_tile_window_weights_sum_to_one_property(
    height: int, width: int, tile: int, data: st.DataObject
) -> None:
    overlap = data.draw(st.integers(0, tile // 2 - 1), label="overlap")
    size = (min(tile, height), min(tile, width))
    tiles = tile_grid(height, width, tile=size, overlap=overlap)
    accumulated = np.zeros((height, width))
    windows = [tile_window(t, overlap=overlap) for t in tiles]
    for t, w in zip(tiles, windows, strict=True):
        assert t.top >= 0 and t.left >= 0
        assert t.top + t.height <= height and t.left + t.width <= width
        assert np.all(w >= 0)
        accumulated[t.top : t.top + t.height, t.left : t.left + t.width] += w
    assert np.all(accumulated > 0)  # every pixel is covered with positive weight
    normalised = np.zeros((height, width))
    for t, w in zip(tiles, windows, strict=True):
        rows, cols = slice(t.top, t.top + t.height), slice(t.left, t.left + t.width)
        normalised[rows, cols] += w / accumulated[rows, cols]
    np.testing.assert_allclose(normalised, 1.0, atol=1e-12)


def test_predict_tiles_passes_each_batch_its_tiles_and_equals_predict_tiled() -> None:
    from deblur.tiling import image_tiles, predict_tiles

    cfg = TileConfig(tile=32, overlap=8, batch=3, max_pixels=0)
    image = np.random.default_rng(1).random((50, 70), dtype=np.float32)
    seen = []

    def fn(batch: np.ndarray, chunk: list) -> np.ndarray:
        seen.extend((t.top, t.left) for t in chunk)
        return batch * 0.5

    out = predict_tiles(fn, image, cfg=cfg)
    assert seen == [(t.top, t.left) for t in image_tiles(50, 70, cfg)]
    np.testing.assert_allclose(out, predict_tiled(lambda b: b * 0.5, image, cfg=cfg))
    np.testing.assert_allclose(out, image * 0.5, atol=1e-6)


def test_predict_tiles_in_lanes_gives_the_same_image() -> None:
    from deblur.tiling import predict_tiles

    cfg = TileConfig(tile=32, overlap=8, batch=2, max_pixels=0)
    image = np.random.default_rng(2).random((70, 90, 3), dtype=np.float32)

    def fn(batch: np.ndarray, chunk: list) -> np.ndarray:
        return np.sqrt(batch) + 0.01 * len(chunk)

    one = predict_tiles(fn, image, cfg=cfg)
    np.testing.assert_array_equal(predict_tiles(fn, image, cfg=cfg, lanes=3), one)
    with pytest.raises(ValueError, match="lanes must be >= 1, got 0"):
        predict_tiles(fn, image, cfg=cfg, lanes=0)
