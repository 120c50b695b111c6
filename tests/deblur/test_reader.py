from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deblur.reader import (
    build_reader,
    decode_logits,
    encode_texts,
    load_reader,
    read_plates,
    reader_ctc_loss,
    train_reader,
)
from deblur.text import PLATE_ALPHABET, normalize_text


def test_reader_reads_any_size_into_40_columns() -> None:
    reader = build_reader()
    for shape in ((1, 56, 240, 1), (2, 120, 240, 1), (1, 20, 33, 1)):
        logits = np.asarray(reader(np.zeros(shape, np.float32)))
        assert logits.shape == (shape[0], 40, len(PLATE_ALPHABET) + 1)


def test_encode_texts_normalises_and_pads() -> None:
    labels, lengths = encode_texts(["ab 1", "Z-9-X"])
    np.testing.assert_array_equal(lengths, [3, 3])
    np.testing.assert_array_equal(labels[0], [1, 2, 28])
    with pytest.raises(ValueError, match="no character"):
        encode_texts(["--"])


def test_decode_merges_repeats_and_drops_blanks() -> None:
    classes = [1, 1, 0, 1, 28, 28, 0, 0, 36]  # A A _ A 1 1 _ _ 9 -> "AA19"
    logits = np.full((1, len(classes), 37), -5.0, np.float32)
    logits[0, np.arange(len(classes)), classes] = 5.0
    assert decode_logits(logits) == ["AA19"]


def test_ctc_loss_prefers_the_right_text() -> None:
    right, wrong = encode_texts(["AB1"]), encode_texts(["XY9"])
    logits = np.full((1, 8, 37), -5.0, np.float32)
    logits[0, np.arange(8), [1, 0, 2, 0, 28, 0, 0, 0]] = 5.0
    assert float(reader_ctc_loss(logits, *right)[0]) < 1.0
    assert float(reader_ctc_loss(logits, *wrong)[0]) > 10.0


def test_train_reader_writes_a_model_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "reader.keras"
    calls: list[tuple[int, int]] = []
    result = train_reader(
        out, steps=2, plates=8, batch=4, on_step=lambda *a: calls.append(a)
    )
    assert calls == [(1, 2), (2, 2)]
    assert out.is_file() and result.steps == 2 and 0.0 <= result.val_exact <= 1.0
    import keras

    texts = read_plates(keras.saving.load_model(out), [np.zeros((56, 240, 3))])
    assert isinstance(texts[0], str)
    with pytest.raises(FileExistsError, match="exists"):
        train_reader(out, steps=1, plates=4)


def test_load_reader_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="train-reader"):
        load_reader("no_such_reader")
    with pytest.raises(FileNotFoundError, match="missing.keras"):
        load_reader(tmp_path / "missing.keras")


def test_shipped_plate_reader_reads_sharp_plates() -> None:
    from deblur.config import PlateConfig
    from deblur.synth.plates import make_plates

    plates = list(make_plates(12, PlateConfig(style="any", width=240), 5))
    texts = read_plates(load_reader("plate"), [p.image for p in plates])
    pairs = zip(texts, plates, strict=True)
    exact = np.mean([t == normalize_text(p.text) for t, p in pairs])
    assert exact >= 0.9
