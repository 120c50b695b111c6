"""A small CRNN plate reader (CTC): the critic of OCR-aware training.

The bench judges a restoration by whether Tesseract or PP-OCR read the plate, but
neither can be differentiated, so a deblurrer cannot be trained on that directly.
This reader can: trained on sharp synthetic plates and then frozen, its CTC loss on a
restored plate says how readable the restoration is, and
``TrainConfig.ocr_weight`` adds it to the pixel loss (:func:`deblur.train.train`).

It reads a grey plate of any size (resized inside the model to ``READER_SIZE``) and
outputs per-column logits over :data:`deblur.text.PLATE_ALPHABET` plus the CTC blank
(index 0). It is not an OCR engine for the bench: it was trained on the synthetic
fonts only.

References
----------
Shi, Bai and Yao, "An End-to-End Trainable Neural Network for Image-based Sequence
Recognition and Its Application to Scene Text Recognition", TPAMI 39(11), 2017 (CRNN).
Graves et al., "Connectionist Temporal Classification", ICML 2006.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from deblur.config import BlurConfig, PlateConfig
from deblur.io import atomic_write, to_gray
from deblur.text import PLATE_ALPHABET, normalize_text
from deblur.types import Image

__all__ = [
    "READER_SIZE",
    "ReaderResult",
    "build_reader",
    "encode_texts",
    "reader_ctc_loss",
    "decode_logits",
    "read_plates",
    "load_reader",
    "train_reader",
]

logger = logging.getLogger(__name__)

READER_SIZE = (32, 160)
"""Height and width every plate is resized to inside the reader."""

_NAME = re.compile(r"[A-Za-z0-9_-]+")
_STAGES = ((32, (2, 2)), (64, (2, 2)), (96, (2, 1)), (128, (2, 1)))


def build_reader() -> Any:  # Any: keras.Model (Keras is imported lazily)
    """Return the CRNN: 8 conv layers (BN, ReLU), 4 poolings, 2 1-D convs, logits.

    The height goes 32 -> 2 and the width 160 -> 40, so a plate is read as 40
    columns; each column's logits cover the blank and :data:`deblur.text.PLATE_ALPHABET`.
    """
    import keras
    from keras import layers

    height, width = READER_SIZE
    inputs = keras.Input((None, None, 1))
    x = layers.Resizing(height, width, interpolation="bilinear")(inputs)
    x = layers.Rescaling(2.0, -1.0)(x)
    for filters, pool in _STAGES:
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = layers.ReLU()(layers.BatchNormalization()(x))
        x = layers.MaxPooling2D(pool)(x)
    rows, columns = height // 16, width // 4
    x = layers.Permute((2, 1, 3))(x)  # columns first, then flatten each column
    x = layers.Reshape((columns, rows * _STAGES[-1][0]))(x)
    for _ in range(2):
        x = layers.Conv1D(160, 3, padding="same", activation="relu")(x)
    logits = layers.Dense(len(PLATE_ALPHABET) + 1)(x)
    return keras.Model(inputs, logits, name="plate_reader")


def encode_texts(texts: Sequence[str]) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """Return zero-padded label indices (1-based) and lengths of normalised `texts`.

    Raises
    ------
    ValueError
        If a text has no plate character left after normalisation.
    """
    labels = []
    for text in texts:
        chars = normalize_text(text)
        if not chars:
            raise ValueError(f"plate text {text!r} has no character A-Z or 0-9")
        labels.append([PLATE_ALPHABET.index(char) + 1 for char in chars])
    lengths = np.array([len(label) for label in labels], np.int32)
    dense = np.zeros((len(labels), int(lengths.max(initial=1))), np.int32)
    for row, label in enumerate(labels):
        dense[row, : len(label)] = label
    return dense, lengths


def reader_ctc_loss(logits, labels, lengths):  # untyped: TF tensors
    """Per-plate CTC loss of reader `logits` ``(N, T, K)`` against encoded labels."""
    import tensorflow as tf

    columns = tf.fill([tf.shape(logits)[0]], tf.shape(logits)[1])
    return tf.nn.ctc_loss(
        labels, logits, lengths, columns, logits_time_major=False, blank_index=0
    )


def decode_logits(logits: NDArray[np.float32]) -> list[str]:
    """Greedy CTC decoding: best class per column, repeats merged, blanks dropped."""
    texts = []
    for row in np.argmax(logits, axis=-1):
        chars, previous = [], 0
        for index in row:
            if index not in (0, previous):
                chars.append(PLATE_ALPHABET[index - 1])
            previous = index
        texts.append("".join(chars))
    return texts


def read_plates(reader: Any, images: Sequence[Image]) -> list[str]:  # Any: keras.Model
    """Read each image (grey or RGB, any size) with `reader`, one at a time."""
    texts = []
    for image in images:
        gray = to_gray(image) if image.ndim == 3 else image
        logits = reader(gray[None, ..., None], training=False)
        texts.extend(decode_logits(np.asarray(logits)))
    return texts


def load_reader(name_or_path: str | os.PathLike[str]) -> Any:  # Any: keras.Model
    """Load a reader: a name shipped in ``deblur/weights/readers/`` or a ``.keras`` path.

    Raises
    ------
    FileNotFoundError
        If there is no such shipped reader or file.
    ValueError
        If the file cannot be loaded safely (see
        :func:`deblur.inference.load_keras_model`).
    """
    from deblur.inference import _weights_dir, load_keras_model

    text = os.fspath(name_or_path)
    folder = _weights_dir() / "readers"
    path = folder / f"{text}.keras" if _NAME.fullmatch(text) else Path(text)
    if not path.is_file():
        shipped = sorted(p.stem for p in folder.glob("*.keras"))
        raise FileNotFoundError(
            f"plate reader not found: {path} (shipped: {shipped or 'none'}; "
            "train one with `deblur train-reader`)"
        )
    return load_keras_model(path)


@dataclass(frozen=True)
class ReaderResult:
    """Outcome of :func:`train_reader`: exact-match rate on held-out sharp plates."""

    path: Path
    steps: int
    val_exact: float
    wall_s: float


def _reader_data(
    count: int, seed: int, *, blur_fraction: float
) -> tuple[NDArray[np.float32], list[str]]:
    """Render `count` plates (every style), lightly blur some, resize to the input."""
    import tensorflow as tf

    from deblur.synth.degrade import make_pair
    from deblur.synth.plates import make_plates

    rng = np.random.default_rng([seed, 1])
    light = BlurConfig(kind="linear", length=(1.0, 5.0), noise=(0.0, 0.01))
    images, texts = [], []
    for plate in make_plates(count, PlateConfig(style="any", width=240), seed):
        image = plate.image
        if rng.random() < blur_fraction:
            image = make_pair(image, light, rng).blurred
        gray = to_gray(image)[..., None]
        images.append(tf.image.resize(gray, READER_SIZE).numpy())
        texts.append(plate.text)
    return np.stack(images).astype(np.float32), texts


def train_reader(
    out: str | os.PathLike[str],
    *,
    steps: int = 2500,
    plates: int = 6000,
    batch: int = 32,
    lr: float = 1e-3,
    seed: int = 11,
    on_step: Callable[[int, int], None] | None = None,
) -> ReaderResult:
    """Train the reader on synthetic plates (half lightly blurred) and save it.

    Parameters
    ----------
    out : path-like
        ``.keras`` file to write (atomically); an existing file is refused.
    steps, plates, batch, lr, seed : int, int, int, float, int
        Adam steps (cosine decay), number of training plates, batch size, peak
        learning rate, seed of data and weights.
    on_step : callable, optional
        Called as ``on_step(done, steps)`` after every step (the CLI draws a
        progress bar).

    Returns
    -------
    ReaderResult
        With the exact-match rate on 300 held-out sharp plates.

    Raises
    ------
    FileExistsError
        If `out` exists.
    """
    import keras
    import tensorflow as tf

    path = Path(out)
    if path.exists():
        raise FileExistsError(f"{path} exists; choose another --out")
    start = time.perf_counter()
    train_x, train_texts = _reader_data(plates, seed, blur_fraction=0.5)
    val_x, val_texts = _reader_data(300, seed + 1, blur_fraction=0.0)
    labels, lengths = encode_texts(train_texts)
    keras.utils.set_random_seed(seed)
    reader = build_reader()
    schedule = keras.optimizers.schedules.CosineDecay(lr, steps, alpha=0.05)
    optimizer = keras.optimizers.Adam(schedule)

    @tf.function(reduce_retracing=True, autograph=False)
    def train_step(x, y, n):  # untyped: tensors
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(reader_ctc_loss(reader(x, training=True), y, n))
        grads = tape.gradient(loss, reader.trainable_variables)
        optimizer.apply_gradients(zip(grads, reader.trainable_variables, strict=True))
        return loss

    rng = np.random.default_rng([seed, 2])
    for step in range(steps):
        pick = rng.integers(0, len(train_x), batch)
        width = int(lengths[pick].max())
        loss = float(train_step(train_x[pick], labels[pick, :width], lengths[pick]))
        if on_step is not None:
            on_step(step + 1, steps)
        if (step + 1) % 500 == 0:
            logger.info("reader step %d loss %.3f", step + 1, loss)
    texts = decode_logits(reader.predict(val_x, verbose=0))
    exact = float(
        np.mean([a == normalize_text(b) for a, b in zip(texts, val_texts, strict=True)])
    )
    atomic_write(path, reader.save)
    return ReaderResult(path, steps, exact, time.perf_counter() - start)
