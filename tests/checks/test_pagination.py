from __future__ import annotations

from conformance.checks import pagination
from tests.checks.conftest import exchange, rules


def conversations(n: int, messages: int = 0):
    return {
        "success": True,
        "data": [
            {"id": f"c{i}", "messages": [{"id": f"m{j}"} for j in range(messages)]}
            for i in range(n)
        ],
    }


def test_conversations_limit(ctx) -> None:
    assert (
        pagination.check_conversations_limit(
            exchange(200, conversations(5), query={"conversations_limit": "5"}), ctx
        )
        == []
    )
    assert rules(
        pagination.check_conversations_limit(
            exchange(200, conversations(6), query={"conversations_limit": "5"}), ctx
        )
    ) == ["pagination.conversations-limit"]
    # no limit sent: Pipedrive's default of 30 applies
    assert rules(pagination.check_conversations_limit(exchange(200, conversations(31)), ctx)) == [
        "pagination.conversations-limit"
    ]
    # an invalid limit was sent: nothing to hold the provider to
    assert (
        pagination.check_conversations_limit(
            exchange(200, conversations(40), query={"conversations_limit": "abc"}), ctx
        )
        is None
    )


def test_messages_limit(ctx) -> None:
    ok = exchange(200, conversations(2, 3), query={"messages_limit": "3"})
    assert pagination.check_messages_limit(ok, ctx) == []
    over = exchange(200, conversations(2, 4), query={"messages_limit": "3"})
    assert rules(pagination.check_messages_limit(over, ctx)) == ["pagination.messages-limit"] * 2
    by_id = exchange(
        200,
        {"success": True, "data": {"id": "c", "messages": [{}] * 31}},
        operation="getConversationById",
    )
    assert rules(pagination.check_messages_limit(by_id, ctx)) == ["pagination.messages-limit"]


def test_a_long_conversation_id_is_named_whole_in_the_message(ctx) -> None:
    """A WhatsApp-style id is longer than 40 characters: never cut mid-string."""
    long_id = "wa-main:conversation-with-491511234567890123456789@s.whatsapp.net"
    body = {"success": True, "data": [{"id": long_id, "messages": [{"id": "m"}] * 4}]}
    (finding,) = pagination.check_messages_limit(
        exchange(200, body, query={"messages_limit": "3"}), ctx
    )
    assert finding.message == f"conversation {long_id!r} has 4 messages for messages_limit=3"
