"""Error bodies that disclose the provider's internals: stack traces, server paths, dumps.

An error body reaches Pipedrive and, through its inbox, people who are not the vendor. A
stack trace or an absolute source path tells an attacker the framework, its version and the
layout of the server (OWASP: improper error handling). Judged on every error response seen,
4xx and 5xx alike, JSON (every string in it, `data.message` first of all) or not (an HTML
debug page is read as its text).

The patterns name things a person-facing message never holds, so a conformant provider is
not warned: a URL path such as `/channels/c-1` is not a server file path; a path is one only
when it ends in a source file (`/srv/app/views.py`) or starts with a Windows drive.

Stage: checks.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from conformance.checks.context import CheckContext
from conformance.model import Exchange, Finding
from conformance.text import excerpt

_SOURCE_FILE = (
    r"(?:py|pyc|js|mjs|cjs|ts|jsx|tsx|java|kt|scala|class|jar|rb|php|go|cs|vb|fs|rs|ex|exs"
    r"|erl|pl|pm|cpp|cc|c|h|swift|dart|lua)"
)

# (what the line discloses, the pattern that shows it), most specific first.
_DISCLOSURES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a stack trace", re.compile(r"Traceback \(most recent call last\)")),
    ("a stack trace", re.compile(r"\bFile \"[^\"]+\", line \d+")),
    ("a stack trace", re.compile(r"^\s*at\s+\S.*\((?:[^()]*[/\\])?[^()]+:\d+(?::\d+)?\)\s*$")),
    ("a stack trace", re.compile(r"^\s*at\s+(?:async\s+)?(?:/|[A-Za-z]:\\|node:)\S+:\d+")),
    ("a stack trace", re.compile(r"^\s*at\s+[\w$.<>]+\([\w$]+\.(?:java|kt|scala):\d+\)")),
    ("a stack trace", re.compile(r"^\s*#\d+\s+\S+\.php\(\d+\)")),
    ("a stack trace", re.compile(r"\bStack trace:")),
    ("a stack trace", re.compile(r"^goroutine \d+ \[")),
    ("a stack trace", re.compile(r"\bin [A-Za-z]:\\\S+:line \d+")),
    ("an exception dump", re.compile(r"\bException in thread \"")),
    (
        "an exception dump",
        re.compile(r"\b(?:java|javax|jakarta|org|com)\.[\w.]+(?:Exception|Error)\b"),
    ),
    ("an exception dump", re.compile(r"\bSystem\.[\w.]*Exception\b")),
    ("an exception dump", re.compile(r"^panic: ")),
    ("an exception dump", re.compile(r"\b(?:PHP )?(?:Fatal|Parse) error: .+ on line \d+")),
    (
        "a server file path",
        re.compile(rf"(?<![\w:/.])(?:/[\w.@+-]+){{2,}}\.{_SOURCE_FILE}\b(?::\d+)?"),
    ),
    ("a server file path", re.compile(r"(?<![\w])[A-Za-z]:\\(?:[\w .@+-]+\\)+[\w .@+-]*")),
)

_TAG = re.compile(r"<[^>]*>")
_MARKUP = re.compile(
    r"<(?:!doctype|html|head|body|pre|br|div|p|h\d|title|b|code|span|table)\b", re.I
)
_LINE_BREAK_TAG = re.compile(r"<br\s*/?>|</(?:p|div|li|tr|pre|h\d)>", re.I)


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON document, keys included (a dump may sit under any key)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _lines(text: str) -> Iterator[str]:
    """The text's lines as a person would read them: an HTML page without its markup."""
    if _MARKUP.search(text):
        text = html.unescape(_TAG.sub("", _LINE_BREAK_TAG.sub("\n", text)))
    for line in text.splitlines():
        if line.strip():
            yield line.replace("\xa0", " ")


def disclosure(texts: list[str]) -> tuple[str, str] | None:
    """(what is disclosed, the line that shows it) for the first telling line, else None."""
    for text in texts:
        for line in _lines(text):
            for what, pattern in _DISCLOSURES:
                if pattern.search(line):
                    return what, line.strip()
    return None


def check_error_disclosure(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    response = exchange.response
    if response is None or response.status < 400:
        return None
    texts = list(_strings(response.json())) if response.is_json else [response.text]
    found = disclosure(texts)
    if found is None:
        return []
    what, line = found
    return [
        Finding(
            "security.error-disclosure",
            f"{response.status} body discloses {what}: {excerpt(line, 120)}",
            exchange.operation,
            exchange,
        )
    ]
