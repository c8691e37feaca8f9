"""A short Markdown summary for PR comments and CI step summaries."""

from __future__ import annotations

from typing import Any

ICONS = {"certified": "✅", "incomplete": "⚠️", "failed": "❌", "error": "⛔"}


def _cell(text: Any, limit: int = 160) -> str:
    """Provider text in a table cell: one line, no pipes or HTML that would break the table."""
    value = " ".join(str(text).split())
    value = value.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return value if len(value) <= limit else value[: limit - 1] + "…"


def render_markdown(data: dict[str, Any]) -> str:
    summary = data.get("summary", {})
    verdict = data["verdict"]
    lines = [
        f"## {ICONS.get(verdict, '')} messaging-conformance: {verdict.upper()}",
        "",
        f"Seed `{data.get('seed')}` · {summary.get('passed', 0)} passed · "
        f"{summary.get('failed', 0)} failed · {summary.get('warning', 0)} warnings · "
        f"{summary.get('skipped', 0)} skipped · {data.get('requests', 0)} requests in "
        f"{data.get('duration_s', 0)} s",
    ]
    if data.get("error"):
        lines += ["", f"**Run error:** {_cell(data['error'])}"]
    first: dict[str, dict[str, Any]] = {}
    for finding in data.get("findings", []):
        first.setdefault(finding["rule"], finding)
    flagged = [r for r in data["rules"] if r["status"] in ("failed", "warning")]
    if flagged:
        lines += ["", "| rule | level | findings | first finding |", "|---|---|---|---|"]
        for rule in flagged:
            finding = first.get(rule["id"])
            known = " (known)" if finding and finding.get("known") else ""
            lines.append(
                f"| `{rule['id']}` | {rule['level']} | {rule['failures']} | "
                f"{_cell(finding['message']) if finding else ''}{known} |"
            )
    skipped = [r for r in data["rules"] if r["status"] == "skipped"]
    if skipped:
        lines += ["", "<details><summary>Skipped rules</summary>", ""]
        lines += [f"- `{r['id']}`: {_cell(r.get('reason', ''))}" for r in skipped]
        lines += ["", "</details>"]
    baseline = data.get("baseline")
    if baseline:
        lines += [
            "",
            f"Baseline: {len(baseline['new'])} new, {len(baseline['fixed'])} fixed, "
            f"{len(baseline['persisting'])} persisting failing rule(s).",
        ]
    return "\n".join(lines) + "\n"
