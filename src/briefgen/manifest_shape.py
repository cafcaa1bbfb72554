"""The shape a manifest file must have, checked before any of it is used: JSON in, data or a reason out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from briefgen.errors import PathError
from briefgen.paths import read_file
from briefgen.writing import describe

# Manifest versions this briefgen reads. 2: summaries keyed by their path relative to the project
# root; 1 (keyed by absolute path) is still read, and its keys adopted (Manifest.adopt).
READABLE_VERSIONS = (1, 2)


class ManifestDamageError(Exception):
    """The manifest cannot be used; the message says why, in a clause."""


def read_manifest(path: Path, *, limit: int) -> dict[str, Any]:
    """Read and check a manifest file; raise ManifestDamageError saying what is wrong with it."""
    try:
        raw = read_file(path, limit=limit)
    except PathError as exc:
        raise ManifestDamageError(exc.reason) from None
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ManifestDamageError(f"cannot be read: {describe(exc)}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError both are
        raise ManifestDamageError("not UTF-8 JSON") from None
    if not isinstance(data, dict) or "version" not in data or "summaries" not in data:
        raise ManifestDamageError(f"expected an object with 'version' and 'summaries', not {_kind(data)}")
    if data["version"] not in READABLE_VERSIONS:
        known = ", ".join(str(v) for v in READABLE_VERSIONS)
        raise ManifestDamageError(f"version {data['version']!r} is not one this briefgen reads ({known})")
    _check_shape(data, _MANIFEST, "")
    return data


# The shape of a manifest, checked before any of it is used: a type, ("list", item), ("map", value)
# for an object of any keys, ("one of", choices), ("or none", shape), or a dict of fields (a name
# ending in "?" is optional). ANY is any JSON value.
ANY = object
_ANCHOR = {
    "grade": ("one of", ("exact", "normalised", "fuzzy", "missing")),
    "score": float,
    "start": int,
    "end": int,
    "exact": str,
    "prefix": str,
    "suffix": str,
}
_QUOTE = {"source": str, "quote": str, "anchor?": ("or none", _ANCHOR)}
_CLAIM = {
    "text?": ("or none", str),
    "short?": ("or none", str),
    "plain?": ("or none", str),
    "priority?": ("or none", int),
    "printed?": ("or none", ("list", str)),
    "evidence?": ("list", _QUOTE),
}
_SHOWN = {
    "subject?": ("map", ANY),
    "disputes?": ("map", str),
    "timeline?": ("map", str),
    "glossary?": ("map", str),
}
_PAPER = {
    "edition": str,
    "length": str,
    "audience": str,
    "formats": ("list", str),
    "inputs": ("map", str),
    "outputs": ("map", str),
    "claims?": ("map", _CLAIM),
    "trims?": ("map", ("list", str)),
    "quotes?": ("list", _QUOTE),
    "shown?": _SHOWN,
}
_MANIFEST = {
    "version": int,
    "summaries": ("map", {"id": str, "editions?": ("list", str), "papers?": ("map", _PAPER)}),
}


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def _check_shape(value: Any, shape: Any, where: str) -> None:
    """Raise ManifestDamageError naming the first place where `value` does not have `shape`."""
    at = f"{where}: " if where else ""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise ManifestDamageError(f"{at}expected an object, not {_kind(value)}")
        for name, inner in shape.items():
            key = name.rstrip("?")
            if key in value:
                _check_shape(value[key], inner, f"{where}.{key}" if where else key)
            elif not name.endswith("?"):
                raise ManifestDamageError(f"{where}.{key}: missing" if where else f"{key}: missing")
    elif isinstance(shape, tuple):
        kind, inner = shape
        if kind == "or none":
            if value is not None:
                _check_shape(value, inner, where)
        elif kind == "one of":
            if value not in inner:
                raise ManifestDamageError(f"{at}expected one of {', '.join(inner)}, not {value!r}")
        elif kind == "list":
            if not isinstance(value, list):
                raise ManifestDamageError(f"{at}expected a list, not {_kind(value)}")
            for index, item in enumerate(value):
                _check_shape(item, inner, f"{where}[{index}]")
        else:  # "map"
            if not isinstance(value, dict):
                raise ManifestDamageError(f"{at}expected an object, not {_kind(value)}")
            for key, item in value.items():
                _check_shape(item, inner, f"{where}[{key!r}]")
    elif shape is not ANY:
        wanted = (int, float) if shape is float else shape
        if isinstance(value, bool) or not isinstance(value, wanted):
            names = {str: "text", int: "a whole number", float: "a number"}
            raise ManifestDamageError(f"{at}expected {names[shape]}, not {_kind(value)}")
