"""Load and bad input: a burst to meet the rate limit, and invalid query values.

The burst bypasses the client's pacing and does not wait out 429s, so the provider's own
limit shows; each 429 it gives is judged like any other response (retry_by, envelope).

Stage: phases.
"""

from __future__ import annotations

import time

from conformance.inputs.contract import ENDPOINT_VARIABLES
from conformance.model import Exchange
from conformance.phases.scenarios.session import Session

INVALID_LIMITS = ("abc", "-1", "0", "1.5", "100000")


def rate_limit_probe(session: Session) -> None:
    probe = session.profile.rate_limit_probe
    if probe is None:
        session.cannot_gather(
            "error.retry-by", "no rate_limit_probe in the profile and no 429 was seen"
        )
        return
    interval = probe.seconds / probe.requests
    start = time.monotonic()
    context = {"requests": probe.requests, "seconds": probe.seconds}

    def one(index: int) -> Exchange | None:
        delay = start + index * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return session.call(
            "getConversations",
            "rate-limit-probe",
            query={"conversations_limit": 1},
            honour_429=False,
            paced=False,
            context=context,
        )

    exchanges = session.parallel(one, range(probe.requests), 8)
    session.conclude("rate-limit-probe", exchanges)
    limited = [e for e in exchanges if e and e.response and e.response.status == 429]
    if limited and limited[-1].response is not None:  # let the limit recover
        time.sleep(min(session.client.retry_wait(limited[-1].response), 5.0))


def invalid_input(session: Session) -> None:
    """Invalid limits: 400 INVALID_BODY, or ignored with a valid 200; never 5xx.

    Judged per exchange by robustness.invalid-input (it reads `context["invalid_input"]`).
    """
    ids = session.sample_ids()
    cases = [
        ("getConversations", "conversations_limit"),
        ("getConversations", "messages_limit"),
        ("getConversationById", "messages_limit"),
    ]
    for operation, name in cases:
        if any(session.made_up(ids[v]) for v in ENDPOINT_VARIABLES[operation]):
            continue  # no real conversation was seen: its 404 would be the right answer
        for value in INVALID_LIMITS:
            session.call(
                operation,
                "reads",
                ids,
                query={name: value},
                context={"negative": True, "invalid_input": f"{name}={value!r}"},
            )
