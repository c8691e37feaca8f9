"""`run --two-sided`: both directions of the integration in one report.

Without a profile the bundled reference plays both halves: the simulator serves Pipedrive's
Channels API, the reference (as the vendor's app) registers, delivers and deletes against it,
and then the usual manifest-side run certifies the same reference. With a profile the
simulator waits for the vendor's own app to register a channel, then the manifest-side run
goes ahead while the app keeps calling. Either way the manifest side is `runner.run`,
untouched; this module only starts things, waits, and merges the two ledgers' results.

Stage: channels.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from conformance.channels.simulator import Simulator, SimulatorOptions
from conformance.errors import ConformanceError
from conformance.events import Progress, Setup, ignore
from conformance.judging import Verdicting, run_verdict
from conformance.ledger import (
    FAILED,
    NOT_APPLICABLE,
    PASSED,
    SKIPPED,
    WARNING,
    RuleResult,
    rule_result,
)
from conformance.options import TWO_SIDED_WAIT
from conformance.report.canonical import RunReport
from conformance.runner import RunOptions, build_target
from conformance.runner import run as run_manifest_side

DEFAULT_PORT = 8099
VENDOR_SCRIPT_BUDGET = 60.0  # seconds the reference's vendor script may take, at most
STATUS_GRACE = 20.0  # seconds to wait for posted messages' statuses to come back


def run_two_sided(
    profile: str | Path | None = None,
    *,
    progress: Progress | None = None,
    wait: float = TWO_SIDED_WAIT,
    announce: Callable[[str], None] = lambda line: None,
    verdicting: Verdicting | None = None,
    **options: Any,
) -> RunReport:
    """Certify both directions; the options are those of `conformance.run`."""
    run_options = RunOptions(profile=profile, **options)
    emit = progress or ignore
    verdicting = verdicting or Verdicting()
    if profile is None:
        return _reference_both_ways(run_options, emit, verdicting)
    return _vendor_both_ways(run_options, emit, wait, announce, verdicting)


def _simulator_options(options: RunOptions, port: int = 0) -> SimulatorOptions:
    return SimulatorOptions(
        port=port, timeout=options.timeout, verify=options.verify, only=options.only
    )


def _reference_both_ways(options: RunOptions, emit: Progress, verdicting: Verdicting) -> RunReport:
    from conformance.reference import ReferenceServer
    from conformance.reference.vendor import ReferenceVendor

    token = secrets.token_urlsafe(24)
    with (
        tempfile.TemporaryDirectory(prefix="conformance-") as folder,
        ReferenceServer(port=0) as reference,
    ):
        profile = {**reference.profile(), "channels_api": {"token": token}}
        path = Path(folder) / "profile.yaml"
        path.write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
        emit(Setup("no --profile: the bundled reference plays both directions"))
        target = build_target(path, options)
        with Simulator(target, _simulator_options(options), emit) as simulator:
            emit(Setup(f"Channels API simulator at {simulator.base_url}"))
            vendor = ReferenceVendor(
                reference.app.extensions["reference_state"], simulator.base_url, token
            ).start()
            try:
                vendor.done.wait(VENDOR_SCRIPT_BUDGET)
                settle(simulator, STATUS_GRACE)
            finally:
                vendor.stop()
            channels = simulator.finish(strict=options.strict)
        manifest = run_manifest_side(replace(options, profile=path), emit)
    return merge(manifest, channels, strict=options.strict, verdicting=verdicting)


def _vendor_both_ways(
    options: RunOptions,
    emit: Progress,
    wait: float,
    announce: Callable[[str], None],
    verdicting: Verdicting,
) -> RunReport:
    assert options.profile is not None
    target = build_target(options.profile, options)
    channels_api = target.profile.channels_api
    port = channels_api.port if channels_api and channels_api.port else DEFAULT_PORT
    try:
        simulator = Simulator(target, _simulator_options(options, port), emit)
    except OSError as exc:
        raise ConformanceError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}",
            where="channels_api.port",
        ) from None
    with simulator:
        announce(f"Pipedrive Channels API simulator: {simulator.base_url}")
        announce(
            "Point your app's Pipedrive API base URL there and send the profile's "
            f"channels_api.token as 'Authorization: Bearer ...'; waiting {wait:g} s for addChannel"
        )
        deadline = time.monotonic() + wait
        while not simulator.registered():
            if time.monotonic() > deadline:
                # the run started (the simulator listened): its report says why it stopped
                return simulator.finish(
                    strict=options.strict,
                    error=f"no channel was registered (POST {simulator.base_url}/channels) "
                    f"within {wait:g} s (--wait)",
                    verdicting=verdicting,
                )
            time.sleep(0.2)
        manifest = run_manifest_side(options, emit)
        settle(simulator, STATUS_GRACE)
        channels = simulator.finish(strict=options.strict)
    return merge(manifest, channels, strict=options.strict, verdicting=verdicting)


def settle(simulator: Simulator, grace: float) -> None:
    """Wait for the callbacks, and for posted messages' statuses, within `grace` seconds."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        simulator.settle(max(0.1, deadline - time.monotonic()))
        with simulator.desk.lock:
            posted = list(simulator.desk.memory.posted)
        if all(simulator.desk.reported(message_id) for message_id in posted):
            return
        time.sleep(0.05)


# -- one report from two ---------------------------------------------------------------------
def merge_result(a: RuleResult, b: RuleResult) -> RuleResult:
    """One rule judged by two ledgers: failures and checks add up; evidence beats absence."""
    statuses = {a.status, b.status}
    if statuses & {FAILED, WARNING, PASSED}:
        return rule_result(a.rule, a.checked + b.checked, a.failures + b.failures, None)
    if SKIPPED in statuses:
        return a if a.status == SKIPPED else b
    return a if a.status == NOT_APPLICABLE else b


def merge(
    manifest: RunReport,
    channels: RunReport,
    *,
    strict: bool = False,
    verdicting: Verdicting | None = None,
) -> RunReport:
    """The manifest-side run's report, with the Channels API side's results folded in."""
    by_rule = {r.rule.id: r for r in channels.results}
    results = [merge_result(r, by_rule[r.rule.id]) for r in manifest.results]
    side = channels.meta
    meta = {
        **manifest.meta,
        "requests": int(manifest.meta.get("requests", 0)) + int(side.get("requests", 0)),
        "duration_s": round(
            float(manifest.meta.get("duration_s", 0)) + float(side.get("duration_s", 0)), 3
        ),
        "suite_errors": list(manifest.meta.get("suite_errors", []))
        + list(side.get("suite_errors", [])),
        "channels": side.get("channels", {}),
    }
    verdicting = verdicting or Verdicting()
    return RunReport(
        run_verdict(results, strict=strict, error=manifest.error),
        manifest.seed,
        results,
        list(manifest.findings) + list(channels.findings),
        strict=strict,
        meta=meta,
        error=manifest.error,
        baseline=verdicting.baseline,
        require_complete=verdicting.require_complete,
    )
