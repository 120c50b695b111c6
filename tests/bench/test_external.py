"""cmd: and dir: candidates: real shell commands on tiny suites, failures, resume."""

from __future__ import annotations

import dataclasses
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image as PILImage

from bench.config import BenchConfig, CandidateConfig, SuiteConfig
from bench.external import export_inputs, restore_external, safe_name, sample_stem
from bench.runner import iter_results, run
from bench.samples import build_sample

# Sharpens every PNG of {in} into {out} with PIL and logs one line per run.
SHARPEN = """
import pathlib, sys
from PIL import Image, ImageFilter
src, dst, log = map(pathlib.Path, sys.argv[1:4])
with open(log, "a") as fh:
    fh.write("run\\n")
for path in sorted(src.glob("*.png")):
    Image.open(path).filter(ImageFilter.UnsharpMask(2, 150, 3)).save(dst / path.name)
"""


def _script(tmp_path: Path, body: str, name: str = "restore.py") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def _cmd(script: Path, *args: str) -> str:
    parts = [shlex.quote(sys.executable), shlex.quote(str(script)), "{in}", "{out}"]
    return "cmd:" + " ".join([*parts, *(shlex.quote(a) for a in args)])


def test_cmd_candidate_runs_once_per_batch(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig], tmp_path: Path
) -> None:
    log = tmp_path / "log.txt"
    cand = CandidateConfig.parse(_cmd(_script(tmp_path, SHARPEN), str(log)))
    assert cand.label == "restore"
    suite = tiny_suite(candidates=(CandidateConfig(name="identity"), cand))
    frame = run(BenchConfig(suite=suite, chunk=2), tmp_path / "run")
    rows = frame[frame["method"] == "restore"]
    assert len(rows) == 5 and (rows["error"] == "").all()
    assert (rows["ms"] > 0).all() and np.isfinite(rows["psnr"]).all()
    assert log.read_text().count("run") == 3  # 5 samples in chunks of 2
    identity = frame[frame["method"] == "identity"]
    assert not np.allclose(rows["psnr"].to_numpy(), identity["psnr"].to_numpy())


def test_cmd_copy_reads_like_identity_with_real_tesseract(
    tesseract_binary: str, tiny_suite: Callable[..., SuiteConfig], tmp_path: Path
) -> None:
    copy = "cmd:cp {in}/*.png {out}/"
    cands = (CandidateConfig(name="identity"), CandidateConfig.parse("copy=" + copy))
    suite = tiny_suite(count=3, plate_width=160, candidates=cands, o_equals_zero=True)
    frame = run(BenchConfig(suite=suite, examples=0), tmp_path)
    assert (frame["error"] == "").all()
    by = {m: frame[frame["method"] == m].reset_index() for m in ("identity", "copy")}
    assert list(by["copy"]["prediction"]) == list(by["identity"]["prediction"])
    assert list(by["copy"]["outcome"]) == list(by["identity"]["outcome"])


FAIL = "import sys; print('loading weights', file=sys.stderr); "
FAIL += "print('RuntimeError: CUDA not available', file=sys.stderr); sys.exit(3)"


@pytest.mark.parametrize(
    ("template", "timeout", "match"),
    [
        (f"{sys.executable} -c {shlex.quote(FAIL)} {{in}} {{out}}", 600.0,
         "command exited with status 3: RuntimeError: CUDA not available"),
        ("no-such-restorer-xyz {in} {out}", 600.0,
         "command exited with status 127: .*not found"),
        ("echo {in} {out}; sleep 20", 0.5, "command timed out after 0.5 s"),
    ],
)  # fmt: skip
def test_failing_command_fails_its_rows_only(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig], tmp_path: Path,
    template: str, timeout: float, match: str,
) -> None:  # fmt: skip
    bad = CandidateConfig(name="cmd:" + template, alias="bad", timeout=timeout)
    suite = tiny_suite(count=2, candidates=(CandidateConfig(name="identity"), bad))
    frame = run(BenchConfig(suite=suite), tmp_path)
    failed = frame[frame["method"] == "bad"]
    assert len(failed) == 2 and failed["error"].str.match(match).all(), failed["error"]
    assert failed["exact"].isna().all() and (failed["outcome"] == "").all()
    assert (frame[frame["method"] != "bad"]["error"] == "").all()


def test_missing_and_wrong_size_outputs_fail_their_own_rows(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig], tmp_path: Path
) -> None:
    body = """
import pathlib, sys
from PIL import Image
src, dst = map(pathlib.Path, sys.argv[1:3])
files = sorted(src.glob("*.png"))
Image.open(files[0]).convert("L").save(dst / files[0].name)  # grey for RGB: fine
Image.open(files[1]).resize((10, 10)).save(dst / (files[1].stem + ".jpg"))
print("skipped the rest", file=sys.stderr)
"""
    cand = CandidateConfig.parse(_cmd(_script(tmp_path, body, "partial.py")))
    suite = tiny_suite(count=3, candidates=(cand,))
    frame = run(BenchConfig(suite=suite), tmp_path / "run")
    rows = frame[frame["method"] == "partial"].set_index("sample_id")
    assert rows.loc["tiny-00000", "error"] == ""
    assert "output size 10x10 differs from input" in rows.loc["tiny-00001", "error"]
    missing = rows.loc["tiny-00002", "error"]
    assert "no output named tiny-00002.*" in missing
    assert missing.endswith("command stderr: skipped the rest")


def test_cmd_resume_equals_uninterrupted(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig], tmp_path: Path
) -> None:
    cand = CandidateConfig.parse(_cmd(_script(tmp_path, SHARPEN), str(tmp_path / "l")))
    cfg = BenchConfig(suite=tiny_suite(candidates=(cand,)), chunk=1)
    full = run(cfg, tmp_path / "full")
    seen = set()
    for row in iter_results(cfg, tmp_path / "stopped"):
        seen.add(row.sample_id)
        if len(seen) == 2:
            break
    resumed = run(cfg, tmp_path / "stopped")
    pd.testing.assert_frame_equal(
        resumed.drop(columns="ms"), full.drop(columns="ms"), check_exact=False
    )


def test_dir_candidate_matches_exported_names(
    fake_ocr: None, tiny_suite: Callable[..., SuiteConfig], tmp_path: Path
) -> None:
    suite = tiny_suite(count=3)
    assert export_inputs(suite, tmp_path / "inputs") == 3
    labels = pd.read_csv(tmp_path / "inputs" / "labels.csv")
    assert list(labels["file"]) == [
        "tiny-00000.png",
        "tiny-00001.png",
        "tiny-00002.png",
    ]
    assert list(labels["text"]) == [build_sample(suite, i).text for i in range(3)]
    restored = tmp_path / "mine"
    restored.mkdir()
    for name in labels["file"][:2]:  # the third is missing
        image = PILImage.open(tmp_path / "inputs" / name)
        image.save(restored / name.replace(".png", ".jpg"), quality=95)
    cand = CandidateConfig.parse(f"dir:{restored}")
    assert cand.label == "mine"
    frame = run(BenchConfig(suite=dataclasses.replace(suite, candidates=(cand,))),
                tmp_path / "run")  # fmt: skip
    rows = frame[frame["method"] == "mine"].set_index("sample_id")
    assert list(rows["error"][:2]) == ["", ""]
    assert np.isnan(rows["ms"]).all()  # not timed
    assert "no output named tiny-00002.*" in rows.loc["tiny-00002", "error"]
    blurred = frame[frame["method"] == "blurred"].set_index("sample_id")
    assert (rows["psnr"][:2] - blurred["psnr"][:2]).abs().max() < 1.0  # JPEG ~ input


def test_dir_candidate_missing_folder_fails_early(
    tiny_suite: Callable[..., SuiteConfig], tmp_path: Path
) -> None:
    cand = CandidateConfig.parse(f"dir:{tmp_path / 'nope'}")
    with pytest.raises(FileNotFoundError, match="folder not found"):
        run(BenchConfig(suite=tiny_suite(candidates=(cand,))), tmp_path / "run")


def test_restore_external_rejects_registry_candidate(
    tiny_suite: Callable[..., SuiteConfig],
) -> None:
    sample = build_sample(tiny_suite(), 0)
    with pytest.raises(ValueError, match="cmd: or dir:"):
        restore_external(CandidateConfig(name="identity"), [sample])
    assert restore_external(CandidateConfig(name="cmd:true {in} {out}"), []) == {}


@pytest.mark.parametrize(
    ("entry", "label"),
    [
        ("cmd:python my_restorer.py {in} {out}", "my_restorer"),
        ("cmd:python -u tools/nafnet.py --fast {in} {out}", "nafnet"),
        ("cmd:mogrify -path {out} -sharpen 0x2 {in}/*.png", "mogrify"),
        ("mine=cmd:python a.py {in} {out} --x=1,2", "mine"),
        ("dir:/data/restored/", "restored"),
        ("runs/x/model.keras", "model"),
        ("wiener", "wiener"),
    ],
)
def test_candidate_labels(entry: str, label: str) -> None:
    assert CandidateConfig.parse(entry).label == label


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "cmd:python x.py {in}"}, r"missing \{out\}"),
        ({"name": "cmd:python x.py"}, r"missing \{in\}, \{out\}"),
        ({"name": "dir: "}, "dir: needs a folder"),
        ({"name": "cmd:x {in} {out}", "timeout": 0}, "timeout must be > 0"),
        ({"name": "wiener", "alias": "a,b"}, "alias must not contain"),
    ],
)
def test_candidate_validation(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        CandidateConfig(**kwargs)  # type: ignore[arg-type]


def test_sample_stem() -> None:
    assert sample_stem("default-00042") == "default-00042"
    assert sample_stem("AB 12.JPG") == "AB_12"
    assert sample_stem("s7-a.png") == "s7-a"


def test_safe_name_keeps_one_path_component() -> None:
    assert safe_name("default-00042") == "default-00042"
    assert safe_name("sub/dir/../AB 12.png") == "sub_dir_.._AB_12.png"
    assert safe_name("..") == "_"
