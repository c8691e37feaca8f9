"""Status codes, time, size and liveness: documented statuses only, no 5xx, answers within
the timeout and the body cap, valid credentials never refused, a provider that stays up.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.checks.context import CheckContext
from conformance.checks.evidence import describe, error_code
from conformance.contract import DOCUMENTED_STATUSES
from conformance.model import Exchange, Finding


def check_documented(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    response = exchange.response
    if response is None:
        return None
    if response.status >= 500:
        return []  # status.no-server-error's finding; not reported twice
    documented = ctx.spec.documented_statuses(exchange.operation) or DOCUMENTED_STATUSES
    if response.status in documented:
        return []
    return [
        Finding(
            "status.documented",
            f"status {response.status} is not documented for "
            f"{exchange.operation} (documented: "
            f"{', '.join(str(s) for s in sorted(documented))})",
            exchange.operation,
            exchange,
        )
    ]


def check_no_server_error(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    response = exchange.response
    if response is None:
        # A connection the provider broke (reset mid-answer) failed on its side; a provider
        # that is gone altogether is robustness.provider-alive's finding, not this one.
        if (
            exchange.error
            and exchange.error.startswith("connection")
            and not exchange.context.get("provider_down")
        ):
            return [
                Finding(
                    "status.no-server-error",
                    f"the provider broke the connection without an answer ({exchange.error})",
                    exchange.operation,
                    exchange,
                )
            ]
        return None
    if response.status < 500:
        return []
    return [
        Finding(
            "status.no-server-error",
            f"server error {response.status}",
            exchange.operation,
            exchange,
        )
    ]


def check_timeout(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    if exchange.error and exchange.error.startswith("timeout"):
        return [Finding("robustness.timeout", exchange.error, exchange.operation, exchange)]
    if exchange.response is not None and exchange.response.elapsed > ctx.timeout:
        return [
            Finding(
                "robustness.timeout",
                f"answered after {exchange.response.elapsed:.1f} s (timeout {ctx.timeout:g} s)",
                exchange.operation,
                exchange,
            )
        ]
    return [] if exchange.response is not None else None


def check_valid_accepted(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    """A 401 to good credentials disconnects the integration in Pipedrive."""
    response = exchange.response
    if (
        response is None
        or exchange.context.get("auth", "valid") != "valid"
        or not exchange.request.headers.get("authorization")
    ):
        return None
    if exchange.context.get("fixture") == "suspended_channel":
        return None
    if response.status != 401:
        return []
    return [
        Finding("auth.valid-accepted", "valid credentials got 401", exchange.operation, exchange)
    ]


def check_response_size(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    """An answer over the body cap; its cut body is judged by nothing else."""
    response = exchange.response
    if response is None:
        return None
    if response.oversize is None:
        return []
    declared = response.headers.get("content-length")
    size = f"Content-Length {declared}" if declared else f"more than {response.oversize} bytes"
    return [
        Finding(
            "robustness.response-size",
            f"{exchange.operation} answered {size}: over the body cap of {ctx.body_cap} bytes",
            exchange.operation,
            exchange,
        )
    ]


def check_invalid_input(exchange: Exchange, ctx: CheckContext) -> list[Finding] | None:
    """Requests sent with invalid values on purpose: 400 INVALID_BODY, or ignored with 200."""
    what = exchange.context.get("invalid_input")
    response = exchange.response
    if not what or response is None or response.status == 429:
        return None
    if response.status == 200 or (
        response.status == 400 and error_code(exchange) == "INVALID_BODY"
    ):
        return []
    return [
        Finding(
            "robustness.invalid-input",
            f"{exchange.operation} with {what}: got {describe(exchange)}, "
            "expected 400 INVALID_BODY or a valid 200",
            exchange.operation,
            exchange,
        )
    ]


@dataclass
class Liveness:
    """robustness.provider-alive, as a fold over the run's exchanges in the order sent.

    The client marks the request that found the provider's port closed
    (`context["provider_down"]`); the request answered just before it is the probable
    cause, so that is the one the finding shows, with its curl line.
    """

    previous: Exchange | None = None
    reported: bool = False

    def observe(self, exchange: Exchange) -> list[Finding]:
        if exchange.context.get("provider_down") and not self.reported:
            self.reported = True
            return [liveness_finding(self.previous, exchange)]
        if exchange.response is not None:
            self.previous = exchange
        return []


def liveness_finding(previous: Exchange | None, failed: Exchange) -> Finding:
    cause = (
        f"after {previous.request.method} {previous.request.url[:200]} "
        f"({describe(previous)}), the probable cause"
        if previous is not None
        else "before answering any request"
    )
    return Finding(
        "robustness.provider-alive",
        f"the provider stopped accepting connections {cause}; the next request "
        f"({failed.operation}) got {failed.error}",
        previous.operation if previous is not None else failed.operation,
        previous if previous is not None else failed,
    )
