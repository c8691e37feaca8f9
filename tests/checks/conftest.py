"""Hand-made exchanges for the pure checks, and a small fake spec."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from conformance.checks.context import CheckContext
from conformance.model import Exchange, RecordedRequest, RecordedResponse

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)

CONVERSATION_SCHEMA = {
    "type": "object",
    "required": ["success", "data"],
    "properties": {
        "data": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "status", "seen"],
                "properties": {
                    "status": {"enum": ["open", "closed"]},
                    "messages": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "created_at": {
                                    "type": "string",
                                    "format": "date-time",
                                    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[Zz]$",
                                }
                            },
                        },
                    },
                    "link": {"type": "string", "format": "uri"},
                },
            },
        }
    },
}


class FakeSpec:
    def documented_statuses(self, operation: str) -> frozenset[int]:
        return frozenset({200, 400, 401, 403, 404, 429})

    def response_schema(self, operation: str, status: int) -> dict[str, Any] | None:
        return CONVERSATION_SCHEMA if (operation, status) == ("getConversations", 200) else None


@pytest.fixture
def ctx() -> CheckContext:
    return CheckContext(spec=FakeSpec(), timeout=10.0, now=lambda: NOW)


def exchange(
    status: int = 200,
    body: Any = None,
    *,
    operation: str = "getConversations",
    content_type: str = "application/json",
    raw: bytes | None = None,
    query: dict[str, str] | None = None,
    context: dict[str, Any] | None = None,
    auth: bool = True,
    elapsed: float = 0.01,
    error: str | None = None,
    no_response: bool = False,
) -> Exchange:
    headers = {"Authorization": "Basic <base64 client_id:client_secret>"} if auth else {}
    request = RecordedRequest("GET", "http://provider.test/x", headers, None, query or {})
    if no_response:
        return Exchange(operation, request, None, error, "test", context or {})
    payload = raw if raw is not None else json.dumps(body).encode()
    response = RecordedResponse(
        status, {"Content-Type": content_type} if content_type else {}, payload, elapsed
    )
    return Exchange(
        operation,
        request,
        response,
        error,
        "test",
        {"auth": "valid" if auth else "none", **(context or {})},
    )


def error_body(code: Any = "NOT_FOUND", message: Any = "nope", **extra: Any) -> dict[str, Any]:
    return {"success": False, "data": {"message": message, "code": code, **extra}}


def rules(findings: list | None) -> list[str]:
    assert findings is not None, "the check did not apply"
    return [f.rule for f in findings]
