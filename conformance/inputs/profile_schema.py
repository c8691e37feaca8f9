"""The profile's JSON Schema, and its errors as the one-line messages a user can act on.

Inputs stage. `profile.schema.json` (next to this module, shipped in the package) is the
one list of profile keys: the loader validates with it, editors complete and check
profile.yaml with it (a `# yaml-language-server: $schema=...` modeline, which `init`
writes), and `messaging-conformance profile-schema` prints where it is installed. This
module turns the validator's errors into `key: must be ...` lines, and an unknown key into
`unknown profile key 'sandbx' (did you mean 'sandbox'?)`: a typo'd key silently drops what
it meant (a misspelt sandbox skips every post rule), so it stops the run.

Stage: inputs.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

SCHEMA_PATH = Path(__file__).with_name("profile.schema.json")
# What init writes first, so that an editor with a YAML language server checks the profile.
MODELINE = "# yaml-language-server: $schema={path}"


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator() -> Any:
    return jsonschema_rs.validator_for(schema())


def modeline() -> str:
    """The modeline naming the installed schema file: a plain absolute path, the form
    yaml-language-server documents; a file: URI only when the path holds whitespace, which
    would end the modeline's value."""
    path = SCHEMA_PATH.resolve()
    return MODELINE.format(path=path.as_uri() if any(c.isspace() for c in str(path)) else path)


def key_paths(node: dict[str, Any] | None = None, prefix: str = "") -> list[str]:
    """Every key the schema defines, dotted (`sandbox.conversation`), in schema order."""
    node = schema() if node is None else node
    paths: list[str] = []
    for key, sub in _properties(node).items():
        paths.append(prefix + key)
        paths += key_paths(sub, f"{prefix}{key}.")
    return paths


def _properties(node: dict[str, Any]) -> dict[str, Any]:
    """A node's keys, a conditional mapping's (`then`) included."""
    return {**node.get("properties", {}), **node.get("then", {}).get("properties", {})}


def problems(data: dict[Any, Any]) -> list[str]:
    """What is wrong with a parsed profile, worst first: every unknown key (all of them, so
    one run names every typo), else the first other problem in schema order; [] when none."""
    errors = list(_validator().iter_errors(_json_safe(data)))
    unknown = [
        line
        for error in errors
        if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties)
        for line in _unknown(error)
    ]
    if unknown:
        return unknown
    lines = sorted((_order(error), _message(error, data)) for error in errors)
    return [line for _, line in lines[:1]]


def _unknown(error: Any) -> Iterator[str]:
    path = [str(p) for p in error.instance_path]
    known = _properties(_node(error.schema_path[:-1]))
    for key in error.kind.unexpected:
        name = repr(key) if not path else f"'{'.'.join([*path, key])}'"
        close = difflib.get_close_matches(str(key), list(known), n=1)
        yield f"unknown profile key {name}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _message(error: Any, data: dict[Any, Any]) -> str:
    """`key: what is wrong`, worded by what the key holds (a string, a mapping, ...)."""
    path = [str(p) for p in error.instance_path]
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        return f"{'.'.join([*path, kind.property])}: is required"
    key = ".".join(path)
    node = _node(error.schema_path[:-1])
    types = _types(node)
    value = _value(data, error.instance_path)
    if value is None and ("string" in types or "object" in types):
        return f"{key}: is required"
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.MinLength):
        return f"{key}: must not be empty"
    if "string" in types:
        return f"{key}: must be a string, not {type(value).__name__}"
    if "boolean" in types:
        return f"{key}: must be true or false"
    if "number" in types:
        return f"{key}: must be a positive number"
    return f"{key}: must be a mapping"


def _types(node: dict[str, Any]) -> list[str]:
    declared = node.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


def _order(error: Any) -> tuple[int, ...]:
    """Where the key at fault comes in the schema (a missing key where it would be)."""
    node, order = schema(), []
    path = [str(p) for p in error.instance_path]
    if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required):
        path.append(error.kind.property)
    for key in path:
        known = list(_properties(node))
        order.append(known.index(key) if key in known else len(known))
        node = _properties(node).get(key, {})
    return tuple(order)


def _node(schema_path: Any) -> dict[str, Any]:
    node: Any = schema()
    for step in schema_path:
        node = node[step]
    return node


def _value(data: Any, instance_path: Any) -> Any:
    for step in instance_path:
        data = data[step] if isinstance(data, list) else _by_name(data, step)
    return data


def _by_name(mapping: dict[Any, Any], name: Any) -> Any:
    if name in mapping:
        return mapping[name]
    return next(v for k, v in mapping.items() if _json_key(k) == name)


def _json_safe(value: Any) -> Any:
    """The parsed YAML as JSON can hold it. YAML also has dates, binary, non-string keys and
    non-finite numbers; a value JSON cannot hold becomes [] (which no key accepts, so its
    key is reported with the value's own type), a key becomes its text."""
    if isinstance(value, dict):
        return {_json_key(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else float(value)
    if isinstance(value, float) and math.isfinite(value):
        return value
    return []


def _json_key(key: Any) -> str:
    return _text(key) if isinstance(key, str) else str(key)


def _text(text: str) -> str:
    """Text the validator can read (YAML escapes can produce lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text
