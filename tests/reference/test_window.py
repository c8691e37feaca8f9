"""The one sliding-window limiter both simulated servers answer 429 with."""

from __future__ import annotations

from conformance.reference.window import SlidingWindow


def test_the_sliding_window_admits_limit_events_in_any_window() -> None:
    """The one limiter of the reference provider and the simulated Pipedrive."""
    window = SlidingWindow(3, seconds=1.0)
    assert [window.admit(t) for t in (0.0, 0.2, 0.4, 0.6)] == [True, True, True, False]
    assert len(window) == 3 and window.remaining() == 0 and window.free_at() == 1.0
    assert window.admit(1.0)  # the event at 0.0 left exactly at 1.0 (window is (now-1, now])
    assert not window.admit(1.1) and window.free_at() == 1.2
    window.prune(5.0)
    assert len(window) == 0 and window.remaining() == 3


def test_both_servers_limit_with_the_shared_window() -> None:
    """No second limiter: the reference's and the simulator's windows are SlidingWindows."""
    from conformance.channels.desk import Tally
    from conformance.reference.state import RateLimiter

    limiter = RateLimiter(2)
    assert limiter.admit("c") is None and limiter.admit("c") is None
    assert limiter.admit("c") is not None and limiter.admit("other") is None
    assert all(isinstance(w, SlidingWindow) for w in limiter._windows.values())
    tally = Tally(2, force_at=None)
    assert isinstance(tally.window, SlidingWindow)
    assert [tally.admit(0.0), tally.admit(0.1), tally.admit(0.2)] == [None, None, 0]
    assert tally.remaining() == 0 and tally.admit(1.05) is None
