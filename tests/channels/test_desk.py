"""Pipedrive's memory and answers without HTTP: `Desk.handle` on hand-made calls."""

from __future__ import annotations

import json

from conformance.channels import desk as desk_module
from conformance.channels.desk import Desk
from conformance.ledger import Ledger

TOKEN = "desk-token-42"
AUTH = f"Bearer {TOKEN}"


def new_desk() -> tuple[Desk, list[str]]:
    desk = Desk(TOKEN, Ledger(), has_get_templates=True, force_429_at=None)
    follow_ups: list[str] = []
    desk.on_register = lambda provider_id: follow_ups.append(f"walk {provider_id}")
    desk.on_receive = lambda exchange: follow_ups.append("read back")
    return desk, follow_ups


def send(desk: Desk, operation: str, body=None, **path: str):
    raw = b"" if body is None else json.dumps(body).encode()
    return desk.handle(operation, "http://127.0.0.1/v1/x", path, AUTH, raw)


def message(message_id: str, status: str = "sent") -> dict:
    return {
        "id": message_id,
        "channel_id": "p-1",
        "sender_id": "contact-1",
        "conversation_id": "conv-1",
        "message": "hi",
        "status": status,
        "created_at": "2024-05-01 10:00",
    }


def test_register_walks_and_each_message_is_read_back_once(monkeypatch) -> None:
    desk, follow_ups = new_desk()
    assert send(desk, "addChannel", {"name": "n", "provider_channel_id": "p-1"}).status == 200
    for status in ("sent", "delivered", "read"):
        assert send(desk, "receiveMessage", message("m-1", status)).status == 200
    assert follow_ups == ["walk p-1", "read back"]
    monkeypatch.setattr(desk_module, "MAX_READBACKS", 3)
    for index in range(2, 6):
        send(desk, "receiveMessage", message(f"m-{index}"))
    assert follow_ups.count("read back") == 3  # capped
    assert desk.memory.reported.keys() >= {"m-1", "m-5"}  # still judged and remembered


def test_a_backward_status_is_one_finding_and_not_remembered() -> None:
    desk, _ = new_desk()
    send(desk, "addChannel", {"name": "n", "provider_channel_id": "p-1"})
    for status in ("read", "delivered", "read"):
        send(desk, "receiveMessage", message("m-1", status))
    findings = [f for f in desk.ledger.findings if f.rule == "channels.status-forward"]
    assert len(findings) == 1 and desk.memory.statuses["m-1"] == "read"


def test_a_deleted_channel_is_unknown_afterwards() -> None:
    desk, _ = new_desk()
    send(desk, "addChannel", {"name": "n", "provider_channel_id": "p-1"})
    assert send(desk, "deleteChannel", channel_id="p-1").status == 200
    answer = send(desk, "receiveMessage", message("m-1"))
    assert answer.status == 404
    [finding] = [f for f in desk.ledger.findings if f.rule == "channels.receive-known-channel"]
    assert "deleted" in finding.message


def test_a_reregistration_gets_a_new_pipedrive_id_and_the_old_one_stays_wrong() -> None:
    desk, _ = new_desk()
    first = send(desk, "addChannel", {"name": "n", "provider_channel_id": "p-1"}).body["data"]
    second = send(desk, "addChannel", {"name": "n", "provider_channel_id": "p-1"}).body["data"]
    assert first["id"] != second["id"]
    send(desk, "deleteChannel", channel_id=first["id"])
    assert [f.rule for f in desk.ledger.findings] == ["channels.provider-id"]


def test_the_rate_limit_counts_calls_per_second_window() -> None:
    now = [100.0]
    desk = Desk(TOKEN, Ledger(), has_get_templates=True, rate_limit=2, clock=lambda: now[0])
    desk.tally.force_at = None
    body = {"name": "n", "provider_channel_id": "p-1"}
    assert [send(desk, "addChannel", body).status for _ in range(3)] == [200, 200, 429]
    limited = send(desk, "addChannel", body)
    assert limited.headers["Retry-After"] == "1" and limited.headers["X-RateLimit-Remaining"] == "0"
    now[0] += 1.01
    assert send(desk, "addChannel", body).status == 200
    # the two 429s were each followed by a call too soon, then by one after the wait
    backoff = [f for f in desk.ledger.findings if f.rule == "channels.backoff"]
    assert len(backoff) == 1


def test_the_forced_429_hits_the_nth_authenticated_call_once() -> None:
    desk = Desk(TOKEN, Ledger(), has_get_templates=True, force_429_at=2)
    body = {"name": "n", "provider_channel_id": "p-1"}
    unauthenticated = desk.handle("addChannel", "u", {}, None, json.dumps(body).encode())
    assert unauthenticated.status == 401
    assert [send(desk, "addChannel", body).status for _ in range(4)] == [200, 429, 200, 200]


def test_the_token_is_scrubbed_from_the_record_in_any_encoding() -> None:
    """The desk records with the suite's one Redactor: an app that puts its token into a
    body or URL, percent-encoded or in base64, does not leak it into the report."""
    import base64

    desk, _ = new_desk()
    heard = []
    desk.listeners.append(heard.append)
    encoded = base64.b64encode(TOKEN.encode()).decode()
    body = {"name": f"{TOKEN} {encoded}", "provider_channel_id": "p-1"}
    raw = json.dumps(body).encode()
    desk.handle("addChannel", f"http://127.0.0.1/v1/x?t={TOKEN}", {}, AUTH, raw)
    (exchange,) = heard
    recorded = exchange.request.body.decode() + exchange.request.url
    assert TOKEN not in recorded and encoded not in recorded
    assert recorded.count("<redacted>") == 3
