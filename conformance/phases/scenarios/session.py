"""What every scenario shares: the client, the ids discovered so far, what was not gathered.

Scenarios are deterministic conversations with the provider: they send through the one
client (so its policy and recording apply), tag each exchange with the step whose judge will
read it, and hand each step's evidence on (`conclude`, heard by judging: conformance.judging,
which calls `conformance.checks.flows.judge_step`). They never judge: what a scenario could
not gather for a rule it says with `cannot_gather`, and judging makes that rule SKIPPED.

Stage: phases.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from conformance.checks.evidence import data_of, dicts, next_cursor
from conformance.http.client import ProviderClient
from conformance.http.policy import UNKNOWN_PREFIX, PolicyRefused
from conformance.inputs.profile import Profile
from conformance.model import Exchange

J = TypeVar("J")
R = TypeVar("R")


@dataclass
class Seen:
    """Ids and capabilities discovered in the provider's data during the run."""

    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    participants: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (conversation id, message id) -> message
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # Most messages one answer showed per conversation, and conversations with more to page.
    message_counts: dict[str, int] = field(default_factory=dict)
    paged: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe(self, exchange: Exchange) -> None:
        """Learn ids from every conversation list any 2xx answer carries (a recorder listener).

        Only lists: a by-id answer may be the provider's mistake (another conversation than
        asked for), and ids learnt from it would turn one defect into findings elsewhere.
        """
        if exchange.operation != "getConversations":
            return
        data = data_of(exchange)
        with self._lock:  # consistency lookups run in threads
            for conversation in data if isinstance(data, list) else [data]:
                self.add_conversation(conversation)

    def add_conversation(self, conversation: Any) -> None:
        if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
            return
        cid = conversation["id"]
        self.conversations.setdefault(cid, conversation)
        for participant in dicts(conversation.get("participants")):
            if isinstance(participant.get("id"), str):
                self.participants.setdefault(participant["id"], participant)
        for message in dicts(conversation.get("messages")):
            if isinstance(message.get("id"), str):
                self.messages.setdefault((cid, message["id"]), message)
        counted = len(dicts(conversation.get("messages")))
        self.message_counts[cid] = max(counted, self.message_counts.get(cid, 0))
        if next_cursor(conversation.get("next_messages_cursor")):
            self.paged.add(cid)

    def roles_of(self, cid: str) -> dict[str, str]:
        """role -> participant id in a conversation seen (first of each role)."""
        out: dict[str, str] = {}
        for participant in dicts(self.conversations.get(cid, {}).get("participants")):
            if isinstance(participant.get("role"), str) and isinstance(participant.get("id"), str):
                out.setdefault(participant["role"], participant["id"])
        return out

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
            if any(a.get("link_expires") is True for a in dicts(m.get("attachments")))
        ]


@dataclass
class Session:
    client: ProviderClient
    profile: Profile
    rng: random.Random
    workers: int = 1
    seen: Seen = field(default_factory=Seen)
    # What scenarios report beyond findings (e.g. the recreate command's output); the
    # runner copies it into the report's top level.
    notes: dict[str, Any] = field(default_factory=dict)
    # rule id -> why its evidence could not be gathered (the first reason said wins).
    not_gathered: dict[str, str] = field(default_factory=dict)
    # How the run adapted to the provider (fewer generated cases, a clause skipped): the
    # report's notes.
    adapted: list[str] = field(default_factory=list)
    # Why the conversation list cannot be read whole (its walk at the default limit ran out
    # of pages with a cursor still to follow), or None: later full reads would only repeat it.
    endless_list: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def has(self, operation: str) -> bool:
        return self.client.manifest.endpoint(operation) is not None

    def unbound(self, operation: str) -> str:
        """Why a rule that needs `operation` is skipped (see Manifest.unbound)."""
        return self.client.manifest.unbound(operation)

    def call(
        self,
        operation: str,
        step: str,
        path: Mapping[str, str] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Exchange | None:
        """Send with the main channel filled in, tagged as evidence of `step`.

        None when nothing was sent: the manifest or the policy forbids the request, the
        provider is down, or the operation was abandoned after repeated timeouts.
        """
        values = {"providerChannelId": self.profile.channel, **(path or {})}
        try:
            return self.client.send(
                operation,
                values,
                phase="scenarios",
                context={"step": step, **(context or {})},
                **kwargs,
            )
        except PolicyRefused:
            return None

    def parallel(self, job: Callable[[J], R], items: Sequence[J], workers: int) -> list[R]:
        """`job` over `items` on up to `workers` threads, results in the items' order.

        The exchanges each job records are held back and handed to the recorder's listeners
        (judging, the HAR, progress) job by job in the items' order once all are done, so a
        run's recorded request sequence is the same whatever the threads' timing: the same
        seed gives the same HAR with one worker or several.
        """
        recorder = self.client.recorder
        held: list[list[Exchange]] = [[] for _ in items]

        def one(index: int) -> R:
            held[index] = recorder.hold()
            try:
                return job(items[index])
            finally:
                recorder.unhold()

        try:
            with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                return list(pool.map(one, range(len(items))))
        finally:
            recorder.release([exchange for group in held for exchange in group])

    def conclude(self, step: str, exchanges: Sequence[Exchange | None]) -> None:
        """Hand a step's evidence to its judge (and the HAR): the recorder's conclusion
        listeners."""
        evidence = [e for e in exchanges if e is not None]
        for listener in self.client.recorder.conclusion_listeners:
            listener(step, evidence)

    def cannot_gather(self, rule: str, reason: str) -> None:
        """The evidence for `rule` could not be gathered, and why: judging makes it SKIPPED
        with `reason` (unless the rule was judged from other evidence after all)."""
        with self._lock:
            self.not_gathered.setdefault(rule, reason)

    def unknown_id(self, kind: str) -> str:
        """An id no provider can hold, reproducible from the run's seed."""
        return f"{UNKNOWN_PREFIX}{kind}-{self.rng.getrandbits(48):012x}"

    @staticmethod
    def made_up(value: str) -> bool:
        """An id `unknown_id` made (no real one was seen): the provider's 404 is right."""
        return value.startswith(UNKNOWN_PREFIX)

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
