from __future__ import annotations

from pathlib import Path

import pandas as pd
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
