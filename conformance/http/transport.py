"""The one way the suite moves bytes over HTTP: a session with the run's TLS options, a hard
deadline per request and a body cap.

HTTP stage. The provider client (`client.py`) and the manifest fetch
(`inputs/manifest.py`) both go through `new_session` and `transfer`, so `--ca-bundle`,
`--insecure`, the timeout and the cap mean the same thing for every request the suite
makes: a slow-dripping or endless manifest URL is cut like a slow provider. This module
knows nothing of operations, credentials or judging; it imports nothing from the package.

Stage: http.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
import requests.adapters


def new_session(verify: bool | str = True) -> requests.Session:
    """A session that talks to the URL it is given: no proxies or netrc from the
    environment, and TLS as the run says (True: system CAs, False: --insecure, a path:
    --ca-bundle)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = verify
    if verify is False:  # the user opted in (--insecure); the report says so
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        session.mount("https://", _UnverifiedAdapter())
    return session


class _UnverifiedAdapter(requests.adapters.HTTPAdapter):
    """--insecure with one TLS context that verifies nothing, made once for the session.

    Given none, urllib3 makes a context for every connection and loads the system's whole CA
    store into it, only to verify nothing with it: about 40 ms of CPU a request, measured on
    a loopback TLS provider (7 ms with --ca-bundle).
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        from urllib3.util.ssl_ import create_urllib3_context

        kwargs["ssl_context"] = create_urllib3_context(cert_reqs=ssl.CERT_NONE)
        super().init_poolmanager(*args, **kwargs)


@dataclass(frozen=True)
class Received:
    """A response as it arrived: the body is at most the cap, and says why it may be short."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed: float
    truncated: bool  # incomplete: over the cap, or cut at the deadline
    timed_out: bool  # the deadline cut the body
    oversize: int | None  # bytes arrived when it went over the cap, None when it did not


class TransferFailed(Exception):
    """No complete answer: `message` is the one line a report shows ("timeout: ..." or
    "connection: ..."), `cause` what requests or the socket raised (for `mark_lost`)."""

    def __init__(self, message: str, cause: BaseException) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause

    @property
    def lost_connection(self) -> bool:
        return self.message.startswith("connection")


def transfer(
    session: requests.Session,
    prepared: requests.PreparedRequest,
    *,
    timeout: float,
    body_cap: int,
) -> Received:
    """Send `prepared` (redirects are never followed) and read at most `body_cap` bytes of
    the answer, all within `timeout` seconds; anything else raises `TransferFailed`."""
    started = time.monotonic()
    try:
        response = session.send(
            prepared, timeout=(min(timeout, 5.0), timeout), stream=True, allow_redirects=False
        )
    except requests.Timeout as exc:
        raise TransferFailed(f"timeout: no response within {timeout:g} s", exc) from None
    except requests.RequestException as exc:
        raise TransferFailed(f"connection: {reason(exc)}", exc) from None
    # A hard deadline for the body: a server dripping bytes keeps every single read under
    # the socket timeout, so only cutting the connection ends it in time.
    alarm = WATCHDOG.arm(started + timeout + 0.5, lambda: _cut(response))
    try:
        body, truncated, timed_out, oversize = _read_body(response, started, timeout, body_cap)
    except (requests.RequestException, OSError, ValueError) as exc:
        if time.monotonic() - started >= timeout:
            raise TransferFailed(f"timeout: body not complete within {timeout:g} s", exc) from None
        raise TransferFailed(f"connection: {reason(exc)}", exc) from None
    finally:
        alarm.cancel()
        response.close()
    return Received(
        response.status_code,
        response.headers,
        body,
        time.monotonic() - started,
        truncated,
        timed_out,
        oversize,
    )


class Alarm:
    """One armed deadline of the `Watchdog`; `cancel` is idempotent and cheap."""

    __slots__ = ("action",)

    def __init__(self, action: Callable[[], None]) -> None:
        self.action: Callable[[], None] | None = action

    def cancel(self) -> None:
        self.action = None


class Watchdog:
    """Runs each armed action at its deadline unless cancelled first, on one thread.

    Every request arms one: a thread (a `threading.Timer`) per request cost about a tenth of
    a millisecond of CPU to start and stop, and a run sends thousands of requests whose
    deadlines almost never fire. The thread starts with the first alarm and ends once
    nothing has been armed for a while, so an idle process keeps no thread of ours.
    """

    IDLE_SECONDS = 2.0

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Alarm]] = []
        self._order = itertools.count()
        self._wake = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, action: Callable[[], None]) -> Alarm:
        """`action` runs at `deadline` (time.monotonic) unless the alarm is cancelled."""
        alarm = Alarm(action)
        with self._wake:
            earliest = self._heap[0][0] if self._heap else None
            heapq.heappush(self._heap, (deadline, next(self._order), alarm))
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="deadlines", daemon=True)
                self._thread.start()
            elif earliest is None or deadline < earliest:
                self._wake.notify()
        return alarm

    def _watch(self) -> None:
        while True:
            due: list[Alarm] = []
            with self._wake:
                now = time.monotonic()
                while self._heap and (self._heap[0][0] <= now or self._heap[0][2].action is None):
                    due.append(heapq.heappop(self._heap)[2])
                if not due:
                    if self._heap:
                        self._wake.wait(self._heap[0][0] - now)
                    elif not self._wake.wait(self.IDLE_SECONDS) and not self._heap:
                        self._thread = None  # nothing armed for a while: end the thread
                        return
                    continue
            for alarm in due:
                action = alarm.action
                if action is not None:
                    alarm.cancel()
                    try:
                        action()
                    except Exception:  # noqa: BLE001 - one failed cut must not stop the others
                        pass


WATCHDOG = Watchdog()


def _read_body(
    response: requests.Response, started: float, timeout: float, body_cap: int
) -> tuple[bytes, bool, bool, int | None]:
    """Read at most body_cap bytes, and stop at the request's deadline (slow drips).

    Returns the body, whether it is incomplete, whether the deadline cut it, and how many
    bytes had arrived when it went over the cap (None when it did not).
    """
    chunks, size = [], 0
    deadline = started + timeout
    for chunk in response.iter_content(chunk_size=65536):
        chunks.append(chunk)
        size += len(chunk)
        if size > body_cap:
            return b"".join(chunks)[:body_cap], True, False, size
        if time.monotonic() > deadline:
            return b"".join(chunks), True, True, None
    return b"".join(chunks), False, False, None


def mark_lost(context: dict[str, Any], exc: BaseException) -> dict[str, Any]:
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


def _cut(response: requests.Response) -> None:
    """Unblock a read stuck on a server that never finishes its body."""
    connection = getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        else:
            response.raw.close()
    except OSError:
        pass


def reason(exc: BaseException) -> str:
    """A short cause without the URL noise requests puts into its messages."""
    text = str(exc)
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return f"{type(exc).__name__}: {text[:160]}".rstrip("')")
