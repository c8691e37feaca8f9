"""What the client may write: the run's request policy and the side-effect refusal.

HTTP stage. The suite certifies live providers, so a write outside the profile's sandbox
(a post to a real person's conversation, a delete of a real channel) is refused here,
before anything is sent, whoever asked for it (a scenario, the fuzzer, a re-send).
`ClientPolicy` also carries the limits every request obeys (timeout, body cap, 429 waits,
rate, TLS), which the client composes from the other HTTP modules.

Stage: http.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from conformance.options import BODY_CAP, RETRY_BUDGET, RETRY_CAP, TIMEOUT

# Ids the suite makes up (Session.unknown_id): no provider can hold them, so a write to one
# cannot touch data, and auth or not-found probes of write operations may use them freely.
UNKNOWN_PREFIX = "conformance-unknown-"

OPERATION_METHODS: dict[str, str] = {
    "getConversations": "GET",
    "getConversationById": "GET",
    "postMessage": "POST",
    "getSenderById": "GET",
    "getTemplates": "GET",
    "getMessageById": "GET",
    "deleteChannelById": "DELETE",
}


class PolicyRefused(Exception):
    """A request the profile does not allow (a side effect outside the sandbox)."""


@dataclass(frozen=True)
class ClientPolicy:
    timeout: float = TIMEOUT
    body_cap: int = BODY_CAP
    retry_cap: float = RETRY_CAP
    max_retries: int = 5
    rate: float | None = None  # requests per second, all threads together
    post_conversation: str | None = None  # the sandbox conversation, if any
    post_channel: str | None = None
    delete_channel: str | None = None  # the disposable channel, if any
    # All 429 waits of a run together: a provider whose retry_by is hours ahead cannot
    # stretch the run beyond this; past it, 429s are judged but no longer waited for.
    retry_budget: float = RETRY_BUDGET
    # TLS: True (system CAs), False (--insecure) or a CA bundle path (--ca-bundle).
    verify: bool | str = True


def refuse_side_effects(
    policy: ClientPolicy,
    operation: str,
    path: Mapping[str, str],
    form: Mapping[str, str] | None,
) -> None:
    """Raise `PolicyRefused` unless `operation` may be sent with these ids."""
    if str(path.get("providerChannelId", "")).startswith(UNKNOWN_PREFIX):
        return  # a channel no provider holds: nothing can be written
    if operation == "postMessage":
        if policy.post_conversation is None:
            raise PolicyRefused("postMessage needs a sandbox conversation in the profile")
        conversation = (form or {}).get("conversationId")
        channel = path.get("providerChannelId")
        # A post without conversationId cannot write anywhere; it tests validation.
        if channel != policy.post_channel or conversation not in (
            None,
            policy.post_conversation,
        ):
            raise PolicyRefused("postMessage only to the sandbox conversation")
    elif operation == "deleteChannelById":
        if policy.delete_channel is None or path.get("providerChannelId") != policy.delete_channel:
            raise PolicyRefused("deleteChannelById only on the disposable channel")
