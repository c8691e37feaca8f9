"""Safe to point at a live provider: writes only where the profile allows and listed before
they happen, the vendor's own mistakes named as such, hangs and deaths bounded.

Every test runs the real command line (or runner) against a real HTTP provider that logs
what it receives; bounds on time are generous hang detectors, the figures live in bench/.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conformance.reference import ReferenceConfig
from conformance.runner import RunOptions, run
from tests.commands import ROOT, cli
from tests.faults import path, provider

UNLIMITED = ReferenceConfig(rate_limit=None)


class Log:
    """WSGI middleware that records every request the provider receives (but the manifest)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    def __call__(self, app):
        def middleware(environ, start_response):
            if not path(environ).endswith("/manifest.json"):
                query = environ.get("QUERY_STRING", "")
                self.requests.append((environ["REQUEST_METHOD"], path(environ) + "?" + query))
            return app(environ, start_response)

        return middleware

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] in ("POST", "DELETE")]


def file_manifest(profile: dict, server, tmp_path: Path) -> None:
    """The manifest from a file: the provider then sees only what the run itself sends."""
    (tmp_path / "manifest.json").write_text(json.dumps(server.manifest()))
    profile["manifest"] = "manifest.json"


@pytest.fixture
def logged(tmp_path):
    log = Log()
    with provider(tmp_path, log, None, UNLIMITED) as (server, profile_path):
        profile = yaml.safe_load(profile_path.read_text())
        file_manifest(profile, server, tmp_path)
        profile.pop("rate_limit_probe")
        profile_path.write_text(yaml.safe_dump(profile))
        yield log, profile_path, profile


def test_only_manifest_rules_writes_nothing_and_reads_one_walk(logged, tmp_path) -> None:
    """manifest.capability-endpoints judges the provider's data: one walk of reads, no write."""
    log, profile, data = logged
    result = cli(
        "run",
        "--profile",
        str(profile),
        "--only",
        "manifest.*",
        "--report-dir",
        str(tmp_path / "out"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert log.requests and log.writes() == []
    assert all(p.startswith(f"/api/channels/{data['channel']}/") for _, p in log.requests)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["plan"] == {"steps": ["discovery"], "writes": []}
    assert "Writes: none" in result.stderr


def test_plan_lists_every_write_and_sends_nothing(logged) -> None:
    log, profile, data = logged
    result = cli("plan", "--profile", str(profile))
    assert result.returncode == 0, result.stderr
    assert log.requests == []
    out = result.stdout
    assert "nothing was sent" in out
    assert f"only conversation {data['sandbox']['conversation']!r}" in out
    assert f"only channel {data['disposable_channel']!r}" in out
    assert out.count("POST postMessage") == 3 and out.count("DELETE deleteChannelById") == 2
    assert "one text message in the middle of a walk, per cursor rule (up to two)" in out
    assert "made-up channel ids" in out
    # auth.valid-accepted is judged on every request (posts too): name the two probe rules
    reads_only = cli(
        "plan", "--profile", str(profile), "--only", "auth.required", "--only", "auth.wr*"
    )
    assert "only conversation" not in reads_only.stdout  # no post rule selected: no post
    assert "only channel" not in reads_only.stdout
    assert log.requests == []


def test_mid_walk_posts_are_planned_only_for_the_cursor_rules(logged) -> None:
    log, profile, _ = logged
    for only, planned in (
        ("pagination.cursor-walk", True),
        ("pagination.messages-cursor", True),
        ("consistency.*", False),
        ("notfound.*", False),
        # judged on every request, the mid-walk ones too: the step (and its post) is evidence
        ("pagination.*-limit", True),
    ):
        out = cli("plan", "--profile", str(profile), "--only", only).stdout
        assert ("in the middle of a walk, per cursor rule" in out) is planned, (only, out)
        assert ("walks with a message arriving mid-walk" in out) is planned, (only, out)
    assert log.requests == []


def test_mid_walk_posts_go_to_the_sandbox_between_two_pages(logged, tmp_path) -> None:
    log, profile, data = logged
    run(RunOptions(profile=profile, only=["pagination.messages-cursor"], fuzz=False))
    sandbox = data["sandbox"]["conversation"]
    (post,) = [i for i, r in enumerate(log.requests) if r[0] == "POST"]
    before, after = log.requests[post - 1][1], log.requests[post + 1][1]
    assert f"/conversations/{sandbox}?" in before and "after=" not in before  # page 1
    assert f"/conversations/{sandbox}?" in after and "after=" in after  # then page 2


def test_without_a_sandbox_the_mid_walk_clause_is_skipped_and_said(logged) -> None:
    log, profile, data = logged
    del data["sandbox"]
    profile.write_text(yaml.safe_dump(data))
    report = run(
        RunOptions(
            profile=profile,
            only=["pagination.cursor-walk", "pagination.messages-cursor"],
            fuzz=False,
        )
    )
    assert log.writes() == []
    why = "the clause 'a message posted while a walk is in progress' was SKIPPED: the profile "
    assert report.meta["notes"] == [
        f"pagination.cursor-walk: {why}names no sandbox conversation",
        f"pagination.messages-cursor: {why}names no sandbox conversation",
    ]
    statuses = {r.rule.id: r.status for r in report.results}
    assert statuses["pagination.cursor-walk"] == statuses["pagination.messages-cursor"] == "passed"


def test_writes_follow_the_selected_rules(logged, tmp_path) -> None:
    log, profile, data = logged
    result = cli(
        "run",
        "--profile",
        str(profile),
        "--only",
        "auth.required",
        "--only",
        "auth.wrong-credentials",
        "--no-fuzz",
        "--report-dir",
        str(tmp_path / "a"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    sandbox = data["sandbox"]["conversation"]
    disposable = data["disposable_channel"]
    # the auth probes of write operations go to made-up channels only
    assert log.writes() and all("conformance-unknown-" in p for _, p in log.writes())
    log.requests.clear()
    cli(
        "run",
        "--profile",
        str(profile),
        "--only",
        "post.*",
        "--no-fuzz",
        "--report-dir",
        str(tmp_path / "b"),
    )
    assert any(m == "POST" for m, _ in log.writes())
    assert not any(m == "DELETE" for m, _ in log.writes())  # delete.channel not selected
    assert disposable not in " ".join(p for _, p in log.requests)
    assert sandbox  # posts went to the sandbox conversation (the client enforces it)


def test_a_provider_that_ignores_auth_loses_nothing(tmp_path) -> None:
    from tests.faults import _ignore_auth, before

    log = Log()
    with provider(tmp_path, lambda app: log(before(_ignore_auth)(app)), None, UNLIMITED) as (
        _,
        profile,
    ):
        report = run(RunOptions(profile=profile, seed=2, fuzz=False))
    deletes = [p for m, p in log.requests if m == "DELETE"]
    # the only delete of the real disposable channel is the delete step's own
    assert sum("ref-disposable" in p for p in deletes) == 1
    failed = {r.rule.id for r in report.results if r.status == "failed"}
    assert failed == {"auth.required", "auth.wrong-credentials"}


@pytest.mark.parametrize(
    ("edit", "line"),
    [
        (
            lambda p: p["credentials"].__setitem__("client_secret", "not-the-secret"),
            "credentials rejected by the provider: check credentials.client_id / client_secret",
        ),
        (
            lambda p: p.__setitem__("channel", "no-such-channel"),
            "channel 'no-such-channel' not found: check `channel`",
        ),
        (lambda p: p.__setitem__("sandbx", {"conversation": "c"}), "did you mean 'sandbox'?"),
    ],
    ids=["wrong-secret", "wrong-channel", "typo-key"],
)
def test_the_vendors_own_mistakes_are_exit_2_with_one_line(logged, tmp_path, edit, line) -> None:
    log, profile, data = logged
    edit(data)
    profile.write_text(yaml.safe_dump(data))
    result = cli("run", "--profile", str(profile), "--report-dir", str(tmp_path / "out"))
    assert result.returncode == 2
    errors = [row for row in result.stderr.splitlines() if "error" in row]
    assert len(errors) == 1 and line in errors[0], result.stderr
    assert len(log.requests) <= 1  # the preflight at most: no probe, no post, no delete
    assert log.writes() == []


def test_only_that_matches_nothing_is_exit_2(logged) -> None:
    _, profile, _ = logged
    result = cli("run", "--profile", str(profile), "--only", "nothing.here")
    assert result.returncode == 2
    assert "matches no rule" in result.stderr and "messaging-conformance rules" in result.stderr


def test_a_hanging_endpoint_is_abandoned_after_two_timeouts(tmp_path) -> None:
    calls: list[str] = []

    def hang(app):
        def middleware(environ, start_response):
            if path(environ).endswith("/templates"):
                calls.append(path(environ))
                time.sleep(30)
            return app(environ, start_response)

        return middleware

    def edit(profile: dict) -> None:
        profile.pop("rate_limit_probe")

    with provider(tmp_path, hang, edit, UNLIMITED) as (_, profile):
        started = time.monotonic()
        report = run(RunOptions(profile=profile, seed=1, timeout=1.5, max_examples=5))
        elapsed = time.monotonic() - started
    timeouts = [f for f in report.findings if f.rule == "robustness.timeout"]
    assert {f.operation for f in timeouts} == {"getTemplates"}
    # two timeouts in a row (threads may have had one more in flight), then never again
    assert 2 <= len(calls) <= 3
    assert {r.rule.id for r in report.results if r.status == "failed"} == {"robustness.timeout"}
    assert (
        any(
            "getTemplates stopped answering" in (r.reason or "")
            for r in report.results
            if r.status == "skipped"
        )
        or report.verdict == "failed"
    )
    assert elapsed < 120  # hang detector; at default settings the figure is in bench/


@pytest.mark.slow
def test_ctrl_c_writes_a_partial_report(tmp_path) -> None:
    with provider(tmp_path, None, None, ReferenceConfig(rate_limit=5)) as (_, profile):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "conformance",
                "run",
                "--profile",
                str(profile),
                "--report-dir",
                str(tmp_path / "out"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        # interrupt once a step has finished (not at a fixed time: the machine may be slow)
        for line in process.stderr:
            if "conversation walks:" in line:
                break
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-2000:]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["verdict"] == "interrupted"
    assert report["steps_not_run"] and report["interrupted_during"]
    assert "conversation walks" not in report["steps_not_run"]


@pytest.mark.slow
def test_a_slow_rate_limited_provider_is_certified(tmp_path) -> None:
    """5 requests per second: met at its own pace (429s honoured, the pace lowered, fewer
    generated cases), never failed for being slow."""
    with provider(tmp_path, None, None, ReferenceConfig(rate_limit=5)) as (_, profile):
        report = run(RunOptions(profile=profile, seed=5))
    assert report.findings == [], [f.message for f in report.findings[:3]]
    assert report.verdict == "certified"
    assert any("generated cases reduced" in note for note in report.meta["notes"])
