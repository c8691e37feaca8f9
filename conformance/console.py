"""What a person reads in the terminal: progress lines and the closing summary.

Provider text reaches the terminal only through `checks.text.excerpt`, which strips control
characters, so a hostile body cannot send escape sequences to the user's terminal.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from conformance.checks.text import excerpt
from conformance.ledger import FAILED, SKIPPED, WARNING
from conformance.report import RunReport


class ProgressPrinter:
    """Plain, timestamped lines: one per finished step (every request too with -v).

    What CI logs want: no cursor tricks, greppable, and the same on every machine.
    """

    def __init__(self, out: TextIO = sys.stderr, quiet: bool = False, verbose: int = 0) -> None:
        self.out, self.quiet, self.verbose = out, quiet, verbose
        self.started = time.monotonic()

    def __call__(self, phase: str, message: str) -> None:
        if self.quiet or (phase in ("step", "request") and not self.verbose):
            return
        if phase == "step":
            return
        elapsed = time.monotonic() - self.started
        shown = excerpt(message, 200)[1:-1] if phase == "request" else message
        print(f"[{elapsed:6.1f}s] {phase:<9} {shown}", file=self.out, flush=True)

    def close(self) -> None:
        pass


class LiveProgress:
    """On a terminal: a live line per phase with its request count and elapsed time (rich)."""

    def __init__(self, out: TextIO = sys.stderr, verbose: int = 0) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.console = Console(file=out)
        self.verbose = verbose
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/green]"),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[requests]} requests"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.task: Any = None
        self.requests = 0
        self.progress.start()

    def __call__(self, phase: str, message: str) -> None:
        if phase == "step":
            self._finish_task()
            self.requests = 0
            self.task = self.progress.add_task(message, total=None, requests=0)
        elif phase == "request":
            self.requests += 1
            if self.task is not None:
                self.progress.update(self.task, requests=self.requests)
            if self.verbose:
                self.progress.console.print(
                    excerpt(message, 200)[1:-1], markup=False, highlight=False
                )
        elif phase not in ("scenarios", "fuzzing"):  # finished steps are the live lines
            self.progress.console.print(f"{phase}: {message}", markup=False, highlight=False)

    def _finish_task(self) -> None:
        if self.task is not None:
            self.progress.update(self.task, total=1, completed=1)
            self.progress.stop_task(self.task)

    def close(self) -> None:
        self._finish_task()
        self.progress.stop()


def progress_for(
    out: TextIO = sys.stderr, quiet: bool = False, verbose: int = 0
) -> ProgressPrinter | LiveProgress:
    """A live display on an interactive terminal; plain lines in CI, pipes and files."""
    import os

    if not quiet and out.isatty() and not os.environ.get("CI"):
        return LiveProgress(out, verbose)
    return ProgressPrinter(out, quiet, verbose)


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
    text = "\n".join(lines)
    return report.redactor.scrub(text) if report.redactor else text
