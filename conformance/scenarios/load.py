"""Load and bad input: a burst to meet the rate limit, and invalid query values.

The burst bypasses the client's pacing and does not wait out 429s, so the provider's own
limit shows; each 429 it gives is judged like any other response (retry_by, envelope).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from conformance.model import Exchange, Finding
from conformance.scenarios.session import Session, describe, error_code

PHASE = "scenarios"
INVALID_LIMITS = ("abc", "-1", "0", "1.5", "100000")


def rate_limit_probe(session: Session) -> None:
    probe = session.profile.rate_limit_probe
    if probe is None:
        session.ledger.skip(
            "error.retry-by", "no rate_limit_probe in the profile and no 429 was seen"
        )
        return
    interval = probe.seconds / probe.requests
    start = time.monotonic()

    def one(index: int) -> Exchange | None:
        delay = start + index * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return session.call(
            "getConversations",
            PHASE,
            query={"conversations_limit": 1},
            honour_429=False,
            paced=False,
            context={"probe": "rate-limit"},
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        exchanges = list(pool.map(one, range(probe.requests)))
    limited = [e for e in exchanges if e and e.response and e.response.status == 429]
    if not limited:
        session.ledger.skip(
            "error.retry-by",
            f"the burst of {probe.requests} requests in "
            f"{probe.seconds:g} s met no rate limit (no 429 to judge)",
        )
    if limited:  # let the limit recover before later phases
        time.sleep(min(session.client.retry_wait(limited[-1].response), 5.0))


def invalid_input(session: Session) -> None:
    """Invalid limits: 400 INVALID_BODY, or ignored with a valid 200; never 5xx."""
    rule = "robustness.invalid-input"
    ids = session.sample_ids()
    cases = [
        ("getConversations", "conversations_limit"),
        ("getConversations", "messages_limit"),
        ("getConversationById", "messages_limit"),
    ]
    for operation, name in cases:
        for value in INVALID_LIMITS:
            exchange = session.call(
                operation, PHASE, ids, query={name: value}, context={"negative": True}
            )
            session.ledger.check(
                rule, judge_invalid(exchange, f"{operation} with {name}={value!r}")
            )


def judge_invalid(exchange: Exchange | None, what: str) -> list[Finding] | None:
    if exchange is None or exchange.response is None or exchange.response.status == 429:
        return None
    status = exchange.response.status
    if status == 200 or (status == 400 and error_code(exchange) == "INVALID_BODY"):
        return []
    return [
        Finding(
            "robustness.invalid-input",
            f"{what}: got {describe(exchange)}, expected 400 INVALID_BODY or a valid 200",
            exchange.operation,
            exchange,
        )
    ]
