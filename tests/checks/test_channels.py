"""Every clause of the channels.* judges, on hand-made exchanges (no server)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.checks import channel_flows as flows
from conformance.checks import channels as ch
from conformance.model import Exchange, RecordedRequest, RecordedResponse

GOOD_MESSAGE = {
    "id": "m-1",
    "channel_id": "prov-1",
    "sender_id": "contact-1",
    "conversation_id": "conv-1",
    "message": "hello",
    "status": "sent",
    "created_at": "2024-05-01T10:00:00.000Z",
}


def call(
    operation: str,
    body: Any = None,
    *,
    status: int = 200,
    auth: str = "bearer",
    at: float = 0.0,
    path: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Exchange:
    raw = body if isinstance(body, bytes) else None if body is None else json.dumps(body).encode()
    return Exchange(
        operation,
        RecordedRequest("POST", "http://127.0.0.1:8099/v1/channels", {}, raw),
        RecordedResponse(status, headers or {}, b"{}"),
        context={"auth": auth, "at": at, "path": path or {}},
    )


def read(operation: str, status: int, body: Any) -> Exchange:
    return Exchange(
        operation,
        RecordedRequest("GET", "http://127.0.0.1/x"),
        RecordedResponse(status, {"content-type": "application/json"}, json.dumps(body).encode()),
    )


def conversation(messages: list[dict[str, Any]], participants=("agent-1", "contact-1")) -> Exchange:
    data = {
        "id": "conv-1",
        "participants": [{"id": p} for p in participants],
        "messages": messages,
    }
    return read("getConversationById", 200, {"success": True, "data": data})


def rules(findings) -> list[str]:
    return [f.rule for f in findings or []]


# -- auth ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("auth", "bad"), [("bearer", False), ("missing", True), ("wrong", True)])
def test_auth(auth: str, bad: bool) -> None:
    found = ch.check_auth(call("receiveMessage", GOOD_MESSAGE, auth=auth))
    assert rules(found) == (["channels.auth"] if bad else [])


# -- addChannel ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "n", "provider_channel_id": "p"}, None),
        (
            {
                "name": "n",
                "provider_channel_id": "p",
                "avatar_url": "https://x.example/a.png",
                "template_support": False,
                "provider_type": "whatsapp",
            },
            None,
        ),
        ({"provider_channel_id": "p"}, "name"),
        ({"name": "n", "provider_channel_id": 7}, "provider_channel_id"),
        ({"name": "n", "provider_channel_id": "p", "avatar_url": "not a url"}, "avatar_url"),
        ({"name": "n", "provider_channel_id": "p", "template_support": "yes"}, "template_support"),
        ({"name": "n", "provider_channel_id": "p", "provider_type": "telegram"}, "provider_type"),
        (b"not json", "not a JSON object"),
    ],
)
def test_register_schema(body: Any, fragment: str | None) -> None:
    found = ch.check_register_schema(call("addChannel", body))
    if fragment is None:
        assert found == []
    else:
        assert rules(found) == ["channels.register-schema"] and fragment in found[0].message


def test_register_schema_applies_only_to_authenticated_add_channel() -> None:
    assert ch.check_register_schema(call("receiveMessage", {})) is None
    assert ch.check_register_schema(call("addChannel", {}, auth="missing")) is None


@pytest.mark.parametrize(
    ("support", "has_templates", "bad"),
    [(True, True, False), (True, False, True), (False, False, False), (None, False, False)],
)
def test_template_support(support, has_templates: bool, bad: bool) -> None:
    body = {"name": "n", "provider_channel_id": "p"}
    if support is not None:
        body["template_support"] = support
    found = ch.check_template_support(call("addChannel", body), has_templates)
    assert rules(found) == (["channels.template-support"] if bad else [])


# -- ids ----------------------------------------------------------------------------------
def test_provider_id() -> None:
    pd = {"pd-1": "prov-1"}
    assert ch.check_provider_id(call("receiveMessage", GOOD_MESSAGE), pd) == []
    wrong = call("receiveMessage", {**GOOD_MESSAGE, "channel_id": "pd-1"})
    found = ch.check_provider_id(wrong, pd)
    assert rules(found) == ["channels.provider-id"] and "'prov-1'" in found[0].message
    delete = call("deleteChannel", path={"channel_id": "pd-1"})
    assert rules(ch.check_provider_id(delete, pd)) == ["channels.provider-id"]
    assert ch.check_provider_id(wrong, {}) is None  # nothing registered yet
    assert ch.check_provider_id(call("addChannel", {}), pd) is None


def test_receive_known_channel_leaves_pipedrive_ids_to_provider_id() -> None:
    registered = {"prov-1"}
    assert ch.check_receive_known_channel(call("receiveMessage", GOOD_MESSAGE), registered) == []
    other = call("receiveMessage", {**GOOD_MESSAGE, "channel_id": "nope"})
    assert rules(ch.check_receive_known_channel(other, registered)) == [
        "channels.receive-known-channel"
    ]
    by_pd = call("receiveMessage", {**GOOD_MESSAGE, "channel_id": "pd-1"})
    assert ch.check_receive_known_channel(by_pd, registered, {"pd-1"}) is None


def test_delete_known() -> None:
    registered, conversations = {"prov-1"}, {"prov-1": {"conv-1"}}

    def judge(operation: str, **path: str):
        return ch.check_delete_known(call(operation, path=path), registered, conversations)

    assert judge("deleteChannel", channel_id="prov-1") == []
    assert rules(judge("deleteChannel", channel_id="ghost")) == ["channels.delete-known"]
    assert judge("deleteConversation", channel_id="prov-1", conversation_id="conv-1") == []
    found = judge("deleteConversation", channel_id="prov-1", conversation_id="conv-9")
    assert rules(found) == ["channels.delete-known"] and "conv-9" in found[0].message
    assert ch.check_delete_known(call("receiveMessage", {}), registered, conversations) is None


# -- receiveMessage schema ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        ({}, None),
        ({"created_at": "2024-05-01 10:00"}, None),  # the docs' format
        ({"created_at": "2024-05-01T10:00:00+00:00"}, None),
        ({"reply_by": "2024-05-02T10:00:00Z", "conversation_link": "https://x.example/c"}, None),
        ({"attachments": [{"id": "a", "type": "image/png", "url": "https://x.example/a"}]}, None),
        ({"created_at": "2024-05-01T12:00:00+02:00"}, "created_at"),
        ({"created_at": "2024-05-01T10:00:00"}, "created_at"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"reply_by": "2024-05-01T12:00:00-03:00"}, "reply_by"),
        ({"status": "seen"}, "status"),
        ({"sender_id": None}, "sender_id"),
        ({"id": ""}, "id"),
        ({"conversation_link": "nope"}, "conversation_link"),
        ({"attachments": [{"id": "a", "type": "image/png"}]}, "url"),
        ({"attachments": "a"}, "attachments"),
    ],
)
def test_receive_schema(edit: dict[str, Any], fragment: str | None) -> None:
    found = ch.check_receive_schema(call("receiveMessage", {**GOOD_MESSAGE, **edit}))
    if fragment is None:
        assert found == []
    else:
        assert rules(found) == ["channels.receive-schema"] and fragment in found[0].message


def test_receive_schema_missing_field_and_not_json() -> None:
    body = dict(GOOD_MESSAGE)
    del body["conversation_id"]
    assert "conversation_id" in ch.check_receive_schema(call("receiveMessage", body))[0].message
    assert rules(ch.check_receive_schema(call("receiveMessage", b"{oops"))) == [
        "channels.receive-schema"
    ]


# -- status -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sequence", "bad"),
    [
        (["sent", "delivered", "read"], 0),
        (["sent", "read"], 0),
        (["sent", "sent", "failed"], 0),
        (["read", "delivered"], 1),
        (["delivered", "sent", "read"], 1),
        (["failed", "sent"], 1),
    ],
)
def test_status_forward(sequence: list[str], bad: int) -> None:
    receives = [call("receiveMessage", {**GOOD_MESSAGE, "status": s}) for s in sequence]
    assert rules(flows.check_status_forward(receives)) == ["channels.status-forward"] * bad


def test_status_forward_is_per_message_and_ignores_refused_calls() -> None:
    receives = [
        call("receiveMessage", {**GOOD_MESSAGE, "status": "read"}),
        call("receiveMessage", {**GOOD_MESSAGE, "id": "m-2", "status": "sent"}),
        call("receiveMessage", {**GOOD_MESSAGE, "status": "sent"}, status=429),
    ]
    assert flows.check_status_forward(receives) == []
    assert flows.check_status_forward([]) is None


# -- backoff ------------------------------------------------------------------------------
def test_backoff() -> None:
    limited = call(
        "receiveMessage", GOOD_MESSAGE, status=429, at=10.0, headers={"Retry-After": "1"}
    )
    patient = call("receiveMessage", GOOD_MESSAGE, at=11.02)
    hasty = call("receiveMessage", GOOD_MESSAGE, at=10.2)
    assert flows.check_backoff([limited, patient]) == []
    found = flows.check_backoff([limited, hasty])
    assert rules(found) == ["channels.backoff"] and "0.20 s" in found[0].message
    assert flows.check_backoff([limited]) is None  # no call after the 429: not judged
    assert flows.check_backoff([patient, hasty]) is None


def test_backoff_reads_the_rate_limit_reset_without_retry_after() -> None:
    limited = call("addChannel", {}, status=429, at=0.0, headers={"X-RateLimit-Reset": "2"})
    assert rules(flows.check_backoff([limited, call("addChannel", {}, at=1.5)])) == [
        "channels.backoff"
    ]


# -- read-backs ---------------------------------------------------------------------------
SERVED = {"id": "m-1", "sender_id": "contact-1", "message": "hello"}


def test_participant() -> None:
    received = call("receiveMessage", GOOD_MESSAGE)
    assert flows.check_receive_participant(received, [conversation([SERVED])]) == []
    ghost = call("receiveMessage", {**GOOD_MESSAGE, "sender_id": "ghost"})
    found = flows.check_receive_participant(ghost, [conversation([SERVED])])
    assert rules(found) == ["channels.receive-participant"] and "'ghost'" in found[0].message
    three = conversation([SERVED], participants=("a", "contact-1", "c"))
    assert "3 participants" in flows.check_receive_participant(received, [three])[0].message
    missing = read("getConversationById", 404, {"success": False})
    assert flows.check_receive_participant(received, [missing]) is None


def test_retrievable() -> None:
    received = call("receiveMessage", GOOD_MESSAGE)
    by_id = read("getMessageById", 200, SERVED)
    assert flows.check_receive_retrievable(received, [conversation([SERVED])], by_id) == []
    # found on the second page of messages
    pages = [conversation([{"id": "m-0"}]), conversation([SERVED])]
    assert flows.check_receive_retrievable(received, pages) == []
    absent = flows.check_receive_retrievable(received, [conversation([])])
    assert rules(absent) == ["channels.receive-retrievable"] and "is not in" in absent[0].message
    edited = conversation([{**SERVED, "message": "bye"}])
    assert "'bye'" in flows.check_receive_retrievable(received, [edited])[0].message
    moved = conversation([{**SERVED, "sender_id": "agent-1"}])
    assert "sender" in flows.check_receive_retrievable(received, [moved])[0].message
    gone = read("getMessageById", 404, {"success": False})
    found = flows.check_receive_retrievable(received, [conversation([SERVED])], gone)
    assert rules(found) == ["channels.receive-retrievable"] and "getMessageById" in found[0].message
    no_conversation = [read("getConversationById", 404, {"success": False})]
    assert rules(flows.check_receive_retrievable(received, no_conversation)) == [
        "channels.receive-retrievable"
    ]
    assert flows.check_receive_retrievable(received, []) is None


def test_retrievable_leaves_a_non_participant_sender_to_receive_participant() -> None:
    ghost = call("receiveMessage", {**GOOD_MESSAGE, "sender_id": "ghost"})
    assert flows.check_receive_retrievable(ghost, [conversation([SERVED])]) == []


def test_posted_status() -> None:
    post = read("postMessage", 200, {"success": True, "data": {"id": "posted-1"}})
    reported = call("receiveMessage", {**GOOD_MESSAGE, "id": "posted-1"})
    assert flows.check_posted_status({"posted-1": post}, [reported]) == []
    found = flows.check_posted_status({"posted-1": post}, [call("receiveMessage", GOOD_MESSAGE)])
    assert rules(found) == ["channels.posted-status"] and found[0].exchange is post
    refused = call("receiveMessage", {**GOOD_MESSAGE, "id": "posted-1"}, status=401)
    assert rules(flows.check_posted_status({"posted-1": post}, [refused])) == [
        "channels.posted-status"
    ]
    assert flows.check_posted_status({}, [reported]) is None


def test_a_vendor_call_reproduces_as_curl_with_the_token_from_the_environment() -> None:
    from conformance.report.curl import curl

    exchange = call("receiveMessage", GOOD_MESSAGE)
    exchange.context["direction"] = "to-pipedrive"
    line = curl(exchange)
    assert '"Authorization: Bearer $PIPEDRIVE_TOKEN"' in line
    assert "--data-binary" in line and '"conv-1"' in line
    assert line.endswith("http://127.0.0.1:8099/v1/channels")
    exchange.context["auth"] = "missing"
    assert "Authorization" not in curl(exchange)
