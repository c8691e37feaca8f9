from __future__ import annotations

from conformance.checks import status
from tests.checks.conftest import error_body, exchange, rules


def test_documented(ctx) -> None:
    assert status.check_documented(exchange(404, error_body()), ctx) == []
    assert rules(status.check_documented(exchange(418, error_body("X")), ctx)) == [
        "status.documented"
    ]
    assert rules(status.check_documented(exchange(302, raw=b"", body=None), ctx)) == [
        "status.documented"
    ]
    # 5xx belong to status.no-server-error alone
    assert status.check_documented(exchange(502, raw=b"<html>bad gateway", body=None), ctx) == []


def test_no_server_error(ctx) -> None:
    assert status.check_no_server_error(exchange(200, {"success": True}), ctx) == []
    assert rules(status.check_no_server_error(exchange(500, error_body("X")), ctx)) == [
        "status.no-server-error"
    ]
    assert rules(
        status.check_no_server_error(
            exchange(502, raw=b"<html>", body=None, content_type="text/html"), ctx
        )
    ) == ["status.no-server-error"]


def test_timeout(ctx) -> None:
    assert status.check_timeout(exchange(200, {}), ctx) == []
    assert rules(status.check_timeout(exchange(200, {}, elapsed=12.0), ctx)) == [
        "robustness.timeout"
    ]
    assert rules(
        status.check_timeout(
            exchange(no_response=True, error="timeout: no response within 10 s"), ctx
        )
    ) == ["robustness.timeout"]
    assert (
        status.check_timeout(exchange(no_response=True, error="connection: refused"), ctx) is None
    )


def test_valid_credentials_never_get_401(ctx) -> None:
    unauthorized = error_body("UNAUTHORIZED")
    assert rules(status.check_valid_accepted(exchange(401, unauthorized), ctx)) == [
        "auth.valid-accepted"
    ]
    assert status.check_valid_accepted(exchange(200, {"success": True}), ctx) == []
    assert status.check_valid_accepted(exchange(401, unauthorized, auth=False), ctx) is None
    assert (
        status.check_valid_accepted(
            exchange(401, unauthorized, context={"fixture": "suspended_channel"}), ctx
        )
        is None
    )
    assert (
        status.check_valid_accepted(
            exchange(401, unauthorized, context={"auth": "wrong-secret"}), ctx
        )
        is None
    )


def test_broken_connection_is_a_server_failure(ctx) -> None:
    broken = exchange(no_response=True, error="connection: ConnectionResetError: reset by peer")
    assert rules(status.check_no_server_error(broken, ctx)) == ["status.no-server-error"]
    timed_out = exchange(no_response=True, error="timeout: no response within 10 s")
    assert status.check_no_server_error(timed_out, ctx) is None
