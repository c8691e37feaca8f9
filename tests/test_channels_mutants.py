"""Prove the Channels API side: every faulty vendor app is caught by exactly its rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.ledger import FAILED, WARNING
from conformance.rules import RULES, Level
from tests.channel_faults import CHANNEL_FAULTS, ChannelFault
from tests.channels.helpers import channel_findings, vendor_run

# waits out the simulator's deadline for a status report, so it is handed out first
WAITS = {"vendor never reports the status of messages posted to it"}


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(f, id=f.name, marks=[pytest.mark.slow] if f.name in WAITS else [])
        for f in CHANNEL_FAULTS
    ],
)
def test_faulty_vendor_is_caught_by_exactly_its_rule(tmp_path: Path, fault: ChannelFault) -> None:
    report = vendor_run(tmp_path, fault.behaviour, manifest_edit=fault.manifest_edit)
    assert channel_findings(report) == {fault.rule}, [f.message for f in report.findings[:5]]
    status = {r.rule.id: r.status for r in report.results}[fault.rule]
    if RULES[fault.rule].level is Level.MUST:
        assert status == FAILED and report.exit_code == 1
    else:
        assert status == WARNING and report.exit_code == 0


def test_every_channels_rule_has_a_faulty_vendor() -> None:
    channels = {rule for rule in RULES if rule.startswith("channels.")}
    assert channels == {f.rule for f in CHANNEL_FAULTS}
    assert len({f.name for f in CHANNEL_FAULTS}) == len(CHANNEL_FAULTS)
