"""Tests for bench.aggregate on small hand-made per-sample frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.aggregate import (
    PER_SAMPLE_COLUMNS,
    SUMMARY_COLUMNS,
    by_blur_length,
    compare_runs,
    gap_closed,
    read_per_sample,
    summarize,
)


def _row(sample: int, length: float, condition: str, method: str, ocr: str, **kw):
    row = {
        "suite": "tiny",
        "sample_id": f"s{sample}",
        "seed": 0,
        "source": "synthetic",
        "style": "uk",
        "text": "AB12CDE",
        "blur_kind": "linear",
        "blur_length": length,
        "blur_angle": 0.0,
        "noise": 0.0,
        "condition": condition,
        "method": method,
        "ocr": ocr,
        "prediction": "AB12CDE" if kw.get("exact", False) else "XX",
        "exact": False,
        "outcome": "unread",
        "cer": 0.0,
        "ned": 0.0,
        "psnr": 20.0,
        "ssim": 0.5,
        "ms": 0.0,
        "error": "",
    }
    row.update(kw)
    if "outcome" not in kw and not row["error"]:
        row["outcome"] = "exact" if row["exact"] else "unread"
    return row


def make_frame() -> pd.DataFrame:
    """4 samples (2 at length 13, 2 at length 31), engines ppocr + tesseract.

    ppocr exact matches: sharp 4/4; blurred 0/4; wiener 2/4 (both at length 13);
    unsharp_mask 1/4 plus one failed row. Tesseract: sharp 2/4, the rest 0.
    """
    rows = []
    for ocr in ("ppocr", "tesseract"):
        for i, length in enumerate((13.0, 13.0, 31.0, 31.0)):
            sharp_ok = ocr == "ppocr" or i < 2
            rows.append(
                _row(
                    i,
                    length,
                    "sharp",
                    "sharp",
                    ocr,
                    exact=sharp_ok,
                    cer=0.0 if sharp_ok else 0.5,
                    psnr=np.inf,
                    ssim=1.0,
                )
            )
            rows.append(_row(i, length, "blurred", "blurred", ocr, cer=1.0, psnr=15.0))
            wiener_ok = ocr == "ppocr" and length == 13.0
            rows.append(
                _row(
                    i,
                    length,
                    "restored",
                    "wiener",
                    ocr,
                    exact=wiener_ok,
                    cer=0.0 if wiener_ok else 0.8,
                    psnr=18.0 + i,
                    ms=10.0 + i,
                )
            )
            usm = {"exact": ocr == "ppocr" and i == 0, "cer": 0.5, "ms": 1.0}
            if i == 3:
                usm = {"exact": True, "cer": 0.0, "ms": 500.0, "error": "boom"}
            rows.append(_row(i, length, "restored", "unsharp_mask", ocr, **usm))
    frame = pd.DataFrame(rows)
    assert tuple(frame.columns) == PER_SAMPLE_COLUMNS
    return frame


def _get(summary: pd.DataFrame, method: str, ocr: str) -> pd.Series:
    match = summary[(summary["method"] == method) & (summary["ocr"] == ocr)]
    assert len(match) == 1
    return match.iloc[0]


def test_summarize_rates_and_order() -> None:
    summary = summarize(make_frame())
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    ppocr = summary[summary["ocr"] == "ppocr"]
    assert list(ppocr["method"]) == ["sharp", "unsharp_mask", "wiener", "blurred"]
    assert list(ppocr["condition"]) == ["ceiling", "candidate", "candidate", "floor"]
    assert list(summary["ocr"]) == ["ppocr"] * 4 + ["tesseract"] * 4
    assert _get(summary, "sharp", "ppocr")["exact"] == 1.0
    assert _get(summary, "sharp", "tesseract")["exact"] == 0.5
    assert _get(summary, "blurred", "ppocr")["exact"] == 0.0
    wiener = _get(summary, "wiener", "ppocr")
    assert wiener["exact"] == 0.5
    assert wiener["cer"] == pytest.approx(0.4)
    assert wiener["psnr"] == pytest.approx(19.5)
    assert wiener["ms"] == pytest.approx(11.5)
    assert wiener["n"] == 4 and wiener["errors"] == 0


def test_summarize_excludes_but_counts_errors() -> None:
    usm = _get(summarize(make_frame()), "unsharp_mask", "ppocr")
    assert usm["n"] == 3
    assert usm["errors"] == 1
    assert usm["exact"] == pytest.approx(1 / 3)
    assert usm["ms"] == 1.0


def test_summarize_ceiling_psnr_is_nan_not_inf() -> None:
    sharp = _get(summarize(make_frame()), "sharp", "ppocr")
    assert np.isnan(sharp["psnr"])
    assert sharp["ssim"] == 1.0


def test_summarize_reads_csv_round_trip(tmp_path: Path) -> None:
    make_frame().to_csv(tmp_path / "per_sample.csv", index=False)
    loaded = pd.read_csv(tmp_path / "per_sample.csv")
    pd.testing.assert_frame_equal(summarize(loaded), summarize(make_frame()))


def test_summarize_accepts_string_booleans() -> None:
    frame = make_frame()
    frame["exact"] = frame["exact"].map({True: "true", False: "false"})
    assert _get(summarize(frame), "wiener", "ppocr")["exact"] == 0.5


def test_summarize_rejects_missing_column() -> None:
    with pytest.raises(ValueError, match="missing columns.*'cer'"):
        summarize(make_frame().drop(columns="cer"))


def test_summarize_rejects_unknown_condition() -> None:
    frame = make_frame()
    frame.loc[0, "condition"] = "weird"
    with pytest.raises(ValueError, match="condition must be one of"):
        summarize(frame)


def test_summarize_rejects_non_frame() -> None:
    with pytest.raises(TypeError, match="per_sample must be a pandas DataFrame"):
        summarize([1, 2])  # type: ignore[arg-type]


def test_summarize_does_not_modify_input() -> None:
    frame = make_frame()
    before = frame.copy()
    summarize(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_by_blur_length() -> None:
    table = by_blur_length(make_frame())
    assert "blur_length" in table.columns
    wiener = table[(table["method"] == "wiener") & (table["ocr"] == "ppocr")]
    rates = dict(zip(wiener["blur_length"], wiener["exact"], strict=True))
    assert rates == {13.0: 1.0, 31.0: 0.0}
    first = table[(table["ocr"] == "ppocr") & (table["blur_length"] == 13.0)]
    assert list(first["condition"]) == ["ceiling", "candidate", "candidate", "floor"]


def test_gap_closed_known_answer() -> None:
    gaps = gap_closed(make_frame(), lengths=(13,), ocr="ppocr").set_index("method")
    # length 13, ppocr: sharp 1.0, blurred 0.0, wiener 1.0, unsharp_mask 0.5.
    assert gaps.loc["wiener", "gap_exact"] == pytest.approx(1.0)
    assert gaps.loc["unsharp_mask", "gap_exact"] == pytest.approx(0.5)
    # CER: sharp 0, blurred 1, wiener 0 -> closed 1; unsharp 0.5 -> 0.5.
    assert gaps.loc["wiener", "gap_cer"] == pytest.approx(1.0)
    assert gaps.loc["unsharp_mask", "gap_cer"] == pytest.approx(0.5)
    assert list(gaps.index) == ["unsharp_mask", "wiener"]


def test_gap_closed_all_lengths_and_other_engine() -> None:
    gaps = gap_closed(make_frame(), lengths=None, ocr="ppocr").set_index("method")
    assert gaps.loc["wiener", "gap_exact"] == pytest.approx(0.5)
    tess = gap_closed(make_frame(), lengths=None, ocr="tesseract").set_index("method")
    assert tess.loc["wiener", "gap_exact"] == pytest.approx(0.0)


def test_gap_closed_nan_when_no_gap() -> None:
    frame = make_frame()
    frame.loc[frame["condition"] == "sharp", "exact"] = False
    frame.loc[frame["condition"] == "sharp", "cer"] = 1.0
    gaps = gap_closed(frame, lengths=None)
    assert gaps["gap_exact"].isna().all()


def test_gap_closed_rejects_unknown_engine_and_lengths() -> None:
    with pytest.raises(ValueError, match="ocr must be one of"):
        gap_closed(make_frame(), ocr="nope")
    with pytest.raises(ValueError, match="blur_length in"):
        gap_closed(make_frame(), lengths=(99,))


def _write_run(folder: Path, frame: pd.DataFrame) -> Path:
    folder.mkdir()
    frame.to_csv(folder / "per_sample.csv", index=False)
    return folder


def test_compare_runs_side_by_side(tmp_path: Path) -> None:
    first = _write_run(tmp_path / "run_a", make_frame())
    other = make_frame()
    other = other[other["method"] != "unsharp_mask"]
    second = _write_run(tmp_path / "run_b", other)
    table = compare_runs([first, second], metrics=("exact", "cer"))
    assert list(table.columns) == [
        "ocr",
        "condition",
        "method",
        "exact@run_a",
        "cer@run_a",
        "exact@run_b",
        "cer@run_b",
    ]
    row = table[(table["method"] == "unsharp_mask") & (table["ocr"] == "ppocr")]
    assert row["exact@run_a"].item() == pytest.approx(1 / 3)
    assert np.isnan(row["exact@run_b"].item())
    assert list(table["condition"][:4]) == [
        "ceiling",
        "candidate",
        "candidate",
        "floor",
    ]


def test_compare_runs_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        compare_runs([])
    with pytest.raises(FileNotFoundError, match="per_sample.csv"):
        compare_runs([tmp_path])
    with pytest.raises(ValueError, match="metrics must be among"):
        compare_runs([tmp_path], metrics=("speed",))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "a").mkdir()
    with pytest.raises(ValueError, match="unique"):
        compare_runs([tmp_path / "a", tmp_path / "b" / "a"])


def test_read_per_sample_keeps_na_text_and_reads_empty_as_missing(
    tmp_path: Path,
) -> None:
    (tmp_path / "per_sample.csv").write_text("text,prediction,error\nNA12,NA,\n")
    frame = read_per_sample(tmp_path)
    assert frame.loc[0, "prediction"] == "NA" and frame.loc[0, "text"] == "NA12"
    assert pd.isna(frame.loc[0, "error"])
    with pytest.raises(FileNotFoundError, match="per_sample.csv"):
        read_per_sample(tmp_path / "missing")


def test_versus_best_baseline_pairs_on_shared_samples() -> None:
    from bench.aggregate import versus_best_baseline

    frame = make_frame()
    model = frame[frame["method"] == "wiener"].assign(
        method="default", exact=True, outcome="exact", error=""
    )
    tests = versus_best_baseline(pd.concat([frame, model], ignore_index=True))
    ppocr = tests[tests["ocr"] == "ppocr"].set_index("method")
    assert set(ppocr["baseline"]) == {"wiener"}  # 2/4 beats unsharp_mask's 1/3
    # default reads all 4 plates, wiener 2: discordant 2 vs 0, p = 2 / 2**2 = 0.5
    row = ppocr.loc["default"]
    assert (row["n_pairs"], row["only_method"], row["only_baseline"]) == (4, 2, 0)
    assert row["p_value"] == pytest.approx(0.5) and row["verdict"] == "tie"
    # unsharp_mask: its failed row (sample 3) is not paired
    usm = ppocr.loc["unsharp_mask"]
    assert (usm["n_pairs"], usm["only_method"], usm["only_baseline"]) == (3, 0, 1)
    assert versus_best_baseline(frame[frame["method"] == "sharp"]).empty


def test_summarize_wilson_and_misread_columns() -> None:
    frame = make_frame()
    frame.loc[(frame["method"] == "blurred") & (frame["ocr"] == "ppocr"), "outcome"] = (
        "misread"
    )
    summary = summarize(frame)
    blurred = _get(summary, "blurred", "ppocr")
    assert blurred["misread"] == 1.0
    assert (blurred["exact_lo"], blurred["exact_hi"]) == pytest.approx(
        (0.0, 0.4899), abs=1e-4
    )
    wiener = _get(summary, "wiener", "ppocr")  # 2 of 4
    assert (wiener["exact_lo"], wiener["exact_hi"]) == pytest.approx(
        (0.1500, 0.8500), abs=1e-4
    )
    assert wiener["misread"] == 0.0
    old = frame.drop(columns=["outcome", "seed"])  # a run saved before these columns
    assert summarize(old)["misread"].isna().all()


def test_by_family_splits_families_and_lengths() -> None:
    from bench.aggregate import by_family

    frame = make_frame()
    frame["blur_kind"] = np.where(frame["blur_length"] == 13.0, "shake", "camera")
    table = by_family(frame)
    wiener = table[(table["method"] == "wiener") & (table["ocr"] == "ppocr")]
    rates = dict(zip(wiener["blur_kind"], wiener["exact"], strict=True))
    assert rates == {"shake": 1.0, "camera": 0.0}
    split = by_family(frame, lengths=True)
    assert {"blur_kind", "blur_length"} <= set(split.columns)
    assert len(split) == len(table)  # one length per family here


def test_report_has_family_sections_only_for_family_suites() -> None:
    from bench.report import _families, _sections

    frame = make_frame()
    assert _families(frame) == []
    assert "Exact match by family" not in [
        s[0] for s in _sections(frame, summarize(frame))
    ]
    frame["blur_kind"] = np.where(frame["blur_length"] == 13.0, "shake", "camera")
    headings = [s[0] for s in _sections(frame, summarize(frame))]
    assert "Exact match by family" in headings
    assert "Exact match by family and blur length" in headings
