"""The canonical report: one JSON document per run, from which every rendering is made.

Provider content is kept as excerpts (bounded, decoded with replacement) so a hostile body
cannot bloat or break the report; credentials were already scrubbed by the client, and the
run's `Redactor`, when the report has one, scrubs the document again as a last guard.

Stage: report.
"""

from __future__ import annotations

import base64
import copy
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance._version import __version__
from conformance.errors import ConformanceError
from conformance.ledger import EXCHANGES_PER_RULE, RuleResult
from conformance.model import Exchange, Finding, Part
from conformance.redact import Redactor
from conformance.report.curl import curl
from conformance.report.provenance import versions
from conformance.rules import Level, Rule

SCHEMA_VERSION = 1
BODY_EXCERPT = 2000
FINDINGS_PER_RULE = EXCHANGES_PER_RULE  # the report lists the findings that kept their exchange


@dataclass(frozen=True)
class Baseline:
    """A saved report a run is compared with (`--baseline`): its findings already known."""

    source: str  # where it was read from, as the user named it
    document: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class RunReport:
    """Everything a face needs about a finished (or aborted) run, or a saved one.

    Built once, by judging (conformance.judging), and never changed: its verdict, document
    and exit code follow from what it was built with, `baseline` and `require_complete`
    included. A report read back from report.json (`from_dict`) keeps that document:
    `to_dict()` returns it unchanged, since the exchanges behind its findings are only
    excerpts there and could not be re-rendered identically.
    """

    verdict: str
    seed: int
    results: list[RuleResult]
    findings: list[Finding]
    strict: bool = False
    meta: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    # The run's credential scrubber; never part of the document.
    redactor: Redactor | None = field(default=None, repr=False, compare=False)
    document: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    # --baseline: the document marks the findings it knew, the exit code follows regressions.
    baseline: Baseline | None = field(default=None, repr=False, compare=False)
    # --require-complete: a MUST rule SKIPPED (not by --only) makes the exit code 1.
    require_complete: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunReport:
        """A saved canonical document as a report; its findings carry no exchange."""
        try:
            results = [
                RuleResult(
                    _catalogued(r["id"], r["level"], r.get("title", "")),
                    r["status"],
                    r.get("checked", 0),
                    r.get("failures", 0),
                    r.get("reason"),
                )
                for r in data["rules"]
            ]
            findings = [
                Finding(f["rule"], f["message"], f.get("operation", ""))
                for f in data.get("findings", [])
            ]
            verdict = data["verdict"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ConformanceError(f"not a messaging-conformance report.json: {exc}") from None
        return cls(
            verdict,
            data.get("seed", 0),
            results,
            findings,
            strict=bool(data.get("strict")),
            meta={k: v for k, v in data.items() if k not in _DOCUMENT_KEYS},
            error=data.get("error"),
            document=data,
        )

    @property
    def exit_code(self) -> int:
        if self.document is not None:
            return exit_code_of(self.document)  # follows a baseline's regressions if it has one
        if self.baseline is None and not self.require_complete:
            return exit_code_of({"verdict": self.verdict, "error": self.error})
        return exit_code_of(self.to_dict(), require_complete=self.require_complete)

    def __getitem__(self, key: str) -> Any:
        """`report["verdict"]`: the canonical document's fields, as when reports were dicts."""
        return self.to_dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.to_dict().get(key, default)

    def to_dict(self) -> dict[str, Any]:
        if self.document is not None:
            return copy.deepcopy(self.document)
        kept: list[Finding] = []
        per_rule: dict[str, int] = {}
        for finding in self.findings:
            per_rule[finding.rule] = per_rule.get(finding.rule, 0) + 1
            if per_rule[finding.rule] <= FINDINGS_PER_RULE:
                kept.append(finding)
        from conformance.rules import CATALOGUE, catalogue_version

        data = {
            "schema_version": SCHEMA_VERSION,
            "suite": {"name": "messaging-conformance", "version": __version__},
            "catalogue": {"version": catalogue_version(), "rules": len(CATALOGUE)},
            "versions": versions(),
            "verdict": self.verdict,
            "seed": self.seed,
            "strict": self.strict,
            **({"error": self.error} if self.error else {}),
            **self.meta,
            "summary": _summary(self.results),
            "rules": [_rule(r) for r in self.results],
            "findings": [finding_dict(f) for f in kept],
            "findings_total": len(self.findings),
            "groups": finding_groups(self.findings),
        }
        if self.baseline is not None:
            data = apply_baseline(data, self.baseline.document, self.baseline.source)
        return self.redactor.scrub_data(data) if self.redactor else data


_DOCUMENT_KEYS = {
    "schema_version",
    "suite",
    "verdict",
    "seed",
    "strict",
    "error",
    "summary",
    "rules",
    "findings",
    "findings_total",
}


def _catalogued(rule_id: str, level: str, title: str) -> Rule:
    """The catalogue's rule, or (for a report from another suite version) one rebuilt from it."""
    from conformance.rules import RULES

    known = RULES.get(rule_id)
    return known if known is not None else Rule(rule_id, Level(level), title, "", "")


def finding_groups(findings: list[Finding]) -> list[dict[str, Any]]:
    """How often each (rule, fingerprint) occurred, counted over every finding, also those
    past the listing cap, so "×642 similar" is the true count; first-seen order."""
    from conformance.report.baseline import fingerprint

    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for finding in findings:
        key = (finding.rule, fingerprint(finding.rule, finding.operation, finding.message))
        entry = groups.get(key)
        if entry is None:
            groups[key] = {
                "rule": finding.rule,
                "fingerprint": key[1],
                "operation": finding.operation,
                "message": finding.message,
                "count": 1,
            }
        else:
            entry["count"] += 1
    return list(groups.values())


def _summary(results: list[RuleResult]) -> dict[str, int]:
    summary = {"passed": 0, "failed": 0, "warning": 0, "skipped": 0, "not_applicable": 0}
    for result in results:
        summary[result.status] = summary.get(result.status, 0) + 1
    return summary


def _rule(result: RuleResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": result.rule.id,
        "level": result.rule.level.value,
        "title": result.rule.title,
        "rationale": result.rule.rationale,
        "hint": result.rule.hint,
        "status": result.status,
        "checked": result.checked,
        "failures": result.failures,
    }
    if result.reason:
        out["reason"] = result.reason
    return out


def finding_dict(finding: Finding) -> dict[str, Any]:
    from conformance.report.baseline import fingerprint
    from conformance.rules import RULES

    out: dict[str, Any] = {
        "rule": finding.rule,
        "level": RULES[finding.rule].level.value,
        "operation": finding.operation,
        "message": finding.message,
        "fingerprint": fingerprint(finding.rule, finding.operation, finding.message),
        "request": None,
        "response": None,
        "reproduce": None,
    }
    if finding.reproduced is not None:
        out["reproduced"] = finding.reproduced
    if finding.exchange is not None:
        out.update(exchange_dict(finding.exchange))
    return out


def exchange_dict(exchange: Exchange) -> dict[str, Any]:
    request = exchange.request
    req: dict[str, Any] = {
        "method": request.method,
        "url": request.url,
        "query": request.raw_query,
        "headers": dict(request.headers),
    }
    if request.body:
        req["body"] = _excerpt_bytes(request.body)
        try:
            request.body.decode("utf-8")
        except UnicodeDecodeError:  # the excerpt lost bytes: the whole body, as sent
            req["body_base64"] = base64.b64encode(request.body).decode("ascii")
    if request.parts is not None:
        req["parts"] = [part_dict(part) for part in request.parts]
    response = exchange.response
    resp: dict[str, Any] | None = None
    if response is not None:
        resp = {
            "status": response.status,
            "headers": dict(response.headers),
            "body": _excerpt_bytes(response.body),
            "elapsed_ms": round(response.elapsed * 1000, 1),
        }
        if response.truncated:
            resp["truncated"] = True
    out: dict[str, Any] = {
        "request": req,
        "response": resp,
        "reproduce": curl(exchange),
        "phase": exchange.phase,
    }
    if exchange.error:
        out["error"] = exchange.error
    return out


def part_dict(part: Part) -> dict[str, Any]:
    """One multipart part whole: its text, or its bytes as base64 when they are not text."""
    out: dict[str, Any] = {"name": part.name, "size": len(part.data)}
    if part.filename is not None:
        out["filename"] = part.filename
    if part.content_type is not None:
        out["content_type"] = part.content_type
    text = part.text
    if text is not None:
        out["text"] = text
    else:
        out["base64"] = base64.b64encode(part.data).decode("ascii")
    return out


def _excerpt_bytes(body: bytes) -> str:
    text = body[: BODY_EXCERPT * 4].decode("utf-8", errors="replace")
    return text if len(text) <= BODY_EXCERPT else text[:BODY_EXCERPT] + "…[truncated]"


def ensure_writable(directory: str | Path) -> Path:
    """Fail before the run, not after it, when the report folder cannot be written."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise ConformanceError(
            f"cannot write reports here: {exc.strerror or exc}", where=str(directory)
        ) from None
    return directory


def apply_baseline(data: dict[str, Any], baseline: dict[str, Any], source: str) -> dict[str, Any]:
    """Mark findings already known in the baseline; the exit code then follows regressions."""
    from conformance.report.baseline import diff, fingerprints

    known = fingerprints(baseline)
    result = diff(baseline, data)
    findings = [{**f, "known": f["fingerprint"] in known} for f in data["findings"]]
    return {**data, "findings": findings, "baseline": {"source": source, **result.to_dict()}}


def incomplete_must_rules(data: dict[str, Any]) -> list[str]:
    """MUST rules the run SKIPPED (those `--only` left out excepted): what
    `--require-complete` refuses."""
    return [
        r["id"]
        for r in data["rules"]
        if r["level"] == "MUST"
        and r["status"] == "skipped"
        and not str(r.get("reason", "")).startswith("not selected")
    ]


EXIT_INTERRUPTED = 130  # what a shell reports for Ctrl-C


def exit_code_of(data: dict[str, Any], *, require_complete: bool = False) -> int:
    """0/1/2 (130 when interrupted) from the canonical document, so every face agrees;
    under `require_complete` a run that would exit 0 with a MUST rule SKIPPED exits 1."""
    if data.get("verdict") == "interrupted":
        return EXIT_INTERRUPTED
    if data.get("error"):
        return 2
    if "baseline" in data:
        code = 1 if data["baseline"]["regressed"] else 0
    else:
        code = 1 if data["verdict"] == "failed" else 0
    return 1 if require_complete and code == 0 and incomplete_must_rules(data) else code
