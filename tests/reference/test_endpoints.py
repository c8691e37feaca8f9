"""The reference provider over real HTTP: every endpoint's success and error paths."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime

import pytest
import requests

from conformance.reference import (
    DISPOSABLE_CHANNEL,
    FORBIDDEN_CHANNEL,
    MAIN_CHANNEL,
    SANDBOX,
    SUSPENDED_CHANNEL,
    ReferenceConfig,
    ReferenceServer,
)
from conformance.reference.data import CONVERSATIONS

READ_PATHS = [
    f"{MAIN_CHANNEL}/conversations",
    f"{MAIN_CHANNEL}/conversations/conv-001",
    f"{MAIN_CHANNEL}/conversations/conv-001/messages/msg-001-001",
    f"{MAIN_CHANNEL}/senders/agent-1",
    f"{MAIN_CHANNEL}/templates",
]


def code(response: requests.Response) -> str:
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False and isinstance(body["data"]["message"], str)
    return body["data"]["code"]


@pytest.mark.parametrize("path", READ_PATHS)
def test_reads_succeed_with_valid_credentials(api, path) -> None:
    response = api.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("path", READ_PATHS)
@pytest.mark.parametrize("auth", [None, ("reference-client", "nope"), ("who", "reference-secret")])
def test_bad_credentials_get_401_unauthorized(api, path, auth) -> None:
    response = api.get(path, auth=auth)
    assert response.status_code == 401 and code(response) == "UNAUTHORIZED"


def test_fixture_channels(api) -> None:
    suspended = api.get(f"{SUSPENDED_CHANNEL}/conversations")
    assert suspended.status_code == 401 and code(suspended) == "ACCOUNT_SUSPENDED"
    forbidden = api.get(f"{FORBIDDEN_CHANNEL}/templates")
    assert forbidden.status_code == 403 and code(forbidden) == "FORBIDDEN"


@pytest.mark.parametrize(
    "path",
    [
        "nope/conversations",
        f"{MAIN_CHANNEL}/conversations/nope",
        f"{MAIN_CHANNEL}/senders/nope",
        f"{MAIN_CHANNEL}/conversations/conv-001/messages/nope",
        "nope/templates",
    ],
)
def test_unknown_ids_get_404(api, path) -> None:
    response = api.get(path)
    assert response.status_code == 404 and code(response) == "NOT_FOUND"


@pytest.mark.parametrize(
    "params",
    [
        {"conversations_limit": "abc"},
        {"conversations_limit": 0},
        {"messages_limit": 1001},
        {"after": "garbage!"},
    ],
)
def test_invalid_query_values_get_400(api, params) -> None:
    response = api.get(f"{MAIN_CHANNEL}/conversations", **params)
    assert response.status_code == 400 and code(response) == "INVALID_BODY"


def test_conversation_walk_covers_every_conversation_once(api) -> None:
    seen, after, pages = [], None, 0
    while True:
        body = api.get(
            f"{MAIN_CHANNEL}/conversations",
            conversations_limit=7,
            **({"after": after} if after else {}),
        ).json()
        assert body["success"] is True and len(body["data"]) <= 7
        seen += [c["id"] for c in body["data"]]
        pages += 1
        after = body["additional_data"]["after"]
        if not after:
            break
    assert len(seen) == len(set(seen)) == CONVERSATIONS and pages == -(-CONVERSATIONS // 7)
    default = api.get(f"{MAIN_CHANNEL}/conversations").json()
    assert len(default["data"]) == 30 and default["additional_data"]["after"]


def test_messages_cursor_walk_returns_older_messages_and_ends(api) -> None:
    first = api.get(f"{MAIN_CHANNEL}/conversations/conv-001", messages_limit=30).json()["data"]
    ids = [m["id"] for m in first["messages"]]
    cursor = first["next_messages_cursor"]
    while cursor:
        page = api.get(
            f"{MAIN_CHANNEL}/conversations/conv-001", messages_limit=30, after=cursor
        ).json()["data"]
        new = [m["id"] for m in page["messages"]]
        assert not set(new) & set(ids)
        ids += new
        cursor = page["next_messages_cursor"]
    assert len(ids) >= 70 and cursor == ""


def test_messages_cursor_holds_when_a_message_arrives_between_pages(api) -> None:
    """The model vendors read: a cursor names the last message returned, not an offset."""
    where = f"{MAIN_CHANNEL}/conversations/{SANDBOX['conversation']}"
    before = [m["id"] for m in api.get(where).json()["data"]["messages"]]
    first = api.get(where, messages_limit=2).json()["data"]
    posted = api.post(
        MAIN_CHANNEL,
        {
            "conversationId": SANDBOX["conversation"],
            "senderId": SANDBOX["sender"],
            "recipientIds": SANDBOX["recipient"],
            "message": "arrives mid-walk",
        },
    ).json()["data"]["id"]
    ids, cursor = [m["id"] for m in first["messages"]], first["next_messages_cursor"]
    while cursor:
        page = api.get(where, messages_limit=2, after=cursor).json()["data"]
        ids += [m["id"] for m in page["messages"]]
        cursor = page["next_messages_cursor"]
    assert ids == before and posted not in ids  # no repeat, no skip, the new one on top
    assert api.get(where).json()["data"]["messages"][0]["id"] == posted


def test_conversations_are_one_to_one_with_known_senders(api) -> None:
    for conversation in api.get(f"{MAIN_CHANNEL}/conversations", conversations_limit=100).json()[
        "data"
    ]:
        roles = sorted(p["role"] for p in conversation["participants"])
        assert roles == ["end_user", "source_user"]
        ids = {p["id"] for p in conversation["participants"]}
        assert all(m["sender_id"] in ids for m in conversation["messages"])
        for m in conversation["messages"]:
            assert m["created_at"].endswith("Z")


def test_message_by_id_is_bare_and_has_the_expiring_link(api) -> None:
    conversation = api.get(f"{MAIN_CHANNEL}/conversations/conv-002").json()["data"]
    expiring = [
        m for m in conversation["messages"] if any(a.get("link_expires") for a in m["attachments"])
    ]
    assert expiring
    message = api.get(f"{MAIN_CHANNEL}/conversations/conv-002/messages/{expiring[0]['id']}").json()
    assert message["id"] == expiring[0]["id"] and "success" not in message


def test_sender_and_templates(api) -> None:
    sender = api.get(f"{MAIN_CHANNEL}/senders/contact-003").json()
    assert sender["data"]["id"] == "contact-003" and sender["data"]["avatar_url"]
    templates = api.get(f"{MAIN_CHANNEL}/templates").json()["data"]["templates"]
    assert templates and all({"id", "name", "content", "language"} <= set(t) for t in templates)


def base_form(**extra: str) -> dict[str, str]:
    return {
        "conversationId": SANDBOX["conversation"],
        "senderId": SANDBOX["sender"],
        "recipientIds": SANDBOX["recipient"],
        **extra,
    }


def test_post_with_two_files_is_stored_and_shown(api) -> None:
    files = [
        ("files", ("a.txt", b"hello", "text/plain")),
        ("files", ("b.png", b"\x89PNG....", "image/png")),
    ]
    response = api.post(MAIN_CHANNEL, base_form(message="with files"), files=files)
    assert response.status_code == 200
    message_id = response.json()["data"]["id"]
    latest = api.get(f"{MAIN_CHANNEL}/conversations/{SANDBOX['conversation']}").json()["data"][
        "messages"
    ][0]
    assert latest["id"] == message_id and latest["message"] == "with files"
    assert [a["name"] for a in latest["attachments"]] == ["a.txt", "b.png"]
    assert latest["sender_id"] == SANDBOX["sender"]


def test_post_text_only(api) -> None:
    response = api.post(MAIN_CHANNEL, base_form(message="hi"))
    assert response.status_code == 200 and response.json()["data"]["id"]


@pytest.mark.parametrize(
    "form",
    [
        base_form(),  # no message, no files
        {k: v for k, v in base_form(message="x").items() if k != "conversationId"},
        {k: v for k, v in base_form(message="x").items() if k != "senderId"},
        base_form(message="x", recipientIds=f"{SANDBOX['recipient']},someone-else"),
        base_form(message="x", senderId="stranger"),
    ],
)
def test_invalid_posts_get_400(api, form) -> None:
    response = api.post(MAIN_CHANNEL, form)
    assert response.status_code == 400 and code(response) == "INVALID_BODY"


def test_post_to_unknown_conversation_is_404_and_needs_auth(api) -> None:
    response = api.post(MAIN_CHANNEL, base_form(message="x", conversationId="nope"))
    assert response.status_code == 404 and code(response) == "NOT_FOUND"
    assert api.post(MAIN_CHANNEL, base_form(message="x"), auth=None).status_code == 401


def test_delete_then_404(api) -> None:
    assert api.delete(DISPOSABLE_CHANNEL, auth=None).status_code == 401
    response = api.delete(DISPOSABLE_CHANNEL)
    assert response.status_code == 200 and response.json() == {"success": True}
    after = api.get(f"{DISPOSABLE_CHANNEL}/conversations")
    assert after.status_code == 404 and code(after) == "NOT_FOUND"


def test_unknown_route_is_a_json_404(api) -> None:
    response = requests.get(f"{api.server.base_url}/nothing/here", timeout=5)
    assert response.status_code == 404 and code(response) == "NOT_FOUND"


def test_rate_limit_answers_429_with_future_retry_by() -> None:
    with ReferenceServer(ReferenceConfig(rate_limit=5)) as server:
        from tests.reference.conftest import Api

        api = Api(server)
        statuses = [api.get(f"{MAIN_CHANNEL}/templates") for _ in range(8)]
        limited = [r for r in statuses if r.status_code == 429]
        assert limited and code(limited[0]) == "RATE_LIMIT_EXCEEDED"
        retry_by = limited[0].json()["data"]["retry_by"]
        assert len(retry_by) == 24 and retry_by.endswith("Z") and retry_by[19] == "."
        moment = datetime.fromisoformat(retry_by.replace("Z", "+00:00"))
        now = datetime.now(UTC)
        assert now.timestamp() - 0.5 <= moment.timestamp() <= now.timestamp() + 1.5


def test_manifest_and_profile(tmp_path) -> None:
    with ReferenceServer() as server:
        manifest = requests.get(server.manifest_url, timeout=5).json()
        assert manifest == server.manifest() and len(manifest["endpoints"]) == 7
        profile = server.write_profile(tmp_path / "p.yaml").read_text()
        assert server.manifest_url in profile and "ref-disposable" in profile


def test_two_servers_at_once_then_nothing_left_behind() -> None:
    before = set(threading.enumerate())
    first, second = ReferenceServer().start(), ReferenceServer().start()
    try:
        assert first.port != second.port
        for server in (first, second):
            response = requests.get(
                f"{server.base_url}/api/channels/ref-main/templates",
                auth=("reference-client", "reference-secret"),
                timeout=5,
            )
            assert response.status_code == 200
        # each has its own state: deleting on one leaves the other alone
        requests.delete(
            f"{first.base_url}/api/channels/ref-disposable",
            auth=("reference-client", "reference-secret"),
            timeout=5,
        )
        still = requests.get(
            f"{second.base_url}/api/channels/ref-disposable/conversations",
            auth=("reference-client", "reference-secret"),
            timeout=5,
        )
        assert still.status_code == 200
    finally:
        ports = (first.port, second.port)
        first.stop()
        second.stop()
    leftover = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leftover == []
    for port in ports:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))  # the port is free again


def test_reference_does_not_import_the_suite_s_judgement() -> None:
    import ast
    from pathlib import Path

    import conformance.reference as ref

    for source in Path(ref.__file__).parent.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(
                    ("conformance.checks", "conformance.rules", "conformance.ledger")
                ), source
                if node.module.startswith("conformance"):
                    assert node.module.startswith("conformance.reference"), source


def test_channel_size_is_configurable() -> None:
    """The benchmark scales the main channel; a walk of it must see exactly that many."""
    with ReferenceServer(ReferenceConfig(rate_limit=None, conversations=130)) as server:
        from tests.reference.conftest import Api

        api = Api(server)
        seen, after = [], None
        while True:
            params = {"conversations_limit": 50, **({"after": after} if after else {})}
            body = api.get(f"{MAIN_CHANNEL}/conversations", **params).json()
            seen += [c["id"] for c in body["data"]]
            after = body["additional_data"]["after"]
            if not after:
                break
        assert len(seen) == len(set(seen)) == 130
