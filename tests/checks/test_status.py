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


def test_a_provider_found_gone_is_not_a_server_error(ctx) -> None:
    gone = exchange(
        no_response=True,
        error="connection: ConnectionError: refused",
        context={"provider_down": True},
    )
    assert status.check_no_server_error(gone, ctx) is None
    broken = exchange(no_response=True, error="connection: ConnectionResetError: reset")
    (finding,) = status.check_no_server_error(broken, ctx)
    assert "500" not in finding.message and "broke the connection" in finding.message


def test_response_size(ctx) -> None:
    from dataclasses import replace

    small = exchange(200, {"success": True, "data": []})
    assert status.check_response_size(small, ctx) == []
    big = replace(small, response=replace(small.response, truncated=True, oversize=11_000_000))
    (finding,) = status.check_response_size(big, ctx)
    assert "more than 11000000 bytes" in finding.message and str(ctx.body_cap) in finding.message
    assert status.check_response_size(exchange(no_response=True, error="timeout"), ctx) is None


def test_an_oversize_body_is_judged_for_its_size_only(ctx) -> None:
    from dataclasses import replace

    from conformance.checks import judge

    cut = exchange(200, raw=b'{"success": true, "data": [')
    cut = replace(cut, response=replace(cut.response, truncated=True, oversize=20_000_000))
    findings, checked = judge(cut, ctx)
    assert [f.rule for f in findings] == ["robustness.response-size"]
    assert "response.success-envelope" not in checked and "response.schema" not in checked


def test_invalid_input(ctx) -> None:
    sent = {"invalid_input": "conversations_limit='abc'"}
    assert status.check_invalid_input(exchange(200, {"success": True, "data": []}), ctx) is None
    assert status.check_invalid_input(exchange(200, {"data": []}, context=sent), ctx) == []
    refused = exchange(400, error_body("INVALID_BODY"), context=sent)
    assert status.check_invalid_input(refused, ctx) == []
    for bad in (
        exchange(404, error_body(), context=sent),
        exchange(400, error_body("X"), context=sent),
    ):
        (finding,) = status.check_invalid_input(bad, ctx)
        assert "conversations_limit='abc'" in finding.message
    assert status.check_invalid_input(exchange(429, error_body(), context=sent), ctx) is None


def test_liveness_names_the_request_before_the_provider_went_away() -> None:
    watch = status.Liveness()
    first = exchange(200, {"success": True, "data": []})
    killer = exchange(200, {"success": True, "data": {"id": "m1"}}, operation="postMessage")
    gone = exchange(no_response=True, error="connection: refused", context={"provider_down": True})
    assert watch.observe(first) == [] and watch.observe(killer) == []
    (finding,) = watch.observe(gone)
    assert finding.rule == "robustness.provider-alive" and finding.exchange is killer
    assert "the probable cause" in finding.message and "connection: refused" in finding.message
    assert watch.observe(gone) == []  # reported once
