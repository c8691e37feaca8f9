"""Error responses: the envelope, the code for the status, and retry_by on 429.

Pipedrive acts on `data.code` and schedules retries from `data.retry_by`, so these are judged
on every 4xx the run sees, from any phase.

Stage: checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from conformance.checks.context import CheckContext
from conformance.inputs.contract import ERROR_CODES
from conformance.model import Exchange, Finding
from conformance.text import excerpt
from conformance.timestamps import parse_retry_by

HORIZON = timedelta(hours=24)


def _finding(rule: str, exchange: Exchange, message: str) -> Finding:
    return Finding(rule, message, exchange.operation, exchange)


def _client_error(exchange: Exchange) -> bool:
    return exchange.response is not None and 400 <= exchange.response.status < 500


def _error_data(exchange: Exchange) -> dict[str, Any] | None:
    """`data` of a well-formed error envelope, else None."""
    assert exchange.response is not None
    if not exchange.response.is_json:
        return None
    body = exchange.response.json()
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else None


def check_envelope(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    if not _client_error(exchange):
        return None
    response = exchange.response
    assert response is not None
    status = response.status
    if not response.is_json:
        return [
            _finding(
                "error.envelope",
                exchange,
                f"{status} body is not JSON: {excerpt(response.text, 60)}",
            )
        ]
    body = response.json()
    if not isinstance(body, dict):
        return [
            _finding(
                "error.envelope",
                exchange,
                f"{status} body is a JSON {type(body).__name__}, not an object",
            )
        ]
    problems = []
    if body.get("success") is not False:
        problems.append(
            f"success is {excerpt(body.get('success'), 20)}, expected false"
            if "success" in body
            else "success is missing"
        )
    data = body.get("data")
    if not isinstance(data, dict):
        problems.append("data is missing or not an object")
    else:
        for key in ("message", "code"):
            if not isinstance(data.get(key), str):
                problems.append(
                    f"data.{key} is missing"
                    if key not in data
                    else f"data.{key} is {excerpt(data[key], 20)}, not a string"
                )
    return [_finding("error.envelope", exchange, f"{status} error body: {p}") for p in problems]


def check_code_matches_status(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    if not _client_error(exchange) or exchange.response.status not in ERROR_CODES:  # type: ignore[union-attr]
        return None
    status = exchange.response.status  # type: ignore[union-attr]
    allowed = ERROR_CODES[status]
    expected = "expected " + " or ".join(sorted(allowed))
    data = _error_data(exchange)
    if data is None or not isinstance(data.get("code"), str):
        # No code is not the code its status needs: judged here as well as under
        # error.envelope (whose finding says how the envelope is broken).
        return [
            _finding(
                "error.code-matches-status",
                exchange,
                f"{status} body carries no code ({_missing_code(exchange, data)}); {expected}",
            )
        ]
    if data["code"] in allowed:
        return []
    return [
        _finding(
            "error.code-matches-status",
            exchange,
            f"{status} body has data.code {excerpt(data['code'], 40)}; {expected}",
        )
    ]


def _missing_code(exchange: Exchange, data: dict[str, Any] | None) -> str:
    """Why an error body has no string data.code: what stands in its place."""
    response = exchange.response
    assert response is not None
    if response.truncated:
        return "the body was cut at the cap"
    if not response.body:
        return "empty body"
    if not response.is_json:
        return f"a {response.content_type or 'untyped'} body, not JSON"
    if data is None:
        return "no data object"
    if "code" not in data:
        return "data.code missing"
    return f"data.code is {excerpt(data['code'], 20)}, not a string"


def _answered_at(exchange: Exchange, ctx: CheckContext) -> datetime:
    """When the 429 came (the client stamps it), else the context's clock (hand-made or
    re-judged exchanges, whose context clock is the recorded moment)."""
    return exchange.received_at or ctx.now()


def check_retry_by(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    if exchange.response is None or exchange.response.status != 429:
        return None
    data = _error_data(exchange)
    if data is None or "retry_by" not in data:
        return [_finding("error.retry-by", exchange, "429 body has no data.retry_by")]
    moment, problem = parse_retry_by(data["retry_by"])
    if problem is not None:
        return [_finding("error.retry-by", exchange, problem)]
    assert moment is not None
    now = _answered_at(exchange, ctx)
    if moment < now - timedelta(seconds=ctx.skew_seconds):
        ago = (now - moment).total_seconds()
        return [
            _finding(
                "error.retry-by",
                exchange,
                f"retry_by {excerpt(data['retry_by'], 40)} is {ago:.0f} s in the past",
            )
        ]
    return []


def check_retry_by_horizon(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    if exchange.response is None or exchange.response.status != 429:
        return None
    data = _error_data(exchange)
    moment, problem = parse_retry_by(data.get("retry_by") if data else None)
    if moment is None or moment.tzinfo is None:
        return None
    ahead = moment - _answered_at(exchange, ctx)
    if ahead <= HORIZON:
        return []
    return [
        _finding(
            "error.retry-by-horizon",
            exchange,
            f"retry_by is {ahead.total_seconds() / 3600:.1f} h ahead (over 24 h)",
        )
    ]
