"""`bench run --scheduler`: the same suite on a Dask LocalCluster gives the same rows."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from bench.cli import app
from bench.config import BenchConfig, load_suite
from bench.rows import load_rows
from bench.runner import run

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")


def _stable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["ms"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def smoke() -> BenchConfig:
    return BenchConfig(suite=load_suite("smoke"), limit=2, chunk=1, examples=1)


@pytest.fixture(scope="module")
def local_rows(
    smoke: BenchConfig, tmp_path_factory: pytest.TempPathFactory
) -> pd.DataFrame:
    return _stable(run(smoke, tmp_path_factory.mktemp("local")))


@pytest.mark.parametrize("processes", [False, True])
def test_dask_run_equals_local_run(
    tesseract_binary: str,
    smoke: BenchConfig,
    local_rows: pd.DataFrame,
    tmp_path: Path,
    processes: bool,
) -> None:
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=processes, dashboard_address=None
    ) as cluster:
        cfg = dataclasses.replace(smoke, scheduler=cluster.scheduler_address)
        frame = run(cfg, tmp_path)
    assert (frame["error"] == "").all()
    pd.testing.assert_frame_equal(_stable(frame), local_rows)
    assert sorted(p.name for p in (tmp_path / "examples").iterdir()) == ["smoke-00000"]


def test_dask_worker_builds_engines_once(
    fake_ocr: None, tiny_cfg: BenchConfig, tmp_path: Path
) -> None:
    import bench.worker

    built: list[str] = []
    original = bench.worker.get_ocr

    def counting(name: str, cfg: object = None) -> object:
        built.append(name)
        return original(name, cfg=cfg)  # type: ignore[arg-type]

    bench.worker.get_ocr = counting  # restored by the fake_ocr monkeypatch
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        cfg = dataclasses.replace(
            tiny_cfg, chunk=1, scheduler=cluster.scheduler_address
        )
        frame = run(cfg, tmp_path)
    assert len(built) == 1  # five chunks, one engine built on the one worker
    pd.testing.assert_frame_equal(
        _stable(frame), _stable(run(tiny_cfg, tmp_path / "l"))
    )


def test_cli_scheduler_option_and_unreachable_scheduler(
    fake_ocr: None, tmp_path: Path
) -> None:
    suite = tmp_path / "s.toml"
    suite.write_text('name = "s"\ncount = 2\nplate_width = 96\nocr = ["tesseract"]\n')
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        args = ["run", "--suite", str(suite), "--out", str(tmp_path / "run")]
        result = CliRunner().invoke(
            app, [*args, "--scheduler", cluster.scheduler_address]
        )
    assert result.exit_code == 0, result.output
    assert len(load_rows(tmp_path / "run")) == 2 * 3
    args = ["run", "--suite", str(suite), "--out", str(tmp_path / "other")]
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        result = CliRunner().invoke(app, [*args, "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "cannot reach Dask scheduler tcp://127.0.0.1:9" in result.output
