"""The two-participant limit: Pipedrive's inbox only works for one-to-one conversations.

Judged on every conversation any exchange carries (lists and by-id), one finding per
offending conversation, naming it.

Stage: checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from conformance.checks.context import CheckContext
from conformance.checks.evidence import data_of
from conformance.inputs.contract import END_USER, SOURCE_USER
from conformance.model import Exchange, Finding
from conformance.text import excerpt


def conversations_in(exchange: Exchange) -> Iterator[dict[str, Any]]:
    """Conversations in a 200 body of getConversations or getConversationById.

    A conversation without a `participants` list is yielded too: it has no participants,
    which participants.exactly-two must fail (the other rules judge only real lists).
    """
    if exchange.operation not in ("getConversations", "getConversationById"):
        return
    data = data_of(exchange)
    for conversation in data if isinstance(data, list) else [data]:
        if isinstance(conversation, dict):
            yield conversation


def _per_conversation(
    rule: str, judge: Callable[[dict[str, Any]], str | None], *, needs_list: bool = True
) -> Callable[[Exchange, CheckContext], list[Finding] | None]:
    def check(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
        conversations = [
            c
            for c in conversations_in(exchange)
            if not needs_list or isinstance(c.get("participants"), list)
        ]
        if not conversations:
            return None
        findings = []
        for conversation in conversations:
            problem = judge(conversation)
            if problem:
                findings.append(
                    Finding(
                        rule,
                        f"conversation {excerpt(conversation.get('id'), 40)} {problem}",
                        exchange.operation,
                        exchange,
                    )
                )
        return findings

    check.__name__ = f"check_{rule.split('.')[1].replace('-', '_')}"
    return check


def _participants(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in conversation["participants"] if isinstance(p, dict)]


def _exactly_two(conversation: dict[str, Any]) -> str | None:
    participants = conversation.get("participants")
    if not isinstance(participants, list):
        shown = (
            "no participants list" if participants is None else "participants that is not a list"
        )
        return f"has {shown}: 0 participants; exactly 2 are supported"
    count = len(participants)
    return None if count == 2 else f"has {count} participants; exactly 2 are supported"


def _roles(conversation: dict[str, Any]) -> str | None:
    roles = [p.get("role") for p in _participants(conversation)]
    if roles.count(SOURCE_USER) == 1 and roles.count(END_USER) == 1:
        return None
    return f"has roles {excerpt(roles, 60)}; expected one source_user and one end_user"


def _unique_ids(conversation: dict[str, Any]) -> str | None:
    ids = [p.get("id") for p in _participants(conversation)]
    repeated = sorted({str(i) for i in ids if ids.count(i) > 1})
    return None if not repeated else f"repeats participant id {excerpt(repeated[0], 40)}"


def _sender_known(conversation: dict[str, Any]) -> str | None:
    ids = {p.get("id") for p in _participants(conversation)}
    messages = conversation.get("messages")
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict) and "sender_id" in message and message["sender_id"] not in ids:
            return (
                f"has message {excerpt(message.get('id'), 40)} from sender_id "
                f"{excerpt(message['sender_id'], 40)}, who is not a participant"
            )
    return None


check_exactly_two = _per_conversation("participants.exactly-two", _exactly_two, needs_list=False)
check_roles = _per_conversation("participants.roles", _roles)
check_unique_ids = _per_conversation("participants.unique-ids", _unique_ids)
check_sender_known = _per_conversation("participants.sender-known", _sender_known)
