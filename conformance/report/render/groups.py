"""Findings as a reader meets them: by rule, worst first, then by fingerprint.

A broken provider repeats the same defect hundreds of times (one per generated request);
listing each copy buries the other defects. Every rendering (HTML, Markdown, the console)
shows one representative per fingerprint with the true count ("×642 similar"), taken from
the report's `groups`, which the run counts before the per-rule listing cap applies. The
grouping is this one pure function of the canonical report, so the renderings agree.

Stage: report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The order a reader fixes things in: certification blockers, then warnings, then the rest.
# not_applicable (a side this run does not include) after every judged or skipped rule
STATUS_ORDER = {"failed": 0, "warning": 1, "skipped": 2, "passed": 3, "not_applicable": 4}


@dataclass(frozen=True)
class FindingGroup:
    """Findings of one rule that share a fingerprint: the same defect, seen `count` times."""

    rule: str
    fingerprint: str
    count: int
    operation: str
    message: str
    # Listed findings (report.json keeps the first ones per rule with their exchange);
    # empty when every copy was past the listing cap.
    examples: tuple[dict[str, Any], ...] = ()

    @property
    def example(self) -> dict[str, Any] | None:
        """The finding to show: the first listed one that has its request and response."""
        with_exchange = [f for f in self.examples if f.get("request") or f.get("error")]
        return (with_exchange or list(self.examples) or [None])[0]

    @property
    def known(self) -> bool:
        return bool(self.examples) and all(f.get("known") for f in self.examples)

    @property
    def unreproduced(self) -> bool:
        """Every listed copy was re-sent and its rule held the second time (resend.py)."""
        return bool(self.examples) and all(f.get("reproduced") is False for f in self.examples)

    @property
    def labels(self) -> str:
        """' (known)' and/or ' (did not reproduce)', as every rendering shows them."""
        return (" (known)" if self.known else "") + (
            " (did not reproduce)" if self.unreproduced else ""
        )


@dataclass(frozen=True)
class RuleFindings:
    rule: dict[str, Any]
    groups: tuple[FindingGroup, ...]

    @property
    def anchor(self) -> str:
        return "rule-" + self.rule["id"].replace(".", "-")


def ordered_rules(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Rules worst first: failed MUST, failed SHOULD (warnings), skipped, passed; catalogue
    order within each status."""
    rules = list(data.get("rules", []))
    return sorted(
        rules,
        key=lambda r: (STATUS_ORDER.get(r["status"], 9), r.get("level") != "MUST"),
    )


def _counted(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-fingerprint counts: from the report, or (older reports) from listed findings."""
    if "groups" in data:
        return list(data["groups"])
    counts: dict[tuple[str, str], dict[str, Any]] = {}
    for finding in data.get("findings", []):
        key = (finding["rule"], finding["fingerprint"])
        entry = counts.setdefault(
            key,
            {
                "rule": finding["rule"],
                "fingerprint": finding["fingerprint"],
                "operation": finding.get("operation", ""),
                "message": finding.get("message", ""),
                "count": 0,
            },
        )
        entry["count"] += 1
    return list(counts.values())


def group_findings(data: dict[str, Any]) -> list[RuleFindings]:
    """Flagged rules (failed, then warned) with their findings grouped by fingerprint, the
    most frequent group first."""
    listed: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for finding in data.get("findings", []):
        listed.setdefault((finding["rule"], finding["fingerprint"]), []).append(finding)
    by_rule: dict[str, list[FindingGroup]] = {}
    for entry in _counted(data):
        key = (entry["rule"], entry["fingerprint"])
        by_rule.setdefault(entry["rule"], []).append(
            FindingGroup(
                rule=entry["rule"],
                fingerprint=entry["fingerprint"],
                count=int(entry["count"]),
                operation=str(entry.get("operation", "")),
                message=str(entry.get("message", "")),
                examples=tuple(listed.get(key, ())),
            )
        )
    out = []
    for rule in ordered_rules(data):
        groups = by_rule.get(rule["id"], [])
        if rule["status"] in ("failed", "warning") or groups:
            ranked = sorted(enumerate(groups), key=lambda pair: (-pair[1].count, pair[0]))
            out.append(RuleFindings(rule, tuple(group for _, group in ranked)))
    return out


def similar(count: int) -> str:
    """The note on a representative finding, e.g. "×642 similar" (none for a single one)."""
    return f"×{count} similar" if count > 1 else ""
