"""The settings layer: every format, one-line errors naming file and key path, the saved
form and its round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal, Self

import pytest
from pydantic import Field, model_validator

from cerulean_tiling import ChannelSpec, TilingConfig
from cerulean_tiling.errors import ConfigError
from cerulean_tiling.settings import (
    Items,
    Settings,
    flag_message,
    key_error,
    load_settings,
    read_settings_file,
    save_settings,
)


class Step(Settings):
    """A nested record, as a training stage is."""

    size: Annotated[int, Field(ge=16)]
    mode: Literal["frozen", "unfrozen"] = "unfrozen"


class Recipe(Settings):
    """A model with each kind of field the packages use."""

    epochs: Annotated[int, Field(ge=1)] = 10
    lr: Annotated[float, Field(gt=0, le=10)] = 1e-3
    augment: bool = False
    name: str | None = None
    steps: Items[Step] = ()
    sizes: Items[int] = (1, 2)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.name == "reserved":
            raise key_error("name", "'reserved' is taken")
        return self


FILES = {
    "yaml": "epochs: 3\nlr: 0.5\nsteps:\n  - {size: 32, mode: frozen}\nsizes: [4, 5]\n",
    "yml": "epochs: 3\nlr: 0.5\nsteps:\n  - {size: 32, mode: frozen}\nsizes: [4, 5]\n",
    "toml": 'epochs = 3\nlr = 0.5\nsteps = [{size = 32, mode = "frozen"}]\nsizes = [4, 5]\n',
    "json": '{"epochs": 3, "lr": 0.5, "steps": [{"size": 32, "mode": "frozen"}], '
            '"sizes": [4, 5]}',
}


@pytest.mark.parametrize("suffix", sorted(FILES))
def test_each_format_loads_the_same_settings(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"recipe.{suffix}"
    path.write_text(FILES[suffix])
    recipe = load_settings(Recipe, path)
    assert recipe == Recipe(epochs=3, lr=0.5, steps=(Step(size=32, mode="frozen"),),
                            sizes=(4, 5))
    assert isinstance(recipe.sizes, tuple) and isinstance(recipe.lr, float)


@pytest.mark.parametrize(("text", "message"), [
    ("epoch: 3\n", "r.yaml: unknown key 'epoch' (did you mean 'epochs'?)"),
    ("lr: fast\n", "r.yaml: key 'lr': expected a number, got 'fast'"),
    ("epochs: 2.5\n", "r.yaml: key 'epochs': expected an integer, got 2.5"),
    ("epochs: true\n", "r.yaml: key 'epochs': expected an integer, got True"),
    ("augment: 1\n", "r.yaml: key 'augment': expected true or false, got 1"),
    ("sizes: 4\n", "r.yaml: key 'sizes': expected a list, got 4"),
    ("epochs: 0\n", "r.yaml: key 'epochs': 0 is out of range (must be >= 1)"),
    ("lr: 0\n", "r.yaml: key 'lr': 0 is out of range (must be > 0)"),
    ("lr: 11\n", "r.yaml: key 'lr': 11 is out of range (must be <= 10)"),
    ("steps: [{size: 8}]\n",
     "r.yaml: key 'steps[0].size': 8 is out of range (must be >= 16)"),
    ("steps: [{size: 32, mdoe: frozen}]\n",
     "r.yaml: unknown key 'steps[0].mdoe' (did you mean 'mode'?)"),
    ("steps: [{size: 32, mode: thawed}]\n",
     "r.yaml: key 'steps[0].mode': 'thawed' is not one of frozen, unfrozen"),
    ("steps: [{mode: frozen}]\n", "r.yaml: key 'steps[0].size': missing"),
    ("name: reserved\n", "r.yaml: key 'name': 'reserved' is taken"),
    ("- 1\n", "r.yaml: expected a mapping of keys to values, got list"),
    ("a: [\n", "r.yaml: not valid YAML"),
])
def test_a_bad_file_is_one_line_naming_file_and_key_path(tmp_path: Path, text: str,
                                                         message: str) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(Recipe, path)
    assert str(info.value).startswith(f"{tmp_path}/{message}")
    assert "\n" not in str(info.value)


def test_unreadable_missing_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such settings file"):
        read_settings_file(tmp_path / "nope.toml")
    (tmp_path / "r.ini").write_text("x=1")
    with pytest.raises(ConfigError, match=r"unknown settings format '\.ini'"):
        read_settings_file(tmp_path / "r.ini")
    (tmp_path / "r.json").write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="r.json: cannot read settings"):
        read_settings_file(tmp_path / "r.json")
    (tmp_path / "empty.yaml").write_text("")
    assert load_settings(Recipe, tmp_path / "empty.yaml") == Recipe()


def test_overrides_win_over_the_file_and_are_blamed_on_the_command_line(
        tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text("epochs = 3\nlr = 0.5\n")
    recipe = load_settings(Recipe, path, {"epochs": 7, "lr": None})
    assert (recipe.epochs, recipe.lr) == (7, 0.5)
    with pytest.raises(ConfigError) as info:
        load_settings(Recipe, path, {"epochs": 0})
    assert str(info.value) == "command line: key 'epochs': 0 is out of range (must be >= 1)"
    assert flag_message(str(info.value)) == "--epochs: 0 is out of range (must be >= 1)"


def test_building_with_bad_values_raises_the_package_error() -> None:
    with pytest.raises(ConfigError, match=r"^config: key 'steps\[1\]\.size': 8 is out"):
        Recipe(steps=(Step(size=32), {"size": 8}))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="^config: key 'size': 8 is out of range"):
        Step(size=8)
    recipe = Recipe()
    with pytest.raises(Exception, match="frozen"):
        recipe.epochs = 3


def test_saved_settings_load_back_equal(tmp_path: Path) -> None:
    recipe = Recipe(epochs=4, name="x", steps=(Step(size=64, mode="frozen"),))
    path = tmp_path / "saved.json"
    save_settings(path, recipe.to_dict())
    text = path.read_text()
    assert text == json.dumps(recipe.to_dict(), indent=2, sort_keys=True) + "\n"
    assert load_settings(Recipe, path) == recipe
    assert recipe.differences(load_settings(Recipe, path)) == []
    assert recipe.differences(recipe.override({"epochs": 5})) == ["epochs"]


def test_tiling_settings_round_trip_and_sit_under_a_tiling_table(tmp_path: Path) -> None:
    config = TilingConfig(grid="pixel", tile_size=256, overlap=32,
                          aux=(ChannelSpec("constant", "0"),), class_rasters=True)
    assert config.to_dict()["aux"] == ["constant=0"]
    path = tmp_path / "tiling.json"
    save_settings(path, {"cerulean_tiling": "x", "tiling": config.to_dict()})
    assert TilingConfig.load(path) == config
    (tmp_path / "t.yaml").write_text("grid: pixel\ntile_size: 256\noverlap: 32\n"
                                     "aux: [constant=0]\nclass_rasters: true\n")
    assert TilingConfig.load(tmp_path / "t.yaml") == config


@pytest.mark.parametrize(("data", "message"), [
    ({"zoom": 15}, "key 'zoom': 15 is out of range (must be <= 14)"),
    ({"overlap": 8}, "key 'overlap': applies to the pixel grid only"),
    ({"grid": "pixel", "tile_size": 64, "overlap": 40},
     "key 'overlap': 40 is out of range (must be <= 32, half the tile size)"),
    ({"aux": ["constant", "constant=3"]}, "key 'aux': channels repeat a name"),
    ({"aux": ["wind=a.tif"]}, "key 'aux': unknown aux channel 'wind'"),
    ({"aux": ["constant=300"]}, "key 'aux': channel 'constant=300': constant value 300"),
    ({"gcps_from": 3}, "key 'gcps_from': expected a string, got 3"),
])
def test_tiling_checks(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        TilingConfig.from_dict(data, "t.json")
    assert str(info.value).startswith(f"t.json: {message}")
