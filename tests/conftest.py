"""Suite-wide test reporting: the mutation score of tests/test_mutants.py."""

from __future__ import annotations

import re


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    try:
        from conformance.rules import RULES
        from tests.faults import FAULTS
        from tests.test_mutants import CAUGHT
    except ImportError:
        return
    reports = terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
    names = [
        re.search(r"\[(.*)\]$", r.nodeid).group(1)
        for r in reports
        if "test_mutant_is_caught_by_its_rule[" in r.nodeid
    ]
    if not names:
        return
    targeted = {f.rule for f in FAULTS if f.name in names}
    caught = set(CAUGHT)
    terminalreporter.write_line(
        f"mutation score: {len(caught)}/{len(targeted)} targeted rules caught "
        f"({100.0 * len(caught) / len(targeted):.0f}%); {len(names)} mutants ran; "
        f"{len(targeted)} of {len(RULES)} catalogue rules targeted"
    )
