"""pagination.cursor-walk and pagination.messages-cursor: every clause, from hand-made pages."""

from __future__ import annotations

from conformance.checks.walks import (
    EMPTY_PAGE_BUDGET,
    judge_conversation_walks,
    judge_message_paging,
)
from tests.checks.conftest import error_body, exchange


def page(ids: list[str], after: str | None, walk: str = "default"):
    body = {
        "success": True,
        "data": [{"id": i} for i in ids],
        "additional_data": {"after": after or ""},
    }
    return exchange(200, body, context={"step": "conversation-walks", "walk": walk})


def messages_page(cid: str, ids: list[str], cursor: str | None, walk: str):
    body = {
        "success": True,
        "data": {"id": cid, "messages": [{"id": i} for i in ids], "next_messages_cursor": cursor},
    }
    return exchange(
        200,
        body,
        operation="getConversationById",
        context={"step": "message-paging", "conversation": cid, "walk": walk},
    )


def messages_of(result) -> list[str]:
    return [f.message for f in result["pagination.cursor-walk"]]


def test_a_walk_that_ends_without_repeats_holds() -> None:
    walk = [page(["a", "b"], "p2"), page(["c"], None)]
    assert judge_conversation_walks(walk) == {"pagination.cursor-walk": []}


def test_a_conversation_returned_twice_fails() -> None:
    walk = [page(["a", "b"], "p2"), page(["b", "c"], None)]
    assert (
        "returned conversation 'b' more than once" in messages_of(judge_conversation_walks(walk))[0]
    )


def test_a_repeated_cursor_never_ends() -> None:
    walk = [page(["a"], "p2"), page(["b"], "p3"), page(["c"], "p2")]
    (message,) = messages_of(judge_conversation_walks(walk))
    assert "never ends" in message and "repeated" in message


def test_empty_pages_that_keep_a_cursor_never_end() -> None:
    walk = [page(["a"], "p1")] + [page([], f"e{i}") for i in range(EMPTY_PAGE_BUDGET)]
    (message,) = messages_of(judge_conversation_walks(walk))
    assert f"{EMPTY_PAGE_BUDGET} empty pages in a row still carried a cursor" in message


def test_an_empty_page_with_a_cursor_then_the_end_holds() -> None:
    walk = [page(["a"], "p1"), page([], "p2"), page(["b"], None)]
    assert judge_conversation_walks(walk) == {"pagination.cursor-walk": []}


def test_a_walk_stopped_by_its_budget_never_ends() -> None:
    walk = [page([f"c{i}"], f"p{i}") for i in range(5)]
    (message,) = messages_of(judge_conversation_walks(walk))
    assert "no end after 5 pages" in message


def test_a_later_page_that_is_not_a_list_fails() -> None:
    broken = exchange(200, {"success": True, "data": {"oops": 1}}, context={"walk": "default"})
    walk = [page(["a"], "p2"), broken]
    (message,) = messages_of(judge_conversation_walks(walk))
    assert "page 2" in message and "did not return the conversation list" in message


def test_small_walk_missing_a_conversation_fails() -> None:
    walk = [page(["a", "b", "c"], None), page(["a"], "x", "1"), page(["b"], None, "1")]
    (message,) = messages_of(judge_conversation_walks(walk))
    assert "conversations_limit=1 missed 1" in message and "'c'" in message


def test_default_walk_missing_what_a_small_walk_saw_fails() -> None:
    walk = [page(["a"], None), page(["a"], "x", "1"), page(["b"], None, "1")]
    (message,) = messages_of(judge_conversation_walks(walk))
    assert "conversations_limit=default missed 1" in message and "'b'" in message


def test_a_walk_cut_by_a_429_is_not_judged() -> None:
    limited = exchange(429, error_body("RATE_LIMIT_EXCEEDED"), context={"walk": "default"})
    assert judge_conversation_walks([page(["a"], "p2"), limited]) == {
        "pagination.cursor-walk": None
    }


def test_a_broken_first_page_is_left_to_the_exchange_checks() -> None:
    broken = exchange(200, {"success": True, "data": "x"}, context={"walk": "default"})
    assert judge_conversation_walks([broken]) == {"pagination.cursor-walk": None}


# -- messages -----------------------------------------------------------------------------
def test_message_walks_that_agree_hold() -> None:
    evidence = [
        messages_page("c1", ["m1"], "k1", "1"),
        messages_page("c1", ["m2"], None, "1"),
        messages_page("c1", ["m1", "m2"], None, "30"),
    ]
    assert judge_message_paging(evidence) == {"pagination.messages-cursor": []}


def test_a_full_page_without_cursor_while_more_exist_loses_messages() -> None:
    evidence = [messages_page("c1", ["m1"], None, "1"), messages_page("c1", ["m1", "m2"], "", "30")]
    (finding,) = judge_message_paging(evidence)["pagination.messages-cursor"]
    assert "ended on a full page of 1 without next_messages_cursor" in finding.message
    assert "messages_limit=30 returned 2" in finding.message


def test_a_short_last_page_is_not_called_truncated() -> None:
    # 1 of a limit of 5: the provider says that is all; a newer message elsewhere is no loss
    evidence = [messages_page("c1", ["m1"], None, "5"), messages_page("c1", ["m1", "m2"], "", "30")]
    assert judge_message_paging(evidence) == {"pagination.messages-cursor": []}


def test_a_repeated_message_fails() -> None:
    evidence = [messages_page("c1", ["m1"], "k1", "1"), messages_page("c1", ["m1"], None, "1")]
    (finding,) = judge_message_paging(evidence)["pagination.messages-cursor"]
    assert "returned message 'm1' more than once" in finding.message


def test_a_messages_cursor_that_repeats_never_ends() -> None:
    evidence = [
        messages_page("c1", ["m1"], "k1", "1"),
        messages_page("c1", ["m2"], "k2", "1"),
        messages_page("c1", ["m3"], "k1", "1"),
    ]
    (finding,) = judge_message_paging(evidence)["pagination.messages-cursor"]
    assert "never ends" in finding.message and "repeated" in finding.message


def test_a_cursor_page_that_is_not_the_conversation_fails() -> None:
    evidence = [
        messages_page("c1", ["m1"], "k1", "1"),
        exchange(
            404,
            error_body(),
            operation="getConversationById",
            context={"conversation": "c1", "walk": "1"},
        ),
    ]
    (finding,) = judge_message_paging(evidence)["pagination.messages-cursor"]
    assert "page 2" in finding.message and "did not return the message page" in finding.message


def test_no_judgeable_message_walk_is_not_judged() -> None:
    assert judge_message_paging([]) == {"pagination.messages-cursor": None}
