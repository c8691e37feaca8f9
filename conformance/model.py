"""Values that flow through a run: recorded exchanges and the findings judged from them.

An `Exchange` is one request and what came back, recorded with secrets already redacted,
so every later stage (checks, reports) can hold it without risk. Checks are pure functions
over exchanges; they return `Finding`s that always name a rule id from the catalogue.

Stage: values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

_NO_JSON = object()
# Content-Disposition parameters as browsers and urllib3 write them (HTML5: `"` sent as
# %22, no backslash escapes), so a name ending in a backslash is read as it was sent.
_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)="([^"]*)"')


@dataclass(frozen=True)
class Part:
    """One part of a multipart body as it went over the wire: `data` holds its exact bytes
    (a binary file part too), so a report can show it and a curl line can send it again."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None
    # Part headers other than Content-Disposition and Content-Type (rare; a replay that
    # cannot send them by name sends the recorded body as it was instead).
    extra_headers: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str | None:
        """The bytes as text when they are UTF-8 (None: binary, show them as base64)."""
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            return None


def parse_multipart(body: bytes, content_type: str) -> list[Part] | None:
    """The parts of a multipart/form-data body, or None when it is not one (or is cut).

    Parsed from the bytes sent, not from what the suite meant to send, so booleans, dropped
    fields and odd characters are recorded as the provider received them.
    """
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.lower().startswith("multipart/") or found is None:
        return None
    delimiter = b"--" + found.group(1).encode("latin-1")
    chunks = (b"\r\n" + body).split(b"\r\n" + delimiter)
    if len(chunks) < 2 or chunks[0] or not chunks[-1].startswith(b"--"):
        return None  # not a whole multipart body (over the recording cap, or malformed)
    parts = []
    for chunk in chunks[1:-1]:
        head, sep, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            return None
        headers = [line.split(b":", 1) for line in head.split(b"\r\n") if b":" in line]
        named = {
            k.strip().lower().decode("latin-1"): v.strip().decode("utf-8", "replace")
            for k, v in headers
        }
        params = {k.lower(): v for k, v in _PARAM.findall(named.get("content-disposition", ""))}
        extra = tuple(
            (k, v) for k, v in named.items() if k not in ("content-disposition", "content-type")
        )
        parts.append(
            Part(
                params.get("name", ""),
                data,
                params.get("filename"),
                named.get("content-type"),
                extra,
            )
        )
    return parts


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

    @property
    def raw_query(self) -> str:
        """The query string exactly as it went out (percent-encoding included)."""
        return urlsplit(self.url).query

    @cached_property
    def parts(self) -> list[Part] | None:
        """The multipart parts sent (None: no multipart body, or one cut by the cap)."""
        if self.body is None:
            return None
        return parse_multipart(self.body, self.headers.get("content-type", ""))


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
