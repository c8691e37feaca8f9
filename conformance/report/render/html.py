"""A self-contained HTML report: no network, no external assets, readable with JavaScript off.

The page answers two readers: a vendor's engineer (what to fix first, and the exact request
that shows it) and a marketplace reviewer (what was certified, when, against which catalogue).
Everything the provider controls is HTML-escaped exactly once, at the point where it enters
markup, and a Content-Security-Policy admits only this file's own inline script (by hash), so
a hostile body can never run script in the viewer. Expanding findings uses details/summary;
JavaScript only adds filters and copy buttons, so without it the page shows everything.

Stage: report.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html import escape
from typing import Any

from conformance.report.render.groups import (
    FindingGroup,
    RuleFindings,
    group_findings,
    ordered_rules,
    similar,
)

BODY_SHOWN = 4000
GROUPS_SHOWN = 100  # per rule; a provider with unique messages must not make a huge page
STATUSES = ("failed", "warning", "skipped", "passed")
STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1b1f24}
header{padding:16px 24px;color:#fff}
header.certified{background:#1a7f37}header.incomplete{background:#9a6700}
header.failed,header.error{background:#cf222e}header.interrupted{background:#57606a}
header h1{margin:0;font-size:24px}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:10px 0 0}
header dt{opacity:.85}header dd{margin:0;font-weight:600;word-break:break-all}
main{padding:16px 24px;max-width:1400px}
h2{margin:24px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
table{border-collapse:collapse;width:100%;margin:8px 0 24px}
th,td{border-bottom:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
.s-passed{color:#1a7f37}.s-failed{color:#cf222e;font-weight:600}
.s-warning{color:#9a6700;font-weight:600}.s-skipped{color:#57606a}
.families{display:grid;grid-template-columns:max-content minmax(200px,1fr) max-content;
gap:6px 12px;align-items:center}
.bar{display:flex;height:16px;border-radius:4px;overflow:hidden;background:#eaeef2}
.bar span{display:block;height:100%}
.b-passed{background:#2da44e}.b-failed{background:#cf222e}.b-warning{background:#d4a72c}
.b-skipped{background:#afb8c1}
.s-not_applicable{color:#8c959f}.b-not_applicable{background:#d0d7de}
.fix{border-left:4px solid #cf222e;background:#fff8f8;padding:8px 12px;margin:8px 0}
.fix h3{margin:0 0 4px;font-size:15px}.fix p{margin:2px 0}
.hint{font-weight:600}
.count{display:inline-block;background:#eaeef2;border-radius:10px;padding:0 8px;
margin-left:6px;font-size:12px;font-weight:600}
details{border:1px solid #d0d7de;border-radius:6px;margin:6px 0;padding:6px 10px}
summary{cursor:pointer}
.exchange{display:grid;grid-template-columns:1fr 1fr;gap:12px}
@media (max-width:900px){.exchange{grid-template-columns:1fr}}
.exchange h4{margin:8px 0 4px}
pre{background:#f6f8fa;padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all;
max-height:32em;margin:4px 0}
.j-key{color:#0550ae}.j-str{color:#0a3069}.j-num{color:#953800}.j-lit{color:#8250df}
.filters{margin:8px 0}.filters label{margin-right:12px}
.hidden{display:none}code{font-size:13px}
button.copy{font-size:12px}
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
_LEXER = re.compile(
    r'(?P<space>\s+)|(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d[\d.eE+-]*)'
    r"|(?P<lit>true|false|null)|(?P<open>[{\[])|(?P<close>[}\]])|(?P<comma>,)|(?P<colon>:)"
)


def _e(value: Any) -> str:
    """The one place provider text becomes markup."""
    return escape(str(value), quote=True)


def _clip(text: str) -> str:
    if len(text) > BODY_SHOWN:
        return text[:BODY_SHOWN] + f"… [{len(text) - BODY_SHOWN} more characters]"
    return text


def highlight_json(text: Any) -> str:
    """A body as markup: indented and coloured when it looks like JSON, else escaped text.

    Report bodies are excerpts, so a large JSON body arrives cut off mid-way; the lexer
    re-indents token by token and so serves whole and truncated JSON alike. Each token is
    escaped once and wrapped in a span; whatever the lexer does not recognise (the cut-off
    tail, or a body that is not JSON at all) is shown as escaped text.
    """
    raw = _clip(str(text or ""))
    body = raw.strip()
    if not body.startswith(("{", "[")):
        return _e(raw)
    out: list[str] = []
    depth, pos = 0, 0
    tokens = list(_LEXER.finditer(body))
    solid = [m for m in tokens if m.lastgroup != "space"]
    after = {id(m): (solid[i + 1][0] if i + 1 < len(solid) else "") for i, m in enumerate(solid)}
    for match in tokens:
        if match.start() != pos:
            break  # not JSON from here on: the rest is shown as text
        pos = match.end()
        kind = match.lastgroup or ""
        token = match[kind]
        following = after.get(id(match), "")
        if kind == "space":
            continue
        if kind == "open":
            depth += 1
            empty = following in ("}", "]")
            out.append(token if empty else token + "\n" + "  " * depth)
        elif kind == "close":
            depth = max(depth - 1, 0)
            previous = out[-1] if out else ""
            out.append(token if previous in ("{", "[") else "\n" + "  " * depth + token)
        elif kind == "comma":
            out.append(",\n" + "  " * depth)
        elif kind == "colon":
            out.append(": ")
        else:
            css = "key" if kind == "str" and following == ":" else kind
            out.append(f'<span class="j-{css}">{_e(token)}</span>')
    rest = body[pos:]
    return "".join(out) + _e(rest)


def _options(name: str, values: list[str]) -> str:
    options = "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in values)
    return (
        f'<label>{_e(name)} <select name="{_e(name)}"><option value="">all</option>'
        f"{options}</select></label>"
    )


def _headers(headers: dict[str, Any] | None) -> str:
    return _e("\n".join(f"{k}: {v}" for k, v in (headers or {}).items()))


def _exchange(finding: dict[str, Any]) -> str:
    request, response = finding.get("request") or {}, finding.get("response") or {}
    left = ""
    if request:
        left = (
            f"<div><h4>Request</h4><pre>{_e(request.get('method'))} {_e(request.get('url'))}"
            f"\n{_headers(request.get('headers'))}</pre>"
            + (f"<pre>{highlight_json(request['body'])}</pre>" if request.get("body") else "")
            + "</div>"
        )
    if response:
        truncated = " (truncated by the body cap)" if response.get("truncated") else ""
        right = (
            f"<div><h4>Response {_e(response.get('status'))} in "
            f"{_e(response.get('elapsed_ms'))} ms{truncated}</h4>"
            f"<pre>{_headers(response.get('headers'))}</pre>"
            f"<pre>{highlight_json(response.get('body'))}</pre></div>"
        )
    elif finding.get("error"):
        right = f"<div><h4>No response</h4><pre>{_e(finding['error'])}</pre></div>"
    else:
        right = ""
    return f'<div class="exchange">{left}{right}</div>' if left or right else ""


def _group(group: FindingGroup, rule: dict[str, Any]) -> str:
    example = group.example
    known = group.labels
    count = similar(group.count)
    parts = [
        f'<details id="g-{_e(group.fingerprint)}" data-level="{_e(rule["level"])}" '
        f'data-status="{_e(rule["status"])}" data-operation="{_e(group.operation)}">',
        f"<summary>[{_e(group.operation)}] {_e(group.message)}{known}"
        + (f'<span class="count">{_e(count)}</span>' if count else "")
        + "</summary>",
        f"<p><strong>Expected:</strong> {_e(rule.get('title', ''))}<br>"
        f"<strong>Got:</strong> {_e(group.message)}</p>",
    ]
    if example is None:
        parts.append(
            "<p>Every copy of this finding came after the listing cap; "
            "rerun with the same seed and <code>--only</code> this rule to see one.</p>"
        )
    else:
        parts.append(_exchange(example))
        if example.get("reproduce"):
            parts.append(
                "<p>Reproduce (export CLIENT_ID and CLIENT_SECRET first):</p>"
                f'<pre class="curl">{_e(example["reproduce"])}</pre>'
            )
    parts.append("</details>")
    return "".join(parts)


def _rule_findings(entry: RuleFindings) -> str:
    rule = entry.rule
    total = sum(g.count for g in entry.groups)
    groups = "".join(_group(g, rule) for g in entry.groups[:GROUPS_SHOWN])
    if len(entry.groups) > GROUPS_SHOWN:
        rest = entry.groups[GROUPS_SHOWN:]
        groups += (
            f"<p>{_e(len(rest))} more group(s) with {_e(sum(g.count for g in rest))} "
            "finding(s), each rarer than those above, are counted in report.json.</p>"
        )
    return (
        f'<section id="{_e(entry.anchor)}" data-level="{_e(rule["level"])}" '
        f'data-status="{_e(rule["status"])}"><h3><code>{_e(rule["id"])}</code> '
        f'<span class="s-{_e(rule["status"])}">{_e(rule["status"])}</span> '
        f"({_e(rule['level'])}) · {_e(total)} finding(s) in {_e(len(entry.groups))} "
        f"group(s)</h3>"
        + (f'<p class="hint">How to fix: {_e(rule["hint"])}</p>' if rule.get("hint") else "")
        + f"{groups}</section>"
    )


def _families(rules: list[dict[str, Any]]) -> str:
    counts: dict[str, dict[str, int]] = {}
    for rule in rules:
        family = counts.setdefault(rule["id"].split(".")[0], dict.fromkeys(STATUSES, 0))
        family[rule["status"]] = family.get(rule["status"], 0) + 1
    rows = []
    for name, family in counts.items():
        spans = "".join(
            f'<span class="b-{s}" style="flex:{n}" title="{n} {s}"></span>'
            for s, n in family.items()
            if n
        )
        text = " · ".join(f'<span class="s-{s}">{n} {s}</span>' for s, n in family.items() if n)
        rows.append(f'<div>{_e(name)}</div><div class="bar">{spans}</div><div>{text}</div>')
    return f'<div class="families">{"".join(rows)}</div>'


def _most_frequent(entry: RuleFindings) -> str:
    """The rule's most frequent finding on the first screen: its request line, what was
    expected and what came back, and the curl line that sends it again (with copy)."""
    if not entry.groups:
        return ""
    group = entry.groups[0]
    example = group.example or {}
    request = example.get("request") or {}
    total = sum(g.count for g in entry.groups)
    parts = [
        '<div class="top">',
        f"<p><strong>Most frequent</strong> ({_e(group.count)} of {_e(total)} finding(s)):</p>",
    ]
    if request:
        parts.append(
            f'<pre class="request">{_e(request.get("method"))} {_e(request.get("url"))}</pre>'
        )
    parts.append(
        f"<p><strong>Expected:</strong> {_e(entry.rule.get('title', ''))}<br>"
        f"<strong>Got:</strong> {_e(group.message)}</p>"
    )
    if example.get("reproduce"):
        parts.append(f'<pre class="curl">{_e(example["reproduce"])}</pre>')
    parts.append(f'<p><a href="#g-{_e(group.fingerprint)}">This finding in full</a></p></div>')
    return "".join(parts)


def _fix_first(entries: list[RuleFindings]) -> str:
    blocking = [e for e in entries if e.rule["status"] == "failed" and e.rule["level"] == "MUST"]
    if not blocking:
        return ""
    cards = "".join(
        f'<div class="fix"><h3><code>{_e(e.rule["id"])}</code> {_e(e.rule.get("title", ""))}'
        f'<span class="count">{_e(e.rule.get("failures", 0))} finding(s)</span></h3>'
        f"<p>Why: {_e(e.rule.get('rationale', ''))}</p>"
        + (f'<p class="hint">How to fix: {_e(e.rule["hint"])}</p>' if e.rule.get("hint") else "")
        + _most_frequent(e)
        + f'<p><a href="#{_e(e.anchor)}">See all its findings</a></p></div>'
        for e in blocking
    )
    return f'<section id="fix-first"><h2>Fix first: failing MUST rules</h2>{cards}</section>'


def _notes(data: dict[str, Any]) -> str:
    """How the run went beyond the rules: profile warnings, adaptations (e.g. fewer generated
    cases for a slow provider), suite errors, an interruption, and the writes it planned."""
    notes = [
        *(data.get("warnings") or []),
        *(data.get("notes") or []),
        *(data.get("suite_errors") or []),
    ]
    if data.get("interrupted_during"):
        not_run = ", ".join(data.get("steps_not_run") or []) or "none"
        notes.append(f"interrupted during {data['interrupted_during']}; not run: {not_run}")
    writes = (data.get("plan") or {}).get("writes") or []
    if not notes and not writes:
        return ""
    items = "".join(f"<li>{_e(n)}</li>" for n in notes)
    planned = "".join(f"<li>{_e(w)}</li>" for w in writes)
    return (
        '<section id="notes"><h2>Run notes</h2>'
        + (f"<ul>{items}</ul>" if items else "")
        + (
            f"<details><summary>Writes this run could make ({len(writes)})</summary>"
            f"<ul>{planned}</ul></details>"
            if writes
            else ""
        )
        + "</section>"
    )


def _header(data: dict[str, Any]) -> str:
    target = data.get("target") or {}
    manifest = target.get("manifest") or (data.get("manifest") or {}).get("source", "")
    catalogue = data.get("catalogue") or {}
    rows = [
        ("Manifest", manifest),
        ("Provider", target.get("base_url", "")),
        ("Channel", target.get("channel") or (data.get("profile") or {}).get("channel", "")),
        ("Suite", f"messaging-conformance {(data.get('suite') or {}).get('version', '')}"),
        (
            "Catalogue",
            f"{catalogue.get('version', 'unknown')} ({catalogue.get('rules', len(data['rules']))}"
            " rules)",
        ),
        ("Date", data.get("started_at", "")),
        ("Duration", f"{data.get('duration_s', 0)} s"),
        ("Seed", data.get("seed")),
        ("Requests sent", data.get("requests", 0)),
    ]
    summary = data.get("summary", {})
    counts = " · ".join(f"{summary.get(s, 0)} {s}" for s in STATUSES)
    cells = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    verdict = str(data["verdict"])
    return (
        f'<header class="{_e(verdict)}"><h1>Verdict: {_e(verdict.upper())}</h1>'
        f"<p>{_e(counts)}</p><dl>{cells}</dl></header>"
    )


def render_html(data: dict[str, Any]) -> str:
    verdict = str(data["verdict"])
    entries = group_findings(data)
    rules = ordered_rules(data)
    operations = sorted({g.operation for e in entries for g in e.groups if g.operation})
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
    findings_html = "".join(_rule_findings(e) for e in entries) or "<p>No findings.</p>"
    filters = (
        '<div class="filters hidden">'
        + _options("level", ["MUST", "SHOULD"])
        + _options("status", [*STATUSES, "not_applicable"])
        + _options("operation", operations)
        + "</div>"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>messaging-conformance: {_e(verdict)}</title><style>{STYLE}</style></head>
<body>{_header(data)}<main>{error}
<section id="overview"><h2>Rule families</h2>{_families(data["rules"])}</section>
{_fix_first(entries)}
{filters}
<section id="rules"><h2>Rules</h2>
<table><thead><tr><th>rule</th><th>level</th><th>status</th><th>checked</th><th>findings</th>
<th>note</th></tr></thead><tbody>{rows}</tbody></table></section>
<section id="findings"><h2>Findings</h2>{findings_html}</section>
{_notes(data)}
</main><script>{SCRIPT}</script></body></html>
"""
