"""Multi-step judges (conformance.checks.flows): every clause, from hand-made evidence."""

from __future__ import annotations

import copy

import pytest

from conformance.checks.agreement import listed_conversation, listed_message
from conformance.checks.flows import DISPOSABLE_GONE, JUDGES, judge_step
from conformance.phases.scenarios.consistency import sender_ids
from conformance.phases.scenarios.session import Seen
from tests.checks.conftest import error_body, exchange


def refused(status: int, code: str | None, rule: str = "auth.required", **context):
    body = error_body(code) if code else {"success": True, "data": []}
    ctx = {
        "step": "refusals",
        "rule": rule,
        "what": "getConversations with no Authorization header",
        **context,
    }
    return exchange(status, body, context=ctx)


def test_every_step_a_scenario_tags_has_a_judge() -> None:
    assert set(JUDGES) >= {
        "conversation-walks",
        "message-paging",
        "mid-walk",
        "lookups",
        "refusals",
        "posts",
        "delete",
        "rate-limit-probe",
        "reads",
    }


def test_refusal_with_the_expected_status_and_code_holds() -> None:
    assert judge_step("refusals", [refused(401, "UNAUTHORIZED")]) == {"auth.required": []}


@pytest.mark.parametrize(
    ("status", "code", "shown"),
    [(200, None, "got 200"), (401, "FORBIDDEN", "got 401 'FORBIDDEN'"), (404, "NOT_FOUND", "404")],
)
def test_refusal_with_another_answer_fails(status, code, shown) -> None:
    (finding,) = judge_step("refusals", [refused(status, code)])["auth.required"]
    assert shown in finding.message and "expected 401 UNAUTHORIZED" in finding.message


@pytest.mark.parametrize(
    ("kwargs", "got"),
    [
        ({"raw": b"<html>no</html>", "content_type": "text/html"}, "401 with a text/html body"),
        ({"body": {"success": False, "data": {"message": "no"}}}, "401 with data.code missing"),
        ({"body": {"success": False}}, "401 with no data object (so no data.code)"),
        ({"raw": b"", "content_type": ""}, "401 with an empty body"),
    ],
)
def test_refusal_with_the_right_status_says_what_stood_in_the_codes_place(kwargs, got) -> None:
    """Never "got 401, expected 401 UNAUTHORIZED": the message names what was wrong."""
    context = refused(401, "UNAUTHORIZED").context
    (finding,) = judge_step("refusals", [exchange(401, context=dict(context), **kwargs)])[
        "auth.required"
    ]
    assert finding.message.startswith(f"getConversations with no Authorization header: got {got}")
    assert finding.message.endswith(", expected 401 UNAUTHORIZED")


def test_refusals_group_by_the_rule_each_exchange_names() -> None:
    result = judge_step(
        "refusals",
        [
            refused(401, "UNAUTHORIZED"),
            refused(200, None, rule="auth.wrong-credentials"),
            refused(429, "RATE_LIMIT_EXCEEDED", rule="notfound.channel"),
        ],
    )
    assert result["auth.required"] == []
    assert [f.rule for f in result["auth.wrong-credentials"]] == ["auth.wrong-credentials"]
    assert result["notfound.channel"] is None  # a 429 judges nothing


def lookup(status: int, data, want: str = "c1"):
    body = {"success": True, "data": data} if status == 200 else error_body()
    context = {"rule": "consistency.conversation-by-id", "want": want, "what": "by id"}
    return exchange(status, body, operation="getConversationById", context=context)


def test_lookup_finding_the_same_id_holds() -> None:
    assert judge_step("lookups", [lookup(200, {"id": "c1"})]) == {
        "consistency.conversation-by-id": []
    }


@pytest.mark.parametrize(
    ("status", "data", "shown"),
    [(200, {"id": "c2"}, "returned id 'c2'"), (404, None, "got 404"), (200, [], "got 200")],
)
def test_lookup_not_finding_the_id_fails(status, data, shown) -> None:
    (finding,) = judge_step("lookups", [lookup(status, data)])["consistency.conversation-by-id"]
    assert shown in finding.message


def post(status: int, data):
    body = {"success": True, "data": data} if status == 200 else error_body("INVALID_BODY")
    return exchange(status, body, operation="postMessage", context={"label": "with a file"})


def test_post_with_an_id_holds_and_without_fails() -> None:
    assert judge_step("posts", [post(200, {"id": "m1"})]) == {"post.accepts-multipart": []}
    for bad in (post(200, {}), post(200, {"id": ""}), post(400, None)):
        (finding,) = judge_step("posts", [bad])["post.accepts-multipart"]
        assert "with a file" in finding.message and "non-empty data.id" in finding.message


def probe(kind: str, status: int, body, operation: str = "getConversations"):
    context = {"step": "delete", "probe": kind, "channel": "tmp"}
    return exchange(status, body, operation=operation, context=context)


OK = {"success": True}
LIST = {"success": True, "data": []}


def test_delete_then_gone_holds() -> None:
    evidence = [
        probe("exists", 200, LIST),
        probe("delete", 200, OK, "deleteChannelById"),
        probe("after", 404, error_body("NOT_FOUND")),
    ]
    assert judge_step("delete", evidence) == {"delete.channel": []}


def test_a_channel_already_gone_is_skipped_with_the_reason() -> None:
    assert judge_step("delete", [probe("exists", 404, error_body("NOT_FOUND"))]) == {
        "delete.channel": DISPOSABLE_GONE
    }


def test_a_delete_that_fails_or_says_nothing_fails() -> None:
    for answer in (
        probe("delete", 200, {"success": False}, "deleteChannelById"),
        probe("delete", 500, {"x": 1}, "deleteChannelById"),
    ):
        (finding,) = judge_step("delete", [probe("exists", 200, LIST), answer])["delete.channel"]
        assert 'expected 200 {"success": true}' in finding.message


def test_a_channel_still_there_after_delete_fails() -> None:
    evidence = [
        probe("exists", 200, LIST),
        probe("delete", 200, OK, "deleteChannelById"),
        probe("after", 200, LIST),
    ]
    (finding,) = judge_step("delete", evidence)["delete.channel"]
    assert "after deleting" in finding.message and "expected 404 NOT_FOUND" in finding.message


def burst(status: int):
    body = error_body("RATE_LIMIT_EXCEEDED") if status == 429 else LIST
    return exchange(status, body, context={"requests": 3, "seconds": 1.0})


def test_rate_limit_probe_without_a_429_skips_retry_by() -> None:
    result = judge_step("rate-limit-probe", [burst(200), burst(200)])
    assert "met no rate limit" in result["error.retry-by"]
    assert judge_step("rate-limit-probe", [burst(200), burst(429)]) == {}


def test_no_answer_judges_nothing_but_its_own_rules() -> None:
    # a timeout or a lost connection is robustness.timeout's (or provider-alive's) finding,
    # not a missing 401 or 404
    lost = exchange(no_response=True, error="timeout: no response within 10 s")
    lost = type(lost)(
        lost.operation, lost.request, None, lost.error, "test", refused(401, None).context
    )
    assert judge_step("refusals", [lost]) == {"auth.required": None}


# -- both views agree (consistency.conversation-by-id, consistency.message-by-id) ---------
LISTED_CONVERSATION = {
    "id": "c1",
    "participants": [
        {"id": "agent", "name": "Agent", "role": "source_user"},
        {"id": "ana", "name": "Ana", "role": "end_user"},
    ],
    "messages": [
        {
            "id": "m2",
            "status": "sent",
            "created_at": "2024-05-01T10:02:00.000Z",
            "message": "second",
            "sender_id": "ana",
        },
        {
            "id": "m1",
            "status": "sent",
            "created_at": "2024-05-01T10:01:00.000Z",
            "message": "first",
            "sender_id": "agent",
        },
    ],
}


def by_id(data, listed=LISTED_CONVERSATION):
    context = {
        "rule": "consistency.conversation-by-id",
        "want": "c1",
        "what": "getConversationById of listed conversation",
        "listed": listed_conversation(listed),
    }
    return exchange(
        200, {"success": True, "data": data}, operation="getConversationById", context=context
    )


def conversation_result(data):
    return judge_step("lookups", [by_id(data)])["consistency.conversation-by-id"]


def test_by_id_view_that_moved_on_only_in_allowed_ways_agrees() -> None:
    data = copy.deepcopy(LISTED_CONVERSATION)
    data["participants"].reverse()  # order is not compared
    data["participants"][0]["name"] = "Ana Refreshed"  # names may be refreshed
    data["messages"][0]["status"] = "read"  # statuses move on
    data["messages"][1]["created_at"] = "2024-05-01T10:01:00Z"  # the same instant
    data["messages"].insert(0, {"id": "m3", "message": "new", "sender_id": "ana"})  # newer
    del data["messages"][-1:]  # and a page that no longer reaches m1
    assert conversation_result(data) == []


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (
            lambda d: d["participants"][1].__setitem__("role", "source_user"),
            "participants (id, role) [('agent', 'source_user'), ('ana', 'source_user')] where "
            "the list showed [('agent', 'source_user'), ('ana', 'end_user')]",
        ),
        (
            lambda d: d["participants"][1].__setitem__("id", "someone-else"),
            "('someone-else', 'end_user')",
        ),
        (
            lambda d: d["messages"][0].__setitem__("message", "invented"),
            "message 'm2' has message 'invented' where the list showed 'second'",
        ),
        (
            lambda d: d["messages"][1].__setitem__("created_at", "2024-05-01T11:01:00.000Z"),
            "message 'm1' has created_at '2024-05-01T11:01:00.000Z' where the list showed "
            "'2024-05-01T10:01:00.000Z'",
        ),
        (
            lambda d: d["messages"][1].__setitem__("sender_id", "ana"),
            "message 'm1' has sender_id 'ana' where the list showed 'agent'",
        ),
    ],
)
def test_by_id_view_that_contradicts_the_list_fails(change, shown) -> None:
    data = copy.deepcopy(LISTED_CONVERSATION)
    change(data)
    (finding,) = conversation_result(data)
    assert finding.rule == "consistency.conversation-by-id"
    assert finding.message.startswith(
        "getConversationById of listed conversation 'c1' disagrees with the list: "
    )
    assert shown in finding.message
    assert finding.exchange is not None and finding.exchange.operation == "getConversationById"


def message_lookup(data):
    listed = listed_message(LISTED_CONVERSATION, LISTED_CONVERSATION["messages"][0])
    context = {
        "rule": "consistency.message-by-id",
        "want": "m2",
        "what": "getMessageById of message",
        "listed": listed,
    }
    return exchange(200, data, operation="getMessageById", context=context)


def message_result(data):
    return judge_step("lookups", [message_lookup(data)])["consistency.message-by-id"]


def test_message_by_id_as_the_conversation_shows_it_holds() -> None:
    data = {**LISTED_CONVERSATION["messages"][0], "status": "read"}  # status moved on
    assert message_result(data) == []


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (
            {"sender_id": "ghost"},
            "sender_id 'ghost' is no participant of the conversation "
            "(participants: ['agent', 'ana'])",
        ),
        ({"sender_id": "agent"}, "sender_id 'agent' where the conversation showed 'ana'"),
        ({"message": "other"}, "message 'other' where the conversation showed 'second'"),
        (
            {"created_at": "2024-05-02T10:02:00.000Z"},
            "created_at '2024-05-02T10:02:00.000Z' where the conversation showed "
            "'2024-05-01T10:02:00.000Z'",
        ),
    ],
)
def test_message_by_id_that_contradicts_the_conversation_fails(change, shown) -> None:
    (finding,) = message_result({**LISTED_CONVERSATION["messages"][0], **change})
    assert finding.rule == "consistency.message-by-id"
    assert finding.message.startswith("getMessageById of message 'm2' disagrees with the list: ")
    assert shown in finding.message


def test_a_lookup_without_the_lists_copy_is_judged_by_its_id_alone() -> None:
    assert judge_step("lookups", [lookup(200, {"id": "c1", "participants": []})]) == {
        "consistency.conversation-by-id": []
    }


def test_senders_are_read_without_avatar_flags() -> None:
    seen = Seen()
    seen.add_conversation(
        {
            "id": "c1",
            "participants": [
                {"id": "agent", "role": "source_user"},
                {"id": "ana", "role": "end_user"},
            ],
        }
    )
    seen.add_conversation(
        {
            "id": "c2",
            "participants": [
                {"id": "agent", "role": "source_user"},
                {"id": "ben", "role": "end_user", "fetch_avatar": True},
            ],
        }
    )
    assert sender_ids(seen) == ["ben", "agent"]  # flagged first, then one of each role
    seen.participants["ben"]["fetch_avatar"] = False
    assert sender_ids(seen) == ["agent", "ana"]
