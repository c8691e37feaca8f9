"""The OpenAPI spec the provider is judged against, and its binding to the manifest's URLs.

The spec says what each operation accepts and answers; the manifest says where it lives.
`load_spec` validates the file up front (one clear error, exit 2), `Spec` answers the checks'
questions (documented statuses, resolved response schemas), and `bind` rewrites the spec's
paths to the manifest's so generated requests hit the vendor's real URLs.

Stage: inputs.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from conformance.errors import ConformanceError
from conformance.inputs.contract import REQUIRED_ENDPOINTS

# libyaml's parser when PyYAML was built with it (the same safe constructors, ten times
# faster than the pure-Python scanner), else the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
SPEC_NAME = "messaging-manifest.yaml"
_DROP_KEYS = frozenset(
    {
        "example",
        "examples",
        "xml",
        "discriminator",
        "externalDocs",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)


def default_spec_path() -> Path:
    """The bundled spec: inside the installed package, or at the top of a source checkout."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "specs" / SPEC_NAME, package.parent / "specs" / SPEC_NAME):
        if candidate.exists():
            return candidate
    raise ConformanceError(
        "the bundled spec is missing; reinstall messaging-conformance",
        where=str(package.parent / "specs" / SPEC_NAME),
    )


@dataclass(frozen=True)
class SpecOperation:
    """One operation as the spec declares it, before any manifest URL is applied."""

    operation_id: str
    method: str
    path: str
    definition: Mapping[str, Any]
    path_params: tuple[str, ...]
    # Query parameter name -> its schema as plain JSON Schema (refs inlined): what the
    # scenarios may send, and what negative fuzzing violates.
    query_params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Spec:
    """A loaded spec: the checks' `SpecView` (statuses, resolved schemas) over its raw dict."""

    path: Path
    raw: dict[str, Any]
    digest: str
    operations: Mapping[str, SpecOperation] = field(default_factory=dict)

    def documented_statuses(self, operation: str) -> frozenset[int]:
        """Numeric statuses under the operation's `responses` (`default` is not a status)."""
        op = self.operations.get(operation)
        if op is None:
            return frozenset()
        return frozenset(
            int(code) for code in (op.definition.get("responses") or {}) if str(code).isdigit()
        )

    def response_schema(self, operation: str, status: int) -> dict[str, Any] | None:
        """The JSON body's schema as plain JSON Schema, or None when none is documented."""
        return self._schemas.get((operation, status))

    @cached_property
    def _schemas(self) -> dict[tuple[str, int], dict[str, Any]]:
        """Every JSON response schema, refs inlined and OpenAPI-isms made JSON Schema."""
        out = {}
        for op in self.operations.values():
            for code, response in (op.definition.get("responses") or {}).items():
                if not str(code).isdigit():
                    continue
                response = _resolve(self.raw, response)
                content = (response or {}).get("content") or {}
                media = next((m for m in content if "json" in m), None)
                schema = (content.get(media) or {}).get("schema") if media else None
                if isinstance(schema, dict):
                    out[(op.operation_id, int(code))] = to_json_schema(self.raw, schema)
        return out


def load_spec(path: str | Path | None = None) -> Spec:
    """Read and check a spec file; every problem is one `ConformanceError` naming the file.

    `None` means the bundled contract spec. Schemas are resolved here, not mid-run, so a
    broken `$ref` stops the run before any request is sent.
    """
    path = Path(path) if path is not None else default_spec_path()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConformanceError(
            f"cannot read spec: {exc.strerror or exc}", where=str(path)
        ) from None
    key = (str(path), hashlib.sha256(data).hexdigest())
    cached = _LOADED.get(key)
    if cached is None:
        cached = _parse(path, data, key[1])
        if len(_LOADED) >= _KEEP:
            del _LOADED[next(iter(_LOADED))]  # the oldest: a long process stays bounded
        _LOADED[key] = cached
    return cached


# (path, sha256 of its bytes) -> the Spec made from them. Parsing and resolving the bundled
# spec is about a tenth of a second of pure-Python YAML per run; a process that runs the
# suite many times (the pytest face, the suite's own tests, a CI matrix) re-reads the file
# each time but parses the same bytes only once. A Spec is never mutated, so it is shared.
_LOADED: dict[tuple[str, str], Spec] = {}
_KEEP = 8


def _parse(path: Path, data: bytes, digest: str) -> Spec:
    try:
        raw = yaml.load(data, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConformanceError(f"spec YAML does not parse{line}", where=str(path)) from None
    if not isinstance(raw, dict) or not str(raw.get("openapi", "")).startswith("3."):
        raise ConformanceError("spec is not an OpenAPI 3.x document", where=str(path))
    if not isinstance(raw.get("paths"), dict):
        raise ConformanceError("spec has no paths", where=str(path))
    try:
        operations = _operations(raw, str(path))
        missing = [op for op in REQUIRED_ENDPOINTS if op not in operations]
        if missing:
            raise ConformanceError(f"spec lacks operationId {', '.join(missing)}")
        spec = Spec(path, raw, digest, operations)
        spec._schemas  # noqa: B018 - resolve (and cache) every response schema up front
    except ConformanceError as exc:
        raise ConformanceError(exc.message, where=exc.where or str(path)) from None
    return spec


def _operations(raw: dict[str, Any], source: str) -> dict[str, SpecOperation]:
    operations: dict[str, SpecOperation] = {}
    for path, item in raw["paths"].items():
        if not isinstance(item, dict):
            raise ConformanceError(f"path {path!r} is not a mapping", where=source)
        shared = item.get("parameters") or []
        for method in METHODS:
            definition = item.get(method)
            if not isinstance(definition, dict) or "operationId" not in definition:
                continue
            params = [_resolve(raw, p) for p in [*shared, *(definition.get("parameters") or [])]]
            params = [p for p in params if isinstance(p, dict)]
            names = tuple(p.get("name") for p in params if p.get("in") == "path")
            query = {
                str(p.get("name")): to_json_schema(raw, p.get("schema") or {})
                for p in params
                if p.get("in") == "query"
            }
            op_id = str(definition["operationId"])
            operations[op_id] = SpecOperation(
                op_id, method.upper(), str(path), definition, names, query
            )
    return operations


def _resolve(raw: dict[str, Any], node: Any) -> Any:
    """Follow a local `$ref` (chains too); a non-local or broken ref is a spec error."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise ConformanceError(f"unsupported $ref {ref!r} (only local refs)")
        target: Any = raw
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise ConformanceError(f"$ref {ref!r} points nowhere")
            target = target[part]
        node = target
        seen += 1
        if seen > 50:
            raise ConformanceError(f"$ref {ref!r} loops")
    return node


def to_json_schema(raw: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """Inline refs and turn OpenAPI 3.0 schema dialect into plain JSON Schema."""
    if depth > 64:
        raise ConformanceError("spec schemas nest too deeply (recursive $ref?)")
    schema = _resolve(raw, schema)
    if isinstance(schema, list):
        return [to_json_schema(raw, s, depth + 1) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROP_KEYS or key.startswith("x-"):
            continue
        if key == "format" and value == "url":
            value = "uri"
        if key == "nullable":
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {k: to_json_schema(raw, v, depth + 1) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            out[key] = to_json_schema(raw, value, depth + 1)
        else:
            out[key] = copy.deepcopy(value)
    if schema.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    _exclusive_bounds(out)
    return out


def _exclusive_bounds(out: dict[str, Any]) -> None:
    """OpenAPI 3.0's boolean `exclusiveMinimum`/`Maximum` (Draft 4) as Draft 7 numbers."""
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if out.get(exclusive) is True and bound in out:
            out[exclusive] = out.pop(bound)
        elif out.get(exclusive) is False:
            del out[exclusive]


def bind(spec: Spec, endpoints: Mapping[str, str]) -> dict[str, Any]:
    """A copy of the spec whose paths are the manifest's URLs (operations absent dropped).

    Generated requests must hit the vendor's URLs, not the spec's canonical paths, so each
    operation moves to its manifest path (`:name` and `{name}` both become `{name}`) with
    exactly the path parameters that URL holds. The document's `servers` is the most common
    origin; an endpoint on another host gets an operation-level `servers` entry, which
    schemathesis 4 honours. Raises ConformanceError when two operations land on the same
    path and method.
    """
    from conformance.inputs.manifest import EndpointTemplate

    templates = {
        op: EndpointTemplate(op, url) for op, url in endpoints.items() if op in spec.operations
    }
    # Manifest URLs are free-form and may live on several hosts: the most common origin is
    # the document's server, any other becomes that operation's own `servers` entry.
    origins = [t.origin for t in templates.values()]
    main_origin = max(sorted(set(origins)), key=origins.count) if origins else None
    bound = copy.deepcopy(spec.raw)
    bound["paths"] = {}
    if main_origin:
        bound["servers"] = [{"url": main_origin}]
    for op_id, template in templates.items():
        operation = spec.operations[op_id]
        path = template.path_template
        item = bound["paths"].setdefault(path, {})
        method = operation.method.lower()
        if method in item:
            raise ConformanceError(
                f"{op_id} and {item[method]['operationId']} share {operation.method} {path}"
            )
        definition = copy.deepcopy(dict(operation.definition))
        definition["parameters"] = _bound_parameters(spec, operation, template.variables)
        if template.origin != main_origin:
            definition["servers"] = [{"url": template.origin}]
        item[method] = definition
    return bound


def _bound_parameters(
    spec: Spec, operation: SpecOperation, variables: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The operation's parameters with path parameters matching the manifest URL exactly."""
    item = spec.raw["paths"][operation.path]
    params = [
        _resolve(spec.raw, p)
        for p in [*(item.get("parameters") or []), *(operation.definition.get("parameters") or [])]
    ]
    kept = [
        copy.deepcopy(p)
        for p in params
        if isinstance(p, dict) and (p.get("in") != "path" or p.get("name") in variables)
    ]
    declared = {p.get("name") for p in kept if p.get("in") == "path"}
    kept += [
        {"name": v, "in": "path", "required": True, "schema": {"type": "string"}}
        for v in variables
        if v not in declared
    ]
    return kept
