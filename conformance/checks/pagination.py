"""Page-size rules, judged from one exchange: the request's limit against the body's lists.

Pipedrive sends both limits (default 30) and sizes its own pages on them, so a provider that
returns more than asked for breaks the contract even when the cursor works.

Stage: checks.
"""

from __future__ import annotations

from typing import Any

from conformance.checks.context import CheckContext
from conformance.checks.evidence import data_of
from conformance.model import Exchange, Finding
from conformance.text import excerpt

DEFAULT_LIMIT = 30


def _limit(exchange: Exchange, name: str) -> int | None:
    """The limit the request asked for; None when the value was not a usable integer."""
    raw = exchange.request.query.get(name)
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 1 else None


def _data(exchange: Exchange, operation: str) -> Any:
    return data_of(exchange) if exchange.operation == operation else None


def check_conversations_limit(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    data = _data(exchange, "getConversations")
    limit = _limit(exchange, "conversations_limit")
    if not isinstance(data, list) or limit is None:
        return None
    if len(data) <= limit:
        return []
    return [
        Finding(
            "pagination.conversations-limit",
            f"{len(data)} conversations returned for conversations_limit={limit}",
            exchange.operation,
            exchange,
        )
    ]


def check_messages_limit(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    data = (
        _data(exchange, "getConversations")
        if exchange.operation == "getConversations"
        else _data(exchange, "getConversationById")
    )
    limit = _limit(exchange, "messages_limit")
    if limit is None or data is None:
        return None
    conversations = data if isinstance(data, list) else [data]
    findings = []
    for conversation in conversations:
        messages = conversation.get("messages") if isinstance(conversation, dict) else None
        if isinstance(messages, list) and len(messages) > limit:
            findings.append(
                Finding(
                    "pagination.messages-limit",
                    f"conversation {excerpt(conversation.get('id'), 160)}"
                    f" has {len(messages)} messages for messages_limit={limit}",
                    exchange.operation,
                    exchange,
                )
            )
    return findings
