"""Discovery and pagination walks: follow cursors to their end, bounded, and judge them.

The first walk also discovers the ids every later scenario uses. Walks are bounded by a page
budget, so a cursor that loops or never ends becomes a finding, never a hang.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.checks.text import excerpt
from conformance.model import Exchange, Finding
from conformance.scenarios.session import Session, data_of

PAGE_BUDGET = 1000  # pages of one walk: 30,000 conversations at the default limit
PHASE = "scenarios"


@dataclass
class Walk:
    """What one cursor walk saw; judged by `judge_conversation_walk`."""

    limit: int | None
    ids: list[str] = field(default_factory=list)
    pages: int = 0
    cursors: list[str] = field(default_factory=list)
    ended: bool = False
    broken: Exchange | None = None  # the page that was not a valid 2xx list
    aborted: bool = False  # a page could not be fetched (still rate limited): not judged
    last: Exchange | None = None


def next_cursor(body_after: Any) -> str | None:
    """The cursor to follow, or None at the end (absent, empty, or not a string)."""
    return body_after if isinstance(body_after, str) and body_after else None


def walk_conversations(session: Session, limit: int | None, budget: int = PAGE_BUDGET) -> Walk:
    walk = Walk(limit)
    after: str | None = None
    while walk.pages < budget:
        query: dict[str, Any] = {} if limit is None else {"conversations_limit": limit}
        if after is not None:
            query["after"] = after
        exchange = session.call(
            "getConversations", PHASE, query=query, context={"walk": "conversations"}
        )
        walk.pages += 1
        walk.last = exchange
        if exchange is None:
            walk.aborted = True
            return walk
        data = data_of(exchange)
        if not isinstance(data, list):
            walk.broken = exchange
            return walk
        for conversation in data:
            session.seen.add_conversation(conversation)
            if isinstance(conversation, dict):
                walk.ids.append(str(conversation.get("id")))
        body = exchange.response.json() if exchange.response else {}
        additional = body.get("additional_data") if isinstance(body, dict) else None
        after = next_cursor(additional.get("after") if isinstance(additional, dict) else None)
        if after is None or not data:
            walk.ended = True
            return walk
        if after in walk.cursors:
            walk.cursors.append(after)
            return walk
        walk.cursors.append(after)
    return walk


def judge_conversation_walk(walk: Walk, reference: set[str] | None) -> list[Finding] | None:
    """Ends, never repeats a conversation, and covers what another walk saw."""
    if walk.aborted:
        return None
    rule, op, ex = "pagination.cursor-walk", "getConversations", walk.last
    label = f"walk with conversations_limit={walk.limit if walk.limit else 'default'}"
    if walk.broken is not None and walk.pages > 1:
        return [
            Finding(
                rule,
                f"{label}: page {walk.pages} (cursor "
                f"{excerpt(walk.cursors[-1] if walk.cursors else '', 40)}) did not "
                "return a conversation list",
                op,
                walk.broken,
            )
        ]
    if walk.broken is not None:
        return None  # the first page failing is judged by the exchange checks
    findings = []
    repeated = sorted({i for i in walk.ids if walk.ids.count(i) > 1})
    if repeated:
        findings.append(
            Finding(
                rule,
                f"{label} returned conversation {excerpt(repeated[0], 40)} more than once",
                op,
                ex,
            )
        )
    if not walk.ended:
        why = (
            "a cursor repeated"
            if len(set(walk.cursors)) < len(walk.cursors)
            else f"no end after {walk.pages} pages"
        )
        findings.append(Finding(rule, f"{label} never ended: {why}", op, ex))
    elif reference is not None and walk.ended:
        missing = reference - set(walk.ids)
        if missing:
            findings.append(
                Finding(
                    rule,
                    f"{label} missed {len(missing)} conversation(s) "
                    f"another walk saw, e.g. {excerpt(sorted(missing)[0], 40)}",
                    op,
                    ex,
                )
            )
    return findings


def conversations(session: Session) -> None:
    """Walk the list at the default limit (discovery), then at small limits; compare."""
    ledger = session.ledger
    base = walk_conversations(session, None)
    ledger.check("pagination.cursor-walk", judge_conversation_walk(base, None))
    reference = set(base.ids) if base.ended and not base.broken and not base.aborted else None
    # Small pages cost a request each: a limit of 1 only for small channels, and each walk's
    # budget follows from how many conversations the first walk found (plus slack).
    limits = (1, 7) if len(base.ids) <= 100 else (7,)
    for limit in limits:
        if base.pages == 1 and len(base.ids) <= limit:
            continue
        budget = -(-len(base.ids) // limit) + 5 if reference is not None else PAGE_BUDGET
        walk = walk_conversations(session, limit, min(budget, PAGE_BUDGET))
        ledger.check("pagination.cursor-walk", judge_conversation_walk(walk, reference))


def messages(session: Session, limits: tuple[int, ...] = (5, 30)) -> None:
    """Follow next_messages_cursor of the conversation with the most to page through."""
    candidates = [
        cid
        for cid, c in session.seen.conversations.items()
        if next_cursor(c.get("next_messages_cursor"))
    ]
    if not candidates:
        session.ledger.skip(
            "pagination.messages-cursor", "no conversation had a next_messages_cursor to follow"
        )
        return
    cid = candidates[0]
    for limit in limits:
        session.ledger.check("pagination.messages-cursor", judge_messages_walk(session, cid, limit))


def judge_messages_walk(session: Session, cid: str, limit: int) -> list[Finding] | None:
    rule, op = "pagination.messages-cursor", "getConversationById"
    path = {"sourceConversationId": cid}
    first = session.call(op, PHASE, path, query={"messages_limit": limit})
    data = data_of(first)
    if not isinstance(data, dict):
        return None  # the first page failing is judged by the exchange checks
    seen_ids = [m.get("id") for m in data.get("messages") or [] if isinstance(m, dict)]
    cursor, cursors, last = next_cursor(data.get("next_messages_cursor")), [], first
    for _ in range(PAGE_BUDGET):
        if cursor is None:
            return []
        if cursor in cursors:
            return [
                Finding(
                    rule,
                    f"messages cursor of {excerpt(cid, 40)} repeated {excerpt(cursor, 40)}",
                    op,
                    last,
                )
            ]
        cursors.append(cursor)
        last = session.call(op, PHASE, path, query={"messages_limit": limit, "after": cursor})
        if last is None:
            return None  # still rate limited: cannot judge this walk
        page = data_of(last)
        if not isinstance(page, dict):
            return [
                Finding(
                    rule,
                    f"following next_messages_cursor of {excerpt(cid, 40)} "
                    "did not return the conversation",
                    op,
                    last,
                )
            ]
        for message in page.get("messages") or []:
            if not isinstance(message, dict):
                continue
            session.seen.add_conversation({"id": cid, "messages": [message]})
            if message.get("id") in seen_ids:
                return [
                    Finding(
                        rule,
                        f"page after cursor {excerpt(cursor, 40)} repeated "
                        f"message {excerpt(message.get('id'), 40)}",
                        op,
                        last,
                    )
                ]
            seen_ids.append(message.get("id"))
        if not page.get("messages"):
            return []
        cursor = next_cursor(page.get("next_messages_cursor"))
    return [
        Finding(
            rule,
            f"messages cursor of {excerpt(cid, 40)} did not end within {PAGE_BUDGET} pages",
            op,
            last,
        )
    ]
