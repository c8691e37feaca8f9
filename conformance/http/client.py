"""The provider client: the one object the phases send through, composing the HTTP stage.

HTTP stage. Scenarios and fuzzing both send through `ProviderClient.send`, so one place
decides: Basic auth from the profile (`auth.py`), the side-effect policy (`policy.py`), the
pace and 429 waits (`pace.py`), the transport with its TLS options, deadline and body cap
(`transport.py`), the liveness watch (`liveness.py`), credentials scrubbed out of every
exchange (`redact.py`) and recording (`recorder.py`). The concepts live in those modules;
this one only composes them into sending one request.

Stage: http.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from conformance.http.auth import AUTH_PLACEHOLDERS, auth_values, redactor_for
from conformance.http.liveness import LivenessWatch
from conformance.http.pace import Pacer
from conformance.http.policy import (
    OPERATION_METHODS,
    ClientPolicy,
    PolicyRefused,
    refuse_side_effects,
)
from conformance.http.recorder import Recorder
from conformance.http.transport import TransferFailed, mark_lost, new_session, transfer
from conformance.inputs.manifest import Manifest
from conformance.inputs.profile import Credentials
from conformance.model import Exchange, RecordedRequest, RecordedResponse
from conformance.timestamps import parse_retry_by

RECORDED_BODY_CAP = 64 * 1024


class ProviderClient:
    def __init__(
        self,
        manifest: Manifest,
        credentials: Credentials,
        policy: ClientPolicy,
        recorder: Recorder | None = None,
    ) -> None:
        self.manifest = manifest
        self.policy = policy
        self.recorder = recorder or Recorder()
        self._credentials = credentials
        self._session = new_session(policy.verify)
        self._waited = 0.0
        self.liveness = LivenessWatch(policy.timeout)
        self.pacer = Pacer(policy.rate)
        self.on_wait: Callable[[float, str], None] | None = None  # who hears of long waits
        self._auth_values = auth_values(credentials)
        self.redactor = redactor_for(credentials)  # the run's outputs use it as a last guard

    def close(self) -> None:
        self._session.close()

    @property
    def down(self) -> Exchange | None:
        """The request that found the provider gone, None while it answers (liveness.py)."""
        return self.liveness.down

    @property
    def abandoned(self) -> dict[str, str]:
        """Operations no longer called in this run, with why (liveness.py)."""
        return self.liveness.abandoned

    @property
    def pace(self) -> float | None:
        """The pace (requests/s) settled on after the provider's 429s, None if never slowed."""
        return self.pacer.pace

    # -- sending ------------------------------------------------------------------------
    def send(
        self,
        operation: str,
        path: Mapping[str, str],
        *,
        query: Mapping[str, Any] | None = None,
        form: Mapping[str, str] | None = None,
        files: list[tuple[str, bytes, str]] | None = None,
        prepared: Mapping[str, Any] | None = None,
        auth: str = "valid",
        url: str | None = None,
        phase: str = "",
        context: Mapping[str, Any] | None = None,
        honour_429: bool = True,
        paced: bool = True,
    ) -> Exchange:
        """Send one request of `operation`; returns the last exchange (after 429 waits).

        `query`/`form`/`files` describe a request by hand (scenarios); `prepared` carries
        schemathesis' serialized `params`, `files`, `data` and content type (fuzzing), with
        `form` then naming the fields the side-effect policy must see. `url` sends to a
        recorded URL as it was, query included (resend.py re-sends idempotent requests).
        """
        endpoint = self.manifest.endpoint(operation)
        if endpoint is None:
            raise PolicyRefused(f"{operation} is not in the manifest")
        self.liveness.admit(operation)
        refuse_side_effects(self.policy, operation, path, form)
        context = dict(context or {})
        if form is not None or files:
            context["form"] = {k: str(v) for k, v in (form or {}).items()}
            context["files"] = [name for name, _, _ in files or []]
        request = self._prepare(
            OPERATION_METHODS[operation],
            url or endpoint.url(**path),
            query,
            form,
            files,
            prepared,
            auth,
        )
        context["auth"] = auth
        attempts = 0
        while True:
            if paced:
                self.pacer.wait_turn()
            exchange = self._watch(
                self._clean_error(self._send_once(operation, request, phase, context))
            )
            exchange = replace(exchange, received_at=datetime.now(UTC))
            self.recorder.add(exchange)
            response = exchange.response
            if not (
                honour_429
                and response is not None
                and response.status == 429
                and attempts < self.policy.max_retries
                and self._waited < self.policy.retry_budget
            ):
                return exchange
            attempts += 1
            wait = min(self.retry_wait(response), self.policy.retry_budget - self._waited)
            self._waited += wait
            self.pacer.back_off(wait)
            if wait >= 1.0 and self.on_wait is not None:
                self.on_wait(wait, "rate limited (429): until retry_by / Retry-After")
            if not paced:
                time.sleep(wait)

    def _watch(self, exchange: Exchange) -> Exchange:
        """Tell the pacer and the liveness watch what the provider did, before recording."""
        if exchange.response is not None and exchange.response.status != 429:
            self.pacer.answered()
        return self.liveness.watch(exchange)

    def _prepare(
        self,
        method: str,
        url: str,
        query: Mapping[str, Any] | None,
        form: Mapping[str, str] | None,
        files: list[tuple[str, bytes, str]] | None,
        prepared: Mapping[str, Any] | None,
        auth: str,
    ) -> requests.PreparedRequest:
        headers = {"Accept": "application/json", "User-Agent": "messaging-conformance"}
        if auth != "none":
            headers["Authorization"] = self._auth_values[auth]
        if prepared is not None:
            content_type = {k.lower(): v for k, v in (prepared.get("headers") or {}).items()}.get(
                "content-type"
            )
            if content_type and prepared.get("data") is not None:
                headers["Content-Type"] = content_type
            request = requests.Request(
                method,
                url,
                headers=headers,
                params=prepared.get("params") or None,
                files=prepared.get("files"),
                data=prepared.get("data"),
            )
            return self._session.prepare_request(request)
        params = {k: str(v) for k, v in (query or {}).items()} or None
        multipart = None
        if form is not None or files:
            multipart = [(k, (None, str(v))) for k, v in (form or {}).items()]
            multipart += [("files", (name, content, mime)) for name, content, mime in files or []]
            if not multipart:  # requests sends no body for an empty list: force multipart
                multipart = [("", (None, ""))]
        request = requests.Request(method, url, headers=headers, params=params, files=multipart)
        return self._session.prepare_request(request)

    def retry_wait(self, response: RecordedResponse) -> float:
        """Seconds until retry_by (or Retry-After), capped; a bad value waits one second.

        retry_by is read by the same parser that judges it (error.retry-by), so the moment
        the suite waits for is the moment the report talks about.
        """
        wait = None
        body = response.json() if response.is_json else None
        data = body.get("data") if isinstance(body, dict) else None
        moment, _ = parse_retry_by(data.get("retry_by") if isinstance(data, dict) else None)
        if moment is not None and moment.tzinfo is not None:
            wait = (moment - datetime.now(UTC)).total_seconds()
        if wait is None:
            try:
                wait = float(response.headers.get("retry-after", "1"))
            except ValueError:
                wait = 1.0
        if not math.isfinite(wait):
            wait = 1.0
        return min(max(wait, 0.05), self.policy.retry_cap)

    def _send_once(
        self,
        operation: str,
        prepared: requests.PreparedRequest,
        phase: str,
        context: dict[str, Any],
    ) -> Exchange:
        request = self._record_request(prepared)
        # Wall-clock moments, so a recorded run can tell which broken connection came first
        # and whether the provider answered a request sent after it (checks.status.Liveness).
        # (what a copied context says of an earlier sending is not this one's: resend.py)
        context = {k: v for k, v in context.items() if k not in _OWN_MARKS}
        context["sent_at"] = time.time()
        try:
            received = transfer(
                self._session,
                prepared,
                timeout=self.policy.timeout,
                body_cap=self.policy.body_cap,
            )
        except TransferFailed as failed:
            if failed.lost_connection:
                context = mark_lost(context, failed.cause)
            return Exchange(operation, request, None, failed.message, phase, context)
        body = self._clean(received.body, received.truncated)
        if received.oversize is not None:  # scrubbed first, then cut: no secret split at the edge
            body = body[:RECORDED_BODY_CAP]
        recorded = RecordedResponse(
            received.status,
            self._clean_headers(received.headers),
            body,
            received.elapsed,
            received.truncated,
            received.oversize,
        )
        error = (
            f"timeout: body not complete within {self.policy.timeout:g} s"
            if received.timed_out
            else None
        )
        return Exchange(operation, request, recorded, error, phase, context)

    def _record_request(self, prepared: requests.PreparedRequest) -> RecordedRequest:
        """The request as reports may show it: the credential replaced by a placeholder."""
        headers = dict(prepared.headers)
        sent = headers.get("Authorization")
        for mode, value in self._auth_values.items():
            if sent == value:
                headers["Authorization"] = AUTH_PLACEHOLDERS[mode]
        body = (
            prepared.body
            if isinstance(prepared.body, bytes)
            else (prepared.body.encode() if isinstance(prepared.body, str) else None)
        )
        if body is not None and len(body) > RECORDED_BODY_CAP:
            body = body[:RECORDED_BODY_CAP]
        query = dict(parse_qsl(urlsplit(prepared.url or "").query, keep_blank_values=True))
        return RecordedRequest(prepared.method or "GET", prepared.url or "", headers, body, query)

    def _clean(self, body: bytes, truncated: bool = False) -> bytes:
        """The provider may echo our credentials back, in any encoding; they never leave
        this client (a body cut short also loses a credential cut in two at its end)."""
        return self.redactor.scrub_bytes(body, truncated)

    def _clean_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {self.redactor.scrub(k): self.redactor.scrub(v) for k, v in headers.items()}

    def _clean_error(self, exchange: Exchange) -> Exchange:
        """Transport errors can quote provider bytes (a chunk-size line, a header)."""
        if exchange.error is None:
            return exchange
        return replace(exchange, error=self.redactor.scrub(exchange.error))


# What the client itself writes into an exchange's context about its sending.
_OWN_MARKS = frozenset({"sent_at", "connection", "broke_at", "provider_down"})
