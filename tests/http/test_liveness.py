"""robustness.provider-alive names the request that killed the provider, by its content.

Each provider here dies the way a crashing process does (tests/faults.py DiesOn): the
killer's connection breaks without an answer, the port refuses new connections, requests on
connections it had open are cut. The finding must blame the killer (never a request that
was answered), carry it whole and replay it with its curl line; each test names the killer
by the field or value that kills, never by its position in the run.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from conformance.ledger import FAILED
from conformance.reference.state import InvalidCursor, decode_cursor
from conformance.runner import RunOptions, run
from tests.faults import DiesOn, is_list, provider
from tests.faults import path as path_of

RULE = "robustness.provider-alive"


def _finding(report):
    (finding,) = [f for f in report.findings if f.rule == RULE]
    assert {r.rule.id: r.status for r in report.results}[RULE] == FAILED
    return finding


def _body(environ: dict) -> bytes:
    data = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(data)
    return data


def _group_post(environ: dict) -> bool:
    return environ["REQUEST_METHOD"] == "POST" and b"group message" in _body(environ)


def test_provider_dying_on_one_multipart_post_is_blamed_on_that_post(tmp_path: Path) -> None:
    with provider(tmp_path, DiesOn(_group_post), lambda p: p.pop("rate_limit_probe")) as (
        server,
        path,
    ):
        report = run(RunOptions(profile=path, seed=3, fuzz=False, timeout=3))
        origin = server.base_url
    finding = _finding(report)
    exchange = finding.exchange
    assert exchange is not None and exchange.response is None
    assert exchange.context["connection"] == "broke"
    fields = {p.name: p.text for p in exchange.request.parts or []}
    assert "group message" in fields["message"]  # the post that kills, whole
    assert fields["conversationId"] and "recipientIds" in str(fields)
    assert finding.message.startswith(f"the provider died on POST {exchange.request.url}")
    assert "group message" in finding.message and "broke without an answer" in finding.message
    (record,) = [f for f in report.to_dict()["findings"] if f["rule"] == RULE]
    assert "group message" in record["reproduce"] and "--form-string" in record["reproduce"]
    parts = {p["name"]: p for p in record["request"]["parts"]}
    assert "group message" in parts["message"]["text"]
    assert _kills_again(record["reproduce"], origin, _group_post, tmp_path / "again")


def _invalid_cursor(environ: dict) -> bool:
    """Dies on a list request whose `after` is no cursor it issued: only fuzzing sends one
    (the scenarios follow the cursors the provider hands out)."""
    if not is_list(environ):
        return False
    channel = path_of(environ).rsplit("/", 2)[-2]
    query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    return any(name == "after" and not _issued(channel, value) for name, value in query)


def _issued(channel: str, cursor: str) -> bool:
    try:
        decode_cursor("c", channel, cursor)
    except InvalidCursor:
        return False
    return True


@pytest.mark.slow
def test_provider_dying_on_a_fuzzed_query_value_with_two_workers(tmp_path: Path) -> None:
    with provider(tmp_path, DiesOn(_invalid_cursor), lambda p: p.pop("rate_limit_probe")) as (
        server,
        path,
    ):
        report = run(
            RunOptions(profile=path, seed=5, workers=2, max_examples=20, timeout=3, resend=False)
        )
        origin = server.base_url
    finding = _finding(report)
    exchange = finding.exchange
    assert exchange is not None and exchange.response is None and exchange.phase == "fuzzing"
    after = dict(parse_qsl(exchange.request.raw_query, keep_blank_values=True))["after"]
    channel = urlsplit(exchange.request.url).path.rsplit("/", 2)[-2]
    assert not _issued(channel, after), after  # the value that kills
    assert exchange.request.url in finding.message
    (record,) = [f for f in report.to_dict()["findings"] if f["rule"] == RULE]
    assert record["request"]["query"] == exchange.request.raw_query
    assert exchange.request.url in record["reproduce"]
    assert _kills_again(record["reproduce"], origin, _invalid_cursor, tmp_path / "again")


def _kills_again(line: str, origin: str, predicate, tmp_path: Path) -> bool:
    """The finding's curl line, pasted against a fresh copy of the provider, kills it."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed (Debian package `curl`)")
    dies = DiesOn(predicate)
    with provider(tmp_path, dies) as (server, _):
        config = server.config
        done = subprocess.run(
            ["sh", "-c", line.replace(origin, server.base_url)],
            env={
                "PATH": "/usr/bin:/bin",
                "CLIENT_ID": config.client_id,
                "CLIENT_SECRET": config.client_secret,
            },
            capture_output=True,
            timeout=60,
            check=False,
        )
        return dies.dead and done.returncode != 0 and not done.stdout  # no answer at all


class _DiesInBurst:
    """Dies on the 30th first-page list request at limit 1: the walks send one, the burst
    (rate-limit probe, 8 threads) the rest, so it dies in the middle of the burst."""

    def __init__(self) -> None:
        self.seen = 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict) -> bool:
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        if not (is_list(environ) and query.get("conversations_limit") == "1"):
            return False
        if "after" in query:
            return False
        with self.lock:
            self.seen += 1
            return self.seen == 30


def test_provider_dying_in_the_middle_of_a_burst(tmp_path: Path) -> None:
    with provider(tmp_path, DiesOn(_DiesInBurst())) as (_, path):
        report = run(RunOptions(profile=path, seed=3, fuzz=False, timeout=3))
    finding = _finding(report)
    exchange = finding.exchange
    assert exchange is not None and exchange.response is None
    assert exchange.context["connection"] == "broke"
    assert exchange.context.get("step") == "rate-limit-probe"
    assert dict(exchange.request.query) == {"conversations_limit": "1"}
    assert "died on GET" in finding.message and "conversations_limit=1" in finding.message
