"""The transport: one session factory and one deadline- and cap-bound transfer for every
request the suite makes (the provider client's and the manifest fetch's)."""

from __future__ import annotations

import threading
import time

import requests

from conformance.http.transport import Watchdog, mark_lost


def test_only_a_lost_connection_counts_as_broken() -> None:
    """A request that never went out as such (a bad URL) did not break a connection."""
    assert mark_lost({}, requests.exceptions.InvalidURL("bad"))["connection"] == "failed"
    for lost in (requests.exceptions.ChunkedEncodingError("cut"), ConnectionResetError()):
        marks = mark_lost({"step": "s"}, lost)
        assert marks["connection"] == "broke" and marks["step"] == "s" and "broke_at" in marks


def test_the_watchdog_fires_at_each_deadline_unless_cancelled() -> None:
    watchdog = Watchdog()
    fired: list[str] = []
    now = time.monotonic()
    late = watchdog.arm(now + 0.6, lambda: fired.append("late"))
    watchdog.arm(now + 0.2, lambda: fired.append("early"))  # armed after, due before
    watchdog.arm(now + 0.1, lambda: 1 / 0)  # a failing action stops nothing else
    cancelled = watchdog.arm(now + 0.05, lambda: fired.append("cancelled"))
    cancelled.cancel()
    deadline = time.monotonic() + 30  # generous: a loaded machine delays the thread
    while len(fired) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fired == ["early", "late"]
    assert time.monotonic() - now >= 0.6
    late.cancel()  # after it fired: nothing happens


def test_the_watchdog_thread_ends_when_idle_and_comes_back() -> None:
    watchdog = Watchdog()
    watchdog.IDLE_SECONDS = 0.1
    fired = threading.Event()
    watchdog.arm(time.monotonic() + 0.05, fired.set)
    assert fired.wait(30)
    deadline = time.monotonic() + 30  # generous: a loaded machine delays the thread
    while watchdog._thread is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert watchdog._thread is None  # an idle process keeps no thread of ours
    again = threading.Event()
    watchdog.arm(time.monotonic() + 0.05, again.set)
    assert again.wait(30)
