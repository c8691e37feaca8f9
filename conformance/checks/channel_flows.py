"""Multi-call judges of the vendor's Channels API calls: sequences and read-backs.

The other half of `conformance.checks.channels` (single calls): status sequences per message,
the wait after a 429, the simulator's read-backs of received messages, and whether posted
messages came back with a status. Pure functions over recorded exchanges, like every check.

Stage: checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from conformance.checks.channels import _RANK, _finding, accepted, body_of, check_status_move
from conformance.model import Exchange, Finding
from conformance.text import excerpt

# Scheduling noise allowed when judging a wait against Retry-After.
BACKOFF_TOLERANCE = 0.05


def check_status_forward(receives: Iterable[Exchange]) -> list[Finding] | None:
    """channels.status-forward over accepted receiveMessage calls in arrival order."""
    last: dict[str, str] = {}
    findings: list[Finding] = []
    judged = False
    for exchange in receives:
        body = body_of(exchange)
        if not accepted(exchange) or not isinstance(body, dict):
            continue
        message_id, status = body.get("id"), body.get("status")
        if not isinstance(message_id, str):
            continue
        found = check_status_move(exchange, last.get(message_id))
        if found is not None:
            judged = True
            findings += found
        if isinstance(status, str) and status in _RANK and not found:
            last[message_id] = status
    return findings if judged else None


def check_backoff(calls: Sequence[Exchange]) -> list[Finding] | None:
    """channels.backoff: after a 429 the vendor's next call waits Retry-After (or the reset).

    `calls` are every call the vendor made, in arrival order, with `context["at"]` in seconds.
    None when no 429 was followed by another call.
    """
    findings: list[Finding] = []
    judged = False
    for limited, following in zip(calls, calls[1:], strict=False):
        if limited.response is None or limited.response.status != 429:
            continue
        judged = True
        wait = _retry_wait(limited.response.headers)
        waited = float(following.context.get("at", 0.0)) - float(limited.context.get("at", 0.0))
        if waited + BACKOFF_TOLERANCE < wait:
            findings.append(
                _finding(
                    "channels.backoff",
                    f"called {following.operation} {waited:.2f} s after a 429 that asked to "
                    f"wait {wait:g} s",
                    following,
                )
            )
    return findings if judged else None


def _retry_wait(headers: Mapping[str, str]) -> float:
    for name in ("retry-after", "x-ratelimit-reset"):
        try:
            return max(0.0, float(headers[name]))
        except (KeyError, ValueError):
            continue
    return 0.0


# -- the choreography's read-backs ---------------------------------------------------------
def conversation_of(exchanges: Iterable[Exchange]) -> dict[str, Any] | None:
    """The conversation getConversationById returned, its message pages merged."""
    merged: dict[str, Any] | None = None
    for exchange in exchanges:
        response = exchange.response
        if response is None or response.status != 200 or not response.is_json:
            continue
        body = response.json()
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            continue
        if merged is None:
            merged = {**data, "messages": []}
        messages = data.get("messages")
        merged["messages"] += (
            [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []
        )
    return merged


def participant_ids(conversation: Mapping[str, Any]) -> list[Any]:
    participants = conversation.get("participants")
    if not isinstance(participants, list):
        return []
    return [p.get("id") for p in participants if isinstance(p, dict)]


def check_receive_participant(
    received: Exchange, reads: Sequence[Exchange]
) -> list[Finding] | None:
    """channels.receive-participant: the read-back conversation has exactly two participants
    and the sender is one of them. None when the read-back did not succeed (that is a
    retrievability or manifest-side finding)."""
    body = body_of(received)
    conversation = conversation_of(reads)
    if not isinstance(body, dict) or conversation is None:
        return None
    ids = participant_ids(conversation)
    where = f"conversation {excerpt(body.get('conversation_id'), 60)}"
    if len(ids) != 2:
        problem = f"{where} read back with {len(ids)} participants, not 2"
    elif body.get("sender_id") not in ids:
        problem = (
            f"sender_id {excerpt(body.get('sender_id'), 60)} of message "
            f"{excerpt(body.get('id'), 60)} is not a participant of {where} "
            f"({', '.join(excerpt(i, 30) for i in ids)})"
        )
    else:
        return []
    return [_finding("channels.receive-participant", problem, received)]


def check_receive_retrievable(
    received: Exchange, reads: Sequence[Exchange], by_id: Exchange | None = None
) -> list[Finding] | None:
    """channels.receive-retrievable: the message reads back with the same sender and text.

    `reads` are the getConversationById pages, `by_id` the getMessageById exchange when the
    manifest has it. A sender who is not a participant is receive-participant's finding,
    so the sender is compared only when it is one.
    """
    body = body_of(received)
    if not isinstance(body, dict) or not reads:
        return None
    message_id = body.get("id")
    conversation = conversation_of(reads)
    label = f"message {excerpt(message_id, 60)}"
    if conversation is None:
        last = reads[-1]
        how = last.response.status if last.response is not None else last.error
        return [
            _finding(
                "channels.receive-retrievable",
                f"{label}: its conversation "
                f"{excerpt(body.get('conversation_id'), 60)} does not read back "
                f"through getConversationById ({how})",
                received,
            )
        ]
    problems = []
    participants = participant_ids(conversation)
    listed = next((m for m in conversation["messages"] if m.get("id") == message_id), None)
    if listed is None:
        problems.append("is not in its conversation read back through getConversationById")
    else:
        problems += _differences(body, listed, participants, "getConversationById")
    if by_id is not None:
        response = by_id.response
        served = response.json() if response is not None and response.is_json else None
        if response is None or response.status != 200 or not isinstance(served, dict):
            how = response.status if response is not None else by_id.error
            problems.append(f"does not read back through getMessageById ({how})")
        else:
            problems += _differences(body, served, participants, "getMessageById")
    return [_finding("channels.receive-retrievable", f"{label} {p}", received) for p in problems]


def _differences(
    sent: Mapping[str, Any], served: Mapping[str, Any], participants: list[Any], where: str
) -> list[str]:
    out = []
    if served.get("message") != sent.get("message"):
        out.append(
            f"reads back through {where} with text {excerpt(served.get('message'), 60)}, "
            f"not {excerpt(sent.get('message'), 60)}"
        )
    if sent.get("sender_id") in participants and served.get("sender_id") != sent.get("sender_id"):
        out.append(
            f"reads back through {where} with sender {excerpt(served.get('sender_id'), 40)}, "
            f"not {excerpt(sent.get('sender_id'), 40)}"
        )
    return out


def check_posted_status(
    posted: Mapping[str, Exchange], receives: Iterable[Exchange]
) -> list[Finding] | None:
    """channels.posted-status: each id postMessage returned comes back through receiveMessage.

    `posted` maps each id the vendor's postMessage returned to that postMessage exchange.
    """
    if not posted:
        return None
    reported = set()
    for exchange in receives:
        body = body_of(exchange)
        if accepted(exchange) and isinstance(body, dict):
            reported.add(body.get("id"))
    return [
        _finding(
            "channels.posted-status",
            f"message {excerpt(message_id, 60)} that postMessage returned never came back "
            "through receiveMessage with a status",
            exchange,
        )
        for message_id, exchange in posted.items()
        if message_id not in reported
    ]
