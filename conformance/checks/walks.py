"""Cursor walks, judged from the pages a scenario fetched (evidence in, findings out).

A walk is the run of exchanges that share `context["walk"]` (and, for messages,
`context["conversation"]`), in the order they were sent. The scenario only follows cursors,
within budgets; everything about whether the walk was right is decided here, so the same
judgement serves a live run and the offline re-judging of a recorded one.

Stage: checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.checks.evidence import additional_of, data_of, dicts, next_cursor, unanswered
from conformance.model import Exchange, Finding
from conformance.text import excerpt

CURSOR_WALK = "pagination.cursor-walk"
MESSAGES_CURSOR = "pagination.messages-cursor"
# Pages that stay empty yet still carry a cursor: past this many in a row the walk "never ends".
EMPTY_PAGE_BUDGET = 3


@dataclass
class Walk:
    """What one walk's pages show, read from its exchanges."""

    label: str
    pages: list[Exchange]
    items: list[list[Any]] = field(default_factory=list)  # ids per page
    cursors: list[str | None] = field(default_factory=list)  # the cursor each page gave
    broken: Exchange | None = None  # a later page that did not have the expected shape

    @property
    def ids(self) -> list[Any]:
        return [i for page in self.items for i in page]

    @property
    def ended(self) -> bool:
        return self.broken is None and bool(self.cursors) and self.cursors[-1] is None

    def never_ends(self) -> str | None:
        """Why the walk was stopped with a cursor still to follow, or None."""
        if self.broken is not None or not self.cursors or self.cursors[-1] is None:
            return None
        given = [c for c in self.cursors if c is not None]
        if len(set(given)) < len(given):
            return f"cursor {excerpt(given[-1], 40)} repeated"
        empty = 0
        for page in reversed(self.items):
            if page:
                break
            empty += 1
        if empty >= EMPTY_PAGE_BUDGET:
            return f"{empty} empty pages in a row still carried a cursor"
        return f"no end after {len(self.pages)} pages"


def _groups(exchanges: Sequence[Exchange], *keys: str) -> dict[tuple[Any, ...], list[Exchange]]:
    groups: dict[tuple[Any, ...], list[Exchange]] = {}
    for exchange in exchanges:
        groups.setdefault(tuple(exchange.context.get(k) for k in keys), []).append(exchange)
    return groups


def _read_walk(
    label: str,
    pages: Sequence[Exchange],
    shape: type,
    items_of: Callable[[Any], list[Any]],
    cursor_of: Callable[[Exchange, Any], str | None],
) -> Walk | None:
    """The walk the pages show; None when it cannot be judged: cut short by a 429 or a lost
    response (judged apart), or a first page without the expected shape (the exchange
    checks say what is wrong with it)."""
    if not pages or any(unanswered(p) for p in pages) or not isinstance(data_of(pages[0]), shape):
        return None
    walk = Walk(label, list(pages))
    for page in pages:
        data = data_of(page)
        if not isinstance(data, shape):
            walk.broken = page
            break
        walk.items.append(items_of(data))
        walk.cursors.append(cursor_of(page, data))
    return walk


def read_conversation_walk(label: str, pages: Sequence[Exchange]) -> Walk | None:
    return _read_walk(
        label,
        pages,
        list,
        lambda data: [str(c.get("id")) for c in dicts(data)],
        lambda page, data: next_cursor(additional_of(page).get("after")),
    )


def _walk_name(label: str) -> str:
    return f"walk with conversations_limit={label}"


def judge_conversation_walks(exchanges: Sequence[Exchange]) -> dict[str, list[Finding] | None]:
    """Each walk ends, never repeats a conversation, and all walks see the same conversations."""
    walks = [
        read_conversation_walk(str(label), pages)
        for (label,), pages in _groups(exchanges, "walk").items()
    ]
    judged = [w for w in walks if w is not None]
    if not judged:
        return {CURSOR_WALK: None}
    findings: list[Finding] = []
    for walk in judged:
        findings += walk_findings(walk, "conversation", "getConversations", _walk_name)
    complete = [w for w in judged if w.ended]
    findings += _coverage_findings(complete)
    return {CURSOR_WALK: findings}


def walk_findings(walk: Walk, noun: str, operation: str, name: Any) -> list[Finding]:
    rule = CURSOR_WALK if operation == "getConversations" else MESSAGES_CURSOR
    findings = []
    if walk.broken is not None:
        findings.append(
            Finding(
                rule,
                f"{name(walk.label)}: page {walk.pages.index(walk.broken) + 1} (after cursor "
                f"{excerpt(walk.cursors[-1] or '', 40)}) did not return the {noun} "
                f"{'list' if noun == 'conversation' else 'page'}",
                operation,
                walk.broken,
            )
        )
    repeat = _first_repeat(walk)
    if repeat is not None:
        item, page = repeat
        findings.append(
            Finding(
                rule,
                f"{name(walk.label)} returned {noun} {excerpt(item, 40)} more than once",
                operation,
                page,
            )
        )
    why = walk.never_ends()
    if why is not None:
        findings.append(
            Finding(rule, f"{name(walk.label)} never ends: {why}", operation, walk.pages[-1])
        )
    return findings


def _first_repeat(walk: Walk) -> tuple[Any, Exchange] | None:
    """The first id a walk returned again, and the page that repeated it."""
    seen: set[Any] = set()
    for page, items in zip(walk.pages, walk.items, strict=False):
        for item in items:
            if item in seen:
                return item, page
            seen.add(item)
    return None


def _coverage_findings(complete: list[Walk]) -> list[Finding]:
    """Every complete walk must see what every other complete walk saw, both ways."""
    findings = []
    for walk in complete:
        others = [w for w in complete if w is not walk]
        for other in others:
            missing = sorted(set(other.ids) - set(walk.ids))
            if missing:
                findings.append(
                    Finding(
                        CURSOR_WALK,
                        f"{_walk_name(walk.label)} missed {len(missing)} conversation(s) that "
                        f"the {_walk_name(other.label)} returned, e.g. {excerpt(missing[0], 40)}",
                        "getConversations",
                        walk.pages[-1],
                    )
                )
                break  # one finding per incomplete walk is enough to name it
    return findings


# -- messages of one conversation ---------------------------------------------------------
def read_message_walk(label: str, pages: Sequence[Exchange]) -> Walk | None:
    return _read_walk(
        label,
        pages,
        dict,
        lambda data: [m.get("id") for m in dicts(data.get("messages"))],
        lambda page, data: next_cursor(data.get("next_messages_cursor")),
    )


def judge_message_paging(exchanges: Sequence[Exchange]) -> dict[str, list[Finding] | None]:
    """Per conversation: each messages walk ends without repeats, and none loses messages.

    Losing messages is judged the way it shows: a walk that ended on a full page with no
    next_messages_cursor, while a walk with a larger messages_limit returned more messages.
    """
    findings: list[Finding] = []
    judged_any = False
    for (conversation,), group in _groups(exchanges, "conversation").items():
        walks = [
            read_message_walk(str(limit), pages)
            for (limit,), pages in _groups(group, "walk").items()
        ]
        judged = [w for w in walks if w is not None]
        judged_any = judged_any or bool(judged)

        def name(label: str, cid: Any = conversation) -> str:
            return f"messages of {excerpt(cid, 40)} with messages_limit={label}"

        for walk in judged:
            findings += walk_findings(walk, "message", "getConversationById", name)
        findings += _truncation_findings([w for w in judged if w.ended], name)
    return {MESSAGES_CURSOR: findings if judged_any else None}


def _truncation_findings(complete: list[Walk], name: Any) -> list[Finding]:
    findings = []
    for walk in complete:
        limit = int(walk.label) if walk.label.isdigit() else None
        last = walk.items[-1] if walk.items else []
        if limit is None or len(last) < limit:
            continue
        for other in complete:
            more = set(other.ids) - set(walk.ids)
            if other is not walk and more:
                findings.append(
                    Finding(
                        MESSAGES_CURSOR,
                        f"{name(walk.label)} ended on a full page of {len(last)} without "
                        f"next_messages_cursor after {len(set(walk.ids))} message(s), but "
                        f"messages_limit={other.label} returned {len(set(other.ids))}: "
                        "messages are lost",
                        "getConversationById",
                        walk.pages[-1],
                    )
                )
                break
    return findings
