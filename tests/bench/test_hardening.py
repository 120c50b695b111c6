"""Bad inputs and faults for `bench run`: bad suite files and data, kill -9, atomicity.

The subprocess tests use a fake OCR engine installed by the child script itself, so
they test the runner's bookkeeping (rows lost or duplicated), not OCR accuracy.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image as PILImage
from typer.testing import CliRunner

from bench.cli import app
from bench.config import BenchConfig, load_suite
from bench.runner import load_rows, run
from deblur.io import atomic_write_bytes

cli = CliRunner()

BASE = 'name = "x"\ncount = 2\nocr = ["tesseract"]\n'


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ("bogus = 1", r"unknown SuiteConfig keys \['bogus'\]"),
        ("seed = 1.5", "SuiteConfig.seed must be int, got 1.5"),
        ("seed = -1", "seed must be >= 0, got -1"),
        ('plate_width = "96"', "SuiteConfig.plate_width must be int, got '96'"),
        ('styles = "uk"', "SuiteConfig.styles must be a list of str"),
        ("o_equals_zero = 1", "o_equals_zero must be bool, got 1"),
        ("folder = 7", "SuiteConfig.folder must be str or absent, got 7"),
        ("blur = 3", "blur must be a table, got 3"),
        ('candidates = "identity"', "candidates must be a list"),
        ("candidates = []", "candidates must not be empty"),
        ("candidates = [3]", "candidate must be a string or a table, got 3"),
        ('candidates = [{name = "identity", evry = 2}]', r"CandidateConfig keys"),
        ('[blur]\nlengths = ["a"]', "BlurGrid.lengths must be a list of float"),
        ("[blur]\nlengths = [0]", r"blur lengths must be in \[1, 512\]"),
        ('[blur]\nangle = "sideways"', "BlurGrid.angle must be float or absent"),
        ("[blur]\nnoise = nan", "blur noise must be in"),
        ("[ocr_settings]\nheight = true", "OcrConfig.height must be int, got True"),
        ("= broken", "invalid TOML"),
    ],
)
def test_load_suite_bad_values_name_file_and_field(
    tmp_path: Path, extra: str, match: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BASE + extra + "\n")
    with pytest.raises(ValueError, match=f"bad.toml: .*{match}"):
        load_suite(path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"\xff\xfename = 1", "not valid UTF-8"),
        (b"", "SuiteConfig is missing the required keys"),
    ],
)
def test_load_suite_bad_file(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"bad.toml: {match}"):
        load_suite(path)


def test_cli_bad_suite_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BASE + "seed = 1.5\n")
    result = cli.invoke(app, ["run", "--suite", str(path), "--out", str(tmp_path)])
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
    result = cli.invoke(app, [*args, "--out", str(out), "--examples", "0"])
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
    result = cli.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2
    assert "labels.csv row 3" in result.output and match in result.output
    assert not (out / "rows.jsonl").exists()


def test_labels_not_utf8_is_one_line(fake_ocr: None, tmp_path: Path) -> None:
    folder = _real_folder(tmp_path / "data", "")
    (folder / "labels.csv").write_bytes("file,text\na.png,ÄB\n".encode("latin-1"))
    (tmp_path / "s.toml").write_text(REAL)
    args = ["run", "--suite", str(tmp_path / "s.toml"), "--data", str(folder)]
    result = cli.invoke(app, [*args, "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "labels.csv: not valid UTF-8" in result.output


# --- faults -----------------------------------------------------------------------

_CHILD = """
import sys
import numpy as np
import bench.runner
from bench.config import BenchConfig, BlurGrid, CandidateConfig, SuiteConfig

class Fake:
    def __init__(self, name):
        self.name = name
    def __call__(self, image):
        return self.read_batch([image])[0]
    def read_batch(self, images):
        return [f"M{int(np.mean(im) * 1000):04d}" for im in images]

bench.runner.get_ocr = lambda name, cfg=None: Fake(name)
suite = SuiteConfig(name="kill", count=int(sys.argv[2]), seed=5, plate_width=96,
                    blur=BlurGrid(lengths=(3, 5)), ocr=("tesseract",),
                    candidates=(CandidateConfig(name="identity"),))
bench.runner.run(BenchConfig(suite=suite, chunk=1, examples=2), sys.argv[1])
"""


def _child(out: Path, count: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(out), str(count)])


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
        child = _child(out, count)
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
        subprocess.run([sys.executable, "-c", _CHILD, str(out), str(count)]).returncode
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
    children = [_child(tmp_path / name, count) for name in ("one", "two")]
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


def test_atomic_write_bytes_crash_keeps_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "summary.csv"
    path.write_bytes(b"old\n")

    def crash(self: Path, data: bytes) -> int:
        self.open("wb").write(data[:3])
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_bytes", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(path, b"new content\n")
    monkeypatch.undo()
    assert path.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]
