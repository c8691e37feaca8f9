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


def _at(ex, url: str, **context):
    """An exchange with its own URL (the content that tells requests apart) and timings."""
    from dataclasses import replace

    return replace(ex, request=replace(ex.request, url=url), context={**ex.context, **context})


def _broke(url: str, sent: float, broke: float, **more):
    gone = exchange(no_response=True, error="connection: ConnectionError: reset by peer")
    return _at(gone, url, sent_at=sent, connection="broke", broke_at=broke, **more)


def _refused(url: str, sent: float):
    gone = exchange(no_response=True, error="connection: refused")
    return _at(gone, url, sent_at=sent, connection="refused", provider_down=True)


def test_liveness_names_the_first_connection_to_break_not_the_last_answered() -> None:
    watch = status.Liveness()
    answered = _at(exchange(200, {"success": True, "data": []}), "http://p/harmless", sent_at=1)
    other = _broke("http://p/other-worker?limit=2", sent=1.5, broke=2.2, provider_down=True)
    killer = _broke("http://p/killer?limit=0", sent=1.6, broke=2.0)
    late_answer = _at(exchange(200, {"success": True}), "http://p/in-flight", sent_at=1.7)
    # recorded out of order: the other worker's break is heard first
    for seen in (answered, other, late_answer, killer, _refused("http://p/after", 3)):
        assert watch.observe(seen) == []
    (finding,) = watch.finish()
    assert finding.rule == "robustness.provider-alive" and finding.exchange is killer
    assert finding.message.startswith("the provider died on GET http://p/killer?limit=0")
    assert "broke without an answer (connection: ConnectionError: reset by peer)" in finding.message
    assert "also broken in flight: GET http://p/other-worker?limit=2" in finding.message
    assert "harmless" not in finding.message and "in-flight" not in finding.message


def test_liveness_does_not_blame_a_break_the_provider_outlived() -> None:
    """A proxy that drops one connection is not a crash: a request sent after it was answered."""
    watch = status.Liveness()
    dropped = _broke("http://p/dropped", sent=1, broke=1.1)
    later = _at(exchange(200, {"success": True}), "http://p/answered-later", sent_at=2)
    killer = _broke("http://p/killer", sent=3, broke=3.1, provider_down=True)
    for seen in (dropped, later, killer):
        watch.observe(seen)
    (finding,) = watch.finish()
    assert finding.exchange is killer and "dropped" not in finding.message
    # the same, heard in the other order (the dropped one's thread was checking the port)
    watch = status.Liveness()
    for seen in (later, dropped, killer):
        watch.observe(seen)
    (finding,) = watch.finish()
    assert finding.exchange is killer and "dropped" not in finding.message


def test_liveness_without_a_broken_connection_names_the_last_answered() -> None:
    watch = status.Liveness()
    first = exchange(200, {"success": True, "data": []})
    last = _at(exchange(200, {"success": True, "data": {"id": "m1"}}), "http://p/last")
    gone = exchange(no_response=True, error="connection: refused", context={"provider_down": True})
    for seen in (first, last, gone):
        assert watch.observe(seen) == []
    (finding,) = watch.finish()
    assert finding.exchange is last
    assert "after GET http://p/last (200), the probable cause" in finding.message
    assert "connection: refused" in finding.message


def test_liveness_is_silent_while_the_provider_is_up() -> None:
    watch = status.Liveness()
    watch.observe(_broke("http://p/dropped", sent=1, broke=1.1))  # listening still: not down
    assert watch.finish() == []


def test_the_killer_is_named_by_its_fields_and_file_parts() -> None:
    """A post is told apart by what it carried: every field's value, every file part."""
    from dataclasses import replace

    import requests

    from conformance.checks.evidence import FIELD_SHOWN, request_summary
    from conformance.model import RecordedRequest

    long = "x" * (FIELD_SHOWN + 7)
    sent = requests.Request(
        "POST",
        "http://p/c/main/messages",
        files=[
            ("recipientIds", (None, "a,b")),
            ("message", (None, long)),
            ("files", ("pic.png", b"\x89PNG\x00", "image/png")),
        ],
    ).prepare()
    request = RecordedRequest("POST", sent.url, dict(sent.headers), sent.body)
    post = replace(exchange(no_response=True, error="connection: reset"), request=request)
    line = request_summary(post)
    assert line.startswith("POST http://p/c/main/messages with form recipientIds='a,b', ")
    assert f"message='{'x' * FIELD_SHOWN}'… (7 more characters)" in line
    assert "files=<file 'pic.png', image/png, 5 bytes>" in line
    finding = status.liveness_finding(post, [_at(post, sent.url, broke_at=1.0)])
    assert "recipientIds='a,b'" in finding.message and "\n" not in finding.message
