"""JUnit XML: one testcase per rule, so CI viewers list rules as tests.

classname is the rule group (manifest, auth, ...), name the rule id; failed rules carry their
first findings, skipped rules the reason, SHOULD warnings pass with their findings in
system-out (they fail only under --strict, when they are failures here too).

Stage: report.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from conformance.report.render.groups import RuleFindings, group_findings, similar

GROUPS_SHOWN = 5


def _findings_text(entry: RuleFindings | None) -> str:
    if entry is None:
        return ""
    lines = [f"How to fix: {entry.rule['hint']}"] if entry.rule.get("hint") else []
    for group in entry.groups[:GROUPS_SHOWN]:
        count = similar(group.count)
        lines.append(
            f"[{group.operation}] {group.message}{group.labels}" + (f" ({count})" if count else "")
        )
        example = group.example
        if example and example.get("reproduce"):
            lines.append(f"  reproduce: {example['reproduce']}")
    if len(entry.groups) > GROUPS_SHOWN:
        lines.append(f"... and {len(entry.groups) - GROUPS_SHOWN} more group(s) in report.html")
    return "\n".join(lines)


def _properties(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Run facts CI viewers show next to the tests: the verdict and what was certified."""
    target = data.get("target") or {}
    return [
        ("verdict", str(data.get("verdict"))),
        ("seed", str(data.get("seed"))),
        ("strict", str(data.get("strict"))),
        ("target.manifest", str(target.get("manifest", ""))),
        ("target.base_url", str(target.get("base_url", ""))),
        ("target.channel", str(target.get("channel", ""))),
        ("suite.version", str((data.get("suite") or {}).get("version", ""))),
        ("catalogue.version", str((data.get("catalogue") or {}).get("version", ""))),
        ("started_at", str(data.get("started_at", ""))),
    ]


def render_junit(data: dict[str, Any]) -> str:
    strict = bool(data.get("strict"))
    # a rule of a side the run did not include is no test case at all (neither pass nor skip)
    data = {**data, "rules": [r for r in data["rules"] if r["status"] != "not_applicable"]}
    by_rule = {entry.rule["id"]: entry for entry in group_findings(data)}
    failures = sum(
        1 for r in data["rules"] if r["status"] == "failed" or (strict and r["status"] == "warning")
    )
    skipped = sum(1 for r in data["rules"] if r["status"] == "skipped")
    suite = ET.Element(
        "testsuite",
        {
            "name": "messaging-conformance",
            "tests": str(len(data["rules"])),
            "failures": str(failures),
            "errors": "1" if data.get("error") else "0",
            "skipped": str(skipped),
            "time": f"{float(data.get('duration_s', 0.0)):.3f}",
            "timestamp": str(data.get("started_at", "")).rstrip("Z"),
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(data):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    if data.get("error"):
        error_case = ET.SubElement(suite, "testcase", {"classname": "run", "name": "run"})
        ET.SubElement(error_case, "error", {"message": data["error"], "type": "run-error"})
    for rule in data["rules"]:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": rule["id"].split(".")[0], "name": rule["id"], "time": "0"},
        )
        entry = by_rule.get(rule["id"])
        first = entry.groups[0].message if entry and entry.groups else rule.get("title", "")
        if rule["status"] == "failed" or (strict and rule["status"] == "warning"):
            failure = ET.SubElement(
                case,
                "failure",
                {"message": f"{rule['failures']} finding(s): {first}", "type": rule["level"]},
            )
            failure.text = _findings_text(entry)
        elif rule["status"] == "skipped":
            ET.SubElement(case, "skipped", {"message": rule.get("reason", "skipped")})
        elif rule["status"] == "warning":
            out = ET.SubElement(case, "system-out")
            out.text = f"WARNING (SHOULD): {_findings_text(entry)}"
    root = ET.Element(
        "testsuites",
        {
            "name": "messaging-conformance",
            "tests": suite.get("tests", "0"),
            "failures": str(failures),
            "errors": suite.get("errors", "0"),
            "skipped": str(skipped),
            "time": suite.get("time", "0"),
        },
    )
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
