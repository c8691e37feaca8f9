"""Success bodies: JSON content type, the success envelope, the schema, no null cursors.

Stage: checks.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs

from conformance.checks.context import CheckContext
from conformance.inputs.contract import BARE_BODY_OPERATIONS
from conformance.model import Exchange, Finding
from conformance.text import excerpt

MAX_SCHEMA_ERRORS = 3
CURSOR_FIELDS = ("next_messages_cursor", "after")
_JSON_MEDIA = re.compile(r"^application/([a-z0-9.+-]+\+)?json$")


def _is_uri(value: str) -> bool:
    """Absolute URI; the contract lets `link` be empty, so "" passes."""
    if value == "":
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def _is_2xx(exchange: Exchange) -> bool:
    return exchange.response is not None and 200 <= exchange.response.status < 300


def check_content_type(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    response = exchange.response
    if response is None or (not response.body and response.status in (204, 304)):
        return None
    if _JSON_MEDIA.match(response.content_type):
        return []
    shown = response.headers.get("content-type") or "no Content-Type"
    return [
        Finding(
            "response.content-type",
            f"{response.status} body sent as {excerpt(shown, 60)}; expected application/json",
            exchange.operation,
            exchange,
        )
    ]


def check_success_envelope(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    if not _is_2xx(exchange):
        return None
    response = exchange.response
    assert response is not None
    op = exchange.operation

    def fail(message: str) -> list[Finding]:
        return [Finding("response.success-envelope", message, op, exchange)]

    if not response.is_json:
        return fail(f"{response.status} body is not JSON: {excerpt(response.text, 60)}")
    body = response.json()
    if not isinstance(body, dict):
        return fail(f"body is a JSON {type(body).__name__}, not an object")
    if op in BARE_BODY_OPERATIONS:
        if body.get("success") is True and isinstance(body.get("data"), dict) and "id" not in body:
            return fail(f"{op} must return the bare message, not a success envelope")
        return []
    if body.get("success") is not True:
        return fail(
            f"success is {excerpt(body.get('success'), 20)}, expected true"
            if "success" in body
            else "success is missing"
        )
    if "data" not in body and op != "deleteChannelById":
        return fail("data is missing")
    return []


def check_schema(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    if not _is_2xx(exchange) or not exchange.response.is_json:  # type: ignore[union-attr]
        return None
    body = exchange.response.json()  # type: ignore[union-attr]
    if exchange.operation not in BARE_BODY_OPERATIONS and (
        not isinstance(body, dict) or body.get("success") is not True
    ):
        return None  # the envelope is broken: response.success-envelope says so
    schema = ctx.spec.response_schema(exchange.operation, exchange.response.status)  # type: ignore[union-attr]
    if schema is None:
        return None
    errors = sorted(
        (e for e in _validator(schema).iter_errors(body) if not _null_cursor(e)),
        key=lambda e: list(map(str, e.instance_path)),
    )
    return [
        Finding(
            "response.schema",
            f"{_path(e.instance_path)}: {excerpt(e.message, 120)}",
            exchange.operation,
            exchange,
        )
        for e in errors[:MAX_SCHEMA_ERRORS]
    ]


def _null_cursor(error: Any) -> bool:
    """A null cursor is response.null-cursor's (SHOULD) finding, not a schema failure."""
    path = list(error.instance_path)
    return error.instance is None and bool(path) and path[-1] in CURSOR_FIELDS


_VALIDATORS: dict[int, tuple[dict[str, Any], Any]] = {}


def _validator(schema: dict[str, Any]) -> Any:
    """Compiled once per schema object (the spec's resolved schemas live as long as the run)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = (
            schema,
            jsonschema_rs.Draft7Validator(schema, validate_formats=True, formats={"uri": _is_uri}),
        )
        _VALIDATORS[id(schema)] = cached
    return cached[1]


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def check_null_cursor(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    if (
        not _is_2xx(exchange)
        or exchange.operation not in ("getConversations", "getConversationById")
        or not exchange.response.is_json
    ):  # type: ignore[union-attr]
        return None
    body = exchange.response.json()  # type: ignore[union-attr]
    if not isinstance(body, dict):
        return None
    nulls = []
    data = body.get("data")
    if exchange.operation == "getConversations":
        additional = body.get("additional_data")
        if isinstance(additional, dict) and "after" in additional and additional["after"] is None:
            nulls.append("additional_data.after")
        conversations = data if isinstance(data, list) else []
    else:
        conversations = [data]
    for index, conversation in enumerate(conversations):
        if (
            isinstance(conversation, dict)
            and "next_messages_cursor" in conversation
            and conversation["next_messages_cursor"] is None
        ):
            where = "data" if exchange.operation == "getConversationById" else f"data[{index}]"
            nulls.append(f"{where}.next_messages_cursor")
    return [
        Finding(
            "response.null-cursor",
            f"{name} is null; leave it empty or absent",
            exchange.operation,
            exchange,
        )
        for name in nulls[:3]
    ]
