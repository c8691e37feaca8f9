"""Whether the provider is still there: a dead provider or a hanging operation stops the
sending, not the run.

HTTP stage. The client shows every exchange to a `LivenessWatch` before recording it: a
connection error from a host that had answered and no longer accepts TCP connections marks
the provider down (nothing more is sent; the run ends with a report), and an operation
that times out `ABANDON_AFTER` times in a row is not called again. Judging liveness
(robustness.provider-alive) is the checks' business (conformance/checks/status.py).

Stage: http.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace
from urllib.parse import urlsplit

from conformance.http.policy import PolicyRefused
from conformance.model import Exchange

# Consecutive timeouts after which an operation is not called again in this run.
ABANDON_AFTER = 2


class ProviderDown(PolicyRefused):
    """The provider stopped accepting connections: nothing more is sent in this run."""


class OperationAbandoned(PolicyRefused):
    """An operation that timed out repeatedly: not called again in this run."""


class LivenessWatch:
    """What the exchanges so far say of the provider: who answered, whether it went down,
    which operations are abandoned. Shared by every thread of the client."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.answered: set[str] = set()  # origins (scheme://host:port) that have answered
        self.down: Exchange | None = None  # the request that found the provider gone
        self.abandoned: dict[str, str] = {}  # operation -> why it is no longer called
        self._timeouts: dict[str, int] = {}
        self._lock = threading.Lock()

    def admit(self, operation: str) -> None:
        """Raise when nothing more may be sent to the provider, or of this operation."""
        if self.down is not None:
            raise ProviderDown("the provider stopped accepting connections")
        if operation in self.abandoned:
            raise OperationAbandoned(self.abandoned[operation])

    def watch(self, exchange: Exchange) -> Exchange:
        """Notice a provider that died or an operation that hangs, before recording."""
        operation = exchange.operation
        origin = _origin(exchange.request.url)
        if exchange.response is not None:
            self.answered.add(origin)
        if exchange.error and exchange.error.startswith("timeout"):
            with self._lock:
                self._timeouts[operation] = self._timeouts.get(operation, 0) + 1
                if self._timeouts[operation] >= ABANDON_AFTER:
                    self.abandoned.setdefault(
                        operation,
                        f"{operation} stopped answering ({ABANDON_AFTER} timeouts in a row "
                        f"of {self.timeout:g} s)",
                    )
            return exchange
        self._timeouts[operation] = 0
        if (
            exchange.response is None
            and exchange.error is not None
            and exchange.error.startswith("connection")
            and origin in self.answered  # a host that never answered did not "stop"
            and not _listening(exchange.request.url, self.timeout)
        ):
            exchange = replace(exchange, context={**exchange.context, "provider_down": True})
            with self._lock:
                self.down = self.down or exchange
        return exchange


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _listening(url: str, timeout: float) -> bool:
    """Whether the provider's host still accepts TCP connections (a few tries over ~1.5 s).

    A refused or reset request alone does not prove the provider died (a proxy may drop one
    connection); a port that refuses every new connection for a while does.
    """
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for attempt in range(3):
        try:
            with socket.create_connection((parts.hostname or "", port), timeout=min(timeout, 2.0)):
                return True
        except OSError:
            if attempt < 2:
                time.sleep(0.5)
    return False
