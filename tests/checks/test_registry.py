from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.checks import EXCHANGE_CHECKS, judge
from conformance.rules import RULES
from tests.checks.conftest import exchange

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "success",
                    "data",
                    "code",
                    "message",
                    "retry_by",
                    "id",
                    "participants",
                    "messages",
                    "role",
                    "sender_id",
                    "additional_data",
                    "after",
                    "next_messages_cursor",
                ]
            )
            | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


def test_every_check_names_a_catalogue_rule() -> None:
    assert set(EXCHANGE_CHECKS) <= set(RULES)


def test_judge_reports_what_applied(ctx) -> None:
    findings, checked = judge(exchange(200, {"success": True, "data": []}), ctx)
    assert findings == [] and "response.success-envelope" in checked
    assert "error.envelope" not in checked


@settings(max_examples=300, deadline=None)
@given(
    status=st.sampled_from([200, 201, 204, 302, 400, 401, 403, 404, 418, 429, 500, 503]),
    body=JSONISH,
    operation=st.sampled_from(
        [
            "getConversations",
            "getConversationById",
            "getMessageById",
            "postMessage",
            "getTemplates",
            "deleteChannelById",
        ]
    ),
    query=st.dictionaries(
        st.sampled_from(["conversations_limit", "messages_limit"]), st.text(max_size=4), max_size=2
    ),
)
def test_checks_never_raise(status, body, operation, query) -> None:
    from conformance.checks.context import CheckContext
    from tests.checks.conftest import FakeSpec

    ctx = CheckContext(spec=FakeSpec())
    findings, checked = judge(exchange(status, body, operation=operation, query=query), ctx)
    assert all(f.rule in checked for f in findings)
