"""Serve the reference provider over real HTTP on loopback, in a background thread.

The runner starts it in-process on a free port for the embedded default; tests start several
at once. `stop()` shuts the server down, joins its thread and closes the socket, so nothing is
left behind.

Stage: reference.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

from conformance.reference.app import ROUTES, ReferenceConfig, create_app
from conformance.reference.data import (
    DISPOSABLE_CHANNEL,
    FORBIDDEN_CHANNEL,
    MAIN_CHANNEL,
    SANDBOX,
    SUSPENDED_CHANNEL,
)

WsgiApp = Callable[..., Any]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class _PooledWSGIServer(BaseWSGIServer):
    """Concurrent like Werkzeug's ThreadedWSGIServer, but a connection goes to an idle worker
    thread when there is one instead of to a new thread.

    Every request the suite sends opens a connection (Werkzeug closes each after one
    answer), and starting a thread for it cost about 0.1 ms of CPU; a run sends thousands.
    There is never a queue: with no idle worker a new one starts, so a provider stuck on one
    request (a fault under test) never holds up another. Workers end at `server_close`.
    """

    multithread = True  # also makes Werkzeug answer in HTTP/1.1, as its threaded server does

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._jobs: queue.SimpleQueue[tuple[Any, Any] | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._idle = 0
        self._pool_lock = threading.Lock()
        super().__init__(*args, **kwargs)  # (which calls server_close once, given an fd)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._pool_lock:
            if self._idle:
                self._idle -= 1  # that worker's next get() is this job
            else:
                worker = threading.Thread(
                    target=self._work,
                    name=f"reference-worker-{self.server_address[1]}",
                    daemon=True,
                )
                self._workers.append(worker)
                worker.start()
        self._jobs.put((request, client_address))

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            request, client_address = job
            try:
                self.finish_request(request, client_address)
            except Exception:  # noqa: BLE001 - as socketserver's own threads do
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)
            with self._pool_lock:
                self._idle += 1

    def server_close(self) -> None:
        super().server_close()
        with self._pool_lock:
            workers, self._workers = self._workers, []
        for _ in workers:
            self._jobs.put(None)
        deadline = time.monotonic() + 1.0  # a worker stuck in a faulty handler is a daemon
        for worker in workers:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))


class ReferenceServer:
    def __init__(
        self,
        config: ReferenceConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        app: WsgiApp | None = None,
        wsgi_wrapper: Callable[[WsgiApp], WsgiApp] | None = None,
        quiet: bool = True,
    ) -> None:
        self.config = config or ReferenceConfig()
        self.app = app if app is not None else create_app(self.config)
        served = wsgi_wrapper(self.app) if wsgi_wrapper else self.app
        # Bind here ourselves: a port in use raises OSError at construction (Werkzeug's own
        # bind would print to stderr and exit the process).
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.create_server((host, port), family=family)
        try:
            self._server: BaseWSGIServer = _PooledWSGIServer(
                host,
                port,
                served,
                _QuietHandler if quiet else WSGIRequestHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # Werkzeug serves a duplicate of it
        self.host = host
        self.port = self._server.socket.getsockname()[1]
        self._thread: threading.Thread | None = None
        self._stopping = threading.Lock()

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def manifest_url(self) -> str:
        return f"{self.base_url}/manifest.json"

    def manifest(self) -> dict[str, Any]:
        return {
            "version": "v202101",
            "endpoints": {op: self.base_url + path for op, path in ROUTES.items()},
        }

    def profile(self) -> dict[str, Any]:
        """A profile that lets the suite exercise every rule against this provider."""
        return {
            "manifest": self.manifest_url,
            "credentials": {
                "client_id": self.config.client_id,
                "client_secret": self.config.client_secret,
            },
            "channel": MAIN_CHANNEL,
            "sandbox": dict(SANDBOX),
            "disposable_channel": DISPOSABLE_CHANNEL,
            "fixtures": {
                "suspended_channel": SUSPENDED_CHANNEL,
                "forbidden_channel": FORBIDDEN_CHANNEL,
            },
            "rate_limit_probe": {"requests": 120, "seconds": 1},
            "template_support": True,  # its main channel serves templates
        }

    def write_profile(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# Profile for the bundled reference provider (test credentials).\n"
            + yaml.safe_dump(self.profile(), sort_keys=False),
            encoding="utf-8",
        )
        return path

    def start(self) -> ReferenceServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"reference-provider-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Idempotent and safe from two threads at once (a test's exit and a dying provider's
        own stop): only the first caller shuts the server down."""
        with self._stopping:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._server.shutdown()
            thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
