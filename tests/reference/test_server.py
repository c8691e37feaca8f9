"""The reference's HTTP server: concurrent without a thread per connection, nothing left
behind (tests/reference/test_endpoints.py checks the threads are gone after `stop`)."""

from __future__ import annotations

import threading

import requests

from conformance.reference.server import ReferenceServer


def _app(release: threading.Event):
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/stuck":
            release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    return app


def test_a_request_stuck_in_the_provider_holds_up_no_other() -> None:
    release = threading.Event()
    with ReferenceServer(app=_app(release)) as server:
        stuck = threading.Thread(
            target=requests.get, args=(f"{server.base_url}/stuck",), kwargs={"timeout": 10}
        )
        stuck.start()
        try:
            for _ in range(3):  # answered while /stuck still holds its worker
                assert requests.get(f"{server.base_url}/fast", timeout=5).text == "/fast"
            assert stuck.is_alive()
        finally:
            release.set()
            stuck.join(10)


def test_workers_are_reused_between_connections() -> None:
    with ReferenceServer(app=_app(threading.Event())) as server:
        for _ in range(20):
            assert requests.get(f"{server.base_url}/fast", timeout=5).status_code == 200
        name = f"reference-worker-{server.port}"
        workers = [t for t in threading.enumerate() if t.name == name]
    assert 1 <= len(workers) <= 3  # one per connection at a time, not one per request
