"""Runner bookkeeping (FakeOcr), resume after interruption, error rows, real engines."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.config import BenchConfig, CandidateConfig, SuiteConfig
from bench.rows import COLUMNS, load_rows
from bench.runner import iter_results, run

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
    # The smoke suite runs the shipped model and has blurred plates that do not read.
    blurred = frame[frame["condition"] == "blurred"].groupby("ocr")["exact"].mean()
    assert blurred["ppocr"] < 1.0 and blurred["tesseract"] < 1.0
    restored = frame[frame["method"] == "default"].groupby("ocr")["exact"].mean()
    assert (restored > blurred).all()


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
    copy = CandidateConfig.parse("copy=cmd:cp {in}/*.png {out}/")  # external: whole
    suite = tiny_suite(kind="blind", count=0, folder=str(folder), ocr=("tesseract",),
                       candidates=(CandidateConfig(name="unsharp_mask"), copy))  # fmt: skip
    frame = run(BenchConfig(suite=suite, examples=1), tmp_path / "run")
    assert (frame["error"] == "").all() and set(frame["style"]) == {"frame"}
    ours = frame[frame["method"] != "copy"]
    reads = ours["prediction"].map(normalize_plate_text)
    assert (reads == ours["text"].map(normalize_plate_text)).sum() >= 3  # of 4 reads
    by_method = frame.set_index(["sample_id", "method"])["prediction"]
    for sample in ("f0.png", "f1.png"):  # the copied frame is read in its box too
        assert by_method[sample, "copy"] == by_method[sample, "blurred"]
    saved = tmp_path / "run" / "examples" / "f0.png" / "blurred.png"
    from PIL import Image as PILImage

    with PILImage.open(saved) as image:  # examples show the box, not the frame
        assert image.size[0] < 512 and image.size[1] < 384


_KILL_CHILD = """
import sys
import numpy as np
import bench.runner
import bench.worker
from bench.config import BenchConfig, BlurGrid, CandidateConfig, SuiteConfig

class Fake:
    def __init__(self, name):
        self.name = name
    def __call__(self, image):
        return self.read_batch([image])[0]
    def read_batch(self, images):
        return [f"M{int(np.mean(im) * 1000):04d}" for im in images]

bench.worker.get_ocr = lambda name, cfg=None: Fake(name)
suite = SuiteConfig(name="kill", count=int(sys.argv[2]), seed=5, plate_width=96,
                    blur=BlurGrid(lengths=(3, 5)), ocr=("tesseract",),
                    candidates=(CandidateConfig(name="identity"),))
bench.runner.run(BenchConfig(suite=suite, chunk=1, examples=2), sys.argv[1])
"""


def _kill_child(out: Path, count: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _KILL_CHILD, str(out), str(count)])


def _reference(count: int, tmp_path: Path) -> pd.DataFrame:
    """The uninterrupted run, in this process (needs the fake_ocr fixture)."""
    from bench.config import BlurGrid, CandidateConfig, SuiteConfig

    suite = SuiteConfig(name="kill", count=count, seed=5, plate_width=96,
                        blur=BlurGrid(lengths=(3, 5)), ocr=("tesseract",),
                        candidates=(CandidateConfig(name="identity"),))  # fmt: skip
    frame = run(BenchConfig(suite=suite, chunk=1, examples=2), tmp_path / "reference")
    return frame.drop(columns=["ms"])


def _indices(out: Path) -> list[int]:
    lines = (out / "rows.jsonl").read_text().splitlines()
    return [json.loads(line)["index"] for line in lines]


def test_kill_9_at_random_times_then_resume_loses_and_duplicates_nothing(
    fake_ocr: None, tmp_path: Path
) -> None:
    count, seed = 40, random.randrange(2**32)
    draw = random.Random(seed)
    out = tmp_path / "run"
    killed_at: list[int] = []
    for _ in range(3):  # kill -9 at a random moment, three times
        child = _kill_child(out, count)
        rows = out / "rows.jsonl"
        start = rows.read_bytes().count(b"\n") if rows.is_file() else 0
        target = draw.randint(start + 1, max(start + 1, count - 8))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None:
            done = rows.read_bytes().count(b"\n") if rows.is_file() else 0
            if done >= target:  # then a random instant within the next sample
                time.sleep(draw.uniform(0.0, 0.02))
                break
            time.sleep(0.002)
        child.kill()  # SIGKILL: no cleanup runs
        child.wait()
        killed_at.append(rows.read_bytes().count(b"\n") if rows.is_file() else 0)
    assert 0 < killed_at[0] < count, killed_at  # really killed in the middle
    assert (
        subprocess.run(
            [sys.executable, "-c", _KILL_CHILD, str(out), str(count)]
        ).returncode
        == 0
    )
    indices = _indices(out)
    assert sorted(indices) == list(range(count)), f"random seed {seed}"
    expected = _reference(count, tmp_path)
    resumed = load_rows(out).drop(columns=["ms"])
    pd.testing.assert_frame_equal(resumed, expected)
    on_disk = pd.read_csv(out / "per_sample.csv", keep_default_na=False)
    assert len(on_disk) == len(expected)
    assert not list(out.rglob(".*.tmp*")) and not list(out.rglob(".per_sample*"))


def test_two_runs_into_different_folders_at_once_do_not_interfere(
    fake_ocr: None, tmp_path: Path
) -> None:
    count = 4
    children = [_kill_child(tmp_path / name, count) for name in ("one", "two")]
    assert [child.wait(timeout=120) for child in children] == [0, 0]
    expected = _reference(count, tmp_path).reset_index(drop=True)
    for name in ("one", "two"):
        frame = load_rows(tmp_path / name).drop(columns=["ms"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(frame, expected)
        assert sorted(_indices(tmp_path / name)) == list(range(count))


def test_per_sample_csv_crash_mid_write_leaves_no_final_file(
    fake_ocr: None,
    tiny_cfg: BenchConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written: list[Path] = []
    original = Path.write_bytes

    def half_then_crash(self: Path, data: bytes) -> int:
        if not self.name.startswith(".per_sample.csv."):
            return original(self, data)
        written.append(self)
        with open(self, "wb") as fh:
            fh.write(data[: len(data) // 2])
        raise OSError("no space left on device (simulated)")

    monkeypatch.setattr(Path, "write_bytes", half_then_crash)
    with pytest.raises(OSError, match="simulated"):
        run(tiny_cfg, tmp_path)
    monkeypatch.undo()
    assert written
    assert not (tmp_path / "per_sample.csv").exists()
    assert not written[-1].exists()  # the temporary file is removed too
    frame = run(tiny_cfg, tmp_path)  # a rerun finishes from the saved rows
    assert len(pd.read_csv(tmp_path / "per_sample.csv")) == len(frame)


def test_outcome_seed_and_expected_rows(fake_ocr: None, tiny_suite: Callable[..., SuiteConfig],
                                        tmp_path: Path) -> None:  # fmt: skip
    from bench.rundir import expected_rows, load_run_suite

    cands = (
        CandidateConfig(name="identity"),
        CandidateConfig(name="unsharp_mask", every=2),
    )
    suite = tiny_suite(candidates=cands, repeats=2)
    frame = run(BenchConfig(suite=suite), tmp_path)
    assert set(frame["outcome"]) == {"unread"}  # FakeOcr reads "M0123"-like text
    assert sorted(set(frame["seed"])) == [3, 4]
    saved, samples = load_run_suite(tmp_path)
    assert saved == suite and samples == 10
    # 10 samples x (sharp, blurred, identity) + unsharp_mask on 5 of them
    assert expected_rows(saved, samples) == len(frame) == 35


def test_resume_accepts_a_config_saved_before_new_fields(
    fake_ocr: None, tiny_cfg: BenchConfig, tmp_path: Path
) -> None:
    cfg = dataclasses.replace(tiny_cfg, limit=2)
    run(cfg, tmp_path)
    path = tmp_path / "config.json"
    saved = json.loads(path.read_text())
    for key in ("repeats", "seeds"):
        del saved["suite"][key]
    for cand in saved["suite"]["candidates"]:
        del cand["alias"], cand["timeout"]
    path.write_text(json.dumps(saved))
    run(cfg, tmp_path)  # same configuration: resumes instead of refusing
    saved["suite"]["count"] = 9
    path.write_text(json.dumps(saved))
    with pytest.raises(ValueError, match="different suite"):
        run(cfg, tmp_path)
