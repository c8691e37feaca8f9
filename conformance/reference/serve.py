"""`messaging-conformance serve-reference`: the reference provider in the foreground.

Stage: reference.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from conformance.reference.config import ReferenceConfig


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
        "--conversations",
        type=int,
        default=ReferenceConfig.conversations,
        help=f"conversations in ref-main (default {ReferenceConfig.conversations})",
    )
    parser.add_argument(
        "--profile",
        default="reports/reference-profile.yaml",
        help="where to write a ready profile for `run --profile`",
    )
    parser.add_argument(
        "--pipedrive-url",
        metavar="URL",
        help="also play the vendor's app: call this Channels API (e.g. the simulator's "
        "http://127.0.0.1:8099/v1) to register, deliver messages and report statuses",
    )
    parser.add_argument(
        "--pipedrive-token",
        metavar="TOKEN",
        help="the bearer token for --pipedrive-url; also written to the profile's channels_api",
    )


def add_channels_api(profile: Path, token: str, pipedrive_url: str | None) -> None:
    """Give the written profile a channels_api section, so simulate-pipedrive can use it."""
    data = yaml.safe_load(profile.read_text(encoding="utf-8"))
    section: dict[str, Any] = {"token": token}
    port = urlsplit(pipedrive_url).port if pipedrive_url else None
    if port:
        section["port"] = port
    data["channels_api"] = section
    profile.write_text(
        "# Profile for the bundled reference provider (test credentials).\n"
        + yaml.safe_dump(data, sort_keys=False),
        encoding="utf-8",
    )


def run(args: argparse.Namespace) -> int:
    from conformance.reference.server import ReferenceServer

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
    if args.pipedrive_url and not args.pipedrive_token:
        server.stop()
        print(
            "messaging-conformance: error: --pipedrive-url needs --pipedrive-token", file=sys.stderr
        )
        return 2
    stopped = threading.Event()

    def on_signal(*_: Any) -> None:
        stopped.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    server.start()
    vendor = None
    try:
        profile = server.write_profile(args.profile)
        if args.pipedrive_token:
            add_channels_api(profile, args.pipedrive_token, args.pipedrive_url)
        print(f"reference provider: {server.base_url}")
        print(f"manifest:           {server.manifest_url}")
        print(f"profile:            {profile}")
        if args.pipedrive_url:
            from conformance.reference.vendor import ReferenceVendor

            state = server.app.extensions["reference_state"]
            vendor = ReferenceVendor(state, args.pipedrive_url, args.pipedrive_token).start()
            print(f"vendor app calling: {args.pipedrive_url}")
        print("Ctrl-C stops it.", flush=True)
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if vendor is not None:
            vendor.stop()
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    return 0
