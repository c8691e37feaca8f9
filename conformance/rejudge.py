"""`messaging-conformance rejudge FILE.har`: judge a recorded run again, offline.

The recorded exchanges go through the same judging a live run uses (conformance.judging),
with the current rule catalogue: every exchange through the single-exchange checks (with
the clock set to when its answer came, so "retry_by not in the past" means what it meant
then), then the exchanges of each step, in recorded order, through `judge_step`; the
manifest recorded in the HAR is linted again, and what the exchanges alone cannot tell (what
scenarios could not gather, whether the provider went down) comes from `log._conformance`.
The step groups are the ones the run handed its judges (`log._conformance.conclusions`):
grouping by `context["step"]` alone, the fallback for a HAR without them, would also count
a 429 the client retried as a page of a walk. Re-sent requests (resend.py) decide
`reproduced` again. Nothing is sent: this module has no client.

Stage: run.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from conformance.checks import EXCHANGE_CHECKS
from conformance.checks.context import CheckContext
from conformance.checks.flows import JUDGES
from conformance.errors import ConformanceError
from conformance.inputs.manifest import parse_manifest
from conformance.inputs.spec import load_spec
from conformance.judging import Judging, RunFacts, Verdicting
from conformance.ledger import INTERRUPTED
from conformance.model import Exchange, Finding, RecordedRequest, RecordedResponse
from conformance.options import BODY_CAP, TIMEOUT
from conformance.phases import resend
from conformance.phases.scenarios.session import Seen
from conformance.report.canonical import RunReport
from conformance.report.provenance import versions


def load_har(path: str | Path) -> dict[str, Any]:
    """A HAR written by `run --har`; anything else is a one-line input error."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConformanceError(f"cannot read HAR: {exc.strerror or exc}", where=str(path)) from None
    except ValueError as exc:
        raise ConformanceError(f"HAR is not JSON: {exc}", where=str(path)) from None
    log = data.get("log") if isinstance(data, dict) else None
    if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
        raise ConformanceError("not a HAR file (no log.entries)", where=str(path))
    if not isinstance(log.get("_conformance"), dict):
        raise ConformanceError(
            "this HAR was not written by `messaging-conformance run --har` (no log._conformance)",
            where=str(path),
        )
    return log


def _bytes(text: str, encoding: str | None) -> bytes:
    return base64.b64decode(text) if encoding == "base64" else text.encode("utf-8")


def exchange_of(entry: dict[str, Any]) -> Exchange:
    """The exchange an entry records (as the client recorded it, bodies as far as kept)."""
    req = entry["request"]
    post = req.get("postData")
    request = RecordedRequest(
        req["method"],
        req["url"],
        {h["name"]: h["value"] for h in req.get("headers", [])},
        None if post is None else _bytes(post.get("text", ""), post.get("_encoding")),
        {q["name"]: q["value"] for q in req.get("queryString", [])},
    )
    resp = entry["response"]
    response = None
    if resp.get("status"):
        content = resp.get("content", {})
        response = RecordedResponse(
            resp["status"],
            {h["name"]: h["value"] for h in resp.get("headers", [])},
            _bytes(content.get("text", ""), content.get("encoding")),
            float(entry.get("_elapsed", entry.get("time", 0) / 1000)),
            bool(resp.get("_truncated", False)),
            resp.get("_oversize"),
        )
    return Exchange(
        entry.get("_operation", ""),
        request,
        response,
        entry.get("_error"),
        entry.get("_phase", ""),
        entry.get("_context") or {},
    )


def _received(entry: dict[str, Any]) -> datetime | None:
    moment = entry.get("_received")
    try:
        return datetime.fromisoformat(str(moment).replace("Z", "+00:00")) if moment else None
    except ValueError:
        return None


def _capped(entry: dict[str, Any]) -> bool:
    return bool(entry.get("response", {}).get("content", {}).get("_capped"))


def _recorded_findings(entry: dict[str, Any], exchange: Exchange) -> list[Finding]:
    """The single-exchange findings the run judged on an entry whose body the HAR cut."""
    return [
        Finding(f["rule"], f["message"], f.get("operation", ""), exchange)
        for f in entry.get("_findings", [])
        if f["rule"] in EXCHANGE_CHECKS
    ]


def _entries(log: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Exchange]]:
    for entry in log["entries"]:
        yield entry, exchange_of(entry)


def rejudge(
    path: str | Path,
    *,
    only: list[str] | None = None,
    spec: str | Path | None = None,
    strict: bool | None = None,
    verdicting: Verdicting | None = None,
) -> RunReport:
    """Judge the run recorded in `path` again; sends no request."""
    from conformance.runner import selected_rules

    verdicting = verdicting or Verdicting()
    log = load_har(path)
    inputs = log["_conformance"]
    strict = bool(inputs.get("strict")) if strict is None else strict
    notes: list[str] = []
    if inputs.get("versions") != versions():
        notes.append(
            "recorded with other versions than this rejudge "
            f"({_version_change(inputs.get('versions') or {}, versions())})"
        )
    selected = (
        selected_rules(only) if only else frozenset(inputs.get("selected") or selected_rules(None))
    )
    options = inputs.get("options", {})
    loaded_spec = load_spec(spec if spec is not None else _existing(options.get("spec")))
    meta = dict(inputs.get("report_meta", {}))
    recorded_spec = meta.get("spec", {}).get("sha256")
    if recorded_spec and recorded_spec != loaded_spec.digest:
        notes.append("judged against another spec than the recorded run's (sha256 differs)")
    source = meta.get("manifest", {}).get("source", "<recorded manifest>")
    manifest = parse_manifest(json.dumps(inputs.get("manifest_document")).encode(), source)

    ctx = CheckContext(
        spec=loaded_spec,
        timeout=float(options.get("timeout", TIMEOUT)),
        body_cap=int(options.get("body_cap", BODY_CAP)),
    )
    judging = Judging(selected, ctx)
    judging.manifest(manifest)
    seen = Seen()
    conclusions = inputs.get("conclusions")
    needed = {i for _, indexes in conclusions or [] for i in indexes}
    kept: dict[int, Exchange] = {}
    steps: dict[str, list[Exchange]] = {}
    resent: dict[tuple[str, str, str], Exchange] = {}
    count = 0
    for index, (entry, exchange) in enumerate(_entries(log)):
        count += 1
        if index in needed:
            kept[index] = exchange
        if exchange.context.get("resend"):
            resent[resend.request_key(exchange)] = exchange
            continue
        seen.observe(exchange)
        if _capped(entry):
            judging.exchange(exchange, recorded=_recorded_findings(entry, exchange))
        else:
            moment = _received(entry)
            at = ctx if moment is None else replace(ctx, now=lambda moment=moment: moment)
            judging.exchange(exchange, at)
        step = exchange.context.get("step")
        if isinstance(step, str):
            steps.setdefault(step, []).append(exchange)
    judging.exchanges_done()
    groups = (
        [(step, [kept[i] for i in indexes if i in kept]) for step, indexes in conclusions]
        if conclusions is not None
        else list(steps.items())
    )
    for step, evidence in groups:
        if step not in JUDGES:
            notes.append(f"step {step!r} has no judge in this version: its rules not re-judged")
            continue
        judging.conclude(step, evidence)
    profile = meta.get("profile") or {}
    facts = RunFacts(
        manifest=manifest,
        template_support=bool(profile.get("template_support")),
        fuzzed=bool(options.get("fuzz", True)),
        provider_down=bool(inputs.get("provider_down")),
        exchanges=count,
        fallback_reason=inputs.get("fallback_reason"),
        not_gathered=inputs.get("skips") or {},
        notes=tuple(meta.get("notes", [])),
        strict=strict,
        interrupted=inputs.get("verdict") == INTERRUPTED,
        error=inputs.get("error"),
        require_complete=verdicting.require_complete,
        baseline=verdicting.baseline,
    )
    findings = judging.ledger.findings
    resend.mark(findings, resend.candidates(findings), resent, ctx)
    judging.close(facts, seen)
    meta.update(
        notes=list(judging.ledger.notes),
        rejudged={
            "har": str(path),
            "entries": count,
            "requests_sent": 0,
            "recorded_versions": inputs.get("versions"),
            "recorded_verdict": inputs.get("verdict"),
            "notes": notes,
        },
    )
    meta["options"] = {
        **meta.get("options", {}),
        "only": only or meta.get("options", {}).get("only"),
    }
    return judging.report(facts, seed=int(inputs.get("seed", 0)), meta=meta)


def _existing(path: Any) -> str | None:
    return str(path) if path and Path(str(path)).exists() else None


def _version_change(recorded: dict[str, Any], current: dict[str, Any]) -> str:
    changed = [
        f"{name} {recorded.get(name)} -> {current.get(name)}"
        for name in current
        if recorded.get(name) != current.get(name)
    ]
    return ", ".join(changed) or "unknown"
