"""Cross-endpoint consistency: what one endpoint lists, the by-id endpoints must find.

Pipedrive opens conversations it listed, fetches avatars of participants flagged for it and
refreshes expiring attachment links by message id; each of those lookups is replayed here.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from conformance.checks.text import excerpt
from conformance.model import Finding
from conformance.scenarios.session import Session, data_of, describe

PHASE = "scenarios"
MAX_LOOKUPS = 60


def _lookup(
    session: Session, operation: str, path: dict[str, str], want: str, rule: str, what: str
) -> list[Finding] | None:
    exchange = session.call(operation, PHASE, path, context={"expect": "found"})
    if exchange is None:
        return None
    data = data_of(exchange)
    if not isinstance(data, dict):
        return [
            Finding(
                rule,
                f"{what} {excerpt(want, 40)}: got {describe(exchange)}, expected 200 with it",
                operation,
                exchange,
            )
        ]
    if data.get("id") != want:
        return [
            Finding(
                rule,
                f"{what} {excerpt(want, 40)} returned id {excerpt(data.get('id'), 40)}",
                operation,
                exchange,
            )
        ]
    if operation == "getConversationById":
        session.seen.add_conversation(data)
    return []


def _run_all(session: Session, rule: str, jobs: list[tuple[Any, ...]]) -> None:
    def one(job: tuple[Any, ...]) -> list[Finding] | None:
        return _lookup(session, *job)

    with ThreadPoolExecutor(max_workers=max(1, session.workers)) as pool:
        for findings in pool.map(one, jobs):
            session.ledger.check(rule, findings)


def conversations(session: Session) -> None:
    rule = "consistency.conversation-by-id"
    ids = list(session.seen.conversations)[:MAX_LOOKUPS]
    if not ids:
        session.ledger.skip(rule, "getConversations listed no conversation")
        return
    _run_all(
        session,
        rule,
        [
            (
                "getConversationById",
                {"sourceConversationId": cid},
                cid,
                rule,
                "getConversationById of listed conversation",
            )
            for cid in ids
        ],
    )


def senders(session: Session) -> None:
    rule = "consistency.sender-by-id"
    ids = session.seen.avatar_participants[:MAX_LOOKUPS]
    if not ids:
        session.ledger.skip(rule, "no participant had fetch_avatar or avatar_expires")
        return
    if not session.has("getSenderById"):
        session.ledger.skip(rule, "getSenderById is not in the manifest")
        return
    _run_all(
        session,
        rule,
        [
            ("getSenderById", {"senderId": pid}, pid, rule, "getSenderById of participant")
            for pid in ids
        ],
    )


def messages(session: Session) -> None:
    rule = "consistency.message-by-id"
    if not session.has("getMessageById"):
        session.ledger.skip(rule, "getMessageById is not in the manifest")
        return
    keys = session.seen.expiring_messages[:MAX_LOOKUPS]
    keys += [k for k in list(session.seen.messages)[:5] if k not in keys]
    if not keys:
        session.ledger.skip(rule, "no message was seen to look up")
        return
    _run_all(
        session,
        rule,
        [
            (
                "getMessageById",
                {"sourceConversationId": cid, "sourceMessageId": mid},
                mid,
                rule,
                "getMessageById of message",
            )
            for cid, mid in keys
        ],
    )


def templates(session: Session) -> None:
    """Only records whether templates exist, for manifest.capability-endpoints."""
    if session.has("getTemplates"):
        data = data_of(session.call("getTemplates", PHASE))
        templates_ = data.get("templates") if isinstance(data, dict) else None
        session.seen.templates = bool(templates_)
