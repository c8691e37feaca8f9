"""Pure checks over one recorded exchange: `(exchange, ctx) -> findings | None`.

None means the rule does not apply to that exchange (not counted as checked); [] means it
applied and held. The same functions judge scenario and fuzzing exchanges, so a rule is
never implemented twice.

Stage: checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, MutableMapping

from conformance.checks import body, disclosure, errors, pagination, participants, status
from conformance.checks.context import CheckContext
from conformance.model import Exchange, Finding

Check = Callable[[Exchange, CheckContext], "list[Finding] | None"]

EXCHANGE_CHECKS: dict[str, Check] = {
    "error.envelope": errors.check_envelope,
    "error.code-matches-status": errors.check_code_matches_status,
    "error.retry-by": errors.check_retry_by,
    "error.retry-by-horizon": errors.check_retry_by_horizon,
    "status.documented": status.check_documented,
    "status.no-server-error": status.check_no_server_error,
    "robustness.timeout": status.check_timeout,
    "robustness.response-size": status.check_response_size,
    "robustness.invalid-input": status.check_invalid_input,
    "security.error-disclosure": disclosure.check_error_disclosure,
    "auth.valid-accepted": status.check_valid_accepted,
    "response.content-type": body.check_content_type,
    "response.success-envelope": body.check_success_envelope,
    "response.schema": body.check_schema,
    "response.null-cursor": body.check_null_cursor,
    "participants.exactly-two": participants.check_exactly_two,
    "participants.roles": participants.check_roles,
    "participants.unique-ids": participants.check_unique_ids,
    "participants.sender-known": participants.check_sender_known,
    "pagination.conversations-limit": pagination.check_conversations_limit,
    "pagination.messages-limit": pagination.check_messages_limit,
}

# Rules that judge an exchange without reading its body: the only ones applied to a body that
# was cut at the cap or at the deadline.
WHOLE_BODY_NOT_NEEDED = frozenset(
    {
        "status.documented",
        "status.no-server-error",
        "response.content-type",
        "robustness.timeout",
        "robustness.response-size",
        "auth.valid-accepted",
    }
)


def judge(
    exchange: Exchange,
    ctx: CheckContext,
    rules: Iterable[str] | None = None,
    seconds: MutableMapping[str, float] | None = None,
) -> tuple[list[Finding], set[str]]:
    """Run the checks (all, or those named) over one exchange: findings and rules checked.

    `seconds`, when given, accumulates the time each rule's check took (the pytest face
    reports it as the rule item's duration).
    """
    findings: list[Finding] = []
    checked: set[str] = set()
    incomplete = exchange.response is not None and exchange.response.truncated
    for rule_id in EXCHANGE_CHECKS if rules is None else rules:
        if incomplete and rule_id not in WHOLE_BODY_NOT_NEEDED:
            continue  # a cut body is judged for its size or time, never as broken JSON
        began = time.perf_counter()
        result = EXCHANGE_CHECKS[rule_id](exchange, ctx)
        if seconds is not None:
            seconds[rule_id] = seconds.get(rule_id, 0.0) + time.perf_counter() - began
        if result is not None:
            checked.add(rule_id)
            findings.extend(result)
    return findings, checked
