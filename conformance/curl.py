"""A curl command that replays a recorded request, credential replaced by a placeholder.

Vendors paste it into a terminal after exporting CLIENT_ID and CLIENT_SECRET, so each
finding can be reproduced in one line without the suite ever holding their secret in text.
"""

from __future__ import annotations

import shlex
from typing import Any

from conformance.client import WRONG_ID, WRONG_SECRET
from conformance.model import Exchange

_USER = {
    "valid": '"$CLIENT_ID:$CLIENT_SECRET"',
    "wrong-secret": f'"$CLIENT_ID:{WRONG_SECRET}"',
    "wrong-id": f'"{WRONG_ID}:{WRONG_SECRET}"',
}


def curl(exchange: Exchange) -> str:
    request = exchange.request
    parts = ["curl", "-sS", "-i"]
    if request.method != "GET":
        parts += ["-X", request.method]
    auth = exchange.context.get("auth", "valid")
    if exchange.context.get("direction") == "to-pipedrive":
        return _to_pipedrive(exchange, parts)
    if auth in _USER:
        parts += ["-u", _USER[auth]]
    form: dict[str, Any] | None = exchange.context.get("form")
    files: list[str] = exchange.context.get("files") or []
    if form is not None or files:
        for key, value in (form or {}).items():
            parts += ["-F", shlex.quote(f"{key}={value}")]
        for name in files:
            parts += ["-F", shlex.quote(f"files=@{name}")]
    parts.append(shlex.quote(request.url))
    return " ".join(parts)


def _to_pipedrive(exchange: Exchange, parts: list[str]) -> str:
    """A vendor's call to the simulated Channels API, replayable against the simulator."""
    request = exchange.request
    if exchange.context.get("auth") == "bearer":
        parts += ["-H", '"Authorization: Bearer $PIPEDRIVE_TOKEN"']  # expanded by the shell
    if request.body:
        parts += ["-H", shlex.quote("Content-Type: application/json")]
        parts += ["--data-binary", shlex.quote(request.body[:4000].decode("utf-8", "replace"))]
    parts.append(shlex.quote(request.url))
    return " ".join(parts)
