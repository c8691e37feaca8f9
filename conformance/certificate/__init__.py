"""Evidence that travels: a signed certificate of a certified run, checkable offline.

`certify` writes, next to the run's report.json and run.har, `certificate.json` (a DSSE
envelope around an in-toto Statement v1, signed with the vendor's Ed25519 key),
`certificate.html` and `badge.svg` (both rendered from certificate.json). `verify` checks
the signature, the expiry, the suite and catalogue versions and, given them, the HAR
(digest, and judged again offline with this suite's `rejudge`), the report and the
manifest served now.

    dsse.py       the envelope (PAE, sign, verify) and the key files
    statement.py  what is certified, from the finished report.json
    verify.py     the checks, one pure function each
    render.py     certificate.html and badge.svg
    cli.py        the subcommands certify, verify, keygen

Stage: certificate.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this package to build its parser: no crypto import then
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DEFAULT_VALID_DAYS = 90
FILENAMES = {"json": "certificate.json", "html": "certificate.html", "badge": "badge.svg"}


def issue(
    report_bytes: bytes,
    har_bytes: bytes,
    key: Ed25519PrivateKey,
    *,
    now: datetime,
    valid_days: int = DEFAULT_VALID_DAYS,
) -> dict:
    """The signed certificate (DSSE envelope) of the run whose report.json and HAR these are;
    the caller has checked the run earned it (`statement.not_certified_reason`)."""
    from conformance.certificate import dsse
    from conformance.certificate.statement import encode, statement

    report = json.loads(report_bytes)
    body = statement(report, report_bytes, har_bytes, now=now, valid_days=valid_days)
    return dsse.sign(encode(body), key)


def write_certificate(envelope: dict, directory: str | Path) -> dict[str, Path]:
    """certificate.json, certificate.html and badge.svg into `directory`."""
    from conformance.certificate.render import render_badge, render_certificate_html
    from conformance.report.render import write_text

    directory = Path(directory)
    texts = {
        "json": json.dumps(envelope, indent=2) + "\n",
        "html": render_certificate_html(envelope),
        "badge": render_badge(envelope),
    }
    return {kind: write_text(directory / FILENAMES[kind], text) for kind, text in texts.items()}
