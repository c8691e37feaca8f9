"""Regression view over canonical reports: what is new, fixed or persisting since a baseline.

Nightly runs fail only on regressions: a finding is identified by a fingerprint that ignores
volatile parts (timestamps, generated ids, counts), so the same defect seen on two nights
matches even when its retry_by or random probe id differ.

Stage: report.
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


DESELECTED = "not selected"  # the skip reason of rules --only left out: not a regression


def reproduced(finding: dict[str, Any]) -> bool:
    """False only for a finding whose request was re-sent and came back clean (noise?)."""
    return finding.get("reproduced") is not False


def _statuses(report: dict[str, Any], status: str) -> dict[str, str]:
    return {r["id"]: r["level"] for r in report["rules"] if r["status"] == status}


@dataclass
class Diff:
    new: dict[str, str] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)
    persisting: dict[str, str] = field(default_factory=dict)
    # Rules that passed in the baseline and were SKIPPED now: a MUST one is a regression (a
    # fixture gone, an endpoint dropped from the manifest: the rule is no longer certified).
    skipped: dict[str, str] = field(default_factory=dict)
    # Newly failing rules whose listed findings all did not reproduce when re-sent: flaky.
    unreproduced: dict[str, str] = field(default_factory=dict)
    new_findings: list[dict[str, Any]] = field(default_factory=list)
    unreproduced_findings: list[dict[str, Any]] = field(default_factory=list)
    fixed_findings: int = 0
    # Rules whose every finding the baseline listed (none were cut by the per-rule cap), so a
    # fingerprint missing from it is truly new rather than merely unlisted.
    complete_rules: set[str] = field(default_factory=set)
    # name -> (old, new) for each of `versions` (suite, schemathesis, hypothesis, Python,
    # catalogue) that differs: the two runs did not generate with the same libraries.
    versions_changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)

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
        """A MUST rule newly failing or newly skipped, or a truly new MUST finding under a
        known one; findings that did not reproduce are listed apart and do not count."""
        return (
            any(level == "MUST" for level in self.new.values())
            or any(level == "MUST" for level in self.skipped.values())
            or any(
                f["level"] == "MUST" and f["rule"] in self.complete_rules
                for f in self.new_findings
                if f["rule"] in self.persisting
            )
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "new": sorted(self.new),
            "fixed": sorted(self.fixed),
            "persisting": sorted(self.persisting),
            "skipped": sorted(self.skipped),
            "did_not_reproduce": sorted(self.unreproduced),
            "new_findings": [f["fingerprint"] for f in self.new_findings],
            "did_not_reproduce_findings": [f["fingerprint"] for f in self.unreproduced_findings],
            "fixed_findings": self.fixed_findings,
            "regressed": self.regressed,
            "versions_changed": {k: list(v) for k, v in sorted(self.versions_changed.items())},
        }


def _print(finding: dict[str, Any]) -> str:
    return finding.get("fingerprint") or fingerprint(
        finding["rule"], finding["operation"], finding["message"]
    )


def diff(old: dict[str, Any], new: dict[str, Any]) -> Diff:
    before, after = failing_rules(old), failing_rules(new)
    old_prints = fingerprints(old)
    new_prints = fingerprints(new)
    fresh = [
        {**f, "fingerprint": _print(f)}
        for f in [*new.get("findings", []), *_unlisted_groups(new)]
        if _print(f) not in old_prints
    ]
    listed: dict[str, list[dict[str, Any]]] = {}
    for finding in new.get("findings", []):
        listed.setdefault(finding["rule"], []).append(finding)
    newly = {r: lvl for r, lvl in after.items() if r not in before}
    flaky = {
        r: lvl
        for r, lvl in newly.items()
        if listed.get(r) and not any(reproduced(f) for f in listed[r])
    }
    result = Diff(
        new={r: lvl for r, lvl in newly.items() if r not in flaky},
        fixed={r: lvl for r, lvl in before.items() if r not in after},
        persisting={r: lvl for r, lvl in after.items() if r in before},
        skipped={
            r["id"]: r["level"]
            for r in new["rules"]
            if r["status"] == "skipped"
            and r["id"] in _statuses(old, "passed")
            and not str(r.get("reason", "")).startswith(DESELECTED)
        },
        unreproduced=flaky,
    )
    result.new_findings = [f for f in fresh if reproduced(f)]
    result.unreproduced_findings = [f for f in fresh if not reproduced(f)]
    result.fixed_findings = len(old_prints - new_prints)
    counted: dict[str, int] = {}
    for finding in old.get("findings", []):
        counted[finding["rule"]] = counted.get(finding["rule"], 0) + 1
    result.complete_rules = {
        r["id"]
        for r in old["rules"]
        # a report with groups counted every fingerprint, listed or not
        if "groups" in old or r.get("failures", 0) <= counted.get(r["id"], 0)
    }
    result.versions_changed = versions_changed(old, new)
    return result


GROUPS_LISTED = 20  # distinct findings listed per kind; the rest are counted


def grouped(findings: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """One entry per fingerprint with how many findings share it, most frequent first (ties
    in the order first seen): 19 copies of one finding must not hide the other new ones."""
    counts: dict[str, int] = {}
    first: dict[str, dict[str, Any]] = {}
    for finding in findings:
        key = _print(finding)
        first.setdefault(key, finding)
        counts[key] = counts.get(key, 0) + int(finding.get("count", 1))
    return sorted(((first[k], n) for k, n in counts.items()), key=lambda item: -item[1])


def counted(data: dict[str, Any], key: str = "new_findings") -> list[tuple[dict[str, Any], int]]:
    """A report's baseline list (`new_findings`: one fingerprint per finding) as distinct
    findings with their counts, most frequent first: what summary.md and the console list."""
    by_print: dict[str, dict[str, Any]] = {}
    for entry in [*data.get("findings", []), *data.get("groups", [])]:
        if "fingerprint" in entry:
            by_print.setdefault(entry["fingerprint"], entry)  # the first finding shows it
    counts: dict[str, int] = {}
    for fingerprint in (data.get("baseline") or {}).get(key, []):
        counts[fingerprint] = counts.get(fingerprint, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    return [(by_print[p], n) for p, n in ranked if p in by_print]


def one_line(message: str) -> str:
    """A finding's message whole, on one line (never cut mid-string)."""
    return " ".join(str(message).split())


def times(count: int) -> str:
    return f" (x{count})" if count > 1 else ""


def versions_changed(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """What differs between the two reports' `versions` (a report too old to have them has
    nothing to compare): a finding new tonight may then come from a library, not the vendor."""
    before, after = old.get("versions"), new.get("versions")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return {}
    return {
        name: (before.get(name), after.get(name))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def versions_warning(result: Diff) -> str | None:
    """One line naming every version that changed between the two reports, or None."""
    if not result.versions_changed:
        return None
    changes = "; ".join(
        f"{name} {old} -> {new}" for name, (old, new) in result.versions_changed.items()
    )
    return (
        f"warning: the reports were made with different versions ({changes}): "
        "differences may come from the suite's libraries, not from the provider"
    )


def render_diff(result: Diff) -> str:
    warning = versions_warning(result)
    text = _render_changes(result)
    return f"{warning}\n{text}" if warning else text


def _render_changes(result: Diff) -> str:
    if not (
        result.new
        or result.fixed
        or result.skipped
        or result.unreproduced
        or result.new_findings
        or result.unreproduced_findings
        or result.fixed_findings
    ):
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
        ("skipped", result.skipped),
    ):
        for rule_id, level in sorted(rules.items()):
            lines.append(f"{label:<10} {level:<6} {rule_id}")
    persisting_new = [f for f in result.new_findings if f["rule"] not in result.new]
    for label, findings, tail in (
        ("new", persisting_new, ""),
        ("flaky", result.unreproduced_findings, " (did not reproduce)"),
    ):
        groups = grouped(findings)
        for finding, count in groups[:GROUPS_LISTED]:
            lines.append(
                f"{label:<10} {finding['level']:<6} {finding['rule']}: "
                f"{one_line(finding['message'])}{times(count)}{tail}"
            )
        if len(groups) > GROUPS_LISTED:
            lines.append(f"{label:<10} ... and {len(groups) - GROUPS_LISTED} more finding(s)")
    if result.fixed_findings:
        lines.append(f"{result.fixed_findings} finding(s) fixed")
    return "\n".join(lines)
