"""A reference provider, a simulator judging it, and (optionally) the reference as vendor."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from conformance.channels import Simulator, SimulatorOptions
from conformance.channels.twosided import settle
from conformance.reference.vendor import ReferenceVendor, VendorBehaviour
from conformance.report.canonical import RunReport
from conformance.runner import RunOptions, build_target
from tests.faults import provider

TOKEN = "channels-test-token-3f9a"


def add_token(profile: dict) -> None:
    profile["channels_api"] = {"token": TOKEN}


@contextlib.contextmanager
def simulated(
    tmp_path: Path,
    *,
    wrap=None,
    manifest_edit: Callable[[dict], None] | None = None,
    options: SimulatorOptions | None = None,
) -> Iterator[tuple[Simulator, object]]:
    """A started simulator calling back a (possibly wrapped) reference provider."""
    with provider(tmp_path, wrap, add_token, manifest_edit=manifest_edit) as (server, path):
        target = build_target(path, RunOptions(profile=path))
        with Simulator(target, options) as simulator:
            yield simulator, server


def vendor_run(
    tmp_path: Path,
    behaviour: VendorBehaviour | None = None,
    *,
    manifest_edit: Callable[[dict], None] | None = None,
) -> RunReport:
    """The reference as the vendor's app, through its whole script, judged by the simulator."""
    with simulated(tmp_path, manifest_edit=manifest_edit) as (simulator, server):
        state = server.app.extensions["reference_state"]
        vendor = ReferenceVendor(
            state, simulator.base_url, TOKEN, behaviour or VendorBehaviour()
        ).start()
        try:
            assert vendor.done.wait(60)
            settle(simulator, 10.0)
            time.sleep(0.05)
        finally:
            vendor.stop()
        return simulator.finish()


def channel_findings(report: RunReport) -> set[str]:
    return {f.rule for f in report.findings}
