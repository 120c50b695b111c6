"""bench.compare and `bench compare`: deltas, intervals, paired tests, refusals."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from bench.cli import app
from bench.compare import compare, write_comparison
from bench.config import BenchConfig
from bench.runner import run


@pytest.fixture
def run_a(fake_ocr: None, tiny_cfg: BenchConfig, tmp_path: Path) -> Path:
    """A finished 5-sample run (FakeOcr: nothing read exactly)."""
    run(dataclasses.replace(tiny_cfg, examples=0), tmp_path / "A")
    return tmp_path / "A"


def _copy_with(run_a: Path, name: str, edit) -> Path:  # type: ignore[no-untyped-def]
    other = run_a.parent / name
    shutil.copytree(run_a, other)
    frame = pd.read_csv(other / "per_sample.csv", keep_default_na=False)
    edit(frame).to_csv(other / "per_sample.csv", index=False)
    return other


def _set_identity_read(frame: pd.DataFrame) -> pd.DataFrame:
    mask = frame["method"] == "identity"
    frame.loc[mask, "exact"] = 1.0
    frame.loc[mask, "outcome"] = "exact"
    return frame


def test_compare_deltas_intervals_and_paired_test(run_a: Path, tmp_path: Path) -> None:
    run_b = _copy_with(run_a, "B", _set_identity_read)
    result = compare([run_a, run_b])
    assert result.warnings == ()
    table = result.tables["A (A) vs B (B)"].set_index("Method")
    identity = table.loc["identity"]
    assert identity["n A"] == identity["n B"] == "5"
    assert identity["Exact A [95% CI]"] == "0.000 [0.00, 0.43]"  # Wilson 0/5
    assert identity["Exact B [95% CI]"] == "1.000 [0.57, 1.00]"
    assert identity["Δ exact (B − A)"] == "+1.000"
    # 5 discordant pairs, all for B: p = 2 / 2**5 = 0.0625 >= 0.05, a tie.
    assert identity["Pairs"] == 5 and identity["p (McNemar)"] == "0.0625"
    assert identity["B vs A"] == "tie"
    assert table.loc["unsharp_mask", "p (McNemar)"] == "1"  # no discordant pair
    md = write_comparison(result, tmp_path / "cmp")
    text = md.read_text()
    assert text.startswith("# Comparison: A, B") and "| identity" in text
    page = (tmp_path / "cmp" / "compare.html").read_text()
    assert "<table" in page and "0.0625" in page


def test_compare_refuses_other_suite_settings_unless_allowed(
    fake_ocr: None, tiny_cfg: BenchConfig, run_a: Path, tmp_path: Path
) -> None:
    other = dataclasses.replace(tiny_cfg, examples=0,
                                suite=dataclasses.replace(tiny_cfg.suite, seed=9))  # fmt: skip
    run(other, tmp_path / "C")
    with pytest.raises(
        ValueError, match=r"different suite settings \(draws: \(3,\) vs \(9,\)\)"
    ):
        compare([run_a, tmp_path / "C"])
    result = compare([run_a, tmp_path / "C"], allow_different=True)
    assert any(
        "draws: (3,) vs (9,)" in w and "no paired tests" in w for w in result.warnings
    )
    table = result.tables["A (A) vs C (B)"]
    assert set(table["p (McNemar)"]) == {"–"}
    md = write_comparison(result, tmp_path / "cmp").read_text()
    assert md.splitlines()[2].startswith("> **Warning:** Different settings")


def test_compare_flags_an_incomplete_run(run_a: Path) -> None:
    def drop_two(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[~frame["sample_id"].isin(["tiny-00003", "tiny-00004"])]

    run_b = _copy_with(run_a, "B", drop_two)
    result = compare([run_a, run_b])
    assert result.warnings == (
        "Incomplete run B: 3 of 5 samples have rows; its figures cover only those.",
    )
    table = result.tables["A (A) vs B (B)"].set_index("Method")
    assert table.loc["identity", "Pairs"] == 3


def test_compare_errors(run_a: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least two"):
        compare([run_a])
    with pytest.raises(ValueError, match="unique"):
        compare([run_a, run_a])
    with pytest.raises(FileNotFoundError, match="per_sample.csv"):
        compare([run_a, tmp_path / "missing"])


def test_cli_compare_writes_files_and_refuses(run_a: Path, tmp_path: Path) -> None:
    run_b = _copy_with(run_a, "B", _set_identity_read)
    cli = CliRunner()
    out = tmp_path / "cmp"
    result = cli.invoke(app, ["compare", str(run_a), str(run_b), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "compare.md").is_file() and (out / "compare.html").is_file()
    assert "+1.000" in result.output and "0.0625" in result.output
    rows = [line for line in result.output.splitlines() if line.startswith("|")]
    assert rows and max(len(line) for line in rows) < 130  # not 330 characters
    shutil.copy(run_a / "config.json", run_b / "config.json")
    config = (run_b / "config.json").read_text().replace('"count": 5', '"count": 6')
    (run_b / "config.json").write_text(config)
    result = cli.invoke(app, ["compare", str(run_a), str(run_b), "--out", str(out)])
    assert result.exit_code == 2 and "different suite settings" in result.output
