"""The baseline's "new" lists, grouped: one nightly summary once showed 19 copies of one
finding in its 20 "new" lines, and hid 9 of 11 newly failing rules. Hand-made reports."""

from __future__ import annotations

from conformance.faces.cli import baseline_lines
from conformance.report.baseline import diff, fingerprint, render_diff
from conformance.report.canonical import apply_baseline
from conformance.report.render.markdown import _baseline_findings

LONG = "getTemplates answered a body whose data.code is not the code its status needs " * 3
NEW_RULES = [f"rule.new-{n:02d}" for n in range(11)]


def finding(rule: str, message: str) -> dict:
    return {
        "rule": rule,
        "level": "MUST",
        "operation": "getTemplates",
        "message": message,
        "fingerprint": fingerprint(rule, "getTemplates", message),
    }


def reports() -> tuple[dict, dict]:
    rules = ["error.envelope", *NEW_RULES]
    old = {
        "schema_version": 1,
        "rules": [
            {"id": r, "level": "MUST", "status": "failed" if r == "error.envelope" else "passed"}
            for r in rules
        ],
        "findings": [finding("error.envelope", "a known one")],
    }
    findings = [finding("error.envelope", "a known one")]
    # 19 copies of one defect, differing only in a volatile number: one fingerprint
    findings += [finding("error.envelope", f"{LONG} (request {n})") for n in range(19)]
    findings += [finding(rule, f"{rule} broke") for rule in NEW_RULES]
    new = {
        "schema_version": 1,
        "rules": [{"id": r, "level": "MUST", "status": "failed"} for r in rules],
        "findings": findings,
    }
    return old, new


def test_summary_md_lists_every_new_rule_and_each_new_finding_once_with_its_count() -> None:
    old, new = reports()
    data = apply_baseline(new, old, "old.json")
    lines = _baseline_findings(data, data["baseline"])
    assert f"- newly failing rule(s) (11): {', '.join(f'`{r}`' for r in NEW_RULES)}" in lines
    copies = [line for line in lines if LONG.split()[0] in line]
    assert len(copies) == 1 and copies[0].startswith("- new (x19): `error.envelope` ")
    assert sum(line.startswith("- new: `rule.new-") for line in lines) == 11  # none hidden


def test_console_lists_new_rules_and_groups_new_findings_whole() -> None:
    old, new = reports()
    lines = baseline_lines(apply_baseline(new, old, "old.json"))
    assert [line for line in lines if line.startswith("  new rule: ")] == [
        f"  new rule: {rule}" for rule in NEW_RULES
    ]
    (grouped,) = [line for line in lines if "(request" in line]
    assert grouped == f"  new (x19): error.envelope: {' '.join(LONG.split())} (request 0)"
    assert lines[-1] == "  ... and 2 more new finding(s) in summary.md"  # 12 distinct, 10 shown


def test_diff_groups_a_repeated_new_finding_and_never_cuts_its_message() -> None:
    old, new = reports()
    text = render_diff(diff(old, new))
    (line,) = [line for line in text.splitlines() if "(request" in line]
    assert line.endswith("(request 0) (x19)") and " ".join(LONG.split()) in line
