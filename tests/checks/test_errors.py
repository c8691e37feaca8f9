from __future__ import annotations

import pytest

from conformance.checks import errors
from tests.checks.conftest import error_body, exchange, rules


def test_envelope_passes_on_a_proper_error(ctx) -> None:
    assert errors.check_envelope(exchange(404, error_body()), ctx) == []


def test_envelope_does_not_apply_to_success(ctx) -> None:
    assert errors.check_envelope(exchange(200, {"success": True, "data": []}), ctx) is None


@pytest.mark.parametrize(
    ("status", "body", "raw", "fragment"),
    [
        (401, None, b"<html><body>401 Unauthorized</body></html>", "not JSON"),
        (
            404,
            {"success": "false", "data": {"message": "x", "code": "NOT_FOUND"}},
            None,
            "success is 'false'",
        ),
        (404, {"success": False, "data": {"code": "NOT_FOUND"}}, None, "data.message is missing"),
        (400, {"success": False, "data": {"message": "x", "code": 400}}, None, "data.code is 400"),
        (403, {"success": False, "message": "x"}, None, "data is missing"),
        (404, ["not", "an", "object"], None, "JSON list"),
    ],
)
def test_envelope_failures(ctx, status, body, raw, fragment) -> None:
    findings = errors.check_envelope(exchange(status, body, raw=raw), ctx)
    assert rules(findings) and set(rules(findings)) == {"error.envelope"}
    assert any(fragment in f.message for f in findings)


@pytest.mark.parametrize(
    ("status", "code", "ok"),
    [
        (400, "INVALID_BODY", True),
        (400, "BAD_REQUEST", False),
        (401, "UNAUTHORIZED", True),
        (401, "ACCOUNT_SUSPENDED", True),
        (401, "FORBIDDEN", False),
        (403, "FORBIDDEN", True),
        (404, "NOT_FOUND", True),
        (404, "MISSING", False),
        (429, "RATE_LIMIT_EXCEEDED", True),
        (429, "TOO_MANY", False),
    ],
)
def test_code_matches_status(ctx, status, code, ok) -> None:
    findings = errors.check_code_matches_status(exchange(status, error_body(code)), ctx)
    assert rules(findings) == ([] if ok else ["error.code-matches-status"])


@pytest.mark.parametrize(
    ("status", "kwargs", "message"),
    [
        (
            404,
            {"raw": b"<html>Not Found</html>", "content_type": "text/html"},
            "404 body carries no code (a text/html body, not JSON); expected NOT_FOUND",
        ),
        (
            401,
            {"raw": b"", "content_type": ""},
            "401 body carries no code (empty body); expected ACCOUNT_SUSPENDED or UNAUTHORIZED",
        ),
        (
            404,
            {"body": {"success": False, "data": {"message": "gone"}}},
            "404 body carries no code (data.code missing); expected NOT_FOUND",
        ),
        (
            404,
            {"body": {"success": False, "error": "gone"}},
            "404 body carries no code (no data object); expected NOT_FOUND",
        ),
        (
            400,
            {"body": {"success": False, "data": {"code": 400}}},
            "400 body carries no code (data.code is 400, not a string); expected INVALID_BODY",
        ),
    ],
)
def test_an_error_body_without_a_code_fails_the_code_its_status_needs(
    ctx, status, kwargs, message
) -> None:
    """Judged, never 'not exercised': no code is not the code the status needs."""
    (finding,) = errors.check_code_matches_status(exchange(status, **kwargs), ctx)
    assert (finding.rule, finding.message) == ("error.code-matches-status", message)


def test_code_check_leaves_other_statuses_and_successes_alone(ctx) -> None:
    assert errors.check_code_matches_status(exchange(418, error_body("TEAPOT")), ctx) is None
    assert errors.check_code_matches_status(exchange(500, raw=b"<html>"), ctx) is None
    assert errors.check_code_matches_status(exchange(200, {"success": True}), ctx) is None


def rate_limited(retry_by: object = "2026-01-01T12:00:30.000Z", **kw):
    body = error_body("RATE_LIMIT_EXCEEDED")
    if retry_by is not None:
        body["data"]["retry_by"] = retry_by
    return exchange(429, body, **kw)


@pytest.mark.parametrize(
    ("retry_by", "ok"),
    [
        ("2026-01-01T12:00:30.000Z", True),
        ("2026-01-01T12:00:30Z", True),  # no fractional seconds
        ("2026-01-01T11:59:57.000Z", True),  # 3 s in the past: within the 5 s skew
        ("2026-01-01T11:59:00.000Z", False),  # a minute in the past
        ("2026-01-01T14:00:30.000+02:00", False),  # an offset, not Z
        ("2026-01-01T12:00:30.000+00:00", False),  # UTC, but not the Z designator
        ("2026-01-01 12:00:30", False),  # space, no zone (the seed page's example style)
        ("2026-01-01T12:00:30", False),  # no zone
        ("tomorrow", False),
        (1767268830, False),
        (None, False),  # missing
    ],
)
def test_retry_by(ctx, retry_by, ok) -> None:
    findings = errors.check_retry_by(rate_limited(retry_by), ctx)
    assert rules(findings) == ([] if ok else ["error.retry-by"])


def test_retry_by_messages_say_what_is_wrong(ctx) -> None:
    [offset] = errors.check_retry_by(rate_limited("2026-01-01T14:00:30+02:00"), ctx)
    assert "Z designator" in offset.message
    [past] = errors.check_retry_by(rate_limited("2026-01-01T11:00:00Z"), ctx)
    assert "in the past" in past.message
    [missing] = errors.check_retry_by(rate_limited(None), ctx)
    assert "no data.retry_by" in missing.message


def test_retry_by_only_on_429(ctx) -> None:
    assert errors.check_retry_by(exchange(404, error_body()), ctx) is None


@pytest.mark.parametrize(
    ("retry_by", "expected"),
    [
        ("2026-01-01T12:00:30Z", []),
        ("2026-01-02T18:00:00Z", ["error.retry-by-horizon"]),  # 30 h ahead
    ],
)
def test_retry_by_horizon(ctx, retry_by, expected) -> None:
    assert rules(errors.check_retry_by_horizon(rate_limited(retry_by), ctx)) == expected
    # far ahead is still a valid retry_by for the MUST rule
    assert errors.check_retry_by(rate_limited(retry_by), ctx) == []


def test_horizon_does_not_apply_to_unparseable(ctx) -> None:
    assert errors.check_retry_by_horizon(rate_limited("soon"), ctx) is None


def test_retry_by_is_judged_against_when_the_429_came_not_when_it_is_judged(ctx) -> None:
    """A parallel step hands its exchanges on after the step (in order): a retry_by one
    second after the answer is fine however late it is judged; the client stamps the moment."""
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    answered = datetime(2026, 1, 1, 11, 0, 0, tzinfo=UTC)  # an hour before ctx's clock
    late = replace(rate_limited("2026-01-01T11:00:01.000Z"), received_at=answered)
    assert errors.check_retry_by(late, ctx) == []
    assert rules(errors.check_retry_by(rate_limited("2026-01-01T11:00:01.000Z"), ctx)) == [
        "error.retry-by"
    ]  # without the stamp: the judge's clock, an hour later
    stale = replace(late, received_at=answered + timedelta(minutes=1))
    [past] = errors.check_retry_by(stale, ctx)
    assert "59 s in the past" in past.message
