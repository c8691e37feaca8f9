"""The run's event bus for exchanges: every one the client records reaches the listeners.

HTTP stage. The client only sends and records; what an exchange means is for whoever
listens (the checks' judges, the HAR writer, the progress line), so the transport never
imports a judge (tests/test_layers.py). Held exchanges let a parallel step hand its
exchanges on in an order that does not depend on thread timing.

Stage: http.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from conformance.model import Exchange


@dataclass
class Recorder:
    """Hands every exchange to the listeners (the checks, the progress line) and counts them.

    It keeps none: a run's memory must not grow with its length (findings keep the
    exchanges they need, scenarios the evidence they hand to their judges).
    """

    count: int = 0
    listeners: list[Callable[[Exchange], None]] = field(default_factory=list)
    # Hear which exchanges a step handed to its judge (Session.conclude): not every exchange
    # tagged with a step is evidence (a 429 the client retried is not), so a recorded run
    # is re-judged from these exact groups (har.py, rejudge.py).
    conclusion_listeners: list[Callable[[str, Sequence[Exchange]], None]] = field(
        default_factory=list
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _held: threading.local = field(default_factory=threading.local, repr=False)

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self.count += 1
        held = getattr(self._held, "exchanges", None)
        if held is not None:
            held.append(exchange)
            return
        self.release([exchange])

    def hold(self) -> list[Exchange]:
        """From now on this thread's exchanges wait in the returned list instead of reaching
        the listeners; `release` them (in an order that does not depend on thread timing)."""
        self._held.exchanges = []
        return self._held.exchanges

    def unhold(self) -> None:
        self._held.exchanges = None

    def release(self, exchanges: Sequence[Exchange]) -> None:
        """Hand exchanges to the listeners (judging, HAR, progress), in the order given."""
        for exchange in exchanges:
            for listener in self.listeners:
                listener(exchange)
