"""Multi-step rules, judged from the evidence a scenario step collected.

Scenarios send requests and tag each exchange with `context["step"]` (and what the judge
needs to know about it); they never judge. `judge_step(step, exchanges)` is the one way a
step's evidence becomes rule results, in a live run and when re-judging a recorded one.

A result maps rule ids to: a list of findings (the rule was checked; [] means it held), a
string (the rule could not be exercised, with the reason), or None (nothing to judge).

Stage: checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from conformance.checks.agreement import conversation_disagreements, message_disagreements
from conformance.checks.evidence import (
    data_of,
    describe,
    rate_limited,
    refusal,
    status_of,
    unanswered,
)
from conformance.checks.midwalk import judge_mid_walk
from conformance.checks.walks import judge_conversation_walks, judge_message_paging
from conformance.model import Exchange, Finding
from conformance.text import excerpt

StepResult = dict[str, "list[Finding] | str | None"]
StepJudge = Callable[[Sequence[Exchange]], StepResult]
DISPOSABLE_GONE = (
    "the disposable channel does not exist (deleted by an earlier run?); recreate it or set "
    "`disposable_channel.recreate`"
)


def _merge(results: list[tuple[str, list[Finding] | None]]) -> StepResult:
    """Per rule: all findings together; a rule none of whose exchanges was judgeable: None."""
    merged: dict[str, list[Finding] | None] = {}
    for rule, findings in results:
        if findings is None:
            merged.setdefault(rule, None)
        else:
            merged[rule] = (merged.get(rule) or []) + findings
    return dict(merged)


# What a request that must be refused has to get, by the rule it serves: the status and the
# error codes allowed. The rules own this; a scenario only says which rule a request serves
# (`context["rule"]`) and what it sent (`context["what"]`).
REFUSALS: dict[str, tuple[int, tuple[str, ...]]] = {
    "auth.required": (401, ("UNAUTHORIZED",)),
    "auth.wrong-credentials": (401, ("UNAUTHORIZED",)),
    "auth.account-suspended": (401, ("ACCOUNT_SUSPENDED",)),
    "error.forbidden": (403, ("FORBIDDEN",)),
    "notfound.channel": (404, ("NOT_FOUND",)),
    "notfound.conversation": (404, ("NOT_FOUND",)),
    "notfound.sender": (404, ("NOT_FOUND",)),
    "notfound.message": (404, ("NOT_FOUND",)),
    "post.invalid-body": (400, ("INVALID_BODY",)),
    "participants.group-post-rejected": (400, ("INVALID_BODY",)),
}


def judge_refusals(exchanges: Sequence[Exchange]) -> StepResult:
    """Requests that must be refused, each as its rule expects (`REFUSALS`).

    Auth probes, fixtures, unknown ids and invalid posts all have this one shape. A request
    tagged with a rule that expects no refusal (a HAR of another version) is not judged.
    """
    results: list[tuple[str, list[Finding] | None]] = []
    for exchange in exchanges:
        ctx = exchange.context
        rule = ctx["rule"]
        expected = REFUSALS.get(rule)
        if expected is None:
            results.append((rule, None))
            continue
        status, codes = expected
        results.append((rule, refusal(exchange, rule, status, codes, ctx["what"])))
    return _merge(results)


def judge_lookups(exchanges: Sequence[Exchange]) -> StepResult:
    """By-id lookups of ids another endpoint listed: found, the same id comes back, and
    where the scenario tagged the list's copy (`context["listed"]`), both views agree
    (conformance.checks.agreement)."""
    results = []
    for exchange in exchanges:
        ctx = exchange.context
        rule, want, what = ctx["rule"], ctx["want"], ctx["what"]
        if unanswered(exchange):
            results.append((rule, None))
            continue
        data = data_of(exchange)
        if not isinstance(data, dict):
            message = f"{what} {excerpt(want, 40)}: got {describe(exchange)}, expected 200 with it"
        elif data.get("id") != want:
            message = f"{what} {excerpt(want, 40)} returned id {excerpt(data.get('id'), 40)}"
        elif problems := _disagreements(exchange.operation, ctx.get("listed"), data):
            message = f"{what} {excerpt(want, 40)} disagrees with the list: " + "; ".join(
                problems[:3]
            )
        else:
            results.append((rule, []))
            continue
        results.append((rule, [Finding(rule, message, exchange.operation, exchange)]))
    return _merge(results)


def _disagreements(operation: str, listed: Any, data: dict[str, Any]) -> list[str]:
    if not isinstance(listed, dict):
        return []  # a lookup without the list's copy (getSenderById): the id is all
    if operation == "getConversationById":
        return conversation_disagreements(listed, data)
    if operation == "getMessageById":
        return message_disagreements(listed, data)
    return []


def judge_posts(exchanges: Sequence[Exchange]) -> StepResult:
    """A valid post to the sandbox (text, and with a file) gets 200 with a non-empty data.id."""
    rule = "post.accepts-multipart"
    results = []
    for exchange in exchanges:
        if unanswered(exchange):
            results.append((rule, None))
            continue
        data = data_of(exchange)
        if isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"]:
            results.append((rule, []))
            continue
        shown = f" with data {excerpt(data, 60)}" if data is not None else ""
        message = (
            f"postMessage {exchange.context.get('label', '')}: got {describe(exchange)}{shown}, "
            "expected 200 with a non-empty data.id"
        )
        results.append((rule, [Finding(rule, message, "postMessage", exchange)]))
    return _merge(results)


def judge_delete(exchanges: Sequence[Exchange]) -> StepResult:
    """The disposable channel existed, its delete succeeded, and then it is gone (404)."""
    rule = "delete.channel"
    probes = {e.context.get("probe"): e for e in exchanges}
    exists, delete, after = probes.get("exists"), probes.get("delete"), probes.get("after")
    if exists is not None and status_of(exists) == 404:
        return {rule: DISPOSABLE_GONE}
    if delete is None or unanswered(delete):
        return {rule: None}
    channel = delete.context.get("channel")
    body = _json(delete)
    if not (status_of(delete) == 200 and isinstance(body, dict) and body.get("success") is True):
        message = (
            f"deleteChannelById of {excerpt(channel, 40)}: got {describe(delete)}, "
            'expected 200 {"success": true}'
        )
        return {rule: [Finding(rule, message, "deleteChannelById", delete)]}
    if after is None:
        return {rule: None}
    what = f"getConversations after deleting {excerpt(channel, 40)}"
    return {rule: refusal(after, rule, 404, ("NOT_FOUND",), what)}


def _json(exchange: Exchange) -> Any:
    response = exchange.response
    return response.json() if response is not None and response.is_json else None


def judge_rate_limit_probe(exchanges: Sequence[Exchange]) -> StepResult:
    """The burst only has to meet the limit; each 429 is judged on its own (retry_by)."""
    if any(rate_limited(e) for e in exchanges):
        return {}
    if not exchanges:
        return {"error.retry-by": None}
    ctx = exchanges[0].context
    return {
        "error.retry-by": f"the burst of {ctx.get('requests')} requests in "
        f"{ctx.get('seconds', 0):g} s met no rate limit (no 429 to judge)"
    }


def judge_reads(exchanges: Sequence[Exchange]) -> StepResult:
    """Plain reads (the preflight, invalid input): judged by the exchange checks alone."""
    return {}


JUDGES: dict[str, StepJudge] = {
    "conversation-walks": judge_conversation_walks,
    "message-paging": judge_message_paging,
    "mid-walk": judge_mid_walk,
    "lookups": judge_lookups,
    "refusals": judge_refusals,
    "posts": judge_posts,
    "delete": judge_delete,
    "rate-limit-probe": judge_rate_limit_probe,
    "reads": judge_reads,
}


def judge_step(step: str, exchanges: Sequence[Exchange]) -> StepResult:
    """The rule results one step's evidence supports (see the module docstring)."""
    return JUDGES[step](list(exchanges))
