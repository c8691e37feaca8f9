"""Suite-wide test fixtures and reporting: the shared mutant runs, the mutation score."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest


@pytest.fixture(scope="session")
def mutant_run(tmp_path_factory: pytest.TempPathFactory) -> Callable:
    """`mutant_run(fault)`: the one run of that mutant in this process (tests/mutant_runs.py)."""
    from tests.mutant_runs import cache

    return cache(tmp_path_factory)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` (over ~20 s, mostly waiting) are handed out first: pytest-xdist
    gives work in collection order, and a long test started last would end the run alone.
    Only the schedule changes: no test depends on another's order."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """The mutation score, from the reports of test_mutant_is_caught_by_its_rule: a mutant
    whose test passed was caught by its rule. Computed from the reports (not from state the
    test left behind) so it is right under pytest-xdist, whose controller runs no test."""
    try:
        from conformance.rules import RULES
        from tests.faults import FAULTS
    except ImportError:
        return
    reports = terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
    outcomes = {
        re.search(r"\[(.*)\](?:@[^\]]*)?$", r.nodeid).group(1): r.passed
        for r in reports
        if "test_mutant_is_caught_by_its_rule[" in r.nodeid and r.when == "call"
    }
    if not outcomes:
        return
    targeted = {f.rule for f in FAULTS if f.name in outcomes}
    caught = {f.rule for f in FAULTS if outcomes.get(f.name)}
    terminalreporter.write_line(
        f"mutation score: {len(caught)}/{len(targeted)} targeted rules caught "
        f"({100.0 * len(caught) / len(targeted):.0f}%); {len(outcomes)} mutants ran; "
        f"{len(targeted)} of {len(RULES)} catalogue rules targeted"
    )
