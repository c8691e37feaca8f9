"""messaging-conformance: certify a Pipedrive Messaging app extension provider.

The faces (CLI, Python API) are thin shells over one runner:

    import conformance
    report = conformance.run(profile="profile.yaml", seed=1)
    report.verdict, report.exit_code
    data = conformance.load_report("reports/report.json")
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from conformance.report import RunReport


def run(
    profile: str | Path | None = None,
    *,
    progress: Callable[[str, str], None] | None = None,
    **options: Any,
) -> RunReport:
    """Run a certification; `options` are the fields of `conformance.runner.RunOptions`.

    `profile=None` certifies the bundled reference provider. `progress(phase, message)`
    receives the run's events. Raises `ConformanceError` only when the run cannot start.
    The CLI and the pytest plugin both come through here.
    """
    from conformance.runner import RunOptions
    from conformance.runner import run as _run

    return _run(RunOptions(profile=profile, **options), progress)


def load_report(path: str | Path) -> dict[str, Any]:
    """A saved report.json as a dict (the canonical document every rendering comes from)."""
    from conformance.baseline import load_report as _load

    return _load(path)
