"""Rule results and verdicts come from findings, checked counts and skips only."""

from __future__ import annotations

from conformance.ledger import Ledger, verdict
from conformance.model import Finding
from conformance.rules import CATALOGUE


def statuses(ledger: Ledger) -> dict[str, str]:
    return {r.rule.id: r.status for r in ledger.results()}


def exercised_everything() -> Ledger:
    ledger = Ledger()
    ledger.record([], list(ledger.selected))
    return ledger


def test_all_checked_no_findings_is_certified() -> None:
    ledger = exercised_everything()
    assert set(statuses(ledger).values()) == {"passed"}
    assert verdict(ledger.results()) == "certified"


def test_must_finding_fails_should_finding_warns() -> None:
    ledger = exercised_everything()
    ledger.record([Finding("manifest.https", "plain http")])
    assert statuses(ledger)["manifest.https"] == "warning"
    assert verdict(ledger.results()) == "certified"
    assert verdict(ledger.results(), strict=True) == "failed"
    ledger.record([Finding("error.envelope", "html")])
    assert statuses(ledger)["error.envelope"] == "failed"
    assert verdict(ledger.results()) == "failed"


def test_unexercised_must_rule_is_skipped_and_run_incomplete() -> None:
    ledger = Ledger()
    ledger.record([], [r for r in ledger.selected if r != "delete.channel"])
    ledger.skip("delete.channel", "no disposable_channel")
    result = {r.rule.id: r for r in ledger.results()}["delete.channel"]
    assert result.status == "skipped" and result.reason == "no disposable_channel"
    assert verdict(ledger.results()) == "incomplete"


def test_only_selected_rules_are_judged() -> None:
    ledger = Ledger(selected=frozenset({"error.envelope"}))
    ledger.record([Finding("status.documented", "418")], ["error.envelope", "status.documented"])
    results = {r.rule.id: r for r in ledger.results()}
    assert results["error.envelope"].status == "passed"
    assert results["status.documented"].status == "skipped"
    assert results["status.documented"].reason == "not selected (--only)"


def test_findings_past_the_per_rule_cap_are_counted_without_their_exchange() -> None:
    """A provider broken on every response must not grow the run's memory with its bodies."""
    from conformance.ledger import EXCHANGES_PER_RULE
    from conformance.model import Exchange, RecordedRequest

    exchange = Exchange("getTemplates", RecordedRequest("GET", "http://p/x"), None)
    ledger = exercised_everything()
    ledger.record(Finding("error.envelope", f"n{i}", exchange=exchange) for i in range(60))
    kept = [f for f in ledger.findings if f.exchange is not None]
    assert len(ledger.findings) == 60 and len(kept) == EXCHANGES_PER_RULE
    assert [f.message for f in kept] == [f"n{i}" for i in range(EXCHANGES_PER_RULE)]
    assert ledger.first_finding_at is not None


def test_channels_rules_are_not_applicable_outside_the_verdict_in_a_one_direction_run() -> None:
    from conformance.ledger import NOT_APPLICABLE, ONE_DIRECTION

    ledger = Ledger()
    for rule in CATALOGUE:
        if rule.group != "channels":
            ledger.record([], [rule.id])
    results = {r.rule.id: r for r in ledger.results()}
    channels = [r for rid, r in results.items() if rid.startswith("channels.")]
    assert len(channels) == 12
    assert {r.status for r in channels} == {NOT_APPLICABLE}
    assert all(r.reason == ONE_DIRECTION for r in channels)
    assert verdict(results.values()) == "certified"


def test_a_channels_rule_with_evidence_is_judged_even_if_listed_not_applicable() -> None:
    ledger = Ledger()
    ledger.record([Finding("channels.auth", "no token")], ["channels.auth"])
    results = {r.rule.id: r for r in ledger.results()}
    assert results["channels.auth"].status == "failed"
    assert verdict(results.values()) == "failed"
