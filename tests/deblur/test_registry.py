from __future__ import annotations

import numpy as np
import pytest

import deblur
from deblur import registry


def test_registry_lists_baselines() -> None:
    names = deblur.available_deblurrers()
    assert {"identity", "wiener", "richardson_lucy", "unsharp_mask"} <= set(names)
    assert names == sorted(names)
    assert deblur.deblurrer_info("wiener").needs_psf


def test_get_deblurrer_unknown_name_lists_available() -> None:
    with pytest.raises(KeyError, match="identity"):
        deblur.get_deblurrer("no-such-method")


def test_get_deblurrer_unknown_option_fails() -> None:
    with pytest.raises(TypeError):
        deblur.get_deblurrer("identity", strength=3)


def test_register_twice_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @registry.register_deblurrer("test-once")
    def _make() -> deblur.Deblurrer:
        return deblur.get_deblurrer("identity")

    assert registry.get_deblurrer("test-once")(np.zeros((2, 2), np.float32)).shape == (
        2,
        2,
    )
    with pytest.raises(ValueError, match="already registered"):
        registry.register_deblurrer("test-once")(_make)


def test_model_methods_are_threaded_and_take_threads() -> None:
    import inspect

    for name in deblur.available_deblurrers():
        info = deblur.deblurrer_info(name)
        takes = "threads" in inspect.signature(info.factory).parameters
        assert info.threaded == takes, name
    assert {"default", "plain15", "model"} <= {
        n for n in deblur.available_deblurrers() if deblur.deblurrer_info(n).threaded
    }
