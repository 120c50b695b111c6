"""Train a deblurring model on pairs generated on the fly from sharp plates.

The loop is explicit (no ``model.fit``) so that an interrupted run resumes exactly:
the model, optimiser, step counter and CPU time live in a ``tf.train.Checkpoint``, and
the batch for step ``s`` is drawn from ``default_rng([seed, s])``, so a resumed run sees
the same data as an uninterrupted one.

Output folder layout::

    out/
      model.keras            best model by validation PSNR, or with ``ocr_weight`` by
                             validation loss (pixel + OCR term); saved atomically
      model_config.json      dataclasses.asdict(ModelConfig)
      train_config.json      dataclasses.asdict(TrainConfig) + data source
      log.csv                step, loss, val_loss, val_psnr, lr, wall_s, cpu_s
      curves.png             loss and validation PSNR curves
      checkpoints/           tf.train.CheckpointManager files (latest 2)
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from deblur.config import Distribute, ModelConfig, PlateConfig, TrainConfig
from deblur.io import atomic_write, atomic_write_bytes
from deblur.pairs import PairSampler, synthetic_plates
from deblur.types import Image

__all__ = ["TrainResult", "make_loss", "train", "DISTRIBUTE"]

logger = logging.getLogger(__name__)

DISTRIBUTE = tuple(d.value for d in Distribute)
"""Values of ``train(distribute=...)``."""

LOG_FIELDS = ("step", "loss", "val_loss", "val_psnr", "lr", "wall_s", "cpu_s")


@dataclass(frozen=True)
class TrainResult:
    """Summary of a finished (or early-stopped) training run."""

    out_dir: Path
    steps: int
    best_val_psnr: float
    wall_s: float
    cpu_s: float


def _split(count: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng([seed, 7]).permutation(count)
    n_val = max(1, int(round(count * val_fraction)))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _write_json(path: Path, data: dict) -> None:
    atomic_write_bytes(path, (json.dumps(data, indent=2, default=str) + "\n").encode())


def _read_log(path: Path, upto: int) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [row for row in csv.DictReader(handle) if int(row["step"]) <= upto]


def _write_log(path: Path, rows: list[dict[str, str]]) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=LOG_FIELDS)
            writer.writeheader()
            writer.writerows(rows)

    atomic_write(path, write)


def _plot_curves(rows: list[dict[str, str]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    steps = [int(r["step"]) for r in rows]
    fig = Figure(figsize=(9, 3.5))
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(steps, [float(r["loss"]) for r in rows], label="train")
    ax1.plot(steps, [float(r["val_loss"]) for r in rows], label="validation")
    ax1.set(xlabel="step", ylabel="loss", yscale="log", title="Loss")
    ax1.legend()
    ax2.plot(steps, [float(r["val_psnr"]) for r in rows])
    ax2.set(xlabel="step", ylabel="dB", title="Validation PSNR")
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def _pixel_loss(kind: str, diff):  # untyped: backend tensors
    from keras import ops

    if kind == "mse":
        return ops.mean(ops.square(diff))
    if kind == "l1":
        return ops.mean(ops.abs(diff))
    return ops.mean(ops.sqrt(ops.square(diff) + 1e-6))


def make_loss(cfg: TrainConfig):  # untyped: returns a backend function
    """Return ``loss(sharp, restored)``: the pixel loss plus the weighted edge term."""
    from keras import ops

    def loss(sharp, restored):  # untyped: backend tensors
        diff = restored - sharp
        value = _pixel_loss(cfg.loss, diff)
        if cfg.edge_weight > 0:
            dx = diff[:, :, 1:, :] - diff[:, :, :-1, :]
            dy = diff[:, 1:, :, :] - diff[:, :-1, :, :]
            value = value + cfg.edge_weight * (
                ops.mean(ops.abs(dx)) + ops.mean(ops.abs(dy))
            )
        return value

    return loss


def _step_arrays(
    sampler: PairSampler,
    indices: np.ndarray,
    cfg: TrainConfig,
    rng: np.random.Generator,
    *,
    multiple: int,
) -> tuple[np.ndarray, ...]:
    """The arrays one train step takes: ``(x, y)`` patches, or with ``ocr_weight``
    ``(x, y, labels, lengths)``: whole plates padded to `multiple`, encoded texts."""
    if not cfg.ocr_weight:
        return sampler.batch(indices, cfg.batch, rng)
    from deblur.reader import encode_texts
    from deblur.tiling import pad_to, round_up

    plates = sampler.plate_batch(indices, cfg.batch, rng)
    _, height, width, _ = plates.blurred.shape
    height, width = round_up(height, multiple), round_up(width, multiple)
    labels, lengths = encode_texts(plates.texts)
    return (
        pad_to(plates.blurred, height, width),
        pad_to(plates.sharp, height, width),
        labels,
        lengths,
    )


def _batches(
    sampler: PairSampler,
    indices: np.ndarray,
    cfg: TrainConfig,
    start: int,
    *,
    multiple: int,
) -> Iterator[tuple[int, tuple[np.ndarray, ...]]]:
    """Yield the arrays of every step from `start`, preparing the next in a thread.

    The batch of step ``s`` depends only on ``(cfg.seed, s)``, so prefetching changes
    nothing but the wall time (numpy and the FFTs release the GIL while TF trains).
    """

    def make(step: int) -> tuple[np.ndarray, ...]:
        rng = np.random.default_rng([cfg.seed, step])
        return _step_arrays(sampler, indices, cfg, rng, multiple=multiple)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(make, start) if start < cfg.steps else None
        for step in range(start, cfg.steps):
            assert pending is not None
            arrays = pending.result()
            pending = pool.submit(make, step + 1) if step + 1 < cfg.steps else None
            yield step, arrays


def train(
    model_cfg: ModelConfig,
    cfg: TrainConfig,
    out_dir: str | os.PathLike[str],
    *,
    sources: Sequence[Image] | None = None,
    texts: Sequence[str] | None = None,
    data_description: str = "synthetic",
    resume: bool = False,
    distribute: str = "none",
    on_step: Callable[[int, int], None] | None = None,
) -> TrainResult:
    """Train `model_cfg` with `cfg`, checkpointing into `out_dir`.

    Parameters
    ----------
    model_cfg : ModelConfig
        Architecture to build.
    cfg : TrainConfig
        Steps, batch, patch, loss, learning rate, degradation mix, seed.
    out_dir : path-like
        Output folder (see the module docstring for its layout).
    sources : sequence of Image, optional
        Sharp training images; ``cfg.plates`` synthetic plates when None.
    texts : sequence of str, optional
        The plate text of each of `sources`, needed when ``cfg.ocr_weight > 0``
        (synthetic plates bring their own).
    data_description : str
        Recorded in ``train_config.json`` (e.g. the data folder).
    resume : bool
        Continue from the latest checkpoint in `out_dir`. Without it, a folder that
        already holds checkpoints is refused so nothing is overwritten.
    distribute : {"none", "mirrored"}
        ``"mirrored"`` trains data-parallel on every visible GPU (or the CPU when
        there is none) with ``tf.distribute.MirroredStrategy``: each step's batch is
        split evenly over the replicas, gradients are summed across them before the
        global-norm clip, so the update equals the single-device one. Checkpoints
        are the same, so a run can be resumed with either setting.
    on_step : callable, optional
        Called as ``on_step(done, cfg.steps)`` after every optimiser step (for a
        progress bar; the CLI draws one).

    Returns
    -------
    TrainResult

    Raises
    ------
    FileExistsError
        If `out_dir` holds a previous run and `resume` is False.
    ValueError
        If the saved configs differ from the given ones when resuming, `distribute`
        is unknown, ``cfg.batch`` is not a multiple of the number of replicas, or
        ``cfg.ocr_weight`` is set without `texts` for `sources` or with `distribute`.
    """
    strategy = _strategy(distribute, cfg.batch)
    _check_ocr_inputs(cfg, strategy, sources, texts)
    out = Path(out_dir)
    _prepare_out_dir(out, model_cfg, cfg, data_description, resume=resume)
    data = _make_data(model_cfg, cfg, sources, texts)
    with strategy.scope() if strategy else contextlib.nullcontext():
        run = _build_run(model_cfg, cfg, out / "checkpoints", resume=resume)
    log = _TrainLog(out, upto=int(run.state.step.numpy()))
    validation = _make_validation(data, cfg, run)
    step_fn = _train_step(
        run.model, run.optimizer, run.loss_fn, validation.reader, cfg.ocr_weight
    )
    if strategy is not None:
        step_fn = _mirrored_step(strategy, run.model, run.optimizer, run.loss_fn)
    _loop(data, cfg, run, step_fn, validation, log, out / "model.keras", on_step)
    return run.state.result(out)


@dataclass(frozen=True)
class _Data:
    """The sharp sources split by source, and the sampler that degrades them."""

    sampler: PairSampler
    train_idx: np.ndarray
    val_idx: np.ndarray


def _check_ocr_inputs(
    cfg: TrainConfig,
    strategy: object,
    sources: Sequence[Image] | None,
    texts: Sequence[str] | None,
) -> None:
    if cfg.ocr_weight and strategy is not None:
        raise ValueError("ocr_weight is not supported with distribute='mirrored'")
    if cfg.ocr_weight and sources is not None and texts is None:
        raise ValueError(
            "ocr_weight needs the plate text of every training image; train on "
            "synthetic plates or on a folder with labels.csv (load_labelled_sources)"
        )


def _prepare_out_dir(
    out: Path,
    model_cfg: ModelConfig,
    cfg: TrainConfig,
    data_description: str,
    *,
    resume: bool,
) -> None:
    """Refuse to overwrite a run (or resume a different one); write both configs."""
    configs = {
        "model_config.json": dataclasses.asdict(model_cfg),
        "train_config.json": {**dataclasses.asdict(cfg), "data": data_description},
    }
    _check_out_dir(out, out / "checkpoints", configs, resume=resume)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in configs.items():
        _write_json(out / name, data)


def _make_data(
    model_cfg: ModelConfig,
    cfg: TrainConfig,
    sources: Sequence[Image] | None,
    texts: Sequence[str] | None,
) -> _Data:
    """Data step: the sources (synthetic plates when None), split, and the sampler."""
    if sources is None:
        look = PlateConfig.preset(cfg.plate_preset)
        sources, texts = synthetic_plates(cfg.plates, seed=cfg.seed, cfg=look)
    train_idx, val_idx = _split(len(sources), cfg.val_fraction, cfg.seed)
    sampler = PairSampler(
        sources,
        cfg.degradations,
        patch=cfg.patch,
        channels=model_cfg.channels,
        guide=model_cfg.guide,
        photometric=cfg.photometric,
        texts=texts,
    )
    return _Data(sampler, train_idx, val_idx)


class _State:
    """The counters a checkpoint keeps beside the model and optimiser.

    ``best`` is the score that picks ``model.keras`` (validation PSNR, or minus the
    validation loss with an OCR term), ``best_psnr`` that model's PSNR, ``stale``
    the validations since it improved (early stopping).
    """

    def __init__(self) -> None:
        import tensorflow as tf

        def var(value: float, dtype: Any) -> Any:  # Any: tf dtypes and variables
            return tf.Variable(value, dtype=dtype, trainable=False)

        self.step = var(0, tf.int64)
        self.wall = var(0.0, tf.float64)
        self.cpu = var(0.0, tf.float64)
        self.best = var(-np.inf, tf.float64)
        self.best_psnr = var(-np.inf, tf.float64)
        self.stale = var(0, tf.int64)

    def variables(self) -> dict[str, Any]:  # Any: tf.Variable
        """The checkpointed variables by their checkpoint names."""
        return {
            "step": self.step,
            "wall": self.wall,
            "cpu": self.cpu,
            "best": self.best,
            "best_psnr": self.best_psnr,
            "stale": self.stale,
        }

    def improved(self, score: float, psnr: float) -> bool:
        """Record a validation `score`; True when it is the best so far."""
        if score > float(self.best.numpy()):
            self.best.assign(score)
            self.best_psnr.assign(psnr)
            self.stale.assign(0)
            return True
        self.stale.assign_add(1)
        return False

    def result(self, out: Path) -> TrainResult:
        return TrainResult(
            out_dir=out,
            steps=int(self.step.numpy()),
            best_val_psnr=float(self.best_psnr.numpy()),
            wall_s=float(self.wall.numpy()),
            cpu_s=float(self.cpu.numpy()),
        )


@dataclass(frozen=True)
class _Run:
    """Model step: the model, its optimiser and schedule, loss and checkpoints."""

    model: Any  # Any: keras.Model (Keras is imported lazily)
    optimizer: Any  # Any: keras.optimizers.Optimizer
    schedule: Any  # Any: keras LearningRateSchedule
    loss_fn: Callable[..., Any]  # Any: backend tensors
    multiple: int
    state: _State
    manager: Any  # Any: tf.train.CheckpointManager


def _load_init(model: Any, init: Any, path: str) -> None:  # Any: keras.Model
    """Copy `init`'s weights into `model`, layer by layer by name.

    A layer `init` lacks (a head added to a trained design, such as a guide blend)
    keeps its initialisation and is logged; a weighted layer of `init` that `model`
    lacks, or whose weights differ in shape, is an error.
    """
    theirs = {layer.name: layer for layer in init.layers if layer.weights}
    new = []
    for layer in model.layers:
        if not layer.weights:
            continue
        source = theirs.pop(layer.name, None)
        if source is None:
            new.append(layer.name)
            continue
        shapes = [tuple(w.shape) for w in source.weights]
        if shapes != [tuple(w.shape) for w in layer.weights]:
            raise ValueError(
                f"{path}: layer {layer.name!r} has weights of shapes {shapes}, "
                f"the model's are {[tuple(w.shape) for w in layer.weights]}"
            )
        layer.set_weights(source.get_weights())
    if theirs:
        raise ValueError(f"{path}: layers the model lacks: {', '.join(sorted(theirs))}")
    if new:
        logger.info("init %s: new layers keep their initialisation: %s", path, new)


def _build_run(
    model_cfg: ModelConfig, cfg: TrainConfig, ckpt_dir: Path, *, resume: bool
) -> _Run:
    """Build (or fine-tune from ``cfg.init``) the model; restore the latest checkpoint."""
    import keras
    import tensorflow as tf

    from deblur.inference import load_keras_model, model_multiple
    from deblur.models import build_model

    keras.utils.set_random_seed(cfg.seed)
    model = build_model(model_cfg)
    if cfg.init is not None:
        _load_init(model, load_keras_model(cfg.init), cfg.init)
    schedule = _schedule(cfg)
    optimizer = keras.optimizers.Adam(learning_rate=schedule)
    state = _State()
    ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer, **state.variables())
    manager = tf.train.CheckpointManager(ckpt, str(ckpt_dir), max_to_keep=2)
    if resume and manager.latest_checkpoint:
        optimizer.build(model.trainable_variables)
        ckpt.restore(manager.latest_checkpoint).expect_partial()
        logger.info(
            "resumed from %s at step %d",
            manager.latest_checkpoint,
            int(state.step.numpy()),
        )
    return _Run(
        model=model,
        optimizer=optimizer,
        schedule=schedule,
        loss_fn=make_loss(cfg),
        multiple=model_multiple(model),
        state=state,
        manager=manager,
    )


def _schedule(cfg: TrainConfig) -> Any:  # Any: keras LearningRateSchedule
    """Linear warm-up to ``cfg.lr`` over 5% of the steps (500 at most), then cosine."""
    import keras

    warmup = min(500, max(1, cfg.steps // 20))
    return keras.optimizers.schedules.CosineDecay(
        0.0,
        max(1, cfg.steps - warmup),  # steps=1 still trains
        alpha=0.01,
        warmup_target=cfg.lr,
        warmup_steps=warmup,
    )


@dataclass(frozen=True)
class _Validation:
    """Validation step: a fixed held-out batch scored by loss and PSNR."""

    x: np.ndarray
    y: np.ndarray
    labels: tuple[np.ndarray, ...]
    predict: Callable[[np.ndarray], Any]  # Any: a tensor
    loss_fn: Callable[..., Any]  # Any: backend tensors
    reader: Any  # Any: the frozen keras.Model reader, or None
    ocr_weight: float

    def evaluate(self) -> tuple[float, float]:
        """Return ``(val_loss, val_psnr)`` of the model as it is now."""
        restored = np.clip(self.predict(self.x).numpy(), 0, 1)
        val_loss = float(self.loss_fn(self.y, restored))
        if self.reader is not None:
            ocr = _ocr_loss(self.reader, restored, self.y, *self.labels)
            val_loss += self.ocr_weight * float(ocr)
        return val_loss, _mean_psnr(self.y, restored)

    def score(self, val_loss: float, val_psnr: float) -> float:
        """What picks the best model: minus the loss with an OCR term, else PSNR."""
        return -val_loss if self.reader is not None else val_psnr


def _make_validation(data: _Data, cfg: TrainConfig, run: _Run) -> _Validation:
    import tensorflow as tf

    val_cfg = dataclasses.replace(cfg, batch=max(64, cfg.batch))
    val_x, val_y, *val_labels = _step_arrays(
        data.sampler,
        data.val_idx,
        val_cfg,
        np.random.default_rng([cfg.seed, 2**31]),
        multiple=run.multiple,
    )
    model = run.model

    @tf.function(reduce_retracing=True)
    def predict(x):  # untyped: tensors
        return model(x, training=False)

    return _Validation(
        x=val_x,
        y=val_y,
        labels=tuple(val_labels),
        predict=predict,
        loss_fn=run.loss_fn,
        reader=_load_reader(cfg),
        ocr_weight=cfg.ocr_weight,
    )


def _mean_psnr(reference: np.ndarray, restored: np.ndarray) -> float:
    """Mean over the batch of each image's PSNR in dB (capped at 100 dB)."""
    from skimage.metrics import peak_signal_noise_ratio

    with np.errstate(divide="ignore"):  # an exact restoration: MSE 0 gives inf
        values = [
            min(peak_signal_noise_ratio(ref, out, data_range=1.0), 100.0)
            for ref, out in zip(reference, restored, strict=True)
        ]
    return float(np.mean(values))


class _TrainLog:
    """Log step: ``log.csv`` (kept up to the resumed step) and ``curves.png``."""

    def __init__(self, out: Path, *, upto: int) -> None:
        self.path = out / "log.csv"
        self.plot = out / "curves.png"
        self.rows = _read_log(self.path, upto)

    def append(self, row: dict[str, str]) -> None:
        self.rows.append(row)
        _write_log(self.path, self.rows)
        _plot_curves(self.rows, self.plot)


def _loop(
    data: _Data,
    cfg: TrainConfig,
    run: _Run,
    step_fn: Callable[..., Any],  # Any: a loss tensor
    validation: _Validation,
    log: _TrainLog,
    model_path: Path,
    on_step: Callable[[int, int], None] | None,
) -> None:
    """Loop step: train, and every ``cfg.val_every`` steps validate and checkpoint."""
    state = run.state
    clock = _Clock(state)
    batches = _batches(
        data.sampler,
        data.train_idx,
        cfg,
        int(state.step.numpy()),
        multiple=run.multiple,
    )
    running: list[float] = []
    for step, arrays in batches:
        running.append(float(step_fn(*arrays)))
        done = step + 1
        if on_step is not None:
            on_step(done, cfg.steps)
        if done % cfg.val_every and done != cfg.steps:
            continue
        val_loss, val_psnr = validation.evaluate()
        state.step.assign(done)
        clock.record()
        if state.improved(validation.score(val_loss, val_psnr), val_psnr):
            _save_model(run.model, model_path)
        log.append(_log_row(done, running, val_loss, val_psnr, run))
        running = []
        run.manager.save(checkpoint_number=done)
        logger.info("step %d val_psnr %.2f dB", done, val_psnr)
        if _should_stop(cfg, state, done):
            break


class _Clock:
    """Wall and CPU seconds of the run, continued across resumes."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.wall0 = time.perf_counter() - float(state.wall.numpy())
        self.cpu0 = time.process_time() - float(state.cpu.numpy())

    def record(self) -> None:
        self.state.wall.assign(time.perf_counter() - self.wall0)
        self.state.cpu.assign(time.process_time() - self.cpu0)


def _log_row(
    done: int, running: list[float], val_loss: float, val_psnr: float, run: _Run
) -> dict[str, str]:
    return {
        "step": str(done),
        "loss": f"{np.mean(running):.6g}",
        "val_loss": f"{val_loss:.6g}",
        "val_psnr": f"{val_psnr:.4f}",
        "lr": f"{float(run.schedule(done - 1)):.3g}",
        "wall_s": f"{float(run.state.wall.numpy()):.1f}",
        "cpu_s": f"{float(run.state.cpu.numpy()):.1f}",
    }


def _should_stop(cfg: TrainConfig, state: _State, done: int) -> bool:
    """Early stopping (``cfg.patience``) or the CPU budget (``cfg.max_cpu_s``)."""
    if cfg.patience and int(state.stale.numpy()) >= cfg.patience:
        logger.info("early stop at step %d", done)
        return True
    if cfg.max_cpu_s is not None and float(state.cpu.numpy()) >= cfg.max_cpu_s:
        logger.info("CPU budget of %.0f s reached at step %d", cfg.max_cpu_s, done)
        return True
    return False


def _load_reader(cfg: TrainConfig) -> Any:  # Any: keras.Model or None
    """The frozen plate reader of ``cfg.reader``; None without ``cfg.ocr_weight``."""
    if not cfg.ocr_weight:
        return None
    from deblur.reader import load_reader

    reader = load_reader(cfg.reader)
    reader.trainable = False
    return reader


READABLE_CTC = 1.0
"""A sharp plate counts as readable by the reader when its CTC loss is below this
(the label has a probability above e^-1 = 37%)."""


def _ocr_loss(reader, restored, sharp, labels, lengths):
    """The frozen `reader`'s mean CTC loss on `restored` plates (RGB is averaged).

    The reader was trained on dark text on light plates. Each plate is judged in the
    polarity in which the reader reads its `sharp` target best (a white-on-blue plate
    as its negative), and only plates whose sharp target the reader can read (CTC
    loss below :data:`READABLE_CTC`) count: on the others its loss says nothing about
    the restoration. Classic plates are all read as they are, so for them this is the
    plain mean CTC loss. Untyped: TF tensors.
    """
    import tensorflow as tf

    from deblur.reader import reader_ctc_loss

    def ctc(images):  # untyped: tensors
        return reader_ctc_loss(reader(images, training=False), labels, lengths)

    target = tf.stop_gradient(tf.reduce_mean(sharp, axis=-1, keepdims=True))
    as_is, negative = ctc(target), ctc(1.0 - target)
    flip = tf.reshape(negative < as_is, [-1, 1, 1, 1])
    counts = tf.cast(tf.minimum(as_is, negative) < READABLE_CTC, tf.float32)
    plates = tf.reduce_mean(restored, axis=-1, keepdims=True)
    losses = ctc(tf.where(flip, 1.0 - plates, plates))
    return tf.reduce_sum(losses * counts) / tf.maximum(tf.reduce_sum(counts), 1.0)


def _train_step(model, optimizer, loss_fn, reader, ocr_weight: float):
    """One optimiser step on ``(x, y)``, or with a `reader` on
    ``(x, y, labels, lengths)``: ``loss_fn`` plus `ocr_weight` times the frozen
    reader's mean CTC loss on the restored plates (:func:`_ocr_loss`)."""
    import tensorflow as tf

    def total(x, y, *labels):  # untyped: tensors
        restored = model(x, training=True)
        loss = loss_fn(y, restored)
        if reader is not None:
            loss = loss + ocr_weight * _ocr_loss(reader, restored, y, *labels)
        return loss

    @tf.function(reduce_retracing=True)
    def step(x, y, *labels):  # untyped: tensors
        with tf.GradientTape() as tape:
            loss = total(x, y, *labels)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    return step


def _strategy(distribute: str, batch: int):  # untyped: tf.distribute.Strategy
    """The ``tf.distribute`` strategy for `distribute` (None for the plain path)."""
    if distribute not in DISTRIBUTE:
        raise ValueError(f"distribute must be one of {DISTRIBUTE}, got {distribute!r}")
    if distribute == "none":
        return None
    import tensorflow as tf

    strategy = tf.distribute.MirroredStrategy()
    replicas = strategy.num_replicas_in_sync
    if batch % replicas:
        raise ValueError(
            f"batch must be a multiple of the {replicas} replicas, got {batch}"
        )
    logger.info("MirroredStrategy on %d replica(s)", replicas)
    return strategy


def _mirrored_step(strategy, model, optimizer, loss_fn):
    """A train step that splits the batch over the replicas of `strategy`.

    Each replica's loss is scaled by ``1 / replicas`` and the gradients are summed
    across replicas (the global-batch mean) before the clip by global norm; they are
    then divided by the replica count again because the optimizer sums replicas once
    more when it applies them. With one replica this is the single-device step.
    """
    import tensorflow as tf

    replicas = strategy.num_replicas_in_sync
    reduce_sum = tf.distribute.ReduceOp.SUM

    def replica_step(x, y):  # untyped: tensors
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True)) / replicas
        grads = tape.gradient(loss, model.trainable_variables)
        context = tf.distribute.get_replica_context()
        grads = context.all_reduce(reduce_sum, grads)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        if replicas > 1:
            grads = [g / replicas for g in grads]
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    @tf.function(reduce_retracing=True)
    def step(x, y):  # untyped: per-replica tensors
        per_replica = strategy.run(replica_step, args=(x, y))
        return strategy.reduce(reduce_sum, per_replica, axis=None)

    def split(array: np.ndarray):  # untyped: distributed values
        parts = np.split(array, replicas)
        return strategy.experimental_distribute_values_from_function(
            lambda ctx: parts[ctx.replica_id_in_sync_group]
        )

    return lambda x, y: step(split(x), split(y))


def _check_out_dir(
    out: Path, ckpt_dir: Path, configs: dict[str, dict], *, resume: bool
) -> None:
    has_run = ckpt_dir.is_dir() and any(ckpt_dir.iterdir())
    if has_run and not resume:
        raise FileExistsError(
            f"{out} already holds a training run; pass --resume or another --out"
        )
    if resume and has_run:
        for name, data in configs.items():
            saved = json.loads((out / name).read_text())
            expected = json.loads(json.dumps(data, default=str))
            if saved != expected:
                raise ValueError(
                    f"{out / name} differs from the given configuration; cannot resume"
                )


def _save_model(model, path: Path) -> None:  # untyped: keras.Model
    atomic_write(path, model.save)
