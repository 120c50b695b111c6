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


def test_cli_run_prints_its_folder_and_how_to_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", "--suite", str(_suite_file(tmp_path)),
                                 "--out", str(out), "--examples", "0"])  # fmt: skip
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first == f"run folder: {out} (if interrupted, resume it with --out {out})"
    assert "eta" in result.output  # the progress bar's time-remaining column
