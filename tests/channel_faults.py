"""Faulty vendor apps: the reference playing the vendor, with one habit broken each.

The other direction's counterpart of `tests/faults.py`: each fault is a `VendorBehaviour`
(a rewrite of the app's outgoing calls, or a switch) and names the one `channels.*` rule
the simulator must report for it, and no other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from conformance.reference.data import DISPOSABLE_CHANNEL, MAIN_CHANNEL
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


def _bad_registration_first(**changes: object) -> VendorBehaviour:
    """Before the real registration of the main channel, one with `changes` (refused: 400)."""

    def transform(vendor: ReferenceVendor, call: Call) -> Call:
        if (
            call.path == "/channels"
            and (call.body or {}).get("provider_channel_id") == MAIN_CHANNEL
        ):
            vendor._call(rewrite_body(call, **changes))  # noqa: SLF001
        return call

    return VendorBehaviour(transform=transform)


def _without(key: str) -> Callable[[ReferenceVendor, Call], Call]:
    return lambda v, c: replace(c, body={k: x for k, x in (c.body or {}).items() if k != key})


def _channel_delete(call: Call) -> bool:
    return call.method == "DELETE" and "/conversations/" not in call.path


def _drop_getTemplates(manifest: dict) -> None:  # noqa: N802 - the endpoint's name
    manifest["endpoints"].pop("getTemplates")


CHANNEL_FAULTS: list[ChannelFault] = [
    ChannelFault(
        "vendor registers a channel with provider_type 'telegram'",
        "channels.register-schema",
        _bad_registration_first(provider_type="telegram"),
        clause="provider_type in {facebook, whatsapp, other}",
    ),
    ChannelFault(
        "vendor registers an avatar_url that is not a URL",
        "channels.register-schema",
        _bad_registration_first(avatar_url="avatar.png"),
        clause="avatar_url a URL",
    ),
    ChannelFault(
        "vendor registers template_support as the string 'true'",
        "channels.register-schema",
        _bad_registration_first(template_support="true"),
        clause="template_support boolean",
    ),
    ChannelFault(
        "vendor registers without provider_channel_id",
        "channels.register-schema",
        _bad_registration_first(provider_channel_id=None),
        clause="name, provider_channel_id strings",
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
        clause="receiveMessage channel_id",
    ),
    ChannelFault(
        "vendor deletes its channel by the id Pipedrive returned",
        "channels.provider-id",
        _when(
            _channel_delete,
            lambda v, c: replace(c, path=f"/channels/{v.pipedrive_ids[DISPOSABLE_CHANNEL]}"),
        ),
        clause="deleteChannel path id",
    ),
    ChannelFault(
        "vendor sends local times (+02:00)",
        "channels.receive-schema",
        _when(
            _receiving("conv-006"),
            lambda v, c: rewrite_body(c, created_at="2024-05-01T12:00:00+02:00"),
        ),
        clause="UTC timestamps",
    ),
    ChannelFault(
        "vendor reports a status outside the enum ('seen')",
        "channels.receive-schema",
        _when(_receiving("conv-006", "delivered"), lambda v, c: rewrite_body(c, status="seen")),
        clause="status enum",
    ),
    ChannelFault(
        "vendor leaves sender_id out of a message",
        "channels.receive-schema",
        _when(_receiving("conv-006", "delivered"), _without("sender_id")),
        clause="required fields",
    ),
    ChannelFault(
        "vendor sends an attachment without url",
        "channels.receive-schema",
        _when(
            _receiving("conv-006", "read"),
            lambda v, c: rewrite_body(c, attachments=[{"id": "a-1", "type": "image/png"}]),
        ),
        clause="attachments with id, type, url",
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
        clause="the message reads back at all",
    ),
    ChannelFault(
        "vendor delivers a text its getConversationById does not serve",
        "channels.receive-retrievable",
        _when(_receiving("conv-005"), lambda v, c: rewrite_body(c, message="Edited on the way")),
        clause="same text",
    ),
    ChannelFault(
        "vendor moves a status backwards (read -> sent)",
        "channels.status-forward",
        _when(_receiving("conv-005", "read"), lambda v, c: rewrite_body(c, status="sent")),
        clause="sent -> delivered -> read",
    ),
    ChannelFault(
        "vendor reports read after failed",
        "channels.status-forward",
        _when(_receiving("conv-005", "delivered"), lambda v, c: rewrite_body(c, status="failed")),
        clause="failed is final",
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
        clause="deleteConversation names a known conversation",
    ),
    ChannelFault(
        "vendor deletes a channel it never registered",
        "channels.delete-known",
        _when(_channel_delete, lambda v, c: replace(c, path="/channels/ref-never-registered")),
        clause="deleteChannel names a registered channel",
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
