"""The package's one "at most N per second" limiter: a sliding window of event moments.

Both simulated servers answer 429 with it: the reference provider per channel
(`state.RateLimiter`) and the simulated Pipedrive (conformance/channels/desk.py, which
already builds on the reference). It lives in the reference because the reference imports
nothing of the suite (a vendor reads it as a model, tests/reference/test_endpoints.py), and
it imports nothing at all, so the simulator takes it without taking anything else. (The
suite's own sending is paced by conformance/http/pace.py, which estimates what a provider
admits instead of enforcing a limit.)

Stage: reference.
"""

from __future__ import annotations

from collections import deque


class SlidingWindow:
    """At most `limit` events in any `seconds`-long window, at the moments the caller gives.

    Not locked: each caller already holds its own lock around what it admits.
    """

    def __init__(self, limit: int, seconds: float = 1.0) -> None:
        self.limit = limit
        self.seconds = seconds
        self._times: deque[float] = deque()

    def prune(self, now: float) -> None:
        """Forget the events that left the window by `now`."""
        while self._times and self._times[0] <= now - self.seconds:
            self._times.popleft()

    def admit(self, now: float) -> bool:
        """Count an event at `now` if the window has room; False (not counted) if full."""
        self.prune(now)
        if len(self._times) >= self.limit:
            return False
        self._times.append(now)
        return True

    def free_at(self) -> float:
        """When the oldest event in the window leaves it (a slot frees up)."""
        return self._times[0] + self.seconds

    def remaining(self) -> int:
        return max(0, self.limit - len(self._times))

    def __len__(self) -> int:
        return len(self._times)
