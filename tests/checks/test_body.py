from __future__ import annotations

import pytest

from conformance.checks import body
from tests.checks.conftest import exchange, rules

CONVERSATION = {
    "id": "c1",
    "link": "",
    "status": "open",
    "seen": True,
    "next_messages_cursor": "",
    "participants": [],
    "messages": [{"id": "m1", "created_at": "2024-05-01T10:00:00.000Z"}],
}


def listing(*conversations, **extra):
    return {"success": True, "data": list(conversations), "additional_data": {"after": ""}, **extra}


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/problem+json", True),
        ("text/plain", False),
        ("text/html", False),
        ("", False),
    ],
)
def test_content_type(ctx, content_type, ok) -> None:
    findings = body.check_content_type(exchange(200, listing(), content_type=content_type), ctx)
    assert rules(findings) == ([] if ok else ["response.content-type"])


def test_content_type_on_html_502(ctx) -> None:
    ex = exchange(502, raw=b"<html>Bad gateway</html>", body=None, content_type="text/html")
    assert rules(body.check_content_type(ex, ctx)) == ["response.content-type"]


@pytest.mark.parametrize(
    ("payload", "ok"),
    [
        (listing(), True),
        ({"success": "true", "data": []}, False),
        ({"data": []}, False),
        ({"success": True}, False),
        ([1, 2], False),
    ],
)
def test_success_envelope(ctx, payload, ok) -> None:
    findings = body.check_success_envelope(exchange(200, payload), ctx)
    assert rules(findings) == ([] if ok else ["response.success-envelope"])


def test_success_envelope_not_json(ctx) -> None:
    findings = body.check_success_envelope(exchange(200, raw=b"OK", body=None), ctx)
    assert rules(findings) == ["response.success-envelope"]


def test_delete_needs_no_data(ctx) -> None:
    ok = exchange(200, {"success": True}, operation="deleteChannelById")
    assert body.check_success_envelope(ok, ctx) == []


def test_message_by_id_is_bare(ctx) -> None:
    message = {
        "id": "m1",
        "status": "sent",
        "created_at": "2024-05-01T10:00:00Z",
        "message": "hi",
        "sender_id": "a",
    }
    assert (
        body.check_success_envelope(exchange(200, message, operation="getMessageById"), ctx) == []
    )
    wrapped = exchange(200, {"success": True, "data": message}, operation="getMessageById")
    assert rules(body.check_success_envelope(wrapped, ctx)) == ["response.success-envelope"]


def test_schema_passes_and_allows_empty_link(ctx) -> None:
    assert body.check_schema(exchange(200, listing(CONVERSATION)), ctx) == []


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"status": "archived"}, "data[0].status"),
        (
            {"messages": [{"id": "m", "created_at": "2024-05-01T12:00:00+02:00"}]},
            "data[0].messages[0].created_at",
        ),
        ({"link": "not a uri"}, "data[0].link"),
    ],
)
def test_schema_failures_name_the_path(ctx, change, fragment) -> None:
    findings = body.check_schema(exchange(200, listing({**CONVERSATION, **change})), ctx)
    assert rules(findings) == ["response.schema"]
    assert findings[0].message.startswith(fragment)


def test_schema_missing_required_field(ctx) -> None:
    broken = {k: v for k, v in CONVERSATION.items() if k != "seen"}
    [finding] = body.check_schema(exchange(200, listing(broken)), ctx)
    assert "seen" in finding.message


def test_schema_skips_broken_envelopes_and_unknown_schemas(ctx) -> None:
    assert body.check_schema(exchange(200, {"success": False, "data": []}), ctx) is None
    assert (
        body.check_schema(
            exchange(200, {"success": True, "data": {}}, operation="getTemplates"), ctx
        )
        is None
    )


def test_schema_caps_findings(ctx) -> None:
    many = [{**CONVERSATION, "status": "x"} for _ in range(10)]
    assert len(body.check_schema(exchange(200, listing(*many)), ctx)) == body.MAX_SCHEMA_ERRORS


def test_null_cursor(ctx) -> None:
    assert body.check_null_cursor(exchange(200, listing(CONVERSATION)), ctx) == []
    nulled = {
        "success": True,
        "data": [{**CONVERSATION, "next_messages_cursor": None}],
        "additional_data": {"after": None},
    }
    findings = body.check_null_cursor(exchange(200, nulled), ctx)
    assert rules(findings) == ["response.null-cursor"] * 2
    by_id = exchange(
        200,
        {"success": True, "data": {**CONVERSATION, "next_messages_cursor": None}},
        operation="getConversationById",
    )
    assert rules(body.check_null_cursor(by_id, ctx)) == ["response.null-cursor"]
    absent = {"success": True, "data": [{"id": "c"}]}
    assert body.check_null_cursor(exchange(200, absent), ctx) == []


def test_null_cursor_is_left_to_its_should_rule() -> None:
    from conformance.checks.context import CheckContext

    schema = {
        "type": "object",
        "properties": {
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"next_messages_cursor": {"type": "string"}},
                },
            },
            "additional_data": {"type": "object", "properties": {"after": {"type": "string"}}},
        },
    }

    class Spec:
        def documented_statuses(self, operation):
            return frozenset({200})

        def response_schema(self, operation, status):
            return schema

    ctx = CheckContext(spec=Spec())
    nulled = {
        "success": True,
        "data": [{**CONVERSATION, "next_messages_cursor": None}],
        "additional_data": {"after": None},
    }
    assert body.check_schema(exchange(200, nulled), ctx) == []
    numbered = listing({**CONVERSATION, "next_messages_cursor": 5})
    assert rules(body.check_schema(exchange(200, numbered), ctx)) == ["response.schema"]
