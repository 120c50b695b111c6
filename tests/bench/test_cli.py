from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image as PILImage
from typer.testing import CliRunner

from bench.cli import app

runner = CliRunner()


def _suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "three.toml"
    path.write_text(
        'name = "three"\ncount = 3\nseed = 1\nplate_width = 96\n'
        'candidates = ["identity"]\nocr = ["ppocr"]\n[blur]\nlengths = [3]\n'
    )
    return path


def test_cli_run_and_report(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", "--suite", str(_suite_file(tmp_path)),
                                 "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "per_sample.csv", keep_default_na=False)
    assert len(frame) == 3 * 3
    assert sorted(p.name for p in (out / "examples").iterdir()) == [
        "three-00000", "three-00001", "three-00002",
    ]  # fmt: skip
    assert (out / "figures" / "examples.png").is_file()
    first = (out / "report.md").read_text()
    (out / "per_sample.csv").unlink()
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "per_sample.csv").is_file()
    assert (out / "report.md").read_text() == first  # rebuilt, title included


def test_cli_list() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert "default" in result.output and "identity" in result.output
    assert "tesseract" in result.output


def test_cli_known_error_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--suite", "no-such-suite"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["run", "--suite", str(_suite_file(tmp_path)),
                                 "--candidates", "nope", "--out", str(tmp_path / "o")])  # fmt: skip
    assert result.exit_code == 2
    result = runner.invoke(app, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2


def test_cli_run_prints_its_folder_and_how_to_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", "--suite", str(_suite_file(tmp_path)),
                                 "--out", str(out), "--examples", "0"])  # fmt: skip
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first == f"run folder: {out} (if interrupted, resume it with --out {out})"
    assert "eta" in result.output  # the progress bar's time-remaining column


def test_cli_debug_reraises_on_every_command(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--suite", "no-such-suite", "--debug"])
    assert isinstance(result.exception, FileNotFoundError)
    result = runner.invoke(app, ["report", str(tmp_path / "missing"), "--debug"])
    assert isinstance(result.exception, FileNotFoundError)
    missing = [str(tmp_path / "a"), str(tmp_path / "b")]
    result = runner.invoke(app, ["compare", *missing, "--debug"])
    assert isinstance(result.exception, FileNotFoundError)
    args = ["export", "--suite", "no-such-suite", "--out", str(tmp_path / "x")]
    result = runner.invoke(app, [*args, "--debug"])
    assert isinstance(result.exception, FileNotFoundError)
    assert runner.invoke(app, args).exit_code == 2


def test_cli_known_error_is_one_red_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")


BASE = 'name = "x"\ncount = 2\nocr = ["tesseract"]\n'


def test_cli_bad_suite_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BASE + "seed = 1.5\n")
    result = runner.invoke(app, ["run", "--suite", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "bad.toml" in result.output


def _real_folder(folder: Path, labels: str) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png"):
        PILImage.fromarray(rng.integers(0, 255, (24, 80), np.uint8)).save(folder / name)
    png = (folder / "a.png").read_bytes()
    (folder / "trunc.png").write_bytes(png[: len(png) // 2])
    (folder / "empty.png").write_bytes(b"")
    PILImage.fromarray(np.full((1, 1), 99, np.uint8)).save(folder / "one.png")
    (folder / "labels.csv").write_text(labels)
    return folder


REAL = 'name = "r"\nkind = "real"\ncount = 0\ncandidates = ["identity"]\n'

REAL += 'ocr = ["tesseract"]\n'


def test_bad_images_fail_their_own_rows_and_run_goes_on(
    fake_ocr: None, tmp_path: Path
) -> None:
    labels = "file,text\na.png,AB1\nmissing.png,CD2\ntrunc.png,EF3\nempty.png,GH4\n"
    folder = _real_folder(tmp_path / "data", labels + "one.png,IJ5\nb.png,KL6\n")
    (tmp_path / "s.toml").write_text(REAL)
    out = tmp_path / "run"
    args = ["run", "--suite", str(tmp_path / "s.toml"), "--data", str(folder)]
    result = runner.invoke(app, [*args, "--out", str(out), "--examples", "0"])
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("failed")]
    assert len(failed) == 3
    for name, line in zip(
        ("missing.png", "trunc.png", "empty.png"), failed, strict=True
    ):
        assert name in line
    frame = pd.read_csv(out / "per_sample.csv", keep_default_na=False)
    good = frame[frame["error"] == ""]
    assert sorted(set(good["sample_id"])) == ["a.png", "b.png", "one.png"]
    assert len(good) == 3 * 3  # sharp, blurred, identity for each good image
    bad = frame[frame["error"] != ""].set_index("sample_id")  # name and text kept
    assert bad.loc["missing.png", "text"] == "CD2"
    assert sorted(bad.index) == ["empty.png", "missing.png", "trunc.png"]


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("../escape.png,AB", "leaves the dataset folder"),
        ("/etc/passwd,AB", "leaves the dataset folder"),
        ("a.png,AB", "duplicate file 'a.png'"),
    ],
)
def test_unsafe_labels_refused_before_any_work(
    fake_ocr: None, tmp_path: Path, row: str, match: str
) -> None:
    folder = _real_folder(tmp_path / "data", f"file,text\na.png,XY\n{row}\n")
    (tmp_path / "s.toml").write_text(REAL)
    out = tmp_path / "run"
    args = ["run", "--suite", str(tmp_path / "s.toml"), "--data", str(folder)]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2
    assert "labels.csv row 3" in result.output and match in result.output
    assert not (out / "rows.jsonl").exists()


def test_labels_not_utf8_is_one_line(fake_ocr: None, tmp_path: Path) -> None:
    folder = _real_folder(tmp_path / "data", "")
    (folder / "labels.csv").write_bytes("file,text\na.png,ÄB\n".encode("latin-1"))
    (tmp_path / "s.toml").write_text(REAL)
    args = ["run", "--suite", str(tmp_path / "s.toml"), "--data", str(folder)]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "labels.csv: not valid UTF-8" in result.output


def test_cli_report_flags_a_stopped_run(fake_ocr: None, tmp_path: Path) -> None:
    from bench.config import BenchConfig, load_suite
    from bench.runner import iter_results

    cfg = BenchConfig(suite=load_suite(_suite_file(tmp_path)), chunk=1, examples=0)
    out = tmp_path / "stopped"
    next(iter_results(cfg, out))  # one sample of three, then stop
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    lines = (out / "report.md").read_text().splitlines()
    assert lines[2].startswith("> **Warning:** Incomplete run: 1 of 3 samples")
    assert "(3 of 9 rows)" in lines[2]


def test_cli_run_seeds_and_external_candidates(fake_ocr: None, tmp_path: Path) -> None:
    out = tmp_path / "run"
    copy = "copy=cmd:cp {in}/*.png {out}/"
    args = ["run", "--suite", str(_suite_file(tmp_path)), "--out", str(out),
            "--seeds", "5,6", "--candidates", "identity", "--candidates", copy,
            "--examples", "0"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "per_sample.csv", keep_default_na=False)
    assert sorted(set(frame["method"])) == ["blurred", "copy", "identity", "sharp"]
    assert sorted(set(frame["seed"])) == [5, 6] and frame["sample_id"].nunique() == 6
    assert "three-s6-00002" in set(frame["sample_id"])
    text = (out / "report.md").read_text()
    assert "root seeds 5, 6" in text
    bad = runner.invoke(app, [*args[:5], "--seeds", "5,x"])
    assert bad.exit_code == 2 and "--seeds must be integers" in bad.output


def test_cli_export_writes_inputs_and_labels(tmp_path: Path) -> None:
    out = tmp_path / "inputs"
    result = runner.invoke(app, ["export", "--suite", str(_suite_file(tmp_path)),
                                 "--out", str(out), "--limit", "2"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "labels.csv", "three-00000.png", "three-00001.png",
    ]  # fmt: skip
