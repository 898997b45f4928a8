"""One settings layer for every package: typed models, one loader, one saved form.

Settings (tiling, training runs, evaluation, many-scene inference) are pydantic models
derived from :class:`Settings`: unknown keys are refused (``extra="forbid"``), values
are not coerced across types (``strict``: ``1`` is not ``true``, ``"9"`` is not ``9``;
an integer is a number, a list is a tuple), ranges are field constraints, and a model
is frozen once made. Settings load from TOML, YAML (``.yaml``/``.yml``) or JSON by
suffix (:func:`load_settings`), flags override them (:meth:`Settings.override`), and
every failure is one line naming the file (or ``command line``), the key path and the
problem::

    train.yaml: unknown key 'epoch' (did you mean 'epochs'?)
    train.yaml: key 'lr': expected a number, got 'fast'
    train.yaml: key 'stages[0].size': 8 is out of range (must be >= 16)

Settings are saved in one form beside the outputs they made: JSON with sorted keys and
an indent of 2, through :func:`cerulean_tiling.atomic.write_json` (:func:`save_settings`).
Each package's models raise that package's ``ConfigError`` (:attr:`Settings.error`).
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self, TypeVar, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from cerulean_tiling.errors import ConfigError, first_line
from cerulean_tiling.jsonio import write_json

FORMATS = {".toml": "TOML", ".yaml": "YAML", ".yml": "YAML", ".json": "JSON"}
"""Settings file suffixes and the format each is read as."""

T = TypeVar("T")


def as_tuple(value: Any) -> Any:
    """A list read from a file becomes the tuple a frozen model holds."""
    return tuple(value) if isinstance(value, list) else value


Items = Annotated[tuple[T, ...], BeforeValidator(as_tuple)]
"""A tuple field that a settings file may give as a list."""


class KeyedValueError(ValueError):
    """A check across fields that blames one key (its message is said of that key)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def key_error(key: str, message: str) -> ValueError:
    """An error, raised in a model validator, that the one-line message puts on ``key``."""
    return KeyedValueError(key, message)


class Settings(BaseModel):
    """The base of every settings model (see the module docstring).

    Subclasses set :attr:`error` to their package's ``ConfigError``; building one with
    bad values (``TilingConfig(zoom=99)``) raises it, as loading a file does.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    error: ClassVar[type[Exception]] = ConfigError
    """What a bad value raises: the package's ``ConfigError`` (one of its error tree)."""

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            # Chained, not suppressed: a model holding this one reads the cause back, so
            # the key path runs from the outer model (settings_message).
            raise self.error(settings_message(exc, "config", type(self))) from exc

    @classmethod
    def from_dict(cls, data: Any, where: str = "") -> Self:
        """Settings from plain data (a parsed file, a saved record).

        Raises:
            error: not a mapping, an unknown key, a wrong type or a value out of range
                (one line, starting with ``where`` when given).
        """
        if not isinstance(data, Mapping):
            raise cls.error(f"{_lead(where)}expected a mapping of keys to values, got "
                            f"{type(data).__name__}")
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise cls.error(settings_message(exc, where, cls)) from None

    @classmethod
    def load(cls, path: Path | str | None = None,
             overrides: Mapping[str, Any] | None = None) -> Self:
        """:func:`load_settings` for this model."""
        return load_settings(cls, path, overrides)

    def override(self, overrides: Mapping[str, Any], where: str = "command line") -> Self:
        """A copy with the non-None ``overrides`` (keyed by field name) applied, checked
        as a whole; errors start with ``where``."""
        values = {k: v for k, v in overrides.items() if v is not None}
        if not values:
            return self
        current = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self).from_dict({**current, **values}, where)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (lists for tuples), in field order."""
        data: dict[str, Any] = self.model_dump(mode="json")
        return data

    def differences(self, other: Settings) -> list[str]:
        """Names of the top-level keys whose values differ between two settings."""
        mine, theirs = self.to_dict(), other.to_dict()
        return sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))


S = TypeVar("S", bound=Settings)


def load_settings(model: type[S], path: Path | str | None = None,
                  overrides: Mapping[str, Any] | None = None, *,
                  section: str | None = None) -> S:
    """Read ``path`` (TOML, YAML or JSON by suffix), validate it, apply ``overrides``.

    Args:
        model: the settings model.
        path: the settings file; None starts from the model's defaults.
        overrides: already-typed values keyed by field name, as a CLI passes its flags
            (None values are skipped); they win over the file, and a bad one is blamed
            on ``command line``.
        section: a table the settings may sit under (``tiling`` in ``tiling.json``).

    Raises:
        model.error: unreadable file, unknown suffix, syntax error, not a mapping, an
            unknown key, a wrong type or a value out of range (one line).
    """
    if path is None:
        settings = model()
    else:
        data = read_settings_file(Path(path), model.error)
        if section is not None and isinstance(data.get(section), dict):
            data = data[section]
        settings = model.from_dict(data, str(path))
    return settings.override(overrides or {})


def read_settings_file(path: Path, error: type[Exception] = ConfigError) -> dict[str, Any]:
    """Parse a TOML, YAML (``.yaml``/``.yml``) or JSON file holding one mapping (an empty
    YAML file is an empty mapping).

    Raises:
        error: missing or unreadable file, unknown suffix, syntax error, not a mapping.
    """
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise error(f"{path}: unknown settings format {path.suffix!r} "
                    f"(use {', '.join(FORMATS)})")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: no such settings file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read settings "
                    f"({getattr(exc, 'strerror', None) or exc})") from None
    try:
        data = _parse(text, kind)
    except Exception as exc:  # every parser's syntax error becomes one line
        raise error(f"{path}: not valid {kind} ({first_line(exc)})") from None
    if data is None and kind == "YAML":
        return {}
    if not isinstance(data, dict):
        raise error(f"{path}: expected a mapping of keys to values, got "
                    f"{type(data).__name__}")
    return data


_FLAG_KEY = re.compile(r"^command line: key '(\w+)':\s*")


def flag_message(message: str) -> str:
    """A bad override's message said of its flag: ``command line: key 'tile_size': …``
    → ``--tile-size: …`` (flags are field names with dashes)."""
    return _FLAG_KEY.sub(lambda m: f"--{m[1].replace('_', '-')}: ", message, count=1)


def save_settings(path: Path, document: Mapping[str, Any], what: str = "settings") -> None:
    """Write a settings document beside the outputs it made: the one saved form (JSON,
    sorted keys, indent 2), atomically."""
    write_json(path, dict(document), indent=2, sort_keys=True, what=what)


def settings_message(exc: ValidationError, where: str, model: type[BaseModel]) -> str:
    """The first of pydantic's errors as one line: ``where``, the key path, the problem."""
    error, loc = _first_error(exc, ())
    kind, value = error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, KeyedValueError):
        loc = (*loc, cause.key)
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), _fields_at(model, loc[:-1]), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{_lead(where)}unknown key {_path(loc)!r}{hint}"
    problem = _problem(kind, value, ctx, error["msg"])
    return f"{_lead(where)}key {_path(loc)!r}: {problem}" if loc else f"{_lead(where)}{problem}"


def _lead(where: str) -> str:
    return f"{where}: " if where else ""


def _first_error(exc: ValidationError, loc: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
    """The first error and its full key path, through nested settings models (whose
    own ``__init__`` raised the package error, caused by their ValidationError)."""
    error = exc.errors(include_url=False)[0]
    loc = (*loc, *error["loc"])
    inner = getattr((error.get("ctx") or {}).get("error"), "__cause__", None)
    if isinstance(inner, ValidationError):
        return _first_error(inner, loc)
    return error, loc


_EXPECTED = {
    "int_type": "an integer", "int_from_float": "an integer", "int_parsing": "an integer",
    "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "a string", "tuple_type": "a list", "list_type": "a list",
    "dict_type": "a mapping", "model_type": "a mapping", "dataclass_type": "a mapping",
}
_BOUNDS = {"greater_than_equal": ("ge", ">="), "greater_than": ("gt", ">"),
           "less_than_equal": ("le", "<="), "less_than": ("lt", "<")}


def _problem(kind: str, value: Any, ctx: dict[str, Any], msg: str) -> str:
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {value!r}"
    if kind in _BOUNDS:
        name, sign = _BOUNDS[kind]
        bound = ctx[name]
        # pydantic states a float field's bounds as floats; 10 reads better than 10.0.
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"{value!r} is out of range (must be {sign} {bound})"
    if kind == "literal_error":
        choices = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"{value!r} is not one of {choices}"
    if kind == "missing":
        return "missing"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    return msg


def _path(loc: tuple[Any, ...]) -> str:
    """``('stages', 0, 'size')`` → ``stages[0].size``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the (nested) model at ``loc`` (for the did-you-mean hint)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return []
        current = _model_in(fields[part].annotation)
    return list(getattr(current, "model_fields", {}))


def _model_in(annotation: Any) -> Any:
    """The model class inside an annotation (``tuple[Stage, ...]``, ``Stage | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _parse(text: str, kind: str) -> Any:
    if kind == "TOML":
        return tomllib.loads(text)
    if kind == "JSON":
        return json.loads(text)
    import yaml

    return yaml.safe_load(text)


__all__ = [
    "FORMATS",
    "Items",
    "Settings",
    "as_tuple",
    "flag_message",
    "key_error",
    "load_settings",
    "read_settings_file",
    "save_settings",
    "settings_message",
]
