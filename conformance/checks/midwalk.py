"""Cursors that hold while the inbox moves: a message posted between two pages of a walk.

In a live inbox messages keep arriving while Pipedrive pages through older ones. A cursor
that is an offset repeats a message on the next page each time a new one arrives on top;
a conversation list sorted by recent activity repeats or skips conversations when one of
them gets a message. The scenario (conformance.phases.scenarios.pagination.mid_walk) reads a full
copy before, walks at a small limit with a post to the sandbox conversation after the
first page, and reads a full copy after; every exchange is tagged with `context["probe"]`
("conversations" or "messages") and `context["read"]` ("before", "during", "post",
"after"). The judgement, per probe:

- the walk during the post ends, never repeats an item (a message of the first page may
  not come again) and is well formed, as any walk; a probe may have several such walks in
  progress around its one post (each named by its `context["walk"]`);
- it skips nothing that did not move: a message the conversation showed before and after,
  a conversation that showed the same messages before and after. What moved (the sandbox
  conversation, the new message) may be missed; that is not a fault.

Stage: checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance.checks.evidence import data_of, describe, dicts, is_2xx, unanswered
from conformance.checks.walks import (
    CURSOR_WALK,
    MESSAGES_CURSOR,
    Walk,
    read_conversation_walk,
    read_message_walk,
    walk_findings,
)
from conformance.model import Exchange, Finding
from conformance.text import excerpt

STEP = "mid-walk"
PROBES = {"conversations": CURSOR_WALK, "messages": MESSAGES_CURSOR}
READS = ("before", "during", "post", "after")


def judge_mid_walk(exchanges: Sequence[Exchange]) -> dict[str, list[Finding] | str | None]:
    """Each probe's rule: findings, a reason it could not be judged, or None."""
    result: dict[str, list[Finding] | str | None] = {}
    for probe, rule in PROBES.items():
        group = [e for e in exchanges if e.context.get("probe") == probe]
        if group:
            result[rule] = _judge_probe(probe, group)
    return result


def _judge_probe(probe: str, group: list[Exchange]) -> list[Finding] | str | None:
    """All walks of one probe (each named by `context["walk"]`) around its one post."""
    reads = {read: [e for e in group if e.context.get("read") == read] for read in READS}
    labels = list(dict.fromkeys(str(e.context.get("walk")) for e in reads["during"]))
    outcomes = [
        _judge_walk(
            probe,
            label,
            [e for e in reads["during"] if str(e.context.get("walk")) == label],
            reads["post"],
            reads["before"],
            reads["after"],
        )
        for label in labels
    ]
    judged = [o for o in outcomes if isinstance(o, list)]
    if judged:
        return [finding for findings in judged for finding in findings]
    return next((o for o in outcomes if isinstance(o, str)), None)


def _judge_walk(
    probe: str,
    label: str,
    pages: list[Exchange],
    posts: list[Exchange],
    before: list[Exchange],
    after: list[Exchange],
) -> list[Finding] | str | None:
    if probe == "messages":
        conversation = pages[0].context.get("conversation")
        name = f"messages of {excerpt(conversation, 40)} with messages_limit={label}"
        read = read_message_walk
    else:
        name = f"walk with conversations_limit={label}"
        read = read_conversation_walk
    during = read(label, pages)
    if during is None:
        return None  # cut short by a 429 or a lost answer, or a broken first page
    if len(during.pages) < 2 and during.broken is None:
        return f"the {name} ended on its first page: no page came after a post to judge"
    if not posts:
        return None  # the post was refused by the policy or never answered
    name += " and a message posted after page 1"
    post = posts[0]
    if unanswered(post):
        return None
    if not is_2xx(post):
        return (
            f"the post to the sandbox conversation between two pages got {describe(post)}: "
            "a walk with a message arriving mid-walk could not be judged"
        )
    operation = "getConversations" if probe == "conversations" else "getConversationById"
    noun = "conversation" if probe == "conversations" else "message"
    findings = walk_findings(during, noun, operation, lambda _: name)
    full = read("before", before), read("after", after)
    if during.ended and all(w is not None and w.ended for w in full):
        findings += _skipped(probe, name, during, before, after)
    return findings


def _fingerprints(pages: list[Exchange]) -> dict[str, tuple[Any, ...]]:
    """conversation id -> the message ids it showed: what says it did not move."""
    out: dict[str, tuple[Any, ...]] = {}
    for page in pages:
        data = data_of(page)
        for conversation in dicts(data if isinstance(data, list) else []):
            messages = tuple(m.get("id") for m in dicts(conversation.get("messages")))
            out.setdefault(str(conversation.get("id")), messages)
    return out


def _message_ids(pages: list[Exchange]) -> list[Any]:
    walk = read_message_walk("full", pages)
    return walk.ids if walk is not None else []


def _skipped(
    probe: str, name: str, during: Walk, before: list[Exchange], after: list[Exchange]
) -> list[Finding]:
    """What the walk during the post missed, of what did not move between before and after."""
    returned = set(during.ids)
    if probe == "conversations":
        then, now = _fingerprints(before), _fingerprints(after)
        kept = [cid for cid, shown in then.items() if now.get(cid) == shown]
        why = "which did not move (it showed the same messages before and after the walk)"
        noun, operation = "conversation", "getConversations"
    else:
        now_ids = set(_message_ids(after))
        kept = [mid for mid in _message_ids(before) if mid in now_ids]
        why = "which the conversation showed before and after the walk"
        noun, operation = "message", "getConversationById"
    missed = [item for item in kept if item not in returned]
    if not missed:
        return []
    rule = PROBES[probe]
    message = f"{name} skipped {len(missed)} {noun}(s) {why}, e.g. {excerpt(missed[0], 40)}"
    return [Finding(rule, message, operation, during.pages[-1])]
