"""What produced a report: the versions a replay needs and a digest of the rule catalogue.

`run --seed N` repeats a run's requests only with the same suite, schemathesis and
hypothesis (generation changes between their releases) and Python; and two reports can be
compared rule by rule only when their catalogues agree. report.json and the HAR carry both.

Stage: report.
"""

from __future__ import annotations

import platform
from functools import cache
from importlib import metadata
from typing import Any


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


@cache
def versions() -> dict[str, Any]:
    from conformance._version import __version__
    from conformance.rules import catalogue_version

    return {
        "suite": __version__,
        "schemathesis": _version("schemathesis"),
        "hypothesis": _version("hypothesis"),
        "python": platform.python_version(),
        # the same digest as the report's catalogue.version (ids, levels, titles)
        "catalogue": catalogue_version(),
    }
