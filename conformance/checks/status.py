"""Status codes and time: documented statuses only, no 5xx, answers within the timeout, and
valid credentials never refused.
"""

from __future__ import annotations

from conformance.checks.context import CheckContext
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
        # A connection the provider broke (reset, refused mid-run) failed on its side.
        if exchange.error and exchange.error.startswith("connection"):
            return [
                Finding(
                    "status.no-server-error",
                    f"no response: {exchange.error}",
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
