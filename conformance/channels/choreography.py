"""What Pipedrive does between the vendor's calls: it calls the vendor's manifest back.

After addChannel it walks getConversations for the new channel (30 conversations and 30
messages a page, following cursors); for each newly received message it reads the
conversation back (and the message, when the manifest has getMessageById) and judges
channels.receive-participant and channels.receive-retrievable; with a sandbox in the profile
it posts one reply as a Pipedrive user would. Every callback goes through the suite's own
`ProviderClient`, so it obeys the client's policy (only the manifest's URLs, sandbox-only
posts) and is recorded and judged by the manifest-side exchange checks.

Follow-ups run on one worker thread, off the vendor's request: a vendor's app that is
single-threaded must get its answer before Pipedrive calls it back.

Stage: channels.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from conformance.channels.desk import Desk
from conformance.checks import channel_flows as flows
from conformance.checks import channels as judges
from conformance.http.client import ProviderClient
from conformance.http.policy import PolicyRefused
from conformance.inputs.profile import Profile
from conformance.model import Exchange
from conformance.phases.scenarios.pagination import next_cursor
from conformance.phases.scenarios.session import data_of

PAGE = 30
PAGE_BUDGET = 100  # pages of one walk: a looping cursor ends here, never hangs
MESSAGE_PAGES = 10  # message pages read looking for a received message
PHASE = "channels-callbacks"
SENDERS = 5  # getSenderById calls per walk, for participants with avatar flags
REPLY = "Reply from a Pipedrive user (messaging-conformance simulator)"


class Choreography:
    def __init__(self, client: ProviderClient, profile: Profile, desk: Desk) -> None:
        self.client = client
        self.profile = profile
        self.desk = desk
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._posted = False
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._work, name="pipedrive-callbacks", daemon=True)
        desk.on_register = lambda provider_id: self._submit(lambda: self.walk(provider_id))
        desk.on_receive = lambda exchange: self._submit(lambda: self.read_back(exchange))

    # -- the worker ----------------------------------------------------------------------
    def start(self) -> Choreography:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)

    def _submit(self, job: Callable[[], None]) -> None:
        with self._idle:
            self._pending += 1
        self._jobs.put(job)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - a suite bug must not stop the callbacks
                self.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def settle(self, timeout: float) -> bool:
        """Wait until every queued follow-up is done; False when the time ran out."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    # -- the follow-ups ------------------------------------------------------------------
    def _send(self, operation: str, provider_id: str, **kwargs: Any) -> Exchange | None:
        path = {"providerChannelId": provider_id, **kwargs.pop("path", {})}
        try:
            return self.client.send(operation, path, phase=PHASE, **kwargs)
        except PolicyRefused:
            return None

    def walk(self, provider_id: str) -> None:
        """getConversations for a newly registered channel, every page; then the senders
        whose avatars Pipedrive must fetch, and the templates when the channel has them."""
        after: str | None = None
        avatars: list[str] = []
        for _ in range(PAGE_BUDGET):
            if not self.desk.is_registered(provider_id):
                return  # deleted meanwhile: Pipedrive no longer calls for it
            query: dict[str, Any] = {"conversations_limit": PAGE, "messages_limit": PAGE}
            if after:
                query["after"] = after
            exchange = self._send("getConversations", provider_id, query=query)
            data = data_of(exchange)
            if not isinstance(data, list):
                break
            ids = [c["id"] for c in data if isinstance(c, dict) and isinstance(c.get("id"), str)]
            self.desk.knows_conversations(provider_id, ids)
            avatars += [pid for pid in _avatar_senders(data) if pid not in avatars]
            body = exchange.response.json() if exchange and exchange.response else {}
            additional = body.get("additional_data") if isinstance(body, dict) else None
            after = next_cursor(additional.get("after") if isinstance(additional, dict) else None)
            if after is None:
                break
        if self.client.manifest.endpoint("getSenderById") is not None:
            for sender in avatars[:SENDERS]:
                self._send("getSenderById", provider_id, path={"senderId": sender})
        if self.desk.template_support(provider_id):
            self._send("getTemplates", provider_id)  # refused by policy when not in the manifest
        self._post_reply(provider_id)

    def _post_reply(self, provider_id: str) -> None:
        """One reply to the sandbox conversation, as a Pipedrive user would send it."""
        sandbox = self.profile.sandbox
        if self._posted or sandbox is None or provider_id != self.profile.channel:
            return
        self._posted = True
        form = {
            "conversationId": sandbox.conversation,
            "senderId": sandbox.sender,
            "recipientIds": sandbox.recipient,
            "message": REPLY,
        }
        exchange = self._send("postMessage", provider_id, form=form)
        data = data_of(exchange)
        if exchange is not None and isinstance(data, dict) and isinstance(data.get("id"), str):
            self.desk.posted(data["id"], exchange)

    def read_back(self, received: Exchange) -> None:
        """Read a received message's conversation (and the message) back, and judge it."""
        body = judges.body_of(received)
        if not isinstance(body, dict):
            return
        channel, conversation = body["channel_id"], body["conversation_id"]
        if not self.desk.is_registered(channel):
            return
        reads: list[Exchange] = []
        after: str | None = None
        for _ in range(MESSAGE_PAGES):
            query: dict[str, Any] = {"messages_limit": PAGE}
            if after:
                query["after"] = after
            exchange = self._send(
                "getConversationById",
                channel,
                path={"sourceConversationId": conversation},
                query=query,
            )
            if exchange is None:
                break
            reads.append(exchange)
            data = data_of(exchange)
            if not isinstance(data, dict):
                break
            messages = data.get("messages") if isinstance(data.get("messages"), list) else []
            if any(isinstance(m, dict) and m.get("id") == body["id"] for m in messages):
                break
            after = next_cursor(data.get("next_messages_cursor"))
            if after is None:
                break
        by_id = None
        if self.client.manifest.endpoint("getMessageById") is not None:
            by_id = self._send(
                "getMessageById",
                channel,
                path={"sourceConversationId": conversation, "sourceMessageId": body["id"]},
            )
        ledger = self.desk.ledger
        if reads and all(r.response is not None and r.response.status == 429 for r in reads):
            return  # still rate limited: says nothing about the vendor's message
        participant = flows.check_receive_participant(received, reads)
        if participant is not None:
            ledger.check("channels.receive-participant", participant)
        retrievable = flows.check_receive_retrievable(received, reads, by_id)
        if retrievable is not None:
            ledger.check("channels.receive-retrievable", retrievable)


def _avatar_senders(conversations: list[Any]) -> list[str]:
    """Participants whose avatar Pipedrive fetches through getSenderById."""
    return [
        p["id"]
        for c in conversations
        if isinstance(c, dict) and isinstance(c.get("participants"), list)
        for p in c["participants"]
        if isinstance(p, dict)
        and isinstance(p.get("id"), str)
        and (p.get("fetch_avatar") is True or p.get("avatar_expires") is True)
    ]
