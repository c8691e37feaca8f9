"""Pure judges of the vendor's calls to Pipedrive's Channels API (the `channels.*` rules).

The simulator records every call the vendor's app makes as an `Exchange` (operation
addChannel, receiveMessage, deleteChannel or deleteConversation; `context["auth"]` says how
the bearer token looked, `context["at"]` when the call arrived, `context["path"]` the ids in
the URL) and hands these functions what it knows: the channels registered so far, the ids
Pipedrive returned, the callbacks it made. They return findings (a list, empty when the rule
held) or None when the rule does not apply, exactly like the manifest-side checks.

Single calls are judged here; sequences and read-backs in `channel_flows`. Facts:
../shared/CHANNELS.md and Pipedrive's spec (upstream/pipedrive-channels-api.yaml).

Stage: checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from conformance.model import Exchange, Finding
from conformance.text import excerpt

PROVIDER_TYPES = ("facebook", "whatsapp", "other")
STATUSES = ("sent", "delivered", "read", "failed")
# Forward order; failed is final and may follow any status.
_RANK = {"sent": 0, "delivered": 1, "read": 2, "failed": 3}
RECEIVE_REQUIRED = ("id", "channel_id", "sender_id", "conversation_id", "message", "status")
# The docs' "YYYY-MM-DD HH:MM" (UTC by definition), or an RFC 3339 date-time in UTC.
_DOCS_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


# -- reading a recorded call ---------------------------------------------------------------
def body_of(exchange: Exchange) -> Any:
    """The vendor's JSON body, or None when there is none or it is not JSON."""
    raw = exchange.request.body
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
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
            f"receiveMessage names channel {excerpt(channel, 60)}, which is not registered "
            "(never registered with addChannel, or deleted)",
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
        problem = f"channel {excerpt(channel, 60)} is not registered (never, or deleted)"
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


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
