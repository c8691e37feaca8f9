"""One run: build the target, walk the phases, judge every exchange, compute the verdict.

Data flows one way: profile + manifest + spec -> target -> plan -> steps -> exchanges ->
checks -> judging -> report. Every face (CLI, API) calls `run`; nothing else orchestrates a run.

Stage: run.
"""

from __future__ import annotations

import contextlib
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance import events
from conformance.checks.context import CheckContext
from conformance.checks.evidence import error_code
from conformance.errors import ConformanceError
from conformance.events import Progress
from conformance.http.auth import redactor_for
from conformance.http.client import ProviderClient
from conformance.http.fetch import load_manifest
from conformance.http.policy import ClientPolicy
from conformance.http.recorder import Recorder
from conformance.inputs.profile import load_profile
from conformance.inputs.spec import load_spec
from conformance.inputs.target import Target, target_from
from conformance.judging import Judging, RunFacts, Verdicting
from conformance.model import Exchange
from conformance.options import (
    BODY_CAP,
    MAX_EXAMPLES,
    RETRY_BUDGET,
    RETRY_CAP,
    TIMEOUT,
    WORKERS,
    record,
)
from conformance.phases import resend
from conformance.phases.scenarios.session import Session
from conformance.plan import Plan, make_plan, write_lines
from conformance.redact import Redactor
from conformance.report.canonical import RunReport
from conformance.report.har import HarWriter, run_inputs
from conformance.rules import select


@dataclass(frozen=True)
class RunOptions:
    """A run's inputs: the fields of the option table (conformance/options.py), which also
    holds their defaults, help and the faces that carry them (tests/faces/test_options.py)."""

    profile: str | Path | None = None
    seed: int | None = None
    max_examples: int = MAX_EXAMPLES
    strict: bool = False
    timeout: float = TIMEOUT
    rate: float | None = None
    spec: str | Path | None = None
    only: list[str] | None = None
    workers: int = WORKERS
    fuzz: bool = True
    retry_cap: float = RETRY_CAP
    body_cap: int = BODY_CAP
    retry_budget: float = RETRY_BUDGET
    verify: bool | str = True  # False with --insecure, a path with --ca-bundle
    har: str | Path | None = None  # record every exchange here (har.py)
    resend: bool = True  # re-send GETs with MUST findings at the end (resend.py)


def build_target(profile_path: str | Path, options: RunOptions) -> Target:
    """Read the inputs (the profile file, the manifest through the HTTP stage's fetch, the
    spec) and bind them (inputs/target.py)."""
    profile = load_profile(profile_path)
    spec = load_spec(options.spec)
    manifest = load_manifest(profile.manifest, timeout=options.timeout, verify=options.verify)
    return target_from(profile, manifest, spec)


@contextlib.contextmanager
def embedded_reference() -> Iterator[Path]:
    """The bundled reference provider on a free loopback port, with a ready profile."""
    from conformance.reference import ReferenceServer

    with (
        tempfile.TemporaryDirectory(prefix="conformance-") as folder,
        ReferenceServer(port=0) as server,
    ):
        yield server.write_profile(Path(folder) / "profile.yaml")


def run(
    options: RunOptions, progress: Progress | None = None, verdicting: Verdicting | None = None
) -> RunReport:
    """Certify the provider the options name (or the bundled reference); never raises for
    provider behaviour, only `ConformanceError` for input that stops the run from starting.
    `verdicting` adds what the verdict is held to beyond the options (--require-complete,
    --baseline)."""
    emit = progress or events.ignore
    selected = selected_rules(options.only)
    if options.profile is None:
        with embedded_reference() as profile_path:
            emit(events.Setup("no --profile: certifying the bundled reference provider"))
            target = build_target(profile_path, options)
            return _run(target, options, selected, emit, verdicting)
    return _run(build_target(options.profile, options), options, selected, emit, verdicting)


def selected_rules(only: list[str] | None) -> frozenset[str]:
    """The rules `--only` selects; a pattern that selects nothing is the user's mistake."""
    selected = frozenset(r.id for r in select(only))
    if not selected:
        patterns = ", ".join(repr(p) for p in only or [])
        raise ConformanceError(
            f"--only {patterns} matches no rule; `messaging-conformance rules` lists them"
        )
    return selected


def plan_for(
    target: Target, options: RunOptions, selected: frozenset[str], emit: Progress | None = None
) -> Plan:
    """The run's plan; fuzzing is sized when its step starts (it depends on the pace)."""
    return make_plan(
        target.profile,
        target.manifest,
        selected,
        fuzz=(lambda session, posts: _fuzz(target, options, session, posts, emit))
        if options.fuzz
        else None,
    )


def preflight_problem(exchange: Exchange | None, channel: str) -> str | None:
    """Why the run cannot start, judged from one authenticated getConversations on `channel`.

    Wrong credentials or a wrong channel are the vendor's own mistakes: one line and exit 2,
    never a list of provider failures. Anything else (even a 5xx) lets the run judge it.
    """
    if exchange is None:
        return "getConversations is not callable"
    if exchange.response is None:
        why = exchange.error or "no answer"
        if "SSLError" in why:
            hint = "use --ca-bundle FILE, or --insecure"
        elif why.startswith("timeout"):
            hint = "is it overloaded? raise --timeout"
        else:
            hint = "is the provider running, and are the manifest's host and port right?"
        where = urlsplit(exchange.request.url)
        return f"provider unreachable at {where.scheme}://{where.netloc}: {why} ({hint})"
    status, code = exchange.response.status, error_code(exchange)
    if status == 401 and code == "ACCOUNT_SUSPENDED":
        return (
            f"the account of channel {channel!r} is suspended (401 ACCOUNT_SUSPENDED): "
            "check `channel`"
        )
    if status == 401:
        return "credentials rejected by the provider: check credentials.client_id / client_secret"
    if status == 404:
        return f"channel {channel!r} not found: check `channel`"
    if status == 403:
        return f"channel {channel!r} belongs to another account (403): check `channel`"
    return None


def _run(
    target: Target,
    options: RunOptions,
    selected: frozenset[str],
    emit: Progress,
    verdicting: Verdicting | None = None,
) -> RunReport:
    verdicting = verdicting or Verdicting()
    redactor = redactor_for(target.profile.credentials)
    emit = redactor.progress(emit)  # the last guard: no secret reaches a progress line
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**32)
    profile, manifest = target.profile, target.manifest
    ctx = CheckContext(spec=target.spec, timeout=options.timeout, body_cap=options.body_cap)
    judging = Judging(selected, ctx)
    ledger = judging.ledger
    ledger.listeners.append(lambda finding: emit(events.Finding(finding.rule)))
    started = datetime.now(UTC)
    clock = time.monotonic()
    plan = plan_for(target, options, selected, emit)
    meta = dict(target.meta)
    meta["started_at"] = started.isoformat(timespec="seconds").replace("+00:00", "Z")
    meta["plan"] = {
        "steps": [step.name for step in plan.steps],
        "writes": [w.line(manifest) for w in plan.writes],
    }
    phases: dict[str, float] = {}
    phase_requests: dict[str, int] = {}
    meta["phase_requests"] = phase_requests
    suite_errors: list[str] = []
    meta["suite_errors"] = suite_errors
    meta["warnings"] = run_warnings(options)
    for warning in meta["warnings"]:
        emit(events.RunWarning(warning))

    findings = judging.manifest(manifest)
    emit(events.ManifestBound(len(manifest.endpoints), len(findings)))
    for line in write_lines(plan, manifest):
        emit(events.PlanLine(line.strip()))
    har = HarWriter(options.har, redactor) if options.har else None
    facts = _facts(target, options, verdicting)
    if not plan.sends_requests:
        judging.capability(facts, None)
        report = _finish(judging, facts, options, seed, meta, phases, clock, 0, redactor)
        return _close_har(har, report, target, options, judging, None)

    recorder = Recorder()
    policy = ClientPolicy(
        timeout=options.timeout,
        body_cap=options.body_cap,
        retry_cap=options.retry_cap,
        retry_budget=options.retry_budget,
        verify=options.verify,
        rate=options.rate,
        post_channel=profile.channel,
        post_conversation=profile.sandbox.conversation if profile.sandbox else None,
        delete_channel=profile.disposable_channel,
    )
    client = ProviderClient(manifest, profile.credentials, policy, recorder)
    client.on_wait = lambda seconds, why: emit(events.Wait(seconds, why))
    session = Session(client, profile, random.Random(seed), workers=options.workers)

    def judge_exchange(exchange: Exchange) -> None:
        found = judging.exchange(exchange)
        if har is not None and not exchange.context.get("resend"):
            har.note(exchange, found)

    recorder.listeners += [
        judge_exchange,
        session.seen.observe,
        lambda exchange: emit(request_event(exchange)),
    ]
    if har is not None:
        recorder.listeners.append(har.add)
        recorder.conclusion_listeners.append(har.conclude)
    recorder.conclusion_listeners.append(judging.conclude)
    error = interrupted = None
    try:
        problem = preflight_problem(session.call("getConversations", "reads"), profile.channel)
        if problem is not None:
            facts = replace(facts, error=problem)
            report = _finish(
                judging, facts, options, seed, meta, phases, clock, recorder.count, redactor
            )
            return _close_har(har, report, target, options, judging, client)
        for step in plan.steps:
            if client.down is not None:
                break
            interrupted = step.name
            began, before = time.monotonic(), recorder.count
            emit(events.StepStarted(step.phase, step.name))
            try:
                step.action(session)
            except Exception as exc:  # noqa: BLE001 - a suite bug must not lose the report
                note = f"{step.name}: {type(exc).__name__}: {str(exc)[:200]}"
                suite_errors.append(note)
                emit(events.SuiteError(note))
            phases[step.name] = round(time.monotonic() - began, 3)
            phase_requests[step.name] = recorder.count - before
            emit(events.StepFinished(step.phase, step.name, phase_requests[step.name]))
        interrupted = None
        if options.resend and client.down is None:
            emit(
                events.StepStarted(
                    resend.PHASE, "GETs with MUST findings, once (noise or regression?)"
                )
            )
            before = recorder.count
            resend.recheck(ledger.findings, resend.client_sender(client), ctx)
            if recorder.count > before:
                phase_requests[resend.PHASE] = recorder.count - before
    except KeyboardInterrupt:
        meta["interrupted_during"] = interrupted
        meta["steps_not_run"] = [s.name for s in plan.steps if s.name not in phases]
    finally:
        client.close()
    judging.exchanges_done()  # after every worker's last exchange: the first to break
    if suite_errors:
        error = "suite error (a bug in messaging-conformance; please report it): " + "; ".join(
            suite_errors
        )
    facts = replace(
        facts,
        provider_down=client.down is not None,
        exchanges=recorder.count,
        fallback_reason=_unexercised_reason(client),
        not_gathered=dict(session.not_gathered),
        notes=tuple(session.adapted),
        interrupted="interrupted_during" in meta,
        error=error,
    )
    judging.close(facts, session.seen)  # the HAR attaches a dead provider's finding on close
    meta.update(session.notes)
    report = _finish(judging, facts, options, seed, meta, phases, clock, recorder.count, redactor)
    return _close_har(har, report, target, options, judging, client)


def _facts(target: Target, options: RunOptions, verdicting: Verdicting) -> RunFacts:
    """The facts judging needs that are known before the first request."""
    return RunFacts(
        manifest=target.manifest,
        template_support=target.profile.template_support,
        fuzzed=options.fuzz,
        strict=options.strict,
        require_complete=verdicting.require_complete,
        baseline=verdicting.baseline,
    )


def _close_har(
    har: HarWriter | None,
    report: RunReport,
    target: Target,
    options: RunOptions,
    judging: Judging,
    client: ProviderClient | None,
) -> RunReport:
    """Every way out of a run ends the HAR with the run's inputs and final verdict."""
    if har is not None:
        har.close(run_inputs(target, options, report, judging.ledger, client), report.findings)
    return report


def run_warnings(options: RunOptions) -> list[str]:
    """What a reader of the report must know about how this run was made."""
    warnings = []
    if options.verify is False:
        warnings.append("TLS certificates were not verified (--insecure)")
    if options.only:
        warnings.append(f"only rules matching {', '.join(options.only)} were judged (--only)")
    if not options.fuzz:
        warnings.append("no generated requests were sent (--no-fuzz)")
    return warnings


def _unexercised_reason(client: ProviderClient) -> str:
    reasons = []
    if client.down is not None:
        reasons.append("the provider stopped accepting connections (provider down)")
    reasons += sorted(client.abandoned.values())
    return "not exercised: " + "; ".join(reasons) if reasons else "not exercised by this run"


def _fuzz(
    target: Target,
    options: RunOptions,
    session: Session,
    posts: bool,
    emit: Progress | None = None,
) -> None:
    from conformance.phases.fuzzing import FuzzOptions, fuzz, fuzz_progress

    examples, why = fuzz_budget(options.max_examples, session.client.pace)
    if why:
        session.adapted.append(why)
    fuzz_options = FuzzOptions(
        max_examples=examples, seed=session.rng.randrange(2**31), posts=posts
    )
    progress = fuzz_progress(session, target.bound, fuzz_options, emit)
    fuzz(session, target.bound, fuzz_options, progress)


# A slow provider gets fewer generated cases: about this many seconds of fuzzing at its pace.
FUZZ_SECONDS = 60.0


def fuzz_budget(max_examples: int, pace: float | None) -> tuple[int, str | None]:
    """Generated cases per operation and mode, and why they were reduced (None if not).

    `pace` is the request rate the client settled on after the provider's 429s (None when
    it never had to slow down). Scenarios buy more coverage per request than fuzzing, so a
    provider that admits few requests per second spends its budget on them.
    """
    if pace is None:
        return max_examples, None
    affordable = max(5, int(pace * FUZZ_SECONDS / 12))
    if affordable >= max_examples:
        return max_examples, None
    return affordable, (
        f"the provider admits about {pace:.1f} requests/s: generated cases reduced from "
        f"{max_examples} to {affordable} per operation and mode"
    )


def request_event(exchange: Exchange) -> events.Request:
    """The event of one request (-v shows it): method, URL, status (or error) and latency."""
    request, response = exchange.request, exchange.response
    if response is not None:
        return events.Request(request.method, request.url, response.status, response.elapsed)
    return events.Request(request.method, request.url, error=str(exchange.error))


def _finish(
    judging: Judging,
    facts: RunFacts,
    options: RunOptions,
    seed: int,
    meta: dict[str, Any],
    phases: dict[str, float],
    clock: float,
    requests: int,
    redactor: Redactor,
) -> RunReport:
    ledger = judging.ledger
    meta = {
        **meta,
        "duration_s": round(time.monotonic() - clock, 3),
        "requests": requests,
        "first_finding_s": None
        if ledger.first_finding_at is None
        else round(ledger.first_finding_at - clock, 3),
        "phases": phases,
        "notes": list(ledger.notes),
        "rule_seconds": {rule: round(spent, 6) for rule, spent in sorted(ledger.seconds.items())},
        "options": record(options, "report"),
    }
    return judging.report(facts, seed=seed, meta=meta, redactor=redactor)
