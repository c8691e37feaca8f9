"""The simulator as a vendor's app meets it over real HTTP: Pipedrive-like answers, what it
records and judges, bad input, and that it only ever calls the manifest's URLs."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import requests

from conformance.channels import SimulatorOptions
from conformance.ledger import NOT_APPLICABLE, PASSED
from conformance.reference import ReferenceServer
from tests.channels.helpers import TOKEN, channel_findings, simulated, vendor_run

AUTH = {"Authorization": f"Bearer {TOKEN}"}
MESSAGE = {
    "id": "m-1",
    "channel_id": "ref-main",
    "sender_id": "contact-004",
    "conversation_id": "conv-004",
    "message": "hi",
    "status": "sent",
    "created_at": "2024-05-01 10:00",
}


def post(simulator, path: str, body=None, headers=AUTH, **kwargs) -> requests.Response:
    return requests.post(
        simulator.base_url + path, json=body, headers=headers, timeout=10, **kwargs
    )


def test_add_channel_answers_like_pipedrive_with_its_own_id(tmp_path: Path) -> None:
    with simulated(tmp_path, options=SimulatorOptions(force_429_at=None)) as (simulator, _):
        answer = post(simulator, "/channels", {"name": "Shop", "provider_channel_id": "ref-main"})
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
        data = answer.json()["data"]
        assert answer.json()["success"] is True
        assert data["provider_channel_id"] == "ref-main" and data["id"] != "ref-main"
        assert data["provider_type"] == "other" and data["template_support"] is False
        assert {"marketplace_client_id", "pd_company_id", "pd_user_id", "created_at"} <= set(data)
        again = post(simulator, "/channels", {"name": "Shop", "provider_channel_id": "ref-main"})
        assert again.json()["data"]["id"] != data["id"]


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/channels", {"name": "x"}, 400, "INVALID_BODY"),
        (
            "/channels",
            {"name": "x", "provider_channel_id": "p", "provider_type": "sms"},
            400,
            "INVALID_BODY",
        ),
        (
            "/channels/messages/receive",
            {**MESSAGE, "status": "seen"},
            400,
            "INVALID_RECEIVE_MESSAGE_PAYLOAD",
        ),
        ("/channels/messages/receive", MESSAGE, 404, "NOT_FOUND"),  # nothing registered
    ],
)
def test_errors_have_pipedrive_s_body(tmp_path: Path, path, body, status, code) -> None:
    with simulated(tmp_path, options=SimulatorOptions(force_429_at=None)) as (simulator, _):
        answer = post(simulator, path, body)
        assert answer.status_code == status
        assert answer.json()["success"] is False and answer.json()["data"] is None
        assert answer.json()["additional_data"]["code"] == code
        assert answer.json()["error"] and answer.json()["error_info"]


def test_token_is_required_and_never_recorded(tmp_path: Path) -> None:
    with simulated(tmp_path, options=SimulatorOptions(force_429_at=None)) as (simulator, _):
        body = {"name": TOKEN, "provider_channel_id": "ref-main"}
        assert post(simulator, "/channels", body, headers={}).status_code == 401
        wrong = post(simulator, "/channels", body, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.json()["additional_data"]["code"] == "UNAUTHORIZED"
        assert post(simulator, "/channels", body).status_code == 200
        report = simulator.finish(settle=10)
    findings = [f for f in report.findings if f.rule == "channels.auth"]
    assert len(findings) == 2
    text = json.dumps(report.to_dict())
    assert TOKEN not in text and "<redacted>" in text


def test_deletes_answer_404_for_unknown_ids(tmp_path: Path) -> None:
    with simulated(tmp_path, options=SimulatorOptions(force_429_at=None)) as (simulator, _):
        post(simulator, "/channels", {"name": "Shop", "provider_channel_id": "ref-main"})
        base = simulator.base_url
        gone = requests.delete(f"{base}/channels/ref-main/conversations/nope", headers=AUTH)
        assert gone.status_code == 404 and gone.json()["additional_data"]["code"] == "NOT_FOUND"
        assert requests.delete(f"{base}/channels/other", headers=AUTH).status_code == 404
        simulator.settle(10)  # the walk made conv-001 known
        known = requests.delete(f"{base}/channels/ref-main/conversations/conv-001", headers=AUTH)
        assert known.status_code == 200 and known.json() == {"success": True}
        assert requests.delete(f"{base}/channels/ref-main", headers=AUTH).json() == {
            "success": True
        }
        report = simulator.finish(settle=10)
    # the sandbox reply the simulator posted was never reported: no vendor app is running
    assert sorted(f.rule for f in report.findings) == ["channels.delete-known"] * 2 + [
        "channels.posted-status"
    ]


def test_rate_limit_and_the_forced_429(tmp_path: Path) -> None:
    options = SimulatorOptions(rate_limit=2, force_429_at=1)
    with simulated(tmp_path, options=options) as (simulator, _):
        body = {"name": "Shop", "provider_channel_id": "ref-main"}
        forced = post(simulator, "/channels", body)
        assert forced.status_code == 429 and forced.headers["Retry-After"] == "1"
        assert forced.json()["additional_data"]["code"] == "RATE_LIMIT_EXCEEDED"
        statuses = [post(simulator, "/channels", body).status_code for _ in range(10)]
        assert statuses[:2] == [200, 200] and 429 in statuses[2:]
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(
            forced.headers
        )
        report = simulator.finish(settle=10)
    assert "channels.backoff" in channel_findings(report)


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/channels", {"data": b"{not json"}),
        ("POST", "/channels", {"data": b"\xff\xfe\x00"}),
        ("POST", "/channels", {"data": b"[1, 2]"}),
        ("POST", "/channels/messages/receive", {"data": b"null"}),
        ("POST", "/channels/messages/receive", {"data": b"x" * (2 * 1024 * 1024)}),
        ("GET", "/channels", {}),
        ("POST", "/nope", {"data": b"{}"}),
        ("PUT", "/channels/a/conversations/b", {}),
        ("DELETE", "/channels/%ff%00/conversations/%2e%2e", {}),
        ("POST", "/channels", {"data": b'{"name": "\\ud800", "provider_channel_id": 1e999}'}),
    ],
)
def test_bad_input_gets_a_clear_4xx_never_a_500(tmp_path: Path, method, path, kwargs) -> None:
    with simulated(tmp_path, options=SimulatorOptions(force_429_at=None)) as (simulator, _):
        answer = requests.request(
            method, simulator.base_url + path, headers=AUTH, timeout=10, **kwargs
        )
        assert 400 <= answer.status_code < 500, answer.text[:200]
        assert answer.json()["success"] is False
        # still serving
        ok = post(simulator, "/channels", {"name": "Shop", "provider_channel_id": "ref-main"})
        assert ok.status_code == 200


def test_a_chunked_body_without_length_is_capped(tmp_path: Path) -> None:
    def chunks():
        for _ in range(40):
            yield b"x" * 65536

    with simulated(tmp_path, options=SimulatorOptions(force_429_at=None)) as (simulator, _):
        answer = requests.post(
            simulator.base_url + "/channels/messages/receive", data=chunks(), headers=AUTH
        )
        assert answer.status_code in (400, 413)


class Canary:
    """A loopback server that counts every request it gets (it should get none)."""

    def __init__(self) -> None:
        self.hits: list[str] = []

        def app(environ, start_response):
            self.hits.append(environ["PATH_INFO"])
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"hello"]

        self.server = ReferenceServer(app=app)


def test_only_the_manifest_urls_are_ever_called(tmp_path: Path) -> None:
    """Callbacks go to the manifest's endpoints only, never to URLs the vendor's calls name."""
    seen: list[tuple[str, str]] = []

    def record(app):
        def middleware(environ, start_response):
            seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
            return app(environ, start_response)

        return middleware

    canary = Canary()
    with canary.server, simulated(tmp_path, wrap=record) as (simulator, _):
        link = canary.server.base_url + "/link"
        post(
            simulator,
            "/channels",
            {"name": "Shop", "provider_channel_id": "ref-main", "avatar_url": link + "/a.png"},
        )
        simulator.settle(10)
        message = {
            **MESSAGE,
            "id": "msg-004-004",
            "conversation_link": link,
            "attachments": [{"id": "a", "type": "image/png", "url": link, "preview_url": link}],
        }
        post(simulator, "/channels/messages/receive", message)
        post(simulator, "/channels/messages/receive", message)
        simulator.finish(settle=10)
    assert canary.hits == []
    # the profile's manifest (read once at start), then its endpoints for the registered channel
    allowed = (
        "/manifest.json",
        "/api/channels/ref-main/conversations",
        "/api/channels/ref-main/messages",
        "/api/channels/ref-main/senders/",
    )
    assert seen and all(path.startswith(allowed) for _, path in seen), seen
    assert {method for method, _ in seen} <= {"GET", "POST"}


def test_a_vendor_script_in_any_language_gets_answers_and_a_named_finding(tmp_path: Path) -> None:
    """Plain HTTP from several threads at once, one of them with a local time."""
    with simulated(tmp_path, options=SimulatorOptions(force_429_at=None)) as (simulator, _):
        post(simulator, "/channels", {"name": "Shop", "provider_channel_id": "ref-main"})
        answers: list[int] = []

        def deliver(created_at: str) -> None:
            answers.append(
                post(
                    simulator, "/channels/messages/receive", {**MESSAGE, "created_at": created_at}
                ).status_code
            )

        threads = [
            threading.Thread(target=deliver, args=(t,))
            for t in ("2024-05-01 10:00", "2024-05-01T12:00:00+02:00")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        report = simulator.finish(settle=10)
    assert sorted(answers) == [200, 400]
    assert "channels.receive-schema" in channel_findings(report)


def test_the_reference_as_vendor_is_certified_on_every_channels_rule(tmp_path: Path) -> None:
    report = vendor_run(tmp_path)
    assert report.findings == [], [f.message for f in report.findings[:5]]
    channels = {r.rule.id: r.status for r in report.results if r.rule.group == "channels"}
    assert set(channels.values()) == {PASSED}, channels
    manifest_side = {r.status for r in report.results if r.rule.group != "channels"}
    assert manifest_side <= {PASSED, NOT_APPLICABLE}
    assert report.verdict == "certified"
    assert report.meta["channels"]["registered"] == ["ref-disposable", "ref-main"]
