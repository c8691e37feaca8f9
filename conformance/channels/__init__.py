"""The other direction: a local Pipedrive Channels API that certifies the vendor's own calls.

`Simulator` serves Pipedrive's Channels API (addChannel, receiveMessage, deleteChannel,
deleteConversation) on loopback, calls the vendor's manifest back as Pipedrive does, and
judges both with the suite's pure checks (`channels.*` and the manifest-side rules).
Facts: ../shared/CHANNELS.md.

Stage: channels.
"""

from __future__ import annotations

from conformance.channels.simulator import Simulator, SimulatorOptions

__all__ = ["Simulator", "SimulatorOptions"]
