"""Prove the suite: every rule is caught by a provider that breaks it, and conformant
providers (the reference under several seeds, and a tolerant variant) are never flagged.

The terminal summary prints the mutation score (see tests/conftest.py), and
docs/rule-coverage.md is generated from the mutant catalogue (a test keeps it current).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conformance.ledger import FAILED, PASSED, WARNING, verdict
from conformance.report.canonical import exit_code_of
from conformance.rules import CATALOGUE, RULES, Level
from conformance.runner import RunOptions, run
from tests.channel_faults import CHANNEL_FAULTS
from tests.faults import (
    FAULTS,
    Fault,
    _chain,
    before,
    conversations_of,
    is_by_id,
    path,
    provider,
    rewrite,
)
from tests.mutant_runs import mutant_params

ROOT = Path(__file__).resolve().parents[1]
COVERAGE = ROOT / "docs" / "rule-coverage.md"


def statuses(report) -> dict[str, str]:
    return {r.rule.id: r.status for r in report.results}


@pytest.mark.parametrize("fault", mutant_params(FAULTS))
def test_mutant_is_caught_by_its_rule(mutant_run, fault: Fault) -> None:
    report = mutant_run(fault).report
    assert any(f.rule == fault.rule for f in report.findings), report.findings[:3]
    result = statuses(report)[fault.rule]
    must_failures = {r.rule.id for r in report.results if r.status == FAILED}
    # exactly the MUST rules this defect breaks: its own, and collateral named on purpose
    if RULES[fault.rule].level is Level.MUST:
        assert result == FAILED and report.exit_code == 1
        assert must_failures == {fault.rule} | fault.also, _collateral(report, must_failures)
    else:
        assert result == WARNING and must_failures == set(fault.also) and report.exit_code == 0
    assert report.error is None, report.error


def _collateral(report, failing: set[str]) -> list[str]:
    """What to read when a mutant fails more than it should: one finding per failing rule."""
    return [next(f"{f.rule}: {f.message}" for f in report.findings if f.rule == r) for r in failing]


@pytest.mark.parametrize(
    "fault", mutant_params([f for f in FAULTS if RULES[f.rule].level is Level.SHOULD])
)
def test_should_mutant_fails_under_strict(mutant_run, fault: Fault) -> None:
    """`--strict` changes only the verdict computed from the rule results (the run sends
    the same requests), so the verdict is judged again from the shared run's results; a
    real `--strict` run is tests/test_runner.py::test_should_failure_fails_only_under_strict."""
    report = mutant_run(fault).report
    strict = verdict(report.results, strict=True)
    assert strict == "failed" and exit_code_of({"verdict": strict, "error": report.error}) == 1


# A fixed list, so every run of the suite checks the same seeds; bench/robustness.py draws
# 20 random ones, and a seed it finds uncertified belongs in this list.
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6, 7, 8, 1913, 20261126])
@pytest.mark.slow
def test_reference_has_zero_findings(tmp_path: Path, seed: int) -> None:
    with provider(tmp_path) as (_, profile):
        report = run(RunOptions(profile=profile, seed=seed, max_examples=10))
    assert report.findings == [], [f.message for f in report.findings[:5]]
    assert report.verdict == "certified"


# -- a tolerant, conformant provider: different legal choices -----------------------------
def _tolerant_body(environ, status, headers, body):
    headers = [
        (k, "application/json; charset=utf-8" if k.lower() == "content-type" else v)
        for k, v in headers
    ]
    if not isinstance(body, dict):
        return status, headers, body
    if not environ.get("PATH_INFO", "").endswith("/manifest.json"):
        # extra unknown fields in answers (a manifest's unknown keys are warned about)
        body["x_vendor_trace"] = {"region": "eu"}
    if status == 429:  # retry_by without fractional seconds (rounded up)
        moment = body["data"]["retry_by"]
        seconds = int(moment[17:19]) + 1
        body["data"]["retry_by"] = moment[:17] + (f"{seconds:02d}Z" if seconds < 60 else "59Z")
    data = body.get("data")
    for conversation in data if isinstance(data, list) else [data]:
        if not isinstance(conversation, dict) or "participants" not in conversation:
            continue
        conversation["link"] = ""
        conversation["x_vendor"] = True
        for participant in conversation["participants"]:
            # fetch_avatar stays where true: without it getSenderById is never exercised
            for optional in ("avatar_url", "avatar_expires"):
                participant.pop(optional, None)
            if not participant.get("fetch_avatar"):
                participant.pop("fetch_avatar", None)
        for message in conversation.get("messages", []):
            message.pop("reply_by", None)
            for attachment in message.get("attachments", []):
                for optional in ("name", "size", "preview_url"):
                    attachment.pop(optional, None)
        conversation["messages"].reverse()  # oldest first within a page
        if conversation.get("next_messages_cursor"):
            conversation["next_messages_cursor"] = "v2." + conversation["next_messages_cursor"]
    additional = body.get("additional_data")
    if isinstance(additional, dict) and additional.get("after"):
        additional["after"] = "v2." + additional["after"]
    if isinstance(additional, dict) and not additional.get("after"):
        body.pop("additional_data")  # absent at the end instead of empty
    return status, headers, body


def _tolerant_request(environ: dict) -> None:
    query = environ.get("QUERY_STRING", "")
    query = re.sub(r"after=v2\.", "after=", query)
    # invalid limits ignored (a valid 200) instead of refused
    query = re.sub(
        r"(conversations_limit|messages_limit)=(?!([1-9]\d{0,2}|1000)(&|$))[^&]*", "", query
    )
    environ["QUERY_STRING"] = query


TOLERANT = _chain(before(_tolerant_request), rewrite(_tolerant_body))


@pytest.mark.slow
def test_tolerant_conformant_variant_is_certified(tmp_path: Path) -> None:
    with provider(tmp_path, TOLERANT) as (_, profile):
        report = run(RunOptions(profile=profile, seed=8, max_examples=10))
    assert report.findings == [], [f.message for f in report.findings[:5]]
    assert report.verdict == "certified"
    assert all(r.status == PASSED for r in report.results if r.rule.group != "channels")


# -- a conformant provider whose data moves on between two reads -------------------------
MOVES_ON = {"sent": "delivered", "delivered": "read"}


def _moves_on(environ, status, headers, body):
    """By-id answers show statuses one step further and refreshed names and avatars: what a
    live inbox does between Pipedrive's list read and its by-id read, all of it allowed."""
    if status != 200 or "/senders/" in path(environ):
        return status, headers, body
    if "/messages/" in path(environ) and environ["REQUEST_METHOD"] == "GET":
        body["status"] = MOVES_ON.get(body["status"], body["status"])
    for conversation in conversations_of(body) if is_by_id(environ) else []:
        for participant in conversation["participants"]:
            participant["name"] += " (refreshed)"
            participant["avatar_url"] = (
                participant.get("avatar_url", "https://a.example/x") + "?v=2"
            )
        for message in conversation["messages"]:
            message["status"] = MOVES_ON.get(message["status"], message["status"])
    return status, headers, body


@pytest.mark.slow
def test_a_provider_whose_data_moves_on_between_reads_is_certified(tmp_path: Path) -> None:
    with provider(tmp_path, rewrite(_moves_on)) as (_, profile):
        report = run(RunOptions(profile=profile, seed=5, max_examples=10))
    assert report.findings == [], [f.message for f in report.findings[:5]]
    assert report.verdict == "certified"
    by_id = [r for r in report.results if r.rule.id.startswith("consistency.")]
    assert by_id and all(r.status == PASSED and r.checked for r in by_id)


# -- the coverage table ------------------------------------------------------------------
def coverage_markdown() -> str:
    lines = [
        "# Rule coverage",
        "",
        "Generated from `tests/faults.py` by `python -m tests.coverage`; a test fails when",
        "it is stale or when a catalogue rule has no mutant. Each mutant is the reference",
        "provider with one thing broken (one clause of one rule), and `tests/test_mutants.py`",
        "asserts that the run fails exactly that rule (plus the collateral MUST rules listed,",
        "which the same defect breaks on purpose). Every clause is also unit-tested on",
        "hand-made exchanges, without a server, in the test module named per rule family.",
        "The `channels.*` mutants are the reference playing the vendor's app with one habit",
        "broken (`tests/channel_faults.py`, `tests/test_channels_mutants.py`); each is",
        "caught by exactly its rule.",
        "",
        "| rule | level | clause | mutant | also fails | unit tests |",
        "|---|---|---|---|---|---|",
    ]
    for rule in CATALOGUE:
        faults = [f for f in (*FAULTS, *CHANNEL_FAULTS) if f.rule == rule.id] or [None]
        for fault in faults:
            clause = fault.clause if fault and fault.clause else "the rule as titled"
            name = fault.name if fault else "**none**"
            also = ", ".join(f"`{r}`" for r in sorted(fault.also)) if fault else ""
            lines.append(
                f"| `{rule.id}` | {rule.level.value} | {clause} | {name} | {also} | "
                f"{UNIT_TESTS.get(rule.group, '')} |"
            )
    return "\n".join(lines) + "\n"


# Where each family's clauses are unit-tested on hand-made exchanges (no server).
UNIT_TESTS = {
    "manifest": "`tests/inputs/test_manifest.py`",
    "auth": "`tests/checks/test_status.py`, `tests/checks/test_flows.py`",
    "error": "`tests/checks/test_errors.py`, `tests/checks/test_flows.py`",
    "status": "`tests/checks/test_status.py`",
    "response": "`tests/checks/test_body.py`",
    "notfound": "`tests/checks/test_flows.py`",
    "participants": "`tests/checks/test_participants.py`, `tests/checks/test_flows.py`",
    "pagination": "`tests/checks/test_pagination.py`, `tests/checks/test_walks.py`, "
    "`tests/checks/test_midwalk.py`",
    "consistency": "`tests/checks/test_flows.py`",
    "post": "`tests/checks/test_flows.py`",
    "delete": "`tests/checks/test_flows.py`",
    "robustness": "`tests/checks/test_status.py`",
    "security": "`tests/checks/test_disclosure.py`",
    "channels": "`tests/checks/test_channels.py`",
}


def test_every_rule_has_a_mutant() -> None:
    assert sorted(set(RULES) - {f.rule for f in (*FAULTS, *CHANNEL_FAULTS)}) == []


def test_coverage_table_is_current() -> None:
    assert COVERAGE.read_text() == coverage_markdown(), "run: python -m tests.coverage"


def test_mutant_names_are_unique() -> None:
    assert len({f.name for f in FAULTS}) == len(FAULTS)
    json.dumps([f.name for f in FAULTS])


def test_a_mutants_tests_and_a_module_fixtures_tests_share_an_xdist_worker() -> None:
    """The scheduler (tests/conftest.py) keeps a mutant's table, strict and rejudge tests in
    one worker, so they share its one run; and the tests of one shared fixture likewise."""
    from tests.conftest import xdist_scope

    name = "next_messages_cursor null"
    table = f"tests/test_mutants.py::test_mutant_is_caught_by_its_rule[{name}]"
    strict = f"tests/test_mutants.py::test_should_mutant_fails_under_strict[{name}]"
    assert xdist_scope(table) == xdist_scope(strict) == f"mutant {name}"
    rejudged = "tests/test_nightly.py::test_rejudge_reproduces_statuses_and_findings[auth ignored]"
    assert xdist_scope(rejudged) == "mutant auth ignored"
    assert xdist_scope("tests/report/test_reports.py::test_markdown_summary") == "reports runs"
    har = "tests/test_nightly.py::test_har_is_redacted_like_every_other_output"
    assert xdist_scope(har) == "nightly recorded run"
    certificate = "tests/test_certificate.py::test_a_changed_report_fails_its_digest"
    assert xdist_scope(certificate) == "certificate run"
    matrix = "tests/test_dashboard.py::test_matrix_dashboard_data"
    assert xdist_scope(matrix) == "dashboard matrix"
    alone = "tests/test_nightly.py::test_every_rejudged_mutant_exists"
    assert xdist_scope(alone) == alone
