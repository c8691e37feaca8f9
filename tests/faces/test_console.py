"""The progress events a real run emits, which the console renders (see test_render.py)."""

from __future__ import annotations

import re

import conformance
from conformance import events
from conformance.reference import ReferenceConfig
from tests.faults import FAULTS, provider


def test_a_run_emits_findings_fuzz_totals_and_request_latency(tmp_path) -> None:
    emitted: list[events.Event] = []
    wrap = next(f for f in FAULTS if f.rule == "response.content-type").wrap
    with provider(tmp_path, wrap, None, ReferenceConfig(rate_limit=None)) as (_, profile):
        report = conformance.run(profile, seed=3, max_examples=2, progress=emitted.append)
    findings = [e.rule for e in emitted if isinstance(e, events.Finding)]
    assert len(findings) == len(report.findings) and "response.content-type" in findings
    fuzz = [e for e in emitted if isinstance(e, events.FuzzProgress)]
    done, total = [e.done for e in fuzz], {e.total for e in fuzz}
    assert len(total) == 1 and total.pop() % (2 * 2) == 0  # operations x modes x examples
    assert done[0] == 0 and done == sorted(done) and done[-1] == fuzz[-1].total
    requests = [e for e in emitted if isinstance(e, events.Request)]
    assert requests and all(e.message.startswith(f"{e.method} ") for e in requests)
    assert any(re.search(r" -> 200 in \d+ ms$", e.message) for e in requests)
    assert any(e.status == 200 and e.elapsed > 0 for e in requests)


class _Writes:
    """A stream that keeps each write call apart: what threads can interleave."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def write(self, text: str) -> int:
        self.calls.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_progress_lines_from_many_threads_never_share_a_line(monkeypatch) -> None:
    """run --two-sided: the simulator's threads and the run emit at once. Each line is one
    write of one whole line, under one lock, so two messages never run onto one line."""
    import threading

    from conformance.faces.console import ProgressPrinter

    out, stdout = _Writes(), _Writes()
    monkeypatch.setattr("sys.stdout", stdout)
    printer = ProgressPrinter(out)

    def talk(n: int) -> None:
        for i in range(50):
            printer(events.Setup(f"thread {n} call {i}"))
            printer.announce(f"announce {n} {i}")

    threads = [threading.Thread(target=talk, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    printer(events.Setup("a vendor message\nwith a line break"))
    for calls in (out.calls, stdout.calls):
        assert all(c.endswith("\n") and c.count("\n") == 1 for c in calls), calls[:4]
    lines = "".join(out.calls).splitlines()
    assert len(lines) == 301 and all(
        re.search(r"setup     (thread \d+ call \d+|a )", x) for x in lines
    )
    assert lines[-1].endswith("a vendor message with a line break")
    assert sorted("".join(stdout.calls).splitlines()) == sorted(
        f"announce {n} {i}" for n in range(6) for i in range(50)
    )
