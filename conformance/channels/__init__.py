"""The other direction: a local Pipedrive Channels API that certifies the vendor's own calls.

`Simulator` serves Pipedrive's Channels API (addChannel, receiveMessage, deleteChannel,
deleteConversation) on loopback, calls the vendor's manifest back as Pipedrive does, and
judges both with the suite's pure checks (`channels.*` and the manifest-side rules).
Facts: ../shared/CHANNELS.md.

Stage: channels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.channels.simulator import Simulator, SimulatorOptions

__all__ = ["RETIRED", "Simulator", "SimulatorOptions"]

# Pipedrive retired the Channels API: the simulator certifies against its last published
# contract (for integrations built on it, and for platforms that implement the same contract).
RETIRED = {
    "notice": "Pipedrive changelog: Breaking change: Deprecation of Channels API",
    "announced": "2025-11-14",
    "removed": "2026-02-01",
    "operations": [
        "POST /v1/channels",
        "POST /v1/channels/messages/receive",
        "DELETE /v1/channels/{id}",
        "DELETE /v1/channels/{channel-id}/conversations/{conversation-id}",
    ],
}


def __getattr__(name: str) -> Any:
    """The simulator on first use: building the command line's parser (`simulate-pipedrive`'s
    options, which name RETIRED) does not import Flask and the suite's client."""
    if name in ("Simulator", "SimulatorOptions"):
        from conformance.channels import simulator

        return getattr(simulator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
