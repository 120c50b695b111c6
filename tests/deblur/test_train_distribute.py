"""`train(distribute="mirrored")`: tf.distribute on the one CPU device equals the plain path.

Also covers `load_sources` skipping unreadable images and the `deblur train` options
that reach them (`--distribute`, bad files in `--data`).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from typer.testing import CliRunner

from deblur.cli import app
from deblur.config import BlurConfig, ModelConfig, TrainConfig
from deblur.pairs import load_sources
from deblur.train import TrainResult, train

MODEL = ModelConfig(arch="unet", width=4, depth=2, blocks=(1, 1, 1))
CFG = TrainConfig(
    steps=2,
    batch=2,
    patch=(16, 32),
    val_every=1,
    plates=4,
    degradations=(BlurConfig(kind="linear", length=(3, 7)),),
)


def _sources() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.random((20, 40, 3)).astype(np.float32) for _ in range(6)]


@pytest.fixture
def sources() -> list[np.ndarray]:
    return _sources()


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainResult]:
    """One plain 2-step run (shared: training is the slow part)."""
    out = tmp_path_factory.mktemp("plain") / "run"
    return out, train(MODEL, CFG, out, sources=_sources())


def _weights(out: Path) -> list[np.ndarray]:
    import keras

    model = keras.saving.load_model(out / "model.keras", compile=False)
    return [np.asarray(w) for w in model.weights]


def _log(out: Path) -> list[dict[str, str]]:
    with (out / "log.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_mirrored_one_device_equals_plain_training(
    tmp_path: Path, sources: list[np.ndarray], plain_run: tuple[Path, TrainResult]
) -> None:
    plain_dir, plain = plain_run
    mirrored = train(
        MODEL, CFG, tmp_path / "mirrored", sources=sources, distribute="mirrored"
    )
    assert mirrored.steps == plain.steps == 2
    assert mirrored.best_val_psnr == pytest.approx(plain.best_val_psnr, abs=1e-4)
    for a, b in zip(_weights(plain_dir), _weights(tmp_path / "mirrored"),
                    strict=True):  # fmt: skip
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(_log(plain_dir), _log(tmp_path / "mirrored"), strict=True):
        assert float(a["loss"]) == pytest.approx(float(b["loss"]), rel=1e-4)


def test_mirrored_run_resumes_plain_checkpoint(
    tmp_path: Path, sources: list[np.ndarray], plain_run: tuple[Path, TrainResult]
) -> None:
    plain_dir, plain = plain_run
    shutil.copytree(plain_dir, tmp_path / "run")
    # the checkpoint (plain variables) restores into mirrored variables
    result = train(
        MODEL, CFG, tmp_path / "run", sources=sources, resume=True,
        distribute="mirrored",
    )  # fmt: skip
    assert result.steps == 2 and result.best_val_psnr == plain.best_val_psnr


def test_distribute_validation(tmp_path: Path, sources: list[np.ndarray]) -> None:
    with pytest.raises(ValueError, match="distribute must be one of"):
        train(MODEL, CFG, tmp_path / "x", sources=sources, distribute="tpu")
    assert not (tmp_path / "x").exists()


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        PILImage.fromarray(rng.integers(0, 255, (20, 40, 3), np.uint8)).save(
            folder / f"plate{i}.png"
        )
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (folder / "empty.jpg").write_bytes(b"")
    return folder


def test_load_sources_skips_unreadable_with_on_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    with pytest.raises(ValueError, match="broken.png: not a readable image"):
        load_sources(folder)
    skipped: list[str] = []
    images = load_sources(folder, on_error=lambda path, err: skipped.append(path.name))
    assert len(images) == 3 and skipped == ["broken.png", "empty.jpg"]
    for name in ("plate1.png", "plate2.png"):
        (folder / name).unlink()
    with pytest.raises(ValueError, match="need at least 2 readable"):
        load_sources(folder, on_error=lambda path, err: None)


def test_cli_train_distribute_and_bad_data_files(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    args = ["train", "--data", str(folder), "--out", str(tmp_path / "run")]
    args += ["--steps", "1", "--batch", "2", "--width", "4", "--blocks", "1,1,1"]
    args += ["--patch", "16x32", "--val-every", "1", "--distribute", "mirrored"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("failed")]
    assert len(failed) == 2 and "broken.png" in failed[0] and "empty.jpg" in failed[1]
    assert "trained 1 steps" in result.output
    assert (tmp_path / "run" / "model.keras").is_file()
