from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from deblur import train as train_module
from deblur.config import BlurConfig, ModelConfig, TrainConfig
from deblur.train import PairSampler, load_sources, train

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


def test_pair_sampler_patch_shapes_and_padding(sources: list[np.ndarray]) -> None:
    sampler = PairSampler(sources, CFG.degradations, patch=(24, 48), channels=1)
    x, y = sampler.batch([0, 1], 3, np.random.default_rng(0))
    assert x.shape == y.shape == (3, 24, 48, 1)
    assert x.dtype == np.float32


def test_train_writes_outputs_and_log(
    tmp_path: Path, sources: list[np.ndarray]
) -> None:
    result = train(MODEL, CFG, tmp_path / "run", sources=sources)
    out = tmp_path / "run"
    assert result.steps == 4
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

    def interrupted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        for item in original(*args, **kwargs):
            if item[0] == 2:  # killed right after the step-2 checkpoint
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(train_module, "_batches", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(MODEL, CFG, tmp_path / "resumed", sources=sources)
    monkeypatch.setattr(train_module, "_batches", original)
    result = train(MODEL, CFG, tmp_path / "resumed", sources=sources, resume=True)
    assert result.steps == 4
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


def test_load_sources_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        load_sources(tmp_path / "missing")
    with pytest.raises(ValueError, match="at least 2"):
        load_sources(tmp_path)


def test_pair_sampler_photometric_changes_sources_deterministically(
    sources: list[np.ndarray],
) -> None:
    plain = PairSampler(sources, CFG.degradations, patch=(16, 32), channels=1)
    varied = PairSampler(
        sources, CFG.degradations, patch=(16, 32), channels=1, photometric=1.0
    )
    a = varied.batch([0, 1], 2, np.random.default_rng(5))
    b = varied.batch([0, 1], 2, np.random.default_rng(5))
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], plain.batch([0, 1], 2, np.random.default_rng(5))[1])


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


def test_pair_sampler_plate_batch_is_one_size_with_texts() -> None:
    rng = np.random.default_rng(1)
    sources = [rng.random(shape).astype(np.float32) for shape in [(20, 40, 3)] * 3]
    sources.append(rng.random((24, 40, 3)).astype(np.float32))
    texts = ["AB1", "CD2", "EF3", "GH4"]
    sampler = PairSampler(
        sources, CFG.degradations, patch=(8, 8), channels=1, texts=texts
    )
    for seed in range(5):
        batch = sampler.plate_batch([0, 1, 2, 3], 4, np.random.default_rng(seed))
        assert batch.blurred.shape[1:3] == batch.sharp.shape[1:3]
        assert batch.blurred.shape[1:3] in ((20, 40), (24, 40))
        sizes = {(20, 40): set(texts[:3]), (24, 40): {"GH4"}}
        assert set(batch.texts) <= sizes[batch.blurred.shape[1:3]]
    with pytest.raises(ValueError, match="texts"):
        PairSampler(sources, CFG.degradations, patch=(8, 8), channels=1).plate_batch(
            [0], 1, np.random.default_rng(0)
        )


@pytest.fixture
def reader_path(tmp_path: Path) -> Path:
    """An untrained plate reader: its CTC loss is still a differentiable term."""
    from deblur.reader import build_reader

    path = tmp_path / "reader.keras"
    build_reader().save(path)
    return path


def test_ocr_weight_adds_the_readers_ctc_loss(reader_path: Path) -> None:
    import keras

    from deblur.models import build_model
    from deblur.reader import encode_texts, reader_ctc_loss

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
        logits = reader(restored, training=False)
        ctcs.append(float(np.mean(reader_ctc_loss(logits, labels, lengths))))
        cfg = TrainConfig(**{**CFG.__dict__, "ocr_weight": weight})
        cfg = TrainConfig(**{**cfg.__dict__, "reader": str(reader_path)})
        reader_or_none = train_module._load_reader(cfg)
        step = train_module._train_step(
            model, keras.optimizers.Adam(0.0), cfg, reader_or_none
        )
        arrays = (x, y, labels, lengths) if weight else (x, y)
        losses.append(float(step(*arrays)))
    assert ctcs[0] == pytest.approx(ctcs[1]) and ctcs[0] > 0
    assert losses[1] - losses[0] == pytest.approx(0.5 * ctcs[0], rel=1e-3)


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


def _labelled_folder(tmp_path: Path) -> Path:
    """Three readable plates, one corrupt one, and a labels.csv naming all four."""
    from deblur.io import write_image

    folder = tmp_path / "labelled"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for name in ("a.png", "b.png", "c.png"):
        write_image(folder / name, rng.random((24, 64, 3)).astype(np.float32))
    (folder / "bad.png").write_bytes(b"not a png")
    rows = ["file,text", "a.png,AB12 CDE", "bad.png,XX1", "b.png,7KL-42", "c.png,Q9"]
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    return folder


def test_load_labelled_sources_keeps_texts_aligned(tmp_path: Path) -> None:
    from deblur.train import load_labelled_sources

    folder = _labelled_folder(tmp_path)
    with pytest.raises(ValueError, match="bad.png"):
        load_labelled_sources(folder)
    skipped: list[str] = []
    images, texts = load_labelled_sources(
        folder, on_error=lambda path, err: skipped.append(path.name)
    )
    assert texts == ["AB12 CDE", "7KL-42", "Q9"] and len(images) == 3
    assert skipped == ["bad.png"]
    assert (folder / "bad.png").read_bytes() == b"not a png"  # input untouched


def test_cli_train_ocr_weight_on_a_labelled_folder(
    tmp_path: Path, reader_path: Path
) -> None:
    from typer.testing import CliRunner

    from deblur.cli import app

    config = {**CFG.__dict__, "steps": 1, "ocr_weight": 0.1, "reader": str(reader_path)}
    config["degradations"] = [d.__dict__ for d in CFG.degradations]
    (tmp_path / "cfg.json").write_text(json.dumps(config))
    args = ["train", "--data", str(_labelled_folder(tmp_path)), "--out"]
    args += [str(tmp_path / "run"), "--width", "4", "--blocks", "1,1,1"]
    result = CliRunner().invoke(app, [*args, "--config", str(tmp_path / "cfg.json")])
    assert result.exit_code == 1, result.output  # bad.png is reported, not fatal
    assert "bad.png" in result.output and "trained 1 steps" in result.output
