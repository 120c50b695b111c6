"""Tests for deblur.inference: model deblurrers, safe loading, folder inference."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from skimage.metrics import peak_signal_noise_ratio
from typer.testing import CliRunner

keras = pytest.importorskip("keras")

from deblur.cli import app  # noqa: E402
from deblur.config import ModelConfig, TileConfig  # noqa: E402
from deblur.inference import (  # noqa: E402
    KerasDeblurrer,
    LiteRtDeblurrer,
    OnnxDeblurrer,
    load,
    load_keras_model,
    resolve_model,
)
from deblur.models import build_model  # noqa: E402

runner = CliRunner()

TINY = ModelConfig(arch="unet", width=4, depth=2, blocks=(1, 1, 1))


def _tiny(channels: int = 1, seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = build_model(
        ModelConfig(arch="unet", channels=channels, width=4, depth=2, blocks=(1, 1, 1))
    )
    # ScaledResidual starts at beta = 0 (identity blocks): perturb every weight so the
    # model really changes the image.
    rng = np.random.default_rng(seed)
    model.set_weights(
        [w + 0.1 * rng.standard_normal(w.shape) for w in model.get_weights()]
    )
    return model


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    _tiny().save(path)
    return path


# The mechanics tests run the model on every image: random noise has no measurable
# motion blur and would be passed through by the default TileConfig.pass_through.
ALWAYS = TileConfig(pass_through=None, plate_pass_through=None)


@pytest.fixture(scope="module")
def gray_model() -> KerasDeblurrer:
    return KerasDeblurrer(_tiny(1), name="tiny", tile=ALWAYS)


@pytest.fixture(scope="module")
def rgb_model() -> KerasDeblurrer:
    return KerasDeblurrer(_tiny(3), name="tiny_rgb", tile=ALWAYS)


@pytest.mark.parametrize(
    "shape", [(32, 96), (32, 96, 1), (32, 96, 3), (32, 96, 4), (5, 7), (5, 7, 3)]
)
@pytest.mark.parametrize("channels", [1, 3])
def test_keras_deblurrer_contract(
    shape: tuple[int, ...],
    channels: int,
    gray_model: KerasDeblurrer,
    rgb_model: KerasDeblurrer,
) -> None:
    deblurrer = gray_model if channels == 1 else rgb_model
    image = np.random.default_rng(0).random(shape, dtype=np.float32)
    original = image.copy()
    out = deblurrer(image)
    assert out.shape == image.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_array_equal(image, original)
    np.testing.assert_array_equal(deblurrer(image), out)
    if len(shape) == 3 and shape[2] == 4:
        np.testing.assert_array_equal(out[..., 3], image[..., 3])


def test_keras_deblurrer_matches_model_on_gray(gray_model: KerasDeblurrer) -> None:
    image = np.random.default_rng(1).random((32, 96), dtype=np.float32) * 0.5 + 0.25
    expected = np.clip(
        np.asarray(gray_model.model(image[None, ..., None]))[0, ..., 0], 0, 1
    )
    np.testing.assert_allclose(gray_model(image), expected, atol=1e-5)


def test_keras_deblurrer_luminance_model_on_rgb_adds_luma_change(
    gray_model: KerasDeblurrer,
) -> None:
    rgb = np.random.default_rng(2).random((32, 96, 3), dtype=np.float32) * 0.5 + 0.25
    luma = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    restored_luma = gray_model(luma)
    expected = np.clip(rgb + (restored_luma - luma)[..., None], 0, 1)
    np.testing.assert_allclose(gray_model(rgb), expected, atol=1e-5)


def test_keras_deblurrer_tiled_close_to_single_pass(gray_model: KerasDeblurrer) -> None:
    image = np.random.default_rng(3).random((64, 160), dtype=np.float32)
    tiled = KerasDeblurrer(
        gray_model.model,
        tile=TileConfig(
            tile=64,
            overlap=24,
            max_pixels=0,
            pass_through=None,
            plate_pass_through=None,
        ),
    )
    # The U-Net's channel attention pools globally, so tiles differ a little.
    assert np.abs(tiled(image) - gray_model(image)).mean() < 0.02


def test_keras_deblurrer_seed_tiling_runs(gray_model: KerasDeblurrer) -> None:
    seed = KerasDeblurrer(gray_model.model, seed_tiling=True)
    image = np.random.default_rng(4).random((24, 48), dtype=np.float32)
    assert seed(image).shape == image.shape


def test_load_keras_file_and_run_folder(model_path: Path, tmp_path: Path) -> None:
    image = np.random.default_rng(5).random((32, 96), dtype=np.float32)
    loaded = load(model_path)
    assert loaded.name == "tiny"
    run = tmp_path / "run1"
    run.mkdir()
    (run / "model.keras").write_bytes(model_path.read_bytes())
    from_run = load(run)
    assert from_run.name == "run1"
    np.testing.assert_array_equal(loaded(image), from_run(image))


def test_load_unknown_name_is_file_not_found() -> None:
    with pytest.raises(FileNotFoundError, match="no shipped weights named 'nope'"):
        load("nope")


def test_load_missing_path_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="model file not found"):
        resolve_model(tmp_path / "missing.keras")


def test_load_wrong_suffix_is_value_error(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    path.write_bytes(b"x")
    with pytest.raises(ValueError, match=r"\.keras, \.onnx or \.tflite"):
        load(path)


def test_load_corrupt_file_names_path(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.keras"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="corrupt.keras: not a Keras"):
        load(path)


def test_load_newer_format_is_refused(model_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "future.keras"
    with zipfile.ZipFile(model_path) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "metadata.json":
                meta = json.loads(data)
                meta["keras_version"] = "99.0.0"
                data = json.dumps(meta).encode()
            dst.writestr(item, data)
    with pytest.raises(ValueError, match="future.keras: saved by Keras 99.0.0"):
        load(path)


def test_load_refuses_python_lambda(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    inputs = keras.Input((None, None, 1))
    outputs = keras.layers.Lambda(lambda x: x * 2.0)(inputs)
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(
        ValueError, match="lambda.keras: cannot load Keras model.*Lambda"
    ):
        load_keras_model(path)
    assert not marker.exists()


def _write(path: Path, array: np.ndarray, mode: str | None = None) -> None:
    PILImage.fromarray(array, mode=mode).save(path) if mode else PILImage.fromarray(
        array
    ).save(path)


def test_onnx_deblurrer_rejects_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.onnx"
    path.write_bytes(b"not onnx")
    with pytest.raises(ValueError, match="bad.onnx: not a loadable ONNX model"):
        OnnxDeblurrer(path)


def test_registry_model_factory_loads_path(model_path: Path) -> None:
    from deblur.registry import deblurrer_info, get_deblurrer

    deblurrer = get_deblurrer("model", path=str(model_path))
    image = np.random.default_rng(7).random((32, 96), dtype=np.float32)
    np.testing.assert_array_equal(deblurrer(image), load(model_path)(image))
    for name in ("default", "plain15"):
        assert "weights file" in deblurrer_info(name).description


def test_registry_shipped_weights_missing_is_clear(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib.resources

    from deblur.registry import get_deblurrer

    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    with pytest.raises(FileNotFoundError, match="no shipped weights named 'plain15'"):
        get_deblurrer("plain15")


def test_guided_model_gets_blind_wiener_guide(tiny_plate: np.ndarray) -> None:
    cfg = ModelConfig(
        arch="unet", width=4, depth=2, blocks=(1, 1, 1), guide="blind_wiener"
    )
    deblurrer = KerasDeblurrer(build_model(cfg), name="guided")
    assert deblurrer.guided and deblurrer.channels == 1 and deblurrer.in_channels == 2
    from deblur import get_deblurrer

    # zero-initialised correction: the untrained guided model returns its guide
    expected = get_deblurrer("blind_wiener")(tiny_plate)
    np.testing.assert_allclose(deblurrer(tiny_plate), expected, atol=1e-5)


def test_model_guide_reads_the_sidecar_config(tmp_path: Path) -> None:
    from deblur.inference import model_guide

    run = tmp_path / "run"
    run.mkdir()
    assert model_guide(run / "model.keras") == "blind_wiener"  # older runs
    (run / "model_config.json").write_text('{"guide": "gated_wiener"}')
    assert model_guide(run / "model.keras") == "gated_wiener"
    card = tmp_path / "mine.model_card.json"
    card.write_text('{"model_config": {"guide": "nonsense"}}')
    with pytest.raises(ValueError, match="not a registered deblurrer"):
        model_guide(tmp_path / "mine.onnx")


def test_gated_guided_model_gets_gated_guide(tiny_plate: np.ndarray) -> None:
    cfg = ModelConfig(
        arch="unet", width=4, depth=2, blocks=(1, 1, 1), guide="gated_wiener"
    )
    deblurrer = KerasDeblurrer(build_model(cfg), name="g", guide="gated_wiener")
    from deblur import get_deblurrer

    expected = get_deblurrer("gated_wiener")(tiny_plate)
    np.testing.assert_allclose(deblurrer(tiny_plate), expected, atol=1e-5)


@pytest.mark.parametrize(
    ("runtime", "kind"),
    [("auto", LiteRtDeblurrer), ("litert", LiteRtDeblurrer), ("onnx", OnnxDeblurrer)],
)
def test_load_shipped_default_runs_its_exports_equal_to_keras(
    runtime: str, kind: type
) -> None:
    from deblur.config import BlurConfig, PlateConfig
    from deblur.synth.degrade import make_pair
    from deblur.synth.plates import make_plates

    fast, reference = load("default", runtime=runtime), load("default", runtime="keras")
    assert isinstance(fast, kind) and isinstance(reference, KerasDeblurrer)
    assert fast.name == reference.name == "default"
    sharp = next(iter(make_plates(1, PlateConfig(style="eu"), 0))).image
    blurred = make_pair(sharp, BlurConfig(kind="linear", length=(15, 15)), 0).blurred
    np.testing.assert_allclose(fast(blurred), reference(blurred), atol=1e-4)


def test_load_runtime_must_be_known() -> None:
    with pytest.raises(ValueError, match="runtime must be one of"):
        load("default", runtime="tflite")


def test_load_onnx_runtime_without_a_shipped_export_is_clear() -> None:
    with pytest.raises(FileNotFoundError, match="no shipped ONNX export"):
        load("plain15", runtime="onnx")


def test_load_litert_runtime_without_a_shipped_export_is_clear() -> None:
    with pytest.raises(FileNotFoundError, match="runtime 'litert' needs"):
        load("plain15", runtime="litert")


def test_onnx_deblurrer_threads_set_the_session() -> None:
    one = load("default", runtime="onnx", threads=1)
    assert one._session.get_session_options().intra_op_num_threads == 1  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="threads must be >= 0"):
        load("default", threads=-1)


def test_litert_deblurrer_keeps_one_interpreter_per_shape() -> None:
    restore = load("default", runtime="litert", threads=1)
    assert isinstance(restore, LiteRtDeblurrer) and restore.threads == 1
    rng = np.random.default_rng(0)
    for width in (64, 72, 80, 88, 96, 64):
        restore.predict_batch(rng.random((1, 32, width, 2), dtype=np.float32))
    kept = list(restore._by_shape)
    assert len(kept) == LiteRtDeblurrer.SHAPES_KEPT and kept[-1] == (1, 32, 64, 2)


def test_litert_deblurrer_rejects_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.tflite"
    path.write_bytes(b"not a flatbuffer")
    with pytest.raises(ValueError, match="bad.tflite: not a loadable TFLite model"):
        load(path)


# --- Full frames: local restoration, pass-through, plates in frames ------------------


def _plate(style: str, seed: int) -> tuple[str, np.ndarray]:
    from deblur.config import PlateConfig
    from deblur.synth.plates import make_plates

    plate = next(iter(make_plates(1, PlateConfig(style=style), seed)))
    return plate.text, plate.image


def _blur(image: np.ndarray, length: float, seed: int) -> np.ndarray:
    from deblur.config import BlurConfig
    from deblur.synth.degrade import make_pair

    cfg = BlurConfig(kind="linear", length=(length, length), noise=(0.005, 0.005))
    return make_pair(image, cfg, seed).blurred


def _tile_steps(change: np.ndarray, block: int = 256) -> float:
    """Largest difference of mean change between neighbouring block x block tiles."""
    rows = range(0, change.shape[0], block)
    means = np.array(
        [[change[r : r + block, c : c + block].mean()
          for c in range(0, change.shape[1], block)] for r in rows]
    )  # fmt: skip
    steps = [np.abs(np.diff(means, axis=a)).max(initial=0.0) for a in (0, 1)]
    return float(max(steps))


def test_restore_regions_passes_sharp_regions_through_unchanged() -> None:
    cfg = ModelConfig(
        arch="unet", width=4, depth=2, blocks=(1, 1, 1), guide="blind_wiener"
    )
    keras.utils.set_random_seed(0)
    deblurrer = KerasDeblurrer(build_model(cfg), name="guided")
    from deblur.io import to_gray

    plate = to_gray(_blur(_plate("uk", 1)[1], 15, 1))[:, :, None]
    noise = np.random.default_rng(0).random(plate.shape, dtype=np.float32)
    regions = np.stack([noise, plate])
    out = deblurrer.restore_regions(regions)
    np.testing.assert_array_equal(out[0], noise)  # no measurable blur: passed through
    assert np.abs(out[1] - plate).mean() > 0.01  # blurred: restored (guide + model)
    with pytest.raises(ValueError, match="pass_through must be 'tile'"):
        deblurrer.restore_regions(regions, pass_through="always")
    both = deblurrer.restore_regions(regions, pass_through=None)
    assert np.abs(both[0] - noise).mean() > 0.01  # without the safety: restored too
    np.testing.assert_allclose(both[1], out[1], atol=1e-6)


def test_load_default_leaves_a_sharp_frame_nearly_unchanged_without_tile_steps() -> (
    None
):
    from deblur.io import to_gray
    from deblur.synth.frames import make_frame

    frame = make_frame(_plate("eu", 4)[1], height=600, width=800, rng=4).image
    change = 255.0 * (to_gray(load("default")(frame)) - to_gray(frame))
    assert np.abs(change).mean() <= 1.5
    assert _tile_steps(change) <= 0.5


def test_load_default_reads_a_plate_in_a_frame_as_well_as_the_crop(
    tesseract_binary: str,
) -> None:
    from bench.ocr import TesseractOcr, normalize_plate_text
    from deblur.synth.frames import make_frame

    deblurrer = load("default")
    ocr = TesseractOcr(binary=tesseract_binary)
    frame_reads, crop_reads = 0, 0
    for seed, (length, style) in enumerate([(9, "uk"), (15, "us"), (21, "eu")]):
        text, sharp = _plate(style, seed)
        frame = make_frame(sharp, rng=seed)  # 384 x 512: restored region by region
        blurred = _blur(frame.image, length, seed)  # the whole car moves
        x, y, w, h = frame.box
        crop = blurred[y : y + h, x : x + w]
        in_frame = deblurrer(blurred)[y : y + h, x : x + w]
        reads = ocr.read_batch([in_frame, deblurrer(crop)])
        label = normalize_plate_text(text)
        frame_reads += normalize_plate_text(reads[0]) == label
        crop_reads += normalize_plate_text(reads[1]) == label
    assert frame_reads >= crop_reads and frame_reads >= 2, (frame_reads, crop_reads)


@pytest.mark.parametrize("which", ["gray_model", "rgb_model"])
def test_restore_many_equals_one_by_one_and_batches_plates(
    which: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    deblurrer: KerasDeblurrer = request.getfixturevalue(which)
    rng = np.random.default_rng(8)
    plates = [rng.random((24, 64, 3), dtype=np.float32) for _ in range(3)]
    single = [deblurrer(plate) for plate in plates]
    calls: list[int] = []
    run = deblurrer._run
    monkeypatch.setattr(
        deblurrer, "_run", lambda batch: calls.append(len(batch)) or run(batch)
    )
    many = deblurrer.restore_many(plates)
    assert calls == [3]  # one model call for the three plates
    for got, expected in zip(many, single, strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-5)
    mixed = [plates[0], plates[1][:20]]  # two shapes: one by one
    assert [m.shape for m in deblurrer.restore_many(mixed)] == [
        (24, 64, 3),
        (20, 64, 3),
    ]


# --- The guide of a guided model, region by region; do no harm on plates ------------


@pytest.fixture(scope="module")
def gated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder with a guided tiny model trained (said its config) on gated_wiener."""
    cfg = ModelConfig(
        arch="unet", width=4, depth=2, blocks=(1, 1, 1), guide="gated_wiener"
    )
    keras.utils.set_random_seed(3)
    model = build_model(cfg)
    rng = np.random.default_rng(3)  # a model that changes what it is given
    model.set_weights(
        [w + 0.1 * rng.standard_normal(w.shape) for w in model.get_weights()]
    )
    run = tmp_path_factory.mktemp("gated")
    model.save(run / "model.keras")
    (run / "model_config.json").write_text(json.dumps({"guide": "gated_wiener"}))
    return run


def _gray_region(image: np.ndarray) -> np.ndarray:
    from deblur.io import to_gray

    return to_gray(image)[:, :, None]


@pytest.mark.parametrize("guide", ["blind_wiener", "gated_wiener"])
def test_guide_region_is_wiener_or_gated_by_the_estimate_strength(guide: str) -> None:
    from deblur.deblurrers import WienerDeblurrer
    from deblur.estimate import PsfEstimate, estimate_linear_psf
    from deblur.inference import GUIDE_BALANCE

    cfg = ModelConfig(arch="unet", width=4, depth=2, blocks=(1, 1, 1), guide=guide)
    deblurrer = KerasDeblurrer(build_model(cfg), name="g", guide=guide)
    region = _gray_region(_blur(_plate("uk", 1)[1], 15, 1))
    psf = estimate_linear_psf(region).psf
    wiener = WienerDeblurrer(psf=psf, balance=GUIDE_BALANCE)(region)
    for strength, weight in [(5.0, 0.0), (13.0, 0.5), (20.0, 1.0)]:  # gate (10, 16)
        estimate = PsfEstimate(length=15.0, angle=0.0, psf=psf, strength=strength)
        got = deblurrer.guide_region(region, estimate)
        if guide == "blind_wiener":
            np.testing.assert_array_equal(got, wiener)
        else:
            np.testing.assert_allclose(
                got, region + weight * (wiener - region), atol=1e-6
            )
    if guide == "gated_wiener":  # weight 0: the region itself, bit for bit
        estimate = PsfEstimate(length=15.0, angle=0.0, psf=psf, strength=5.0)
        np.testing.assert_array_equal(deblurrer.guide_region(region, estimate), region)


def test_loaded_gated_model_gets_each_regions_gated_guide_from_one_estimate(
    gated_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import deblur.estimate
    from deblur import get_deblurrer

    deblurrer = load(gated_run, tile=ALWAYS)
    assert deblurrer.guide == "gated_wiener"  # type: ignore[attr-defined]
    _, plate = _plate("uk", 2)
    sharp, blurred = _gray_region(plate), _gray_region(_blur(plate, 15, 2))
    batches: list[np.ndarray] = []
    predict = deblurrer.predict_batch  # type: ignore[attr-defined]
    monkeypatch.setattr(
        deblurrer, "predict_batch", lambda b: batches.append(b.copy()) or predict(b)
    )
    estimates: list[int] = []
    estimate = deblur.estimate.estimate_linear_psf
    monkeypatch.setattr(
        deblur.estimate,
        "estimate_linear_psf",
        lambda *a, **k: estimates.append(1) or estimate(*a, **k),
    )
    deblurrer.restore_regions(np.stack([sharp, blurred]))  # type: ignore[attr-defined]
    assert len(estimates) == 2  # one per region, shared by the guide and pass-through
    [batch] = batches
    np.testing.assert_array_equal(batch[0, ..., 1:], sharp)  # gate shut: the input
    gated = get_deblurrer("gated_wiener")(blurred)  # the guide as training made it
    np.testing.assert_allclose(batch[1, ..., 1:], gated, atol=1e-6)
    assert np.abs(gated - blurred).mean() > 0.01


@pytest.mark.parametrize("colour", [False, True])
def test_sharp_plate_comes_back_unchanged_and_skips_the_model(
    gated_run: Path, monkeypatch: pytest.MonkeyPatch, colour: bool
) -> None:
    deblurrer = load(gated_run)  # default TileConfig: pass-through on
    _, plate = _plate("eu", 3)
    image = plate if colour else _gray_region(plate)[..., 0]
    calls: list[int] = []
    run = deblurrer._run  # type: ignore[attr-defined]
    monkeypatch.setattr(deblurrer, "_run", lambda b: calls.append(len(b)) or run(b))
    np.testing.assert_array_equal(deblurrer(image), image)
    for out in deblurrer.restore_many([image, image]):  # type: ignore[attr-defined]
        np.testing.assert_array_equal(out, image)
    assert calls == []  # the model never ran
    everything = load(gated_run, tile=ALWAYS)  # no pass-through: restores everything
    assert np.abs(everything(image) - image).mean() > 0.005


def test_plate_blurred_15px_is_restored_alone_and_in_a_batch(
    gated_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deblurrer = load(gated_run)
    _, sharp = _plate("eu", 3)
    blurred = _blur(sharp, 15, 3)
    alone = deblurrer(blurred)
    assert np.abs(alone - blurred).mean() > 0.01
    calls: list[int] = []
    run = deblurrer._run  # type: ignore[attr-defined]
    monkeypatch.setattr(deblurrer, "_run", lambda b: calls.append(len(b)) or run(b))
    many = deblurrer.restore_many([sharp, blurred])  # type: ignore[attr-defined]
    np.testing.assert_array_equal(many[0], sharp)  # passed through
    np.testing.assert_allclose(many[1], alone, atol=1e-5)
    assert calls == [1]  # one model call, for the blurred plate only


def test_learned_gate_restores_a_camera_plate_the_thresholds_pass_through(
    gated_run: Path,
) -> None:
    from deblur.synth.degrade import make_pair
    from deblur.synth.families import family_config

    _, sharp = _plate("eu", 21)
    camera = make_pair(sharp, family_config("camera", length=17.0), 100).blurred
    gated = load(gated_run)(camera)
    assert np.abs(gated - camera).mean() > 0.005  # the learned gate restores it
    thresholds_only = load(gated_run, tile=TileConfig(plate_gate=False))
    np.testing.assert_array_equal(thresholds_only(camera), camera)
    unblurred = make_pair(sharp, family_config("sharp"), 100).blurred
    np.testing.assert_array_equal(load(gated_run)(unblurred), unblurred)


def test_large_valid_image_runs_through_tiles(tiny_model_path: Path) -> None:
    tiles = TileConfig(
        tile=64, overlap=8, max_pixels=0, pass_through=None, plate_pass_through=None
    )
    deblurrer = load(tiny_model_path, tile=tiles)
    calls: list[tuple[int, ...]] = []
    predict = deblurrer.predict_batch  # type: ignore[attr-defined]

    def spy(batch: np.ndarray) -> np.ndarray:
        calls.append(batch.shape)
        return predict(batch)  # type: ignore[no-any-return]

    deblurrer.predict_batch = spy  # type: ignore[attr-defined]
    image = np.random.default_rng(1).random((150, 260), dtype=np.float32)
    restored = deblurrer(image)
    assert restored.shape == image.shape and np.isfinite(restored).all()
    assert sum(shape[0] for shape in calls) == 3 * 5  # a 3 x 5 grid of 64px tiles


def _lambda_model(marker: Path) -> keras.Model:
    # The marker path is a constant inside the lambda's own code (no closure), so
    # the saved bytecode alone creates the marker when it runs.
    code = f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x)[1]"
    inputs = keras.Input((None, None, 1))
    return keras.Model(inputs, keras.layers.Lambda(eval(code))(inputs))


def test_lambda_model_is_refused_and_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    path = tmp_path / "lambda.keras"
    _lambda_model(marker).save(path)
    marker.unlink()  # building the model ran the lambda once
    with pytest.raises(ValueError, match=r"lambda.keras: cannot load Keras model"):
        load_keras_model(path)
    assert not marker.exists()
    result = runner.invoke(app, ["run", "--model", str(path), str(tmp_path), "o"])
    assert result.exit_code == 2 and "lambda.keras" in result.output
    assert not marker.exists()
    # the test can fail: loading unsafely does run the code
    keras.saving.load_model(path, safe_mode=False)(np.zeros((1, 4, 4, 1), np.float32))
    assert marker.exists()


def test_model_naming_an_arbitrary_callable_is_refused(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "executed"
    path = tmp_path / "evil.keras"
    config = {
        "module": "subprocess",
        "class_name": "Popen",
        "config": {"args": ["touch", str(marker)]},
        "registered_name": None,
    }
    with zipfile.ZipFile(tiny_model_path) as src, zipfile.ZipFile(path, "w") as dst:
        dst.writestr("metadata.json", src.read("metadata.json"))
        dst.writestr("config.json", json.dumps(config))
        dst.writestr("model.weights.h5", src.read("model.weights.h5"))
    with pytest.raises(ValueError, match="evil.keras: cannot load Keras model"):
        load(path)
    assert not marker.exists()


def _crops_only_model(folder: Path) -> Path:
    """The shipped fast weights under another name, with a card saying crops_only."""
    from deblur.inference import _weights_dir

    path = folder / "crops.tflite"
    path.write_bytes((_weights_dir() / "fast.tflite").read_bytes())
    (folder / "crops.model_card.json").write_text('{"crops_only": true}')
    return path


def test_a_crops_only_model_restores_plates_and_refuses_frames(tmp_path: Path) -> None:
    crops = load(_crops_only_model(tmp_path))
    assert crops.crops_only and not load("fast").crops_only  # type: ignore[attr-defined]
    rng = np.random.default_rng(0)
    plate = rng.random((60, 240, 3), dtype=np.float32)
    assert crops(plate).shape == plate.shape
    with pytest.raises(ValueError, match="'crops' restores plate crops of at most 256"):
        crops(rng.random((300, 400, 3), dtype=np.float32))


def test_fast_restores_a_blurred_frame_without_harm() -> None:
    """fast's scenery stage: before it, dark scenery came back brighter (12 dB tiles)."""
    from deblur.config import BlurConfig, PlateConfig
    from deblur.synth.degrade import make_pair
    from deblur.synth.frames import make_frame
    from deblur.synth.plates import make_plates

    plate = next(iter(make_plates(1, PlateConfig(style="eu"), 31))).image
    sharp = make_frame(plate, height=384, width=512, rng=31).image
    blur = BlurConfig(kind="linear", length=(15, 15), noise=(0.005, 0.005))
    blurred = make_pair(sharp, blur, 31).blurred
    restored = load("fast")(blurred)
    before = peak_signal_noise_ratio(sharp, blurred, data_range=1.0)
    assert peak_signal_noise_ratio(sharp, restored, data_range=1.0) > before
