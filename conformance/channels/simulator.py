"""A local Pipedrive Channels API on loopback: served, judged, and turned into a report.

Wires the pieces: the desk (Pipedrive's memory and answers), its Flask face on the same
Werkzeug server as the reference provider, the choreography that calls the vendor's manifest
back through the suite's own client, and one ledger that both directions' judges write to.
`finish()` settles the callbacks, makes the judgements that need the whole session (did
posted messages come back?) and returns a `RunReport` like any run's.

Stage: channels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from conformance.channels import RETIRED
from conformance.channels.api import create_app
from conformance.channels.choreography import Choreography
from conformance.channels.desk import Desk
from conformance.checks import EXCHANGE_CHECKS, judge
from conformance.checks.context import CheckContext
from conformance.errors import ConformanceError
from conformance.events import Callback, ChannelsCall, Progress, ignore
from conformance.http.client import ProviderClient
from conformance.http.policy import ClientPolicy
from conformance.http.recorder import Recorder
from conformance.inputs.target import Target
from conformance.judging import Verdicting, run_verdict
from conformance.ledger import Ledger
from conformance.model import Exchange
from conformance.options import TIMEOUT
from conformance.report.canonical import RunReport
from conformance.rules import CATALOGUE, select

SPEC_VERSION = (
    "Pipedrive API v1, Channels: the last published contract (Pipedrive removed these "
    f"operations on {RETIRED['removed']}, announced {RETIRED['announced']})"
)
NOT_EXERCISED = "manifest-side rule not exercised by the simulator's callbacks"


@dataclass(frozen=True)
class SimulatorOptions:
    host: str = "127.0.0.1"
    port: int = 0
    rate_limit: int | None = None  # overrides the profile's channels_api.rate_limit
    force_429_at: int | None = 5  # the n-th authenticated call gets a 429 (channels.backoff)
    timeout: float = TIMEOUT
    verify: bool | str = True
    only: list[str] | None = None  # rule globs, as `run --only`


def describe_call(exchange: Exchange) -> ChannelsCall:
    """The live event for one call the vendor made."""
    from conformance.text import excerpt

    status = exchange.response.status if exchange.response is not None else exchange.error
    path = exchange.request.url.split("/v1", 1)[-1]
    return ChannelsCall(exchange.request.method, excerpt(path, 100)[1:-1], str(status))


class Simulator:
    def __init__(
        self,
        target: Target,
        options: SimulatorOptions | None = None,
        progress: Progress | None = None,
    ) -> None:
        from conformance.reference.server import ReferenceServer

        options = options or SimulatorOptions()
        profile = target.profile
        if profile.channels_api is None:
            raise ConformanceError(
                "channels_api.token: is required to simulate Pipedrive's Channels API "
                "(the bearer token the vendor's app will send)",
                where=profile.source,
            )
        emit = progress or ignore
        self.target = target
        self.ledger = Ledger(
            selected=frozenset(r.id for r in select(options.only)),
            not_applicable={r.id: NOT_EXERCISED for r in CATALOGUE if r.group != "channels"},
        )
        ctx = CheckContext(spec=target.spec, timeout=options.timeout)
        rules = list(EXCHANGE_CHECKS)
        self.recorder = Recorder()

        def judge_callback(exchange: Exchange) -> None:
            found, checked = judge(exchange, ctx, rules)
            self.ledger.record(found, checked)

        self.recorder.listeners.append(judge_callback)
        self.recorder.listeners.append(lambda e: emit(Callback(e.operation, _outcome(e))))
        policy = ClientPolicy(
            timeout=options.timeout,
            verify=options.verify,
            post_channel=profile.channel,
            post_conversation=profile.sandbox.conversation if profile.sandbox else None,
        )
        self.client = ProviderClient(target.manifest, profile.credentials, policy, self.recorder)
        self.desk = Desk(
            profile.channels_api.token.reveal(),
            self.ledger,
            has_get_templates=target.manifest.endpoint("getTemplates") is not None,
            rate_limit=options.rate_limit or profile.channels_api.rate_limit,
            force_429_at=options.force_429_at,
        )
        self.desk.listeners.append(lambda e: emit(describe_call(e)))
        self.choreography = Choreography(self.client, profile, self.desk)
        self.server = ReferenceServer(
            app=create_app(self.desk), host=options.host, port=options.port
        )
        self.started_at = datetime.now(UTC)
        self._clock = time.monotonic()

    @property
    def base_url(self) -> str:
        """What the vendor's app uses instead of https://api.pipedrive.com/v1."""
        return f"{self.server.base_url}/v1"

    def start(self) -> Simulator:
        self.choreography.start()
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
        self.choreography.stop()
        self.client.close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def settle(self, timeout: float = 30.0) -> bool:
        return self.choreography.settle(timeout)

    def registered(self) -> bool:
        with self.desk.lock:
            return bool(self.desk.memory.pipedrive_ids)

    def finish(
        self,
        *,
        strict: bool = False,
        settle: float = 30.0,
        error: str | None = None,
        verdicting: Verdicting | None = None,
    ) -> RunReport:
        """Settle the callbacks, make the whole-session judgements, and report (`error`: why
        the run stopped before it could be judged whole)."""
        self.settle(settle)
        self.desk.final_judgements()
        results = self.ledger.results(strict=strict)
        verdicting = verdicting or Verdicting()
        return RunReport(
            run_verdict(results, strict=strict, error=error),
            0,
            results,
            list(self.ledger.findings),
            strict=strict,
            meta=self.meta(),
            error=error,
            baseline=verdicting.baseline,
            require_complete=verdicting.require_complete,
        )

    def meta(self) -> dict[str, Any]:
        memory = self.desk.memory
        return {
            **self.target.meta,
            "started_at": self.started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "duration_s": round(time.monotonic() - self._clock, 3),
            "requests": self.recorder.count + memory.calls,
            "suite_errors": list(self.choreography.errors),
            "channels": {
                "base_url": self.base_url,
                "spec": SPEC_VERSION,
                "retired": RETIRED,
                "calls_received": memory.calls,
                "callbacks": self.recorder.count,
                "registered": sorted(memory.pipedrive_ids.values()),
            },
        }


def _outcome(exchange: Exchange) -> str:
    return str(exchange.response.status) if exchange.response is not None else str(exchange.error)
