"""Cross-endpoint consistency: what one endpoint lists, the by-id endpoints must find.

Pipedrive opens conversations it listed, fetches avatars of participants flagged for it and
refreshes expiring attachment links by message id; each of those lookups is replayed here
and judged by `conformance.checks.flows.judge_lookups`.
"""

from __future__ import annotations

from typing import Any

from conformance.model import Exchange
from conformance.scenarios.session import Session

STEP = "lookups"
MAX_LOOKUPS = 60


def _lookups(session: Session, jobs: list[tuple[str, dict[str, str], dict[str, Any]]]) -> None:
    def one(job: tuple[str, dict[str, str], dict[str, Any]]) -> Exchange | None:
        operation, path, context = job
        return session.call(operation, STEP, path, context=context)

    session.conclude(STEP, session.parallel(one, jobs, session.workers))


def _want(rule: str, want: str, what: str) -> dict[str, Any]:
    return {"rule": rule, "want": want, "what": what}


def conversations(session: Session) -> None:
    rule = "consistency.conversation-by-id"
    ids = list(session.seen.conversations)[:MAX_LOOKUPS]
    if not ids:
        session.ledger.skip(rule, "getConversations listed no conversation")
        return
    what = "getConversationById of listed conversation"
    _lookups(
        session,
        [("getConversationById", {"sourceConversationId": c}, _want(rule, c, what)) for c in ids],
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
    what = "getSenderById of participant"
    _lookups(session, [("getSenderById", {"senderId": p}, _want(rule, p, what)) for p in ids])


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
    what = "getMessageById of message"
    _lookups(
        session,
        [
            (
                "getMessageById",
                {"sourceConversationId": cid, "sourceMessageId": mid},
                _want(rule, mid, what),
            )
            for cid, mid in keys
        ],
    )


def plain_reads(session: Session) -> None:
    """One valid read of the endpoints no lookup reaches (getTemplates): so their 200 bodies
    are judged (schema, envelope, size) even in a run without fuzzing."""
    if session.has("getTemplates"):
        session.call("getTemplates", "reads")
