"""Tests for deblur.export: ONNX and TFLite outputs match Keras."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("tf2onnx")

from deblur.config import ModelConfig  # noqa: E402
from deblur.export import export_model, export_onnx, export_tflite, run_tflite  # noqa: E402
from deblur.inference import (  # noqa: E402
    KerasDeblurrer,
    LiteRtDeblurrer,
    load,
    tflite_metadata,
)
from deblur.models import build_model  # noqa: E402


@pytest.fixture(scope="module")
def tiny_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    model = build_model(ModelConfig(arch="unet", width=4, depth=2, blocks=(1, 1, 1)))
    rng = np.random.default_rng(0)
    model.set_weights(
        [w + 0.1 * rng.standard_normal(w.shape) for w in model.get_weights()]
    )
    return model


@pytest.fixture(scope="module")
def onnx_path(
    tiny_model: keras.Model, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("onnx") / "tiny.onnx"
    result = export_onnx(tiny_model, path)
    assert result.max_abs_error < 1e-4
    return path


@pytest.mark.parametrize(
    "shape", [(32, 96), (21, 50), (5, 7), (32, 96, 3), (30, 90, 4)]
)
def test_onnx_deblurrer_matches_keras(
    onnx_path: Path, tiny_model: keras.Model, shape: tuple[int, ...]
) -> None:
    image = np.random.default_rng(1).random(shape, dtype=np.float32)
    via_onnx = load(onnx_path)(image)
    via_keras = KerasDeblurrer(tiny_model)(image)
    assert via_onnx.shape == image.shape and via_onnx.dtype == np.float32
    np.testing.assert_allclose(via_onnx, via_keras, atol=1e-4)


def test_onnx_batch_matches_keras_model(
    onnx_path: Path, tiny_model: keras.Model
) -> None:
    batch = np.random.default_rng(2).random((2, 32, 96, 1), dtype=np.float32)
    onnx_out = load(onnx_path).predict_batch(batch)  # type: ignore[attr-defined]
    np.testing.assert_allclose(onnx_out, np.asarray(tiny_model(batch)), atol=1e-4)


@pytest.fixture(scope="module")
def tflite_path(
    tiny_model: keras.Model, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("tflite") / "tiny.tflite"
    result = export_tflite(tiny_model, path, height=30, width=90)
    assert result.format == "tflite" and result.max_abs_error < 1e-4
    return path


@pytest.mark.parametrize(
    "shape", [(32, 96), (21, 50), (5, 7), (32, 96, 3), (30, 90, 4)]
)
def test_tflite_deblurrer_matches_keras_at_any_size(
    tflite_path: Path, tiny_model: keras.Model, shape: tuple[int, ...]
) -> None:
    image = np.random.default_rng(1).random(shape, dtype=np.float32)
    restored = load(tflite_path)
    assert isinstance(restored, LiteRtDeblurrer)
    via_tflite = restored(image)
    assert via_tflite.shape == image.shape and via_tflite.dtype == np.float32
    np.testing.assert_allclose(via_tflite, KerasDeblurrer(tiny_model)(image), atol=1e-4)


def test_tflite_carries_its_metadata(tflite_path: Path) -> None:
    meta = tflite_metadata(tflite_path.read_bytes())
    ours = {"channels": "1", "multiple": "4", "source": "deblur"}
    assert {key: meta.get(key) for key in ours} == ours
    restored = load(tflite_path)
    assert (restored.channels, restored.multiple) == (1, 4)  # type: ignore[attr-defined]


def test_run_tflite_takes_batches_of_multiples_only(
    tflite_path: Path, tiny_model: keras.Model
) -> None:
    batch = np.random.default_rng(3).random((2, 32, 96, 1), dtype=np.float32)
    out = run_tflite(tflite_path, batch)
    np.testing.assert_allclose(out, np.asarray(tiny_model(batch)), atol=1e-4)
    with pytest.raises(ValueError, match="multiples of 4"):
        run_tflite(tflite_path, batch[:, :, :50])


def test_export_model_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format must be one of"):
        export_model("default", tmp_path / "x.bin", format="coreml")


@pytest.mark.parametrize("blend", [False, True])
def test_export_onnx_of_a_guided_model_matches_keras(
    tmp_path: Path, blend: bool
) -> None:
    keras.utils.set_random_seed(0)
    cfg = ModelConfig(
        arch="unet",
        width=4,
        depth=2,
        blocks=(1, 1, 1),
        guide="blind_wiener",
        guide_blend=blend,
    )
    model = build_model(cfg)
    rng = np.random.default_rng(0)
    model.set_weights(
        [w + 0.1 * rng.standard_normal(w.shape) for w in model.get_weights()]
    )
    result = export_onnx(model, tmp_path / "guided.onnx")
    assert result.max_abs_error < 1e-4
    restored = load(tmp_path / "guided.onnx")
    assert restored.guided and restored.channels == 1  # type: ignore[attr-defined]
    image = np.random.default_rng(3).random((32, 96), dtype=np.float32)
    np.testing.assert_allclose(restored(image), KerasDeblurrer(model)(image), atol=1e-4)


def test_large_batches_run_in_calls_of_call_pixels(
    tflite_path: Path, tiny_model: keras.Model
) -> None:
    from deblur.inference import CALL_PIXELS

    side = 80  # two images per call on one thread, then one
    assert CALL_PIXELS // (side * side) == 2
    batch = np.random.default_rng(4).random((3, side, side, 1), dtype=np.float32)
    restored = load(tflite_path, threads=1)
    calls = []
    run = restored._run  # type: ignore[attr-defined]
    restored._run = lambda b: calls.append(len(b)) or run(b)  # type: ignore[attr-defined]
    out = restored.predict_batch(batch)  # type: ignore[attr-defined]
    assert calls == [2, 1]
    np.testing.assert_allclose(out, np.asarray(tiny_model(batch)), atol=1e-4)
    two = load(tflite_path, threads=2)  # twice the pixels per call: all three at once
    run_two = two._run  # type: ignore[attr-defined]
    two._run = lambda b: calls.append(len(b)) or run_two(b)  # type: ignore[attr-defined]
    two.predict_batch(batch)  # type: ignore[attr-defined]
    assert calls == [2, 1, 3]
