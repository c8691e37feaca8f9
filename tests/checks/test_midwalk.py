"""The mid-walk clauses of pagination.cursor-walk and pagination.messages-cursor, from
hand-made evidence: full reads before and after, walks around one post to the sandbox."""

from __future__ import annotations

from conformance.checks.flows import judge_step
from conformance.checks.midwalk import STEP
from conformance.phases.scenarios.pagination import mid_walk_limits
from tests.checks.conftest import error_body, exchange

CURSOR_WALK, MESSAGES_CURSOR = "pagination.cursor-walk", "pagination.messages-cursor"


def conversations(read: str, items: list[tuple[str, list[str]]], after: str | None, walk: str):
    """A list page: (conversation id, its message ids) per conversation."""
    body = {
        "success": True,
        "data": [{"id": c, "messages": [{"id": m} for m in ms]} for c, ms in items],
        "additional_data": {"after": after or ""},
    }
    context = {"step": STEP, "probe": "conversations", "read": read, "walk": walk}
    return exchange(200, body, context=context)


def messages(read: str, ids: list[str], cursor: str | None, walk: str):
    body = {
        "success": True,
        "data": {"id": "sb", "messages": [{"id": i} for i in ids], "next_messages_cursor": cursor},
    }
    context = {"step": STEP, "probe": "messages", "read": read, "conversation": "sb", "walk": walk}
    return exchange(200, body, operation="getConversationById", context=context)


def post(probe: str, status: int = 200):
    body = {"success": True, "data": {"id": "new"}} if status == 200 else error_body("INVALID_BODY")
    context = {"step": STEP, "probe": probe, "read": "post"}
    return exchange(status, body, operation="postMessage", context=context)


# Four conversations; "c" is the sandbox and gets the new message "n".
BEFORE = [("a", ["a1"]), ("b", ["b1"]), ("c", ["c1"]), ("d", ["d1"])]
AFTER_TOP = [("c", ["n", "c1"]), ("a", ["a1"]), ("b", ["b1"]), ("d", ["d1"])]


def list_probe(during: list, after=AFTER_TOP, posted=None):
    return [
        conversations("before", BEFORE, None, "default"),
        *during[:1],
        posted or post("conversations"),
        *during[1:],
        conversations("after", after, None, "default"),
    ]


def findings(result, rule):
    return [f.message for f in result[rule]]


def test_a_list_walk_whose_cursor_holds_around_a_post_passes() -> None:
    during = [
        conversations("during", BEFORE[:2], "k-b", "2"),
        conversations("during", BEFORE[3:], None, "2"),  # c moved to the top: may be missed
    ]
    assert judge_step(STEP, list_probe(during)) == {CURSOR_WALK: []}


def test_a_list_walk_that_repeats_a_conversation_after_the_post_fails() -> None:
    during = [
        conversations("during", BEFORE[:2], "2", "2"),
        conversations("during", [("b", ["b1"]), ("d", ["d1"])], None, "2"),  # an offset
    ]
    (message,) = findings(judge_step(STEP, list_probe(during)), CURSOR_WALK)
    assert message == (
        "walk with conversations_limit=2 and a message posted after page 1 returned "
        "conversation 'b' more than once"
    )


def test_a_list_walk_that_skips_a_conversation_that_did_not_move_fails() -> None:
    after_end = [("a", ["a1"]), ("b", ["b1"]), ("d", ["d1"]), ("c", ["n", "c1"])]
    during = [
        conversations("during", BEFORE[:3], "3", "3"),
        conversations("during", [("c", ["n", "c1"])], None, "3"),  # d pulled back: skipped
    ]
    result = judge_step(STEP, list_probe(during, after=after_end))
    messages_ = findings(result, CURSOR_WALK)
    assert messages_[0] == (
        "walk with conversations_limit=3 and a message posted after page 1 returned "
        "conversation 'c' more than once"
    )
    assert messages_[1] == (
        "walk with conversations_limit=3 and a message posted after page 1 skipped 1 "
        "conversation(s) which did not move (it showed the same messages before and after "
        "the walk), e.g. 'd'"
    )
    assert result[CURSOR_WALK][1].exchange.context["read"] == "during"


def test_two_walks_around_one_post_are_each_judged() -> None:
    evidence = [
        conversations("before", BEFORE, None, "default"),
        conversations("during", BEFORE[:2], "k-b", "2"),
        conversations("during", BEFORE[:3], "k-c", "3"),
        post("conversations"),
        conversations("during", BEFORE[3:], None, "2"),
        conversations("during", [("a", ["a1"]), ("d", ["d1"])], None, "3"),  # repeats a
        conversations("after", AFTER_TOP, None, "default"),
    ]
    (message,) = findings(judge_step(STEP, evidence), CURSOR_WALK)
    assert message.startswith("walk with conversations_limit=3 and a message posted")
    assert "returned conversation 'a' more than once" in message


def test_a_refused_post_leaves_the_clause_unjudged_with_the_reason() -> None:
    during = [conversations("during", BEFORE[:2], "k", "2"), conversations("during", [], None, "2")]
    result = judge_step(STEP, list_probe(during, posted=post("conversations", 400)))
    assert result[CURSOR_WALK] == (
        "the post to the sandbox conversation between two pages got 400 'INVALID_BODY': "
        "a walk with a message arriving mid-walk could not be judged"
    )


def test_a_walk_that_ended_on_its_first_page_is_not_judged() -> None:
    """The scenario then makes no post; the reason says why the clause was not judged."""
    evidence = [
        conversations("before", BEFORE, None, "default"),
        conversations("during", BEFORE, None, "7"),
        conversations("after", BEFORE, None, "default"),
    ]
    assert judge_step(STEP, evidence)[CURSOR_WALK] == (
        "the walk with conversations_limit=7 ended on its first page: no page came after a "
        "post to judge"
    )


def message_probe(during: list, after: list[str] | None = None):
    return [
        messages("before", ["m4", "m3", "m2", "m1"], None, "30"),
        *during[:1],
        post("messages"),
        *during[1:],
        messages("after", after or ["n", "m4", "m3", "m2", "m1"], None, "30"),
    ]


def test_a_messages_cursor_that_holds_around_a_post_passes() -> None:
    during = [
        messages("during", ["m4", "m3"], "k3", "2"),
        messages("during", ["m2", "m1"], None, "2"),
    ]
    assert judge_step(STEP, message_probe(during)) == {MESSAGES_CURSOR: []}


def test_an_offset_messages_cursor_repeats_a_message_of_the_first_page() -> None:
    during = [
        messages("during", ["m4", "m3"], "2", "2"),
        messages("during", ["m3", "m2"], "4", "2"),
        messages("during", ["m1"], None, "2"),
    ]
    (message,) = findings(judge_step(STEP, message_probe(during)), MESSAGES_CURSOR)
    assert message == (
        "messages of 'sb' with messages_limit=2 and a message posted after page 1 returned "
        "message 'm3' more than once"
    )


def test_a_messages_walk_that_skips_an_older_message_fails() -> None:
    during = [messages("during", ["m4", "m3"], "k", "2"), messages("during", ["m1"], None, "2")]
    (finding,) = judge_step(STEP, message_probe(during))[MESSAGES_CURSOR]
    assert finding.message == (
        "messages of 'sb' with messages_limit=2 and a message posted after page 1 skipped 1 "
        "message(s) which the conversation showed before and after the walk, e.g. 'm2'"
    )
    assert finding.operation == "getConversationById"


def test_the_new_message_and_messages_gone_since_may_be_missed() -> None:
    during = [messages("during", ["m4", "m3"], "k", "2"), messages("during", ["m2"], None, "2")]
    after = ["n", "m4", "m3", "m2"]  # m1 gone by the full read after: not "skipped"
    assert judge_step(STEP, message_probe(during, after)) == {MESSAGES_CURSOR: []}


def test_a_walk_cut_by_a_429_is_not_judged() -> None:
    cut = exchange(
        429,
        error_body("RATE_LIMIT_EXCEEDED"),
        operation="getConversationById",
        context={"step": STEP, "probe": "messages", "read": "during", "walk": "2"},
    )
    during = [messages("during", ["m4", "m3"], "k", "2"), cut]
    assert judge_step(STEP, message_probe(during)) == {MESSAGES_CURSOR: None}


def test_list_walk_limits_put_the_sandbox_after_and_on_the_first_page() -> None:
    assert mid_walk_limits(48, 2) == [2, 3]  # [a, b] | c...  and  [a, b, c] | d...
    assert mid_walk_limits(48, 20) == [7, 21]
    assert mid_walk_limits(48, 0) == [1]  # on top: no first page can stop before it
    assert mid_walk_limits(48, 47) == [7]  # last: no first page holding it has a next one
    assert mid_walk_limits(48, None) == [7]
    assert mid_walk_limits(1, 0) == []  # one conversation: no walk has a second page


def test_list_walk_limits_keep_a_large_inbox_within_the_page_budget() -> None:
    # 30,000 conversations: at least 150 a page (200 pages), whatever the sandbox's place
    assert mid_walk_limits(30_000, 3) == [150]
    assert mid_walk_limits(30_000, 400) == [150, 401]
    assert mid_walk_limits(300_000, 5000) == [1000]  # the largest limit the contract allows
