"""Discovery and pagination walks: follow cursors, bounded, and hand the pages to the judges.

The first walk also discovers the ids every later scenario uses (the session's `Seen` learns
from every answer). Walks are bounded by page budgets, so a cursor that loops or never ends
becomes a finding (conformance.checks.walks), never a hang.

Stage: phases.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from conformance.checks.evidence import additional_of, data_of, dicts, next_cursor, status_of
from conformance.checks.midwalk import STEP as MID_WALK
from conformance.checks.walks import CURSOR_WALK, EMPTY_PAGE_BUDGET, MESSAGES_CURSOR
from conformance.model import Exchange
from conformance.phases.scenarios.session import Session

PAGE_BUDGET = 1000  # pages of one walk: 30,000 conversations at the default limit
WALKS = "conversation-walks"
PAGING = "message-paging"


def _pages(
    session: Session,
    operation: str,
    step: str,
    path: dict[str, str] | None,
    query: dict[str, Any],
    context: dict[str, Any],
    cursor_of: Any,
    items_of: Any,
    budget: int,
) -> Iterator[Exchange]:
    """Fetch pages while there is a cursor to follow, one has not repeated and budgets last;
    one at a time, so a scenario can act between two pages of a walk."""
    count = 0
    cursors: set[str] = set()
    after: str | None = None
    empty = 0
    while count < budget:
        exchange = session.call(
            operation,
            step,
            path,
            query={**query, **({"after": after} if after is not None else {})},
            context=context,
        )
        if exchange is None:
            return
        count += 1
        yield exchange
        if status_of(exchange) != 200 or data_of(exchange) is None:
            return  # a 429, an error or a broken page ends the walk; the judge reads why
        after = cursor_of(exchange)
        empty = empty + 1 if not items_of(exchange) else 0
        if after is None or after in cursors or empty >= EMPTY_PAGE_BUDGET:
            return
        cursors.add(after)


def _follow(*args: Any) -> list[Exchange]:
    """A whole walk (see `_pages`)."""
    return list(_pages(*args))


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
    if len(evidence) >= PAGE_BUDGET and _list_cursor(evidence[-1]) is not None:
        session.endless_list = (
            f"the conversation list did not end within {PAGE_BUDGET} pages at the default "
            "limit (its walk is judged), so it cannot be read whole before and after a post"
        )
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
        session.cannot_gather(
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


# -- a message arrives in the middle of a walk (writes: only to the sandbox) ---------------
MID_WALK_TEXT = "messaging-conformance: a message that arrives in the middle of a walk"
MID_WALK_CLAUSE = "a message posted while a walk is in progress"
MID_WALK_PAGES = 50  # pages the walk during the post aims at, however long the conversation
MID_WALK_LIST_PAGES = 200  # at most this many pages for a list walk during the post
MAX_LIMIT = 1000  # the largest conversations_limit / messages_limit the contract allows


def mid_walk(session: Session, rules: frozenset[str]) -> None:
    """For each selected rule: a full read, walks at small limits with one post to the
    sandbox conversation after their first pages, and a full read after (judged by
    conformance.checks.midwalk). Without a sandbox the clause is SKIPPED, said in the report."""
    sandbox = session.profile.sandbox
    if sandbox is None:
        why: str | None = "the profile names no sandbox conversation"
    elif not session.has("postMessage"):
        why = "postMessage is not in the manifest"
    else:
        why = None
    for rule in sorted(rules & {CURSOR_WALK, MESSAGES_CURSOR}):
        evidence: list[Exchange] = []
        reason = why or (session.endless_list if rule == CURSOR_WALK else None)
        if reason is None and rule == CURSOR_WALK:
            evidence = _conversations_mid_walk(session)
        elif reason is None:
            evidence, reason = _messages_mid_walk(session)
        if reason is not None:
            session.cannot_gather(rule, reason)
            session.adapted.append(f"{rule}: the clause '{MID_WALK_CLAUSE}' was SKIPPED: {reason}")
        else:
            session.conclude(MID_WALK, evidence)


def _list_cursor(exchange: Exchange) -> str | None:
    return next_cursor(additional_of(exchange).get("after"))


def _messages_cursor(exchange: Exchange) -> str | None:
    return next_cursor((data_of(exchange) or {}).get("next_messages_cursor"))


def _around_a_post(
    session: Session, probe: str, walks: list[Iterator[Exchange]], cursor_of: Any
) -> list[Exchange]:
    """The first page of every walk, one post to the sandbox conversation, then the rest of
    every walk: the message arrives while each walk is in progress. No post (no write) when
    no first page has a next page to read."""
    sandbox = session.profile.sandbox
    assert sandbox is not None
    evidence = [page for walk in walks for page in itertools.islice(walk, 1)]
    if not any(status_of(page) == 200 and cursor_of(page) for page in evidence):
        return evidence  # the judge says why: each walk ended on its first page
    form = {
        "conversationId": sandbox.conversation,
        "senderId": sandbox.sender,
        "recipientIds": sandbox.recipient,
        "message": MID_WALK_TEXT,
    }
    post = session.call(
        "postMessage", MID_WALK, form=form, context={"probe": probe, "read": "post"}
    )
    evidence += [post] if post is not None else []
    for walk in walks:
        evidence += list(walk)
    return evidence


def mid_walk_limits(listed: int, place: int | None) -> list[int]:
    """The conversations_limit of each list walk around the post, for a list of `listed`
    conversations with the sandbox at index `place` (None: not listed): one whose first
    page ends before the sandbox, one whose first page holds it; small pages, but never so
    many that a large inbox's walk outlasts its budget, and each with a second page."""
    least = min(max(1, -(-listed // MID_WALK_LIST_PAGES)), MAX_LIMIT)
    if place is None:
        wanted = [max(least, 7)]
    else:
        stops_before = max(least, min(place, 7))
        wanted = [max(least, place + 1)] + ([stops_before] if stops_before <= place else [])
    return sorted({n for n in wanted if n < listed and n <= MAX_LIMIT})


def _conversations_mid_walk(session: Session) -> list[Exchange]:
    """The list at the default limit; walks at small limits around one post; the list again.

    Where the sandbox conversation stands decides what a list sorted by activity does wrong,
    so two walks are in progress at once: one whose first page stops before it (a move to
    the top crosses that walk's cursor: an offset repeats a conversation) and one whose first
    page holds it (a move to the end pulls the next page back: an offset skips one).
    """
    sandbox = session.profile.sandbox
    assert sandbox is not None

    def walk(read: str, limit: int | None, budget: int) -> Iterator[Exchange]:
        query = {} if limit is None else {"conversations_limit": limit}
        context = {"probe": "conversations", "read": read, "walk": str(limit or "default")}
        return _pages(
            session,
            "getConversations",
            MID_WALK,
            None,
            query,
            context,
            _list_cursor,
            lambda e: data_of(e) or [],
            budget,
        )

    before = list(walk("before", None, PAGE_BUDGET))
    order = [str(c.get("id")) for page in before for c in dicts(data_of(page))]
    place = order.index(sandbox.conversation) if sandbox.conversation in order else None
    walks = [
        walk("during", limit, min(-(-len(order) // limit) + EMPTY_PAGE_BUDGET + 2, PAGE_BUDGET))
        for limit in mid_walk_limits(len(order), place)
    ]
    during = _around_a_post(session, "conversations", walks, _list_cursor)
    return before + during + list(walk("after", None, PAGE_BUDGET))


def _messages_mid_walk(session: Session) -> tuple[list[Exchange], str | None]:
    """The sandbox conversation read in full, walked at a small limit around a post, and
    read in full again; or why it could not be paged."""
    sandbox = session.profile.sandbox
    assert sandbox is not None
    cid = sandbox.conversation

    def walk(read: str, limit: int, budget: int) -> Iterator[Exchange]:
        context = {"probe": "messages", "read": read, "conversation": cid, "walk": str(limit)}
        return _pages(
            session,
            "getConversationById",
            MID_WALK,
            {"sourceConversationId": cid},
            {"messages_limit": limit},
            context,
            _messages_cursor,
            lambda e: dicts((data_of(e) or {}).get("messages")),
            budget,
        )

    before = list(walk("before", 30, PAGE_BUDGET))
    if not before or status_of(before[0]) != 200:
        shown = status_of(before[0]) if before else "no answer"
        return [], f"reading the sandbox conversation {cid!r} got {shown}"
    count = sum(len(dicts((data_of(p) or {}).get("messages"))) for p in before)
    if count < 2:
        return [], f"the sandbox conversation {cid!r} has fewer than 2 messages to page"
    limit = min(max(1 if count == 2 else 2, -(-count // MID_WALK_PAGES)), MAX_LIMIT)
    budget = min(-(-(count + 1) // limit) + EMPTY_PAGE_BUDGET + 2, PAGE_BUDGET)
    during = _around_a_post(session, "messages", [walk("during", limit, budget)], _messages_cursor)
    return before + during + list(walk("after", 30, PAGE_BUDGET)), None
