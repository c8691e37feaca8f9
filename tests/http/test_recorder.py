"""The recorder: every exchange reaches the listeners, none is kept, held ones wait."""

from __future__ import annotations

from conformance.http.recorder import Recorder
from conformance.model import Exchange, RecordedRequest


def test_recorder_counts_everything_and_keeps_nothing() -> None:
    """Memory stays flat over a long run: the checks see each exchange as it happens."""
    heard: list[Exchange] = []
    recorder = Recorder(listeners=[heard.append])
    sent = [
        Exchange("getTemplates", RecordedRequest("GET", f"http://p/{i}"), None) for i in range(10)
    ]
    for exchange in sent:
        recorder.add(exchange)
    assert recorder.count == 10 and heard == sent
    assert not hasattr(recorder, "exchanges")


def test_held_exchanges_wait_until_released() -> None:
    heard: list[Exchange] = []
    recorder = Recorder(listeners=[heard.append])
    first, second = (
        Exchange("getTemplates", RecordedRequest("GET", f"http://p/{i}"), None) for i in range(2)
    )
    held = recorder.hold()
    recorder.add(first)
    recorder.add(second)
    assert heard == [] and held == [first, second] and recorder.count == 2
    recorder.unhold()
    recorder.release([second, first])
    assert heard == [second, first]
