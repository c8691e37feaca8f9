"""messaging-conformance: certify a Pipedrive Messaging app extension provider.

The faces (CLI, Python API) are thin shells over one runner:

    import conformance
    report = conformance.run(profile="profile.yaml", seed=1)
    report.verdict, report.exit_code
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from conformance.report import RunReport


def run(profile: str | Path | None = None, **options: Any) -> RunReport:
    """Run a certification; `options` are the fields of `conformance.runner.RunOptions`.

    Raises `ConformanceError` only when the run cannot start (bad input).
    """
    from conformance.runner import RunOptions
    from conformance.runner import run as _run

    return _run(RunOptions(profile=profile, **options))
