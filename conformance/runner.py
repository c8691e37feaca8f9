"""One run: build the target, walk the phases, judge every exchange, compute the verdict.

Data flows one way: profile + manifest + spec -> client -> phases -> exchanges -> checks ->
ledger -> report. Every face (CLI, API) calls `run`; nothing else orchestrates a run.
"""

from __future__ import annotations

import contextlib
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance.checks import EXCHANGE_CHECKS, judge
from conformance.checks.context import CheckContext
from conformance.client import ClientPolicy, ProviderClient, Recorder
from conformance.errors import ConformanceError
from conformance.ledger import Ledger, verdict
from conformance.manifest import Manifest, capability_findings, lint, load_manifest
from conformance.model import Exchange
from conformance.profile import Profile, load_profile
from conformance.report import RunReport
from conformance.rules import select
from conformance.scenarios import access, consistency, load, pagination, writes
from conformance.scenarios.session import Session
from conformance.spec import Spec, bind, load_spec

MANIFEST_RULES = (
    "manifest.schema",
    "manifest.required-endpoints",
    "manifest.url-variables",
    "manifest.https",
    "manifest.unknown-endpoint",
)
Progress = Callable[[str, str], None]


@dataclass(frozen=True)
class RunOptions:
    profile: str | Path | None = None
    seed: int | None = None
    max_examples: int = 25
    strict: bool = False
    timeout: float = 10.0
    rate: float | None = None
    spec: str | Path | None = None
    only: list[str] | None = None
    workers: int = 2
    fuzz: bool = True
    retry_cap: float = 30.0
    body_cap: int = 10 * 1024 * 1024
    retry_budget: float = 60.0
    verify: bool | str = True  # False with --insecure, a path with --ca-bundle


@dataclass
class Target:
    """The provider as the suite sees it, validated before any request is sent."""

    profile: Profile
    manifest: Manifest
    spec: Spec
    meta: dict[str, Any] = field(default_factory=dict)


def build_target(profile_path: str | Path, options: RunOptions) -> Target:
    profile = load_profile(profile_path)
    spec = load_spec(options.spec)
    manifest = load_manifest(profile.manifest, timeout=options.timeout, verify=options.verify)
    if not manifest.endpoints:
        problems = "; ".join(f.message for f in lint(manifest)) or "no usable endpoints"
        raise ConformanceError(f"manifest cannot be bound: {problems}", where=manifest.source)
    bind(spec, {op: e.template for op, e in manifest.endpoints.items()})
    meta = {
        "profile": profile.redacted(),
        "spec": {"path": str(spec.path), "sha256": spec.digest},
        "manifest": {"source": manifest.source, "sha256": manifest.digest},
    }
    return Target(profile, manifest, spec, meta)


@contextlib.contextmanager
def embedded_reference() -> Iterator[Path]:
    """The bundled reference provider on a free loopback port, with a ready profile."""
    from conformance.reference import ReferenceServer

    with (
        tempfile.TemporaryDirectory(prefix="conformance-") as folder,
        ReferenceServer(port=0) as server,
    ):
        yield server.write_profile(Path(folder) / "profile.yaml")


def run(options: RunOptions, progress: Progress | None = None) -> RunReport:
    """Certify the provider the options name (or the bundled reference); never raises for
    provider behaviour, only `ConformanceError` for input that stops the run from starting."""
    emit = progress or (lambda phase, message: None)
    if options.profile is None:
        with embedded_reference() as profile_path:
            emit("setup", "no --profile: certifying the bundled reference provider")
            return _run(build_target(profile_path, options), options, emit)
    return _run(build_target(options.profile, options), options, emit)


def _run(target: Target, options: RunOptions, emit: Progress) -> RunReport:
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**32)
    selected = frozenset(r.id for r in select(options.only))
    ledger = Ledger(selected=selected)
    started = datetime.now(UTC)
    clock = time.monotonic()
    for warning in target.profile.warnings:
        emit("setup", f"warning: {warning}")

    findings = lint(target.manifest)
    ledger.record(findings, MANIFEST_RULES)
    emit(
        "manifest", f"{len(target.manifest.endpoints)} endpoints bound, {len(findings)} finding(s)"
    )

    ctx = CheckContext(spec=target.spec, timeout=options.timeout)
    rules = [rule for rule in EXCHANGE_CHECKS if rule in selected]
    recorder = Recorder()

    def judge_exchange(exchange: Exchange) -> None:
        seconds: dict[str, float] = {}
        found, checked = judge(exchange, ctx, rules, seconds)
        ledger.record(found, checked, seconds)

    recorder.listeners.append(judge_exchange)
    recorder.listeners.append(lambda exchange: emit("request", _describe_request(exchange)))
    profile = target.profile
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
    client = ProviderClient(target.manifest, profile.credentials, policy, recorder)
    session = Session(client, profile, ledger, random.Random(seed), workers=options.workers)
    meta = dict(target.meta)
    meta["started_at"] = started.isoformat(timespec="seconds").replace("+00:00", "Z")
    phases: dict[str, float] = {}
    phase_requests: dict[str, int] = {}
    meta["phase_requests"] = phase_requests
    suite_errors: list[str] = []
    meta["suite_errors"] = suite_errors
    try:
        first = session.call("getConversations", "setup")
        if first is None or first.response is None:
            why = first.error if first is not None else "getConversations not callable"
            if why and "SSLError" in why:
                why += " (use --ca-bundle FILE, or --insecure)"
            return _finish(
                ledger,
                options,
                seed,
                meta,
                phases,
                clock,
                recorder,
                target,
                session,
                error=f"provider unreachable: {why}",
            )
        for name, step in _plan(target, options, session):
            began = time.monotonic()
            before = recorder.count
            emit("step", name.replace(":", ": "))
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - a suite bug must not lose the report
                note = f"{name}: {type(exc).__name__}: {str(exc)[:200]}"
                suite_errors.append(note)
                emit("error", f"suite error in {note} (rules it would judge stay unexercised)")
            phases[name] = round(time.monotonic() - began, 3)
            phase_requests[name] = recorder.count - before
            emit(name.split(":")[0], f"{name.split(':')[-1]}: {phase_requests[name]} requests")
    finally:
        client.close()
    return _finish(ledger, options, seed, meta, phases, clock, recorder, target, session)


def _describe_request(exchange: Exchange) -> str:
    """One line per request for -v: method, URL and what came back."""
    outcome = exchange.response.status if exchange.response is not None else exchange.error
    return f"{exchange.request.method} {exchange.request.url[:160]} -> {outcome}"


def _plan(
    target: Target, options: RunOptions, session: Session
) -> list[tuple[str, Callable[[], None]]]:
    from conformance.fuzzing import FuzzOptions, fuzz

    steps: list[tuple[str, Callable[[], None]]] = [
        ("scenarios:conversation walks", lambda: pagination.conversations(session)),
        ("scenarios:message walks", lambda: pagination.messages(session)),
        (
            "scenarios:consistency",
            lambda: (
                consistency.conversations(session),
                consistency.senders(session),
                consistency.messages(session),
                consistency.templates(session),
            ),
        ),
        ("scenarios:unknown ids", lambda: access.unknown_ids(session)),
        ("scenarios:auth", lambda: access.auth(session)),
        ("scenarios:fixtures", lambda: access.fixtures(session)),
        ("scenarios:invalid input", lambda: load.invalid_input(session)),
        ("scenarios:posts", lambda: writes.post(session)),
    ]
    if options.fuzz:
        fuzz_options = FuzzOptions(
            max_examples=options.max_examples, seed=session.rng.randrange(2**31)
        )
        steps.append(
            ("fuzzing:generated requests", lambda: fuzz(session, target.spec, fuzz_options))
        )
    steps += [
        ("scenarios:rate-limit probe", lambda: load.rate_limit_probe(session)),
        ("scenarios:delete", lambda: writes.delete(session)),
    ]
    return steps


def _finish(
    ledger: Ledger,
    options: RunOptions,
    seed: int,
    meta: dict[str, Any],
    phases: dict[str, float],
    clock: float,
    recorder: Recorder,
    target: Target,
    session: Session,
    error: str | None = None,
) -> RunReport:
    if error is None:
        seen = session.seen
        ledger.record(
            capability_findings(
                target.manifest,
                avatar_flags=bool(seen.avatar_participants),
                templates=seen.templates,
                link_expires=bool(seen.expiring_messages),
            ),
            ["manifest.capability-endpoints"],
        )
    results = ledger.results(strict=options.strict)
    meta = {
        **meta,
        "duration_s": round(time.monotonic() - clock, 3),
        "requests": recorder.count,
        "first_finding_s": None
        if ledger.first_finding_at is None
        else round(ledger.first_finding_at - clock, 3),
        "phases": phases,
        "rule_seconds": {rule: round(spent, 6) for rule, spent in sorted(ledger.seconds.items())},
        "options": {
            "max_examples": options.max_examples,
            "timeout": options.timeout,
            "rate": options.rate,
            "only": options.only,
            "workers": options.workers,
            "fuzz": options.fuzz,
        },
    }
    report = RunReport(
        verdict(results, strict=options.strict),
        seed,
        results,
        list(ledger.findings),
        strict=options.strict,
        meta=meta,
        error=error,
    )
    if error is not None:
        report.verdict = "error"
    return report
