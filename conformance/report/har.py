"""`run --har FILE`: every exchange of a run as HAR 1.2, for browsers' tools and `rejudge`.

HAR is one JSON document, but a run's exchanges must not pile up in memory (the recorder
keeps only the last 100). So entries are streamed, one JSON line each, to a spool file next
to the target as they are recorded; at the end the document is assembled from the spool in
one pass, with the run's inputs in `log._conformance` and each entry's findings in
`_findings` (multi-step findings are only known once their step is judged, hence the
second pass). Exchanges were already scrubbed by the client; the run's `Redactor` scrubs
each entry once more as a last guard, as it does every other output. Bodies beyond
`BODY_CAP` are cut (`content._capped`); `rejudge` then keeps those entries' recorded
findings instead of judging a body it no longer has.

Custom fields (HAR allows `_`-prefixed ones): `_operation`, `_phase`, `_context`,
`_error`, `_findings`, `_elapsed` (seconds, unrounded), `_received` (when the answer came),
`_truncated`/`_oversize` (as the client recorded them) and `_encoding` on a binary request
body.

Stage: report.
"""

from __future__ import annotations

import base64
import http
import json
import os
import tempfile
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl

from conformance._version import __version__
from conformance.errors import ConformanceError
from conformance.model import Exchange, Finding, Part
from conformance.options import record
from conformance.redact import Redactor

BODY_CAP = 1024 * 1024  # bytes of each body kept in the HAR
HTTP_VERSION = "HTTP/1.1"


class HarWriter:
    """A Recorder listener that streams entries; `close` writes the HAR document."""

    def __init__(
        self, path: str | Path, redactor: Redactor | None = None, body_cap: int = BODY_CAP
    ) -> None:
        self.path = Path(path)
        self.body_cap = body_cap
        self._redactor = redactor
        self._lock = threading.Lock()
        self._count = 0
        # id(exchange) -> (weak reference, entry index), for exchanges still alive: a finding
        # judged later (a multi-step one) finds its entry; dead exchanges leave the map.
        self._entries: dict[int, tuple[weakref.ref[Exchange], int]] = {}
        self._noted: dict[int, list[Finding]] = {}
        self._inert_values: dict[str, bool] = {}  # header value -> the scrub leaves it as is
        # (step, entry indexes) of every Session.conclude, in order: rejudge's step groups.
        self.conclusions: list[tuple[str, list[int]]] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, spool = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        except OSError as exc:
            raise ConformanceError(
                f"cannot write the HAR file: {exc.strerror or exc}", where=str(self.path)
            ) from None
        self._spool_path = Path(spool)
        self._spool: TextIO = os.fdopen(handle, "w", encoding="utf-8", newline="\n")

    def note(self, exchange: Exchange, findings: list[Finding]) -> None:
        """The single-exchange findings of an exchange about to be added (same thread)."""
        self._noted[id(exchange)] = findings

    def add(self, exchange: Exchange) -> None:
        """The listener: one entry per exchange, in the order the recorder saw them."""
        received = exchange.received_at or datetime.now(UTC)
        findings = self._noted.pop(id(exchange), [])
        entry = har_entry(exchange, received, self.body_cap)
        entry["_findings"] = [finding_record(f) for f in findings]
        line = json.dumps(entry, ensure_ascii=False, default=str)
        if self._redactor and self._redactor.may_hold(line) and self._may_hold(entry):
            # one search over the whole line spares the walk over every string of an entry
            # that holds no secret, which is nearly every entry (redact.py, may_hold)
            line = json.dumps(self._redactor.scrub_data(entry), ensure_ascii=False, default=str)
        key = id(exchange)
        with self._lock:
            index = self._count
            self._count += 1
            self._entries[key] = (weakref.ref(exchange, lambda _, k=key: self._forget(k)), index)
            self._spool.write(line + "\n")

    def _may_hold(self, entry: dict[str, Any]) -> bool:
        """`may_hold` of the entry with its Authorization header's value left out when the
        scrub leaves that value as it is (the client records a placeholder there, never the
        credential): no other string changes, so False still means nothing to scrub.

        The placeholder names `client_secret`; a secret sharing a word with it and another
        with the provider's URLs (the reference's `reference-secret`) would otherwise send
        every entry through the walk.
        """
        assert self._redactor is not None
        headers = entry["request"]["headers"]
        kept = [h for h in headers if h["name"].lower() != "authorization" or not self._inert(h)]
        if len(kept) == len(headers):
            return True
        probe = {**entry, "request": {**entry["request"], "headers": kept}}
        return self._redactor.may_hold(json.dumps(probe, ensure_ascii=False, default=str))

    def _inert(self, header: dict[str, str]) -> bool:
        value = header["value"]
        if value not in self._inert_values:
            assert self._redactor is not None
            self._inert_values[value] = self._redactor.scrub(value) == value
        return self._inert_values[value]

    def conclude(self, step: str, evidence: Sequence[Exchange]) -> None:
        """A conclusion listener: which entries one step handed to its judge."""
        indexes = [self.index_of(e) for e in evidence]
        with self._lock:
            self.conclusions.append((step, [i for i in indexes if i is not None]))

    def _forget(self, key: int) -> None:
        entry = self._entries.get(key)
        if entry is not None and entry[0]() is None:
            self._entries.pop(key, None)

    def index_of(self, exchange: Exchange) -> int | None:
        """The entry of an exchange still alive (None if it was never recorded)."""
        entry = self._entries.get(id(exchange))
        return entry[1] if entry is not None and entry[0]() is exchange else None

    def close(self, inputs: Mapping[str, Any], findings: Iterable[Finding]) -> Path:
        """Write the HAR: entries with every finding that names them, and the run's inputs."""
        late: dict[int, list[dict[str, Any]]] = {}
        for finding in findings:
            if finding.exchange is not None:
                index = self.index_of(finding.exchange)
                if index is not None:
                    late.setdefault(index, []).append(finding_record(finding))
        self._spool.close()
        conformance = {**inputs, "conclusions": self.conclusions}
        if self._redactor:
            conformance = self._redactor.scrub_data(conformance)
        try:
            handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            with (
                os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out,
                self._spool_path.open(encoding="utf-8") as spool,
            ):
                out.write('{"log": {"version": "1.2", ')
                creator = {"name": "messaging-conformance", "version": __version__}
                out.write(f'"creator": {json.dumps(creator)}, "pages": [], "entries": [\n')
                for index, line in enumerate(spool):
                    entry = json.loads(line)
                    entry["_findings"] = _merge(entry["_findings"], late.get(index, []))
                    out.write(("" if index == 0 else ",\n") + json.dumps(entry, ensure_ascii=False))
                out.write('\n], "_conformance": ')
                out.write(json.dumps(conformance, ensure_ascii=False, default=str))
                out.write("}}\n")
            os.replace(temp, self.path)
        except OSError as exc:
            raise ConformanceError(
                f"cannot write the HAR file: {exc.strerror or exc}", where=str(self.path)
            ) from None
        finally:
            self._spool_path.unlink(missing_ok=True)
        return self.path


def _merge(first: list[dict[str, Any]], more: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = {(f["rule"], f["message"]) for f in first}
    return first + [f for f in more if (f["rule"], f["message"]) not in seen]


def finding_record(finding: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": finding.rule,
        "operation": finding.operation,
        "message": finding.message,
    }
    reproduced = getattr(finding, "reproduced", None)
    if reproduced is not None:
        out["reproduced"] = reproduced
    return out


def _headers(headers: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in headers.items()]


def _text(body: bytes) -> tuple[str, str | None]:
    """A body as HAR text: UTF-8 as is, anything else base64 (with its encoding named)."""
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


def _param(part: Part) -> dict[str, Any]:
    """A multipart part as a HAR param; bytes that are not text as base64, named so."""
    text = part.text
    param: dict[str, Any] = {
        "name": part.name,
        "value": text if text is not None else base64.b64encode(part.data).decode("ascii"),
    }
    if text is None:
        param["_encoding"] = "base64"
    if part.filename is not None:
        param["fileName"] = part.filename
    if part.content_type is not None:
        param["contentType"] = part.content_type
    return param


def har_entry(exchange: Exchange, received: datetime, body_cap: int = BODY_CAP) -> dict[str, Any]:
    """One HAR 1.2 entry (the `_findings` field is the writer's to fill)."""
    request, response = exchange.request, exchange.response
    elapsed = response.elapsed if response is not None else 0.0
    req: dict[str, Any] = {
        "method": request.method,
        "url": request.url,
        "httpVersion": HTTP_VERSION,
        "cookies": [],
        "headers": _headers(request.headers),
        "queryString": [
            {"name": k, "value": v} for k, v in parse_qsl(request.raw_query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": len(request.body) if request.body is not None else 0,
    }
    if request.body is not None:
        text, encoding = _text(request.body)
        req["postData"] = {
            "mimeType": request.headers.get("content-type", ""),
            "params": [_param(part) for part in request.parts or []],
            "text": text,
            **({"_encoding": encoding} if encoding else {}),
        }
    if response is not None:
        body = response.body[:body_cap]
        text, encoding = _text(body)
        content: dict[str, Any] = {
            "size": len(response.body),
            "mimeType": response.headers.get("content-type", ""),
            "text": text,
            **({"encoding": encoding} if encoding else {}),
        }
        if len(response.body) > body_cap:
            content["_capped"] = True
        resp: dict[str, Any] = {
            "status": response.status,
            "statusText": _reason(response.status),
            "httpVersion": HTTP_VERSION,
            "cookies": [],
            "headers": _headers(response.headers),
            "content": content,
            "redirectURL": response.headers.get("location", ""),
            "headersSize": -1,
            "bodySize": len(response.body),
            "_truncated": response.truncated,
            "_oversize": response.oversize,
        }
    else:  # no answer: HAR has no such thing, so status 0 (as browsers record it)
        resp = {
            "status": 0,
            "statusText": "",
            "httpVersion": HTTP_VERSION,
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": "x-unknown", "text": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        }
    millis = round(elapsed * 1000, 3)
    started = received - timedelta(seconds=elapsed)
    entry: dict[str, Any] = {
        "startedDateTime": started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "time": millis,
        "request": req,
        "response": resp,
        "cache": {},
        "timings": {"send": 0, "wait": millis, "receive": 0},
        "_operation": exchange.operation,
        "_phase": exchange.phase,
        "_context": exchange.context,
        "_elapsed": elapsed,
        "_received": received.isoformat().replace("+00:00", "Z"),
    }
    if exchange.error is not None:
        entry["_error"] = exchange.error
    return entry


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


# What `rejudge` needs besides the exchanges (and what a reader of the HAR wants to know).
REPORT_META = (
    "started_at",
    "target",
    "profile",
    "spec",
    "manifest",
    "plan",
    "phases",
    "phase_requests",
    "warnings",
    "suite_errors",
    "notes",
    "options",
    "interrupted_during",
    "steps_not_run",
    "disposable_recreate",
    "requests",
    "duration_s",
)


def run_inputs(target: Any, options: Any, report: Any, ledger: Any, client: Any) -> dict[str, Any]:
    """`log._conformance`: the run's inputs (redacted profile, manifest document, options,
    seed, versions) and what its exchanges alone cannot tell (skip reasons, provider down)."""
    from conformance.report.provenance import versions

    return {
        "versions": versions(),
        "seed": report.seed,
        "strict": report.strict,
        "verdict": report.verdict,
        "error": report.error,
        "manifest_document": target.manifest.raw,
        "options": {
            **report.meta.get("options", {}),
            **record(options, "inputs"),  # the report's, and what rejudge needs besides
            "har_body_cap": BODY_CAP,
        },
        "selected": sorted(ledger.selected),
        "skips": dict(ledger.skips),
        "fallback_reason": ledger.fallback_reason,
        "provider_down": client is not None and client.down is not None,
        "report_meta": {k: report.meta[k] for k in REPORT_META if k in report.meta},
    }
