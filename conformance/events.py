"""The run's progress events: what the runner, the fuzz phase and the Channels API simulator
tell a face while a run goes, as typed values.

Root module (data only), so every layer may emit them and every face may read them. A face
renders an event from its fields and never parses text back: the console's live display and
its plain CI lines (faces/console.py), and the pytest face's -v lines. Each event also has
`phase` and `message`, the one-line text the plain renderer shows, so a renderer that only
prints lines needs no case per event.

Every text field may hold provider text: `scrubbed` returns the event with each one passed
through a redactor's `scrub` (http/redact.py `Redactor.progress`, the run's last guard before
any face sees an event).

Stage: values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import ClassVar, TypeVar


@dataclass(frozen=True)
class Event:
    """A progress event; `phase` and `message` are its plain one-line rendering."""

    phase: ClassVar[str] = ""

    @property
    def message(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Setup(Event):
    """How the run is being set up (the bundled reference, the simulator's address)."""

    text: str
    phase: ClassVar[str] = "setup"

    @property
    def message(self) -> str:
        return self.text


@dataclass(frozen=True)
class RunWarning(Event):
    """What a reader of the report must know about how the run was made (run_warnings)."""

    text: str
    phase: ClassVar[str] = "setup"

    @property
    def message(self) -> str:
        return f"warning: {self.text}"


@dataclass(frozen=True)
class ManifestBound(Event):
    """The manifest phase closed: endpoints bound and the lint's findings."""

    endpoints: int
    findings: int
    phase: ClassVar[str] = "manifest"

    @property
    def message(self) -> str:
        return f"{self.endpoints} endpoints bound, {self.findings} finding(s)"


@dataclass(frozen=True)
class PlanLine(Event):
    """One line of the write list the run prints when it starts."""

    line: str
    phase: ClassVar[str] = "plan"

    @property
    def message(self) -> str:
        return self.line


@dataclass(frozen=True)
class StepStarted(Event):
    """A step of the plan (or the closing resend) begins."""

    step_phase: str  # scenarios, fuzzing, resend
    name: str
    phase: ClassVar[str] = "step"

    @property
    def message(self) -> str:
        return f"{self.step_phase}: {self.name}"


@dataclass(frozen=True)
class StepFinished(Event):
    """A step ended, with the requests it sent; its `phase` is the step's (scenarios, ...)."""

    step_phase: str
    name: str
    requests: int

    @property
    def phase(self) -> str:  # type: ignore[override]
        return self.step_phase

    @property
    def message(self) -> str:
        return f"{self.name}: {self.requests} requests"


@dataclass(frozen=True)
class SuiteError(Event):
    """A step raised: a bug in the suite, reported and survived."""

    note: str
    phase: ClassVar[str] = "error"

    @property
    def message(self) -> str:
        return f"suite error in {self.note}"


@dataclass(frozen=True)
class Request(Event):
    """One exchange with the provider: its status and latency, or why there was no answer."""

    method: str
    url: str
    status: int | None = None
    elapsed: float = 0.0  # seconds
    error: str | None = None
    phase: ClassVar[str] = "request"

    @property
    def message(self) -> str:
        if self.status is not None:
            outcome = f"{self.status} in {self.elapsed * 1000:.0f} ms"
        else:
            outcome = str(self.error)
        return f"{self.method} {self.url[:160]} -> {outcome}"


@dataclass(frozen=True)
class Finding(Event):
    """A finding was recorded against `rule`."""

    rule: str
    phase: ClassVar[str] = "finding"

    @property
    def message(self) -> str:
        return self.rule


@dataclass(frozen=True)
class Wait(Event):
    """The client waits (a 429's Retry-After) before it sends again."""

    seconds: float
    why: str
    phase: ClassVar[str] = "wait"

    @property
    def message(self) -> str:
        return f"waiting {self.seconds:.1f} s: {self.why}"


@dataclass(frozen=True)
class FuzzProgress(Event):
    """Planned generated cases done of the total, and the block that just finished."""

    done: int
    total: int
    label: str
    phase: ClassVar[str] = "fuzz-progress"

    @property
    def message(self) -> str:
        return f"{self.done}/{self.total} {self.label}"


@dataclass(frozen=True)
class Callback(Event):
    """The Channels API simulator called the vendor's manifest back (as Pipedrive does)."""

    operation: str
    outcome: str  # the status, or the error
    phase: ClassVar[str] = "callback"

    @property
    def message(self) -> str:
        return f"{self.operation} -> {self.outcome}"


@dataclass(frozen=True)
class ChannelsCall(Event):
    """The vendor's app called the simulated Channels API."""

    method: str
    path: str  # below /v1, already cut to a shown length
    outcome: str
    phase: ClassVar[str] = "channels"

    @property
    def message(self) -> str:
        return f"{self.method} /v1{self.path} -> {self.outcome}"


Progress = Callable[[Event], None]
E = TypeVar("E", bound=Event)


def scrubbed(event: E, scrub: Callable[[str], str]) -> E:
    """`event` with every text field passed through `scrub` (numbers stay as they are)."""
    changed = {
        f.name: scrub(value)
        for f in fields(event)
        if isinstance(value := getattr(event, f.name), str)
    }
    return replace(event, **changed) if changed else event


def ignore(event: Event) -> None:
    """The progress sink of a run nobody watches."""
