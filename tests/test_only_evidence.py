"""`--only RULE` judges a rule on the evidence a full run gives it, or skips it saying why.

A vendor checks one fix with `--only RULE --no-fuzz`: each mutant of tests/faults.py must
still fail every MUST rule it breaks when that rule alone is selected, through the CLI's
runner and through the pytest face alike. The plan's step->rules map (conformance/plan.py)
is what makes that so; its unit tests here need no server.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from conformance.faces.pytest_plugin import PREFIX
from conformance.ledger import FAILED, SKIPPED
from conformance.plan import EXCHANGE_RULES, STEP_RULES, describe_plan, fed_by, make_plan
from conformance.reference import ReferenceConfig
from conformance.rules import RULES, Level
from conformance.runner import RunOptions, build_target, run
from tests.faults import FAULTS, Fault, provider

pytest_plugins = ["pytester"]


def must_rules(fault: Fault) -> list[str]:
    return sorted(r for r in {fault.rule, *fault.also} if RULES[r].level is Level.MUST)


PAIRS = [(fault, rule) for fault in FAULTS for rule in must_rules(fault)]


def rate_limited(fault: Fault, rule: str) -> bool:
    """Whether a 429 is the evidence: the run keeps the reference's rate limit, and waits."""
    return rule.startswith("error.retry-by") or fault.rule.startswith("error.retry-by")


def run_only(tmp_path: Path, fault: Fault, rule: str):
    """The mutant's own run (its options; every mutant here runs with --no-fuzz), with
    `--only RULE`. The burst, and the reference's own rate limit, are kept only where a 429
    is the evidence, as in the mutant's full run (tests/mutant_runs.py): elsewhere the limit
    only made the run wait out 429s that judge nothing the rule is about (five times the
    wall time, a fifth more CPU)."""
    limited = rate_limited(fault, rule)

    def edit(profile: dict) -> None:
        if not limited:
            profile.pop("rate_limit_probe", None)
        if fault.profile_edit:
            fault.profile_edit(profile)

    config = None if limited else ReferenceConfig(rate_limit=None)
    with provider(tmp_path, fault.wrap, edit, config, manifest_edit=fault.manifest_edit) as (
        _,
        path,
    ):
        options = {"timeout": fault.timeout, "fuzz": fault.fuzz, **fault.options, "only": [rule]}
        return run(RunOptions(profile=path, seed=3, **options))


@pytest.mark.parametrize(
    ("fault", "rule"),
    [
        pytest.param(
            fault,
            rule,
            id=f"{fault.name}::{rule}",
            marks=[pytest.mark.slow] if rate_limited(fault, rule) else [],
        )
        for fault, rule in PAIRS
    ],
)
def test_only_the_rule_still_fails_it(tmp_path: Path, fault: Fault, rule: str) -> None:
    assert not fault.fuzz  # a clause that needs fuzzing would be skipped under --no-fuzz
    report = run_only(tmp_path, fault, rule)
    result = next(r for r in report.results if r.rule.id == rule)
    assert result.status == FAILED, (result.status, result.reason)
    assert report.exit_code == 1 and report.error is None
    assert {f.rule for f in report.findings} == {rule}  # nothing unselected is reported


# With fuzzing on too (a sample: every pair with fuzzing would double this file's time).
FUZZED = [
    ("404 code MISSING", "error.code-matches-status"),
    ("postMessage answers 202", "status.documented"),
    ("dies on a group post", "robustness.provider-alive"),
]


@pytest.mark.parametrize(("name", "rule"), FUZZED, ids=[f"{n}::{r}" for n, r in FUZZED])
def test_only_the_rule_with_fuzzing_still_fails_it(tmp_path: Path, name: str, rule: str) -> None:
    fault = next(f for f in FAULTS if f.name == name)
    fuzzed = replace(fault, fuzz=True, options={**fault.options, "max_examples": 5})
    report = run_only(tmp_path, fuzzed, rule)
    assert next(r for r in report.results if r.rule.id == rule).status == FAILED
    assert report.meta["phase_requests"].get("generated requests", 0) > 0 or (
        rule == "robustness.provider-alive"  # the provider died before fuzzing began
    )


# -- the plan: which steps feed which rule --------------------------------------------------
def test_every_step_feeds_the_rules_judged_on_every_exchange() -> None:
    for rule in EXCHANGE_RULES:
        assert fed_by(rule) == list(STEP_RULES), rule
    assert fed_by("notfound.conversation") == ["unknown ids"]
    assert fed_by("manifest.capability-endpoints") == ["discovery"]
    assert fed_by("manifest.https") == []


@pytest.fixture
def target(tmp_path: Path):
    """The reference with a sandbox and a disposable channel: every write is possible."""
    with provider(tmp_path) as (_, path):
        yield build_target(path, RunOptions())


def plan(target, only: set[str], fuzz: bool = False):
    return make_plan(target.profile, target.manifest, frozenset(only), fuzz=None)


def test_selecting_an_exchange_rule_runs_every_step_and_shows_the_writes_it_pulls_in(
    target,
) -> None:
    chosen = plan(target, {"status.documented"})
    names = [step.name for step in chosen.steps]
    assert names == [n for n in STEP_RULES if n not in {"discovery", "generated requests"}]
    writes = "\n".join(w.line(target.manifest) for w in chosen.writes)
    assert "only conversation" in writes and "only channel" in writes
    text = "\n".join(describe_plan(chosen, target.profile, target.manifest))
    assert "posts (rules: status.documented; its requests, writes included, are evidence" in text
    assert "DELETE deleteChannelById" in text


def test_a_flow_rule_runs_only_its_steps_and_capability_reads_one_walk(target) -> None:
    sender = plan(target, {"notfound.sender"})
    assert [s.name for s in sender.steps] == ["discovery", "unknown ids"]
    text = describe_plan(sender, target.profile, target.manifest)
    assert "3. scenarios: discovery (the real ids the next steps use)" in text
    capability = plan(target, {"manifest.capability-endpoints"})
    assert [s.name for s in capability.steps] == ["discovery"] and capability.writes == []
    assert plan(target, {"manifest.https"}).steps == ()


def test_capability_under_only_gathers_the_data_it_judges(tmp_path: Path) -> None:
    fault = next(f for f in FAULTS if f.name == "avatars flagged but no getSenderById")
    report = run_only(tmp_path, fault, "manifest.capability-endpoints")
    (finding,) = report.findings
    assert "getSenderById" in finding.message and report.meta["requests"] > 0
    assert report.meta["plan"]["writes"] == []


def test_an_exchange_rule_no_scenario_reached_is_skipped_naming_no_fuzz(tmp_path: Path) -> None:
    """No burst and no generated requests: no 429 is met, so the horizon rule has no evidence."""
    no_limit = ReferenceConfig(rate_limit=None)
    with provider(tmp_path, None, lambda p: p.pop("rate_limit_probe", None), no_limit) as (_, path):
        report = run(RunOptions(profile=path, seed=3, fuzz=False, only=["error.retry-by-horizon"]))
    result = next(r for r in report.results if r.rule.id == "error.retry-by-horizon")
    assert result.status == SKIPPED and result.checked == 0
    assert result.reason == (
        "not exercised by this run; generated requests were not sent (--no-fuzz)"
    )


# -- the pytest face agrees with the CLI ----------------------------------------------------
def test_pytest_node_id_of_one_rule_fails_it_like_the_cli(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    fault = next(f for f in FAULTS if f.name == "404 code MISSING")
    rule = "error.code-matches-status"
    cli = run_only(tmp_path / "cli", fault, rule)

    def edit(profile: dict) -> None:
        profile.pop("rate_limit_probe", None)

    with provider(tmp_path / "face", fault.wrap, edit) as (_, path):
        result = pytester.runpytest_inprocess(
            "--conformance-profile",
            str(path),
            "--conformance-no-fuzz",
            "--conformance-seed=3",
            "-p",
            "no:cacheprovider",
            f"{PREFIX}::{RULES[rule].group}::{rule}",
        )
    result.assert_outcomes(failed=1)
    assert cli.exit_code == result.ret == 1
    found = sum(1 for f in cli.findings if f.rule == rule)
    assert found > 2  # every step's 404s, not only the walks' (the bug: 2 checks, passed)
    result.stdout.fnmatch_lines([f"{found} finding(s) in *", f"*FAILED *{PREFIX}::error::{rule}*"])
