"""Nightly regression runs: HAR recording, offline re-judging, flake triage, replayable runs."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import jsonschema_rs
import pytest

from conformance.model import Exchange, RecordedRequest, RecordedResponse
from conformance.reference import ReferenceConfig
from conformance.rejudge import rejudge
from conformance.report.baseline import diff, render_diff
from conformance.report.har import HarWriter, har_entry
from conformance.runner import RunOptions, run
from tests.commands import ROOT, cli
from tests.faults import FAULTS, path, provider, rewrite
from tests.mutant_runs import mutant_params

SCHEMA = json.loads((ROOT / "conformance" / "report" / "report.schema.json").read_text())
SECRET = "reference-secret"


def quick(profile: dict) -> None:
    profile.pop("rate_limit_probe", None)


def statuses(report) -> dict[str, str]:
    return {r.rule.id: r.status for r in report.results}


def findings_of(report) -> list[tuple[str, str, str, str]]:
    return sorted((f.rule, f.operation, f.message, str(f.reproduced)) for f in report.findings)


# -- HAR ----------------------------------------------------------------------------------
HAR_ENTRY_FIELDS = {"startedDateTime", "time", "request", "response", "cache", "timings"}
HAR_REQUEST_FIELDS = {
    "method",
    "url",
    "httpVersion",
    "cookies",
    "headers",
    "queryString",
    "headersSize",
    "bodySize",
}
HAR_RESPONSE_FIELDS = {
    "status",
    "statusText",
    "httpVersion",
    "cookies",
    "headers",
    "content",
    "redirectURL",
    "headersSize",
    "bodySize",
}


def assert_har_1_2(log: dict) -> None:
    """The fields HAR 1.2 requires (http://www.softwareishard.com/blog/har-12-spec/)."""
    assert log["version"] == "1.2"
    assert {"name", "version"} <= set(log["creator"])
    assert isinstance(log["entries"], list) and log["entries"]
    for entry in log["entries"]:
        assert HAR_ENTRY_FIELDS <= set(entry), set(entry)
        assert isinstance(entry["time"], (int, float)) and entry["time"] >= 0
        assert entry["startedDateTime"].endswith("Z")
        request, response = entry["request"], entry["response"]
        assert HAR_REQUEST_FIELDS <= set(request)
        assert HAR_RESPONSE_FIELDS <= set(response)
        assert {"size", "mimeType"} <= set(response["content"])
        for pair in request["headers"] + response["headers"] + request["queryString"]:
            assert set(pair) == {"name", "value"}
        if "postData" in request:
            assert {"mimeType", "text"} <= set(request["postData"])
        assert {"send", "wait", "receive"} <= set(entry["timings"])
        assert isinstance(entry["_findings"], list) and isinstance(entry["_context"], dict)


def _echo_credentials(environ, status, headers, body):
    """A provider that echoes the Authorization header it got (the secret, base64)."""
    if isinstance(body, dict) and path(environ).endswith("/templates"):
        body = {**body, "echo": environ.get("HTTP_AUTHORIZATION", "")}
    return status, headers, body


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, dict]:
    """One CLI run with --har against a provider with a defect and an echo of credentials."""
    tmp = tmp_path_factory.mktemp("har")
    fault = next(f for f in FAULTS if f.name == "three participants")

    def wrap(app):
        return rewrite(_echo_credentials)(fault.wrap(app))

    with provider(tmp, wrap) as (_, profile):
        result = cli(
            "run", "--profile", str(profile), "--seed", "5", "--max-examples", "5",
            "--report-dir", str(tmp / "reports"), "--har", str(tmp / "run.har"), "--quiet",
        )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    return tmp, json.loads((tmp / "run.har").read_text())


@pytest.mark.xdist_group("nightly recorded run")  # shares a module fixture
@pytest.mark.slow
def test_har_is_valid_har_1_2_with_findings_context_and_inputs(recorded) -> None:
    tmp, har = recorded
    log = har["log"]
    assert_har_1_2(log)
    report = json.loads((tmp / "reports" / "report.json").read_text())
    assert len(log["entries"]) == report["requests"]
    flagged = [e for e in log["entries"] if e["_findings"]]
    assert any(f["rule"] == "participants.exactly-two" for e in flagged for f in e["_findings"])
    # multi-step findings are attached to their entries too (the walk judged after the fact)
    steps = Counter(e["_context"].get("step") for e in log["entries"])
    assert steps["conversation-walks"] and steps["delete"] and None in steps  # fuzzing: no step
    inputs = log["_conformance"]
    assert inputs["seed"] == 5 and inputs["versions"] == report["versions"]
    assert inputs["manifest_document"]["version"] == "v202101"
    assert inputs["report_meta"]["profile"]["credentials"]["client_secret"] == "<redacted>"
    assert inputs["options"]["max_examples"] == 5 and "skips" in inputs
    assert inputs["conclusions"] and all(
        isinstance(i, int) for _, ix in inputs["conclusions"] for i in ix
    )


@pytest.mark.xdist_group("nightly recorded run")  # shares a module fixture
def test_har_is_redacted_like_every_other_output(recorded) -> None:
    tmp, _ = recorded
    text = (tmp / "run.har").read_text()
    assert SECRET not in text
    assert "cmVmZXJlbmNlLXNlY3JldA" not in text  # base64 of the secret, alone
    assert "Basic <base64 client_id:client_secret>" in text  # the placeholder
    assert '\\"echo\\": \\"Basic <redacted>\\"' in text  # the echo, scrubbed in the body
    assert not list(tmp.glob(".run.har.*"))  # no spool left behind


def test_har_bodies_are_capped_and_binary_bodies_survive() -> None:
    request = RecordedRequest("POST", "http://x/api", {"content-type": "x"}, b"\xff\x00bin", {})
    response = RecordedResponse(200, {"content-type": "application/json"}, b"a" * 5000, 0.25)
    entry = har_entry(Exchange("postMessage", request, response), _now(), body_cap=1000)
    assert entry["response"]["content"]["text"] == "a" * 1000
    assert entry["response"]["content"]["_capped"] is True
    assert entry["response"]["bodySize"] == 5000 and entry["time"] == 250.0
    assert entry["request"]["postData"]["_encoding"] == "base64"
    from conformance.rejudge import exchange_of

    again = exchange_of(entry)
    assert again.request.body == b"\xff\x00bin" and again.response.elapsed == 0.25


def test_har_writer_streams_instead_of_keeping_exchanges(tmp_path: Path) -> None:
    writer = HarWriter(tmp_path / "x.har")
    request = RecordedRequest("GET", "http://x/api", {}, None, {})
    for _ in range(300):
        writer.add(Exchange("getTemplates", request, RecordedResponse(200, {}, b"{}")))
    assert writer._entries == {}  # the exchanges died: nothing of them is held
    writer.close({"seed": 1}, [])
    log = json.loads((tmp_path / "x.har").read_text())["log"]
    assert len(log["entries"]) == 300 and log["_conformance"]["seed"] == 1


def test_har_writer_walks_only_entries_that_may_hold_a_secret(tmp_path: Path) -> None:
    """The reference's secret shares "reference" with its URLs and "secret" with the
    Authorization placeholder the client records: that placeholder (left as it is by the
    scrub) is no reason to walk an entry, but an echo of the secret anywhere else is, and an
    Authorization value holding the secret itself is scrubbed like any other string."""
    from conformance.redact import REDACTED, Redactor

    redactor = Redactor(["reference-secret"])
    walked = []
    real = redactor.scrub_data

    def counting(value):
        if isinstance(value, dict) and "request" in value:
            walked.append(value["request"]["url"])  # one walk of a whole entry
        return real(value)

    redactor.scrub_data = counting  # type: ignore[method-assign]
    writer = HarWriter(tmp_path / "x.har", redactor)
    url = "http://127.0.0.1:1/api/channels/ref-main/templates?x=reference"
    placeholder = {"authorization": "Basic <base64 client_id:client_secret>"}
    answers = [b'{"ok": 1}', b'{"echo": "reference-secret"}']
    for body in answers:
        request = RecordedRequest("GET", url, placeholder, None, {})
        writer.add(Exchange("getTemplates", request, RecordedResponse(200, {}, body)))
    raw = RecordedRequest("GET", url, {"authorization": "reference-secret"}, None, {})
    writer.add(Exchange("getTemplates", raw, RecordedResponse(200, {}, b"{}")))
    writer.close({}, [])
    entries = json.loads((tmp_path / "x.har").read_text())["log"]["entries"]
    assert len(walked) == 2  # the echo and the raw header; not the placeholder-only entry
    assert entries[0]["request"]["headers"][0]["value"] == placeholder["authorization"]
    assert "reference-secret" not in json.dumps(entries)
    assert REDACTED in entries[1]["response"]["content"]["text"]
    assert entries[2]["request"]["headers"][0]["value"] == REDACTED


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


# -- rejudge --------------------------------------------------------------------------------
REJUDGED = [
    "404 code MISSING",  # single-exchange: error envelope
    "three participants",  # single-exchange: participants
    "retry_by missing",  # 429s from the burst probe, clock-dependent checks
    "auth ignored",  # refusals
    "cursor that loops",  # conversation walks
    "messages cursor repeats",  # message paging
    "by-id returns another conversation",  # lookups
    "postMessage returns no id",  # posts
    "delete does nothing",  # delete
    "slow endpoint past the timeout",  # no response at all
    "manifest without postMessage",  # manifest lint
    "avatars flagged but no getSenderById",  # capability, from the data seen
    "empty pages with a cursor forever",  # a walk that never ends
    "dies on a group post",  # the killer named again from the HAR (broken connections)
    "by-id view invents message texts",  # lookups judged against the list's copy
    "message cursors are offsets",  # a walk around a post (mid-walk)
    "list by oldest activity, offset cursors",  # two list walks around one post
]


@pytest.mark.parametrize("fault", mutant_params([f for f in FAULTS if f.name in REJUDGED]))
def test_rejudge_reproduces_statuses_and_findings(mutant_run, fault) -> None:
    """The HAR of the mutant's one run (shared with the mutant table) judged again offline."""
    live, har = mutant_run(fault).report, mutant_run(fault).har
    assert_rejudged_like(rejudge(har), live, fault.rule)


def test_every_rejudged_mutant_exists() -> None:
    assert sorted(set(REJUDGED) - {f.name for f in FAULTS}) == []


def test_rejudge_of_429_retries_inside_a_walk(tmp_path: Path) -> None:
    """The shared mutant runs meet no rate limit (tests/mutant_runs.py); this one walks endless
    empty pages into the reference's 50 requests/s, so the HAR holds retried 429s."""
    fault = next(f for f in FAULTS if f.name == "empty pages with a cursor forever")
    with provider(tmp_path, fault.wrap, quick) as (_, p):
        live = run(RunOptions(profile=p, seed=3, har=tmp_path / "run.har", fuzz=False))
    entries = json.loads((tmp_path / "run.har").read_text())["log"]["entries"]
    assert any(e["response"]["status"] == 429 for e in entries)
    assert_rejudged_like(rejudge(tmp_path / "run.har"), live, fault.rule)


def assert_rejudged_like(again, live, rule: str) -> None:
    assert statuses(again) == statuses(live)
    assert findings_of(again) == findings_of(live) and any(f.rule == rule for f in again.findings)
    assert again.verdict == live.verdict
    assert again.meta["rejudged"]["requests_sent"] == 0
    jsonschema_rs.validate(SCHEMA, again.to_dict())


def _counting(app, counter: Counter, lock: threading.Lock):
    def middleware(environ, start_response):
        with lock:
            counter[environ["PATH_INFO"]] += 1
        return app(environ, start_response)

    return middleware


@pytest.mark.slow
def test_rejudge_command_sends_nothing_and_writes_the_reports(tmp_path: Path) -> None:
    counter: Counter = Counter()
    lock = threading.Lock()
    fault = next(f for f in FAULTS if f.name == "three participants")
    with provider(tmp_path, lambda app: _counting(fault.wrap(app), counter, lock), quick) as (
        _,
        profile,
    ):
        first = cli(
            "run", "--profile", str(profile), "--seed", "2", "--no-fuzz",
            "--report-dir", str(tmp_path / "live"), "--har", str(tmp_path / "run.har"), "-q",
        )  # fmt: skip
        assert first.returncode == 1, first.stderr
        sent = sum(counter.values())
        again = cli("rejudge", str(tmp_path / "run.har"), "--report-dir", str(tmp_path / "offline"))
        assert sum(counter.values()) == sent  # not one request more
    assert again.returncode == 1, again.stdout + again.stderr
    live = json.loads((tmp_path / "live" / "report.json").read_text())
    offline = json.loads((tmp_path / "offline" / "report.json").read_text())
    assert [(r["id"], r["status"]) for r in offline["rules"]] == [
        (r["id"], r["status"]) for r in live["rules"]
    ]
    assert {f["fingerprint"] for f in offline["findings"]} == {
        f["fingerprint"] for f in live["findings"]
    }
    assert {p.name for p in (tmp_path / "offline").iterdir()} >= {
        "report.json",
        "junit.xml",
        "report.html",
        "summary.md",
    }
    only = cli(
        "rejudge", str(tmp_path / "run.har"), "--report-dir", str(tmp_path / "only"),
        "--only", "error.*",
    )  # fmt: skip
    assert only.returncode == 0, only.stdout + only.stderr
    data = json.loads((tmp_path / "only" / "report.json").read_text())
    assert all(f["rule"].startswith("error.") for f in data["findings"])
    assert next(r for r in data["rules"] if r["id"] == "participants.exactly-two")["status"] == (
        "skipped"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [("not json", "HAR is not JSON"), ('{"log": {"entries": []}}', "no log._conformance")],
)
def test_rejudge_bad_input_is_one_line_exit_2(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "x.har").write_text(content)
    result = cli("rejudge", str(tmp_path / "x.har"), "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 2 and message in result.stderr
    assert result.stderr.count("\n") == 1


# -- noise or regression ---------------------------------------------------------------------
def flaky_templates(every: int = 2):
    """getTemplates answers text/plain on its 1st, 3rd, ... 200 for a URL (per URL):
    deterministic, not random."""
    asked: Counter = Counter()
    lock = threading.Lock()

    def fn(environ, status, headers, body):
        if path(environ).endswith("/templates") and status == 200:
            with lock:
                key = (path(environ), environ.get("QUERY_STRING", ""))
                asked[key] += 1
                bad = asked[key] % every == 1 % every
            if bad:
                headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
                headers.append(("Content-Type", "text/plain"))
        return status, headers, body

    return rewrite(fn)


def _flaky_run(tmp_path: Path, every: int, *more: str):
    with provider(tmp_path, flaky_templates(every), quick) as (_, profile):
        result = cli(
            "run", "--profile", str(profile), "--seed", "4", "--no-fuzz",
            "--report-dir", str(tmp_path / "r"), "--har", str(tmp_path / "run.har"), "-q", *more,
        )  # fmt: skip
    return result, tmp_path / "r"


def test_a_finding_that_fails_one_time_in_two_did_not_reproduce(tmp_path: Path) -> None:
    result, reports = _flaky_run(tmp_path, every=2)
    assert result.returncode == 1  # the verdict still counts it
    data = json.loads((reports / "report.json").read_text())
    jsonschema_rs.validate(SCHEMA, data)
    flaky = [f for f in data["findings"] if f["rule"] == "response.content-type"]
    assert flaky and all(f["reproduced"] is False for f in flaky), flaky
    assert data["phase_requests"]["resend"] >= 1
    assert "did not reproduce" in (reports / "summary.md").read_text()
    assert "did not reproduce" in (reports / "report.html").read_text()
    junit = ET.parse(reports / "junit.xml").getroot()
    failure = junit.find(".//testcase[@name='response.content-type']/failure")
    assert failure is not None and "did not reproduce" in failure.text
    # the re-sent request is in the HAR, and rejudge decides `reproduced` the same way
    har = json.loads((tmp_path / "run.har").read_text())["log"]
    assert any(e["_context"].get("resend") for e in har["entries"])
    again = rejudge(tmp_path / "run.har")
    assert {f.reproduced for f in again.findings if f.rule == "response.content-type"} == {False}


def test_a_finding_that_fails_every_time_reproduced(tmp_path: Path) -> None:
    result, reports = _flaky_run(tmp_path, every=1)
    assert result.returncode == 1
    data = json.loads((reports / "report.json").read_text())
    broken = [f for f in data["findings"] if f["rule"] == "response.content-type"]
    assert broken and all(f["reproduced"] is True for f in broken)
    assert "did not reproduce" not in (reports / "summary.md").read_text()


def test_no_resend_leaves_findings_unmarked(tmp_path: Path) -> None:
    result, reports = _flaky_run(tmp_path, 2, "--no-resend")
    data = json.loads((reports / "report.json").read_text())
    assert result.returncode == 1 and "resend" not in data["phase_requests"]
    assert data["findings"] and not any("reproduced" in f for f in data["findings"])


# -- baseline and diff -----------------------------------------------------------------------
def _report(rules: dict[str, tuple[str, str]], findings: list[dict] | None = None) -> dict:
    return {
        "schema_version": 1,
        "rules": [
            {"id": rid, "level": level, "status": status, "failures": 0}
            | ({"reason": "not selected (--only)"} if status == "deselected" else {})
            for rid, (level, status) in rules.items()
        ],
        "findings": findings or [],
    }


def _finding(rule: str, message: str, reproduced: bool | None = None) -> dict:
    out = {"rule": rule, "level": "MUST", "operation": "getTemplates", "message": message}
    return out | ({} if reproduced is None else {"reproduced": reproduced})


def test_a_must_rule_that_went_from_passed_to_skipped_is_a_regression() -> None:
    old = _report({"delete.channel": ("MUST", "passed"), "x.should": ("SHOULD", "passed")})
    new = _report({"delete.channel": ("MUST", "skipped"), "x.should": ("SHOULD", "skipped")})
    result = diff(old, new)
    assert result.skipped == {"delete.channel": "MUST", "x.should": "SHOULD"}
    assert result.regressed
    assert "skipped    MUST   delete.channel" in render_diff(result)
    assert not diff(old, _report({"delete.channel": ("MUST", "passed")})).regressed
    only = _report({"delete.channel": ("MUST", "deselected")})
    only["rules"][0]["status"] = "skipped"
    assert not diff(old, only).regressed  # left out by --only: not a regression
    soft = _report({"delete.channel": ("MUST", "passed"), "x.should": ("SHOULD", "skipped")})
    assert not diff(old, soft).regressed  # a SHOULD is listed, not a regression


def test_diff_warns_when_the_reports_were_made_with_different_versions(tmp_path: Path) -> None:
    """A nightly that floated to another hypothesis generates other requests: `diff` says
    so before the changes, in text and JSON, and says nothing when the versions agree."""
    versions = {"suite": "0.1.0", "schemathesis": "4.32.5", "hypothesis": "6.170.17"}
    old = {**_report({"auth.required": ("MUST", "passed")}), "versions": versions}
    same = {**_report({"auth.required": ("MUST", "passed")}), "versions": dict(versions)}
    newer = {**same, "versions": {**versions, "hypothesis": "6.171.0", "python": "3.12.1"}}
    assert diff(old, same).versions_changed == {} and "warning" not in render_diff(diff(old, same))
    result = diff(old, newer)
    assert result.versions_changed == {
        "hypothesis": ("6.170.17", "6.171.0"),
        "python": (None, "3.12.1"),
    }
    first = render_diff(result).splitlines()[0]
    assert first.startswith("warning: the reports were made with different versions")
    assert "hypothesis 6.170.17 -> 6.171.0; python None -> 3.12.1" in first
    assert render_diff(result).splitlines()[1] == "no change"
    assert diff(_report({}), newer).versions_changed == {}  # a report without versions
    files = [tmp_path / "old.json", tmp_path / "new.json"]
    for path_, data in zip(files, (old, newer), strict=True):
        path_.write_text(json.dumps(data))
    shown = cli("diff", *map(str, files), "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["versions_changed"]["hypothesis"] == ["6.170.17", "6.171.0"]
    assert "6.170.17 -> 6.171.0" in cli("diff", *map(str, files)).stdout


def test_findings_that_did_not_reproduce_are_listed_apart() -> None:
    old = _report({"response.content-type": ("MUST", "passed")})
    flaky = _report(
        {"response.content-type": ("MUST", "failed")},
        [_finding("response.content-type", "text/plain on getTemplates", reproduced=False)],
    )
    result = diff(old, flaky)
    assert result.new == {} and result.unreproduced == {"response.content-type": "MUST"}
    assert len(result.unreproduced_findings) == 1 and not result.regressed
    assert "did not reproduce" in render_diff(result)
    broken = _report(
        {"response.content-type": ("MUST", "failed")},
        [_finding("response.content-type", "text/plain on getTemplates", reproduced=True)],
    )
    assert diff(old, broken).new == {"response.content-type": "MUST"}
    assert diff(old, broken).regressed


@pytest.mark.slow
def test_diff_command_lists_flaky_findings_apart(tmp_path: Path) -> None:
    result, reports = _flaky_run(tmp_path / "night2", every=2)
    with provider(tmp_path / "night1", None, quick) as (_, profile):
        first = cli(
            "run", "--profile", str(profile), "--seed", "4", "--no-fuzz",
            "--report-dir", str(tmp_path / "night1" / "r"), "-q",
        )  # fmt: skip
    old, new = tmp_path / "night1" / "r" / "report.json", reports / "report.json"
    shown = cli("diff", str(old), str(new), "--json")
    data = json.loads(shown.stdout)
    assert data["did_not_reproduce"] == ["response.content-type"] and data["new"] == []
    assert shown.returncode == 0 and first.returncode == 0, first.stdout
    text = cli("diff", str(old), str(new)).stdout
    assert "(did not reproduce)" in text


# -- --require-complete and versions ----------------------------------------------------------
@pytest.mark.slow
def test_require_complete_fails_a_run_with_a_skipped_must_rule(tmp_path: Path) -> None:
    def strip(profile: dict) -> None:
        quick(profile)
        profile.pop("disposable_channel")

    with provider(tmp_path, None, strip) as (_, profile):
        args = ["run", "--profile", str(profile), "--seed", "1", "--no-fuzz", "-q"]
        plain = cli(*args, "--report-dir", str(tmp_path / "a"))
        strict = cli(*args, "--report-dir", str(tmp_path / "b"), "--require-complete")
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert strict.returncode == 1 and "--require-complete" in strict.stdout
    assert "delete.channel" in strict.stdout
    data = json.loads((tmp_path / "b" / "report.json").read_text())
    assert data["verdict"] == "incomplete"
    versions = data["versions"]
    assert set(versions) == {"suite", "schemathesis", "hypothesis", "python", "catalogue"}
    assert (
        versions["schemathesis"]
        and versions["hypothesis"]
        and versions["catalogue"] == data["catalogue"]["version"]
    )
    jsonschema_rs.validate(SCHEMA, data)


# -- replayable runs ----------------------------------------------------------------------------
def _requests(har: Path) -> list[tuple[str, str, str]]:
    """Method, path with query, and the form sent (multipart boundaries are random)."""
    from urllib.parse import urlsplit

    out = []
    for entry in json.loads(har.read_text())["log"]["entries"]:
        url = urlsplit(entry["request"]["url"])
        form = json.dumps(entry["_context"].get("form"), sort_keys=True)
        out.append((entry["request"]["method"], f"{url.path}?{url.query}", form))
    return out


@pytest.mark.slow
def test_same_seed_sends_the_same_requests_in_the_same_order(tmp_path: Path) -> None:
    fault = next(f for f in FAULTS if f.name == "three participants")
    hars = []
    for attempt in ("1", "2"):
        # Same provider state: a fresh provider each time, and no rate limit (which request
        # meets a 429 depends on timing). Two workers: their lookups are recorded in order.
        with provider(tmp_path / attempt, fault.wrap, quick, ReferenceConfig(rate_limit=None)) as (
            _,
            profile,
        ):
            hars.append(tmp_path / attempt / "run.har")
            run(RunOptions(profile=profile, seed=99, max_examples=10, workers=2, har=hars[-1]))
    first, second = _requests(hars[0]), _requests(hars[1])
    assert len(first) > 100 and first == second
    other = tmp_path / "3"
    with provider(other, fault.wrap, quick, ReferenceConfig(rate_limit=None)) as (_, profile):
        run(RunOptions(profile=profile, seed=100, max_examples=10, workers=1, har=other / "h"))
    assert _requests(other / "h") != first  # the seed does decide them


# -- the README's nightly loop, as printed ----------------------------------------------------
def _readme_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Nightly regression runs") :]
    section = section[: section.index("\n### ", 1)]
    return [block.split("\n", 1)[1] for block in section.split("```bash")[1:]]


@pytest.mark.slow
def test_readme_nightly_loop_runs_as_printed(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.reference.test_serve import free_port

    serve, loop = (block.split("```")[0] for block in _readme_blocks())
    assert serve.strip() == "messaging-conformance serve-reference --port 8080"
    port = str(free_port())  # as tests/reference/test_serve.py does: any free port for 8080
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    server = subprocess.Popen(
        serve.strip().replace("8080", port).split(),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # its request log: a pipe nobody reads would fill and block
        text=True,
    )
    try:
        for _ in range(3):
            server.stdout.readline()  # its URLs and the profile it wrote
        result = subprocess.run(
            ["bash", "-e", "-c", loop],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        server.kill()
        server.wait()
    assert result.returncode == 0, result.stdout + result.stderr
    night1 = json.loads((tmp_path / "night1" / "report.json").read_text())
    night2 = json.loads((tmp_path / "night2" / "report.json").read_text())
    rejudged = json.loads((tmp_path / "night2" / "rejudged" / "report.json").read_text())
    assert night1["verdict"] == night2["verdict"] == "certified"
    assert night2["baseline"]["regressed"] is False
    assert [r["status"] for r in rejudged["rules"]] == [r["status"] for r in night2["rules"]]
    assert "no change" in result.stdout
