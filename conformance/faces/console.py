"""What a person reads in the terminal: progress while the run goes, and the closing summary.

Progress is the run's stream of typed events (conformance/events.py), rendered from their
fields: `StepStarted` starts a phase, `Finding` names the rule of each finding as it is
recorded, `FuzzProgress` counts generated cases done of the total, `Request` is each exchange
(shown with -v), and `ManifestBound` or a `StepFinished` of a closing phase (manifest,
scenarios, fuzzing) closes a phase. A phase is marked ✓ only when it produced no finding,
otherwise ✗ with the count, so the display never looks greener than the report.

Provider text reaches the terminal only through `conformance.text.excerpt`, which strips control
characters, so a hostile body cannot send escape sequences to the user's terminal.

Stage: faces.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from rich.console import RenderableType
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from conformance import events
from conformance.report.canonical import RunReport
from conformance.report.render.groups import group_findings, similar
from conformance.rules import RULES, Level
from conformance.text import excerpt

STATUSES = ("passed", "failed", "warning", "skipped")
CLOSING_PHASES = ("manifest", "scenarios", "fuzzing")
VERDICT_COLOURS = {
    "certified": "32",
    "incomplete": "33",
    "failed": "31",
    "error": "31",
    "interrupted": "33",
}


def closes_phase(event: events.Event) -> bool:
    """The manifest's end, or the end of a scenarios or fuzzing step: gets its ✓ or ✗."""
    return (
        isinstance(event, events.ManifestBound | events.StepFinished)
        and event.phase in CLOSING_PHASES
    )


class _Tally:
    """Findings of the current phase and the rules failing so far, from `finding` events."""

    def __init__(self) -> None:
        self.in_phase = 0
        self.failing: set[str] = set()

    def finding(self, rule_id: str) -> None:
        self.in_phase += 1
        self.failing.add(rule_id)

    def close_phase(self) -> str:
        """The mark of the phase that just ended: ✓, or ✗ with its finding count."""
        mark = "✓" if self.in_phase == 0 else f"✗ {self.in_phase} finding(s)"
        self.in_phase = 0
        return mark

    @property
    def failing_text(self) -> str:
        must = sum(1 for r in self.failing if r in RULES and RULES[r].level is Level.MUST)
        return f"failing rules: {len(self.failing)} ({must} MUST)"


def eta_text(elapsed: float, done: int, total: int) -> str:
    """Remaining time at the pace so far, e.g. "ETA 12s" (unknown before the first case)."""
    if done <= 0 or total <= done:
        return "ETA 0s" if total <= done else "ETA ?"
    return f"ETA {elapsed * (total - done) / done:.0f}s"


class ProgressPrinter:
    """Plain, timestamped lines: one per finished phase (every request too with -v).

    What CI logs want: no cursor tricks, greppable, and the same on every machine.
    """

    def __init__(self, out: TextIO = sys.stderr, quiet: bool = False, verbose: int = 0) -> None:
        self.out, self.quiet, self.verbose = out, quiet, verbose
        # The simulator's threads and the run's emit at once (run --two-sided): one lock and
        # one write per line, so two messages never share a line.
        self._lock = threading.Lock()
        self.started = time.monotonic()
        self.tally = _Tally()
        self.fuzz_started: float | None = None

    def __call__(self, event: events.Event) -> None:
        if isinstance(event, events.Finding):
            self.tally.finding(event.rule)
            return
        if isinstance(event, events.StepStarted):
            self.fuzz_started = None
            return
        if self.quiet:
            return
        if isinstance(event, events.Request):
            if self.verbose:
                self._line(event.phase, excerpt(event.message, 200)[1:-1])
            return
        if isinstance(event, events.FuzzProgress):
            now = time.monotonic()
            self.fuzz_started = self.fuzz_started or now
            eta = eta_text(now - self.fuzz_started, event.done, event.total)
            self._line("fuzzing", f"{event.done}/{event.total} generated cases, {eta}")
            return
        message = event.message
        if closes_phase(event):
            message = f"{self.tally.close_phase()}  {message}  [{self.tally.failing_text}]"
        self._line(event.phase, message)

    def _line(self, phase: str, text: str) -> None:
        elapsed = time.monotonic() - self.started
        self._write(self.out, f"[{elapsed:6.1f}s] {phase:<9} {text}")

    def announce(self, text: str) -> None:
        """A line the user must read whatever --quiet says (e.g. where the simulator listens):
        on stdout, never run into a progress line."""
        self._write(sys.stdout, text)

    def _write(self, out: TextIO, text: str) -> None:
        line = " ".join(text.splitlines()) + "\n"
        with self._lock:
            out.write(line)
            out.flush()

    def close(self) -> None:
        pass


class LiveProgress:
    """On a terminal: a live line per phase (✓/✗ when done), the failing-rule count, and a
    progress bar with total and ETA for the fuzz phase (rich)."""

    def __init__(self, out: TextIO = sys.stderr, verbose: int = 0) -> None:
        from rich.console import Console

        self.console = Console(file=out)
        self.verbose = verbose
        self.tally = _Tally()
        self.progress = Progress(
            SpinnerColumn(finished_text=" "),
            TextColumn("{task.fields[mark]}"),
            TextColumn("{task.description}"),
            _FuzzOnly(BarColumn()),
            TextColumn("{task.fields[counter]}"),
            _FuzzOnly(TimeRemainingColumn()),
            TextColumn("{task.fields[requests]} requests"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.status = self.progress.add_task(
            self.tally.failing_text, total=None, mark="", counter="", requests=0, bar=False
        )
        self.task: Any = None
        self.requests = self.total_requests = 0
        self.progress.start()

    def __call__(self, event: events.Event) -> None:
        if isinstance(event, events.Finding):
            self.tally.finding(event.rule)
            self.progress.update(self.status, description=self.tally.failing_text)
        elif isinstance(event, events.StepStarted):
            self.requests = 0
            self.task = self.progress.add_task(
                event.message, total=None, mark="", counter="", requests=0, bar=False
            )
        elif isinstance(event, events.Request):
            self.requests += 1
            self.total_requests += 1
            self.progress.update(self.status, requests=self.total_requests)
            if self.task is not None:
                self.progress.update(self.task, requests=self.requests)
                task = self.progress.tasks[self.task]
                if task.fields.get("bar") and task.total and task.completed < task.total:
                    self.progress.advance(self.task)
            if self.verbose:
                self.progress.console.print(
                    excerpt(event.message, 200)[1:-1], markup=False, highlight=False
                )
        elif isinstance(event, events.FuzzProgress) and self.task is not None:
            done, total = event.done, event.total
            self.progress.update(
                self.task, total=total, completed=done, bar=True, counter=f"{done}/{total}"
            )
        elif closes_phase(event):
            mark = self.tally.close_phase()
            colour = "green" if mark == "✓" else "red"
            if isinstance(event, events.ManifestBound) or self.task is None:
                self.progress.console.print(f"{mark} manifest: {event.message}", highlight=False)
            else:
                short = mark.replace(" finding(s)", "")  # the column stays narrow
                self.progress.update(self.task, mark=f"[{colour}]{short}[/{colour}]")
                self._finish_task()
        else:
            self.progress.console.print(
                f"{event.phase}: {event.message}", markup=False, highlight=False
            )

    def announce(self, text: str) -> None:
        """A line above the live display (a bare print would be drawn into it)."""
        self.progress.console.print(text, markup=False, highlight=False)

    def _finish_task(self) -> None:
        if self.task is not None:
            task = self.progress.tasks[self.task]
            total = task.total or 1
            self.progress.update(self.task, total=total, completed=total)
            self.progress.stop_task(self.task)
            self.task = None

    def close(self) -> None:
        self._finish_task()
        self.progress.stop_task(self.status)
        self.progress.stop()


class _FuzzOnly(ProgressColumn):
    """A rich column shown only on the fuzz task, the one phase that knows its total."""

    def __init__(self, column: ProgressColumn) -> None:
        super().__init__()
        self.column = column

    def render(self, task: Task) -> RenderableType:
        if task.total is None or not task.fields.get("bar"):
            return Text("")
        return self.column.render(task)


def progress_for(
    out: TextIO = sys.stderr, quiet: bool = False, verbose: int = 0
) -> ProgressPrinter | LiveProgress:
    """A live display on an interactive terminal; plain lines in CI, pipes and files."""
    if not quiet and out.isatty() and not os.environ.get("CI"):
        return LiveProgress(out, verbose)
    return ProgressPrinter(out, quiet, verbose)


def use_colour(out: TextIO = sys.stdout) -> bool:
    """Colour for people at a terminal; never in pipes, files, or with NO_COLOR set."""
    return out.isatty() and not os.environ.get("NO_COLOR")


def summary(
    report: dict[str, Any] | RunReport,
    paths: dict[str, Path] | str | None = None,
    colour: bool = False,
) -> str:
    """The closing lines: the verdict, failing rules worst first with their hint and grouped
    findings (the same grouping as summary.md and report.html), and the report files.

    Made from the canonical document (a RunReport is turned into it, scrubbed by its
    redactor); `paths` are the written report files (or one path, said as `report: PATH`).
    """
    data = report if isinstance(report, dict) else report.to_dict()
    counts = data.get("summary", {})
    verdict = str(data["verdict"]).upper()
    if colour:
        code = VERDICT_COLOURS.get(str(data["verdict"]), "0")
        verdict = f"\x1b[1;{code}m{verdict}\x1b[0m"
    target = data.get("target") or {}
    lines = [
        "",
        f"verdict: {verdict}   seed: {data.get('seed')}   "
        + "   ".join(f"{k}: {counts.get(k, 0)}" for k in STATUSES),
    ]
    if target:
        lines.append(
            f"target: {excerpt(target.get('base_url', ''), 120)[1:-1]}  channel "
            f"{excerpt(target.get('channel') or '', 60)[1:-1]}"
        )
    if data.get("error"):
        lines.append(f"error: {excerpt(data['error'], 200)}")
    flagged = [e for e in group_findings(data) if e.rule["status"] in ("failed", "warning")]
    if flagged:
        lines.append("")
        width = max(len(e.rule["id"]) for e in flagged)
        for entry in flagged:
            rule = entry.rule
            label = "FAIL" if rule["status"] == "failed" else "WARN"
            top = entry.groups[0] if entry.groups else None
            message = excerpt(top.message, 120) if top else ""
            note = f"  {similar(top.count)}" if top and top.count > 1 else ""
            lines.append(f"  {label} {rule['id']:<{width}}  x{rule['failures']:<3} {message}{note}")
            if len(entry.groups) > 1:
                lines.append(f"       {'':<{width}}  + {len(entry.groups) - 1} other kind(s)")
            if rule.get("hint"):
                lines.append(f"       {'':<{width}}  fix: {rule['hint']}")
    skipped = [r for r in data["rules"] if r["status"] == "skipped"]
    if skipped:
        lines.append("")
        for rule in skipped:
            lines.append(f"  SKIP {rule['id']}: {rule.get('reason', '')}")
    if isinstance(paths, str):
        lines += ["", f"report: {paths}"]
    elif paths:
        lines += ["", "reports:"]
        lines += [f"  {path.name:<12} {path}" for path in paths.values()]
    text = "\n".join(lines)
    redactor = None if isinstance(report, dict) else report.redactor
    return redactor.scrub(text) if redactor else text
