"""A short Markdown summary for pull-request comments, merge-request notes and CI summaries.

Same order and grouping as the HTML page (conformance.report.render.groups): failing rules first,
each with its how-to-fix hint and its findings grouped by fingerprint with their counts.

Stage: report.
"""

from __future__ import annotations

from typing import Any

from conformance.report.baseline import GROUPS_LISTED, counted, times
from conformance.report.render.groups import group_findings, similar

ICONS = {"certified": "✅", "incomplete": "⚠️", "failed": "❌", "error": "⛔", "interrupted": "⏹️"}
GROUPS_SHOWN = 5


def _cell(text: Any, limit: int = 160) -> str:
    """Provider text in a table cell: one line, no pipes or HTML that would break the table."""
    value = " ".join(str(text).split())
    value = value.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _target(data: dict[str, Any]) -> str:
    target = data.get("target") or {}
    catalogue = data.get("catalogue") or {}
    parts = [
        f"Target `{_cell(target.get('base_url', ''))}` (manifest "
        f"`{_cell(target.get('manifest', ''))}`, channel `{_cell(target.get('channel', ''))}`)"
        if target
        else "",
        f"suite {(data.get('suite') or {}).get('version', '')}",
        f"catalogue {catalogue.get('version', 'unknown')}",
        str(data.get("started_at", "")),
    ]
    return " · ".join(p for p in parts if p)


def render_markdown(data: dict[str, Any]) -> str:
    summary = data.get("summary", {})
    verdict = data["verdict"]
    lines = [
        f"## {ICONS.get(verdict, '')} messaging-conformance: {verdict.upper()}",
        "",
        _target(data),
        "",
        f"Seed `{data.get('seed')}` · {summary.get('passed', 0)} passed · "
        f"{summary.get('failed', 0)} failed · {summary.get('warning', 0)} warnings · "
        f"{summary.get('skipped', 0)} skipped · {data.get('requests', 0)} requests in "
        f"{data.get('duration_s', 0)} s",
    ]
    if data.get("error"):
        lines += ["", f"**Run error:** {_cell(data['error'])}"]
    entries = [e for e in group_findings(data) if e.rule["status"] in ("failed", "warning")]
    if entries:
        lines += ["", "| rule | level | findings | how to fix |", "|---|---|---|---|"]
        for entry in entries:
            rule = entry.rule
            lines.append(
                f"| `{rule['id']}` | {rule['level']} | {rule['failures']} | "
                f"{_cell(rule.get('hint', ''))} |"
            )
        lines += ["", "<details><summary>Findings, grouped</summary>", ""]
        for entry in entries:
            lines.append(f"- `{entry.rule['id']}`")
            for group in entry.groups[:GROUPS_SHOWN]:
                count = similar(group.count)
                known = group.labels
                lines.append(
                    f"  - [{_cell(group.operation)}] {_cell(group.message)}"
                    f"{f' **{count}**' if count else ''}{known}"
                )
            if len(entry.groups) > GROUPS_SHOWN:
                lines.append(
                    f"  - … and {len(entry.groups) - GROUPS_SHOWN} more group(s) in report.html"
                )
        lines += ["", "</details>"]
    skipped = [r for r in data["rules"] if r["status"] == "skipped"]
    if skipped:
        lines += ["", "<details><summary>Skipped rules</summary>", ""]
        lines += [f"- `{r['id']}`: {_cell(r.get('reason', ''))}" for r in skipped]
        lines += ["", "</details>"]
    notes = [*(data.get("warnings") or []), *(data.get("notes") or [])]
    if notes:
        lines += ["", "Run notes:", ""] + [f"- {_cell(n, 300)}" for n in notes]
    baseline = data.get("baseline")
    if baseline:
        lines += [
            "",
            f"Baseline: {len(baseline['new'])} new, {len(baseline['fixed'])} fixed, "
            f"{len(baseline['persisting'])} persisting failing rule(s).",
        ]
        lines += _baseline_findings(data, baseline)
    return "\n".join(lines) + "\n"


def _baseline_findings(data: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """New, fixed and did-not-reproduce findings for a nightly job's summary."""
    lines = []
    if baseline.get("new"):
        rules = ", ".join(f"`{rule}`" for rule in baseline["new"])
        lines.append(f"- newly failing rule(s) ({len(baseline['new'])}): {rules}")
    for label, key in (
        ("new", "new_findings"),
        ("did not reproduce", "did_not_reproduce_findings"),
    ):
        # one fingerprint per new finding: listed once, most frequent first, with its count
        groups = counted(data, key)
        for finding, count in groups[:GROUPS_LISTED]:
            lines.append(
                f"- {label}{times(count)}: `{finding['rule']}` {_cell(finding['message'], 400)}"
            )
        if len(groups) > GROUPS_LISTED:
            lines.append(f"- {label}: ... and {len(groups) - GROUPS_LISTED} more finding(s)")
    if baseline.get("skipped"):
        lines.append(f"- passed before, skipped now: {', '.join(baseline['skipped'])}")
    if baseline.get("fixed_findings"):
        lines.append(f"- fixed: {baseline['fixed_findings']} finding(s)")
    return [""] + lines if lines else []
