"""The only code that talks HTTP to the provider, and the policy every request obeys.

Scenarios and fuzzing both send through `ProviderClient.send`, so one place decides: Basic
auth from the profile, a deadline per request (not just per socket read), a body cap, a
global rate cap, waiting out 429s until `retry_by` (capped), refusing side effects outside
the profile's sandbox, and recording every exchange with credentials scrubbed out.
"""

from __future__ import annotations

import base64
import math
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from conformance.http.pace import Pacer
from conformance.http.redact import Redactor
from conformance.inputs.manifest import Manifest
from conformance.inputs.profile import Credentials
from conformance.model import Exchange, RecordedRequest, RecordedResponse
from conformance.options import BODY_CAP, RETRY_BUDGET, RETRY_CAP, TIMEOUT
from conformance.timestamps import parse_retry_by

RECORDED_BODY_CAP = 64 * 1024
# What a recorded Authorization header says instead of the credential it carried.
AUTH_PLACEHOLDERS = {
    "valid": "Basic <base64 client_id:client_secret>",
    "wrong-secret": "Basic <base64 client_id:wrong-secret>",
    "wrong-id": "Basic <base64 wrong-client-id:client_secret>",
}
WRONG_SECRET = "conformance-wrong-secret"
WRONG_ID = "conformance-wrong-client-id"


# Ids the suite makes up (Session.unknown_id): no provider can hold them, so a write to one
# cannot touch data, and auth or not-found probes of write operations may use them freely.
UNKNOWN_PREFIX = "conformance-unknown-"
# Consecutive timeouts after which an operation is not called again in this run.
ABANDON_AFTER = 2


def auth_values(credentials: Credentials) -> dict[str, str]:
    """The Authorization header of each probe.

    The wrong-id probe pairs a wrong client id with the real secret: a provider that checks
    only the secret must be caught (auth.wrong-credentials). Whatever a provider echoes of
    it is scrubbed: the Redactor knows every token the suite sends, not only the valid one.
    """

    def basic(client_id: str, secret: str) -> str:
        return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    return {
        "valid": basic(credentials.client_id, credentials.client_secret.reveal()),
        "wrong-secret": basic(credentials.client_id, WRONG_SECRET),
        "wrong-id": basic(WRONG_ID, credentials.client_secret.reveal()),
    }


def redactor_for(credentials: Credentials) -> Redactor:
    """Scrubs the secret and every token the suite sends, in every encoding (redact.py)."""
    tokens = [value.removeprefix("Basic ") for value in auth_values(credentials).values()]
    return Redactor([credentials.client_secret.reveal(), *tokens])


class PolicyRefused(Exception):
    """A request the profile does not allow (a side effect outside the sandbox)."""


class ProviderDown(PolicyRefused):
    """The provider stopped accepting connections: nothing more is sent in this run."""


class OperationAbandoned(PolicyRefused):
    """An operation that timed out repeatedly: not called again in this run."""


@dataclass(frozen=True)
class ClientPolicy:
    timeout: float = TIMEOUT
    body_cap: int = BODY_CAP
    retry_cap: float = RETRY_CAP
    max_retries: int = 5
    rate: float | None = None  # requests per second, all threads together
    post_conversation: str | None = None  # the sandbox conversation, if any
    post_channel: str | None = None
    delete_channel: str | None = None  # the disposable channel, if any
    # All 429 waits of a run together: a provider whose retry_by is hours ahead cannot
    # stretch the run beyond this; past it, 429s are judged but no longer waited for.
    retry_budget: float = RETRY_BUDGET
    # TLS: True (system CAs), False (--insecure) or a CA bundle path (--ca-bundle).
    verify: bool | str = True


@dataclass
class Recorder:
    """Hands every exchange to the listeners (the checks, the progress line) and counts them.

    It keeps none: a run's memory must not grow with its length (findings keep the
    exchanges they need, scenarios the evidence they hand to their judges).
    """

    count: int = 0
    listeners: list[Callable[[Exchange], None]] = field(default_factory=list)
    # Hear which exchanges a step handed to its judge (Session.conclude): not every exchange
    # tagged with a step is evidence (a 429 the client retried is not), so a recorded run
    # is re-judged from these exact groups (har.py, rejudge.py).
    conclusion_listeners: list[Callable[[str, Sequence[Exchange]], None]] = field(
        default_factory=list
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _held: threading.local = field(default_factory=threading.local, repr=False)

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self.count += 1
        held = getattr(self._held, "exchanges", None)
        if held is not None:
            held.append(exchange)
            return
        self.release([exchange])

    def hold(self) -> list[Exchange]:
        """From now on this thread's exchanges wait in the returned list instead of reaching
        the listeners; `release` them (in an order that does not depend on thread timing)."""
        self._held.exchanges = []
        return self._held.exchanges

    def unhold(self) -> None:
        self._held.exchanges = None

    def release(self, exchanges: Sequence[Exchange]) -> None:
        """Hand exchanges to the listeners (judging, HAR, progress), in the order given."""
        for exchange in exchanges:
            for listener in self.listeners:
                listener(exchange)


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
        self._session = requests.Session()
        self._session.trust_env = False  # no proxies from the environment: talk to the manifest
        self._session.verify = policy.verify
        if policy.verify is False:  # the user opted in (--insecure); the report says so
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._waited = 0.0
        self.answered: set[str] = set()  # origins (scheme://host:port) that have answered
        self.down: Exchange | None = None  # the request that found the provider gone
        self.abandoned: dict[str, str] = {}  # operation -> why it is no longer called
        self._timeouts: dict[str, int] = {}
        self.pacer = Pacer(policy.rate)
        self.on_wait: Callable[[float, str], None] | None = None  # who hears of long waits
        self._rate_lock = threading.Lock()
        self._auth_values = auth_values(credentials)
        self.redactor = redactor_for(credentials)  # the run's outputs use it as a last guard

    def close(self) -> None:
        self._session.close()

    # -- policy -------------------------------------------------------------------------
    def _allowed(
        self, operation: str, path: Mapping[str, str], form: Mapping[str, str] | None
    ) -> None:
        if str(path.get("providerChannelId", "")).startswith(UNKNOWN_PREFIX):
            return  # a channel no provider holds: nothing can be written
        if operation == "postMessage":
            if self.policy.post_conversation is None:
                raise PolicyRefused("postMessage needs a sandbox conversation in the profile")
            conversation = (form or {}).get("conversationId")
            channel = path.get("providerChannelId")
            # A post without conversationId cannot write anywhere; it tests validation.
            if channel != self.policy.post_channel or conversation not in (
                None,
                self.policy.post_conversation,
            ):
                raise PolicyRefused("postMessage only to the sandbox conversation")
        elif operation == "deleteChannelById":
            if (
                self.policy.delete_channel is None
                or path.get("providerChannelId") != self.policy.delete_channel
            ):
                raise PolicyRefused("deleteChannelById only on the disposable channel")

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
        if self.down is not None:
            raise ProviderDown("the provider stopped accepting connections")
        if operation in self.abandoned:
            raise OperationAbandoned(self.abandoned[operation])
        self._allowed(operation, path, form)
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
        """Notice a provider that died or an operation that hangs, before recording."""
        operation = exchange.operation
        origin = _origin(exchange.request.url)
        if exchange.response is not None:
            self.answered.add(origin)
            if exchange.response.status != 429:
                self.pacer.answered()
        if exchange.error and exchange.error.startswith("timeout"):
            with self._rate_lock:
                self._timeouts[operation] = self._timeouts.get(operation, 0) + 1
                if self._timeouts[operation] >= ABANDON_AFTER:
                    self.abandoned.setdefault(
                        operation,
                        f"{operation} stopped answering ({ABANDON_AFTER} timeouts in a row "
                        f"of {self.policy.timeout:g} s)",
                    )
            return exchange
        self._timeouts[operation] = 0
        if (
            exchange.response is None
            and exchange.error is not None
            and exchange.error.startswith("connection")
            and origin in self.answered  # a host that never answered did not "stop"
            and not _listening(exchange.request.url, self.policy.timeout)
        ):
            exchange = replace(exchange, context={**exchange.context, "provider_down": True})
            with self._rate_lock:
                self.down = self.down or exchange
        return exchange

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
        started = time.monotonic()
        try:
            response = self._session.send(
                prepared,
                timeout=(min(self.policy.timeout, 5.0), self.policy.timeout),
                stream=True,
                allow_redirects=False,
            )
        except requests.Timeout:
            return Exchange(
                operation,
                request,
                None,
                f"timeout: no response within {self.policy.timeout:g} s",
                phase,
                context,
            )
        except requests.RequestException as exc:
            return Exchange(
                operation,
                request,
                None,
                f"connection: {_reason(exc)}",
                phase,
                _lost(context, exc),
            )
        # A hard deadline for the body: a provider dripping bytes keeps every single read
        # under the socket timeout, so only cutting the connection ends it in time.
        watchdog = threading.Timer(
            max(0.0, started + self.policy.timeout - time.monotonic()) + 0.5, _cut, [response]
        )
        watchdog.daemon = True
        watchdog.start()
        try:
            body, truncated, timed_out, oversize = self._read_body(response, started)
        except (requests.RequestException, OSError, ValueError) as exc:
            if time.monotonic() - started >= self.policy.timeout:
                error = f"timeout: body not complete within {self.policy.timeout:g} s"
            else:
                error = f"connection: {_reason(exc)}"
                context = _lost(context, exc)
            return Exchange(operation, request, None, error, phase, context)
        finally:
            watchdog.cancel()
            response.close()
        elapsed = time.monotonic() - started
        body = self._clean(body, truncated)
        if oversize is not None:  # scrubbed first, then cut: no secret split at the edge
            body = body[:RECORDED_BODY_CAP]
        recorded = RecordedResponse(
            response.status_code,
            self._clean_headers(response.headers),
            body,
            elapsed,
            truncated,
            oversize,
        )
        error = (
            f"timeout: body not complete within {self.policy.timeout:g} s" if timed_out else None
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

    def _read_body(
        self, response: requests.Response, started: float
    ) -> tuple[bytes, bool, bool, int | None]:
        """Read at most body_cap bytes, and stop at the request's deadline (slow drips).

        Returns the body, whether it is incomplete, whether the deadline cut it, and how many
        bytes had arrived when it went over the cap (None when it did not).
        """
        chunks, size = [], 0
        deadline = started + self.policy.timeout
        for chunk in response.iter_content(chunk_size=65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > self.policy.body_cap:
                return b"".join(chunks)[: self.policy.body_cap], True, False, size
            if time.monotonic() > deadline:
                return b"".join(chunks), True, True, None
        return b"".join(chunks), False, False, None

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


def _lost(context: dict[str, Any], exc: BaseException) -> dict[str, Any]:
    """Mark how a connection failed: `refused` (none was made), `broke` (made, then reset,
    closed or aborted before a whole answer, with the moment it broke) or `failed`.

    A provider that crashes on a request breaks that request's connection; the requests
    refused afterwards only show that it is gone (robustness.provider-alive names the first
    to break, not the last to be answered).
    """
    from urllib3.exceptions import ProtocolError

    if _never_connected(exc):
        return {**context, "connection": "refused"}
    # (requests' exceptions are all OSErrors: only these say a connection was lost)
    lost = requests.ConnectionError | requests.exceptions.ChunkedEncodingError | ProtocolError
    if isinstance(exc, lost | ConnectionError):  # the builtin: reset, aborted, broken pipe
        return {**context, "connection": "broke", "broke_at": time.time()}
    return {**context, "connection": "failed"}  # never sent as such (a bad URL, a bad body)


def _never_connected(exc: BaseException) -> bool:
    """Whether no TCP connection was made (refused, unreachable, name not resolved)."""
    from urllib3.exceptions import NewConnectionError

    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, NewConnectionError | requests.ConnectTimeout):
            return True
        if isinstance(item, BaseException):
            todo += [*item.args, getattr(item, "reason", None), item.__cause__, item.__context__]
    return False


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _listening(url: str, timeout: float) -> bool:
    """Whether the provider's host still accepts TCP connections (a few tries over ~1.5 s).

    A refused or reset request alone does not prove the provider died (a proxy may drop one
    connection); a port that refuses every new connection for a while does.
    """
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for attempt in range(3):
        try:
            with socket.create_connection((parts.hostname or "", port), timeout=min(timeout, 2.0)):
                return True
        except OSError:
            if attempt < 2:
                time.sleep(0.5)
    return False


def _cut(response: requests.Response) -> None:
    """Unblock a read stuck on a provider that never finishes its body."""
    connection = getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        else:
            response.raw.close()
    except OSError:
        pass


def _reason(exc: Exception) -> str:
    """A short cause without the URL noise requests puts into its messages."""
    text = str(exc)
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return f"{type(exc).__name__}: {text[:160]}".rstrip("')")


OPERATION_METHODS: dict[str, str] = {
    "getConversations": "GET",
    "getConversationById": "GET",
    "postMessage": "POST",
    "getSenderById": "GET",
    "getTemplates": "GET",
    "getMessageById": "GET",
    "deleteChannelById": "DELETE",
}
