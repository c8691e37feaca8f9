"""Provider text made safe to show: bounded, printable, one line.

Every message a check writes may quote the provider; the provider is untrusted, so quotes go
through `excerpt`, which drops control characters (no terminal escapes) and truncates.

Stage: values.
"""

from __future__ import annotations

from typing import Any


def excerpt(value: Any, limit: int = 80) -> str:
    """A short, printable repr-like rendering of a provider value."""
    text = value if isinstance(value, str) else repr(value)
    cleaned = "".join(
        ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"
        for ch in text[: limit * 2]
    )
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return repr(cleaned) if isinstance(value, str) else cleaned
