"""Discovery and pagination walks: follow cursors, bounded, and hand the pages to the judges.

The first walk also discovers the ids every later scenario uses (the session's `Seen` learns
from every answer). Walks are bounded by page budgets, so a cursor that loops or never ends
becomes a finding (conformance.checks.walks), never a hang.
"""

from __future__ import annotations

from typing import Any

from conformance.checks.evidence import additional_of, data_of, dicts, next_cursor, status_of
from conformance.checks.walks import EMPTY_PAGE_BUDGET
from conformance.model import Exchange
from conformance.scenarios.session import Session

PAGE_BUDGET = 1000  # pages of one walk: 30,000 conversations at the default limit
WALKS = "conversation-walks"
PAGING = "message-paging"


def _follow(
    session: Session,
    operation: str,
    step: str,
    path: dict[str, str] | None,
    query: dict[str, Any],
    context: dict[str, Any],
    cursor_of: Any,
    items_of: Any,
    budget: int,
) -> list[Exchange]:
    """Fetch pages while there is a cursor to follow, one has not repeated and budgets last."""
    pages: list[Exchange] = []
    cursors: set[str] = set()
    after: str | None = None
    empty = 0
    while len(pages) < budget:
        exchange = session.call(
            operation,
            step,
            path,
            query={**query, **({"after": after} if after is not None else {})},
            context=context,
        )
        if exchange is None:
            break
        pages.append(exchange)
        if status_of(exchange) != 200 or data_of(exchange) is None:
            break  # a 429, an error or a broken page ends the walk; the judge reads why
        after = cursor_of(exchange)
        empty = empty + 1 if not items_of(exchange) else 0
        if after is None or after in cursors or empty >= EMPTY_PAGE_BUDGET:
            break
        cursors.add(after)
    return pages


def walk_conversations(session: Session, limit: int | None, budget: int) -> list[Exchange]:
    query = {} if limit is None else {"conversations_limit": limit}
    return _follow(
        session,
        "getConversations",
        WALKS,
        None,
        query,
        {"walk": "default" if limit is None else str(limit)},
        lambda e: next_cursor(additional_of(e).get("after")),
        lambda e: data_of(e) or [],
        budget,
    )


def conversations(session: Session, compare: bool = True) -> None:
    """Walk the list at the default limit (discovery), then at small limits; judge them all.

    Without `compare` only the discovery walk is made (its pages still judged as a walk).
    """
    evidence = walk_conversations(session, None, PAGE_BUDGET)
    found = len(session.seen.conversations)
    # Small pages cost a request each: a limit of 1 only for small channels, and each walk's
    # budget follows from how many conversations the first walk found (plus slack).
    limits = ((1, 7) if found <= 100 else (7,)) if compare else ()
    for limit in limits:
        if len(evidence) == 1 and found <= limit:
            continue
        budget = min(-(-found // limit) + EMPTY_PAGE_BUDGET + 2, PAGE_BUDGET)
        evidence += walk_conversations(session, limit, budget)
    session.conclude(WALKS, evidence)


def walk_messages(session: Session, cid: str, limit: int, budget: int) -> list[Exchange]:
    return _follow(
        session,
        "getConversationById",
        PAGING,
        {"sourceConversationId": cid},
        {"messages_limit": limit},
        {"conversation": cid, "walk": str(limit)},
        lambda e: next_cursor((data_of(e) or {}).get("next_messages_cursor")),
        lambda e: dicts((data_of(e) or {}).get("messages")),
        budget,
    )


def messages(session: Session) -> None:
    """Page messages one at a time and in larger pages, and compare what each walk returned.

    The smallest conversation with 2+ messages is read with messages_limit=1 and 30 (a
    provider that cuts a page to the limit without a cursor loses messages: the walks then
    disagree); the conversation with the most to page through is followed at 5 and 30.
    """
    counts = session.seen.message_counts
    several = sorted((n, cid) for cid, n in counts.items() if n >= 2)
    if not several:
        session.ledger.skip(
            "pagination.messages-cursor", "no conversation has 2 or more messages to page through"
        )
        return
    evidence: list[Exchange] = []
    smallest = several[0][1]
    budget = 2 * max(counts[smallest], 2) + EMPTY_PAGE_BUDGET + 2
    for limit in (1, 30):
        evidence += walk_messages(session, smallest, limit, budget)
    paged = sorted(session.seen.paged) or [max(several)[1]]
    largest = max(paged, key=lambda cid: (counts.get(cid, 0), cid))
    if largest != smallest:
        for limit in (5, 30):
            evidence += walk_messages(session, largest, limit, PAGE_BUDGET)
    session.conclude(PAGING, evidence)
