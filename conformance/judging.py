"""The one path from evidence to rule results and a verdict (the judging stage).

A live run (runner.py) and the re-judge of its HAR (rejudge.py) both judge through a
`Judging`: the manifest is linted, every exchange goes through the single-exchange checks as
it arrives (`exchange`, a recorder listener in a live run, so findings appear live), every
step's evidence through its step judge (`conclude`), and `close` turns the run's facts
(`RunFacts`: whether fuzzing ran, whether the provider died, what scenarios could not
gather, ...) into the closing results. `report` then computes the verdict once, from the
results and the facts that decide it (strict, interruption, a suite or start error, and
`--require-complete` and `--baseline`, which the report carries so that its document and
exit code follow them), and builds the one immutable `RunReport`. Nothing changes a verdict
after it is computed.

Evidence arrives in a different order in the two paths (interleaved live, grouped when
re-judged), but each piece is judged by the very same function.

Stage: run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.checks import EXCHANGE_CHECKS, judge
from conformance.checks.context import CheckContext
from conformance.checks.flows import judge_step
from conformance.checks.status import Liveness
from conformance.inputs.manifest import Manifest, capability_result, lint
from conformance.ledger import ERROR, INTERRUPTED, Ledger, RuleResult, verdict
from conformance.model import Exchange, Finding
from conformance.plan import CAPABILITY, EXCHANGE_RULES, MANIFEST_RULES
from conformance.report.canonical import Baseline, RunReport

if TYPE_CHECKING:
    from conformance.phases.scenarios.session import Seen
    from conformance.redact import Redactor

PROVIDER_ALIVE = "robustness.provider-alive"


@dataclass(frozen=True)
class Verdicting:
    """What a run's verdict is held to beyond its rule results and --strict: the faces'
    --require-complete and --baseline, handed to judging rather than applied to its output."""

    require_complete: bool = False
    baseline: Baseline | None = None


@dataclass(frozen=True)
class RunFacts:
    """What a run's exchanges alone cannot tell the judges, as the run (or its HAR) says it.

    The first group decides the closing results (`Judging.close`), the second the verdict
    (`Judging.report`).
    """

    manifest: Manifest | None = None
    template_support: bool = False
    fuzzed: bool = True  # generated requests were sent (not --no-fuzz)
    provider_down: bool = False
    exchanges: int = 0  # how many the run recorded: 0 means nothing reached the provider
    fallback_reason: str | None = None  # why a rule saw no evidence, when nothing else says
    # rule id -> why a scenario could not gather its evidence (SKIPPED with that reason)
    not_gathered: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # how the run adapted (said in the report)

    strict: bool = False
    interrupted: bool = False
    error: str | None = None  # the run could not start or judge (a suite error, ...)
    require_complete: bool = False
    baseline: Baseline | None = None


def run_verdict(
    results: Iterable[RuleResult],
    *,
    strict: bool = False,
    interrupted: bool = False,
    error: str | None = None,
) -> str:
    """The verdict of a run: interrupted, else error, else from the rule results alone."""
    if interrupted:
        return INTERRUPTED
    if error is not None:
        return ERROR
    return verdict(results, strict=strict)


class Judging:
    """One run's judging, fed its evidence piece by piece; thread-safe as the ledger is."""

    def __init__(self, selected: frozenset[str], ctx: CheckContext | None = None) -> None:
        self.ledger = Ledger(selected=selected)
        self.ctx = ctx
        self.rules = [rule for rule in EXCHANGE_CHECKS if rule in selected]
        self.liveness = Liveness()

    @property
    def selected(self) -> frozenset[str]:
        return self.ledger.selected

    def manifest(self, manifest: Manifest) -> list[Finding]:
        """The manifest's own rules (all but the capability one, judged at `close`)."""
        findings = lint(manifest)
        self.ledger.record(findings, MANIFEST_RULES - {CAPABILITY})
        return findings

    def exchange(
        self,
        exchange: Exchange,
        ctx: CheckContext | None = None,
        recorded: list[Finding] | None = None,
    ) -> list[Finding]:
        """Judge one exchange by the single-exchange checks and the provider's liveness.

        `ctx` overrides the run's (a re-judge sets the clock to when the answer came);
        `recorded` are the findings the run judged on an exchange whose body the HAR cut,
        taken as they are. A re-sent request is judged against its finding (resend.py),
        not here. Returns the findings, for the HAR to attach to the exchange.
        """
        if exchange.context.get("resend"):
            return []
        seconds: dict[str, float] = {}
        if recorded is not None:
            found, checked = list(recorded), set()
        else:
            at = ctx if ctx is not None else self.ctx
            assert at is not None, "a Judging without a CheckContext judges no exchange"
            found, checked = judge(exchange, at, self.rules, seconds)
        found += self.liveness.observe(exchange)
        self.ledger.record(found, checked, seconds)
        return found

    def exchanges_done(self) -> None:
        """After every exchange: the first exchange of a provider that broke for good."""
        self.ledger.record(self.liveness.finish(), [])

    def conclude(self, step: str, evidence: Iterable[Exchange]) -> None:
        """One step's evidence through its judge (conformance.checks.flows.judge_step)."""
        self.ledger.apply(judge_step(step, list(evidence)))

    def close(self, facts: RunFacts, seen: Seen | None) -> None:
        """The closing results: what could not be gathered, what no exchange of the run
        applied to, whether the provider stayed up, and the capability rule from the data
        seen (`seen`, None when the run sent nothing)."""
        ledger = self.ledger
        for rule, reason in facts.not_gathered.items():
            ledger.skip(rule, reason)
        if facts.fallback_reason:
            ledger.fallback_reason = facts.fallback_reason
        ledger.notes.extend(facts.notes)
        if not facts.fuzzed:
            # judged on every exchange, but no scenario request of this run applied to it
            for rule in EXCHANGE_RULES & ledger.selected:
                ledger.skip(
                    rule, f"{ledger.fallback_reason}; generated requests were not sent (--no-fuzz)"
                )
        if not facts.provider_down and facts.exchanges and PROVIDER_ALIVE in ledger.selected:
            ledger.record([], [PROVIDER_ALIVE])
        if facts.manifest is not None:
            self.capability(facts, None if not facts.exchanges else seen)

    def capability(self, facts: RunFacts, seen: Seen | None) -> None:
        """manifest.capability-endpoints: the profile's template_support, and the data seen."""
        assert facts.manifest is not None
        result = capability_result(
            facts.manifest,
            template_support=facts.template_support,
            avatar_flags=None if seen is None else bool(seen.avatar_participants),
            link_expires=None if seen is None else bool(seen.expiring_messages),
        )
        self.ledger.apply({CAPABILITY: result})

    def report(
        self,
        facts: RunFacts,
        *,
        seed: int,
        meta: dict[str, Any],
        redactor: Redactor | None = None,
    ) -> RunReport:
        """The run's one report: rule results, and the verdict computed once from them."""
        results = self.ledger.results(strict=facts.strict)
        return RunReport(
            run_verdict(
                results, strict=facts.strict, interrupted=facts.interrupted, error=facts.error
            ),
            seed,
            results,
            list(self.ledger.findings),
            strict=facts.strict,
            meta=meta,
            error=facts.error,
            redactor=redactor,
            baseline=facts.baseline,
            require_complete=facts.require_complete,
        )
