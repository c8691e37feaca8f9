"""`messaging-conformance serve-reference`: the reference provider in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from conformance.reference.app import ReferenceConfig
from conformance.reference.server import ReferenceServer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = free)")
    parser.add_argument("--client-id", default=ReferenceConfig.client_id)
    parser.add_argument("--client-secret", default=ReferenceConfig.client_secret)
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=ReferenceConfig.rate_limit,
        help="requests per second per channel (0 disables; default 50)",
    )
    parser.add_argument(
        "--conversations", type=int, default=48, help="conversations in ref-main (default 48)"
    )
    parser.add_argument(
        "--profile",
        default="reports/reference-profile.yaml",
        help="where to write a ready profile for `run --profile`",
    )


def run(args: argparse.Namespace) -> int:
    config = ReferenceConfig(
        args.client_id, args.client_secret, args.rate_limit or None, args.conversations
    )
    try:
        server = ReferenceServer(config, host=args.host, port=args.port, quiet=False)
    except OSError as exc:
        print(
            f"messaging-conformance: error: cannot listen on {args.host}:{args.port}: "
            f"{exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    stopped = threading.Event()

    def on_signal(*_: Any) -> None:
        stopped.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    server.start()
    try:
        profile = server.write_profile(args.profile)
        print(f"reference provider: {server.base_url}")
        print(f"manifest:           {server.manifest_url}")
        print(f"profile:            {profile}")
        print("Ctrl-C stops it.", flush=True)
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    return 0
