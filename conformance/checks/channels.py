"""Pure judges of the vendor's calls to Pipedrive's Channels API (the `channels.*` rules).

The simulator records every call the vendor's app makes as an `Exchange` (operation
addChannel, receiveMessage, deleteChannel or deleteConversation; `context["auth"]` says how
the bearer token looked, `context["at"]` when the call arrived, `context["path"]` the ids in
the URL) and hands these functions what it knows: the channels registered so far, the ids
Pipedrive returned, the callbacks it made. They return findings (a list, empty when the rule
held) or None when the rule does not apply, exactly like the manifest-side checks.

Facts: ../shared/CHANNELS.md and Pipedrive's spec (upstream/pipedrive-channels-api.yaml).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from conformance.checks.text import excerpt
from conformance.model import Exchange, Finding

PROVIDER_TYPES = ("facebook", "whatsapp", "other")
STATUSES = ("sent", "delivered", "read", "failed")
# Forward order; failed is final and may follow any status.
_RANK = {"sent": 0, "delivered": 1, "read": 2, "failed": 3}
RECEIVE_REQUIRED = ("id", "channel_id", "sender_id", "conversation_id", "message", "status")
# The docs' "YYYY-MM-DD HH:MM" (UTC by definition), or an RFC 3339 date-time in UTC.
_DOCS_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
# Scheduling noise allowed when judging a wait against Retry-After.
BACKOFF_TOLERANCE = 0.05


# -- reading a recorded call ---------------------------------------------------------------
def body_of(exchange: Exchange) -> Any:
    """The vendor's JSON body, or None when there is none or it is not JSON."""
    raw = exchange.request.body
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def named_channel(exchange: Exchange) -> str | None:
    """The channel id a call names: receiveMessage's channel_id, a delete's path id."""
    if exchange.operation == "receiveMessage":
        body = body_of(exchange)
        value = body.get("channel_id") if isinstance(body, dict) else None
        return value if isinstance(value, str) else None
    if exchange.operation in ("deleteChannel", "deleteConversation"):
        return exchange.context.get("path", {}).get("channel_id")
    return None


def accepted(exchange: Exchange) -> bool:
    return exchange.response is not None and exchange.response.status == 200


def authenticated(exchange: Exchange) -> bool:
    return exchange.context.get("auth") == "bearer"


def _finding(rule: str, message: str, exchange: Exchange | None) -> Finding:
    return Finding(rule, message, exchange.operation if exchange else "", exchange)


# -- single calls --------------------------------------------------------------------------
def check_auth(exchange: Exchange) -> list[Finding]:
    """channels.auth: every call carries the profile's bearer token."""
    how = exchange.context.get("auth")
    if how == "bearer":
        return []
    what = "no Authorization header" if how == "missing" else "a token that is not the profile's"
    return [_finding("channels.auth", f"{exchange.operation} sent {what}", exchange)]


def register_problems(body: Any) -> list[str]:
    """What is wrong with an addChannel body (empty: it matches the schema)."""
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    problems = [
        f"{key} must be a non-empty string, got {excerpt(body.get(key), 40)}"
        for key in ("name", "provider_channel_id")
        if not isinstance(body.get(key), str) or not body.get(key)
    ]
    if "avatar_url" in body and not _is_url(body["avatar_url"]):
        problems.append(f"avatar_url must be a URL, got {excerpt(body['avatar_url'], 60)}")
    if "template_support" in body and not isinstance(body["template_support"], bool):
        problems.append(
            f"template_support must be a boolean, got {excerpt(body['template_support'], 20)}"
        )
    if "provider_type" in body and body["provider_type"] not in PROVIDER_TYPES:
        problems.append(
            f"provider_type must be one of {', '.join(PROVIDER_TYPES)}, "
            f"got {excerpt(body['provider_type'], 30)}"
        )
    return problems


def check_register_schema(exchange: Exchange) -> list[Finding] | None:
    if exchange.operation != "addChannel" or not authenticated(exchange):
        return None
    return [
        _finding("channels.register-schema", f"addChannel: {problem}", exchange)
        for problem in register_problems(body_of(exchange))
    ]


def check_template_support(exchange: Exchange, has_get_templates: bool) -> list[Finding] | None:
    """channels.template-support: template_support true needs getTemplates in the manifest."""
    if exchange.operation != "addChannel" or not authenticated(exchange):
        return None
    body = body_of(exchange)
    if not isinstance(body, dict):
        return None
    if body.get("template_support") is True and not has_get_templates:
        return [
            _finding(
                "channels.template-support",
                "addChannel sets template_support: true but the manifest has no getTemplates",
                exchange,
            )
        ]
    return []


def check_provider_id(exchange: Exchange, pipedrive_ids: Mapping[str, str]) -> list[Finding] | None:
    """channels.provider-id: never name a channel by the data.id Pipedrive returned.

    `pipedrive_ids` maps each id Pipedrive returned to the provider_channel_id registered
    with it; the rule applies to every call that names a channel once one is registered.
    """
    channel = named_channel(exchange)
    if not pipedrive_ids or channel is None or not authenticated(exchange):
        return None
    if channel in pipedrive_ids and channel != pipedrive_ids[channel]:
        return [
            _finding(
                "channels.provider-id",
                f"{exchange.operation} names channel {excerpt(channel, 60)}, the id Pipedrive "
                f"returned; use the registered provider_channel_id "
                f"{excerpt(pipedrive_ids[channel], 60)}",
                exchange,
            )
        ]
    return []


def receive_problems(body: Any) -> list[str]:
    """What is wrong with a receiveMessage body (empty: it matches the schema)."""
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    problems = [
        f"{key} must be a string, got {excerpt(body.get(key), 40)}"
        for key in RECEIVE_REQUIRED
        if not isinstance(body.get(key), str) or (key != "message" and not body.get(key))
    ]
    if isinstance(body.get("status"), str) and body["status"] not in STATUSES:
        problems.append(
            f"status must be one of {', '.join(STATUSES)}, got {excerpt(body['status'], 30)}"
        )
    for key in ("created_at", "reply_by"):
        if key == "reply_by" and body.get(key) is None:
            continue
        if not is_utc_time(body.get(key)):
            problems.append(f"{key} must be a UTC date-time, got {excerpt(body.get(key), 40)}")
    if "conversation_link" in body and not _is_url(body["conversation_link"]):
        problems.append(
            f"conversation_link must be a URL, got {excerpt(body['conversation_link'])}"
        )
    attachments = body.get("attachments", [])
    if not isinstance(attachments, list):
        problems.append("attachments must be a list")
        attachments = []
    for index, attachment in enumerate(attachments):
        if not isinstance(attachment, dict):
            problems.append(f"attachments[{index}] must be an object")
            continue
        missing = [k for k in ("id", "type", "url") if not isinstance(attachment.get(k), str)]
        if missing:
            problems.append(f"attachments[{index}] lacks string {', '.join(missing)}")
    return problems


def is_utc_time(value: Any) -> bool:
    """The docs' 'YYYY-MM-DD HH:MM' (UTC), or a date-time with Z or a +00:00 offset."""
    if not isinstance(value, str):
        return False
    if _DOCS_TIME.match(value):
        return True
    if not _RFC3339.match(value):
        return False
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return False
    offset = moment.utcoffset()
    return offset is not None and offset.total_seconds() == 0


def check_receive_schema(exchange: Exchange) -> list[Finding] | None:
    if exchange.operation != "receiveMessage" or not authenticated(exchange):
        return None
    return [
        _finding("channels.receive-schema", f"receiveMessage: {problem}", exchange)
        for problem in receive_problems(body_of(exchange))
    ]


def check_receive_known_channel(
    exchange: Exchange, registered: Collection[str], pipedrive_ids: Collection[str] = ()
) -> list[Finding] | None:
    """channels.receive-known-channel: channel_id is registered.

    A Pipedrive-returned id is channels.provider-id's finding, not this rule's: one mistake,
    one finding.
    """
    if exchange.operation != "receiveMessage" or not authenticated(exchange):
        return None
    channel = named_channel(exchange)
    if channel is None or channel in pipedrive_ids:
        return None
    if channel in registered:
        return []
    return [
        _finding(
            "channels.receive-known-channel",
            f"receiveMessage names channel {excerpt(channel, 60)}, which was never registered "
            "with addChannel",
            exchange,
        )
    ]


def check_delete_known(
    exchange: Exchange,
    registered: Collection[str],
    conversations: Mapping[str, Collection[str]],
    pipedrive_ids: Collection[str] = (),
) -> list[Finding] | None:
    """channels.delete-known: deletes name a registered channel (and a known conversation).

    `conversations` maps each registered channel to the conversation ids Pipedrive knows in it
    (read through getConversations or named by receiveMessage).
    """
    if exchange.operation not in ("deleteChannel", "deleteConversation"):
        return None
    if not authenticated(exchange):
        return None
    path = exchange.context.get("path", {})
    channel = path.get("channel_id")
    if channel in pipedrive_ids:
        return None
    if channel not in registered:
        problem = f"channel {excerpt(channel, 60)} was never registered"
    elif exchange.operation == "deleteConversation" and path.get("conversation_id") not in (
        conversations.get(channel, ())
    ):
        problem = (
            f"conversation {excerpt(path.get('conversation_id'), 60)} is not known in channel "
            f"{excerpt(channel, 60)}"
        )
    else:
        return []
    return [_finding("channels.delete-known", f"{exchange.operation}: {problem}", exchange)]


# -- sequences -----------------------------------------------------------------------------
def status_moves_back(previous: str, current: str) -> bool:
    """True when `current` does not follow `previous` (same status again is no move)."""
    if previous not in _RANK or current not in _RANK or previous == current:
        return False
    if previous == "failed":
        return True
    return _RANK[current] < _RANK[previous]


def check_status_move(exchange: Exchange, previous: str | None) -> list[Finding] | None:
    """channels.status-forward for one accepted receiveMessage, given the id's last status."""
    body = body_of(exchange)
    if exchange.operation != "receiveMessage" or not isinstance(body, dict):
        return None
    current = body.get("status")
    if previous is None or not isinstance(current, str):
        return [] if isinstance(current, str) else None
    if status_moves_back(previous, current):
        return [
            _finding(
                "channels.status-forward",
                f"message {excerpt(body.get('id'), 60)} moved from {previous} back to "
                f"{excerpt(current, 20)}",
                exchange,
            )
        ]
    return []


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


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
