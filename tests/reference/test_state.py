"""The reference's state: a page served is a snapshot, although it shares, uncopied, the
message dicts the state holds (the state never changes one in place)."""

from __future__ import annotations

from conformance.reference.data import MAIN_CHANNEL
from conformance.reference.state import State


def test_a_page_keeps_the_status_it_was_rendered_with() -> None:
    state = State(rate_limit=None)
    page, _ = state.page_conversations(MAIN_CHANNEL, limit=1, messages_limit=5, after=None)
    conversation = page[0]
    first = conversation["messages"][0]
    before = dict(first)
    moved_on = "read" if first["status"] != "read" else "delivered"
    state.set_status(conversation["id"], first["id"], moved_on)
    assert first == before  # what was rendered (and may be serialized now) did not change
    again = state.render(state.conversation(MAIN_CHANNEL, conversation["id"]), messages_limit=5)
    assert again["messages"][0]["status"] == moved_on
    assert {k: v for k, v in again["messages"][0].items() if k != "status"} == {
        k: v for k, v in before.items() if k != "status"
    }


def test_a_posted_message_leaves_pages_already_rendered_alone() -> None:
    state = State(rate_limit=None)
    stored = state.conversation(
        MAIN_CHANNEL, state.channels[MAIN_CHANNEL]["conversations"][0]["id"]
    )
    rendered = state.render(stored, messages_limit=3)
    ids = [m["id"] for m in rendered["messages"]]
    state.add_message(stored, stored["participants"][0]["id"], "hello", [])
    assert [m["id"] for m in rendered["messages"]] == ids
    assert state.render(stored, messages_limit=3)["messages"][0]["message"] == "hello"
