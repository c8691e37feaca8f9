"""messaging-conformance: certify a Pipedrive Messaging app extension provider.

The faces (CLI, Python API) are thin shells over one runner:

    import conformance
    report = conformance.run(profile="profile.yaml", seed=1)
    report.verdict, report.exit_code
    saved = conformance.load_report("reports/report.json")  # the same RunReport type

Stage: faces.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance._version import __version__

__all__ = ["__version__", "load_report", "run"]

if TYPE_CHECKING:
    from conformance.events import Event
    from conformance.judging import Verdicting
    from conformance.report.canonical import RunReport


def run(
    profile: str | Path | None = None,
    *,
    progress: Callable[[Event], None] | None = None,
    verdicting: Verdicting | None = None,
    **options: Any,
) -> RunReport:
    """Run a certification; `options` are the fields of `conformance.runner.RunOptions`, the
    keywords of the option table (`conformance.options.on("api")`, defaults and help there).

    `profile=None` certifies the bundled reference provider. `progress(event)` receives the
    run's typed events (`conformance.events`: StepStarted, Request, Finding, ...; each has a
    one-line `.message`); `verdicting` (conformance.judging.Verdicting) holds the verdict to
    --require-complete and a --baseline. Raises `ConformanceError` only when the run cannot
    start. The CLI and the pytest plugin both come through here.
    """
    from conformance.runner import RunOptions
    from conformance.runner import run as _run

    return _run(RunOptions(profile=profile, **options), progress, verdicting)


def load_report(path: str | Path) -> RunReport:
    """A saved report.json as the `RunReport` that `run` returns (`.verdict`, `.exit_code`,
    `.to_dict()` giving the document back); `report["verdict"]` still reads the document.
    Raises `ConformanceError` (one line) for an unreadable or foreign file."""
    from conformance.errors import ConformanceError
    from conformance.report.baseline import load_report as _load
    from conformance.report.canonical import RunReport

    try:
        return RunReport.from_dict(_load(path))
    except ConformanceError as exc:
        if exc.where is not None:
            raise
        raise ConformanceError(exc.message, where=str(path)) from None
