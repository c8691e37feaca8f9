"""Regression view over canonical reports: what is new, fixed or persisting since a baseline.

Nightly runs fail only on regressions: a finding is identified by a fingerprint that ignores
volatile parts (timestamps, generated ids, counts), so the same defect seen on two nights
matches even when its retry_by or random probe id differ.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceError

_VOLATILE = [
    (
        re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?"),
        "<time>",
    ),
    (re.compile(r"conformance-unknown-[a-zA-Z]+-[0-9a-f]+"), "<generated-id>"),
    (re.compile(r"posted-\d+|msg-[\w-]+"), "<id>"),
    (re.compile(r"\d+(\.\d+)?"), "<n>"),
]


def fingerprint(rule: str, operation: str, message: str) -> str:
    """Stable identity of a finding across runs."""
    normalized = message
    for pattern, placeholder in _VOLATILE:
        normalized = pattern.sub(placeholder, normalized)
    return hashlib.sha256(f"{rule}|{operation}|{normalized}".encode()).hexdigest()[:16]


def load_report(path: str | Path) -> dict[str, Any]:
    """A saved report.json; anything unreadable is a one-line input error."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConformanceError(
            f"cannot read report: {exc.strerror or exc}", where=str(path)
        ) from None
    except ValueError as exc:
        raise ConformanceError(f"report is not JSON: {exc}", where=str(path)) from None
    if not isinstance(data, dict) or "rules" not in data or "schema_version" not in data:
        raise ConformanceError("not a messaging-conformance report.json", where=str(path))
    return data


def failing_rules(report: dict[str, Any]) -> dict[str, str]:
    """rule id -> level, for rules that failed or warned."""
    return {r["id"]: r["level"] for r in report["rules"] if r["status"] in ("failed", "warning")}


def fingerprints(report: dict[str, Any]) -> set[str]:
    """Every finding's fingerprint: the listed ones, and (newer reports) every counted group,
    including findings past the per-rule listing cap."""
    listed = {
        f.get("fingerprint") or fingerprint(f["rule"], f["operation"], f["message"])
        for f in report.get("findings", [])
    }
    return listed | {g["fingerprint"] for g in report.get("groups", [])}


def _unlisted_groups(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Groups none of whose findings is listed, shaped like findings (for new_findings)."""
    listed = {f.get("fingerprint") for f in report.get("findings", [])}
    levels = {r["id"]: r["level"] for r in report.get("rules", [])}
    return [
        {**g, "level": levels.get(g["rule"], "MUST")}
        for g in report.get("groups", [])
        if g["fingerprint"] not in listed
    ]


@dataclass
class Diff:
    new: dict[str, str] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)
    persisting: dict[str, str] = field(default_factory=dict)
    new_findings: list[dict[str, Any]] = field(default_factory=list)
    fixed_findings: int = 0
    # Rules whose every finding the baseline listed (none were cut by the per-rule cap), so a
    # fingerprint missing from it is truly new rather than merely unlisted.
    complete_rules: set[str] = field(default_factory=set)

    @property
    def regressed_rules(self) -> set[str]:
        """Rules (any level) newly failing, or with a truly new finding under a known failure:
        the pytest face fails these and marks the other known failures xfail."""
        return set(self.new) | {
            f["rule"]
            for f in self.new_findings
            if f["rule"] in self.persisting and f["rule"] in self.complete_rules
        }

    @property
    def regressed(self) -> bool:
        """A MUST rule newly failing, or a truly new MUST finding under a known one."""
        return any(level == "MUST" for level in self.new.values()) or any(
            f["level"] == "MUST" and f["rule"] in self.complete_rules
            for f in self.new_findings
            if f["rule"] in self.persisting
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "new": sorted(self.new),
            "fixed": sorted(self.fixed),
            "persisting": sorted(self.persisting),
            "new_findings": [f["fingerprint"] for f in self.new_findings],
            "fixed_findings": self.fixed_findings,
            "regressed": self.regressed,
        }


def diff(old: dict[str, Any], new: dict[str, Any]) -> Diff:
    before, after = failing_rules(old), failing_rules(new)
    old_prints = fingerprints(old)
    new_prints = fingerprints(new)
    result = Diff(
        new={r: lvl for r, lvl in after.items() if r not in before},
        fixed={r: lvl for r, lvl in before.items() if r not in after},
        persisting={r: lvl for r, lvl in after.items() if r in before},
    )
    result.new_findings = [
        {
            **f,
            "fingerprint": f.get("fingerprint")
            or fingerprint(f["rule"], f["operation"], f["message"]),
        }
        for f in [*new.get("findings", []), *_unlisted_groups(new)]
        if (f.get("fingerprint") or fingerprint(f["rule"], f["operation"], f["message"]))
        not in old_prints
    ]
    result.fixed_findings = len(old_prints - new_prints)
    listed: dict[str, int] = {}
    for finding in old.get("findings", []):
        listed[finding["rule"]] = listed.get(finding["rule"], 0) + 1
    result.complete_rules = {
        r["id"]
        for r in old["rules"]
        # a report with groups counted every fingerprint, listed or not
        if "groups" in old or r.get("failures", 0) <= listed.get(r["id"], 0)
    }
    return result


def render_diff(result: Diff) -> str:
    if not (result.new or result.fixed or result.new_findings or result.fixed_findings):
        lines = [
            "no change"
            + (
                f" ({len(result.persisting)} known failing rule(s) persist)"
                if result.persisting
                else ""
            )
        ]
        return "\n".join(lines)
    lines = []
    for label, rules in (
        ("new", result.new),
        ("fixed", result.fixed),
        ("persisting", result.persisting),
    ):
        for rule_id, level in sorted(rules.items()):
            lines.append(f"{label:<10} {level:<6} {rule_id}")
    persisting_new = [f for f in result.new_findings if f["rule"] not in result.new]
    for finding in persisting_new[:20]:
        lines.append(
            f"{'new':<10} {finding['level']:<6} {finding['rule']}: {finding['message'][:120]}"
        )
    if result.fixed_findings:
        lines.append(f"{result.fixed_findings} finding(s) fixed")
    return "\n".join(lines)
