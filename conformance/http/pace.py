"""How fast the suite sends: the user's rate cap, 429 back-offs, and the pace a provider admits.

One `Pacer` per run, shared by every thread of the client. A 429 holds back every thread
until `retry_by`, and lowers the pace to a little under what the provider admitted over the
last two seconds; without 429s for a while the pace creeps back up. So a slow but conformant
provider is met at its own speed instead of being sent request after request into 429s
until the retry budget is gone.

Stage: http.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class Pacer:
    def __init__(self, rate: float | None = None) -> None:
        self.rate = rate  # the user's cap (--rate), requests per second, all threads together
        # The pace settled on after the provider's 429s, None while it never had to slow down.
        self.pace: float | None = None
        self._answers: deque[float] = deque(maxlen=200)  # when recent non-429 answers came
        self._last_429 = 0.0
        self._next_slot = 0.0
        self._backoff_until = 0.0
        self._lock = threading.Lock()

    def wait_turn(self) -> None:
        """Sleep until this request's slot: the rate cap, the pace and any back-off."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot, self._backoff_until)
            if self.pace is not None and now - self._last_429 > 5.0:
                self.pace *= 1.25  # no 429 for a while: speed up again, a step at a time
                self._last_429 = now
            rates = [r for r in (self.rate, self.pace) if r]
            if rates:
                self._next_slot = slot + 1.0 / min(rates)
        if slot > now:
            time.sleep(slot - now)

    def answered(self) -> None:
        """A non-429 answer arrived: evidence of what the provider admits."""
        with self._lock:
            self._answers.append(time.monotonic())

    def back_off(self, seconds: float) -> None:
        """A 429: every thread waits `seconds`, and the pace drops to what was admitted."""
        with self._lock:
            now = time.monotonic()
            self._backoff_until = max(self._backoff_until, now + seconds)
            self._last_429 = now
            recent = [t for t in self._answers if t > now - 2.0]
            if recent:  # nothing admitted lately says nothing about the provider's pace
                pace = max(0.5, 0.8 * len(recent) / max(now - recent[0], 0.5))
                if self.pace is None or pace < self.pace:
                    self.pace = pace
