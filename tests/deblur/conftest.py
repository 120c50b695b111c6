"""Fixtures shared by the deblur tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def labelled_folder(tmp_path: Path) -> Path:
    """Three readable plates, one corrupt one, and a labels.csv naming all four."""
    from deblur.io import write_image

    folder = tmp_path / "labelled"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for name in ("a.png", "b.png", "c.png"):
        write_image(folder / name, rng.random((24, 64, 3)).astype(np.float32))
    (folder / "bad.png").write_bytes(b"not a png")
    rows = ["file,text", "a.png,AB12 CDE", "bad.png,XX1", "b.png,7KL-42", "c.png,Q9"]
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    return folder
