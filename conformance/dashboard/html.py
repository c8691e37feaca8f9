"""The dashboard page: one static, self-contained HTML file rendered from dashboard.json.

No script, no external asset: every cell is in the markup, so the page reads the same in
any browser, with JavaScript off, and from a CI artifact. Every value (provider names come
from folder names, targets from reports) is escaped where it enters markup.

Stage: dashboard.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

STYLE = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1b1f24}
header{background:#24292f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:22px}
main{padding:12px 24px}
table{border-collapse:collapse;margin:8px 0 24px}
th,td{border:1px solid #d0d7de;padding:4px 6px;text-align:left;white-space:nowrap}
th{background:#f6f8fa;font-weight:600}
.s-certified,.s-passed{background:#dafbe1}.s-failed{background:#ffebe9;font-weight:600}
.s-incomplete,.s-warning{background:#fff8c5}.s-skipped{background:#eaeef2}
.s-not_applicable{color:#8c959f}.s-error,.s-interrupted{background:#ffd8d3}
.trend{display:flex;gap:1px}.trend a,.trend span.n{display:block;width:8px;height:16px}
.v-certified{background:#2da44e}.v-failed{background:#cf222e}.v-incomplete{background:#d4a72c}
.v-error,.v-interrupted{background:#57606a}
.change{font-size:12px;color:#57606a}.expired{color:#cf222e;font-weight:600}
"""
ABBREVIATION = {
    "passed": "ok",
    "failed": "FAIL",
    "warning": "warn",
    "skipped": "skip",
    "not_applicable": "n/a",
}


def _link(path: str | None, text: str) -> str:
    if not path:
        return escape(text)
    return f'<a href="{escape(quote(path))}">{escape(text)}</a>'


def _change(night: dict[str, Any]) -> str:
    return (
        f"{len(night['new'])} new, {len(night['fixed'])} fixed, "
        f"{len(night['persisting'])} persisting"
    )


def _trend(nights: list[dict[str, Any]]) -> str:
    cells = []
    for night in nights:
        detail = f"{night['started_at']}: {night['verdict']}; {_change(night)}"
        if night["new"]:
            detail += " (new: " + ", ".join(night["new"]) + ")"
        if night["fixed"]:
            detail += " (fixed: " + ", ".join(night["fixed"]) + ")"
        attrs = (
            f'class="n v-{escape(str(night["verdict"]))}" title="{escape(detail)}" '
            f'data-night="{escape(night["started_at"])}" data-new="{len(night["new"])}" '
            f'data-fixed="{len(night["fixed"])}" data-persisting="{len(night["persisting"])}"'
        )
        if night.get("report_html"):
            cells.append(f'<a {attrs} href="{escape(quote(night["report_html"]))}"></a>')
        else:
            cells.append(f"<span {attrs}></span>")
    return f'<div class="trend">{"".join(cells)}</div>'


def _certificate(certificate: dict[str, Any] | None, latest: str) -> str:
    if certificate is None:
        return '<td class="cert">none</td>'
    expires = certificate.get("expires_at")
    if not expires:
        return '<td class="cert expired">unreadable</td>'
    note = "" if certificate.get("covers_report") else " (another report)"
    late = " expired" if latest and expires <= latest else ""
    return (
        f'<td class="cert{late}" data-expires="{escape(expires)}">{escape(expires[:10])}{note}</td>'
    )


def _row(provider: dict[str, Any], families: list[str]) -> str:
    latest = provider["nights"][-1]
    verdict = str(provider["verdict"])
    cells = [
        f'<th scope="row">{escape(provider["name"])}</th>',
        f'<td class="verdict s-{escape(verdict)}">{escape(verdict)}</td>',
    ]
    for family in families:
        status = provider["families"].get(family)
        if status is None:
            cells.append(f'<td data-family="{escape(family)}"></td>')
        else:
            cells.append(
                f'<td data-family="{escape(family)}" class="s-{escape(status)}">'
                f"{ABBREVIATION.get(status, escape(status))}</td>"
            )
    cells += [
        f"<td>{_trend(provider['nights'])}</td>",
        f'<td class="change" data-new="{len(latest["new"])}" data-fixed="{len(latest["fixed"])}"'
        f' data-persisting="{len(latest["persisting"])}">{_change(latest)}</td>',
        _certificate(provider.get("certificate"), latest["started_at"]),
        f"<td>{_link(latest.get('report_html'), latest['started_at'] or 'report')}</td>",
    ]
    return (
        f'<tr data-provider="{escape(provider["name"])}" data-verdict="{escape(verdict)}">'
        + "".join(cells)
        + "</tr>"
    )


def render_dashboard(document: dict[str, Any]) -> str:
    families = document["families"]
    providers = document["providers"]
    certified = sum(1 for p in providers if p["verdict"] == "certified")
    head = "".join(f"<th>{escape(f)}</th>" for f in families)
    rows = "\n".join(_row(p, families) for p in providers)
    problems = "".join(f"<li>{escape(p)}</li>" for p in document.get("problems", []))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>messaging-conformance: {certified} of {len(providers)} provider(s) certified</title>
<style>{STYLE}</style></head>
<body><header><h1>messaging-conformance dashboard</h1>
<p id="totals">{certified} of {len(providers)} provider(s) certified on their latest run</p>
</header><main>
<table id="grid"><thead><tr><th>provider</th><th>verdict</th>{head}<th>trend (nights, oldest
first)</th><th>latest change</th><th>certificate until</th><th>latest report</th></tr></thead>
<tbody>
{rows}
</tbody></table>
{f'<h2>Reports not read</h2><ul id="problems">{problems}</ul>' if problems else ""}
</main></body></html>
"""
