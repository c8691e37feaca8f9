"""Noise or regression (conformance.phases.resend): which findings are re-checked, and how."""

from __future__ import annotations

from dataclasses import replace

from conformance.checks import judge
from conformance.checks.context import CheckContext
from conformance.checks.flows import judge_step
from conformance.model import Finding
from conformance.phases.resend import (
    candidates,
    mark,
    recheck,
    reproduces,
    request_key,
    resend_context,
)
from tests.checks.conftest import NOW, FakeSpec, error_body, exchange

CTX = CheckContext(spec=FakeSpec(), timeout=10.0, now=lambda: NOW)


def text_plain(**context):
    return exchange(200, {"success": True, "data": []}, content_type="text/plain", context=context)


def finding_on(sent) -> Finding:
    found, _ = judge(sent, CTX, ["response.content-type"])
    (finding,) = found
    return finding


def resent(original, answer):
    return replace(answer, request=original.request, context=resend_context(original))


def test_a_single_exchange_finding_is_judged_on_the_second_answer() -> None:
    first = text_plain(auth="valid")
    finding = finding_on(first)
    assert reproduces(finding, resent(first, text_plain()), CTX) is True
    fine = exchange(200, {"success": True, "data": []})
    assert reproduces(finding, resent(first, fine), CTX) is False
    limited = exchange(429, error_body("RATE_LIMIT_EXCEEDED"))
    assert reproduces(finding, resent(first, limited), CTX) is None  # says nothing


def refusal(status: int, code: str | None):
    body = error_body(code) if code else {"success": True, "data": []}
    return exchange(
        status,
        body,
        context={
            "step": "refusals",
            "rule": "notfound.channel",
            "what": "getConversations of an unknown channel",
            "auth": "valid",
        },
    )


def test_a_multi_step_finding_its_own_exchange_shows_is_judged_again() -> None:
    first = refusal(200, None)
    (finding,) = judge_step("refusals", [first])["notfound.channel"]
    again = resent(first, refusal(404, "NOT_FOUND"))
    assert "step" not in again.context and again.context["resend_of_step"] == "refusals"
    assert reproduces(finding, again, CTX) is False
    assert reproduces(finding, resent(first, refusal(200, None)), CTX) is True


def test_a_finding_that_needs_the_whole_walk_is_left_unmarked() -> None:
    page = exchange(
        200,
        {"success": True, "data": [{"id": "c1"}], "additional_data": {"after": "c1"}},
        context={"step": "conversation-walks", "walk": "default", "auth": "valid"},
    )
    finding = Finding(
        "pagination.cursor-walk",
        "walk with conversations_limit=default never ends: cursor 'c1' repeated",
        "getConversations",
        page,
    )
    assert reproduces(finding, resent(page, page), CTX) is None


def test_only_must_findings_on_gets_are_candidates_each_request_once() -> None:
    first = text_plain(auth="valid")
    twice = finding_on(first)
    should = Finding("response.null-cursor", "null cursor", "getConversations", first)
    no_exchange = Finding("response.content-type", "listed without its exchange")
    post = replace(first, request=replace(first.request, method="POST"))
    on_post = replace(twice, exchange=post)
    groups = candidates([twice, twice, should, no_exchange, on_post])
    assert groups == {request_key(first): [0, 1]}


def test_recheck_sends_once_per_request_and_marks_every_finding_on_it() -> None:
    first = text_plain(auth="valid")
    findings = [finding_on(first), finding_on(first)]
    sent = []

    def send(original, context):
        sent.append(context)
        return resent(original, exchange(200, {"success": True, "data": []}))

    assert recheck(findings, send, CTX) == 1 and len(sent) == 1 and sent[0]["resend"] is True
    assert [f.reproduced for f in findings] == [False, False]
    untouched = [finding_on(first)]
    assert mark(untouched, candidates(untouched), {}, CTX) == 0
    assert untouched[0].reproduced is None  # not re-sent: unknown, not "reproduced"
