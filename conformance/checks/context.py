"""What a check may know besides the exchange: the spec's view of an operation and the clock.

Kept as a small protocol so checks stay pure and unit tests can hand them a fake spec.

Stage: checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from conformance.options import BODY_CAP, TIMEOUT


class SpecView(Protocol):
    def documented_statuses(self, operation: str) -> frozenset[int]:
        """Statuses the spec documents for the operation (empty when unknown)."""

    def response_schema(self, operation: str, status: int) -> dict[str, Any] | None:
        """The JSON Schema (refs resolved) of the operation's response body, if any."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CheckContext:
    spec: SpecView
    timeout: float = TIMEOUT
    body_cap: int = BODY_CAP
    now: Callable[[], datetime] = field(default=_utcnow)
    # Allowed clock skew when judging retry_by "not in the past".
    skew_seconds: float = 5.0
