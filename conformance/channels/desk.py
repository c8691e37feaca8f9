"""Pipedrive's side of the Channels API: what it remembers, how it answers, what it judges.

`Desk.handle` takes one call the vendor's app made (operation, path ids, how the token
looked, raw body) and returns Pipedrive's answer; it records the call as an `Exchange`,
judges it with the pure `channels.*` checks against what Pipedrive knows at that moment, and
hands follow-ups (read the new channel's conversations, read a received message back) to the
choreography. The Flask face (`api.py`) only parses HTTP; everything here is testable
without a server. One lock guards the memory: the vendor may call from many threads.

Stage: channels.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from conformance.checks import channel_flows as flows
from conformance.checks import channels as judges
from conformance.ledger import Ledger
from conformance.model import Exchange, Finding, RecordedRequest, RecordedResponse
from conformance.redact import Redactor
from conformance.reference.window import SlidingWindow

ERROR_INFO = "Please check the reference docs in https://developers.pipedrive.com/docs/api/v1"
DEFAULT_RATE_LIMIT = 100  # calls per second before Pipedrive answers 429
RETRY_AFTER = 1  # seconds, in Retry-After and x-ratelimit-reset
# Received messages read back per run: a vendor delivering thousands must not make the
# simulator hammer its manifest endpoints (the calls themselves are still judged).
MAX_READBACKS = 200
TOKEN_PLACEHOLDER = "Bearer <channels_api.token>"
METHODS = {
    "addChannel": "POST",
    "receiveMessage": "POST",
    "deleteChannel": "DELETE",
    "deleteConversation": "DELETE",
}


@dataclass(frozen=True)
class Answer:
    """Pipedrive's response: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


def error(status: int, code: str, message: str) -> Answer:
    """Pipedrive's error body on this side (it differs from the manifest side's envelope)."""
    body = {
        "success": False,
        "error": message,
        "error_info": ERROR_INFO,
        "data": None,
        "additional_data": {"code": code},
    }
    return Answer(status, body)


@dataclass
class Registration:
    provider_id: str
    pipedrive_id: str
    data: dict[str, Any]


@dataclass
class Memory:
    """What Pipedrive knows: channels, conversations, message statuses, posted ids."""

    channels: dict[str, Registration] = field(default_factory=dict)  # by provider id
    pipedrive_ids: dict[str, str] = field(default_factory=dict)  # every id returned -> provider
    conversations: dict[str, set[str]] = field(default_factory=dict)  # provider channel -> ids
    statuses: dict[str, str] = field(default_factory=dict)  # message id -> last status
    received: set[str] = field(default_factory=set)  # message ids read back (or queued)
    reported: dict[str, Exchange] = field(default_factory=dict)  # message id -> last receive
    posted: dict[str, Exchange] = field(default_factory=dict)  # id postMessage returned -> post
    calls: int = 0
    deletes: int = 0


@dataclass
class Tally:
    """Calls per one-second window, the forced 429, and the vendor's previous call."""

    limit: int
    force_at: int | None  # the n-th authenticated call gets a 429 regardless of the rate
    window: SlidingWindow = field(init=False)  # the package's one limiter (reference/window.py)
    authenticated: int = 0
    last_call: Exchange | None = None

    def __post_init__(self) -> None:
        self.window = SlidingWindow(self.limit)

    def admit(self, now: float) -> int | None:
        """None when admitted, else the calls remaining (0) for the 429's headers."""
        self.authenticated += 1
        self.window.prune(now)
        if self.force_at is not None and self.authenticated == self.force_at:
            return 0
        if not self.window.admit(now):
            return 0
        return None

    def remaining(self) -> int:
        return self.window.remaining()


Listener = Callable[[Exchange], None]


class Desk:
    def __init__(
        self,
        token: str,
        ledger: Ledger,
        *,
        has_get_templates: bool,
        rate_limit: int | None = None,
        force_429_at: int | None = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token = token
        self._redactor = Redactor([token])
        self.ledger = ledger
        self.has_get_templates = has_get_templates
        self.memory = Memory()
        self.tally = Tally(rate_limit or DEFAULT_RATE_LIMIT, force_429_at)
        self.lock = threading.RLock()
        self.clock = clock
        # follow-ups: on_register(provider_id), on_receive(exchange); set by the choreography
        self.on_register: Callable[[str], None] = lambda provider_id: None
        self.on_receive: Callable[[Exchange], None] = lambda exchange: None
        self.listeners: list[Listener] = []  # the live line on a terminal

    # -- the one entry point -------------------------------------------------------------
    def handle(
        self,
        operation: str,
        url: str,
        path: Mapping[str, str],
        authorization: str | None,
        raw: bytes,
    ) -> Answer:
        auth = self._auth_mode(authorization)
        at = self.clock()
        with self.lock:
            self.memory.calls += 1
            answer = self._answer(operation, path, auth, raw, at)
            exchange = self._record(operation, url, path, auth, raw, answer, at)
            follow_up = self._judge_and_remember(exchange)
        for listener in self.listeners:
            listener(exchange)
        if follow_up is not None:
            follow_up()
        return answer

    def _auth_mode(self, authorization: str | None) -> str:
        import hmac

        if not authorization:
            return "missing"
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), self._token.encode()
        ):
            return "bearer"
        return "wrong"

    # -- answering like Pipedrive --------------------------------------------------------
    def _answer(
        self, operation: str, path: Mapping[str, str], auth: str, raw: bytes, at: float
    ) -> Answer:
        if auth != "bearer":
            return error(401, "UNAUTHORIZED", "Unauthorized: a valid bearer token is required")
        if self.tally.admit(at) is not None:
            limited = error(429, "RATE_LIMIT_EXCEEDED", "Request over limit")
            return Answer(limited.status, limited.body, self._rate_headers(0))
        body = _json(raw)
        if operation == "addChannel":
            answer = self._add_channel(body)
        elif operation == "receiveMessage":
            answer = self._receive(body)
        elif operation == "deleteChannel":
            answer = self._delete_channel(path.get("channel_id", ""))
        else:
            answer = self._delete_conversation(
                path.get("channel_id", ""), path.get("conversation_id", "")
            )
        return Answer(answer.status, answer.body, self._rate_headers(self.tally.remaining()))

    def _rate_headers(self, remaining: int) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.tally.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(RETRY_AFTER),
        }
        if remaining == 0:
            headers["Retry-After"] = str(RETRY_AFTER)
        return headers

    def _add_channel(self, body: Any) -> Answer:
        problems = judges.register_problems(body)
        if problems:
            return error(400, "INVALID_BODY", f"Expected a valid channel: {problems[0]}")
        provider_id = body["provider_channel_id"]
        pipedrive_id = str(uuid.uuid4())
        data = {
            "id": pipedrive_id,
            "name": body["name"],
            "avatar_url": body.get("avatar_url"),
            "provider_channel_id": provider_id,
            "marketplace_client_id": "conformance-simulator",
            "pd_company_id": 1,
            "pd_user_id": 1,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "provider_type": body.get("provider_type", "other"),
            "template_support": body.get("template_support", False),
        }
        return Answer(200, {"success": True, "data": data})

    def _receive(self, body: Any) -> Answer:
        problems = judges.receive_problems(body)
        if problems:
            return error(
                400, "INVALID_RECEIVE_MESSAGE_PAYLOAD", f"Expected a valid message: {problems[0]}"
            )
        if body["channel_id"] not in self.memory.channels:
            return error(404, "NOT_FOUND", "Channel not found.")
        return Answer(200, {"success": True, "data": body})

    def _delete_channel(self, channel_id: str) -> Answer:
        if channel_id not in self.memory.channels:
            return error(404, "NOT_FOUND", "Channel not found.")
        return Answer(200, {"success": True})

    def _delete_conversation(self, channel_id: str, conversation_id: str) -> Answer:
        if channel_id not in self.memory.channels:
            return error(404, "NOT_FOUND", "Channel not found.")
        if conversation_id not in self.memory.conversations.get(channel_id, set()):
            return error(404, "NOT_FOUND", "Conversation not found.")
        return Answer(200, {"success": True})

    # -- recording and judging -----------------------------------------------------------
    def _record(
        self,
        operation: str,
        url: str,
        path: Mapping[str, str],
        auth: str,
        raw: bytes,
        answer: Answer,
        at: float,
    ) -> Exchange:
        """The call as reports show it: the token replaced by a placeholder, never echoed."""
        # the suite's one Redactor: a token echoed percent-encoded or in base64 goes too
        body = self._redactor.scrub_bytes(raw)
        url = self._redactor.scrub(url)
        headers = {"Content-Type": "application/json"}
        if auth != "missing":
            headers["Authorization"] = TOKEN_PLACEHOLDER if auth == "bearer" else "<not the token>"
        request = RecordedRequest(METHODS[operation], url, headers, body)
        encoded = json.dumps(answer.body).encode()
        response = RecordedResponse(
            answer.status, {"content-type": "application/json", **answer.headers}, encoded
        )
        context = {"auth": auth, "at": at, "path": dict(path), "direction": "to-pipedrive"}
        return Exchange(operation, request, response, phase="channels", context=context)

    def _judge_and_remember(self, exchange: Exchange) -> Callable[[], None] | None:
        memory = self.memory
        previous, self.tally.last_call = self.tally.last_call, exchange
        record = self.ledger.record
        record(judges.check_auth(exchange), ["channels.auth"])
        if previous is not None:
            self._judged("channels.backoff", flows.check_backoff([previous, exchange]))
        self._judged("channels.register-schema", judges.check_register_schema(exchange))
        self._judged(
            "channels.template-support",
            judges.check_template_support(exchange, self.has_get_templates),
        )
        self._judged(
            "channels.provider-id", judges.check_provider_id(exchange, memory.pipedrive_ids)
        )
        self._judged("channels.receive-schema", judges.check_receive_schema(exchange))
        self._judged(
            "channels.receive-known-channel",
            judges.check_receive_known_channel(exchange, memory.channels, memory.pipedrive_ids),
        )
        self._judged(
            "channels.delete-known",
            judges.check_delete_known(
                exchange, memory.channels, memory.conversations, memory.pipedrive_ids
            ),
        )
        if not judges.accepted(exchange):
            return None
        return self._remember(exchange)

    def _judged(self, rule: str, findings: list[Finding] | None) -> None:
        if findings is not None:
            self.ledger.check(rule, findings)

    def _remember(self, exchange: Exchange) -> Callable[[], None] | None:
        memory = self.memory
        path = exchange.context.get("path", {})
        if exchange.operation == "addChannel":
            data = exchange.response.json()["data"]  # type: ignore[union-attr]
            provider_id = data["provider_channel_id"]
            memory.channels[provider_id] = Registration(provider_id, data["id"], data)
            memory.pipedrive_ids[data["id"]] = provider_id
            memory.conversations.setdefault(provider_id, set())
            return lambda: self.on_register(provider_id)
        if exchange.operation == "deleteChannel":
            memory.deletes += 1
            memory.channels.pop(path.get("channel_id", ""), None)
            return None
        if exchange.operation == "deleteConversation":
            memory.deletes += 1
            memory.conversations.get(path.get("channel_id", ""), set()).discard(
                path.get("conversation_id", "")
            )
            return None
        body = judges.body_of(exchange)
        message_id = body["id"]
        self._judged(
            "channels.status-forward",
            judges.check_status_move(exchange, memory.statuses.get(message_id)),
        )
        if not judges.status_moves_back(memory.statuses.get(message_id, ""), body["status"]):
            memory.statuses[message_id] = body["status"]
        memory.reported[message_id] = exchange
        memory.conversations.setdefault(body["channel_id"], set()).add(body["conversation_id"])
        if message_id in memory.received or len(memory.received) >= MAX_READBACKS:
            return None
        memory.received.add(message_id)
        return lambda: self.on_receive(exchange)

    # -- what the choreography tells the desk -------------------------------------------
    def knows_conversations(self, provider_id: str, ids: list[str]) -> None:
        with self.lock:
            if provider_id in self.memory.channels:
                self.memory.conversations.setdefault(provider_id, set()).update(ids)

    def template_support(self, provider_id: str) -> bool:
        with self.lock:
            registration = self.memory.channels.get(provider_id)
            return registration is not None and registration.data.get("template_support") is True

    def is_registered(self, provider_id: str) -> bool:
        with self.lock:
            return provider_id in self.memory.channels

    def posted(self, message_id: str, exchange: Exchange) -> None:
        with self.lock:
            self.memory.posted[message_id] = exchange

    def reported(self, message_id: str) -> bool:
        with self.lock:
            return message_id in self.memory.reported

    def final_judgements(self) -> None:
        """Judged once the vendor has stopped: did posted messages come back with a status?"""
        with self.lock:
            posted = dict(self.memory.posted)
            receives = list(self.memory.reported.values())
            deletes = self.memory.deletes
        self._judged("channels.posted-status", flows.check_posted_status(posted, receives))
        if not posted:
            self.ledger.skip(
                "channels.posted-status",
                "no message was posted (needs a sandbox in the profile and its channel registered)",
            )
        if not deletes:
            self.ledger.skip("channels.delete-known", "the vendor's app deleted nothing")
        self.ledger.skip("channels.backoff", "no 429 was answered, or no call followed one")
        self.ledger.skip("channels.receive-participant", "no received message was read back")
        self.ledger.skip("channels.receive-retrievable", "no received message was read back")


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
