"""The result record, its one column list, the row log (pure reads, repair on append)
and per_sample.csv."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from bench import aggregate
from bench.config import BenchConfig
from bench.rows import (
    COLUMNS,
    PER_SAMPLE_FILE,
    ROWS_FILE,
    ResultRow,
    RowLog,
    load_rows,
    read_log,
    rows_frame,
    write_per_sample,
)
from bench.runner import run


def _row(**changes: object) -> ResultRow:
    values: dict[str, object] = {
        "suite": "s", "sample_id": "s-00000", "seed": 3, "source": "synthetic",
        "style": "uk", "text": "AB12 CDE", "blur_kind": "linear", "blur_length": 5.0,
        "blur_angle": 30.0, "noise": 0.01, "condition": "restored", "method": "m",
        "ocr": "tesseract", "prediction": "AB12CDE", "exact": 1.0, "outcome": "exact",
        "cer": 0.0, "ned": 0.0, "psnr": math.inf, "ssim": 1.0, "ms": 2.5, "error": "",
    }  # fmt: skip
    values.update(changes)
    return ResultRow(**values)  # type: ignore[arg-type]


def test_columns_are_the_record_fields_the_csv_header_and_what_aggregate_reads(
    fake_ocr: None, tiny_cfg: BenchConfig, tmp_path: Path
) -> None:
    fields = tuple(f.name for f in dataclasses.fields(ResultRow))
    assert COLUMNS == fields
    assert aggregate.PER_SAMPLE_COLUMNS == COLUMNS
    frame = run(tiny_cfg, tmp_path)
    assert tuple(frame.columns) == COLUMNS
    header = (tmp_path / PER_SAMPLE_FILE).read_text().splitlines()[0]
    assert tuple(header.split(",")) == COLUMNS
    saved = aggregate.read_per_sample(tmp_path)
    assert tuple(saved.columns) == COLUMNS
    assert len(aggregate.summarize(saved)) > 0  # the report's input accepts the CSV
    record = json.loads((tmp_path / ROWS_FILE).read_text().splitlines()[0])
    assert tuple(record["rows"][0]) == COLUMNS


def test_to_json_from_json_round_trip() -> None:
    row = _row(exact=math.nan, psnr=math.inf, error="RuntimeError: x")
    text = json.dumps(row.to_json())
    back = ResultRow.from_json(json.loads(text))
    assert json.dumps(back.to_json()) == text  # NaN and inf survive
    assert dataclasses.replace(back, exact=0.0) == dataclasses.replace(row, exact=0.0)


def test_from_json_reads_logs_older_than_seed_and_outcome() -> None:
    data = _row().to_json()
    del data["seed"], data["outcome"]
    row = ResultRow.from_json(data)
    assert row.seed == -1 and row.outcome == ""


@pytest.mark.parametrize(
    ("change", "match"),
    [("drop", "missing \\['text'\\]"), ("add", "unknown \\['extra'\\]")],
)
def test_from_json_rejects_missing_and_unknown_fields(change: str, match: str) -> None:
    data = _row().to_json()
    if change == "drop":
        del data["text"]
    else:
        data["extra"] = 1
    with pytest.raises(ValueError, match=match):
        ResultRow.from_json(data)


def test_row_log_appends_and_read_log_reads_back(tmp_path: Path) -> None:
    path = tmp_path / ROWS_FILE
    with RowLog.open(path) as log:
        log.append(1, [_row(sample_id="b")])
        log.append(0, [_row(sample_id="a"), _row(sample_id="a", method="n")])
    assert read_log(path) == {
        1: [_row(sample_id="b")],
        0: [_row(sample_id="a"), _row(sample_id="a", method="n")],
    }
    assert read_log(tmp_path / "missing.jsonl") == {}


def _torn_log(path: Path) -> bytes:
    with RowLog.open(path) as log:
        log.append(0, [_row()])
    with open(path, "a") as fh:  # a crash while appending sample 1
        fh.write('{"index": 1, "rows": [{"suite": "ti')
    return path.read_bytes()


def test_reading_a_log_with_a_torn_tail_leaves_the_file_byte_identical(
    tmp_path: Path,
) -> None:
    path = tmp_path / ROWS_FILE
    before = _torn_log(path)
    assert list(read_log(path)) == [0]
    assert len(load_rows(tmp_path)) == 1
    assert path.read_bytes() == before


def test_row_log_open_cuts_the_torn_tail_before_appending(tmp_path: Path) -> None:
    path = tmp_path / ROWS_FILE
    before = _torn_log(path)
    with RowLog.open(path) as log:
        assert path.read_bytes() == before[: before.index(b"\n") + 1]
        log.append(1, [_row(sample_id="s-00001")])
    assert sorted(read_log(path)) == [0, 1]
    assert path.read_bytes().count(b"\n") == 2


def test_read_log_stops_at_an_unreadable_line(tmp_path: Path) -> None:
    path = tmp_path / ROWS_FILE
    good = json.dumps({"index": 0, "rows": [_row().to_json()]})
    path.write_text(good + "\n" + '{"index": 1}\n' + good.replace(": 0", ": 2") + "\n")
    assert list(read_log(path)) == [0]


def test_load_rows_needs_the_log(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="rows.jsonl"):
        load_rows(tmp_path)


def test_rows_frame_and_write_per_sample(tmp_path: Path) -> None:
    frame = rows_frame([_row(), _row(method="n", prediction="")])
    assert tuple(frame.columns) == COLUMNS and len(frame) == 2
    assert rows_frame([]).empty and tuple(rows_frame([]).columns) == COLUMNS
    path = write_per_sample(frame, tmp_path)
    assert path == tmp_path / PER_SAMPLE_FILE
    saved = pd.read_csv(path, keep_default_na=False)
    assert saved["method"].tolist() == ["m", "n"]
    assert saved["prediction"].tolist() == ["AB12CDE", ""]
