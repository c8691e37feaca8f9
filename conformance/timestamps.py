"""RFC 3339 timestamps as the contract writes them (`retry_by`), parsed once.

Both the HTTP client (which waits until a 429's `retry_by`) and the `error.retry-by` check
(which judges it) read the value here, so the transport and the judge cannot disagree on
what a timestamp is, and the transport layer needs nothing from `checks/`.

Stage: values.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from conformance.text import excerpt

# RFC 3339 with the UTC designator; fractional seconds optional.
_UTC_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[Zz]$")
_ANY_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?(.*)$")


def parse_retry_by(value: Any) -> tuple[datetime | None, str | None]:
    """The moment retry_by names, or why it is not an RFC 3339 UTC timestamp."""
    if not isinstance(value, str):
        return None, f"retry_by is {excerpt(value, 30)}, not a string"
    match = _ANY_TIMESTAMP.match(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        moment = None
    if match is None or moment is None:
        return None, f"retry_by {excerpt(value, 40)} is not an RFC 3339 timestamp"
    if not _UTC_TIMESTAMP.match(value):
        if moment.tzinfo is None:
            why = "has no time zone"
        elif " " in value or "t" in value[10:11]:
            why = "does not separate date and time with T"
        else:
            why = "is not in UTC with the Z designator"
        return moment if moment.tzinfo else None, f"retry_by {excerpt(value, 40)} {why}"
    return moment, None
