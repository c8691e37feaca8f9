"""The one error type the suite raises for bad input.

Every problem with what the user gave us (profile, manifest, spec, flags) or with reaching
the provider at start becomes a `ConformanceError`: the CLI prints its message as one line
and exits 2. Anything else escaping is a bug in the suite, not the user's fault.

Stage: values.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class ConformanceError(Exception):
    """Bad input or an unreachable provider: a one-line, user-facing message.

    `where` names the file (and key or line) at fault so the user knows what to fix.
    """

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)
