"""Pipedrive retired the Channels API on 2026-02-01: every place a vendor reads about the
two-sided mode says so, with the dates, and that it certifies the last published contract."""

from __future__ import annotations

from pathlib import Path

from conformance.channels.simulator import RETIRED, SPEC_VERSION
from tests.channels.helpers import simulated
from tests.channels.test_readme import section
from tests.commands import cli

OPERATIONS = [
    "POST /v1/channels",
    "POST /v1/channels/messages/receive",
    "DELETE /v1/channels/{id}",
    "DELETE /v1/channels/{channel-id}/conversations/{conversation-id}",
]


def test_the_retirement_facts() -> None:
    assert (RETIRED["announced"], RETIRED["removed"]) == ("2025-11-14", "2026-02-01")
    assert RETIRED["operations"] == OPERATIONS
    assert "Breaking change: Deprecation of Channels API" in RETIRED["notice"]
    assert "last published contract" in SPEC_VERSION and "2026-02-01" in SPEC_VERSION
    assert "still documented" not in SPEC_VERSION


def test_readme_both_directions_says_the_api_is_retired() -> None:
    text = " ".join(section().split())
    assert "Breaking change: Deprecation of Channels API" in text
    assert "announced 2025-11-14" in text and "on 2026-02-01" in text
    assert all(f"`{operation}`" in text for operation in OPERATIONS)
    assert "certifies against the last published contract of that API" in text
    assert "remain the documented way in" not in text


def test_simulate_pipedrive_help_says_so() -> None:
    result = cli("simulate-pipedrive", "--help", timeout=60)
    text = " ".join(result.stdout.split())
    assert result.returncode == 0
    assert "retired the Channels API (announced 2025-11-14" in text
    assert "removed on 2026-02-01" in text and "last published contract" in text


def test_the_reports_channels_block_names_the_retirement(tmp_path: Path) -> None:
    with simulated(tmp_path) as (simulator, _):
        block = simulator.finish(settle=0).to_dict()["channels"]
    assert block["spec"] == SPEC_VERSION
    assert block["retired"] == RETIRED
