"""The reference's HTTP server: concurrent without a thread per connection, nothing left
behind (tests/reference/test_endpoints.py checks the threads are gone after `stop`)."""

from __future__ import annotations

import threading
import time

import requests

from conformance.reference.server import ReferenceServer


def _app(release: threading.Event, entered: threading.Event | None = None):
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/stuck":
            if entered is not None:
                entered.set()
            release.wait(60)  # set as soon as the other requests are answered
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    return app


def test_a_request_stuck_in_the_provider_holds_up_no_other() -> None:
    release, entered = threading.Event(), threading.Event()
    with ReferenceServer(app=_app(release, entered)) as server:
        stuck = threading.Thread(
            target=requests.get, args=(f"{server.base_url}/stuck",), kwargs={"timeout": 60}
        )
        stuck.start()
        try:
            assert entered.wait(30)  # /stuck holds a worker from here on
            for _ in range(3):  # answered while /stuck still holds its worker
                assert requests.get(f"{server.base_url}/fast", timeout=5).text == "/fast"
            assert stuck.is_alive()
        finally:
            release.set()
            stuck.join(60)


def test_an_idle_worker_takes_the_next_connection() -> None:
    with ReferenceServer(app=_app(threading.Event())) as server:
        pool = server._server
        for _ in range(20):
            assert requests.get(f"{server.base_url}/fast", timeout=5).status_code == 200
            deadline = time.monotonic() + 5
            while pool._idle < 1 and time.monotonic() < deadline:  # back from its answer
                time.sleep(0.001)
        name = f"reference-worker-{server.port}"
        workers = [t for t in threading.enumerate() if t.name == name]
    assert len(workers) == 1  # one thread served all 20 connections, none started per request
