"""Scrub credentials out of anything the suite records or shows, in any encoding.

A value shared by every stage (the profile scrubs its recreate command with it, the HTTP
stage its recordings, the report and HAR what they write), so it sits below them all.

The client sends Authorization headers; a provider may echo what it received in a body or
header, on any status. `Redactor` is built from the strings that must never be shown (the
client secret, each Authorization token the suite sends) and removes them in every form a
provider realistically produces when it echoes a request:

- raw, and with the character escapes of every text format: percent-encoding (quote,
  quote_plus, either hex case, any subset of characters escaped), JSON (`\\/`, `\\u002b`,
  `\\"`), HTML/XML entities (`&#43;`, `&#x2B;`, `&amp;`), Python `\\x2b`;
- base64, standard and URL-safe, padded or not, both of the string alone and of the string
  embedded anywhere in a longer text (a request dumped as JSON, then base64-encoded): a
  string's base64 depends on its offset modulo 3 in the encoded text, so each of the three
  alignments contributes the characters that depend on the string alone (the one or two
  characters at either edge, which also hold bits of the neighbours, stay; they carry at
  most a few bits of the secret's first and last byte). Base64 text is escaped like any
  other text, so a percent-encoded token is found too.

Letters and digits are matched raw only: no realistic encoder escapes them, and this keeps
the patterns literal enough to scan a large body quickly.

Limits (what a provider would have to do on purpose): base64 split across lines (MIME's
76 columns), base64 of an already escaped text (base64 of JSON that wrote `/` as `\\/`),
two escape layers at once, hex, base32, compression or hashing, a changed letter case,
and partial echoes (a prefix of the secret). Secrets shorter than `MIN_LENGTH` are not
scrubbed at all: matching them would garble unrelated text.

Stage: values.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from typing import Any

from conformance.events import Progress, scrubbed

REDACTED = "<redacted>"
MIN_LENGTH = 4  # shorter secrets would match everywhere
MIN_ENCODED = 8  # a base64 fragment shorter than this could occur by chance

# Escapes beyond %XX, \uXXXX, \xXX and &#...; for the characters that have them.
_NAMED = {
    "&": ("&amp;",),
    "<": ("&lt;",),
    ">": ("&gt;",),
    '"': ("&quot;", '\\"'),
    "'": ("&apos;", "\\'"),
    "/": ("\\/",),
    "\\": ("\\\\",),
    " ": ("+",),
}


def _hex(value: int, width: int) -> str:
    """Hex digits matching either case: 2b -> 2[bB]."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{value:0{width}x}")


def _char(ch: str) -> str:
    """A pattern for one character of a secret: itself, or any escape of it."""
    if ch.isascii() and ch.isalnum():
        return ch
    code = ord(ch)
    forms = [re.escape(ch), "".join("%" + _hex(b, 2) for b in ch.encode())]
    if code < 0x10000:
        forms.append(r"\\u" + _hex(code, 4))
    if code < 0x100:
        forms.append(r"\\x" + _hex(code, 2))
    forms += [f"&#0*{code};", f"&#[xX]0*{_hex(code, 1).lstrip('0') or '0'};"]
    forms += [re.escape(e) for e in _NAMED.get(ch, ())]
    return "(?:" + "|".join(forms) + ")"


def base64_forms(secret: str) -> set[str]:
    """The base64 texts (standard and URL-safe) that can only come from `secret`."""
    data = secret.encode()
    forms = set()
    full = base64.b64encode(data).decode()
    forms |= {full, full.rstrip("=")}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        start = -(-offset * 8 // 6)  # first character free of the bytes before
        end = (offset + len(data)) * 8 // 6  # last character free of the bytes after
        forms.add(encoded[start:end])
    forms |= {f.replace("+", "-").replace("/", "_") for f in forms}
    return {f for f in forms if len(f) >= MIN_ENCODED}


def _anchor(form: str) -> str:
    """The longest run of letters and digits: matched raw by every pattern of `form`."""
    return max(re.findall(r"[A-Za-z0-9]+", form) or [""], key=len)


class Redactor:
    """Replaces every known encoding of the given secrets; never shows them in its repr."""

    def __init__(self, secrets: Iterable[str]) -> None:
        kept = {s for s in secrets if len(s) >= MIN_LENGTH}
        forms = kept | {form for s in kept for form in base64_forms(s)}
        ordered = sorted(forms, key=len, reverse=True)  # longest first: a token before its part
        self._count = len(kept)
        self._text: re.Pattern[str] | None = None
        self._bytes: re.Pattern[bytes] | None = None
        self._steps: list[list[re.Pattern[bytes]]] = []  # per form, one per character
        self._anchors: re.Pattern[str] | None = None
        self._byte_anchors: re.Pattern[bytes] | None = None
        self._runs: list[tuple[str, ...]] = []
        self._byte_runs: list[tuple[bytes, ...]] = []
        self._tail = 0
        self._shortest = min((len(form) for form in ordered), default=0)
        if not ordered:
            return
        chars = [[_char(ch) for ch in form] for form in ordered]
        pattern = "|".join("".join(parts) for parts in chars)
        self._text = re.compile(pattern)
        self._bytes = re.compile(pattern.encode())
        self._steps = [[re.compile(part.encode()) for part in parts] for parts in chars]
        self._tail = max(len(form) for form in ordered) * 9  # as if every character escaped
        anchors = [_anchor(form) for form in ordered]
        # A quick search for any anchor (plain text, one alternation) skips the full regex
        # on text that holds none of them: most strings of a HAR entry or report are keys
        # and short values, scrubbed one by one (scrub_data).
        if all(len(a) >= 3 for a in anchors):
            literal = "|".join(re.escape(a) for a in sorted(set(anchors)))
            self._anchors = re.compile(literal)
            self._byte_anchors = re.compile(literal.encode())
            # Every run of letters and digits of a form is in each of its matches, not only
            # the longest: "reference-secret" anchors on "reference", which every URL of the
            # reference provider holds, but a match also needs "secret".
            self._runs = [tuple(re.findall(r"[A-Za-z0-9]+", form)) for form in ordered]
            self._byte_runs = [tuple(r.encode() for r in runs) for runs in self._runs]

    def __repr__(self) -> str:
        return f"Redactor({self._count} secret(s))"

    def __bool__(self) -> bool:
        return self._text is not None

    def may_hold(self, text: str) -> bool:
        """Whether `text` may hold a secret in some form: False only when, for every form,
        some run of its letters and digits (which no encoding escapes) is missing, so a JSON
        document whose serialization this says False of has no string `scrub_data` would
        change."""
        return self._text is not None and (
            self._anchors is None
            or (
                self._anchors.search(text) is not None
                and any(all(run in text for run in runs) for runs in self._runs)
            )
        )

    def scrub(self, text: str, mark: str = REDACTED) -> str:
        if not self.may_hold(text):
            return text
        return self._text.sub(mark, text)

    def scrub_bytes(self, body: bytes, truncated: bool = False, mark: str = REDACTED) -> bytes:
        """Scrub a body; a body cut short also loses a secret's first part at its very end."""
        if self._bytes is None:
            return body
        if not self._byte_anchors or (
            self._byte_anchors.search(body) is not None
            and any(all(run in body for run in runs) for runs in self._byte_runs)
        ):
            body = self._bytes.sub(mark.encode(), body)
        return body[: self._cut_point(body)] if truncated else body

    def _cut_point(self, body: bytes) -> int:
        """Where the start of some form runs into the end of `body` (else its length).

        One character at a time, not one nested regex: nesting as deep as a long secret
        would exceed the regex compiler's recursion limit.
        """
        for start in range(max(0, len(body) - self._tail), len(body)):
            for steps in self._steps:
                position = start
                for step in steps:
                    match = step.match(body, position)
                    if match is None:
                        break
                    position = match.end()
                    if position == len(body):
                        return start
        return len(body)

    def scrub_data(self, value: Any) -> Any:
        """A JSON-like value (report dict) with every string, key included, scrubbed.

        A string shorter than the shortest form cannot hold one (each character of a form
        matches at least one character): most keys and values of a HAR entry are skipped
        without a search."""
        if isinstance(value, str):
            return value if len(value) < self._shortest else self.scrub(value)
        if isinstance(value, dict):
            return {self.scrub_data(k): self.scrub_data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):  # noqa: UP038 - a tuple: no union built per call
            return [self.scrub_data(v) for v in value]
        return value

    def progress(self, emit: Progress) -> Progress:
        """A progress sink whose every event has each text field scrubbed before the face
        sees it (numbers carry no secret)."""
        return lambda event: emit(scrubbed(event, self.scrub))
