"""Rule results and the verdict, computed from findings and what was checked.

The verdict comes from rule results only, never from ad-hoc counters, so every face (CLI,
pytest plugin, API) agrees: a failed MUST fails; a MUST that could not be exercised makes
the run `incomplete`; a failed SHOULD warns (and fails under --strict).

Stage: values.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from conformance.model import Finding
from conformance.rules import CATALOGUE, Level, Rule

# Findings beyond this many per rule drop their exchange: the report lists only the first ones,
# and a systematically broken provider must not make the run's memory grow without bound.
EXCHANGES_PER_RULE = 25
# Rules whose failure is a property of an operation, not of each request: reported once each.
ONCE_PER_OPERATION = frozenset({"robustness.response-size"})
PASSED, FAILED, WARNING, SKIPPED = "passed", "failed", "warning", "skipped"
# Outside the verdict: a rule of a side this run does not include (the Channels API side of a
# manifest-only run). Never SKIPPED, which would make every one-direction run incomplete.
NOT_APPLICABLE = "not_applicable"
ONE_DIRECTION = "one-direction run: the Channels API side (run --two-sided) was not included"
CERTIFIED, INCOMPLETE, FAILED_VERDICT = "certified", "incomplete", "failed"
# Verdicts a run can end with besides those: it could not be completed or judged.
ERROR, INTERRUPTED = "error", "interrupted"


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    status: str
    checked: int
    failures: int
    reason: str | None = None


@dataclass
class Ledger:
    """Collects findings and 'checked' counts from every phase; thread-safe."""

    selected: frozenset[str] = frozenset(r.id for r in CATALOGUE)
    checked: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    skips: dict[str, str] = field(default_factory=dict)
    first_finding_at: float | None = None  # time.monotonic() of the first finding
    per_rule: Counter[str] = field(default_factory=Counter)
    # The reason unexercised rules get when none was recorded (e.g. "provider down").
    fallback_reason: str = "not exercised by this run"
    notes: list[str] = field(default_factory=list)  # how the run adapted (said in the report)
    _reported: set[tuple[str, str]] = field(default_factory=set)
    # Time each rule's checks took (not the requests they judged): the pytest item duration.
    seconds: Counter[str] = field(default_factory=Counter)
    # Told each recorded finding (outside the lock), e.g. for a live failing-rule count.
    listeners: list[Callable[[Finding], None]] = field(default_factory=list)
    # rule id -> why it does not apply to this run, used when the rule saw no evidence
    not_applicable: dict[str, str] = field(default_factory=lambda: dict(_channels_side()))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(
        self,
        findings: Iterable[Finding],
        checked: Iterable[str] = (),
        seconds: Mapping[str, float] | None = None,
    ) -> None:
        recorded: list[Finding] = []
        with self._lock:
            for rule_id, spent in (seconds or {}).items():
                if rule_id in self.selected:
                    self.seconds[rule_id] += spent
            for rule_id in checked:
                if rule_id in self.selected:
                    self.checked[rule_id] += 1
            for finding in findings:
                if finding.rule in ONCE_PER_OPERATION:
                    key = (finding.rule, finding.operation)
                    if key in self._reported:
                        continue
                    self._reported.add(key)
                if finding.rule in self.selected:
                    if self.first_finding_at is None:
                        self.first_finding_at = time.monotonic()
                    self.per_rule[finding.rule] += 1
                    if self.per_rule[finding.rule] > EXCHANGES_PER_RULE:
                        # counted and kept, but without its request and response bodies
                        finding = replace(finding, exchange=None)
                    self.findings.append(finding)
                    recorded.append(finding)
                    self.checked[finding.rule] += 0  # a finding implies it was checked
        for finding in recorded:
            for listener in self.listeners:
                listener(finding)

    def check(self, rule_id: str, findings: Iterable[Finding] | None = ()) -> list[Finding]:
        """One judgement of a flow rule: counts as checked once, with its findings.

        None means the scenario could not judge (no request was possible, or the provider
        kept answering 429): nothing is counted, so the rule is never silently passed.
        """
        if findings is None:
            return []
        began = time.perf_counter()
        found = list(findings)  # a lazy judge does its work here
        self.record(found, [rule_id], {rule_id: time.perf_counter() - began})
        return found

    def apply(self, result: Mapping[str, list[Finding] | str | None]) -> None:
        """Record one step's judgement (see conformance.checks.flows.judge_step)."""
        for rule_id, outcome in result.items():
            if isinstance(outcome, str):
                self.skip(rule_id, outcome)
            else:
                self.check(rule_id, outcome)

    def skip(self, rule_id: str, reason: str) -> None:
        """Mark a rule not exercisable (missing fixture, side effect not allowed)."""
        with self._lock:
            self.skips.setdefault(rule_id, reason)

    def results(self, *, strict: bool = False) -> list[RuleResult]:
        failures = Counter(f.rule for f in self.findings)
        results = []
        for r in CATALOGUE:
            result = rule_result(r, self.checked[r.id], failures[r.id], self._skip_reason(r.id))
            if result.status == SKIPPED and r.id in self.not_applicable:
                result = RuleResult(r, NOT_APPLICABLE, 0, 0, self.not_applicable[r.id])
            results.append(result)
        return results

    def _skip_reason(self, rule_id: str) -> str | None:
        if rule_id not in self.selected:
            return "not selected (--only)"
        if self.checked[rule_id] == 0 and not any(f.rule == rule_id for f in self.findings):
            return self.skips.get(rule_id, self.fallback_reason)
        return None


def _channels_side() -> dict[str, str]:
    return {r.id: ONE_DIRECTION for r in CATALOGUE if r.group == "channels"}


def rule_result(rule: Rule, checked: int, failures: int, skip_reason: str | None) -> RuleResult:
    if failures:
        status = FAILED if rule.level is Level.MUST else WARNING
        return RuleResult(rule, status, max(checked, failures), failures)
    if skip_reason is not None:
        return RuleResult(rule, SKIPPED, 0, 0, skip_reason)
    return RuleResult(rule, PASSED, checked, 0)


def verdict(results: Iterable[RuleResult], *, strict: bool = False) -> str:
    results = list(results)
    if any(r.status == FAILED or (strict and r.status == WARNING) for r in results):
        return FAILED_VERDICT
    if any(r.status == SKIPPED and r.rule.level is Level.MUST for r in results):
        return INCOMPLETE
    return CERTIFIED
