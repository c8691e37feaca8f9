"""The one HTTP client: auth, redaction, 429 waits, deadlines and the side-effect policy."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conformance.http.client import ProviderClient
from conformance.http.policy import ClientPolicy, PolicyRefused
from conformance.inputs.manifest import parse_manifest
from conformance.inputs.profile import Credentials, Secret
from conformance.report.curl import curl
from tests.quiet_server import QuietHTTPServer

SECRET = "very-secret-value"
Handler = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]


@pytest.fixture
def provider() -> Iterator[Callable[[Handler], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(handle: Handler) -> str:
        class _Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.body = self.rfile.read(length) if length else b""
                status, headers, body = handle(self)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _any

            def log_message(self, *args: object) -> None:
                pass

        server = QuietHTTPServer(("127.0.0.1", 0), _Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def client_for(base: str, **policy: object) -> ProviderClient:
    endpoints = {
        "getConversations": f"{base}/c/:providerChannelId/conversations",
        "getConversationById": f"{base}/c/:providerChannelId/v/:sourceConversationId",
        "postMessage": f"{base}/c/:providerChannelId/messages",
        "deleteChannelById": f"{base}/c/:providerChannelId",
    }
    manifest = parse_manifest(
        json.dumps({"version": "v202101", "endpoints": endpoints}).encode(), "test"
    )
    client = ProviderClient(
        manifest,
        Credentials("client", Secret(SECRET)),
        ClientPolicy(**policy),  # type: ignore[arg-type]
    )
    client.heard = []  # type: ignore[attr-defined]
    client.recorder.listeners.append(client.heard.append)  # type: ignore[attr-defined]
    return client


def json_reply(status: int, body: object) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def test_echoed_credentials_are_scrubbed_from_the_record(provider) -> None:
    base = provider(
        lambda h: json_reply(
            200, {"success": True, "data": [], "echo": h.headers.get("Authorization")}
        )
    )
    client = client_for(base)
    exchange = client.send("getConversations", {"providerChannelId": "ch"})
    text = exchange.response.body.decode() + json.dumps(dict(exchange.request.headers))
    assert "Y2xpZW50" not in text and SECRET not in text  # base64("client...") and secret
    assert "<redacted>" in exchange.response.body.decode()
    assert exchange.request.headers["authorization"] == "Basic <base64 client_id:client_secret>"
    assert SECRET not in curl(exchange) and '"$CLIENT_ID:$CLIENT_SECRET"' in curl(exchange)


def test_429_is_waited_out_until_retry_by_and_recorded(provider) -> None:
    calls: list[float] = []

    def handle(h: BaseHTTPRequestHandler):
        calls.append(time.monotonic())
        if len(calls) == 1:
            retry = (datetime.now(UTC) + timedelta(milliseconds=300)).strftime(
                "%Y-%m-%dT%H:%M:%S.%f"
            )[:-3] + "Z"
            return json_reply(
                429,
                {
                    "success": False,
                    "data": {
                        "message": "slow down",
                        "code": "RATE_LIMIT_EXCEEDED",
                        "retry_by": retry,
                    },
                },
            )
        return json_reply(200, {"success": True, "data": []})

    client = client_for(provider(handle))
    exchange = client.send("getConversations", {"providerChannelId": "ch"})
    assert exchange.response.status == 200
    assert [e.response.status for e in client.heard] == [429, 200]
    assert calls[1] - calls[0] >= 0.2


def test_retry_wait_is_capped(provider) -> None:
    far = (datetime.now(UTC) + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    base = provider(
        lambda h: json_reply(
            429,
            {
                "success": False,
                "data": {"message": "no", "code": "RATE_LIMIT_EXCEEDED", "retry_by": far},
            },
        )
    )
    client = client_for(base, retry_cap=0.2, max_retries=2)
    started = time.monotonic()
    exchange = client.send("getConversations", {"providerChannelId": "ch"})
    assert exchange.response.status == 429 and len(client.heard) == 3
    assert time.monotonic() - started < 2


def test_slow_provider_times_out_as_an_exchange(provider) -> None:
    def handle(h: BaseHTTPRequestHandler):
        time.sleep(1.0)
        return json_reply(200, {"success": True, "data": []})

    client = client_for(provider(handle), timeout=0.3)
    exchange = client.send("getConversations", {"providerChannelId": "ch"})
    assert exchange.response is None and exchange.error.startswith("timeout")


def test_body_cap_truncates(provider) -> None:
    base = provider(lambda h: (200, {"Content-Type": "application/json"}, b"x" * 200_000))
    exchange = client_for(base, body_cap=1000).send("getConversations", {"providerChannelId": "ch"})
    assert exchange.response.truncated and len(exchange.response.body) == 1000


def test_unreachable_provider_is_an_exchange_not_an_exception() -> None:
    client = client_for("http://127.0.0.1:9", timeout=1)
    exchange = client.send("getConversations", {"providerChannelId": "ch"})
    assert exchange.response is None and exchange.error.startswith("connection")


def test_side_effects_only_where_the_profile_allows(provider) -> None:
    seen: list[str] = []
    base = provider(lambda h: (seen.append(h.path), json_reply(200, {"success": True}))[1])
    client = client_for(
        base, post_channel="main", post_conversation="sandbox", delete_channel="tmp"
    )
    with pytest.raises(PolicyRefused):
        client.send(
            "postMessage",
            {"providerChannelId": "main"},
            form={"conversationId": "production", "message": "hi"},
        )
    with pytest.raises(PolicyRefused):
        client.send(
            "postMessage",
            {"providerChannelId": "other"},
            form={"conversationId": "sandbox", "message": "hi"},
        )
    with pytest.raises(PolicyRefused):
        client.send("deleteChannelById", {"providerChannelId": "main"})
    client.send(
        "postMessage",
        {"providerChannelId": "main"},
        form={"conversationId": "sandbox", "message": "hi"},
        files=[("a.txt", b"hello", "text/plain")],
    )
    client.send("deleteChannelById", {"providerChannelId": "tmp"})
    assert seen == ["/c/main/messages", "/c/tmp"]
    refused = client_for(base)
    with pytest.raises(PolicyRefused):
        refused.send("deleteChannelById", {"providerChannelId": "tmp"})


def test_multipart_reaches_the_provider_and_curl_replays_it(provider) -> None:
    bodies: list[bytes] = []

    def handle(h: BaseHTTPRequestHandler):
        bodies.append(h.body)
        return json_reply(200, {"success": True, "data": {"id": "m1"}})

    client = client_for(provider(handle), post_channel="main", post_conversation="s")
    exchange = client.send(
        "postMessage",
        {"providerChannelId": "main"},
        form={"conversationId": "s", "message": "hi there"},
        files=[("a.txt", b"hello", "text/plain")],
    )
    assert b'name="message"' in bodies[0] and b"hi there" in bodies[0]
    assert b'filename="a.txt"' in bodies[0]
    command = curl(exchange)
    assert "--form-string 'message=hi there'" in command
    assert command.startswith("printf %s hello | curl ")  # the file's bytes, no file on disk
    assert "-F 'files=@-;filename=a.txt;type=text/plain'" in command


def test_rate_cap_paces_requests(provider) -> None:
    base = provider(lambda h: json_reply(200, {"success": True, "data": []}))
    client = client_for(base, rate=20)
    started = time.monotonic()
    for _ in range(6):
        client.send("getConversations", {"providerChannelId": "ch"})
    assert time.monotonic() - started >= 5 / 20 * 0.9


def test_a_broken_connection_is_marked_with_when_it_broke(provider) -> None:
    """robustness.provider-alive tells the killer (broke) from the refused that follow."""
    import socket

    def cut(h: BaseHTTPRequestHandler):
        h.connection.shutdown(socket.SHUT_RDWR)  # no answer at all
        raise ConnectionAbortedError

    base = provider(cut)
    client = client_for(base)
    broke = client.send("getConversations", {"providerChannelId": "ch"})
    assert broke.response is None and broke.error.startswith("connection")
    assert broke.context["connection"] == "broke"
    assert broke.context["sent_at"] <= broke.context["broke_at"]
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    refused = client_for(closed).send("getConversations", {"providerChannelId": "ch"})
    assert refused.context["connection"] == "refused" and "broke_at" not in refused.context
    # a context copied from a broken exchange (a re-send) says nothing of the new sending
    fine = client_for(provider(lambda h: json_reply(200, {"success": True, "data": []})))
    again = fine.send("getConversations", {"providerChannelId": "ch"}, context=broke.context)
    assert again.response is not None and "connection" not in again.context
    assert "broke_at" not in again.context and again.context["sent_at"] > broke.context["sent_at"]
