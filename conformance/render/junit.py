"""JUnit XML: one testcase per rule, so CI viewers list rules as tests.

classname is the rule group (manifest, auth, ...), name the rule id; failed rules carry their
first findings, skipped rules the reason, SHOULD warnings pass with their findings in
system-out (they fail only under --strict, when they are failures here too).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

FINDINGS_SHOWN = 5


def _findings_text(findings: list[dict[str, Any]]) -> str:
    lines = []
    for finding in findings[:FINDINGS_SHOWN]:
        lines.append(f"[{finding['operation']}] {finding['message']}")
        if finding.get("reproduce"):
            lines.append(f"  reproduce: {finding['reproduce']}")
    if len(findings) > FINDINGS_SHOWN:
        lines.append(f"... and {len(findings) - FINDINGS_SHOWN} more in report.json")
    return "\n".join(lines)


def render_junit(data: dict[str, Any]) -> str:
    strict = bool(data.get("strict"))
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for finding in data.get("findings", []):
        by_rule.setdefault(finding["rule"], []).append(finding)
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
    for name in ("verdict", "seed", "strict"):
        ET.SubElement(properties, "property", {"name": name, "value": str(data.get(name))})
    if data.get("error"):
        error_case = ET.SubElement(suite, "testcase", {"classname": "run", "name": "run"})
        ET.SubElement(error_case, "error", {"message": data["error"], "type": "run-error"})
    for rule in data["rules"]:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": rule["id"].split(".")[0], "name": rule["id"], "time": "0"},
        )
        findings = by_rule.get(rule["id"], [])
        first = findings[0]["message"] if findings else rule.get("title", "")
        if rule["status"] == "failed" or (strict and rule["status"] == "warning"):
            failure = ET.SubElement(
                case,
                "failure",
                {"message": f"{rule['failures']} finding(s): {first}", "type": rule["level"]},
            )
            failure.text = _findings_text(findings)
        elif rule["status"] == "skipped":
            ET.SubElement(case, "skipped", {"message": rule.get("reason", "skipped")})
        elif rule["status"] == "warning":
            out = ET.SubElement(case, "system-out")
            out.text = f"WARNING (SHOULD): {_findings_text(findings)}"
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
