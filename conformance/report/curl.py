"""A curl command that sends a recorded request again, credential replaced by a placeholder.

Vendors paste it into a shell (sh or bash) after exporting CLIENT_ID and CLIENT_SECRET, and
the provider receives what the finding records: the method, the path and query bytes as
sent (`--globoff --path-as-is`: curl neither globs nor normalises them), the headers, and a
multipart body's fields and file parts. Nothing on disk is assumed: a file part's bytes come
from stdin (`printf` or `base64 -d`). Text fields go as `--form-string`, so `@`, `<`, `;`
and `,` in a value stay literal. A body curl's `-F` syntax cannot say exactly (several
files, binary field values, names with quotes or `=`, part headers of its own) is sent as
the recorded bytes, with its Content-Type and boundary, through `--data-binary @-`.

Stage: report.
"""

from __future__ import annotations

import base64
import re
import shlex

from conformance.http.auth import AUTH_PLACEHOLDERS, WRONG_ID, WRONG_SECRET
from conformance.model import Exchange, Part, RecordedRequest

_USER = {
    "valid": '"$CLIENT_ID:$CLIENT_SECRET"',
    "wrong-secret": f'"$CLIENT_ID:{WRONG_SECRET}"',
    "wrong-id": f'"{WRONG_ID}:$CLIENT_SECRET"',  # the real secret with a wrong id (client.py)
}
# Headers curl writes itself from the arguments (or that hold the credential).
_OWN = {"authorization", "content-length", "host", "content-type", "transfer-encoding"}
# What `-F name=...;filename=...;type=...` carries without curl's own escaping changing it.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]]+")
_PLAIN_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+\-]+/[A-Za-z0-9!#$&^_.+\-]+")


def curl(exchange: Exchange) -> str:
    request = exchange.request
    parts = ["curl", "-sS", "-i"]
    if exchange.context.get("direction") == "to-pipedrive":
        if request.method != "GET":
            parts += ["-X", request.method]
        return _to_pipedrive(exchange, parts)
    parts += ["--globoff", "--path-as-is"]
    auth = exchange.context.get("auth", "valid")
    sent_auth = request.headers.get("authorization")
    if auth in _USER and sent_auth in (None, AUTH_PLACEHOLDERS.get(auth)):
        parts += ["-u", _USER[auth]]
    elif sent_auth is not None and sent_auth not in AUTH_PLACEHOLDERS.values():
        parts += ["-H", shlex.quote(f"Authorization: {sent_auth}")]
    stdin, body, content_type = _body(request)
    if request.method != ("POST" if body else "GET"):
        parts += ["-X", request.method]
    for name, value in request.headers.items():
        if name not in _OWN:
            parts += ["-H", shlex.quote(f"{name}: {value}" if value else f"{name};")]
    if "accept-encoding" in request.headers:
        parts.append("--compressed")  # the answer shown decoded, as the suite read it
    if content_type is not None:
        parts += [
            "-H",
            shlex.quote(f"Content-Type: {content_type}" if content_type else "Content-Type:"),
        ]
    if body:
        parts += ["-H", "'Expect:'"]  # curl's own 100-continue for big bodies, never sent
    parts += [*body, shlex.quote(request.url)]
    return " | ".join([*stdin, " ".join(parts)])


def _body(request: RecordedRequest) -> tuple[list[str], list[str], str | None]:
    """(commands feeding stdin, curl's body arguments, Content-Type to send or None)."""
    if not request.body:
        return [], [], None
    fields = request.parts
    if fields and request.headers.get("content-type", "").startswith("multipart/form-data"):
        spelled = _form(fields)
        if spelled is not None:
            return *spelled, None
    # As recorded: the same bytes under the same Content-Type ("" suppresses curl's own).
    return _feed(request.body), ["--data-binary", "@-"], request.headers.get("content-type", "")


def _form(fields: list[Part]) -> tuple[list[str], list[str]] | None:
    """The parts as `--form-string`/`-F` arguments, or None when curl could not send them
    byte for byte."""
    stdin: list[str] = []
    args: list[str] = []
    for part in fields:
        if part.extra_headers or not _PLAIN_NAME.fullmatch(part.name):
            return None
        if part.filename is None:
            text = _pasteable(part.data)
            if part.content_type is not None or text is None:
                return None
            args += ["--form-string", shlex.quote(f"{part.name}={text}")]
            continue
        if stdin or not _PLAIN_NAME.fullmatch(part.filename):
            return None  # one stdin: a second file part goes in the recorded body
        if part.content_type is None or not _PLAIN_TYPE.fullmatch(part.content_type):
            return None
        stdin = _feed(part.data)
        spec = f"{part.name}=@-;filename={part.filename};type={part.content_type}"
        args += ["-F", shlex.quote(spec)]
    return (stdin, args) if args else None


def _feed(data: bytes) -> list[str]:
    """A command that writes exactly `data` to stdout, in sh and bash alike: the text itself
    when it survives a paste into a terminal, else its base64."""
    text = _pasteable(data)
    if text is not None:
        return [f"printf %s {shlex.quote(text)}"]
    return [f"printf %s {base64.b64encode(data).decode('ascii')}", "base64 -d"]


def _pasteable(data: bytes) -> str | None:
    """`data` as text a terminal passes on unchanged (UTF-8, no control character but a
    newline or a tab: a pasted CR or NUL does not reach the shell as itself), else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in text):
        return None
    return text


def _to_pipedrive(exchange: Exchange, parts: list[str]) -> str:
    """A vendor's call to the simulated Channels API, replayable against the simulator."""
    request = exchange.request
    if exchange.context.get("auth") == "bearer":
        parts += ["-H", '"Authorization: Bearer $PIPEDRIVE_TOKEN"']  # expanded by the shell
    stdin: list[str] = []
    if request.body:
        content_type = request.headers.get("content-type") or "application/json"
        parts += ["-H", shlex.quote(f"Content-Type: {content_type}")]
        text = _pasteable(request.body)
        if text is not None and not text.startswith("@"):  # the whole body, as sent
            parts += ["--data-binary", shlex.quote(text)]
        else:
            stdin = _feed(request.body)
            parts += ["--data-binary", "@-"]
    parts.append(shlex.quote(request.url))
    return " | ".join([*stdin, " ".join(parts)])
