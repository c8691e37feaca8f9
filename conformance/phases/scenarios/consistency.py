"""Cross-endpoint consistency: what one endpoint lists, the by-id endpoints must find.

Pipedrive opens conversations it listed, fetches avatars of participants flagged for it and
refreshes expiring attachment links by message id; each of those lookups is replayed here,
tagged with the list's copy of what it looks up, and judged by
`conformance.checks.flows.judge_lookups` (the same id, and both views agree).

Stage: phases.
"""

from __future__ import annotations

from typing import Any

from conformance.checks.agreement import listed_conversation, listed_message
from conformance.model import Exchange
from conformance.phases.scenarios.session import Seen, Session

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
        session.cannot_gather(rule, "getConversations listed no conversation")
        return
    what = "getConversationById of listed conversation"
    listed = session.seen.conversations
    _lookups(
        session,
        [
            (
                "getConversationById",
                {"sourceConversationId": c},
                {**_want(rule, c, what), "listed": listed_conversation(listed[c])},
            )
            for c in ids
        ],
    )


def sender_ids(seen: Seen) -> list[str]:
    """Who getSenderById is asked about: every participant flagged for an avatar, and on
    every run the source_user and one end_user (a provider whose participants carry no
    flags is still read, so its answers are judged by response.schema too)."""
    ids = seen.avatar_participants[:MAX_LOOKUPS]
    for role in ("source_user", "end_user"):
        of_role = [p for p, v in seen.participants.items() if v.get("role") == role]
        if of_role and not set(of_role) & set(ids):
            ids.append(of_role[0])
    return ids


def senders(session: Session) -> None:
    rule = "consistency.sender-by-id"
    if not session.has("getSenderById"):
        session.cannot_gather(rule, session.unbound("getSenderById"))
        return
    ids = sender_ids(session.seen)
    if not ids:
        session.cannot_gather(rule, "no participant was seen to look up")
        return
    what = "getSenderById of participant"
    _lookups(session, [("getSenderById", {"senderId": p}, _want(rule, p, what)) for p in ids])


def messages(session: Session) -> None:
    rule = "consistency.message-by-id"
    if not session.has("getMessageById"):
        session.cannot_gather(rule, session.unbound("getMessageById"))
        return
    keys = session.seen.expiring_messages[:MAX_LOOKUPS]
    keys += [k for k in list(session.seen.messages)[:5] if k not in keys]
    if not keys:
        session.cannot_gather(rule, "no message was seen to look up")
        return
    what = "getMessageById of message"
    seen = session.seen
    _lookups(
        session,
        [
            (
                "getMessageById",
                {"sourceConversationId": cid, "sourceMessageId": mid},
                {
                    **_want(rule, mid, what),
                    "listed": listed_message(
                        seen.conversations.get(cid, {}), seen.messages[(cid, mid)]
                    ),
                },
            )
            for cid, mid in keys
        ],
    )


def plain_reads(session: Session) -> None:
    """One valid read of the endpoints no lookup reaches (getTemplates): so their 200 bodies
    are judged (schema, envelope, size) even in a run without fuzzing."""
    if session.has("getTemplates"):
        session.call("getTemplates", "reads")
