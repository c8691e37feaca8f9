"""Path ids with reserved characters are percent-encoded exactly once, in every phase.

A WhatsApp-style id (`wa-main:...@s.whatsapp.net`) once went out of fuzzing as `%253A`/`%2540`:
the provider was asked for an id that does not exist, and its right 404 was reported. Here
the reference holds ids with `:`, `@`, `+`, `=`, spaces and non-ASCII, and the suite must ask
for exactly those ids (werkzeug's RAW_URI is what arrived on the wire).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from conformance.reference import state as reference_state
from conformance.runner import RunOptions, run
from tests.faults import path, provider

ODD = "wa-main:{} +=é@s.whatsapp.net"
_IDS = re.compile(r'"((?:conv|contact)-\d{3}|msg-\d{3}-\d{3})"')

FUZZ_OR_NOT = [
    pytest.param(False, id="scenarios"),
    pytest.param(True, id="fuzzing", marks=pytest.mark.slow),
]


def odd_channels(conversations: int = 48) -> dict:
    """The reference's data with every conversation, contact and message id made odd."""
    data = json.dumps(ORIGINAL(conversations))
    return json.loads(_IDS.sub(lambda m: json.dumps(ODD.format(m.group(1))), data))


ORIGINAL = reference_state.build_channels


class Wire:
    """Records the raw request target of every request (as sent, before any decoding)."""

    def __init__(self) -> None:
        self.targets: list[str] = []

    def __call__(self, app):
        def middleware(environ, start_response):
            if not path(environ).endswith("/manifest.json"):
                self.targets.append(environ.get("RAW_URI") or environ["REQUEST_URI"])
            return app(environ, start_response)

        return middleware


def sandbox(profile: dict) -> None:
    profile.pop("rate_limit_probe", None)
    profile["sandbox"]["conversation"] = ODD.format("conv-003")
    profile["sandbox"]["recipient"] = ODD.format("contact-003")


@pytest.mark.parametrize("fuzz", FUZZ_OR_NOT)
def test_odd_ids_are_encoded_once_and_a_conformant_provider_gets_no_finding(
    tmp_path: Path, monkeypatch, fuzz: bool
) -> None:
    monkeypatch.setattr(reference_state, "build_channels", odd_channels)
    wire = Wire()
    with provider(tmp_path, wire, sandbox) as (_, profile):
        report = run(RunOptions(profile=profile, seed=3, fuzz=fuzz, max_examples=10))
    assert report.findings == [], [f.message for f in report.findings[:5]]
    once = quote(ODD.format("conv-001"), safe="")
    paths = [target.split("?")[0] for target in wire.targets]
    assert any(once in p for p in paths)  # the odd ids were really asked for
    assert not [p for p in paths if "%25" in p]  # and never encoded twice
    phases = {e for e in report.meta["phase_requests"] if report.meta["phase_requests"][e]}
    assert ("generated requests" in phases) is fuzz


def empty_main_channel(conversations: int = 48) -> dict:
    channels = ORIGINAL(conversations)
    channels["ref-main"]["conversations"] = []
    return channels


def no_sandbox(profile: dict) -> None:
    profile.pop("rate_limit_probe", None)
    profile.pop("sandbox")  # the channel has no conversation to post into


@pytest.mark.parametrize("fuzz", FUZZ_OR_NOT)
def test_a_conformant_provider_with_an_empty_channel_gets_no_finding(
    tmp_path: Path, monkeypatch, fuzz: bool
) -> None:
    """Invalid-input probes need a real conversation: a made-up one's 404 is the right answer."""
    monkeypatch.setattr(reference_state, "build_channels", empty_main_channel)
    with provider(tmp_path, None, no_sandbox) as (_, profile):
        report = run(RunOptions(profile=profile, seed=3, fuzz=fuzz, max_examples=10))
    assert report.findings == [], [f.message for f in report.findings[:5]]
    result = next(r for r in report.results if r.rule.id == "robustness.invalid-input")
    assert result.status == "passed" and result.checked > 0  # judged on the channel's list
