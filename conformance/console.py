"""What a person reads in the terminal: progress lines and the closing summary.

Provider text reaches the terminal only through `checks.text.excerpt`, which strips control
characters, so a hostile body cannot send escape sequences to the user's terminal.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from conformance.checks.text import excerpt
from conformance.ledger import FAILED, SKIPPED, WARNING
from conformance.report import RunReport


class ProgressPrinter:
    """One plain, timestamped line per phase step: fine in CI logs and on a terminal."""

    def __init__(self, out: TextIO = sys.stderr, quiet: bool = False) -> None:
        self.out, self.quiet, self.started = out, quiet, time.monotonic()

    def __call__(self, phase: str, message: str) -> None:
        if not self.quiet:
            elapsed = time.monotonic() - self.started
            print(f"[{elapsed:6.1f}s] {phase:<9} {message}", file=self.out, flush=True)


def summary(report: RunReport, report_path: str | None = None) -> str:
    counts = {"passed": 0, "failed": 0, "warning": 0, "skipped": 0}
    for result in report.results:
        counts[result.status] += 1
    lines = [
        "",
        f"verdict: {report.verdict.upper()}   seed: {report.seed}   "
        + "   ".join(f"{k}: {v}" for k, v in counts.items()),
    ]
    if report.error:
        lines.append(f"error: {excerpt(report.error, 200)}")
    first = {}
    for finding in report.findings:
        first.setdefault(finding.rule, finding)
    flagged = [r for r in report.results if r.status in (FAILED, WARNING)]
    if flagged:
        lines.append("")
        width = max(len(r.rule.id) for r in flagged)
        for result in flagged:
            finding = first.get(result.rule.id)
            message = excerpt(finding.message, 140) if finding else ""
            label = "FAIL" if result.status == FAILED else "WARN"
            lines.append(f"  {label} {result.rule.id:<{width}}  x{result.failures:<3} {message}")
    skipped = [r for r in report.results if r.status == SKIPPED]
    if skipped:
        lines.append("")
        for result in skipped:
            lines.append(f"  SKIP {result.rule.id}: {result.reason}")
    if report_path:
        lines += ["", f"report: {report_path}"]
    return "\n".join(lines)
