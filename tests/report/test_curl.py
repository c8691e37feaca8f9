"""Every reproduce line, executed with real curl, sends the request its finding records.

A recording server on loopback keeps what arrives (method, raw path and query, headers,
multipart parts parsed by Werkzeug's decoder, not by the suite's own parser). Requests the
suite sent through its client are compared with what their curl line sends, in sh and bash,
with CLIENT_ID/CLIENT_SECRET in the environment and no file on disk; then every distinct
reproduce line of a run against a provider that refuses every post and odd query value.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from conformance.model import Exchange
from conformance.report.curl import curl
from tests.http.test_client import SECRET, client_for
from tests.quiet_server import QuietHTTPServer

CURL = shutil.which("curl")
pytestmark = pytest.mark.skipif(
    CURL is None, reason="curl is not installed (Debian package `curl`; .ci/run installs it)"
)
CLIENT_ID = "client"
# Headers that differ by nature between two senders of the same request.
TRANSPORT = {"host", "content-length", "content-type"}


@dataclass
class Arrival:
    method: str
    target: str  # the request target as it arrived: path and query bytes untouched
    headers: dict[str, str]
    body: bytes

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()

    def parts(self) -> list[tuple[str, str | None, str | None, bytes]]:
        """(name, filename, content type, bytes) of each part, in order, by Werkzeug."""
        _, options = parse_options_header(self.headers.get("content-type", ""))
        decoder = MultipartDecoder(options["boundary"].encode())
        decoder.receive_data(self.body)
        decoder.receive_data(None)
        parts: list[list[Any]] = []
        while True:
            event = decoder.next_event()
            if isinstance(event, Field | File):
                filename = event.filename if isinstance(event, File) else None
                parts.append([event.name, filename, event.headers.get("content-type"), b""])
            elif isinstance(event, Data):
                parts[-1][3] += event.data
            elif isinstance(event, Epilogue | NeedData):
                return [tuple(p) for p in parts]  # type: ignore[misc]


class Recording:
    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        recording = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                recording.arrivals.append(Arrival(self.command, self.path, headers, body))
                out = json.dumps({"success": True, "data": {"id": "m1"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _any

            def log_message(self, *args: object) -> None:
                pass

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def replay(
        self, line: str, origin: str, shell: str = "sh", credentials: tuple[str, str] = ("", "")
    ) -> Arrival:
        """Run a reproduce line with the provider's origin swapped for this server's."""
        client_id, secret = credentials if credentials[0] else (CLIENT_ID, SECRET)
        assert origin in line, line
        before = len(self.arrivals)
        done = subprocess.run(
            [shell, "-c", line.replace(origin, self.origin)],
            env={"PATH": "/usr/bin:/bin", "CLIENT_ID": client_id, "CLIENT_SECRET": secret},
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (line, done.stderr)
        assert len(self.arrivals) == before + 1, line
        return self.arrivals[-1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recording() -> Iterator[Recording]:
    server = Recording()
    yield server
    server.close()


def same_request(sent: Arrival, replayed: Arrival) -> None:
    """What curl sent is what the suite sent (the multipart boundary aside)."""
    assert replayed.method == sent.method
    assert replayed.target == sent.target
    strip = {k: v for k, v in sent.headers.items() if k not in TRANSPORT}
    assert {k: v for k, v in replayed.headers.items() if k not in TRANSPORT} == strip
    assert replayed.media_type == sent.media_type
    if sent.media_type == "multipart/form-data":
        assert replayed.parts() == sent.parts()
    else:
        assert replayed.body == sent.body


BINARY = bytes(range(256)) + b"\r\n--not-a-boundary\r\n\x00"
CASES: dict[str, dict[str, Any]] = {
    "odd query values": {
        "operation": "getConversations",
        "query": {"after": "a b&c=d/é%;\"'<>", "conversations_limit": "", "x": "ü☃"},
    },
    "query bytes as sent": {
        "operation": "getConversations",
        "url": "/c/main/conversations?after=%zz&limit=[1]&q=a|b^c{d}&q=2&e=",
    },
    "wrong secret": {"operation": "getConversations", "auth": "wrong-secret"},
    "wrong id": {"operation": "getConversations", "auth": "wrong-id"},
    "no credentials": {"operation": "getConversations", "auth": "none"},
    "form only, unicode and empty values": {
        "operation": "postMessage",
        "form": {
            "conversationId": "s",
            "message": "héllo; type=x, \"q\" @file <in 'quoted' $HOME `id`\nline",
            "empty": "",
            "flag": False,
        },
    },
    "form and a text file": {
        "operation": "postMessage",
        "form": {"conversationId": "s", "message": "@a.txt"},
        "files": [("a.txt", b"hello\nworld\n", "text/plain")],
    },
    "binary file": {
        "operation": "postMessage",
        "form": {"conversationId": "s"},
        "files": [("x.bin", BINARY, "application/octet-stream")],
    },
    "two files, one binary": {
        "operation": "postMessage",
        "form": {"conversationId": "s"},
        "files": [("a.txt", b"one", "text/plain"), ("b;c.bin", BINARY, "image/png")],
    },
    "odd field names": {
        "operation": "postMessage",
        "form": {"conversationId": "s", 'we"ird': "1", "a=b": "2", "ünï": "3"},
    },
    "no fields at all": {"operation": "postMessage", "form": {}},
    "generated binary field (fuzzing)": {
        "operation": "postMessage",
        "prepared": {
            "files": [("recipientIds", (None, b"\xff\xfe\x00")), ("flag", (None, "false"))]
        },
    },
    "delete": {"operation": "deleteChannelById", "path": {"providerChannelId": "tmp"}},
}


def _send(base: str, case: dict[str, Any]) -> Exchange:
    client = client_for(
        base, post_channel="main", post_conversation="s", delete_channel="tmp", timeout=10
    )
    try:
        return client.send(
            case["operation"],
            case.get("path", {"providerChannelId": "main"}),
            query=case.get("query"),
            form=case.get("form"),
            files=case.get("files"),
            prepared=case.get("prepared"),
            auth=case.get("auth", "valid"),
            url=base + case["url"] if "url" in case else None,
        )
    finally:
        client.close()


@pytest.mark.parametrize("name", list(CASES))
def test_curl_line_sends_what_the_suite_sent(recording: Recording, name: str) -> None:
    exchange = _send(recording.origin, CASES[name])
    assert exchange.response is not None and exchange.response.status == 200
    sent = recording.arrivals[-1]
    line = curl(exchange)
    assert SECRET not in line and "$CLIENT_SECRET" in line or "auth" in CASES[name]
    other = Recording()  # a second server: the replay's origin differs from the original's
    try:
        for shell in ("sh", "bash") if shutil.which("bash") else ("sh",):
            same_request(sent, other.replay(line, recording.origin, shell))
    finally:
        other.close()


def test_recorded_request_keeps_binary_parts_whole(recording: Recording) -> None:
    """The model, report.json and the HAR hold a binary file part's exact bytes."""
    from datetime import UTC, datetime

    from conformance.report.canonical import exchange_dict
    from conformance.report.har import har_entry

    exchange = _send(recording.origin, CASES["binary file"])
    (conversation, file) = exchange.request.parts or []
    assert conversation.name == "conversationId" and conversation.data == b"s"
    assert (file.name, file.filename, file.content_type) == (
        "files",
        "x.bin",
        "application/octet-stream",
    )
    assert file.data == BINARY and file.text is None
    request = exchange_dict(exchange)["request"]
    assert request["parts"][1] == {
        "name": "files",
        "size": len(BINARY),
        "filename": "x.bin",
        "content_type": "application/octet-stream",
        "base64": base64.b64encode(BINARY).decode(),
    }
    assert base64.b64decode(request["body_base64"]) == exchange.request.body
    params = har_entry(exchange, datetime.now(UTC))["request"]["postData"]["params"]
    assert params[1]["_encoding"] == "base64" and params[1]["fileName"] == "x.bin"
    assert base64.b64decode(params[1]["value"]) == BINARY


def test_fuzzed_boolean_is_recorded_as_sent(recording: Recording) -> None:
    exchange = _send(recording.origin, CASES["form only, unicode and empty values"])
    fields = {p.name: p.text for p in exchange.request.parts or []}
    assert fields["flag"] == "False" and fields["empty"] == ""  # what went out, not a guess
    assert recording.arrivals[-1].parts()[3] == ("flag", None, None, b"False")


# -- a whole run -----------------------------------------------------------------------
def _refuse_posts_and_odd_queries(environ, status, headers, body):
    from tests.faults import path

    query = environ.get("QUERY_STRING", "")
    odd = any(not (c.isalnum() or c in "=&_-") for c in query)
    refusal = {"success": False, "data": {"code": "BOOM", "message": path(environ)}}
    # each kind under a rule of its own, so the report's per-rule listing holds them all
    if environ["REQUEST_METHOD"] == "POST":
        return 500, headers, refusal
    if environ["REQUEST_METHOD"] == "DELETE":
        return 418, headers, refusal
    if odd:
        return 400, headers, refusal
    return status, headers, body


@pytest.mark.slow
def test_every_reproduce_line_of_a_run_sends_its_findings_request(
    recording: Recording, tmp_path: Path
) -> None:
    from conformance.runner import RunOptions, run
    from tests.faults import provider, rewrite

    with provider(tmp_path, rewrite(_refuse_posts_and_odd_queries)) as (server, path):
        report = run(RunOptions(profile=path, seed=7, max_examples=15, timeout=5, resend=False))
        origin = server.base_url
        credentials = (server.config.client_id, server.config.client_secret)
    lines: dict[str, dict[str, Any]] = {}
    for finding in report.to_dict()["findings"]:
        if finding["reproduce"] and finding["request"]:
            lines.setdefault(finding["reproduce"], finding["request"])
    methods = {r["method"] for r in lines.values()}
    assert {"GET", "POST", "DELETE"} <= methods, methods
    assert any("%" in r["query"] for r in lines.values())  # odd query bytes were replayed
    posts = [r["parts"] for r in lines.values() if "parts" in r]
    assert any(any(p.get("filename") for p in parts) for parts in posts)
    assert any(not any(p.get("filename") for p in parts) for parts in posts)
    for line, request in lines.items():
        arrival = recording.replay(line, origin, credentials=credentials)
        url = urlsplit(request["url"])
        assert arrival.method == request["method"], line
        assert arrival.target == url.path + (f"?{url.query}" if url.query else ""), line
        assert arrival.target.partition("?")[2] == request["query"]
        for name, value in request["headers"].items():
            if name == "authorization":
                assert arrival.headers[name] == _expected_auth(value, *credentials), line
            elif name not in TRANSPORT:
                assert arrival.headers.get(name) == value, (line, name)
        assert set(arrival.headers) - TRANSPORT <= set(request["headers"]), line
        if "parts" in request:
            expected = [
                (
                    p["name"],
                    p.get("filename"),
                    p.get("content_type"),
                    p["text"].encode() if "text" in p else base64.b64decode(p["base64"]),
                )
                for p in request["parts"]
            ]
            assert _same_parts(arrival.parts(), expected), line
            whole = "body_base64" in request or not request["body"].endswith("…[truncated]")
            if "--data-binary" in line and whole:  # the recorded bytes, boundary and all
                assert arrival.body == _recorded_body(request), line
        elif "body" in request:
            assert arrival.body == _recorded_body(request), line


def _recorded_body(request: dict[str, Any]) -> bytes:
    if "body_base64" in request:
        return base64.b64decode(request["body_base64"])
    assert not request["body"].endswith("…[truncated]"), "an excerpt cannot be compared"
    return request["body"].encode()


def _same_parts(arrived: list[tuple], expected: list[tuple]) -> bool:
    """Parts equal by filename, type and bytes, and by name unless the name holds a
    backslash (Werkzeug reads one as an RFC 2616 escape; HTML5, urllib3 and the suite's
    parser send and read it as itself: those bodies are compared byte for byte instead)."""
    return len(arrived) == len(expected) and all(
        a[1:] == e[1:] and (a[0] == e[0] or "\\" in e[0])
        for a, e in zip(arrived, expected, strict=True)
    )


def _expected_auth(placeholder: str, client_id: str, secret: str) -> str:
    from conformance.http.auth import AUTH_PLACEHOLDERS, WRONG_ID, WRONG_SECRET

    pairs = {
        AUTH_PLACEHOLDERS["valid"]: (client_id, secret),
        AUTH_PLACEHOLDERS["wrong-secret"]: (client_id, WRONG_SECRET),
        AUTH_PLACEHOLDERS["wrong-id"]: (WRONG_ID, secret),
    }
    user, password = pairs[placeholder]
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_a_vendor_call_to_pipedrive_replays_its_whole_body(recording: Recording) -> None:
    """The two-sided mode's lines (the vendor's calls to the simulated Channels API) send
    the body whole: once it was cut at 4,000 characters and decoded with replacements."""
    from conformance.model import RecordedRequest

    body = json.dumps({"message": "é☃ " * 2000, "id": "@not-a-file"}, ensure_ascii=False)
    request = RecordedRequest(
        "POST",
        "http://pipedrive.test/v1/channels/messages/receive",
        {"Content-Type": "application/json"},
        body.encode(),
    )
    line = curl(Exchange("receiveMessage", request, None, context={"direction": "to-pipedrive"}))
    arrival = recording.replay(line, "http://pipedrive.test")
    assert arrival.method == "POST" and arrival.target == "/v1/channels/messages/receive"
    assert arrival.body == body.encode()
    assert arrival.headers["content-type"] == "application/json"
