"""No credential in any output, in any encoding, even from a provider that echoes everything.

The provider here echoes every request header, the decoded Basic credentials and the query
string into every body (as a JSON field, and as raw text on 401 and 5xx) and into response
headers, on every status, in the encodings a real provider might use: raw, base64 (standard
and URL-safe, of the whole request, so the credential sits at any offset), percent-encoded
and JSON-escaped. The scan decodes on its own (not with the suite's `Redactor`), so a gap in
the redactor cannot hide itself.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import pytest

from conformance.reference import ReferenceConfig
from tests.commands import cli
from tests.faults import _chain, before, provider, rewrite

CLIENT_ID = "echo-client"
# Long, distinctive, and full of characters that encoders escape differently.
SECRET = "Zq7/echo+Secret~long=Value_2026-x!Kp"
TOKEN_RE = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


# -- the scan (independent of conformance.redact) ----------------------------------------
def _json_unescape(text: str) -> str:
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return text.replace("\\/", "/").replace('\\"', '"').replace("\\\\", "\\")


def _forms(text: str) -> set[str]:
    """The text as a reader could decode it once: percent, plus, HTML and JSON escapes."""
    forms = {text, unquote(text), unquote_plus(text), html.unescape(text), _json_unescape(text)}
    return forms | {_json_unescape(html.unescape(form)) for form in forms}


def _decodings(token: str) -> list[str]:
    """Every base64 reading of a token: standard and URL-safe, at each of four alignments."""
    out = []
    for shift in range(4):
        body = token[shift:].rstrip("=")
        body = body[: len(body) - len(body) % 4] if len(body) % 4 == 1 else body
        padded = body + "=" * (-len(body) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                out.append(decode(padded).decode("utf-8", errors="replace"))
            except (binascii.Error, ValueError):
                pass
    return out


def leaks(text: str, secret: str = SECRET, depth: int = 3) -> list[str]:
    """Where `secret` can be read out of `text`: directly, or by decoding base64 tokens
    (nested: base64 of a request that carries a base64 header)."""
    found = []
    for form in _forms(text):
        if secret in form:
            found.append(f"plain: ...{form[max(0, form.index(secret) - 40) :][:120]}...")
        if depth == 0:
            continue
        for token in set(TOKEN_RE.findall(form)):
            for decoded in _decodings(token):
                if leaks(decoded, secret, depth - 1):
                    found.append(f"base64: {token[:80]}")
    return found


def test_the_scan_finds_every_encoding_the_provider_uses() -> None:
    """The scan itself must be able to fail, or the end-to-end test proves nothing."""
    pair = f"conformance-wrong-client-id:{SECRET}"
    echoes = _echoes(f"Basic {base64.b64encode(pair.encode()).decode()}", "a=1")
    for name, text in echoes.items():
        assert name == "query" or leaks(text), name
    assert leaks(f"x{base64.b64encode(f'..{pair}'.encode()).decode()}y")
    assert not leaks(f"Basic {base64.b64encode(b'echo-client:<redacted>').decode()}")


# -- the echoing provider ----------------------------------------------------------------
def _echoes(auth: str, query: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    try:
        credentials = base64.b64decode(auth.split()[-1]).decode() if auth else ""
    except (binascii.Error, UnicodeDecodeError, IndexError):
        credentials = ""
    request = json.dumps({"headers": headers or {"Authorization": auth}, "query": query})
    quoted = quote(auth, safe="")
    return {
        "authorization": auth,
        "credentials": credentials,
        "query": query,
        "request_base64": base64.b64encode(request.encode()).decode(),
        "request_base64url": base64.urlsafe_b64encode(f"#{request}".encode()).decode().rstrip("="),
        "credentials_base64url": base64.urlsafe_b64encode(credentials.encode()).decode(),
        "authorization_quoted": quoted,
        "authorization_quoted_lower": re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), quoted),
        "authorization_quote_plus": quote_plus(auth),
        "credentials_quoted": quote(credentials, safe=""),
        "credentials_json_escaped": credentials.replace("/", "\\/").replace("+", "\\u002B"),
        "credentials_html": html.escape(credentials).replace("/", "&#x2F;").replace("+", "&#43;"),
    }


def _remember_request(environ: dict) -> None:
    """Outermost: what the suite really sent, before anything below rewrites it."""
    environ["echo.auth"] = environ.get("HTTP_AUTHORIZATION", "")
    environ["echo.headers"] = {k: v for k, v in environ.items() if k.startswith("HTTP_")}


def _accept_any_client_id(environ: dict) -> None:
    """Innermost: the wrong-id probe is let in, so its echo lands in a 2xx finding too."""
    try:
        decoded = base64.b64decode(environ.get("HTTP_AUTHORIZATION", "").split()[-1]).decode()
    except (binascii.Error, UnicodeDecodeError, IndexError):
        return
    if decoded.startswith("conformance-wrong-client-id:"):
        token = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
        environ["HTTP_AUTHORIZATION"] = f"Basic {token}"


def _echo(environ, status, headers, body):
    echoes = _echoes(environ["echo.auth"], environ.get("QUERY_STRING", ""), environ["echo.headers"])
    headers = [*headers, *((f"X-Echo-{k}", v) for k, v in echoes.items())]
    raw = "\n".join(f"{k}: {v}" for k, v in echoes.items()).encode()
    if status == 400:  # invalid input answered 5xx, as raw text
        return 500, [*headers, ("Content-Type", "text/plain")], b"Internal error\n" + raw
    if status == 401:  # an HTML-ish text page, not the envelope
        return 401, [*headers, ("Content-Type", "text/plain")], b"Unauthorized\n" + raw
    if isinstance(body, dict):
        body["echo"] = echoes
        if status == 429:
            body["data"].pop("retry_by", None)  # so the 429 is a finding, body and all
        if status == 200 and environ.get("PATH_INFO", "").endswith("/templates"):
            body["success"] = "true"  # so a 2xx is a finding, body and all
        text = json.dumps(body).replace("/", "\\/").replace("+", "\\u002b")  # PHP-style JSON
        return status, headers, text.encode()
    return status, headers, (body if isinstance(body, bytes) else b"") + b"\n" + raw


ECHO = _chain(before(_remember_request), rewrite(_echo), before(_accept_any_client_id))


@pytest.mark.slow
def test_echoing_provider_leaks_no_credential_into_any_output(tmp_path: Path) -> None:
    config = ReferenceConfig(client_id=CLIENT_ID, client_secret=SECRET)
    out = tmp_path / "out"
    with provider(tmp_path, ECHO, config=config) as (_, profile):
        result = cli(
            "run",
            "--profile",
            str(profile),
            "--report-dir",
            str(out),
            "-v",
            "--seed",
            "3",
            "--max-examples",
            "3",
        )
    assert result.returncode == 1, result.stderr[-2000:]
    outputs = {path.name: path.read_text() for path in sorted(out.iterdir())}
    assert set(outputs) >= {"report.json", "junit.xml", "report.html", "summary.md"}
    outputs |= {"stdout": result.stdout, "stderr": result.stderr}
    assert " 401" in result.stderr and "GET http" in result.stderr  # the -v lines are there
    for name, text in outputs.items():
        assert not leaks(text), f"{name}: {leaks(text)[:3]}"

    # Not vacuous: the echoes of every status class did reach the report, scrubbed.
    report = json.loads(outputs["report.json"])
    echoed = {
        f["response"]["status"]
        for f in report["findings"]
        if f["response"] and "echo" in f["response"]["body"].lower()
    }
    assert {200, 401, 429, 500} <= echoed, echoed
    wrong_id = [
        f
        for f in report["findings"]
        if f["rule"] == "auth.wrong-credentials" and "wrong-client-id" in str(f["request"])
    ]
    let_in = [f for f in wrong_id if f["response"]["status"] == 200]
    assert let_in and "<redacted>" in json.dumps(let_in[0]["response"])


def test_a_disclosing_error_body_is_quoted_with_its_credential_scrubbed(tmp_path: Path) -> None:
    """security.error-disclosure quotes the provider's line; the Authorization header that
    the provider's dump carries must still not reach the report, in any encoding."""
    from tests.faults import FAULTS

    (fault,) = [f for f in FAULTS if f.rule == "security.error-disclosure"]
    out = tmp_path / "out"
    with provider(tmp_path, fault.wrap, lambda p: p.pop("rate_limit_probe", None)) as (_, path):
        result = cli("run", "--profile", str(path), "--report-dir", str(out), "--no-fuzz")
    assert result.returncode == 0, result.stderr[-2000:]  # a SHOULD rule: a warning
    text = (out / "report.json").read_text()
    findings = [f for f in json.loads(text)["findings"] if f["rule"] == "security.error-disclosure"]
    assert findings and all(f["response"]["status"] == 404 for f in findings)
    message = findings[0]["message"]
    assert message.startswith("404 body discloses a server file path: ")
    assert "/srv/reference/app/lookup.py:88" in message and "<redacted>" in message
    for path_ in out.iterdir():
        assert not leaks(path_.read_text(), secret="reference-secret"), path_.name


@pytest.mark.slow
def test_certificate_page_and_badge_carry_no_credential(tmp_path: Path) -> None:
    """certify with a secret-bearing profile: the certificate (whose payload is base64, which
    the scan decodes), its page and the badge hold no form of the client secret."""
    from conformance.certificate import dsse
    from conformance.certificate.statement import encode

    private, _ = dsse.generate(tmp_path / "vendor.key")
    config = ReferenceConfig(client_id=CLIENT_ID, client_secret=SECRET)
    out = tmp_path / "out"
    with provider(tmp_path, config=config) as (_, profile):
        result = cli(
            "certify",
            "--profile",
            str(profile),
            "--signing-key",
            str(private),
            "--report-dir",
            str(out),
            "--seed",
            "3",
            "--max-examples",
            "3",
        )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    outputs = {
        name: (out / name).read_text()
        for name in ("certificate.json", "certificate.html", "badge.svg")
    }
    outputs |= {"stdout": result.stdout, "stderr": result.stderr}
    for name, text in outputs.items():
        assert not leaks(text), f"{name}: {leaks(text)[:3]}"
    # Not vacuous: a secret inside a signed payload would be found.
    assert leaks(json.dumps(dsse.sign(encode({"options": SECRET}), dsse.load_private(private))))
    assert "client_id" not in dsse.payload_of(json.loads(outputs["certificate.json"])).decode()
