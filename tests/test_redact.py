"""The Redactor: every encoding of a credential goes, everything else stays.

Leaks are detected by `tests.test_secrets.leaks`, which decodes on its own, so these tests do
not grade the redactor with its own patterns.
"""

from __future__ import annotations

import base64
import html
import json
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from urllib.parse import quote, quote_plus

import pytest

from conformance import events
from conformance.faces.console import summary
from conformance.http.auth import auth_values, redactor_for
from conformance.inputs.profile import Credentials, Secret
from conformance.ledger import RuleResult
from conformance.model import Finding
from conformance.redact import REDACTED, Redactor, base64_forms
from conformance.report.canonical import RunReport
from conformance.report.render import write_all
from conformance.rules import RULES
from tests.http.test_client import client_for
from tests.http.test_client import provider as provider  # noqa: F401 - the fixture
from tests.test_secrets import leaks

SECRET = "s3cr3t/with+odd=chars~and spaces!"
PAIR = f"app-client:{SECRET}"
TOKEN = base64.b64encode(PAIR.encode()).decode()


@pytest.fixture
def redactor() -> Redactor:
    return Redactor([SECRET, TOKEN])


def _b64(text: str, prefix: str = "", urlsafe: bool = False, pad: bool = True) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    out = encode(f"{prefix}{text}".encode()).decode()
    return out if pad else out.rstrip("=")


def _json_slashes(text: str) -> str:
    """PHP-style JSON: slashes and plus signs escaped."""
    return json.dumps(text).replace("/", "\\/").replace("+", "\\u002B")


ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "pair": lambda s: f"app-client:{s}",
    "quote": lambda s: quote(s, safe=""),
    "quote default safe": quote,
    "quote_plus": quote_plus,
    "lower-case hex": lambda s: quote(s, safe="").replace("%2F", "%2f").replace("%2B", "%2b"),
    "json": json.dumps,
    "json, escaped slashes": _json_slashes,
    "json ascii": lambda s: json.dumps(s + "é", ensure_ascii=True),
    "html": lambda s: html.escape(s).replace("/", "&#x2F;").replace("+", "&#43;"),
    "python repr of bytes": lambda s: repr(s.encode()),
    "basic header": lambda s: "Basic " + _b64(f"app-client:{s}"),
    "basic header quoted": lambda s: quote("Basic " + _b64(f"app-client:{s}"), safe=""),
    "base64": _b64,
    "base64 unpadded": lambda s: _b64(s, pad=False),
    "base64url": lambda s: _b64(s, urlsafe=True),
    "base64url unpadded": lambda s: _b64(s, urlsafe=True, pad=False),
    **{
        f"base64 at offset {k}": (lambda s, k=k: _b64(s + "}", prefix="x" * k)) for k in range(1, 6)
    },
    **{
        f"base64url at offset {k}": (lambda s, k=k: _b64(s + '"', prefix="y" * k, urlsafe=True))
        for k in range(1, 4)
    },
    "base64 of a JSON request": lambda s: _b64(
        json.dumps({"headers": {"Authorization": "Basic " + _b64(f"app-client:{s}")}})
    ),
    "base64 of decoded credentials in JSON": lambda s: _b64(json.dumps({"user": s}), "#"),
    "percent-encoded base64": lambda s: quote(_b64(s, prefix="ab"), safe=""),
}


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_every_encoding_is_scrubbed_from_text_and_bytes(redactor, encode) -> None:
    echoed = f"before {encode(SECRET)} after"
    assert leaks(echoed, SECRET), "the encoding must really carry the secret"
    text = redactor.scrub(echoed)
    assert not leaks(text, SECRET) and REDACTED in text
    assert text.startswith("before ") and text.endswith(" after")
    body = redactor.scrub_bytes(echoed.encode())
    assert not leaks(body.decode(), SECRET) and REDACTED.encode() in body


def test_unrelated_text_is_left_alone(redactor) -> None:
    cursor = base64.b64encode(b"conversation-0042:offset=30/next+1").decode()
    document = json.dumps(
        {"after": cursor, "message": "s3cr3t is not the secret", "q": quote("a/b+c", safe="")}
    )
    assert redactor.scrub(document) == document
    assert redactor.scrub_bytes(document.encode()) == document.encode()
    assert redactor.scrub_bytes(b"\xff\xfe not utf-8 \x00") == b"\xff\xfe not utf-8 \x00"


def test_each_form_of_each_secret_alone_is_found(redactor) -> None:
    """The quick pre-check (one search for any form's anchor) lets no single form through:
    each secret and each of its base64 forms, alone in a text, is scrubbed."""
    forms = [s for secret in (SECRET, TOKEN) for s in (secret, *base64_forms(secret))]
    assert len(forms) >= 8
    for form in forms:
        assert REDACTED in redactor.scrub(f"x {form} y"), form
        assert REDACTED.encode() in redactor.scrub_bytes(f"x {form} y".encode()), form


def test_the_redactor_never_shows_its_secrets(redactor) -> None:
    for shown in (repr(redactor), str(redactor), repr(redactor_for(_credentials()))):
        assert not leaks(shown, SECRET) and "Redactor(" in shown


def test_too_short_secrets_are_not_scrubbed() -> None:
    empty = Redactor(["abc", ""])
    assert not empty and empty.scrub("abc abc") == "abc abc"
    assert empty.scrub_bytes(b"abc", truncated=True) == b"abc"


@pytest.mark.parametrize(
    "cut_form", [SECRET[:9], quote(SECRET, safe="")[:12], _b64(SECRET)[:14], TOKEN[:10]]
)
def test_a_body_cut_short_loses_a_secret_cut_in_two(redactor, cut_form) -> None:
    body = b'{"data": "ok", "echo": "' + cut_form.encode()
    assert redactor.scrub_bytes(body, truncated=True) == b'{"data": "ok", "echo": "'
    assert redactor.scrub_bytes(body) == body  # a whole body holds no half secret


def test_a_cut_body_without_a_secret_keeps_its_end(redactor) -> None:
    body = b'{"data": "ok", "items": [1, 2, 3'
    assert redactor.scrub_bytes(body, truncated=True) == body


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_a_json_line_holding_any_encoding_may_hold_a_secret(redactor, encode) -> None:
    """The HAR writer serializes an entry first and walks it with scrub_data only when the
    line may hold a secret: every encoding, in a value or a key, JSON-escaped or not, says
    so; a line without one says not, so nearly every entry skips the walk."""
    for entry in ({"body": f'a\n{encode(SECRET)}"z'}, {encode(SECRET): [1, "x"]}):
        line = json.dumps(entry, ensure_ascii=False, default=str)
        assert redactor.may_hold(line), line
    assert not redactor.may_hold(json.dumps({"after": "conversation-0042", "n": 7}))
    assert not Redactor([]).may_hold(f"x {SECRET} y")  # no secret, nothing to find


def test_scrub_data_reaches_keys_and_nested_values(redactor) -> None:
    data = {"a": [SECRET, {"b": quote(SECRET)}], SECRET: 1, "n": 2, "t": (None, TOKEN)}
    scrubbed = redactor.scrub_data(data)
    assert not leaks(json.dumps(scrubbed), SECRET)
    assert scrubbed["n"] == 2 and scrubbed[REDACTED] == 1 and scrubbed["t"][0] is None


def test_progress_lines_are_scrubbed(redactor) -> None:
    shown: list[events.Event] = []
    redactor.progress(shown.append)(events.Setup(f"x {TOKEN}"))
    assert shown == [events.Setup(f"x {REDACTED}")]


def test_every_text_field_of_every_event_is_scrubbed(redactor) -> None:
    """The runner's last guard: whatever event carries a secret, in whichever text field
    (a URL, an error, a label), reaches the face scrubbed; numbers are left as they are."""
    import dataclasses
    import typing

    kinds = [k for k in vars(events).values() if isinstance(k, type) and k is not events.Event]
    kinds = [k for k in kinds if issubclass(k, events.Event)]
    assert len(kinds) >= 12  # every event the run, the fuzz phase and the simulator emit
    for kind in kinds:
        hints = typing.get_type_hints(kind)
        texts = [f.name for f in dataclasses.fields(kind) if "str" in str(hints[f.name])]
        if not texts:
            continue  # numbers only (ManifestBound): nothing to leak
        values = {
            f.name: f"{f.name} {quote(SECRET)}" if f.name in texts else 3
            for f in dataclasses.fields(kind)
        }
        shown: list[events.Event] = []
        redactor.progress(shown.append)(kind(**values))
        (event,) = shown
        assert type(event) is kind
        for name in texts:
            assert getattr(event, name) == f"{name} {REDACTED}", (kind, name)
        assert not leaks(event.message, SECRET) and REDACTED in event.message, kind


# -- the credentials the suite sends -------------------------------------------------------
def _credentials() -> Credentials:
    return Credentials("app-client", Secret(SECRET))


def test_probes_carry_what_they_test() -> None:
    # wrong-secret: the real id with a made-up secret; wrong-id: a made-up id with the real
    # secret, so a provider that checks only the secret is caught (its echo is scrubbed below)
    values = auth_values(_credentials())
    assert leaks(values["valid"], SECRET) and leaks(values["wrong-id"], SECRET)
    decoded = base64.b64decode(values["wrong-secret"].split()[1]).decode()
    assert decoded.startswith("app-client:") and SECRET not in decoded
    assert not any(SECRET[i : i + 6] in decoded for i in range(len(SECRET) - 5))
    wrong_id = base64.b64decode(values["wrong-id"].split()[1]).decode()
    assert wrong_id == f"conformance-wrong-client-id:{SECRET}"


def test_every_probe_token_is_scrubbed() -> None:
    redactor = redactor_for(_credentials())
    for value in auth_values(_credentials()).values():
        token = value.split()[1]
        for echoed in (value, quote(value), _b64(json.dumps({"h": value}))):
            assert token not in redactor.scrub(echoed)
            assert REDACTED in redactor.scrub(echoed)


# -- the client: bodies cut short, transport errors ----------------------------------------
def test_client_scrubs_a_secret_cut_by_the_body_cap(provider) -> None:  # noqa: F811
    from tests.http.test_client import SECRET as CLIENT_SECRET

    echoed = quote(CLIENT_SECRET, safe="").encode()
    base = provider(lambda h: (200, {"Content-Type": "text/plain"}, b"x" * 1000 + echoed))
    exchange = client_for(base, body_cap=1000 + len(echoed) - 4).send(
        "getConversations", {"providerChannelId": "ch"}
    )
    assert exchange.response is not None and exchange.response.truncated
    assert exchange.response.body == b"x" * 1000


@pytest.fixture
def raw_provider() -> Iterator[Callable[[bytes], str]]:
    """A socket that answers every connection with the same raw bytes."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    answer: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(answer[0])

    threading.Thread(target=serve, daemon=True).start()

    def start(raw: bytes) -> str:
        answer.append(raw)
        return f"http://127.0.0.1:{server.getsockname()[1]}"

    yield start
    server.close()


def test_transport_errors_quoting_the_provider_are_scrubbed(raw_provider) -> None:
    from tests.http.test_client import SECRET as CLIENT_SECRET

    base = raw_provider(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + CLIENT_SECRET.encode() + b"\r\n"
    )
    exchange = client_for(base).send("getConversations", {"providerChannelId": "ch"})
    assert exchange.error is not None and "Chunk" in exchange.error
    assert CLIENT_SECRET not in exchange.error and REDACTED in exchange.error


# -- the output edge: a last guard for what slipped past the client ------------------------
def _leaky_report(redactor: Redactor | None) -> RunReport:
    rule = RULES["auth.required"]
    finding = Finding(rule.id, f"provider said {quote(SECRET)} & <{TOKEN}>", "getConversations")
    result = RuleResult(rule, "failed", checked=1, failures=1)
    return RunReport(
        "failed", 1, [result], [finding], meta={"note": SECRET}, error=None, redactor=redactor
    )


def test_report_document_and_renderings_are_scrubbed_at_the_edge(tmp_path, redactor) -> None:
    assert leaks(json.dumps(_leaky_report(None).to_dict()), SECRET)  # the guard has work to do
    report = _leaky_report(redactor)
    data = report.to_dict()
    assert not leaks(json.dumps(data), SECRET)
    assert not leaks(summary(report, "r.json"), SECRET)
    # Even a document that still holds the secret (a baseline merged in, say) is scrubbed.
    paths = write_all(_leaky_report(None).to_dict(), tmp_path, redactor)
    for path in paths.values():
        assert not leaks(path.read_text(), SECRET), path.name
    ET.parse(paths["junit"])  # the mark added no markup


def test_run_report_repr_hides_the_redactor(redactor) -> None:
    assert "redactor=" not in repr(_leaky_report(redactor))


def test_a_long_secret_is_handled_whole() -> None:
    """A JWT-sized secret: no regex recursion limit, every encoding still found."""
    secret = "eyJ-long/secret+" * 40
    redactor = Redactor([secret])
    for echoed in (secret, quote(secret, safe=""), _b64(secret, prefix="xy")):
        assert not leaks(redactor.scrub(f"[{echoed}]"), secret)
    cut = redactor.scrub_bytes(b"ok " + quote(secret, safe="").encode()[:500], truncated=True)
    assert cut == b"ok "


def test_one_word_of_a_secret_is_not_a_reason_to_search_for_it() -> None:
    """Every run of letters and digits of a secret is in each of its encodings, so a text
    holding only some of them cannot hold it: the reference's "reference-secret" shares
    "reference" with every URL it serves, and those lines skip the full search; with every
    run present (escapes between them or not) the secret is still found."""
    redactor = Redactor(["reference-secret"])
    url = "https://chat.reference.example/c/901"
    assert not redactor.may_hold(url)
    assert redactor.scrub(url) == url
    apart = "a secret of the reference"  # every run, not as a form: searched, left alone
    assert redactor.may_hold(apart) and redactor.scrub(apart) == apart
    for text in ("reference-secret", "reference%2Dsecret", "reference\\u002dsecret"):
        assert redactor.may_hold(text) and redactor.scrub(text) == REDACTED, text
        assert redactor.scrub_bytes(text.encode()) == REDACTED.encode(), text
