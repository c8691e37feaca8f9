"""The one judging path (conformance.judging), from hand-made evidence: what a live run feeds
it (exchanges interleaved with step conclusions) and what a re-judge feeds it (every exchange,
then every step) give the same results and verdict; the facts of a run (what scenarios could
not gather, --no-fuzz, a dead provider, interruption, errors, --require-complete, --baseline)
are inputs to the verdict, which nothing changes afterwards."""

from __future__ import annotations

import dataclasses
import json

import pytest

from conformance.checks import flows
from conformance.checks.flows import REFUSALS, judge_step
from conformance.inputs.manifest import parse_manifest
from conformance.judging import Judging, RunFacts, run_verdict
from conformance.ledger import CERTIFIED, ERROR, FAILED, INTERRUPTED, PASSED, SKIPPED
from conformance.model import Exchange
from conformance.phases.scenarios.access import serves
from conformance.phases.scenarios.session import Seen
from conformance.plan import EXCHANGE_RULES
from conformance.reference.app import ROUTES
from conformance.report.canonical import Baseline, RunReport
from conformance.rules import CATALOGUE, RULES
from tests.checks.conftest import NOW, FakeSpec, error_body, exchange

URL = "https://provider.test"
MANIFEST = parse_manifest(
    json.dumps(
        {"version": "v202101", "endpoints": {op: URL + path for op, path in ROUTES.items()}}
    ).encode(),
    "manifest.json",
)
SELECTED = frozenset(r.id for r in CATALOGUE)
NO_SANDBOX = "the profile names no sandbox conversation"


def ctx():
    from conformance.checks.context import CheckContext

    return CheckContext(spec=FakeSpec(), timeout=10.0, now=lambda: NOW)


def listed() -> Exchange:
    participants = [
        {"id": "u1", "name": "Agent", "role": "source_user"},
        {"id": "u2", "name": "Customer", "role": "end_user"},
    ]
    conversation = {"id": "c1", "status": "open", "seen": True, "participants": participants}
    body = {"success": True, "data": [conversation]}
    return exchange(200, body, context={"step": "reads"})


def unknown_channel(status: int, code: str | None) -> Exchange:
    body = error_body(code) if code else {"success": True, "data": []}
    context = {"step": "refusals", **serves("notfound.channel", "getConversations unknown")}
    return exchange(status, body, context=context)


def evidence(status: int, code: str | None) -> tuple[list[Exchange], list[tuple[str, list]]]:
    refused = unknown_channel(status, code)
    return [listed(), refused], [("reads", []), ("refusals", [refused])]


def facts(**changes) -> RunFacts:
    base = RunFacts(
        manifest=MANIFEST,
        exchanges=2,
        fallback_reason="not exercised by this run",
        not_gathered={"post.accepts-multipart": NO_SANDBOX},
        notes=("the provider admits about 1.0 requests/s",),
    )
    return dataclasses.replace(base, **changes)


def live(status: int, code: str | None, run: RunFacts) -> RunReport:
    """As runner.py feeds it: each conclusion right after its step's exchanges."""
    judging = Judging(SELECTED, ctx())
    judging.manifest(MANIFEST)
    exchanges, steps = evidence(status, code)
    judging.exchange(exchanges[0])
    judging.conclude(*steps[0])
    judging.exchange(exchanges[1])
    judging.conclude(*steps[1])
    judging.exchanges_done()
    judging.close(run, Seen())
    return judging.report(run, seed=1, meta={})


def rejudged(status: int, code: str | None, run: RunFacts) -> RunReport:
    """As rejudge.py feeds it: every recorded exchange, then every step's group."""
    judging = Judging(SELECTED, ctx())
    judging.manifest(MANIFEST)
    exchanges, steps = evidence(status, code)
    for one in exchanges:
        judging.exchange(one)
    judging.exchanges_done()
    for step, group in steps:
        judging.conclude(step, group)
    judging.close(run, Seen())
    return judging.report(run, seed=1, meta={})


def statuses(report: RunReport) -> dict[str, str]:
    return {r.rule.id: r.status for r in report.results}


def test_live_and_rejudged_evidence_give_the_same_results() -> None:
    run = facts()
    first, again = live(404, "NOT_FOUND", run), rejudged(404, "NOT_FOUND", run)
    assert statuses(first) == statuses(again)
    assert first.to_dict() == again.to_dict()
    assert first.findings == again.findings == []
    assert first.verdict == again.verdict == "incomplete"  # most MUST rules saw no evidence
    assert statuses(first)["notfound.channel"] == PASSED


def test_a_wrong_refusal_fails_the_same_way_on_both_paths() -> None:
    run = facts()
    first, again = live(200, None, run), rejudged(200, None, run)
    assert first.verdict == again.verdict == FAILED
    assert [f.message for f in first.findings] == [f.message for f in again.findings]
    assert any(
        f.rule == "notfound.channel" and f.message.endswith("expected 404 NOT_FOUND")
        for f in first.findings
    )


def test_what_a_scenario_could_not_gather_is_skipped_with_its_reason() -> None:
    results = {r.rule.id: r for r in live(404, "NOT_FOUND", facts()).results}
    assert results["post.accepts-multipart"].status == SKIPPED
    assert results["post.accepts-multipart"].reason == NO_SANDBOX
    # evidence beats a reason: a rule judged after all is not SKIPPED
    gathered = live(404, "NOT_FOUND", facts(not_gathered={"notfound.channel": "no id"}))
    assert statuses(gathered)["notfound.channel"] == PASSED


def test_the_run_s_notes_reach_the_ledger_at_close() -> None:
    judging = Judging(SELECTED, ctx())
    judging.ledger.notes.append("recorded first")
    judging.close(facts(exchanges=0), None)
    assert judging.ledger.notes == ["recorded first", "the provider admits about 1.0 requests/s"]


def test_the_closing_facts_decide_the_closing_rules() -> None:
    report = live(404, "NOT_FOUND", facts(fuzzed=False))
    reasons = {r.rule.id: r.reason for r in report.results if r.status == SKIPPED}
    unjudged = {rule for rule in EXCHANGE_RULES if statuses(report)[rule] == SKIPPED}
    assert unjudged and all(
        reasons[rule] == "not exercised by this run; generated requests were not sent (--no-fuzz)"
        for rule in unjudged
    )
    assert statuses(report)["robustness.provider-alive"] == PASSED
    down = live(404, "NOT_FOUND", facts(provider_down=True, fallback_reason="not exercised: x"))
    assert statuses(down)["robustness.provider-alive"] == SKIPPED
    assert {r.reason for r in down.results if r.rule.id == "robustness.provider-alive"} == {
        "not exercised: x"
    }


def test_interruption_and_errors_are_inputs_to_the_one_verdict() -> None:
    assert live(404, "NOT_FOUND", facts(error="suite error: x")).verdict == ERROR
    assert live(404, "NOT_FOUND", facts(interrupted=True)).verdict == INTERRUPTED
    both = live(404, "NOT_FOUND", facts(interrupted=True, error="suite error: x"))
    assert both.verdict == INTERRUPTED and both.error == "suite error: x"
    assert both.exit_code == 130
    assert run_verdict([], strict=False) == CERTIFIED


def test_require_complete_is_judged_with_the_run() -> None:
    lenient = live(404, "NOT_FOUND", facts())
    assert lenient.verdict == "incomplete" and lenient.exit_code == 0
    complete = live(404, "NOT_FOUND", facts(require_complete=True))
    assert complete.verdict == "incomplete" and complete.exit_code == 1
    assert complete.to_dict() == lenient.to_dict()  # the document is the same


def test_a_baseline_is_judged_with_the_run() -> None:
    failing = live(200, None, facts())
    assert failing.exit_code == 1 and "baseline" not in failing.to_dict()
    known = live(200, None, facts(baseline=Baseline("old.json", failing.to_dict())))
    data = known.to_dict()
    assert data["baseline"]["source"] == "old.json" and data["baseline"]["regressed"] is False
    assert all(f["known"] for f in data["findings"])
    assert known.verdict == FAILED and known.exit_code == 0
    clean = live(404, "NOT_FOUND", facts()).to_dict()
    regressed = live(200, None, facts(baseline=Baseline("clean.json", clean)))
    assert regressed.to_dict()["baseline"]["regressed"] is True and regressed.exit_code == 1


def test_the_report_is_built_once_and_never_changed() -> None:
    report = live(404, "NOT_FOUND", facts())
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.verdict = CERTIFIED  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.redactor = None  # type: ignore[misc]


# -- the rules own their expectations --------------------------------------------------------
def test_a_scenario_tags_a_refusal_with_its_rule_and_what_was_sent_only() -> None:
    assert serves("notfound.sender", "getSenderById with unknown senderId") == {
        "rule": "notfound.sender",
        "what": "getSenderById with unknown senderId",
    }


def test_every_refusal_rule_states_what_it_expects() -> None:
    for rule, (status, codes) in REFUSALS.items():
        assert rule in RULES and 400 <= status < 500 and codes
    notfound = {rule for rule in RULES if rule.startswith("notfound.")}
    assert notfound <= set(REFUSALS)
    assert {REFUSALS[rule] for rule in notfound} == {(404, ("NOT_FOUND",))}


def test_the_notfound_expectation_lives_in_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same exchange, context untouched: changing the check's table flips the result."""
    answered = unknown_channel(404, "NOT_FOUND")
    assert judge_step("refusals", [answered]) == {"notfound.channel": []}
    monkeypatch.setitem(flows.REFUSALS, "notfound.channel", (410, ("GONE",)))
    (finding,) = judge_step("refusals", [answered])["notfound.channel"]
    assert finding.message.endswith("expected 410 GONE")


def test_a_refusal_of_a_rule_that_expects_none_is_not_judged() -> None:
    stray = exchange(200, {"success": True}, context={"rule": "auth.nothing", "what": "x"})
    assert judge_step("refusals", [stray]) == {"auth.nothing": None}
