"""How a reference provider is started: its credentials, rate limit and channel size.

Apart from the app so that reading the defaults (the command line's `serve-reference`
options, the runner's embedded reference) does not import Flask: every `messaging-conformance`
command builds its whole parser, and Flask is a fifth of a short command's start-up.

Stage: reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.reference.data import CONVERSATIONS


@dataclass(frozen=True)
class ReferenceConfig:
    client_id: str = "reference-client"
    client_secret: str = "reference-secret"
    rate_limit: int | None = 50  # requests per second per channel; None or 0 disables
    conversations: int = CONVERSATIONS  # in the main channel (the benchmark scales it)
