"""security.error-disclosure on hand-made exchanges: each kind of internals, and the
person-facing messages a conformant provider writes, which must never be flagged."""

from __future__ import annotations

import pytest

from conformance.checks.disclosure import check_error_disclosure
from tests.checks.conftest import error_body, exchange, rules

PYTHON_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/srv/provider/app/views.py", line 88, in get_conversation\n'
    "    return store[conversation_id]\n"
    "KeyError: 'c-404'"
)
EXPRESS_PAGE = (
    b"<!DOCTYPE html><html><head><title>Error</title></head><body><pre>"
    b"TypeError: Cannot read properties of undefined (reading 'participants')<br>"
    b" &nbsp; &nbsp;at getConversation (/home/node/app/src/routes/conversations.js:41:27)<br>"
    b" &nbsp; &nbsp;at Layer.handle [as handle_request] (/home/node/app/node_modules/express/"
    b"lib/router/layer.js:95:5)</pre></body></html>"
)


@pytest.mark.parametrize(
    ("status", "body", "raw", "what", "quoted"),
    [
        (404, error_body(message=PYTHON_TRACE), None, "a stack trace", "Traceback"),
        (500, None, EXPRESS_PAGE, "a stack trace", "conversations.js:41:27"),
        (
            400,
            error_body(code="INVALID_BODY", message="at com.acme.wa.Api.post(Api.java:42)"),
            None,
            "a stack trace",
            "Api.java:42",
        ),
        (
            500,
            None,
            b"<b>Fatal error</b>: Uncaught Error: x in /var/www/html/api.php on line 12",
            "an exception dump",
            "on line 12",
        ),
        (
            500,
            None,
            b"panic: runtime error: index out of range\n\ngoroutine 7 [running]:",
            "an exception dump",
            "panic",
        ),
        (
            400,
            error_body(code="INVALID_BODY", message="java.lang.NullPointerException: recipientIds"),
            None,
            "an exception dump",
            "NullPointerException",
        ),
        (
            500,
            None,
            b"   at Acme.Api.Post() in C:\\src\\Acme\\Api\\Controller.cs:line 42",
            "a stack trace",
            "Controller.cs:line 42",
        ),
        (
            403,
            error_body(code="FORBIDDEN", message="cannot open /opt/acme/config/settings.py"),
            None,
            "a server file path",
            "/opt/acme/config/settings.py",
        ),
        (
            401,
            error_body(code="UNAUTHORIZED", message="no", debug={"where": "C:\\inetpub\\acme\\"}),
            None,
            "a server file path",
            "C:\\\\inetpub",
        ),
    ],
)
def test_internals_in_an_error_body_are_named_and_quoted(ctx, status, body, raw, what, quoted):
    findings = check_error_disclosure(
        exchange(status, body, raw=raw, content_type="text/html" if raw else "application/json"),
        ctx,
    )
    assert rules(findings) == ["security.error-disclosure"]
    (finding,) = findings
    assert finding.message.startswith(f"{status} body discloses {what}: ")
    assert quoted in finding.message


@pytest.mark.parametrize(
    "message",
    [
        "Conversation c-1 not found",
        "Channel /channels/acme-wa-1 not found",
        "Not found: /api/channels/x/conversations/y/messages/z",
        "attachment https://cdn.example.com/static/app.js expired",
        "messages_limit must be at least 1 (got -3)",
        "Retry at 2021-11-26T13:42:17.191Z",
        "Only conversations between exactly 2 participants are supported",
        "recipientIds: expected one id, got 2 (see docs at https://example.com/a/b.php)",
    ],
)
def test_person_facing_messages_are_not_flagged(ctx, message) -> None:
    assert check_error_disclosure(exchange(404, error_body(message=message)), ctx) == []


def test_a_plain_html_error_page_is_not_flagged(ctx) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
    assert check_error_disclosure(exchange(502, raw=page, content_type="text/html"), ctx) == []


def test_success_responses_are_not_judged(ctx) -> None:
    body = {"success": True, "data": [{"message": PYTHON_TRACE}]}
    assert check_error_disclosure(exchange(200, body), ctx) is None
    assert check_error_disclosure(exchange(no_response=True), ctx) is None


def test_the_quote_is_one_printable_line(ctx) -> None:
    body = error_body(message="boom\x1b[31m in /srv/app/handlers/post.py:12\x1b[0m")
    (finding,) = check_error_disclosure(exchange(400, body), ctx)
    assert "\n" not in finding.message and "\x1b" not in finding.message
    assert "/srv/app/handlers/post.py:12" in finding.message


def test_angle_brackets_in_a_json_message_are_not_markup(ctx) -> None:
    """Only an HTML page loses its tags: a JSON message keeps `<redacted>` and `<id>`."""
    body = error_body(message="KeyError at /srv/app/lookup.py:88 for <conversation-id>")
    (finding,) = check_error_disclosure(exchange(404, body), ctx)
    assert "<conversation-id>" in finding.message
