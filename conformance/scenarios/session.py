"""What every scenario shares: the client, the ledger, the ids discovered so far.

Scenarios are deterministic conversations with the provider. They send through the one
client (so its policy and recording apply), and judge flow rules with the small pure
helpers here; single-exchange rules are judged for them by the recorder's listener.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.checks.text import excerpt
from conformance.client import PolicyRefused, ProviderClient
from conformance.ledger import Ledger
from conformance.model import Exchange, Finding
from conformance.profile import Profile


@dataclass
class Seen:
    """Ids and capabilities discovered in the provider's data during the run."""

    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    participants: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (conversation id, message id) -> message
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    templates: bool = False

    def add_conversation(self, conversation: Any) -> None:
        if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
            return
        cid = conversation["id"]
        self.conversations.setdefault(cid, conversation)
        for participant in _dicts(conversation.get("participants")):
            if isinstance(participant.get("id"), str):
                self.participants.setdefault(participant["id"], participant)
        for message in _dicts(conversation.get("messages")):
            if isinstance(message.get("id"), str):
                self.messages.setdefault((cid, message["id"]), message)

    @property
    def avatar_participants(self) -> list[str]:
        return [
            pid
            for pid, p in self.participants.items()
            if p.get("fetch_avatar") is True or p.get("avatar_expires") is True
        ]

    @property
    def expiring_messages(self) -> list[tuple[str, str]]:
        return [
            key
            for key, m in self.messages.items()
            if any(a.get("link_expires") is True for a in _dicts(m.get("attachments")))
        ]


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


@dataclass
class Session:
    client: ProviderClient
    profile: Profile
    ledger: Ledger
    rng: random.Random
    workers: int = 1
    seen: Seen = field(default_factory=Seen)

    def has(self, operation: str) -> bool:
        return self.client.manifest.endpoint(operation) is not None

    def call(
        self, operation: str, phase: str, path: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Exchange | None:
        """Send with the main channel filled in.

        None when the manifest or policy forbids the request, or when the provider still
        answered 429 after the client's retries: a rate limit says nothing about the rule the
        scenario is judging (the 429 itself was judged by the exchange checks).
        """
        values = {"providerChannelId": self.profile.channel, **(path or {})}
        try:
            exchange = self.client.send(operation, values, phase=phase, **kwargs)
        except PolicyRefused:
            return None
        limited = exchange.response is not None and exchange.response.status == 429
        return None if limited and kwargs.get("honour_429", True) else exchange

    def unknown_id(self, kind: str) -> str:
        """An id no provider can hold, reproducible from the run's seed."""
        return f"conformance-unknown-{kind}-{self.rng.getrandbits(48):012x}"

    def sample_ids(self) -> dict[str, str]:
        """Real ids for every path variable, so a request is valid but for what is tested."""
        ids = {"providerChannelId": self.profile.channel}
        if self.seen.messages:
            cid, mid = next(iter(self.seen.messages))
            ids.update(sourceConversationId=cid, sourceMessageId=mid)
        elif self.seen.conversations:
            ids["sourceConversationId"] = next(iter(self.seen.conversations))
        if self.seen.participants:
            ids["senderId"] = next(iter(self.seen.participants))
        for name in ("sourceConversationId", "sourceMessageId", "senderId"):
            ids.setdefault(name, self.unknown_id(name))
        return ids


# -- pure helpers for judging flow rules -------------------------------------------------
def data_of(exchange: Exchange | None) -> Any:
    """`data` of a 2xx JSON envelope (the bare body for getMessageById), else None."""
    if exchange is None or exchange.response is None or not 200 <= exchange.response.status < 300:
        return None
    if not exchange.response.is_json:
        return None
    body = exchange.response.json()
    if exchange.operation == "getMessageById":
        return body if isinstance(body, dict) else None
    return body.get("data") if isinstance(body, dict) else None


def error_code(exchange: Exchange) -> Any:
    try:
        return exchange.response.json()["data"]["code"]  # type: ignore[union-attr]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def describe(exchange: Exchange) -> str:
    """`404 NOT_FOUND`, `200`, or `no response (timeout ...)`: how a response looked."""
    if exchange.response is None:
        return f"no response ({exchange.error})"
    code = error_code(exchange)
    return f"{exchange.response.status}" + (f" {excerpt(code, 40)}" if code is not None else "")


def expect_error(
    exchange: Exchange | None, rule: str, status: int, codes: Iterable[str], what: str
) -> list[Finding] | None:
    """The one shape of every 'this request must fail with X' judgement (None: not judged)."""
    if exchange is None or exchange.response is not None and exchange.response.status == 429:
        return None
    codes = tuple(codes)
    got_status = exchange.response.status if exchange.response is not None else None
    if got_status == status and error_code(exchange) in codes:
        return []
    return [
        Finding(
            rule,
            f"{what}: got {describe(exchange)}, expected {status} {' or '.join(codes)}",
            exchange.operation,
            exchange,
        )
    ]
