from __future__ import annotations

import pytest

from conformance.checks import participants as p
from tests.checks.conftest import exchange, rules

AGENT = {"id": "a", "name": "Agent", "role": "source_user"}
CONTACT = {"id": "b", "name": "Contact", "role": "end_user"}


def conversation(people, messages=()):
    return {"id": "c1", "participants": list(people), "messages": list(messages)}


def listed(*conversations):
    return exchange(200, {"success": True, "data": list(conversations)})


CHECKS = {
    "participants.exactly-two": p.check_exactly_two,
    "participants.roles": p.check_roles,
    "participants.unique-ids": p.check_unique_ids,
    "participants.sender-known": p.check_sender_known,
}


def failing(ex, ctx) -> list[str]:
    return sorted(rule for rule, check in CHECKS.items() if check(ex, ctx))


def test_one_to_one_passes(ctx) -> None:
    ok = listed(conversation([AGENT, CONTACT], [{"id": "m", "sender_id": "b"}]))
    assert failing(ok, ctx) == []
    assert all(check(ok, ctx) == [] for check in CHECKS.values())


@pytest.mark.parametrize(
    ("people", "messages", "expected"),
    [
        (
            [AGENT, CONTACT, {"id": "c", "name": "X", "role": "end_user"}],
            [],
            ["participants.exactly-two", "participants.roles"],
        ),
        ([{**AGENT, "role": "end_user"}, CONTACT], [], ["participants.roles"]),
        ([AGENT, {**CONTACT, "id": "a"}], [], ["participants.unique-ids"]),
        ([AGENT, CONTACT], [{"id": "m", "sender_id": "stranger"}], ["participants.sender-known"]),
        ([AGENT], [], ["participants.exactly-two", "participants.roles"]),
    ],
)
def test_violations(ctx, people, messages, expected) -> None:
    assert failing(listed(conversation(people, messages)), ctx) == expected


def test_by_id_is_judged_too_and_names_the_conversation(ctx) -> None:
    ex = exchange(
        200, {"success": True, "data": conversation([AGENT])}, operation="getConversationById"
    )
    [finding] = p.check_exactly_two(ex, ctx)
    assert "'c1'" in finding.message and finding.operation == "getConversationById"


def test_not_applicable_without_conversations(ctx) -> None:
    assert p.check_roles(exchange(404, {"success": False}), ctx) is None
    assert (
        p.check_roles(exchange(200, {"success": True, "data": {}}, operation="getTemplates"), ctx)
        is None
    )
    assert rules(p.check_roles(listed(conversation([AGENT, CONTACT])), ctx)) == []


@pytest.mark.parametrize("participants", [None, "a,b", {"a": 1}], ids=["absent", "str", "dict"])
def test_a_conversation_without_a_participants_list_has_zero(ctx, participants) -> None:
    missing = {"id": "c1", "messages": []}
    if participants is not None:
        missing["participants"] = participants
    (finding,) = p.check_exactly_two(listed(missing), ctx)
    assert "0 participants" in finding.message
    # only exactly-two: the other rules judge real lists, so no collateral findings
    assert failing(listed(missing), ctx) == ["participants.exactly-two"]
