"""The progress events a real run emits, which the console renders (see test_render.py)."""

from __future__ import annotations

import re

import conformance
from conformance.reference import ReferenceConfig
from tests.faults import FAULTS, provider


def test_a_run_emits_findings_fuzz_totals_and_request_latency(tmp_path) -> None:
    events: list[tuple[str, str]] = []
    wrap = next(f for f in FAULTS if f.rule == "response.content-type").wrap
    with provider(tmp_path, wrap, None, ReferenceConfig(rate_limit=None)) as (_, profile):
        report = conformance.run(
            profile, seed=3, max_examples=2, progress=lambda p, m: events.append((p, m))
        )
    findings = [m for p, m in events if p == "finding"]
    assert len(findings) == len(report.findings) and "response.content-type" in findings
    fuzz = [m.split()[0].split("/") for p, m in events if p == "fuzz-progress"]
    done, total = [int(d) for d, _ in fuzz], {int(t) for _, t in fuzz}
    assert len(total) == 1 and total.pop() % (2 * 2) == 0  # operations x modes x examples
    assert done[0] == 0 and done == sorted(done) and done[-1] == int(fuzz[-1][1])
    requests = [m for p, m in events if p == "request"]
    assert requests
    assert any(re.search(r" -> 200 in \d+ ms$", m) for m in requests)
