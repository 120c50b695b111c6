from __future__ import annotations

import dataclasses

import pytest

from deblur.config import (
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
