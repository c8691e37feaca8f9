"""Side effects, only where the profile allows: posts to the sandbox, deleting the disposable.

Without a sandbox conversation or disposable channel these rules are SKIPPED (the verdict is
then at best `incomplete`), never silently passed: the suite does not write to production.
"""

from __future__ import annotations

from conformance.checks.text import excerpt
from conformance.model import Finding
from conformance.scenarios.session import Session, data_of, describe, expect_error

PHASE = "scenarios"
ATTACHMENT = ("conformance.txt", b"messaging-conformance test attachment\n", "text/plain")


def post(session: Session) -> None:
    sandbox = session.profile.sandbox
    rules = ("post.accepts-multipart", "post.invalid-body", "participants.group-post-rejected")
    if sandbox is None or not session.has("postMessage"):
        why = (
            "the profile names no sandbox conversation"
            if sandbox is None
            else "postMessage is not in the manifest"
        )
        for rule in rules:
            session.ledger.skip(rule, why)
        return
    base = {
        "conversationId": sandbox.conversation,
        "senderId": sandbox.sender,
        "recipientIds": sandbox.recipient,
    }
    rule = "post.accepts-multipart"
    for label, form, files in (
        ("text only", {**base, "message": "messaging-conformance: text message"}, None),
        ("with a file", {**base, "message": "messaging-conformance: with file"}, [ATTACHMENT]),
    ):
        exchange = session.call(
            "postMessage", PHASE, form=form, files=files, context={"expect": "created"}
        )
        data = data_of(exchange)
        ok = isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"] != ""
        findings: list[Finding] | None = None if exchange is None else []
        if exchange is not None and not ok:
            findings = [
                Finding(
                    rule,
                    f"postMessage {label}: got {describe(exchange)}"
                    + (f" with data {excerpt(data, 60)}" if data is not None else "")
                    + ", expected 200 with a non-empty data.id",
                    "postMessage",
                    exchange,
                )
            ]
        session.ledger.check(rule, findings)
    rule = "post.invalid-body"
    without_conversation = {k: v for k, v in base.items() if k != "conversationId"}
    for label, form in (
        ("without message or files", base),
        ("without conversationId", {**without_conversation, "message": "messaging-conformance"}),
    ):
        exchange = session.call("postMessage", PHASE, form=form, context={"expect": "invalid"})
        session.ledger.check(
            rule, expect_error(exchange, rule, 400, ("INVALID_BODY",), f"postMessage {label}")
        )
    rule = "participants.group-post-rejected"
    group = {
        **base,
        "recipientIds": f"{sandbox.recipient},{session.unknown_id('recipient')}",
        "message": "messaging-conformance: group message (must be refused)",
    }
    exchange = session.call("postMessage", PHASE, form=group, context={"expect": "invalid"})
    session.ledger.check(
        rule,
        expect_error(exchange, rule, 400, ("INVALID_BODY",), "postMessage with 2 recipientIds"),
    )


def delete(session: Session) -> None:
    """Delete the disposable channel, then it must be gone (404 NOT_FOUND)."""
    rule, channel = "delete.channel", session.profile.disposable_channel
    if channel is None or not session.has("deleteChannelById"):
        session.ledger.skip(
            rule,
            "the profile names no disposable_channel"
            if channel is None
            else "deleteChannelById is not in the manifest",
        )
        return
    path = {"providerChannelId": channel}
    exchange = session.call("deleteChannelById", PHASE, path, context={"expect": "deleted"})
    if exchange is None:
        return
    body = exchange.response.json() if exchange.response and exchange.response.is_json else None
    if not (
        exchange.response
        and exchange.response.status == 200
        and isinstance(body, dict)
        and body.get("success") is True
    ):
        session.ledger.check(
            rule,
            [
                Finding(
                    rule,
                    f"deleteChannelById of {channel!r}: got "
                    f"{describe(exchange)}, expected 200 "
                    '{"success": true}',
                    "deleteChannelById",
                    exchange,
                )
            ],
        )
        return
    after = session.call("getConversations", PHASE, path, context={"expect": "not_found"})
    session.ledger.check(
        rule,
        expect_error(
            after, rule, 404, ("NOT_FOUND",), f"getConversations after deleting {channel!r}"
        ),
    )
