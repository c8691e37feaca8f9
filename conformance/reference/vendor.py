"""The reference provider playing the vendor's app: its calls to Pipedrive's Channels API.

A complete Messaging integration has two halves; the reference serves the manifest half
(`app.py`) and, with `serve-reference --pipedrive-url URL --pipedrive-token T`, this module
plays the other: it registers its channels, delivers a few incoming messages with forward
status changes (sent, delivered, read), reports status changes of every message Pipedrive
posts to it, deletes a conversation and its disposable channel, and backs off on 429.
Everything it delivers is stored in the reference's own state first, so Pipedrive can read
it back through the manifest endpoints.

`VendorBehaviour` lets the test suite build faulty variants (one broken habit each) without
copying this code; the default behaviour is conformant.

Stage: reference.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from conformance.reference.data import DISPOSABLE_CHANNEL, MAIN_CHANNEL
from conformance.reference.state import State

DELIVERED = ("conv-004", "conv-005", "conv-006")  # incoming traffic while the app runs
DISPOSABLE_CONVERSATION = "conv-901"
FORWARD = ("sent", "delivered", "read")
MAX_ATTEMPTS = 6
STARTUP_WAIT = 60.0  # seconds the app waits for Pipedrive (the simulator) to come up


@dataclass(frozen=True)
class Call:
    """One call the app is about to make; faulty variants rewrite it."""

    method: str
    path: str
    body: dict[str, Any] | None = None
    token: bool = True


Transform = Callable[["ReferenceVendor", Call], Call]


def _same(vendor: ReferenceVendor, call: Call) -> Call:
    return call


@dataclass(frozen=True)
class VendorBehaviour:
    transform: Transform = _same
    honour_429: bool = True
    report_posted: bool = True
    template_support: bool = True  # the reference has getTemplates


@dataclass
class ReferenceVendor:
    state: State
    pipedrive_url: str
    token: str = field(repr=False)
    behaviour: VendorBehaviour = field(default_factory=VendorBehaviour)
    timeout: float = 10.0
    pipedrive_ids: dict[str, str] = field(default_factory=dict)  # provider id -> Pipedrive's
    errors: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.pipedrive_url = self.pipedrive_url.rstrip("/")
        self._session = requests.Session()
        self._session.trust_env = False
        self._stopping = threading.Event()
        # One call at a time, 429 waits included: a back-off holds every thread of the app,
        # and no call is in flight when Pipedrive answers 429.
        self._one_at_a_time = threading.Lock()
        self._posted: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._script, name="reference-vendor", daemon=True),
            threading.Thread(
                target=self._report_posted, name="reference-vendor-status", daemon=True
            ),
        ]

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> ReferenceVendor:
        self.state.post_listeners.append(self._on_post)
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if self._on_post in self.state.post_listeners:
            self.state.post_listeners.remove(self._on_post)
        self._stopping.set()
        self._posted.put(None)
        for thread in self._threads:
            thread.join(timeout=15)
        self._session.close()

    # -- talking to Pipedrive ------------------------------------------------------------
    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One call, retried after a 429 once the wait Pipedrive asked for has passed."""
        with self._one_at_a_time:
            return self._call(self.behaviour.transform(self, Call(method, path, body)))

    def _call(self, call: Call) -> Any:
        for attempt in range(MAX_ATTEMPTS):
            if self._stopping.is_set():
                return None
            headers = {"Authorization": f"Bearer {self.token}"} if call.token else {}
            try:
                response = self._session.request(
                    call.method,
                    self.pipedrive_url + call.path,
                    json=call.body,
                    headers=headers,
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                self.errors.append(f"{call.method} {call.path}: {type(exc).__name__}")
                return None
            if response.status_code != 429 or attempt == MAX_ATTEMPTS - 1:
                if response.status_code != 200:
                    self.errors.append(f"{call.method} {call.path}: {response.status_code}")
                return response
            if self.behaviour.honour_429:
                self._stopping.wait(retry_wait(response.headers) + 0.05)
        return None

    def register(self, channel: str, name: str, template_support: bool) -> None:
        body = {
            "name": name,
            "provider_channel_id": channel,
            "avatar_url": "https://avatars.reference.example/channel.png",
            "template_support": template_support,
            "provider_type": "other",
        }
        response = self.call("POST", "/channels", body)
        if response is not None and response.status_code == 200:
            self.pipedrive_ids[channel] = response.json()["data"]["id"]

    def report(self, channel: str, conversation: str, message: dict[str, Any], status: str) -> None:
        """receiveMessage: a new message or a status change of one, by the provider's ids."""
        self.state.set_status(conversation, message["id"], status)
        body = {
            "id": message["id"],
            "channel_id": channel,
            "sender_id": message["sender_id"],
            "conversation_id": conversation,
            "message": message["message"],
            "status": status,
            "created_at": message["created_at"],
            "conversation_link": f"https://chat.reference.example/c/{conversation}",
            "attachments": [
                {k: a[k] for k in ("id", "type", "url", "name", "size") if k in a}
                for a in message.get("attachments", [])
            ],
        }
        self.call("POST", "/channels/messages/receive", body)

    # -- the app's life ------------------------------------------------------------------
    def _wait_for_pipedrive(self) -> None:
        """Started before the simulator? Wait until it accepts connections (bounded)."""
        deadline = time.monotonic() + STARTUP_WAIT
        while not self._stopping.is_set() and time.monotonic() < deadline:
            try:
                self._session.head(self.pipedrive_url + "/channels", timeout=2)
                return
            except requests.RequestException:
                self._stopping.wait(0.2)

    def _script(self) -> None:
        try:
            self._wait_for_pipedrive()
            self.register(MAIN_CHANNEL, "Reference channel", self.behaviour.template_support)
            self.register(DISPOSABLE_CHANNEL, "Reference disposable channel", False)
            for conversation in DELIVERED:
                message = self.state.add_incoming(
                    MAIN_CHANNEL, conversation, f"Hello from {conversation}"
                )
                for status in FORWARD:
                    self.report(MAIN_CHANNEL, conversation, message, status)
            # the disposable channel: one message, then its conversation and the channel go
            message = self.state.add_incoming(
                DISPOSABLE_CHANNEL, DISPOSABLE_CONVERSATION, "Last words"
            )
            self.report(DISPOSABLE_CHANNEL, DISPOSABLE_CONVERSATION, message, "sent")
            self.call(
                "DELETE", f"/channels/{DISPOSABLE_CHANNEL}/conversations/{DISPOSABLE_CONVERSATION}"
            )
            self.call("DELETE", f"/channels/{DISPOSABLE_CHANNEL}")
        except Exception as exc:  # noqa: BLE001 - the app keeps serving; the error is shown
            self.errors.append(f"script: {type(exc).__name__}: {exc}")
        finally:
            self.done.set()

    def _on_post(self, conversation: str, message: dict[str, Any]) -> None:
        if self.behaviour.report_posted:
            self._posted.put((conversation, message))

    def _report_posted(self) -> None:
        """A message a Pipedrive user sent: it was sent, then delivered to the contact."""
        while (item := self._posted.get()) is not None:
            conversation, message = item
            channel = self.state.channel_of(conversation)
            if channel is None:
                continue
            for status in ("sent", "delivered"):
                self.report(channel, conversation, message, status)


def retry_wait(headers: Any) -> float:
    """Seconds Pipedrive asked to wait: Retry-After, else the rate-limit reset, else 1."""
    for name in ("Retry-After", "X-RateLimit-Reset"):
        try:
            return max(0.0, float(headers[name]))
        except (KeyError, ValueError, TypeError):
            continue
    return 1.0


def rewrite_body(call: Call, **changes: Any) -> Call:
    """A copy of `call` with body fields changed (for faulty variants)."""
    return replace(call, body={**(call.body or {}), **changes})
