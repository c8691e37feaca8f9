"""The transport: one session factory and one deadline- and cap-bound transfer for every
request the suite makes (the provider client's and the manifest fetch's)."""

from __future__ import annotations

import requests

from conformance.http.transport import mark_lost


def test_only_a_lost_connection_counts_as_broken() -> None:
    """A request that never went out as such (a bad URL) did not break a connection."""
    assert mark_lost({}, requests.exceptions.InvalidURL("bad"))["connection"] == "failed"
    for lost in (requests.exceptions.ChunkedEncodingError("cut"), ConnectionResetError()):
        marks = mark_lost({"step": "s"}, lost)
        assert marks["connection"] == "broke" and marks["step"] == "s" and "broke_at" in marks
