"""A manifest URL is fetched through the HTTP stage's transport: the run's TLS options, a
deadline for the whole answer and a body cap, each failure one clear line."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conformance.errors import ConformanceError
from conformance.http.fetch import load_manifest
from tests.quiet_server import QuietHTTPServer

DOCS = Path(__file__).parents[1] / "data" / "docs-manifest.json"
Serve = Callable[[BaseHTTPRequestHandler], None]


@pytest.fixture
def server() -> Iterator[Callable[..., str]]:
    started: list[ThreadingHTTPServer] = []

    def start(serve: Serve, tls: ssl.SSLContext | None = None) -> str:
        class _Handler(BaseHTTPRequestHandler):
            # HTTP/1.1: the connection stays the client's, so its deadline can cut the socket
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                serve(self)

            def log_message(self, *args: object) -> None:
                pass

        httpd = QuietHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        if tls is not None:
            httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        started.append(httpd)
        scheme = "https" if tls else "http"
        return f"{scheme}://127.0.0.1:{httpd.server_port}/manifest.json"

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


def reply(status: int, body: bytes) -> Serve:
    def serve(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return serve


def test_a_manifest_url_is_fetched_and_bound(server) -> None:
    url = server(reply(200, DOCS.read_bytes()))
    manifest = load_manifest(url)
    assert manifest.source == url and "getConversations" in manifest.endpoints


def test_a_status_other_than_200_is_one_line(server) -> None:
    with pytest.raises(ConformanceError, match="fetching manifest gave HTTP 404"):
        load_manifest(server(reply(404, b"nope")))


def test_a_redirect_is_not_followed(server) -> None:
    def moved(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", "http://127.0.0.1:9/elsewhere")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    with pytest.raises(ConformanceError, match="fetching manifest gave HTTP 302"):
        load_manifest(server(moved))


def test_an_endless_manifest_is_cut_at_the_cap(server) -> None:
    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(64 * 65536))
        handler.end_headers()
        try:
            for _ in range(64):
                handler.wfile.write(b" " * 65536)
        except OSError:
            pass

    with pytest.raises(ConformanceError, match="larger than 1 MiB"):
        load_manifest(server(endless))


def test_a_dripping_manifest_is_cut_at_the_deadline(server) -> None:
    """Every read stays under the socket timeout; only the transport's deadline ends it."""

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        try:
            for _ in range(100):
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    started = time.monotonic()
    with pytest.raises(ConformanceError, match="cannot fetch manifest") as info:
        load_manifest(server(drip), timeout=1.0)
    assert time.monotonic() - started < 4.0 and "\n" not in str(info.value)


def test_an_unreachable_manifest_url_is_one_line() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/manifest.json"
    with pytest.raises(ConformanceError, match="cannot fetch manifest: ConnectionError"):
        load_manifest(url)


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


def test_tls_options_are_the_runs(server, self_signed) -> None:
    """--ca-bundle and --insecure mean for the manifest what they mean for the provider."""
    context, cert = self_signed
    url = server(reply(200, json.dumps(json.loads(DOCS.read_text())).encode()), tls=context)
    with pytest.raises(ConformanceError, match="TLS certificate not trusted .*--ca-bundle"):
        load_manifest(url)
    assert "getConversations" in load_manifest(url, verify=str(cert)).endpoints
    assert "getConversations" in load_manifest(url, verify=False).endpoints
