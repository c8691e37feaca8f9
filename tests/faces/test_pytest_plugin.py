"""The pytest face: one item per rule that behaves like any pytest item.

Most tests replace `conformance.run` with a canned report (the plugin's job is to pass the
options through and turn the report into items); the end-to-end ones certify the bundled
reference provider or a faulty variant of it on loopback.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

import conformance
from conformance.errors import ConformanceError
from conformance.faces.pytest_plugin import PREFIX
from conformance.ledger import RuleResult
from conformance.model import Finding
from conformance.reference import ReferenceConfig
from conformance.report.canonical import RunReport
from conformance.rules import CATALOGUE, RULES
from tests.faults import FAULTS, provider

pytest_plugins = ["pytester"]
USAGE_ERROR = 4  # pytest.ExitCode.USAGE_ERROR, what pytest exits with for its own bad input


def canned(
    status: dict[str, str] | None = None,
    findings: Iterable[Finding] = (),
    error: str | None = None,
    **meta: Any,
) -> RunReport:
    """A finished run: every rule passed unless `status` says otherwise."""
    status = status or {}
    findings = list(findings)
    results = []
    for rule in CATALOGUE:
        state = status.get(rule.id, "passed")
        failures = sum(1 for f in findings if f.rule == rule.id)
        reason = "no fixture" if state == "skipped" else None
        results.append(RuleResult(rule, state, 0 if reason else max(failures, 1), failures, reason))
    verdict = "failed" if "failed" in status.values() else "certified"
    return RunReport(verdict, 7, results, findings, meta=dict(meta), error=error)


class FakeRun:
    """Stands in for `conformance.run`: records its arguments, returns or raises `outcome`."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.outcome: RunReport | Exception = canned()

    def __call__(self, profile: Any = None, *, progress: Any = None, **options: Any) -> RunReport:
        self.calls.append({"profile": profile, **options})
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


@pytest.fixture
def fake_run(monkeypatch: pytest.MonkeyPatch) -> FakeRun:
    fake = FakeRun()
    monkeypatch.setattr(conformance, "run", fake)
    return fake


def ids(word: str) -> list[str]:
    return [rule for rule in RULES if word in rule]


def assert_usage_error(result: pytest.RunResult, fragment: str) -> None:
    """pytest's own bad-input shape: exit 4, one `ERROR:` line, no test outcomes."""
    assert result.ret == USAGE_ERROR, result.stdout.str()
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("ERROR: "), errors
    assert fragment in errors[0]
    text = result.stdout.str()
    assert " failed" not in text and " passed" not in text and "Traceback" not in text


# -- collection: node ids, -k, --collect-only ------------------------------------------------
def test_collect_only_lists_the_rules_and_contacts_no_provider(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    requests: list[str] = []

    def count(app):
        def middleware(environ, start_response):
            requests.append(environ["PATH_INFO"])
            return app(environ, start_response)

        return middleware

    with provider(tmp_path, count) as (_, profile):
        listed = pytester.runpytest_inprocess("--conformance-profile", str(profile), "--co", "-q")
        # under xdist too: the controller certifies only when workers will run items
        tree = pytester.runpytest_inprocess("--conformance-profile", str(profile), "--co", "-n2")
    assert listed.ret == 0 and requests == []  # not even the manifest
    node_ids = [line for line in listed.outlines if line.startswith(PREFIX)]
    assert node_ids == [f"{PREFIX}::{rule.group}::{rule.id}" for rule in CATALOGUE]
    tree.stdout.fnmatch_lines(
        [f"collected {len(RULES)} items", f"<ConformanceSuite {PREFIX}>", "  <RuleGroup auth>"]
    )
    tree.stdout.fnmatch_lines(["    <RuleItem auth.required>"])


def test_k_selects_rules_with_pytest_counts_and_judges_only_those(
    pytester: pytest.Pytester, fake_run: FakeRun
) -> None:
    result = pytester.runpytest_inprocess("--conformance-profile", "reference", "-k", "auth")
    auth = ids("auth")
    result.assert_outcomes(passed=len(auth), deselected=len(RULES) - len(auth))
    result.stdout.fnmatch_lines(
        [f"collected {len(RULES)} items / {len(RULES) - len(auth)} deselected / {len(auth)} *"]
    )
    (call,) = fake_run.calls
    assert call["only"] == sorted(auth)  # the run judges what pytest will report


def test_node_ids_can_be_passed_back(pytester: pytest.Pytester, fake_run: FakeRun) -> None:
    pytester.makepyfile(test_own="def test_own():\n    pass\n")
    listed = pytester.runpytest_inprocess("--conformance-profile", "reference", "--co", "-q")
    printed = next(line for line in listed.outlines if line.endswith("::auth.required"))
    result = pytester.runpytest_inprocess(
        "--conformance-profile",
        "reference",
        printed,  # messaging-conformance::auth::auth.required, as pytest printed it
        f"{PREFIX}::error",  # a group
        f"{PREFIX}::pagination.messages-limit",  # the short form
        "test_own.py",  # and the user's own tests alongside
        "-v",
    )
    errors = [r for r in RULES if r.startswith("error.")]
    result.assert_outcomes(passed=1 + len(errors) + 1 + 1)
    result.stdout.fnmatch_lines([f"{printed} PASSED*"])
    assert fake_run.calls[-1]["only"] == sorted(
        ["auth.required", "pagination.messages-limit", *errors]
    )
    everything = pytester.runpytest_inprocess("--conformance-profile", "reference", PREFIX)
    everything.assert_outcomes(passed=len(RULES))
    # a real folder of that name (a checkout, say) is pytest's to collect, not ours
    pytester.mkdir(PREFIX).joinpath("test_x.py").write_text("def test_x():\n    pass\n")
    folder = pytester.runpytest_inprocess(PREFIX)
    folder.assert_outcomes(passed=1)


# -- options ---------------------------------------------------------------------------------
def test_every_run_option_reaches_the_run(pytester: pytest.Pytester, fake_run: FakeRun) -> None:
    result = pytester.runpytest_inprocess(
        "--conformance-profile",
        "p.yaml",
        "--conformance-seed=9",
        "--conformance-max-examples=4",
        "--conformance-strict",
        "--conformance-timeout=2.5",
        "--conformance-rate=7",
        "--conformance-only=auth.*",
        "--conformance-only=error.*",
        "--conformance-no-fuzz",
        "--conformance-insecure",
        "--conformance-body-cap=1000",
        "--conformance-spec=spec.yaml",
        "--conformance-workers=3",
        "--conformance-har=run.har",
        "--conformance-no-resend",
        "--conformance-require-complete",
    )
    assert result.ret == 0
    assert fake_run.calls == [
        {
            "profile": "p.yaml",
            "seed": 9,
            "max_examples": 4,
            "strict": True,
            "timeout": 2.5,
            "rate": 7.0,
            "only": ["auth.*", "error.*"],
            "fuzz": False,
            "verify": False,
            "body_cap": 1000,
            "spec": "spec.yaml",
            "workers": 3,
            "har": "run.har",
            "resend": False,
        }
    ]
    pytester.runpytest_inprocess("--conformance-profile=p.yaml", "--conformance-ca-bundle=ca.pem")
    pytester.runpytest_inprocess("--conformance-profile=reference")
    # unset options are not passed, so the runner's defaults stay the only defaults
    assert fake_run.calls[1:] == [
        {"profile": "p.yaml", "seed": None, "max_examples": 25, "strict": False, "only": None}
        | {"verify": "ca.pem"},
        {"profile": None, "seed": None, "max_examples": 25, "strict": False, "only": None},
    ]


@pytest.mark.parametrize(
    "flag", ["--conformance-timeout=0", "--conformance-body-cap=-1", "--conformance-rate=x"]
)
def test_bad_option_values_are_usage_errors(
    pytester: pytest.Pytester, fake_run: FakeRun, flag: str
) -> None:
    result = pytester.runpytest_inprocess("--conformance-profile=reference", flag)
    assert result.ret == USAGE_ERROR and fake_run.calls == []


# -- input that stops the run: one usage error, not one failure per rule ---------------------
PROFILE = {"manifest": "m.json", "credentials": {"client_id": "a", "client_secret": "b"}}


def _profile_without_channel(folder: Path) -> list[str]:
    (folder / "p.yaml").write_text(yaml.safe_dump(PROFILE))
    return ["--conformance-profile", str(folder / "p.yaml")]


def _profile_with_bad_manifest(folder: Path) -> list[str]:
    (folder / "p.yaml").write_text(yaml.safe_dump({**PROFILE, "channel": "c"}))
    (folder / "m.json").write_text("{not json")
    return ["--conformance-profile", str(folder / "p.yaml")]


def _unreadable_baseline(folder: Path) -> list[str]:
    (folder / "old.json").write_text("[]")
    return ["--conformance-profile=reference", f"--conformance-baseline={folder / 'old.json'}"]


def _report_dir_is_a_file(folder: Path) -> list[str]:
    (folder / "reports").write_text("")
    return ["--conformance-profile=reference", f"--conformance-report-dir={folder / 'reports'}"]


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (lambda _: ["--conformance-profile", "absent.yaml"], "absent.yaml: cannot read profile"),
        (_profile_without_channel, "channel"),
        (_profile_with_bad_manifest, "m.json"),
        (_unreadable_baseline, "old.json"),
        (_report_dir_is_a_file, "cannot write reports"),
        (lambda _: ["--conformance-profile=reference", "--conformance-only=zz*"], "'zz*'"),
        (lambda _: ["--conformance-profile=reference", f"{PREFIX}::auth.nope"], "not found"),
        (lambda _: [f"{PREFIX}::auth"], "--conformance-profile"),
    ],
    ids=[
        "absent-profile",
        "no-channel",
        "bad-manifest",
        "bad-baseline",
        "report-dir",
        "only-matches-nothing",
        "unknown-node-id",
        "node-id-without-profile",
    ],
)
def test_bad_input_is_one_usage_error(
    pytester: pytest.Pytester, tmp_path: Path, arguments, fragment: str
) -> None:
    result = pytester.runpytest_inprocess(*arguments(tmp_path), "-p", "no:cacheprovider")
    assert_usage_error(result, fragment)


@pytest.mark.parametrize(
    "message",
    [
        # what the runner's preflight raises (issue 17 part 1, the lead's side)
        "credentials rejected: getConversations on channel 'ref-main' answered 401",
        "channel 'nope' not found: getConversations answered 404",
        "unknown profile key 'chanel' (did you mean 'channel'?)",
        "--only 'zz*' matches no rule",
    ],
)
def test_any_conformance_error_from_the_run_is_one_usage_error(
    pytester: pytest.Pytester, fake_run: FakeRun, message: str
) -> None:
    fake_run.outcome = ConformanceError(message, where="profile.yaml")
    result = pytester.runpytest_inprocess("--conformance-profile", "profile.yaml")
    assert_usage_error(result, f"ERROR: {PREFIX}: profile.yaml: {message}")
    assert len(fake_run.calls) == 1


def test_a_run_that_could_not_reach_the_provider_is_a_usage_error(
    pytester: pytest.Pytester, fake_run: FakeRun
) -> None:
    fake_run.outcome = canned(error="provider unreachable: ConnectionError")
    result = pytester.runpytest_inprocess("--conformance-profile", "reference")
    assert_usage_error(result, "provider unreachable: ConnectionError")


def _wrong_secret(profile: dict) -> None:
    profile["credentials"]["client_secret"] = "not-the-secret"


def _wrong_channel(profile: dict) -> None:
    profile["channel"] = "no-such-channel"


def _unknown_key(profile: dict) -> None:
    profile["chanel"] = profile["channel"]


@pytest.mark.parametrize("edit", [_wrong_secret, _wrong_channel, _unknown_key])
def test_wrong_credentials_channel_or_profile_key_is_one_usage_error(
    pytester: pytest.Pytester, tmp_path: Path, edit
) -> None:
    def edit_profile(profile: dict) -> None:
        profile.pop("rate_limit_probe")
        edit(profile)

    with provider(tmp_path, None, edit_profile, ReferenceConfig(rate_limit=None)) as (_, path):
        result = pytester.runpytest_inprocess(
            "--conformance-profile", str(path), "--conformance-no-fuzz", "-p", "no:cacheprovider"
        )
    assert_usage_error(result, PREFIX)


def test_usage_error_under_xdist_stops_before_the_workers(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--conformance-profile", "absent.yaml", "-n", "2")
    assert_usage_error(result, "absent.yaml: cannot read profile")


# -- results: durations, junit, baseline -----------------------------------------------------
def test_item_duration_is_the_time_of_its_rules_checks(
    pytester: pytest.Pytester, fake_run: FakeRun, tmp_path: Path
) -> None:
    fake_run.outcome = canned(rule_seconds={"auth.required": 1.25, "error.envelope": 0.5})
    junit = tmp_path / "junit.xml"
    recorder = pytester.inline_run(
        "--conformance-profile",
        "reference",
        f"{PREFIX}::auth.required",
        f"{PREFIX}::error.envelope",
        f"{PREFIX}::manifest.https",  # a rule with no timed checks
        f"--junitxml={junit}",
    )
    calls = [r for r in recorder.getreports("pytest_runtest_logreport") if r.when == "call"]
    durations = {r.nodeid.rsplit("::", 1)[-1]: r.duration for r in calls}
    assert durations == {"auth.required": 1.25, "error.envelope": 0.5, "manifest.https": 0.0}
    cases = {case.get("name"): case for case in ET.parse(junit).iter("testcase")}
    assert 1.25 <= float(cases["auth.required"].get("time")) < 2
    assert cases["auth.required"].get("classname") == f"{PREFIX}.auth"
    assert cases["manifest.https"].get("classname") == f"{PREFIX}.manifest"


def _failing_exactly_two(message: str = "3 participants in conv-1") -> RunReport:
    finding = Finding("participants.exactly-two", message, "getConversations")
    return canned({"participants.exactly-two": "failed"}, [finding])


def test_baseline_makes_known_failures_xfail_and_fails_regressions(
    pytester: pytest.Pytester, fake_run: FakeRun, tmp_path: Path
) -> None:
    fake_run.outcome = _failing_exactly_two()
    known = tmp_path / "known.json"
    known.write_text(json.dumps(_failing_exactly_two().to_dict()))
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps(canned().to_dict()))
    out = tmp_path / "out"
    select = [f"{PREFIX}::participants", "-rx"]
    same = pytester.runpytest_inprocess(
        "--conformance-profile=p.yaml", f"--conformance-baseline={known}", *select
    )
    same.assert_outcomes(passed=len(ids("participants.")) - 1, xfailed=1)
    same.stdout.fnmatch_lines(["XFAIL *participants.exactly-two*known in baseline*"])
    regressed = pytester.runpytest_inprocess(
        "--conformance-profile=p.yaml",
        f"--conformance-baseline={clean}",
        f"--conformance-report-dir={out}",
        *select,
    )
    regressed.assert_outcomes(passed=len(ids("participants.")) - 1, failed=1)
    written = json.loads((out / "report.json").read_text())
    assert written["baseline"]["new"] == ["participants.exactly-two"]
    fake_run.outcome = _failing_exactly_two("a new way to break it")  # new under a known one
    worse = pytester.runpytest_inprocess(
        "--conformance-profile=p.yaml", f"--conformance-baseline={known}", *select
    )
    worse.assert_outcomes(passed=len(ids("participants.")) - 1, failed=1)


def _must_rule_skipped() -> RunReport:
    return canned({"participants.exactly-two": "skipped"})


def test_require_complete_fails_a_skipped_must_rule_as_the_cli_does(
    pytester: pytest.Pytester, fake_run: FakeRun, tmp_path: Path
) -> None:
    """The same verdict as `run --require-complete`: exit 1 when a MUST rule was SKIPPED
    (also with a baseline that has no regression), exit 0 without the flag."""
    from conformance.report.canonical import exit_code_of, incomplete_must_rules

    fake_run.outcome = _must_rule_skipped()
    data = fake_run.outcome.to_dict()
    assert exit_code_of(data) == 0 and incomplete_must_rules(data) == ["participants.exactly-two"]
    select = [f"{PREFIX}::participants", "-rs"]
    lenient = pytester.runpytest_inprocess("--conformance-profile=p.yaml", *select)
    lenient.assert_outcomes(passed=len(ids("participants.")) - 1, skipped=1)
    assert lenient.ret == 0
    strict = pytester.runpytest_inprocess(
        "--conformance-profile=p.yaml", "--conformance-require-complete", *select
    )
    strict.assert_outcomes(passed=len(ids("participants.")) - 1, failed=1)
    assert strict.ret == 1
    strict.stdout.fnmatch_lines(
        ["*participants.exactly-two (MUST) was SKIPPED: no fixture*--conformance-require-complete"]
    )
    same = tmp_path / "same.json"
    same.write_text(json.dumps(_must_rule_skipped().to_dict()))
    with_baseline = pytester.runpytest_inprocess(
        "--conformance-profile=p.yaml",
        "--conformance-require-complete",
        f"--conformance-baseline={same}",
        *select,
    )
    with_baseline.assert_outcomes(passed=len(ids("participants.")) - 1, failed=1)
    # an unwritable --conformance-har is a usage error before the run, as in the CLI
    (tmp_path / "file").write_text("")
    bad = pytester.runpytest_inprocess(
        "--conformance-profile=p.yaml", f"--conformance-har={tmp_path / 'file' / 'run.har'}"
    )
    assert_usage_error(bad, "cannot write reports")
    assert len(fake_run.calls) == 3


# -- end to end ------------------------------------------------------------------------------
def test_reference_end_to_end_durations_match_the_report(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    recorder = pytester.inline_run(
        "--conformance-profile",
        "reference",
        "--conformance-no-fuzz",
        "--conformance-seed=2",
        f"--conformance-report-dir={out}",
        "-k",
        "pagination or participants",
    )
    selected = ids("pagination") + ids("participants")
    recorder.assertoutcome(passed=len(selected))
    report = json.loads((out / "report.json").read_text())
    assert report["options"]["fuzz"] is False and sorted(report["options"]["only"]) == sorted(
        selected
    )
    assert set(report["rule_seconds"]) <= set(selected)
    assert report["rule_seconds"]["participants.exactly-two"] > 0  # an exchange check, timed
    calls = [r for r in recorder.getreports("pytest_runtest_logreport") if r.when == "call"]
    assert {r.nodeid.rsplit("::", 1)[-1]: r.duration for r in calls} == {
        rule: report["rule_seconds"].get(rule, 0.0) for rule in selected
    }


def test_one_item_per_rule_with_findings_skips_and_junit(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    fault = next(f for f in FAULTS if f.rule == "participants.exactly-two")
    unlimited = ReferenceConfig(rate_limit=None)
    with provider(tmp_path, fault.wrap, lambda p: p.pop("rate_limit_probe"), unlimited) as (
        _,
        profile,
    ):
        result = pytester.runpytest_inprocess(
            "--conformance-profile",
            str(profile),
            "--conformance-seed",
            "1",
            "--conformance-max-examples",
            "3",
            f"--junitxml={tmp_path / 'junit.xml'}",
            "-rs",
        )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1 and outcomes["passed"] >= 30
    assert outcomes.get("skipped", 0) >= 1  # error.retry-by: no probe, no 429 seen
    text = result.stdout.str()
    assert "participants.exactly-two" in text and "curl " in text
    assert "no rate_limit_probe" in text  # the skip reason is shown
    cases = list(ET.parse(tmp_path / "junit.xml").iter("testcase"))
    assert [c.get("name") for c in cases] == list(RULES)
    assert all(c.get("classname") == f"{PREFIX}.{c.get('name').split('.')[0]}" for c in cases)


@pytest.mark.slow
def test_under_xdist_certifies_once(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """Two workers share one run: one delete, one set of posts, and no false delete failure."""
    requests: list[tuple[str, str]] = []

    def count(app):
        def middleware(environ, start_response):
            requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
            return app(environ, start_response)

        return middleware

    unlimited = ReferenceConfig(rate_limit=None)
    with provider(tmp_path, count, lambda p: p.pop("rate_limit_probe"), unlimited) as (
        _,
        profile,
    ):
        result = pytester.runpytest_subprocess(
            "--conformance-profile",
            str(profile),
            "--conformance-max-examples",
            "3",
            "--conformance-report-dir",
            str(tmp_path / "out"),
            "-n",
            "2",
            "-rs",
        )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["verdict"] == "incomplete"
    # the workers report exactly the one run's results (a not-applicable rule is a skipped item)
    assert (outcomes["passed"], outcomes["skipped"]) == (
        report["summary"]["passed"],
        report["summary"]["skipped"] + report["summary"]["not_applicable"],
    )
    skipped = {r["id"] for r in report["rules"] if r["status"] == "skipped"}
    assert {"error.retry-by", "error.retry-by-horizon"} <= skipped  # no probe, no rate limit
    # one run's requests, plus the manifest fetch: not one run per worker
    assert len(requests) == report["requests"] + 1


def test_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    from importlib.metadata import entry_points

    names = {e.value for e in entry_points(group="pytest11")}
    assert "conformance.faces.pytest_plugin" in names


def test_readme_names_every_plugin_option() -> None:
    root = Path(__file__).resolve().parents[2]
    source = (root / "conformance" / "faces" / "pytest_plugin.py").read_text()
    options = set(re.findall(r'"(--conformance-[a-z-]+)"', source))
    readme = (root / "README.md").read_text()
    assert len(options) == 18 and not {o for o in options if o not in readme}
