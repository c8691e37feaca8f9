"""A self-contained HTML report: no network, no external assets, readable with JavaScript off.

Everything the provider controls is HTML-escaped, and a Content-Security-Policy admits only
this file's own inline script (by hash), so a hostile body can never run script in the viewer.
JavaScript only adds filters and copy buttons; without it the page shows everything.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Any

BODY_SHOWN = 1500
STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1b1f24}
header{padding:16px 24px;color:#fff}
header.certified{background:#1a7f37}header.incomplete{background:#9a6700}
header.failed,header.error{background:#cf222e}
header h1{margin:0;font-size:22px}header p{margin:4px 0 0}
main{padding:16px 24px}
table{border-collapse:collapse;width:100%;margin:8px 0 24px}
th,td{border-bottom:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
.s-passed{color:#1a7f37}.s-failed{color:#cf222e;font-weight:600}
.s-warning{color:#9a6700;font-weight:600}.s-skipped{color:#57606a}
details{border:1px solid #d0d7de;border-radius:6px;margin:6px 0;padding:6px 10px}
summary{cursor:pointer}
pre{background:#f6f8fa;padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all;
max-height:24em}
.filters{margin:8px 0}.filters label{margin-right:12px}
.hidden{display:none}code{font-size:13px}
button.copy{margin-left:8px;font-size:12px}
"""
SCRIPT = """
(function(){
  var controls = document.querySelectorAll('.filters select');
  function apply(){
    var want = {};
    controls.forEach(function(c){ want[c.name] = c.value; });
    document.querySelectorAll('[data-level]').forEach(function(el){
      var show = Object.keys(want).every(function(k){
        var have = el.getAttribute('data-' + k);
        return !want[k] || have === null || have === want[k];
      });
      el.classList.toggle('hidden', !show);
    });
  }
  controls.forEach(function(c){ c.addEventListener('change', apply); });
  document.querySelectorAll('.filters').forEach(function(f){ f.classList.remove('hidden'); });
  document.querySelectorAll('pre.curl').forEach(function(pre){
    var button = document.createElement('button');
    button.className = 'copy';
    button.type = 'button';
    button.textContent = 'copy';
    button.addEventListener('click', function(){
      if (navigator.clipboard) { navigator.clipboard.writeText(pre.textContent); }
      button.textContent = 'copied';
    });
    pre.parentNode.insertBefore(button, pre);
  });
})();
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _body(text: Any) -> str:
    value = str(text or "")
    if len(value) > BODY_SHOWN:
        value = value[:BODY_SHOWN] + f"… [{len(value) - BODY_SHOWN} more characters]"
    return _e(value)


def _options(name: str, values: list[str]) -> str:
    options = "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in values)
    return (
        f'<label>{_e(name)} <select name="{_e(name)}"><option value="">all</option>'
        f"{options}</select></label>"
    )


def _finding(finding: dict[str, Any], status: str) -> str:
    request, response = finding.get("request") or {}, finding.get("response") or {}
    parts = [
        f'<details data-level="{_e(finding["level"])}" data-status="{_e(status)}" '
        f'data-operation="{_e(finding["operation"])}">',
        f"<summary><code>{_e(finding['rule'])}</code> [{_e(finding['operation'])}] "
        f"{_e(finding['message'])}{' (known)' if finding.get('known') else ''}</summary>",
    ]
    if request:
        parts.append(
            f"<p>Request: <code>{_e(request.get('method'))} {_e(request.get('url'))}</code></p>"
        )
    if response:
        parts.append(
            f"<p>Response: {_e(response.get('status'))} in "
            f"{_e(response.get('elapsed_ms'))} ms</p>"
            f"<pre>{_body(response.get('body'))}</pre>"
        )
    if finding.get("error"):
        parts.append(f"<p>No response: {_e(finding['error'])}</p>")
    if finding.get("reproduce"):
        parts.append(
            f"<p>Reproduce (export CLIENT_ID and CLIENT_SECRET first):</p>"
            f'<pre class="curl">{_e(finding["reproduce"])}</pre>'
        )
    parts.append("</details>")
    return "".join(parts)


def render_html(data: dict[str, Any]) -> str:
    verdict = str(data["verdict"])
    summary = data.get("summary", {})
    rules = data["rules"]
    findings = data.get("findings", [])
    operations = sorted({f["operation"] for f in findings if f.get("operation")})
    script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    csp = (
        f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{script_hash}'"
    )
    rows = "".join(
        f'<tr data-level="{_e(r["level"])}" data-status="{_e(r["status"])}">'
        f"<td><code>{_e(r['id'])}</code></td><td>{_e(r['level'])}</td>"
        f'<td class="s-{_e(r["status"])}">{_e(r["status"])}</td><td>{_e(r["checked"])}</td>'
        f"<td>{_e(r.get('failures', 0))}</td><td>{_e(r.get('reason') or r.get('title', ''))}"
        "</td></tr>"
        for r in rules
    )
    error = f"<p><strong>Run error:</strong> {_e(data['error'])}</p>" if data.get("error") else ""
    status_of = {r["id"]: r["status"] for r in rules}
    findings_html = "".join(_finding(f, status_of.get(f["rule"], "failed")) for f in findings)
    findings_html = findings_html or "<p>No findings.</p>"
    more = data.get("findings_total", len(findings)) - len(findings)
    more_note = f"<p>{more} more finding(s) are counted but not listed.</p>" if more > 0 else ""
    filters = (
        '<div class="filters hidden">'
        + _options("level", ["MUST", "SHOULD"])
        + _options("status", ["passed", "failed", "warning", "skipped"])
        + _options("operation", operations)
        + "</div>"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>messaging-conformance: {_e(verdict)}</title><style>{STYLE}</style></head>
<body><header class="{_e(verdict)}"><h1>Verdict: {_e(verdict.upper())}</h1>
<p>seed {_e(data.get("seed"))} · {_e(summary.get("passed", 0))} passed ·
{_e(summary.get("failed", 0))} failed · {_e(summary.get("warning", 0))} warnings ·
{_e(summary.get("skipped", 0))} skipped · {_e(data.get("requests", 0))} requests ·
{_e(data.get("duration_s", 0))} s · suite {_e((data.get("suite") or {}).get("version", ""))}
</p></header><main>{error}
{filters}
<h2>Rules</h2>
<table><thead><tr><th>rule</th><th>level</th><th>status</th><th>checked</th><th>findings</th>
<th>note</th></tr></thead><tbody>{rows}</tbody></table>
<h2>Findings</h2>{findings_html}{more_note}
</main><script>{SCRIPT}</script></body></html>
"""
