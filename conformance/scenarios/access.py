"""Who may see what: credentials, the suspended and forbidden fixtures, unknown ids.

Each request is otherwise valid (real ids from discovery) so that the one thing wrong with
it, the credential or the id, is what the provider must answer to.
"""

from __future__ import annotations

from conformance.contract import ENDPOINT_VARIABLES
from conformance.scenarios.session import Session, expect_error

PHASE = "scenarios"
READ_OPERATIONS = (
    "getConversations",
    "getConversationById",
    "getSenderById",
    "getTemplates",
    "getMessageById",
)


def _operations(session: Session) -> list[str]:
    return [op for op in ENDPOINT_VARIABLES if session.has(op)]


def _side_effect_args(session: Session, operation: str) -> dict[str, object] | None:
    """Path and form for postMessage/deleteChannelById where the profile allows them."""
    profile = session.profile
    if operation == "postMessage":
        if profile.sandbox is None:
            return None
        return {
            "form": {
                "conversationId": profile.sandbox.conversation,
                "senderId": profile.sandbox.sender,
                "recipientIds": profile.sandbox.recipient,
                "message": "messaging-conformance auth probe (must be refused)",
            }
        }
    if operation == "deleteChannelById":
        if profile.disposable_channel is None:
            return None
        return {"path": {"providerChannelId": profile.disposable_channel}}
    return {}


def auth(session: Session) -> None:
    """No header, wrong secret, wrong id: every operation must answer 401 UNAUTHORIZED."""
    ids = session.sample_ids()
    cases = (
        ("none", "auth.required", "no Authorization header"),
        ("wrong-secret", "auth.wrong-credentials", "wrong client secret"),
        ("wrong-id", "auth.wrong-credentials", "wrong client id"),
    )
    for operation in _operations(session):
        extra = _side_effect_args(session, operation)
        if extra is None:
            continue
        path = {**ids, **extra.get("path", {})}  # type: ignore[dict-item]
        for mode, rule, what in cases:
            exchange = session.call(
                operation,
                PHASE,
                path,
                form=extra.get("form"),
                auth=mode,
                context={"expect": "unauthorized"},
            )
            session.ledger.check(
                rule,
                expect_error(exchange, rule, 401, ("UNAUTHORIZED",), f"{operation} with {what}"),
            )


def fixtures(session: Session) -> None:
    """Suspended account: 401 ACCOUNT_SUSPENDED; another account's channel: 403 FORBIDDEN."""
    ids = session.sample_ids()
    for fixture, rule, status, code in (
        ("suspended_channel", "auth.account-suspended", 401, "ACCOUNT_SUSPENDED"),
        ("forbidden_channel", "error.forbidden", 403, "FORBIDDEN"),
    ):
        channel = getattr(session.profile, fixture)
        if channel is None:
            session.ledger.skip(rule, f"the profile names no fixtures.{fixture}")
            continue
        for operation in READ_OPERATIONS:
            if not session.has(operation):
                continue
            path = {**ids, "providerChannelId": channel}
            exchange = session.call(operation, PHASE, path, context={"fixture": fixture})
            session.ledger.check(
                rule,
                expect_error(
                    exchange, rule, status, (code,), f"{operation} on {fixture} {channel!r}"
                ),
            )


def unknown_ids(session: Session) -> None:
    """An id the provider cannot hold gets 404 NOT_FOUND, never an empty 200."""
    ids = session.sample_ids()
    channel = session.unknown_id("channel")
    for operation in READ_OPERATIONS:
        if session.has(operation):
            exchange = session.call(
                operation,
                PHASE,
                {**ids, "providerChannelId": channel},
                context={"expect": "not_found"},
            )
            session.ledger.check(
                "notfound.channel",
                expect_error(
                    exchange,
                    "notfound.channel",
                    404,
                    ("NOT_FOUND",),
                    f"{operation} with unknown providerChannelId",
                ),
            )
    probes = (
        ("getConversationById", "sourceConversationId", "notfound.conversation"),
        ("getSenderById", "senderId", "notfound.sender"),
        ("getMessageById", "sourceMessageId", "notfound.message"),
    )
    for operation, variable, rule in probes:
        if not session.has(operation):
            session.ledger.skip(rule, f"{operation} is not in the manifest")
            continue
        exchange = session.call(
            operation,
            PHASE,
            {**ids, variable: session.unknown_id(variable)},
            context={"expect": "not_found"},
        )
        session.ledger.check(
            rule,
            expect_error(
                exchange, rule, 404, ("NOT_FOUND",), f"{operation} with unknown {variable}"
            ),
        )
