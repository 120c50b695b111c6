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
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from deblur.config import ModelConfig, TrainConfig
from deblur.io import atomic_write, atomic_write_bytes
from deblur.pairs import (
    PairSampler,
    load_labelled_sources,
    load_sources,
    synthetic_plates,
    synthetic_sources,
)
from deblur.types import Image

__all__ = [
    "TrainResult",
    "PairSampler",
    "load_sources",
    "load_labelled_sources",
    "synthetic_sources",
    "train",
    "DISTRIBUTE",
]  # the data names live in deblur.pairs and are re-exported here

logger = logging.getLogger(__name__)

DISTRIBUTE = ("none", "mirrored")
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
    from deblur.tiling import pad_to

    plates = sampler.plate_batch(indices, cfg.batch, rng)
    _, height, width, _ = plates.blurred.shape
    height, width = -(-height // multiple) * multiple, -(-width // multiple) * multiple
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
    import keras
    import tensorflow as tf

    from deblur.inference import model_multiple
    from deblur.models import build_model

    strategy = _strategy(distribute, cfg.batch)
    if cfg.ocr_weight and strategy is not None:
        raise ValueError("ocr_weight is not supported with distribute='mirrored'")
    if cfg.ocr_weight and sources is not None and texts is None:
        raise ValueError(
            "ocr_weight needs the plate text of every training image; train on "
            "synthetic plates or on a folder with labels.csv (load_labelled_sources)"
        )
    out = Path(out_dir)
    ckpt_dir = out / "checkpoints"
    configs = {
        "model_config.json": dataclasses.asdict(model_cfg),
        "train_config.json": {**dataclasses.asdict(cfg), "data": data_description},
    }
    _check_out_dir(out, ckpt_dir, configs, resume=resume)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in configs.items():
        _write_json(out / name, data)

    if sources is None:
        sources, texts = synthetic_plates(cfg.plates, seed=cfg.seed)
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

    with strategy.scope() if strategy else contextlib.nullcontext():
        keras.utils.set_random_seed(cfg.seed)
        model = build_model(model_cfg)
        if cfg.init is not None:
            from deblur.inference import load_keras_model

            model.set_weights(load_keras_model(cfg.init).get_weights())
        multiple = model_multiple(model)
        warmup = min(500, max(1, cfg.steps // 20))
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0,
            max(1, cfg.steps - warmup),  # steps=1 still trains
            alpha=0.01,
            warmup_target=cfg.lr,
            warmup_steps=warmup,
        )
        optimizer = keras.optimizers.Adam(learning_rate=schedule)
        loss_fn = make_loss(cfg)

        step_var = tf.Variable(0, dtype=tf.int64, trainable=False)
        wall_var = tf.Variable(0.0, dtype=tf.float64, trainable=False)
        cpu_var = tf.Variable(0.0, dtype=tf.float64, trainable=False)
        best_var = tf.Variable(-np.inf, dtype=tf.float64, trainable=False)
        best_psnr_var = tf.Variable(-np.inf, dtype=tf.float64, trainable=False)
        stale_var = tf.Variable(0, dtype=tf.int64, trainable=False)
        ckpt = tf.train.Checkpoint(
            model=model,
            optimizer=optimizer,
            step=step_var,
            wall=wall_var,
            cpu=cpu_var,
            best=best_var,
            best_psnr=best_psnr_var,
            stale=stale_var,
        )
        manager = tf.train.CheckpointManager(ckpt, str(ckpt_dir), max_to_keep=2)
        if resume and manager.latest_checkpoint:
            optimizer.build(model.trainable_variables)
            ckpt.restore(manager.latest_checkpoint).expect_partial()
            logger.info(
                "resumed from %s at step %d",
                manager.latest_checkpoint,
                int(step_var.numpy()),
            )
    start = int(step_var.numpy())
    log_rows = _read_log(out / "log.csv", start)
    val_cfg = dataclasses.replace(cfg, batch=max(64, cfg.batch))
    val_x, val_y, *val_labels = _step_arrays(
        sampler,
        val_idx,
        val_cfg,
        np.random.default_rng([cfg.seed, 2**31]),
        multiple=multiple,
    )
    reader = _load_reader(cfg)
    train_step = _train_step(model, optimizer, loss_fn, reader, cfg.ocr_weight)
    if strategy is not None:
        train_step = _mirrored_step(strategy, model, optimizer, loss_fn)

    @tf.function(reduce_retracing=True)
    def predict(x):  # untyped: tensors
        return model(x, training=False)

    wall0, cpu0 = (
        time.perf_counter() - float(wall_var.numpy()),
        time.process_time() - float(cpu_var.numpy()),
    )
    running: list[float] = []
    step = start
    for step, arrays in _batches(sampler, train_idx, cfg, start, multiple=multiple):
        running.append(float(train_step(*arrays)))
        done = step + 1
        if done % cfg.val_every and done != cfg.steps:
            continue
        restored = np.clip(predict(val_x).numpy(), 0, 1)
        val_loss = float(loss_fn(val_y, restored))
        if reader is not None:
            val_loss += cfg.ocr_weight * float(_ocr_loss(reader, restored, *val_labels))
        mse = np.mean((restored - val_y) ** 2, axis=(1, 2, 3))
        val_psnr = float(np.mean(10 * np.log10(1.0 / np.maximum(mse, 1e-10))))
        step_var.assign(done)
        wall_var.assign(time.perf_counter() - wall0)
        cpu_var.assign(time.process_time() - cpu0)
        score = -val_loss if reader is not None else val_psnr
        if score > float(best_var.numpy()):
            best_var.assign(score)
            best_psnr_var.assign(val_psnr)
            stale_var.assign(0)
            _save_model(model, out / "model.keras")
        else:
            stale_var.assign_add(1)
        log_rows.append(
            {
                "step": str(done),
                "loss": f"{np.mean(running):.6g}",
                "val_loss": f"{val_loss:.6g}",
                "val_psnr": f"{val_psnr:.4f}",
                "lr": f"{float(schedule(done - 1)):.3g}",
                "wall_s": f"{float(wall_var.numpy()):.1f}",
                "cpu_s": f"{float(cpu_var.numpy()):.1f}",
            }
        )
        running = []
        manager.save(checkpoint_number=done)
        _write_log(out / "log.csv", log_rows)
        _plot_curves(log_rows, out / "curves.png")
        logger.info("step %d val_psnr %.2f dB", done, val_psnr)
        if cfg.patience and int(stale_var.numpy()) >= cfg.patience:
            logger.info("early stop at step %d", done)
            break
        if cfg.max_cpu_s is not None and float(cpu_var.numpy()) >= cfg.max_cpu_s:
            logger.info("CPU budget of %.0f s reached at step %d", cfg.max_cpu_s, done)
            break
    return TrainResult(
        out_dir=out,
        steps=int(step_var.numpy()),
        best_val_psnr=float(best_psnr_var.numpy()),
        wall_s=float(wall_var.numpy()),
        cpu_s=float(cpu_var.numpy()),
    )


def _load_reader(cfg: TrainConfig) -> Any:  # Any: keras.Model or None
    """The frozen plate reader of ``cfg.reader``; None without ``cfg.ocr_weight``."""
    if not cfg.ocr_weight:
        return None
    from deblur.reader import load_reader

    reader = load_reader(cfg.reader)
    reader.trainable = False
    return reader


def _ocr_loss(reader, restored, labels, lengths):  # untyped: tensors
    """The frozen `reader`'s mean CTC loss on `restored` plates (RGB is averaged)."""
    import tensorflow as tf

    from deblur.reader import reader_ctc_loss

    gray = tf.reduce_mean(restored, axis=-1, keepdims=True)
    return tf.reduce_mean(
        reader_ctc_loss(reader(gray, training=False), labels, lengths)
    )


def _train_step(model, optimizer, loss_fn, reader, ocr_weight: float):
    """One optimiser step on ``(x, y)``, or with a `reader` on
    ``(x, y, labels, lengths)``: ``loss_fn`` plus `ocr_weight` times the frozen
    reader's mean CTC loss on the restored plates (:func:`_ocr_loss`)."""
    import tensorflow as tf

    def total(x, y, *labels):  # untyped: tensors
        restored = model(x, training=True)
        loss = loss_fn(y, restored)
        if reader is not None:
            loss = loss + ocr_weight * _ocr_loss(reader, restored, *labels)
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
