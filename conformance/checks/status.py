"""Status codes, time, size and liveness: documented statuses only, no 5xx, answers within
the timeout and the body cap, valid credentials never refused, a provider that stays up.

Stage: checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.checks.context import CheckContext
from conformance.checks.evidence import describe, error_code, request_summary
from conformance.inputs.contract import DOCUMENTED_STATUSES
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
    """robustness.provider-alive, as a fold over the run's exchanges in the order recorded.

    The client marks each connection that broke without an answer (`connection: broke`,
    with `broke_at`) and the request that found the provider's port closed
    (`provider_down`). The suspect is the first connection to break that the provider did
    not outlive (no request sent after it was answered), across all workers: a crashing
    provider breaks the request that killed it, while the requests refused afterwards and
    the harmless ones answered before only show that it is gone. Only when nothing broke
    (it died between requests) is the last request answered the probable cause.
    The finding is known once the run is over (`finish`): other workers' requests that
    broke at the same time are still being recorded when the provider is found down.
    """

    previous: Exchange | None = None
    broken: list[Exchange] = field(default_factory=list)
    down: Exchange | None = None
    # When the latest request that got an answer was sent (another worker's answer may be
    # recorded before a break it outlived: the broken thread first checks the port).
    answered_sent: float = float("-inf")

    def observe(self, exchange: Exchange) -> list[Finding]:
        context = exchange.context
        if exchange.response is not None:
            self.previous = exchange
            sent = _moment(context.get("sent_at"))
            if sent is not None:  # the provider answered after these broke: not the killer
                self.answered_sent = max(self.answered_sent, sent)
                self.broken = [b for b in self.broken if not _broke_before(b, sent)]
        elif context.get("connection") == "broke" and not _broke_before(
            exchange, self.answered_sent
        ):
            self.broken.append(exchange)
        if context.get("provider_down") and self.down is None:
            self.down = exchange
        return []

    def finish(self) -> list[Finding]:
        """The run's robustness.provider-alive finding (none while the provider was up)."""
        if self.down is None:
            return []
        return [liveness_finding(self.down, self.broken, self.previous)]


def _moment(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _broke_before(exchange: Exchange, moment: float) -> bool:
    broke = _moment(exchange.context.get("broke_at"))
    return broke is not None and broke < moment


def liveness_finding(
    down: Exchange, broken: list[Exchange], previous: Exchange | None = None
) -> Finding:
    """The finding that names what killed the provider, in its first words."""
    if broken:
        first, *others = sorted(broken, key=lambda b: _moment(b.context.get("broke_at")) or 0.0)
        also = (
            f"; also broken in flight: {'; '.join(request_summary(o) for o in others[:5])}"
            + (f" and {len(others) - 5} more" if len(others) > 5 else "")
            if others
            else ""
        )
        return Finding(
            "robustness.provider-alive",
            f"the provider died on {request_summary(first)}: the connection broke without "
            f"an answer ({first.error}) and no connection was accepted after{also}",
            first.operation,
            first,
        )
    if previous is not None:
        return Finding(
            "robustness.provider-alive",
            f"the provider stopped accepting connections after {request_summary(previous)} "
            f"({describe(previous)}), the probable cause (no connection broke); the next "
            f"request ({down.operation}) got {down.error}",
            previous.operation,
            previous,
        )
    return Finding(
        "robustness.provider-alive",
        f"the provider stopped accepting connections before answering any request; "
        f"the next request ({down.operation}) got {down.error}",
        down.operation,
        down,
    )
