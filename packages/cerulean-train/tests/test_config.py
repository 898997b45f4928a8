"""Run configs: file formats, overrides, one-line errors naming file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cerulean_tiling.settings import read_settings_file
from cerulean_train.config import RunConfig
from cerulean_train.configs import config_class, read_run_config
from cerulean_train.errors import ConfigError
from cerulean_train.maskrcnn.config import MaskRCNNConfig
from cerulean_train.unet.config import Stage, UNetConfig


def test_yaml_toml_json_give_the_same_config(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "backbone: resnet18\nchannels: [vv, constant]\nlr: 0.002\n"
        "stages:\n  - [128, 2, frozen]\n  - {size: 256, epochs: 1}\n")
    (tmp_path / "a.toml").write_text(
        'backbone = "resnet18"\nchannels = ["vv", "constant"]\nlr = 0.002\n'
        'stages = [[128, 2, "frozen"], {size = 256, epochs = 1}]\n')
    (tmp_path / "a.json").write_text(
        '{"backbone": "resnet18", "channels": ["vv", "constant"], "lr": 0.002,'
        ' "stages": [[128, 2, "frozen"], {"size": 256, "epochs": 1}]}')
    configs = [UNetConfig.load(tmp_path / f"a.{ext}") for ext in ("yaml", "toml", "json")]
    assert configs[0] == configs[1] == configs[2]
    assert configs[0].stages == (Stage(size=128, epochs=2, mode="frozen"),
                                 Stage(size=256, epochs=1, mode="unfrozen"))
    assert configs[0].channels == ("vv", "constant")
    assert configs[0].schedule == configs[0].stages


def test_flags_override_the_file(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("epochs: 3\nbatch_size: 4\n")
    config = UNetConfig.load(path, {"epochs": 7, "seed": None, "channels": "vv,infra_distance"})
    assert (config.epochs, config.batch_size, config.seed) == (7, 4, 0)
    assert config.channels == ("vv", "infra_distance")
    assert config.schedule == (Stage(size=config.size, epochs=7, mode="unfrozen"),)


@pytest.mark.parametrize(("text", "message"), [
    ("epoch: 3\n", "run.yaml: unknown key 'epoch' (did you mean 'epochs'?)"),
    ("lr: fast\n", "run.yaml: key 'lr': expected a number, got 'fast'"),
    ("batch_size: 0\n", "run.yaml: key 'batch_size': 0 is out of range (must be >= 1)"),
    ("augment: 1\n", "run.yaml: key 'augment': expected true or false, got 1"),
    ("device: gpu\n", "run.yaml: key 'device': 'gpu' is not one of auto, cpu, cuda"),
    ("channels: [vv, radar]\n", "run.yaml: key 'channels': unknown channel 'radar'"),
    ("classes_preset: cloud5\n", "run.yaml: key 'classes_preset': unknown preset 'cloud5'"),
    ("stages: [[8, 1]]\n", "run.yaml: key 'stages[0].size': 8 is out of range (must be >= 16)"),
    ("stages: [[128, 1, thawed]]\n", "'thawed' is not one of frozen, unfrozen"),
    ("monitor: loss\n", "run.yaml: key 'monitor': 'loss' is not dice_multi"),
    ("arch: maskrcnn\n", "run.yaml: key 'arch': 'maskrcnn' is not 'unet'"),
    ("- 1\n- 2\n", "run.yaml: expected a mapping of keys to values"),
    ("a: [\n", "run.yaml: not valid YAML"),
])
def test_bad_values_are_one_line_naming_file_and_key(tmp_path: Path, text: str,
                                                     message: str) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        UNetConfig.load(path)
    assert message in str(info.value)
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_bad_override_names_the_command_line() -> None:
    with pytest.raises(ConfigError, match=r"^command line: key 'epochs': 0 is out of range"):
        UNetConfig.load(None, {"epochs": 0})


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such settings file"):
        read_settings_file(tmp_path / "nope.yaml", ConfigError)
    with pytest.raises(ConfigError, match="nope.yaml: no such settings file"):
        UNetConfig.load(tmp_path / "nope.yaml")
    (tmp_path / "run.ini").write_text("x=1")
    with pytest.raises(ConfigError, match="unknown settings format '.ini'"):
        UNetConfig.load(tmp_path / "run.ini")


def test_none_preset_and_constant_values() -> None:
    config = UNetConfig(classes_preset="none", channels=("vv", "constant=0", "constant"))
    assert config.classes_preset is None
    with pytest.raises(ConfigError, match="constant=300"):
        UNetConfig(channels=("constant=300",))


def test_written_config_reads_back_as_the_same_object(tmp_path: Path) -> None:
    config = UNetConfig(train="a", val="b", stages=(Stage(size=64, epochs=2, mode="frozen"),),
                        seed=5)
    path = config.write(tmp_path)
    assert path.name == "config.json"
    assert json.loads(path.read_text()) == config.to_dict()
    assert path.read_text() == json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n"
    again = read_run_config(tmp_path)
    assert again == config
    assert config.differences(again) == []
    assert config.differences(config.override({"seed": 6})) == ["seed"]


def test_config_classes_by_arch() -> None:
    assert config_class("unet") is UNetConfig
    assert issubclass(config_class("unet"), RunConfig)
    with pytest.raises(ConfigError, match="unknown arch 'svm'"):
        config_class("svm")


@pytest.mark.parametrize("name", ["unet-demo.yaml", "unet-production.yaml"])
def test_shipped_configs_load(name: str) -> None:
    config = UNetConfig.load(Path(__file__).parents[1] / "configs" / name)
    assert config.schedule and config.classes_preset == "cloud4"


def test_shipped_maskrcnn_config_loads() -> None:
    config = MaskRCNNConfig.load(Path(__file__).parents[1] / "configs" / "maskrcnn-demo.yaml")
    assert config.backbone == "tiny" and config.monitor == "segm_ap"
    assert config.channels == ("vv", "infra_distance", "vessel_density")


def test_an_earlier_run_folder_with_config_yaml_still_reads(tmp_path: Path) -> None:
    """Run folders from before config.json hold config.yaml (Mask R-CNN's with 'metric')."""
    (tmp_path / "config.yaml").write_text(
        "arch: maskrcnn\nbackbone: tiny\nmetric: segm_ap\nsize: 64\nchannels: [vv, constant, "
        "constant]\nrpn_pre_nms_top_n: [200, 100]\n")
    config = read_run_config(tmp_path)
    assert isinstance(config, MaskRCNNConfig)
    assert (config.monitor, config.size, config.rpn_pre_nms_top_n) == ("segm_ap", 64, (200, 100))
    config.write(tmp_path)
    assert read_run_config(tmp_path) == config  # config.json, now beside it, comes first


def test_a_config_file_naming_metric_is_told_of_monitor(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('backbone = "tiny"\nmonitr = "segm_ap"\n')
    with pytest.raises(ConfigError, match=r"run.toml: unknown key 'monitr' \(did you mean "
                                          r"'monitor'\?\)"):
        MaskRCNNConfig.load(path)


def test_maskrcnn_metric_flag_is_monitor() -> None:
    from cerulean_train.cli.maskrcnn import maskrcnn

    for flag in ("--monitor", "--metric"):
        context = maskrcnn.make_context("maskrcnn", [flag, "segm_ap", "-o", "run"])
        assert context.params["monitor"] == "segm_ap"
