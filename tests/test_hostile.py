"""Hostile and half-built providers: every run ends in bounded time with a report or a clear
one-line error, and findings land under the right rule.

Each case runs a real provider on loopback. Bounds are hang detectors, documented per case
(they are generous on purpose; speed is measured in bench/, not asserted here):
- no answer at all: exit 2 after about one --timeout;
- slow drip / connection reset / huge or gzip-bomb body / non-JSON: one request's timeout at
  most, the rest of the run as usual;
- redirects: never followed, so no extra time;
- 429 storm with retry_by hours ahead: at most the run's retry budget (60 s by default) of
  waiting in all, each wait capped at 30 s;
- endless cursors: 1000 pages for the first walk, the rest sized from it;
- the provider dying mid-run: connection refused is immediate.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from conformance import events
from conformance.reference import ReferenceConfig, ReferenceServer, create_app
from conformance.runner import RunOptions, run
from tests.commands import cli
from tests.faults import is_list, path, provider, rewrite

ROOT = Path(__file__).resolve().parents[1]
UNLIMITED = ReferenceConfig(rate_limit=None)


def no_probe(profile: dict) -> None:
    profile.pop("rate_limit_probe", None)


def on_templates(body_iter):
    """Middleware: getTemplates answers with `body_iter(start_response)` instead."""

    def wrap(app):
        def middleware(environ, start_response):
            if path(environ).endswith("/templates") and environ["REQUEST_METHOD"] == "GET":
                return body_iter(start_response)
            return app(environ, start_response)

        return middleware

    return wrap


def failing(report) -> set[str]:
    return {r.rule.id for r in report.results if r.status in ("failed", "warning")}


def run_against(tmp_path, wrap, **options):
    with provider(tmp_path, wrap, no_probe, UNLIMITED) as (_, profile):
        return run(RunOptions(profile=profile, seed=1, fuzz=False, **options))


def test_provider_that_never_answers_is_exit_2_with_a_report(tmp_path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])  # accept, never answer
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    with ReferenceServer() as server:
        manifest = json.dumps(server.manifest()).replace(f":{server.port}/", f":{port}/")
    (tmp_path / "manifest.json").write_text(manifest)
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        yaml.safe_dump(
            {
                "manifest": "manifest.json",
                "channel": "ref-main",
                "credentials": {"client_id": "a", "client_secret": "b"},
            }
        )
    )
    try:
        result = cli(
            "run",
            "--profile",
            str(profile),
            "--report-dir",
            str(tmp_path / "out"),
            "--timeout",
            "1",
            timeout=60,
        )
    finally:
        stop.set()
        listener.close()
        for sock in held:
            sock.close()
    assert result.returncode == 2 and "unreachable" in result.stdout + result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["verdict"] == "error" and "timeout" in report["error"]


def test_slow_drip_is_cut_at_the_timeout(tmp_path) -> None:
    def drip(start_response):
        start_response("200 OK", [("Content-Type", "application/json")])

        def body():
            for _ in range(200):
                time.sleep(0.1)
                yield b" "

        return body()

    started = time.monotonic()
    report = run_against(tmp_path, on_templates(drip), timeout=1.5)
    assert "robustness.timeout" in failing(report)
    assert time.monotonic() - started < 60  # 20 s of drip per request would be far more


def test_connection_reset_mid_body(tmp_path) -> None:
    def reset(start_response):
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "1000")])
        return [b'{"success": true, "data": {"templ']  # far short of Content-Length

    report = run_against(tmp_path, on_templates(reset))
    assert "status.no-server-error" in failing(report)


@functools.cache
def _gzip_bomb() -> bytes:
    """64 MiB of spaces, ~64 KiB sent: compressed once (~0.3 s of CPU), not per request."""
    return gzip.compress(b" " * (64 * 1024 * 1024))


@pytest.mark.parametrize("name", ["huge", "gzip-bomb", "not-json"])
@pytest.mark.slow
def test_oversized_and_broken_bodies(tmp_path, name) -> None:
    def huge(start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        chunk = b'{"success": true, "data": {"templates": [' + b'"x",' * 250_000

        def body():
            yield chunk
            for _ in range(20):  # ~20 MiB in all, twice the cap
                yield b'"x",' * 250_000
            yield b'"x"]}}'

        return body()

    def bomb(start_response):
        payload = _gzip_bomb()
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
                ("Content-Length", str(len(payload))),
            ],
        )
        return [payload]

    def not_json(start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"success": true, "data": {"templates": [']

    behaviour = {"huge": huge, "gzip-bomb": bomb, "not-json": not_json}[name]
    report = run_against(tmp_path, on_templates(behaviour))
    if name == "not-json":
        assert "response.success-envelope" in failing(report)
        finding = next(f for f in report.findings if f.rule == "response.success-envelope")
    else:
        # over the cap: robustness.response-size, once for the operation, with the size seen;
        # the cut body is not judged as broken JSON
        assert "robustness.response-size" in failing(report)
        assert "response.success-envelope" not in failing(report)
        (finding,) = [f for f in report.findings if f.rule == "robustness.response-size"]
        assert "over the body cap of 10485760 bytes" in finding.message
    assert finding.operation == "getTemplates"
    assert len(finding.exchange.response.body) <= 10 * 1024 * 1024


@pytest.mark.parametrize("target", ["loop", "elsewhere"])
def test_redirects_are_never_followed(tmp_path, target) -> None:
    hits: list[str] = []

    def redirect(app):
        def middleware(environ, start_response):
            hits.append(path(environ))
            if path(environ).endswith("/templates"):
                location = (
                    environ["PATH_INFO"]
                    if target == "loop"
                    else "http://provider.example/steal-credentials"
                )
                start_response(
                    "302 Found", [("Location", location), ("Content-Type", "application/json")]
                )
                return [b"{}"]
            return app(environ, start_response)

        return middleware

    report = run_against(tmp_path, redirect)
    assert "status.documented" in failing(report)
    templates = [h for h in hits if h.endswith("/templates")]
    # each request to getTemplates was sent once; no redirect was ever followed
    assert len(templates) == len([e for e in hits if e.endswith("/templates")])
    assert all(not h.startswith("/steal") for h in hits)


@pytest.mark.slow
def test_429_storm_far_ahead_is_bounded_by_the_retry_budget(tmp_path) -> None:
    def storm(environ, status, headers, body):
        if path(environ).endswith("/templates"):
            return (
                429,
                headers,
                {
                    "success": False,
                    "data": {
                        "message": "slow down",
                        "code": "RATE_LIMIT_EXCEEDED",
                        "retry_by": "2099-01-01T00:00:00.000Z",
                    },
                },
            )
        return status, headers, body

    started = time.monotonic()
    report = run_against(tmp_path, rewrite(storm), retry_cap=0.5, retry_budget=2.0)
    assert "error.retry-by-horizon" in failing(report)
    assert time.monotonic() - started < 60


@pytest.mark.slow
def test_endless_cursors_end_at_the_page_budget(tmp_path) -> None:
    counter = iter(range(10**9))

    def endless(environ, status, headers, body):
        if not (is_list(environ) and status in (200, 400)):
            return status, headers, body
        number = next(counter)
        conversation = {
            "id": f"endless-{number}",
            "link": "",
            "status": "open",
            "seen": True,
            "participants": [],
            "messages": [],
        }
        return (
            200,
            headers,
            {
                "success": True,
                "data": [conversation],
                "additional_data": {"after": f"page-{number + 1}"},
            },
        )

    report = run_against(tmp_path, rewrite(endless), har=tmp_path / "run.har")
    messages = [f.message for f in report.findings if f.rule == "pagination.cursor-walk"]
    assert any("never ends: no end after 1000 pages" in m for m in messages), messages
    # A list that never ends is not read whole twice more around a post: that clause is
    # skipped, saying why, instead of sending 2,000 more requests to a provider shown broken.
    notes = report.meta["notes"]
    assert any("did not end within 1000 pages" in n and "SKIPPED" in n for n in notes), notes
    entries = json.loads((tmp_path / "run.har").read_text())["log"]["entries"]
    lists = sum(e["_operation"] == "getConversations" for e in entries)
    assert 1000 < lists < 1300, lists  # the walk, its limit-7 walk, and the other scenarios


def test_provider_dying_mid_run_ends_with_a_report(tmp_path) -> None:
    """The provider process is killed mid-run (open connections die with it): one
    robustness.provider-alive finding, nothing sent after, never a flood of server errors."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    profile = tmp_path / "profile.yaml"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "conformance",
            "serve-reference",
            "--port",
            str(port),
            "--profile",
            str(profile),
            "--rate-limit",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        for _ in range(3):
            server.stdout.readline()

        def kill_after_the_walks(event: events.Event) -> None:
            # killed at a known point of the run, not after a fixed time (machines differ)
            if isinstance(event, events.StepFinished) and event.name == "conversation walks":
                server.kill()
                server.wait()

        started = time.monotonic()
        report = run(
            RunOptions(profile=profile, seed=1, fuzz=False, timeout=2), kill_after_the_walks
        )
        elapsed = time.monotonic() - started
    finally:
        server.kill()
        server.wait()
    assert report.exit_code == 1
    assert failing(report) == {"robustness.provider-alive"}
    (finding,) = [f for f in report.findings if f.rule == "robustness.provider-alive"]
    assert "stopped accepting connections" in finding.message
    assert finding.exchange is not None and finding.exchange.response is not None  # the cause
    assert all("500" not in f.message for f in report.findings)
    skipped = [r for r in report.results if r.status == "skipped"]
    assert any("provider down" in r.reason for r in skipped)
    assert not any(r.reason == "not exercised by this run" for r in skipped)
    assert elapsed < 60  # a hang detector: the figure itself is in bench/


def test_unresolvable_host_is_exit_2(tmp_path) -> None:
    with ReferenceServer() as server:
        manifest = json.dumps(server.manifest()).replace(
            f"127.0.0.1:{server.port}", "provider.invalid"
        )
    (tmp_path / "manifest.json").write_text(manifest)
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        yaml.safe_dump(
            {
                "manifest": "manifest.json",
                "channel": "c",
                "credentials": {"client_id": "a", "client_secret": "b"},
            }
        )
    )
    result = cli(
        "run",
        "--profile",
        str(profile),
        "--report-dir",
        str(tmp_path / "out"),
        "--timeout",
        "3",
        timeout=120,
    )
    assert result.returncode == 2
    # one line saying what, where and what to try; no list of skipped rules
    (line,) = [row for row in result.stderr.splitlines() if "error" in row]
    assert "provider unreachable at http://provider.invalid" in line and "is the provider" in line
    assert "SKIP" not in result.stdout + result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["verdict"] == "error" and "unreachable" in report["error"]


@pytest.fixture
def tls_provider(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    from werkzeug.serving import make_server

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    server = make_server(
        "127.0.0.1", 0, create_app(UNLIMITED), threaded=True, ssl_context=(str(cert), str(key))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"https://127.0.0.1:{server.socket.getsockname()[1]}"
    with ReferenceServer() as plain:
        manifest = json.dumps(plain.manifest()).replace(plain.base_url, base)
        profile = plain.profile()
    (tmp_path / "manifest.json").write_text(manifest)
    profile.update(manifest="manifest.json")
    profile.pop("rate_limit_probe")
    profile.pop("disposable_channel")  # three runs share this one provider
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(profile))
    yield tmp_path / "profile.yaml", cert
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_self_signed_tls_is_a_clear_error_then_opt_in(tls_provider, tmp_path) -> None:
    profile, cert = tls_provider
    refused = cli(
        "run", "--profile", str(profile), "--report-dir", str(tmp_path / "a"), "--no-fuzz"
    )
    assert refused.returncode == 2 and "--ca-bundle" in refused.stdout + refused.stderr
    trusted = cli(
        "run",
        "--profile",
        str(profile),
        "--report-dir",
        str(tmp_path / "b"),
        "--no-fuzz",
        "--ca-bundle",
        str(cert),
    )
    assert trusted.returncode == 0, trusted.stdout[-2000:]
    insecure = cli(
        "run",
        "--profile",
        str(profile),
        "--report-dir",
        str(tmp_path / "c"),
        "--no-fuzz",
        "--insecure",
    )
    assert insecure.returncode == 0


def test_insecure_verifies_nothing_without_loading_the_ca_store_per_request(
    tls_provider, monkeypatch
) -> None:
    """--insecure reaches a self-signed provider, and its session's one TLS context is made
    without the system CA store: urllib3's own per-connection context loads the whole store
    only to verify nothing (about 40 ms of CPU a request)."""
    import ssl

    import requests

    from conformance.http.transport import new_session, transfer

    profile, _ = tls_provider
    url = yaml.safe_load(profile.read_text())["manifest"]
    base = json.loads((profile.parent / url).read_text())["endpoints"]["getTemplates"]
    loads = []
    real = ssl.SSLContext.load_default_certs
    monkeypatch.setattr(
        ssl.SSLContext, "load_default_certs", lambda self, *a: loads.append(1) or real(self, *a)
    )
    session = new_session(verify=False)
    for _ in range(3):
        prepared = requests.Request("GET", base.replace(":providerChannelId", "x")).prepare()
        answer = transfer(session, prepared, timeout=5, body_cap=10**6)
        assert answer.status == 401  # reached over TLS, unverified (no credentials sent)
    assert loads == []


def test_provider_text_cannot_reach_the_terminal_raw(tmp_path) -> None:
    escape = "\x1b[2J\x1b]0;owned\x07"

    def hostile(environ, status, headers, body):
        if status == 404:
            body["data"]["code"] = escape + "MISSING"
        return status, headers, body

    with provider(tmp_path, rewrite(hostile), no_probe, UNLIMITED) as (_, profile):
        result = cli(
            "run", "--profile", str(profile), "--report-dir", str(tmp_path / "o"), "--no-fuzz"
        )
    assert result.returncode == 1
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr
    assert "\\x1b" in result.stdout
