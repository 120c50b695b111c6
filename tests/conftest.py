"""Shared fixtures and the --run-slow / gpu markers."""

from __future__ import annotations

import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run tests marked slow")


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    run_slow = config.getoption("--run-slow")
    has_gpu = _has_gpu() if any("gpu" in item.keywords for item in items) else False
    for item in items:
        if "slow" in item.keywords and not run_slow:
            item.add_marker(pytest.mark.skip(reason="slow: enable with --run-slow"))
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(pytest.mark.skip(reason="gpu: no accelerator found"))


def _has_gpu() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def tiny_plate() -> np.ndarray:
    """A 32x96 grayscale float32 'plate': dark bars on a light background."""
    image = np.full((32, 96), 0.9, dtype=np.float32)
    for x in range(8, 88, 12):
        image[8:24, x : x + 5] = 0.1
    return image


@pytest.fixture
def tiny_plate_rgb(tiny_plate: np.ndarray) -> np.ndarray:
    rgb = np.stack([tiny_plate, tiny_plate * 0.9, tiny_plate * 0.5], axis=2)
    return rgb.astype(np.float32)


@pytest.fixture(scope="session")
def tesseract_binary() -> str:
    """Path of the real tesseract binary; FAILS (never skips) when it is missing."""
    path = shutil.which("tesseract")
    if path is None:
        pytest.fail(
            "tesseract is not installed: run `make setup` "
            "(or `sudo apt-get install tesseract-ocr`)"
        )
    return path
