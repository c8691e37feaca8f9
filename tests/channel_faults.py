"""Faulty vendor apps: the reference playing the vendor, with one habit broken each.

The other direction's counterpart of `tests/faults.py`: each fault is a `VendorBehaviour`
(a rewrite of the app's outgoing calls, or a switch) and names the one `channels.*` rule
the simulator must report for it, and no other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from conformance.reference.data import MAIN_CHANNEL
from conformance.reference.vendor import Call, ReferenceVendor, VendorBehaviour, rewrite_body

RECEIVE = "/channels/messages/receive"


@dataclass(frozen=True)
class ChannelFault:
    name: str
    rule: str
    behaviour: VendorBehaviour
    manifest_edit: Callable[[dict], None] | None = None
    clause: str = ""  # the part of the rule it breaks, as in tests/faults.py
    also: frozenset[str] = frozenset()  # always empty: each is caught by exactly its rule


def _receiving(conversation: str, status: str | None = None):
    """Match receiveMessage calls for one conversation (and status, when given)."""

    def matches(call: Call) -> bool:
        body = call.body or {}
        return (
            call.path == RECEIVE
            and body.get("conversation_id") == conversation
            and (status is None or body.get("status") == status)
        )

    return matches


def _when(matches: Callable[[Call], bool], change: Callable[[ReferenceVendor, Call], Call]):
    def transform(vendor: ReferenceVendor, call: Call) -> Call:
        return change(vendor, call) if matches(call) else call

    return VendorBehaviour(transform=transform)


def _bad_registration_first(vendor: ReferenceVendor, call: Call) -> Call:
    if call.path == "/channels" and (call.body or {}).get("provider_channel_id") == MAIN_CHANNEL:
        vendor._call(rewrite_body(call, provider_type="telegram"))  # noqa: SLF001
    return call


def _drop_getTemplates(manifest: dict) -> None:  # noqa: N802 - the endpoint's name
    manifest["endpoints"].pop("getTemplates")


CHANNEL_FAULTS: list[ChannelFault] = [
    ChannelFault(
        "vendor registers a channel with provider_type 'telegram'",
        "channels.register-schema",
        VendorBehaviour(transform=_bad_registration_first),
    ),
    ChannelFault(
        "vendor claims template_support without getTemplates in its manifest",
        "channels.template-support",
        VendorBehaviour(template_support=True),
        manifest_edit=_drop_getTemplates,
    ),
    ChannelFault(
        "vendor names the channel by the id Pipedrive returned",
        "channels.provider-id",
        _when(
            _receiving("conv-004", "delivered"),
            lambda v, c: rewrite_body(c, channel_id=v.pipedrive_ids[MAIN_CHANNEL]),
        ),
    ),
    ChannelFault(
        "vendor sends local times (+02:00)",
        "channels.receive-schema",
        _when(
            _receiving("conv-006"),
            lambda v, c: rewrite_body(c, created_at="2024-05-01T12:00:00+02:00"),
        ),
    ),
    ChannelFault(
        "vendor delivers to a channel it never registered",
        "channels.receive-known-channel",
        _when(
            _receiving("conv-006", "sent"),
            lambda v, c: rewrite_body(c, channel_id="ref-never-registered"),
        ),
    ),
    ChannelFault(
        "vendor names a sender who is not a participant",
        "channels.receive-participant",
        _when(_receiving("conv-004", "sent"), lambda v, c: rewrite_body(c, sender_id="ghost-1")),
    ),
    ChannelFault(
        "vendor delivers a message it cannot serve back",
        "channels.receive-retrievable",
        _when(
            _receiving("conv-005"),
            lambda v, c: rewrite_body(c, id="phantom-" + str((c.body or {}).get("id"))),
        ),
    ),
    ChannelFault(
        "vendor moves a status backwards (read -> sent)",
        "channels.status-forward",
        _when(_receiving("conv-005", "read"), lambda v, c: rewrite_body(c, status="sent")),
    ),
    ChannelFault(
        "vendor never reports the status of messages posted to it",
        "channels.posted-status",
        VendorBehaviour(report_posted=False),
    ),
    ChannelFault(
        "vendor deletes a conversation Pipedrive never heard of",
        "channels.delete-known",
        _when(
            lambda c: c.method == "DELETE" and "/conversations/" in c.path,
            lambda v, c: replace(c, path=c.path.rsplit("/", 1)[0] + "/conv-ghost"),
        ),
    ),
    ChannelFault(
        "vendor forgets the token on one call",
        "channels.auth",
        _when(_receiving("conv-004", "delivered"), lambda v, c: replace(c, token=False)),
    ),
    ChannelFault(
        "vendor ignores a 429 and calls again at once",
        "channels.backoff",
        VendorBehaviour(honour_429=False),
    ),
]
