from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from deblur import train as train_module
from deblur.config import BlurConfig, ModelConfig, TrainConfig
from deblur.reader import encode_texts
from deblur.text import PLATE_ALPHABET
from deblur.train import train

MODEL = ModelConfig(arch="unet", width=4, depth=2, blocks=(1, 1, 1))
CFG = TrainConfig(
    steps=4,
    batch=2,
    patch=(16, 32),
    val_every=2,
    plates=4,
    degradations=(BlurConfig(kind="linear", length=(3, 7)),),
)


@pytest.fixture
def sources() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.random((20, 40, 3)).astype(np.float32) for _ in range(6)]


def _weights(out: Path) -> list[np.ndarray]:
    import keras

    model = keras.saving.load_model(out / "model.keras", compile=False)
    return [np.asarray(w) for w in model.weights]


def test_train_writes_outputs_and_log(
    tmp_path: Path, sources: list[np.ndarray]
) -> None:
    calls: list[tuple[int, int]] = []
    result = train(
        MODEL,
        CFG,
        tmp_path / "run",
        sources=sources,
        on_step=lambda *a: calls.append(a),
    )
    out = tmp_path / "run"
    assert result.steps == 4
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    for name in (
        "model.keras",
        "model_config.json",
        "train_config.json",
        "log.csv",
        "curves.png",
    ):
        assert (out / name).exists(), name
    assert json.loads((out / "model_config.json").read_text())["arch"] == "unet"
    assert (
        len((out / "log.csv").read_text().splitlines()) == 3
    )  # header + 2 validations


def test_train_refuses_existing_run_without_resume(
    tmp_path: Path, sources: list[np.ndarray]
) -> None:
    train(MODEL, CFG, tmp_path, sources=sources)
    with pytest.raises(FileExistsError, match="resume"):
        train(MODEL, CFG, tmp_path, sources=sources)


def test_train_resume_after_interruption_matches_uninterrupted(
    tmp_path: Path, sources: list[np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    train(MODEL, CFG, tmp_path / "full", sources=sources)

    original = train_module._batches

    def interrupted(*args, **kwargs):
        for item in original(*args, **kwargs):
            if item[0] == 2:  # killed right after the step-2 checkpoint
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(train_module, "_batches", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(MODEL, CFG, tmp_path / "resumed", sources=sources)
    monkeypatch.setattr(train_module, "_batches", original)
    calls: list[tuple[int, int]] = []
    result = train(
        MODEL, CFG, tmp_path / "resumed", sources=sources, resume=True,
        on_step=lambda *a: calls.append(a),
    )  # fmt: skip
    assert result.steps == 4 and calls == [(3, 4), (4, 4)]
    for a, b in zip(
        _weights(tmp_path / "full"), _weights(tmp_path / "resumed"), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    log = (tmp_path / "resumed" / "log.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in log[1:]] == ["2", "4"]


def test_train_resume_rejects_changed_config(
    tmp_path: Path, sources: list[np.ndarray]
) -> None:
    train(MODEL, CFG, tmp_path, sources=sources)
    changed = TrainConfig(**{**CFG.__dict__, "lr": 5e-4})
    with pytest.raises(ValueError, match="differs"):
        train(MODEL, changed, tmp_path, sources=sources, resume=True)


def test_train_init_loads_weights(tmp_path: Path, sources: list[np.ndarray]) -> None:
    import keras

    from deblur.models import build_model

    start = build_model(MODEL)
    start.save(tmp_path / "start.keras")
    one_step = TrainConfig(**{**CFG.__dict__, "steps": 1, "lr": 1e-9})
    init = TrainConfig(**{**one_step.__dict__, "init": str(tmp_path / "start.keras")})
    train(MODEL, init, tmp_path / "run", sources=sources)
    trained = keras.saving.load_model(tmp_path / "run" / "model.keras", compile=False)
    for a, b in zip(start.get_weights(), trained.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_train_init_adds_a_new_head_and_rejects_a_mismatch(
    tmp_path: Path, sources: list[np.ndarray]
) -> None:
    import keras

    from deblur.models import build_model

    guided = ModelConfig(**{**MODEL.__dict__, "guide": "blind_wiener"})
    blended = ModelConfig(**{**guided.__dict__, "guide_blend": True})
    start = build_model(guided)
    start.save(tmp_path / "start.keras")
    one_step = TrainConfig(**{**CFG.__dict__, "steps": 1, "lr": 1e-9})
    init = TrainConfig(**{**one_step.__dict__, "init": str(tmp_path / "start.keras")})
    train(blended, init, tmp_path / "run", sources=sources)
    trained = keras.saving.load_model(tmp_path / "run" / "model.keras", compile=False)
    for layer in start.layers:
        for a, b in zip(
            layer.get_weights(),
            trained.get_layer(layer.name).get_weights(),
            strict=True,
        ):
            np.testing.assert_allclose(a, b, atol=1e-5)
    # Back the other way the blend head has nowhere to go: one clear error.
    trained.save(tmp_path / "blended.keras")
    back = TrainConfig(**{**one_step.__dict__, "init": str(tmp_path / "blended.keras")})
    with pytest.raises(
        ValueError, match="blended.keras: layers the model lacks: blend_logit"
    ):
        train(guided, back, tmp_path / "back", sources=sources)


@pytest.fixture
def reader_path(tmp_path: Path) -> Path:
    """An untrained plate reader: its CTC loss is still a differentiable term."""
    from deblur.reader import build_reader

    path = tmp_path / "reader.keras"
    build_reader().save(path)
    return path


def test_ocr_weight_adds_the_readers_ctc_loss(
    reader_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keras

    from deblur.models import build_model

    monkeypatch.setattr(train_module, "READABLE_CTC", np.inf)  # random targets count
    rng = np.random.default_rng(2)
    x = rng.random((2, 24, 48, 1)).astype(np.float32)
    y = rng.random((2, 24, 48, 1)).astype(np.float32)
    labels, lengths = encode_texts(["AB 12", "7Z"])
    reader = keras.saving.load_model(reader_path, compile=False)
    losses, ctcs = [], []
    for weight in (0.0, 0.5):
        keras.utils.set_random_seed(0)
        model = build_model(MODEL)
        restored = model(x, training=True)
        ctcs.append(float(train_module._ocr_loss(reader, restored, y, labels, lengths)))
        cfg = TrainConfig(**{**CFG.__dict__, "ocr_weight": weight})
        cfg = TrainConfig(**{**cfg.__dict__, "reader": str(reader_path)})
        step = train_module._train_step(
            model,
            keras.optimizers.Adam(0.0),
            train_module.make_loss(cfg),
            train_module._load_reader(cfg),
            cfg.ocr_weight,
        )
        arrays = (x, y, labels, lengths) if weight else (x, y)
        losses.append(float(step(*arrays)))
    assert ctcs[0] == pytest.approx(ctcs[1]) and ctcs[0] > 0
    assert losses[1] - losses[0] == pytest.approx(0.5 * ctcs[0], rel=1e-3)


def _dark_reader(text: str, columns: int = 12):  # untyped: a reader stand-in
    """A reader that reads `text` from images darker than mid-grey, nothing else."""
    import tensorflow as tf

    labels, _ = encode_texts([text])
    path = np.zeros(columns, np.int64)  # blank, char, blank, char, ...
    path[1 : 2 * labels.shape[1] : 2] = labels[0]
    sure = tf.constant(20.0 * np.eye(len(PLATE_ALPHABET) + 1)[path], tf.float32)

    def read(images, training=False):  # untyped: tensors
        dark = tf.reduce_mean(images, axis=[1, 2, 3]) < 0.5
        return tf.where(dark[:, None, None], sure[None], tf.zeros_like(sure)[None])

    return read


def test_ocr_loss_reads_each_plate_in_its_sharp_polarity() -> None:
    reader = _dark_reader("AB12")
    labels, lengths = encode_texts(["AB12", "AB12"])
    dark = np.full((1, 8, 16, 1), 0.2, np.float32)
    light = 1.0 - dark
    sharp = np.concatenate([dark, light])  # dark text plate, then a white-on-blue one
    right = train_module._ocr_loss(reader, sharp, sharp, labels, lengths)
    wrong = train_module._ocr_loss(reader, 1.0 - sharp, sharp, labels, lengths)
    assert float(right) < 1e-3  # each read in its best polarity
    assert float(wrong) > 10  # the restored plate's polarity is judged, not forgiven


def test_ocr_loss_leaves_out_plates_the_reader_cannot_read_sharp() -> None:
    reader = _dark_reader("AB12")
    labels, lengths = encode_texts(["AB12", "XY34"])  # the reader never reads XY34
    sharp = np.full((2, 8, 16, 1), 0.2, np.float32)
    restored = np.stack([np.full((8, 16, 1), v, np.float32) for v in (0.2, 0.8)])
    alone = train_module._ocr_loss(
        reader, sharp[:1], sharp[:1], labels[:1], lengths[:1]
    )
    both = train_module._ocr_loss(reader, restored, sharp, labels, lengths)
    assert float(both) == pytest.approx(float(alone), abs=1e-4)  # XY34 counts nothing
    nothing = train_module._ocr_loss(
        reader, restored[1:], sharp[1:], labels[1:], lengths[1:]
    )
    assert float(nothing) == 0.0


def test_train_with_ocr_weight_on_synthetic_plates(
    tmp_path: Path, reader_path: Path, sources: list[np.ndarray]
) -> None:
    cfg = TrainConfig(
        **{**CFG.__dict__, "steps": 2, "ocr_weight": 0.1, "reader": str(reader_path)}
    )
    result = train(MODEL, cfg, tmp_path / "run")
    assert result.steps == 2
    assert (tmp_path / "run" / "model.keras").exists()
    with pytest.raises(ValueError, match="plate text"):
        train(MODEL, cfg, tmp_path / "other", sources=sources)
    rgb = ModelConfig(**{**MODEL.__dict__, "channels": 3})  # reader reads their mean
    assert train(rgb, cfg, tmp_path / "rgb").steps == 2


def test_cli_train_ocr_weight_on_a_labelled_folder(
    tmp_path: Path, reader_path: Path, labelled_folder: Path
) -> None:
    from typer.testing import CliRunner

    from deblur.cli import app

    config = {**CFG.__dict__, "steps": 1, "ocr_weight": 0.1, "reader": str(reader_path)}
    config["degradations"] = [d.__dict__ for d in CFG.degradations]
    (tmp_path / "cfg.json").write_text(json.dumps(config))
    args = ["train", "--data", str(labelled_folder), "--out"]
    args += [str(tmp_path / "run"), "--width", "4", "--blocks", "1,1,1"]
    result = CliRunner().invoke(app, [*args, "--config", str(tmp_path / "cfg.json")])
    assert result.exit_code == 1, result.output  # bad.png is reported, not fatal
    assert "bad.png" in result.output and "trained 1 steps" in result.output


def test_mean_psnr_known_mse_and_cap() -> None:
    reference = np.zeros((2, 4, 4, 1), np.float32)
    restored = np.stack([np.full((4, 4, 1), 0.1, np.float32), reference[0]])
    # 20 dB (MSE 0.01) and an exact restoration capped at 100 dB
    assert train_module._mean_psnr(reference, restored) == pytest.approx(60.0)


@pytest.mark.parametrize("preset", ["classic", "variety"])
def test_synthetic_training_plates_follow_plate_preset(
    preset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deblur.config import PlateConfig

    seen = []

    def plates(count: int, *, seed: int, cfg: PlateConfig) -> tuple[list, list]:
        seen.append(cfg)
        raise RuntimeError("stop here")

    monkeypatch.setattr(train_module, "synthetic_plates", plates)
    cfg = TrainConfig(**{**CFG.__dict__, "plate_preset": preset})
    with pytest.raises(RuntimeError, match="stop here"):
        train_module._make_data(MODEL, cfg, None, None)
    assert seen == [PlateConfig.preset(preset)]
