"""Two views of the same data agree: the list's copy and what a by-id endpoint returns.

Pipedrive shows a conversation from the list and opens it by id; it refreshes a message by
id. A provider that invents names, texts or timestamps on every call (or answers a
getMessageById with a sender who is no participant) shows the agent two different inboxes.
What may differ between two reads: a message's status (sent -> delivered -> read moves on),
a participant's name and avatar (refreshed). Nothing else that both views carry.

The scenario tags each lookup with the list's copy, projected to what is compared
(`listed_conversation`, `listed_message`), so the judge needs nothing but the exchange: the
same function judges a live run and a recorded one.

Stage: checks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from conformance.checks.evidence import dicts
from conformance.text import excerpt

# The fields of a message both views must agree on ("text" is the contract's `message`).
MESSAGE_FIELDS = ("sender_id", "message", "created_at")


def _message_view(message: dict[str, Any]) -> dict[str, Any]:
    return {name: message.get(name) for name in MESSAGE_FIELDS}


def listed_conversation(conversation: dict[str, Any]) -> dict[str, Any]:
    """What of the list's copy a by-id answer must repeat: participants and messages."""
    return {
        "participants": [
            [p.get("id"), p.get("role")] for p in dicts(conversation.get("participants"))
        ],
        "messages": {
            m["id"]: _message_view(m)
            for m in dicts(conversation.get("messages"))
            if isinstance(m.get("id"), str)
        },
    }


def listed_message(conversation: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """What a getMessageById answer must repeat, and who may have sent it."""
    return {
        **_message_view(message),
        "participants": [p.get("id") for p in dicts(conversation.get("participants"))],
    }


def _instant(value: Any) -> Any:
    """The moment a date-time names (the same instant may be spelt two ways), else itself."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return value
    return value


def _same(name: str, one: Any, other: Any) -> bool:
    return _instant(one) == _instant(other) if name == "created_at" else one == other


def _pairs(participants: Any) -> list[tuple[str, str]]:
    out = []
    for item in participants if isinstance(participants, list) else []:
        if isinstance(item, dict):
            item = [item.get("id"), item.get("role")]
        if isinstance(item, list | tuple) and len(item) == 2:
            out.append((str(item[0]), str(item[1])))
    return sorted(out)


def conversation_disagreements(listed: dict[str, Any], data: dict[str, Any]) -> list[str]:
    """How getConversationById's answer `data` contradicts the list's copy (empty: agrees).

    Participants are compared as (id, role) pairs, in any order; messages only where both
    views carry the same message id (pages of the two reads may differ).
    """
    problems = []
    want, got = _pairs(listed.get("participants")), _pairs(data.get("participants"))
    if want != got:
        problems.append(
            f"participants (id, role) {excerpt(got, 120)} where the list showed "
            f"{excerpt(want, 120)}"
        )
    messages = listed.get("messages") if isinstance(listed.get("messages"), dict) else {}
    for message in dicts(data.get("messages")):
        copy = messages.get(message.get("id"))
        if not isinstance(copy, dict):
            continue
        for name in MESSAGE_FIELDS:
            if not _same(name, message.get(name), copy.get(name)):
                problems.append(
                    f"message {excerpt(message.get('id'), 40)} has {name} "
                    f"{excerpt(message.get(name), 60)} where the list showed "
                    f"{excerpt(copy.get(name), 60)}"
                )
                break  # one difference names the message
    return problems


def message_disagreements(listed: dict[str, Any], data: dict[str, Any]) -> list[str]:
    """How getMessageById's answer contradicts the conversation's copy (empty: agrees)."""
    problems = []
    sender = data.get("sender_id")
    participants = listed.get("participants")
    if isinstance(participants, list) and sender not in participants:
        problems.append(
            f"sender_id {excerpt(sender, 40)} is no participant of the conversation "
            f"(participants: {excerpt(participants, 80)})"
        )
    for name in MESSAGE_FIELDS:
        if name in listed and not _same(name, data.get(name), listed[name]):
            problems.append(
                f"{name} {excerpt(data.get(name), 60)} where the conversation showed "
                f"{excerpt(listed[name], 60)}"
            )
    return problems
