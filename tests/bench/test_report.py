"""Tests for bench.report and bench.figures on a fake per-sample frame."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from bench.aggregate import PER_SAMPLE_COLUMNS
from bench.figures import (
    load_examples,
    plot_accuracy_vs_blur,
    plot_accuracy_vs_speed,
    plot_examples,
    plot_quality_vs_blur,
)
from bench.report import summary_table, write_report
from deblur.io import write_image

METHODS = ("sharp", "blurred", "wiener", "unsharp_mask")


def fake_frame(seed: int = 0) -> pd.DataFrame:
    """Three lengths x 4 samples x 2 engines x 4 methods, accuracy falling with length."""
    rng = np.random.default_rng(seed)
    rows = []
    for length in (5.0, 13.0, 21.0):
        for i in range(4):
            sample_id = f"p{int(length):02d}_{i}"
            for ocr in ("ppocr", "tesseract"):
                for method in METHODS:
                    condition = {"sharp": "sharp", "blurred": "blurred"}.get(
                        method, "restored"
                    )
                    skill = {"sharp": 1.0, "blurred": 0.0, "wiener": 0.6}.get(
                        method, 0.2
                    )
                    p_ok = skill + (1 - skill) * max(0.0, 1 - length / 15)
                    exact = bool(rng.random() < p_ok)
                    rows.append(
                        {
                            "suite": "fake", "sample_id": sample_id,
                            "source": "synthetic", "style": "uk", "text": "AB12CDE",
                            "blur_kind": "linear", "blur_length": length,
                            "blur_angle": 0.0, "noise": 0.005,
                            "condition": condition, "method": method, "ocr": ocr,
                            "prediction": "AB12CDE" if exact else "A812C0E",
                            "exact": exact, "cer": 0.0 if exact else 2 / 7,
                            "ned": 0.0 if exact else 2 / 7,
                            "psnr": np.inf if method == "sharp" else 30 - length / 2,
                            "ssim": 1.0 if method == "sharp" else 0.9 - length / 50,
                            "ms": {"wiener": 8.0, "unsharp_mask": 0.5}.get(method, 0.0),
                            "error": "",
                        }
                    )  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(PER_SAMPLE_COLUMNS))
    frame.loc[frame.index[-1], "error"] = "RuntimeError: boom"
    return frame


def fake_examples() -> dict[str, dict[str, np.ndarray]]:
    x = np.linspace(0, 1, 96, dtype=np.float32)
    plate = np.tile(x, (32, 1))
    return {
        "p05_0": {m: plate * (0.5 + 0.1 * i) for i, m in enumerate(METHODS)},
        "p13_1": {"sharp": plate, "blurred": 1 - plate},
    }


@pytest.mark.parametrize(
    "plot", [plot_accuracy_vs_blur, plot_quality_vs_blur, plot_accuracy_vs_speed]
)
def test_plots_return_figures(plot) -> None:
    fig = plot(fake_frame())
    assert isinstance(fig, Figure)
    assert len(fig.axes) >= 2


def test_accuracy_plot_has_ceiling_and_floor_lines() -> None:
    fig = plot_accuracy_vs_blur(fake_frame())
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "sharp (ceiling)" in labels and "blurred (floor)" in labels
    assert "wiener" in labels and "unsharp_mask" in labels
    assert [ax.get_title() for ax in fig.axes] == [
        "Exact plate match — ppocr",
        "Exact plate match — tesseract",
    ]


def test_plot_examples_grid_and_colours() -> None:
    fig = plot_examples(fake_examples(), fake_frame())
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2 * 5  # a line of five cells per sample
    titles = [ax.get_title(loc="left") for ax in fig.axes[:4]]
    assert titles == ["sharp", "blurred", "unsharp_mask", "wiener"]
    colours = {t.get_color() for ax in fig.axes[:4] for t in ax.texts}
    assert colours == {"#1a7f37", "#cf222e"}
    # p13_1 has rows for the candidates but no saved image: the cell says so.
    blank = [t.get_text() for ax in fig.axes[7:] for t in ax.texts]
    assert blank == ["image not saved", "image not saved"]
    headings = [sub._suptitle.get_text() for sub in fig.subfigs]
    assert headings[0] == "p05_0  —  plate AB12CDE  —  blur 5 px"


def test_plot_examples_empty() -> None:
    assert isinstance(plot_examples({}), Figure)


def test_load_examples_reads_layout(tmp_path: Path) -> None:
    for sample, images in fake_examples().items():
        (tmp_path / "examples" / sample).mkdir(parents=True)
        for method, image in images.items():
            write_image(tmp_path / "examples" / sample / f"{method}.png", image)
    loaded = load_examples(tmp_path)
    assert sorted(loaded) == ["p05_0", "p13_1"]
    assert sorted(loaded["p05_0"]) == sorted(METHODS)
    assert loaded["p13_1"]["sharp"].shape == (32, 96, 3)
    assert loaded["p13_1"]["sharp"].dtype == np.float32


def test_load_examples_missing(tmp_path: Path) -> None:
    assert load_examples(tmp_path) == {}
    with pytest.raises(FileNotFoundError, match="run folder not found"):
        load_examples(tmp_path / "nope")


def test_summary_table_formats_nan_as_dash() -> None:
    from bench.aggregate import summarize

    table = summary_table(summarize(fake_frame()))
    sharp = table[table["Method"] == "sharp"].iloc[0]
    assert sharp["PSNR (dB)"] == "–"
    assert sharp["Role"] == "ceiling"


def test_write_report_writes_every_file(tmp_path: Path) -> None:
    frame = fake_frame()
    before = frame.copy()
    path = write_report(
        frame, tmp_path / "run", title="Fake run", examples=fake_examples()
    )
    run = tmp_path / "run"
    assert path == run / "report.md"
    pd.testing.assert_frame_equal(frame, before)
    for name in ("summary.csv", "report.md", "report.html"):
        assert (run / name).stat().st_size > 0
    figures = sorted(p.name for p in (run / "figures").glob("*.png"))
    assert figures == [
        "accuracy_vs_blur.png", "accuracy_vs_speed.png", "examples.png",
        "quality_vs_blur.png",
    ]  # fmt: skip
    assert not [p for p in run.rglob(".*")], "temporary files left behind"
    summary = pd.read_csv(run / "summary.csv")
    assert len(summary) == 8
    assert summary["errors"].sum() == 1

    markdown = path.read_text(encoding="utf-8")
    assert markdown.startswith("# Fake run")
    assert "Failed rows (excluded from every metric): 1." in markdown
    assert re.search(r"\| ppocr +\| sharp +\| ceiling +\|", markdown)
    assert re.search(r"\| ppocr +\| blurred +\| floor +\|", markdown)
    assert "Gap closed (blur lengths [13, 21] px)"  # those present in markdown
    assert "luminance" in markdown
    for name in figures:
        assert f"(figures/{name})" in markdown


def test_write_report_html_is_self_contained(tmp_path: Path) -> None:
    write_report(fake_frame(), tmp_path, title="<b>Fake</b>", examples=fake_examples())
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<style>" in page and "<table" in page
    assert "&lt;b&gt;Fake&lt;/b&gt;" in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == 4
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http" not in page.replace("data:image", "")
    assert "<link" not in page and "<script" not in page


def test_write_report_loads_examples_from_run(tmp_path: Path) -> None:
    (tmp_path / "examples" / "p05_0").mkdir(parents=True)
    write_image(
        tmp_path / "examples" / "p05_0" / "sharp.png", fake_examples()["p05_0"]["sharp"]
    )
    write_report(fake_frame(), tmp_path, title="t")
    assert (tmp_path / "figures" / "examples.png").is_file()


def test_write_report_without_examples_or_gap_lengths(tmp_path: Path) -> None:
    frame = fake_frame()
    frame = frame[frame["blur_length"] == 5.0]
    write_report(frame, tmp_path, title="t")
    assert not (tmp_path / "figures" / "examples.png").exists()
    assert "Gap closed (all blur lengths)" in (tmp_path / "report.md").read_text()


def test_write_report_rejects_bad_frame(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="missing columns"):
        write_report(fake_frame().drop(columns="ssim"), tmp_path, title="t")


def test_write_report_says_when_images_are_whole_frames(tmp_path: Path) -> None:
    per_sample = fake_frame()
    frames = per_sample.assign(style="frame")
    crops_md = write_report(per_sample, tmp_path / "crops", title="t").read_text()
    frames_md = write_report(frames, tmp_path / "frames", title="t").read_text()
    line = "Images are whole frames: restored whole, read and scored only inside"
    assert line not in crops_md
    assert line in frames_md.split("## Summary")[0]


def test_speed_plot_has_no_overlapping_labels_and_a_visible_floor() -> None:
    fig = plot_accuracy_vs_speed(fake_frame())
    assert all(not ax.texts for ax in fig.axes)  # names live in the legend
    legend = fig.axes[-1].get_legend()
    names = [t.get_text() for t in legend.get_texts()]
    assert {"wiener", "unsharp_mask", "blurred (floor)", "sharp (ceiling)"} <= set(
        names
    )
    floor = [
        ln for ln in fig.axes[0].get_lines() if ln.get_label() == "blurred (floor)"
    ]
    assert floor[0].get_linewidth() >= 5 and floor[0].get_zorder() < 3


def test_accuracy_plot_floor_not_hidden_by_identity() -> None:
    frame = fake_frame()
    identity = frame[frame["method"] == "blurred"].assign(
        method="identity", condition="restored"
    )
    fig = plot_accuracy_vs_blur(pd.concat([frame, identity], ignore_index=True))
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    floor, same = lines["blurred (floor)"], lines["identity"]
    np.testing.assert_array_equal(floor.get_ydata(), same.get_ydata())
    # The floor is a wide band under the thin identity line: both stay visible.
    assert floor.get_linewidth() > 3 * same.get_linewidth()
    assert floor.get_zorder() < same.get_zorder()


def _suite(**changes: object):  # type: ignore[no-untyped-def]
    from bench.config import CandidateConfig, SuiteConfig

    values: dict[str, object] = {
        "name": "fake", "count": 12, "o_equals_zero": True,
        "candidates": (CandidateConfig(name="wiener"),
                       CandidateConfig(name="unsharp_mask")),
    }  # fmt: skip
    values.update(changes)
    return SuiteConfig(**values)  # type: ignore[arg-type]


def test_report_states_policy_and_flags_incomplete_run_first(tmp_path: Path) -> None:
    frame = fake_frame()
    write_report(frame, tmp_path, title="t", examples={}, suite=_suite(), samples=20)
    lines = (tmp_path / "report.md").read_text().splitlines()
    assert lines[2].startswith("> **Warning:** Incomplete run: 12 of 20 samples")
    assert "(96 of 160 rows)" in lines[2]
    policy = next(line for line in lines if "Scoring:" in line)
    assert "spaces, hyphens" in policy and "letter O is read as the digit 0" in policy
    page = (tmp_path / "report.html").read_text()
    assert page.index("Incomplete run") < page.index("<h2>Summary")
    write_report(frame, tmp_path, title="t", examples={},
                 suite=_suite(o_equals_zero=False), samples=12)  # fmt: skip
    text = (tmp_path / "report.md").read_text()
    assert "Incomplete" not in text and "O and 0 are different characters" in text


def test_report_intervals_misreads_and_paired_test(tmp_path: Path) -> None:
    frame = fake_frame()
    frame["outcome"] = np.where(frame["exact"], "exact", "misread")
    write_report(frame, tmp_path, title="t", examples={})
    text = (tmp_path / "report.md").read_text()
    assert "Exact match [95% CI]" in text and "Misread" in text
    assert "## Paired test against the best baseline" in text
    summary = pd.read_csv(tmp_path / "summary.csv")
    sharp = summary[(summary["method"] == "sharp") & (summary["ocr"] == "ppocr")]
    assert sharp["exact_lo"].iloc[0] == pytest.approx(0.7575, abs=1e-4)  # 12/12
    wrong = 1 - summary["exact"]
    np.testing.assert_allclose(summary["misread"], wrong, atol=1e-9)


def test_report_explains_gap_above_one(tmp_path: Path) -> None:
    frame = fake_frame()
    sharp = (frame["method"] == "sharp") & (frame["sample_id"].str.endswith("_0"))
    frame.loc[sharp, "exact"] = False  # the OCR misses a sharp plate per length
    frame.loc[frame["method"] == "wiener", "exact"] = True
    write_report(frame, tmp_path, title="t", examples={})
    text = (tmp_path / "report.md").read_text()
    assert (
        "wiener closes 1.33 of the gap with ppocr" in text
        and "read exactly more often" in text
    )


def test_blind_report_has_no_empty_figures(tmp_path: Path) -> None:
    frame = fake_frame()
    frame = frame[frame["method"] != "sharp"].assign(blur_length=np.nan, psnr=np.nan,
                                                     ssim=np.nan)  # fmt: skip
    write_report(frame, tmp_path, title="blind", examples={})
    figures = sorted(p.name for p in (tmp_path / "figures").glob("*.png"))
    assert figures == ["accuracy_vs_speed.png"]
    text = (tmp_path / "report.md").read_text()
    assert "by blur length" not in text and "Gap closed" not in text


def test_fmt_drops_the_sign_of_negative_zero() -> None:
    from bench.report import _fmt

    assert [_fmt(v, 2) for v in (-1e-17, 0.0, -0.5, 1.0)] == [
        "0.00",
        "0.00",
        "-0.50",
        "1.00",
    ]
