"""Reading recorded exchanges: the one place that knows how to get `data`, a code, a status.

Every judge (single-exchange or multi-step) reads provider bodies through these helpers, so
"what counts as a 2xx body's data" or "what counts as an error code" is decided once.

Stage: checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from conformance.inputs.contract import BARE_BODY_OPERATIONS
from conformance.model import Exchange, Finding
from conformance.text import excerpt


def status_of(exchange: Exchange | None) -> int | None:
    if exchange is None or exchange.response is None:
        return None
    return exchange.response.status


def is_2xx(exchange: Exchange | None) -> bool:
    status = status_of(exchange)
    return status is not None and 200 <= status < 300


def rate_limited(exchange: Exchange | None) -> bool:
    """A 429 says nothing about the rule a scenario judges (the 429 itself is judged)."""
    return status_of(exchange) == 429


def unanswered(exchange: Exchange | None) -> bool:
    """No answer to judge: a 429, or no response at all (robustness.timeout, provider-alive
    and status.no-server-error judge those), so the rule the request was for is not judged."""
    return status_of(exchange) in (None, 429)


def body_of(exchange: Exchange | None) -> Any:
    """The parsed JSON body of a complete response, else None."""
    if exchange is None or exchange.response is None or exchange.response.truncated:
        return None
    return exchange.response.json() if exchange.response.is_json else None


def data_of(exchange: Exchange | None) -> Any:
    """`data` of a 2xx JSON envelope (the bare body for getMessageById), else None."""
    if not is_2xx(exchange):
        return None
    body = body_of(exchange)
    assert exchange is not None
    if exchange.operation in BARE_BODY_OPERATIONS:
        return body if isinstance(body, dict) else None
    return body.get("data") if isinstance(body, dict) else None


def additional_of(exchange: Exchange | None) -> dict[str, Any]:
    """`additional_data` of a 2xx envelope ({} when absent or not an object)."""
    body = body_of(exchange) if is_2xx(exchange) else None
    extra = body.get("additional_data") if isinstance(body, dict) else None
    return extra if isinstance(extra, dict) else {}


def error_code(exchange: Exchange | None) -> Any:
    body = body_of(exchange)
    data = body.get("data") if isinstance(body, dict) else None
    return data.get("code") if isinstance(data, dict) else None


def describe(exchange: Exchange) -> str:
    """How a response looked: `404 'NOT_FOUND'`, `200`, `no response (timeout ...)`, and for
    an error status what stood in the code's place: `404 with data.code missing`, `401 with
    a text/html body (not JSON)`, so "got 404, expected 404 NOT_FOUND" never happens."""
    response = exchange.response
    if response is None:
        return f"no response ({exchange.error})"
    code = error_code(exchange)
    if code is not None:
        return f"{response.status} {excerpt(code, 40)}"
    if response.status < 400:
        return f"{response.status}"
    if response.truncated:
        return f"{response.status} with a body cut at the cap"
    if not response.body:
        return f"{response.status} with an empty body"
    if not response.is_json:
        kind = response.content_type or "no Content-Type"
        return f"{response.status} with a {kind} body (not JSON)"
    body = response.json()
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        return f"{response.status} with no data object (so no data.code)"
    return f"{response.status} with data.code missing"


def next_cursor(value: Any) -> str | None:
    """The cursor to follow, or None at the end (absent, empty, or not a string)."""
    return value if isinstance(value, str) and value else None


def dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def refusal(
    exchange: Exchange, rule: str, status: int, codes: Iterable[str], what: str
) -> list[Finding] | None:
    """The one shape of every 'this request must fail with X' judgement (None: not judged)."""
    if unanswered(exchange):
        return None
    codes = tuple(codes)
    if status_of(exchange) == status and error_code(exchange) in codes:
        return []
    return [
        Finding(
            rule,
            f"{what}: got {describe(exchange)}, expected {status} {' or '.join(codes)}",
            exchange.operation,
            exchange,
        )
    ]


def request_summary(exchange: Exchange) -> str:
    """One line naming a request by its content: method, URL with its query, and for a
    multipart post every field's value and every file part (name, type, size).

    The content is what tells a vendor which request it was (a field, a query value), so
    the URL comes whole; a long field value shows its start and says how much is left out
    (the finding's request holds it whole), so nothing is cut without saying so.
    """
    request = exchange.request
    line = f"{request.method} {request.url}"
    parts = request.parts
    if parts is not None:
        shown = []
        for part in parts:
            text = part.text
            if part.filename is not None or text is None:
                what = part.content_type or "no type"
                shown.append(
                    f"{part.name}=<file {part.filename!r}, {what}, {len(part.data)} bytes>"
                )
            elif len(text) > FIELD_SHOWN:
                more = len(text) - FIELD_SHOWN
                shown.append(f"{part.name}={text[:FIELD_SHOWN]!r}… ({more} more characters)")
            else:
                shown.append(f"{part.name}={text!r}")
        line += " with form " + (", ".join(shown) if shown else "(no fields)")
    elif request.body:
        line += f" with a {len(request.body)}-byte body"
    return line


FIELD_SHOWN = 80  # characters of a form value a one-line summary shows
