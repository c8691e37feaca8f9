"""The reference provider's state: channels, opaque cursors that hold, and the rate limiter.

One lock guards everything: requests from the suite's threads (consistency lookups, the
rate-limit burst, fuzzing) may arrive at once, and a fresh `State` per start keeps runs apart.

Stage: reference.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from conformance.reference.data import CONVERSATIONS, DISPOSABLE_CHANNEL, build_channels, utc
from conformance.reference.window import SlidingWindow


def copied(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, scalars) that shares nothing mutable, for
    what leaves the state to code that may change it (`copy.deepcopy` costs five times as
    much for these values)."""
    if isinstance(value, dict):
        return {k: copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copied(v) for v in value]
    return value


class InvalidCursor(ValueError):
    pass


def encode_cursor(kind: str, scope: str, key: str) -> str:
    """An opaque cursor: "after the item with id `key`" of one list (kind and scope)."""
    raw = f"{kind}|{scope}|{key}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, scope: str, cursor: str) -> str:
    """The item id a cursor we issued points after; anything else is a validation error."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        got_kind, got_scope, key = base64.urlsafe_b64decode(padded).decode().split("|", 2)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor(cursor) from None
    if got_kind != kind or got_scope != scope or not key:
        raise InvalidCursor(cursor)
    return key


def after_key(items: list[dict[str, Any]], key: str) -> int:
    """Where the page after item `key` starts.

    Cursors name the last item a page returned, not an offset: a message that arrives at the
    top of a conversation (newest first) while Pipedrive pages through older ones then shifts
    nothing, so the next page neither repeats a message nor skips one. This is what a
    vendor's cursor should do (an offset repeats a message each time a new one arrives).
    """
    for index, item in enumerate(items):
        if item["id"] == key:
            return index + 1
    raise InvalidCursor(key)


class RateLimiter:
    """At most `limit` requests per channel in any one-second window (the package's one
    sliding window, window.py, one per channel)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._windows: dict[str, SlidingWindow] = {}
        self._lock = threading.Lock()

    def admit(self, key: str) -> str | None:
        """None when admitted, else the UTC retry_by moment (when a slot frees up)."""
        if not self.limit:
            return None
        now = time.time()
        with self._lock:
            window = self._windows.setdefault(key, SlidingWindow(self.limit))
            if not window.admit(now):
                return utc(datetime.fromtimestamp(window.free_at(), UTC))
        return None


class State:
    def __init__(self, rate_limit: int | None = 50, conversations: int = CONVERSATIONS) -> None:
        self.channels: dict[str, dict[str, Any]] = build_channels(conversations)
        self._conversations = conversations
        self.limiter = RateLimiter(rate_limit)
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        # Called with (conversation id, message) after postMessage stored a message: how the
        # reference, playing the vendor's app too, reports status changes to Pipedrive.
        self.post_listeners: list[Callable[[str, dict[str, Any]], None]] = []

    def channel(self, channel_id: str) -> dict[str, Any] | None:
        return self.channels.get(channel_id)

    def conversation(self, channel_id: str, conversation_id: str) -> dict[str, Any] | None:
        channel = self.channels.get(channel_id)
        if channel is None:
            return None
        return next((c for c in channel["conversations"] if c["id"] == conversation_id), None)

    def delete_channel(self, channel_id: str) -> None:
        with self.lock:
            self.channels.pop(channel_id, None)

    def restore_disposable(self) -> bool:
        """Seed the disposable channel again if a run deleted it; True when it was gone."""
        with self.lock:
            if DISPOSABLE_CHANNEL in self.channels:
                return False
            fresh = build_channels(self._conversations)[DISPOSABLE_CHANNEL]
            self.channels[DISPOSABLE_CHANNEL] = fresh
            return True

    def page_conversations(
        self, channel_id: str, limit: int, messages_limit: int, after: str | None
    ) -> tuple[list[dict[str, Any]], str]:
        with self.lock:
            conversations = self.channels[channel_id]["conversations"]
            start = after_key(conversations, decode_cursor("c", channel_id, after)) if after else 0
            page = conversations[start : start + limit]
            more = start + limit < len(conversations)
            cursor = encode_cursor("c", channel_id, page[-1]["id"]) if more else ""
            return [self.render(c, messages_limit) for c in page], cursor

    def render(
        self, conversation: dict[str, Any], messages_limit: int, after: str | None = None
    ) -> dict[str, Any]:
        """A conversation with one page of its messages (newest first) and the next cursor;
        `after` is a messages cursor we issued (InvalidCursor otherwise).

        The page shares its message and participant dicts with the state, uncopied: nothing
        changes one in place (`set_status` replaces a message), so what a response carries
        stays as it was when a later request moves a status on, while it is serialized
        outside the lock. Copying them cost a third of the reference's time on a list page.
        """
        with self.lock:
            messages = conversation["messages"]
            scope = conversation["id"]
            start = after_key(messages, decode_cursor("m", scope, after)) if after else 0
            page = messages[start : start + messages_limit]
            more = start + messages_limit < len(messages)
            out = {k: v for k, v in conversation.items() if k != "messages"}
            out["messages"] = page  # a new list of never-changed dicts
            out["participants"] = list(conversation["participants"])
            out["next_messages_cursor"] = encode_cursor("m", scope, page[-1]["id"]) if more else ""
            return out

    def add_message(
        self,
        conversation: dict[str, Any],
        sender: str,
        text: str,
        files: list[tuple[str, str, int]],
    ) -> str:
        with self.lock:
            message_id = f"posted-{next(self._ids):05d}"
            attachments = [
                {
                    "id": f"{message_id}-att-{i}",
                    "type": mime,
                    "name": name,
                    "size": size,
                    "url": f"https://files.reference.example/{message_id}/{i}",
                    "link_expires": False,
                }
                for i, (name, mime, size) in enumerate(files, start=1)
            ]
            message = {
                "id": message_id,
                "status": "sent",
                "created_at": utc(datetime.now(UTC)),
                "message": text,
                "sender_id": sender,
                "attachments": attachments,
            }
            conversation["messages"].insert(0, message)
        for listener in list(self.post_listeners):
            listener(conversation["id"], copied(message))
        return message_id

    def add_incoming(self, channel_id: str, conversation_id: str, text: str) -> dict[str, Any]:
        """A new message from the conversation's contact (the vendor side's incoming traffic)."""
        with self.lock:
            conversation = self.conversation(channel_id, conversation_id)
            if conversation is None:
                raise KeyError(conversation_id)
            contact = next(p["id"] for p in conversation["participants"] if p["role"] == "end_user")
            message = {
                "id": f"incoming-{next(self._ids):05d}",
                "status": "sent",
                "created_at": utc(datetime.now(UTC)),
                "message": text,
                "sender_id": contact,
                "attachments": [],
            }
            conversation["messages"].insert(0, message)
            return copied(message)

    def set_status(self, conversation_id: str, message_id: str, status: str) -> None:
        """Replaces the message rather than changing it: pages being served share it."""
        with self.lock:
            for channel in self.channels.values():
                for conversation in channel["conversations"]:
                    if conversation["id"] != conversation_id:
                        continue
                    messages = conversation["messages"]
                    for index, message in enumerate(messages):
                        if message["id"] == message_id:
                            messages[index] = {**message, "status": status}

    def channel_of(self, conversation_id: str) -> str | None:
        with self.lock:
            return next(
                (
                    cid
                    for cid, channel in self.channels.items()
                    if any(c["id"] == conversation_id for c in channel["conversations"])
                ),
                None,
            )
