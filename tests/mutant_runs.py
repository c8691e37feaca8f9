"""One run per mutant, shared by every test that judges it (the `mutant_run` fixture).

A mutant run is the expensive part of the suite's own tests: the mutant table
(tests/test_mutants.py), `--strict` (derived from the same rule results), rejudging the
run's HAR (tests/test_nightly.py) all look at the same run of the same mutant with every
rule selected. `mutant_run(fault)` runs it the first time a test asks (recording a HAR) and
hands the same `MutantRun` to every later test in the process; a mutant added to
tests/faults.py is covered without further code. Under pytest-xdist the tests of one mutant
share an `xdist_group` (see `mutant_group`), so they meet in the same worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.reference import ReferenceConfig
from conformance.report.canonical import RunReport
from conformance.runner import RunOptions, run
from tests.faults import Fault, provider

SEED = 3


@dataclass(frozen=True)
class MutantRun:
    report: RunReport
    har: Path  # every exchange of the run, for rejudge


def needs_429(fault: Fault) -> bool:
    """Only the retry_by mutants need the provider's rate limit (and the burst probe)."""
    return fault.rule.startswith("error.retry-by")


def quick(profile: dict) -> None:
    """Most mutants need no burst probe; retry_by ones keep it to meet 429s."""
    profile.pop("rate_limit_probe", None)


def run_fault(folder: Path, fault: Fault, strict: bool = False) -> MutantRun:
    """`fault` certified with every rule selected, at the mutant seed.

    The reference's own rate limit (50 requests/s) is off unless the mutant breaks a retry_by
    rule: with it, about 40% of a run is spent waiting out 429s that judge nothing the
    mutant is about (which requests meet them depends on timing, not on the mutant).
    """
    limited = needs_429(fault)

    def edit(profile: dict) -> None:
        if not limited:
            quick(profile)
        if fault.profile_edit:
            fault.profile_edit(profile)

    config = None if limited else ReferenceConfig(rate_limit=None)
    har = folder / "run.har"
    with provider(folder, fault.wrap, edit, config, manifest_edit=fault.manifest_edit) as (_, p):
        options = {"timeout": fault.timeout, "fuzz": fault.fuzz, **fault.options}
        report = run(RunOptions(profile=p, seed=SEED, strict=strict, har=har, **options))
    return MutantRun(report, har)


def mutant_group(fault: Fault) -> pytest.MarkDecorator:
    """Keeps every test of one mutant in one xdist worker, so its run is made once."""
    return pytest.mark.xdist_group(f"mutant {fault.name}")


def mutant_params(faults: list[Fault]) -> list[object]:
    """`faults` as pytest params named by the mutant and grouped per mutant for xdist; the
    retry_by mutants are `slow` (they wait out the reference's rate limit)."""
    return [
        pytest.param(
            f, id=f.name, marks=[mutant_group(f), *([pytest.mark.slow] if needs_429(f) else [])]
        )
        for f in faults
    ]


def cache(factory: pytest.TempPathFactory) -> Callable[[Fault], MutantRun]:
    runs: dict[str, MutantRun] = {}

    def get(fault: Fault) -> MutantRun:
        if fault.name not in runs:
            runs[fault.name] = run_fault(factory.mktemp("mutant"), fault)
        return runs[fault.name]

    return get
