"""certificate.html (one page a person reads) and badge.svg, both rendered from the
certificate alone, so they can say nothing the signed Statement does not.

Every value comes from the Statement and is escaped where it enters markup; the page has no
script and no external asset, the badge is static SVG.

Stage: certificate.
"""

from __future__ import annotations

from html import escape
from typing import Any

from conformance.certificate import dsse
from conformance.certificate.statement import decode

STYLE = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1b1f24}
header{background:#1a7f37;color:#fff;padding:18px 28px}header h1{margin:0;font-size:24px}
main{padding:16px 28px;max-width:900px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}
dt{color:#57606a}dd{margin:0;font-weight:600;word-break:break-all}
pre{background:#f6f8fa;padding:10px;white-space:pre-wrap;word-break:break-all}
"""


def _statement(envelope: dict[str, Any]) -> dict[str, Any]:
    statement = decode(dsse.payload_of(envelope))
    if statement is None:
        raise ValueError("the certificate's payload is not a messaging-conformance Statement")
    return statement


def verify_command(statement: dict[str, Any]) -> str:
    subject = statement["subject"][0]["name"]
    return (
        "messaging-conformance verify certificate.json --key SIGNER.pub "
        f"--har run.har --report report.json --manifest {subject}"
    )


def _date(stamp: str) -> str:
    return str(stamp)[:10]


def render_certificate_html(envelope: dict[str, Any]) -> str:
    statement = _statement(envelope)
    predicate, subject = statement["predicate"], statement["subject"][0]
    rules = predicate.get("rules", {})
    counts: dict[str, int] = {}
    for status in rules.values():
        counts[status] = counts.get(status, 0) + 1
    keyids = ", ".join(s.get("keyid", "?") for s in envelope.get("signatures", []))
    rows = [
        ("Manifest", subject["name"]),
        ("Manifest sha256", subject["digest"]["sha256"]),
        ("Provider", predicate.get("provider") or ""),
        ("Channel", predicate.get("channel") or ""),
        ("Certified on", predicate["issued_at"]),
        ("Valid until", predicate["expires_at"]),
        ("Suite", f"messaging-conformance {predicate['suite']['version']}"),
        ("Catalogue", predicate["catalogue"]["version"]),
        ("Spec sha256", predicate["spec"]["sha256"]),
        ("Seed", str(predicate.get("seed"))),
        ("Rules", ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))),
        ("Run started", predicate.get("run_started_at") or ""),
        ("Signed by key", keyids),
        ("report.json sha256", predicate["evidence"]["report.json"]["sha256"]),
        ("run.har sha256", predicate["evidence"]["run.har"]["sha256"]),
    ]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in rows)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Pipedrive messaging: certified ({escape(_date(predicate["issued_at"]))})</title>
<style>{STYLE}</style></head>
<body><header><h1>Pipedrive messaging: certified</h1>
<p>{escape(subject["name"])} passed every rule of the messaging-conformance catalogue that
applies to it, on {escape(_date(predicate["issued_at"]))}; this certificate holds until
{escape(_date(predicate["expires_at"]))}.</p></header>
<main><dl id="certificate">{items}</dl>
<h2>Check it yourself</h2>
<p>The certificate is a DSSE envelope (in-toto Statement v1) signed with Ed25519. With the
signer's public key, the recorded run (run.har) and its report, anyone can check the
signature, the expiry, the digests, and judge the recorded run again offline:</p>
<pre id="verify">{escape(verify_command(statement))}</pre>
</main></body></html>
"""


def render_badge(envelope: dict[str, Any]) -> str:
    statement = _statement(envelope)
    date = _date(statement["predicate"]["issued_at"])
    left, right = "Pipedrive messaging", f"certified {date}"
    lw, rw = 7 * len(left) + 12, 7 * len(right) + 12
    width = lw + rw
    label = escape(f"Pipedrive messaging: certified {date}")
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" \
aria-label="{label}">
<title>{label}</title>
<rect width="{lw}" height="20" fill="#555"/>
<rect x="{lw}" width="{rw}" height="20" fill="#1a7f37"/>
<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">
<text x="{lw / 2:.1f}" y="14">{escape(left)}</text>
<text x="{lw + rw / 2:.1f}" y="14">{escape(right)}</text>
</g></svg>
"""
