"""Runner bookkeeping (FakeOcr), resume after interruption, error rows, real engines."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.config import BenchConfig, CandidateConfig, SuiteConfig
from bench.runner import COLUMNS, iter_results, load_rows, run

FAILING = "_test_failing"


def _stable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["ms"]).reset_index(drop=True)


def test_run_bookkeeping(fake_ocr: None, tiny_cfg: BenchConfig, tmp_path: Path) -> None:
    frame = run(tiny_cfg, tmp_path)
    assert tuple(frame.columns) == COLUMNS
    # 5 samples x (sharp, blurred, identity, unsharp_mask) x 1 engine
    assert len(frame) == 5 * 4
    assert (frame["error"] == "").all()
    assert set(frame["condition"]) == {"sharp", "blurred", "restored"}
    sharp = frame[frame["condition"] == "sharp"]
    assert np.isinf(sharp["psnr"]).all() and np.allclose(sharp["ssim"], 1.0)
    identity = frame[frame["method"] == "identity"].reset_index()
    blurred = frame[frame["method"] == "blurred"].reset_index()
    np.testing.assert_allclose(identity["psnr"], blurred["psnr"])
    assert (identity["prediction"] == blurred["prediction"]).all()
    assert (frame["exact"] == 0).all()  # FakeOcr never reads plates
    assert (tmp_path / "per_sample.csv").is_file() and (
        tmp_path / "config.json"
    ).is_file()
    saved = pd.read_csv(tmp_path / "per_sample.csv", keep_default_na=False)
    assert len(saved) == len(frame)


def test_every_runs_on_every_nth(fake_ocr: None, tiny_suite: Callable[..., SuiteConfig],
                                 tmp_path: Path) -> None:  # fmt: skip
    cands = (
        CandidateConfig(name="identity"),
        CandidateConfig(name="unsharp_mask", every=2),
    )
    frame = run(BenchConfig(suite=tiny_suite(candidates=cands)), tmp_path)
    ids = frame[frame["method"] == "unsharp_mask"]["sample_id"].tolist()
    assert ids == ["tiny-00000", "tiny-00002", "tiny-00004"]


def test_failing_candidate_is_recorded(fake_ocr: None, tiny_suite: Callable[..., SuiteConfig],
                                       tmp_path: Path) -> None:  # fmt: skip
    cands = (CandidateConfig(name=FAILING), CandidateConfig(name="identity"))
    frame = run(BenchConfig(suite=tiny_suite(count=2, candidates=cands)), tmp_path)
    failed = frame[frame["method"] == FAILING]
    assert len(failed) == 2 and failed["error"].str.contains("deliberate failure").all()
    assert failed["exact"].isna().all()
    assert (frame[frame["method"] == "identity"]["error"] == "").all()


def test_oracle_candidate_gets_psf(fake_ocr: None, tiny_suite: Callable[..., SuiteConfig],
                                   tmp_path: Path) -> None:  # fmt: skip
    suite = tiny_suite(count=2, candidates=(CandidateConfig(name="wiener"),))
    frame = run(BenchConfig(suite=suite), tmp_path)
    wiener = frame[frame["method"] == "wiener"]
    assert (wiener["error"] == "").all() and (wiener["ms"] > 0).all()


def test_unknown_candidate_fails_early(tiny_suite: Callable[..., SuiteConfig],
                                       tmp_path: Path) -> None:  # fmt: skip
    suite = tiny_suite(candidates=(CandidateConfig(name="nope"),))
    with pytest.raises(KeyError, match="nope"):
        run(BenchConfig(suite=suite), tmp_path)


def test_oracle_on_blind_suite_fails_early(tiny_suite: Callable[..., SuiteConfig],
                                           tmp_path: Path) -> None:  # fmt: skip
    suite = tiny_suite(kind="blind", count=0, folder=str(tmp_path),
                       candidates=(CandidateConfig(name="wiener"),))  # fmt: skip
    with pytest.raises(ValueError, match="PSF"):
        run(BenchConfig(suite=suite), tmp_path / "out")


def test_other_config_in_folder_is_refused(fake_ocr: None, tiny_cfg: BenchConfig,
                                           tmp_path: Path) -> None:  # fmt: skip
    run(dataclasses.replace(tiny_cfg, limit=2), tmp_path)
    other = dataclasses.replace(
        tiny_cfg, suite=dataclasses.replace(tiny_cfg.suite, seed=9)
    )
    with pytest.raises(ValueError, match="different suite"):
        run(other, tmp_path)


def test_interrupted_then_resumed_equals_uninterrupted(
    fake_ocr: None, tiny_cfg: BenchConfig, tmp_path: Path
) -> None:
    full = run(tiny_cfg, tmp_path / "full")
    cfg = dataclasses.replace(tiny_cfg, chunk=1)
    stopped = tmp_path / "stopped"
    seen: set[str] = set()
    for row in iter_results(cfg, stopped):  # stop after 2 samples
        seen.add(row.sample_id)
        if len(seen) == 2:
            break
    lines = (stopped / "rows.jsonl").read_text().splitlines()
    assert len(lines) == 2
    with open(stopped / "rows.jsonl", "a") as fh:  # a torn write of sample 3
        fh.write('{"index": 2, "rows": [{"suite": "ti')
    resumed = run(cfg, stopped)
    pd.testing.assert_frame_equal(_stable(resumed), _stable(full))
    records = [
        json.loads(line) for line in (stopped / "rows.jsonl").read_text().splitlines()
    ]
    assert sorted(r["index"] for r in records) == [0, 1, 2, 3, 4]  # no duplicates
    again = run(cfg, stopped)  # nothing left to do
    pd.testing.assert_frame_equal(_stable(again), _stable(full))


def _files(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns
            for p in sorted(folder.rglob("*.png"))}  # fmt: skip


def test_examples_saved_for_first_n(
    fake_ocr: None, tiny_cfg: BenchConfig, tmp_path: Path
) -> None:
    from bench.figures import load_examples
    from bench.samples import build_sample

    cfg = dataclasses.replace(tiny_cfg, examples=2)
    run(cfg, tmp_path)
    examples = load_examples(tmp_path)
    assert sorted(examples) == ["tiny-00000", "tiny-00001"]
    for sample_id, images in examples.items():
        assert sorted(images) == ["blurred", "identity", "sharp", "unsharp_mask"]
        sample = build_sample(cfg.effective_suite, int(sample_id[-5:]))
        assert sample.sharp is not None
        np.testing.assert_allclose(images["sharp"], sample.sharp, atol=0.5 / 255 + 1e-6)
        np.testing.assert_allclose(
            images["identity"], sample.blurred, atol=0.5 / 255 + 1e-6
        )
    assert not list((tmp_path / "examples").rglob("*.tmp*"))  # atomic: no leftovers
    before = _files(tmp_path / "examples")
    run(cfg, tmp_path)  # resume with nothing to do: examples untouched
    assert _files(tmp_path / "examples") == before


def test_examples_resumed_after_interruption(
    fake_ocr: None, tiny_cfg: BenchConfig, tmp_path: Path
) -> None:
    cfg = dataclasses.replace(tiny_cfg, chunk=1, examples=3)
    next(iter_results(cfg, tmp_path))  # stop after the first sample
    assert [p.name for p in (tmp_path / "examples").iterdir()] == ["tiny-00000"]
    run(cfg, tmp_path)
    assert sorted(p.name for p in (tmp_path / "examples").iterdir()) == [
        "tiny-00000", "tiny-00001", "tiny-00002",
    ]  # fmt: skip


def test_no_examples_when_zero(fake_ocr: None, tiny_cfg: BenchConfig,
                               tmp_path: Path) -> None:  # fmt: skip
    run(dataclasses.replace(tiny_cfg, examples=0), tmp_path)
    assert not (tmp_path / "examples").exists()


def test_safe_name_keeps_one_path_component() -> None:
    from bench.runner import _safe_name

    assert _safe_name("default-00042") == "default-00042"
    assert _safe_name("sub/dir/../AB 12.png") == "sub_dir_.._AB_12.png"
    assert _safe_name("..") == "_"


_CHILD = """
import sys
from bench.config import BenchConfig, CandidateConfig, load_suite
import dataclasses
from bench.runner import run
suite = dataclasses.replace(load_suite("smoke"), ocr=("tesseract",),
                            candidates=(CandidateConfig(name="identity"),))
run(BenchConfig(suite=suite, chunk=1), sys.argv[1])
"""


def test_killed_process_resumes(tesseract_binary: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(out)])
    rows = out / "rows.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if rows.is_file() and rows.read_bytes().count(b"\n") >= 2:
            break
        time.sleep(0.05)
    child.kill()
    child.wait()
    done_before = rows.read_bytes().count(b"\n")
    assert done_before >= 1
    subprocess.run([sys.executable, "-c", _CHILD, str(out)], check=True)
    full = tmp_path / "full"
    subprocess.run([sys.executable, "-c", _CHILD, str(full)], check=True)
    pd.testing.assert_frame_equal(_stable(load_rows(out)), _stable(load_rows(full)))


def test_smoke_suite_real_engines(tesseract_binary: str, tmp_path: Path) -> None:
    from bench.config import load_suite

    frame = run(BenchConfig(suite=load_suite("smoke")), tmp_path)
    assert (frame["error"] == "").all()
    sharp = frame[frame["condition"] == "sharp"].groupby("ocr")["exact"].mean()
    assert sharp["ppocr"] >= 0.8
    assert sharp["tesseract"] >= 0.5


@pytest.mark.parametrize("model_threads", [0, 1])
def test_worker_passes_model_threads_to_threaded_candidates(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig], model_threads: int
) -> None:
    from bench.runner import _deblurrer, _init_worker
    from bench.samples import build_sample

    suite = tiny_suite(candidates=(CandidateConfig(name="_test_threaded"),))
    _init_worker(suite, None, 0, model_threads)
    sample = build_sample(suite, 0)
    threaded = _deblurrer(CandidateConfig(name="_test_threaded"), sample)
    assert threaded.threads == model_threads  # type: ignore[attr-defined]
    plain = _deblurrer(CandidateConfig(name="unsharp_mask"), sample)  # takes no threads
    assert plain.name == "unsharp_mask"


def test_frames_with_a_plate_box_are_read_only_inside_the_box(
    tesseract_binary: str, tiny_suite: Callable[..., SuiteConfig], tmp_path: Path
) -> None:
    from bench.ocr import normalize_plate_text
    from deblur.io import write_image
    from deblur.synth.frames import make_frame
    from deblur.synth.plates import render_plate

    folder = tmp_path / "frames"
    folder.mkdir()
    lines = ["file,text,x,y,w,h"]
    for i, text in enumerate(["AB12 CDE", "XY34 ZZZ"]):
        frame = make_frame(render_plate(text, rng=i, style="uk"), rng=i)
        write_image(folder / f"f{i}.png", frame.image)
        lines.append(f"f{i}.png,{text},{','.join(map(str, frame.box))}")
    (folder / "labels.csv").write_text("\n".join(lines) + "\n")
    suite = tiny_suite(kind="blind", count=0, folder=str(folder), ocr=("tesseract",),
                       candidates=(CandidateConfig(name="unsharp_mask"),))  # fmt: skip
    frame = run(BenchConfig(suite=suite, examples=1), tmp_path / "run")
    assert (frame["error"] == "").all() and set(frame["style"]) == {"frame"}
    reads = frame["prediction"].map(normalize_plate_text)
    assert (reads == frame["text"].map(normalize_plate_text)).sum() >= 3  # of 4 reads
    saved = tmp_path / "run" / "examples" / "f0.png" / "blurred.png"
    from PIL import Image as PILImage

    with PILImage.open(saved) as image:  # examples show the box, not the frame
        assert image.size[0] < 512 and image.size[1] < 384
