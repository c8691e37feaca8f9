"""Noise or regression: re-send once each GET that showed a MUST finding, at the end of a run.

A nightly job must tell a broken provider from a flaky network or an intermittent fault.
Each idempotent request behind a MUST finding is sent again, through the same client (same
policy, same recording, so the HAR holds the second answer too), and the finding is judged
again on the new answer: `reproduced` is True when the rule fails again, False when it
held. The verdict still counts a finding that did not reproduce (an intermittent defect is
a defect); `diff` and `--baseline` list such findings apart.

A finding is re-judged only where its own exchange is enough evidence: single-exchange
rules always; a multi-step rule only when judging the original exchange alone already
shows the finding (a cursor loop needs the whole walk, so it is left unmarked).
Re-sent exchanges carry `context["resend"]` and keep their step under `resend_of_step`, so
neither the live judges nor `rejudge`'s step grouping count them as evidence of the run.

Stage: phases.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from conformance.checks import EXCHANGE_CHECKS, judge
from conformance.checks.context import CheckContext
from conformance.checks.flows import judge_step
from conformance.model import Exchange, Finding
from conformance.rules import RULES, Level

PHASE = "resend"
Send = Callable[[Exchange, dict[str, Any]], "Exchange | None"]


def request_key(exchange: Exchange) -> tuple[str, str, str]:
    """Requests that are the same request: method, URL (with query) and credentials mode."""
    return exchange.request.method, exchange.request.url, str(exchange.context.get("auth"))


def candidates(findings: Sequence[Finding]) -> dict[tuple[str, str, str], list[int]]:
    """Indexes of MUST findings on GETs, grouped by request (each request is re-sent once)."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for index, finding in enumerate(findings):
        exchange = finding.exchange
        if (
            exchange is None
            or exchange.request.method != "GET"
            or exchange.context.get("resend")
            or finding.rule not in RULES
            or RULES[finding.rule].level is not Level.MUST
        ):
            continue
        groups.setdefault(request_key(exchange), []).append(index)
    return groups


def resend_context(original: Exchange) -> dict[str, Any]:
    context = {
        k: v for k, v in original.context.items() if k not in ("step", "provider_down", "auth")
    }
    if "step" in original.context:
        context["resend_of_step"] = original.context["step"]
    return {**context, "resend": True}


def reproduces(finding: Finding, resent: Exchange, ctx: CheckContext) -> bool | None:
    """Whether `resent` shows `finding`'s rule broken again; None when it cannot tell."""
    if finding.exchange is None or resent.response is not None and resent.response.status == 429:
        return None
    if finding.rule in EXCHANGE_CHECKS:
        found, checked = judge(resent, ctx, [finding.rule])
        return any(f.rule == finding.rule for f in found) if finding.rule in checked else None
    step = resent.context.get("resend_of_step")
    if not isinstance(step, str):
        return None
    same = _same_as(finding)
    try:
        alone = judge_step(step, [finding.exchange]).get(finding.rule)
        if not (isinstance(alone, list) and any(same(f) for f in alone)):
            return None  # the finding needs more evidence than its own exchange
        context = {k: v for k, v in resent.context.items() if k != "resend_of_step"}
        again = judge_step(step, [replace(resent, context={**context, "step": step})])
    except (KeyError, TypeError, ValueError):  # a step whose judge needs more context
        return None
    outcome = again.get(finding.rule)
    return any(same(f) for f in outcome) if isinstance(outcome, list) else None


def _same_as(finding: Finding) -> Callable[[Finding], bool]:
    """The same finding, up to volatile parts (a walk's first page alone says "no end":
    only the very finding, judged from its exchange alone, shows the exchange suffices)."""
    from conformance.report.baseline import fingerprint

    wanted = fingerprint(finding.rule, finding.operation, finding.message)
    return lambda f: fingerprint(f.rule, f.operation, f.message) == wanted


def mark(
    findings: list[Finding],
    groups: dict[tuple[str, str, str], list[int]],
    resent: dict[tuple[str, str, str], Exchange],
    ctx: CheckContext,
) -> int:
    """Set `reproduced` on the findings whose request was re-sent; how many did not."""
    missed = 0
    for key, indexes in groups.items():
        again = resent.get(key)
        if again is None:
            continue
        for index in indexes:
            verdict = reproduces(findings[index], again, ctx)
            if verdict is not None:
                findings[index] = replace(findings[index], reproduced=verdict)
                missed += not verdict
    return missed


def recheck(findings: list[Finding], send: Send, ctx: CheckContext) -> int:
    """Re-send each candidate request once and mark its findings; returns requests sent."""
    groups = candidates(findings)
    resent: dict[tuple[str, str, str], Exchange] = {}
    for key, indexes in groups.items():
        original = findings[indexes[0]].exchange
        assert original is not None
        again = send(original, resend_context(original))
        if again is not None:
            resent[key] = again
    mark(findings, groups, resent, ctx)
    return len(resent)


def client_sender(client: Any) -> Send:
    """Send through the run's client: same policy, pacing, 429 handling and recording."""
    from conformance.http.policy import PolicyRefused

    def send(original: Exchange, context: dict[str, Any]) -> Exchange | None:
        try:
            return client.send(
                original.operation,
                {},
                url=original.request.url,
                auth=str(original.context.get("auth", "valid")),
                phase=PHASE,
                context=context,
            )
        except PolicyRefused:
            return None

    return send
