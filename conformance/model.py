"""Values that flow through a run: recorded exchanges and the findings judged from them.

An `Exchange` is one request and what came back, recorded with secrets already redacted,
so every later stage (checks, reports) can hold it without risk. Checks are pure functions
over exchanges; they return `Finding`s that always name a rule id from the catalogue.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

_NO_JSON = object()


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


@dataclass(frozen=True)
class RecordedRequest:
    """What the suite sent; `headers` hold a placeholder instead of any credential."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    # Query parameters as sent, kept apart from the URL so checks can read limits.
    query: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        object.__setattr__(self, "headers", _lower_keys(self.headers))


@dataclass(frozen=True)
class RecordedResponse:
    """What the provider answered; header names are lower-cased for lookups."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed: float = 0.0
    truncated: bool = False  # the body is incomplete (over the cap, or cut at the deadline)
    # Bytes read when the body went over the cap (None when it did not): such a body is
    # judged only by robustness.response-size, never as broken JSON.
    oversize: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", _lower_keys(self.headers))

    @property
    def content_type(self) -> str:
        """The media type alone, lower-cased, without parameters such as charset."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @cached_property
    def _parsed(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return _NO_JSON

    @property
    def is_json(self) -> bool:
        return self._parsed is not _NO_JSON

    def json(self) -> Any:
        """The parsed body; raises ValueError when it is not JSON."""
        if self._parsed is _NO_JSON:
            raise ValueError("body is not JSON")
        return self._parsed

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Exchange:
    """One request bound to a manifest operation, and its response (or why there is none).

    `context` carries what the scenario knew when it sent the request (for example
    `{"fixture": "suspended_channel"}` or `{"expect": "not_found"}`); checks may read it.
    """

    operation: str
    request: RecordedRequest
    response: RecordedResponse | None
    error: str | None = None
    phase: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    # When the answer (or the error) came, stamped by the client: judging and recording may
    # happen later (a parallel step hands its exchanges on in order), and a clock-dependent
    # check (retry_by not in the past) must judge against this moment, not the judge's clock.
    received_at: datetime | None = None


@dataclass(frozen=True)
class Finding:
    """A rule broken, explained in one line, with the exchange that shows it (if any)."""

    rule: str
    message: str
    operation: str = ""
    exchange: Exchange | None = None
    # After the run re-sent its (idempotent) request: False when the rule held the second
    # time (noise, or an intermittent defect), True when it failed again; None: not re-sent.
    reproduced: bool | None = None
