from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from deblur.config import (
    PLATE_STYLES,
    BlurConfig,
    ModelConfig,
    PlateConfig,
    TileConfig,
    TrainConfig,
    from_dict,
)


@pytest.mark.parametrize(
    ("cls", "options", "match"),
    [
        (PlateConfig, {"style": "mars"}, "style"),
        (PlateConfig, {"width": 4}, "width"),
        (PlateConfig, {"height": 2}, "height"),
        (PlateConfig, {"margin": 2.0}, "margin"),
        (PlateConfig, {"rotation": 90.0}, "rotation"),
        (PlateConfig, {"noise": -0.1}, "noise"),
        (PlateConfig, {"styles": ()}, "styles must be distinct"),
        (PlateConfig, {"styles": ("uk", "mars")}, "styles must be distinct"),
        (PlateConfig, {"styles": ("cn", "cn")}, "styles must be distinct"),
        (PlateConfig, {"scheme": "pink_on_pink"}, "scheme must be 'auto' or one of"),
        (PlateConfig, {"scheme_variety": 1.5}, "scheme_variety must be in"),
        (PlateConfig, {"bolts": -0.1}, "bolts must be in"),
        (PlateConfig, {"dirt": 2.0}, "dirt must be in"),
        (PlateConfig, {"shadow": -1.0}, "shadow must be in"),
        (PlateConfig, {"car": 1.01}, "car must be in"),
        (BlurConfig, {"kind": "zoom"}, "kind"),
        (BlurConfig, {"length": (9.0, 3.0)}, "length"),
        (BlurConfig, {"angle": 1000.0}, "angle"),
        (BlurConfig, {"noise": (0.0, 0.9)}, "noise"),
        (BlurConfig, {"jpeg_quality": (0, 50)}, "jpeg_quality"),
        (BlurConfig, {"weight": 0.0}, "weight"),
        (ModelConfig, {"arch": "vit"}, "arch"),
        (ModelConfig, {"channels": 2}, "channels"),
        (ModelConfig, {"width": 0}, "width"),
        (ModelConfig, {"depth": 9}, "depth"),
        (ModelConfig, {"depth": 2}, "blocks"),
        (TrainConfig, {"steps": 0}, "steps"),
        (TrainConfig, {"batch": 0}, "batch"),
        (TrainConfig, {"patch": (4, 4)}, "patch"),
        (TrainConfig, {"lr": 2.0}, "lr"),
        (TrainConfig, {"loss": "ssim"}, "loss"),
        (TrainConfig, {"edge_weight": -1.0}, "edge_weight"),
        (TrainConfig, {"val_fraction": 1.0}, "val_fraction"),
        (TrainConfig, {"val_every": 0}, "val_every"),
        (TrainConfig, {"patience": -1}, "patience"),
        (TrainConfig, {"plates": 1}, "plates"),
        (TrainConfig, {"plate_preset": "fancy"}, "plate_preset"),
        (TrainConfig, {"max_cpu_s": 0.0}, "max_cpu_s"),
        (TrainConfig, {"photometric": 1.5}, "photometric"),
        (TrainConfig, {"degradations": ()}, "degradations"),
        (TileConfig, {"tile": 8}, "tile"),
        (TileConfig, {"overlap": 200}, "overlap"),
        (TileConfig, {"batch": 0}, "batch"),
        (TileConfig, {"max_pixels": -1}, "max_pixels"),
        (TileConfig, {"pass_through": (14.0, 10.0)}, "pass_through"),
        (TileConfig, {"pass_through": (-1.0, 10.0)}, "pass_through"),
    ],
)
def test_config_validation_names_the_field(
    cls: type, options: dict, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        cls(**options)


def test_model_config_multiple() -> None:
    assert ModelConfig(arch="unet", depth=3).multiple == 8
    assert ModelConfig(arch="plain15").multiple == 1


def test_from_dict_roundtrip_and_unknown_keys() -> None:
    cfg = TrainConfig(steps=10, degradations=(BlurConfig(kind="defocus"),))
    data = dataclasses.asdict(cfg)
    assert from_dict(TrainConfig, data) == cfg
    with pytest.raises(ValueError, match="unknown TrainConfig keys"):
        from_dict(TrainConfig, {"steps": 3, "epochs": 2})


CONFIG_FILES = sorted(
    (Path(__file__).parents[2] / "benchmarks" / "configs").glob("*.json")
)


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.name)
def test_from_dict_loads_every_shipped_training_config(path: Path) -> None:
    data = json.loads(path.read_text())
    model = data.pop("model", None)  # ModelConfig fields, as `deblur train --config`
    if model is not None:
        assert isinstance(from_dict(ModelConfig, model), ModelConfig)
    cfg = from_dict(TrainConfig, data)
    assert all(isinstance(d, BlurConfig) for d in cfg.degradations)
    assert isinstance(cfg.patch, tuple) and len(cfg.patch) == 2


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"steps": "10"}, r"TrainConfig.steps must be int, got '10'"),
        ({"steps": True}, r"TrainConfig.steps must be int, got True"),
        ({"patch": [48, "x"]}, r"TrainConfig.patch must be a list of int"),
        ({"max_cpu_s": "1"}, r"TrainConfig.max_cpu_s must be float or absent"),
        ({"degradations": [{"kind": 3}]}, r"BlurConfig.kind must be str, got 3"),
        ({"degradations": [{"spin": 1}]}, r"unknown BlurConfig keys \['spin'\]"),
    ],
)
def test_from_dict_checks_types_naming_class_and_field(
    data: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        from_dict(TrainConfig, data)


def test_from_dict_refuses_a_non_mapping_and_missing_required_keys() -> None:
    from bench.config import CandidateConfig

    with pytest.raises(ValueError, match="TrainConfig must be a mapping, got 3"):
        from_dict(TrainConfig, 3)
    with pytest.raises(ValueError, match=r"missing the required keys \['name'\]"):
        from_dict(CandidateConfig, {"every": 2})


def test_plate_config_classic_preset_is_the_default() -> None:
    assert PlateConfig.preset("classic") == PlateConfig()
    assert PlateConfig().styles == ("uk", "eu", "us")
    knobs = ("scheme_variety", "bolts", "dirt", "shadow", "car")
    assert all(getattr(PlateConfig(), k) == 0.0 for k in knobs)


def test_plate_config_variety_preset_turns_every_look_on() -> None:
    cfg = PlateConfig.preset("variety")
    assert cfg.styles == PLATE_STYLES == ("uk", "eu", "us", "cn", "br", "br_old")
    knobs = ("scheme_variety", "bolts", "dirt", "shadow", "car")
    assert all(0.0 < getattr(cfg, k) < 1.0 for k in knobs)


def test_plate_config_rejects_unknown_preset() -> None:
    with pytest.raises(ValueError, match="preset must be one of"):
        PlateConfig.preset("fancy")


def test_plate_config_styles_from_a_file_become_a_tuple() -> None:
    cfg = from_dict(PlateConfig, {"styles": ["cn", "br"], "scheme": "white_on_black"})
    assert cfg.styles == ("cn", "br")
    assert from_dict(PlateConfig, dataclasses.asdict(cfg)) == cfg
