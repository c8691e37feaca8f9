"""`messaging-conformance simulate-pipedrive`: the Channels API simulator in the foreground.

Serves until Ctrl-C, SIGTERM or `--duration` seconds, printing a line per call the vendor's
app makes, then writes the usual report files and exits with the usual codes (0 certified or
incomplete, 1 a MUST failed, 2 the simulator could not start).

Stage: faces.
"""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from conformance.channels import RETIRED

DESCRIPTION = (
    "Serve a local imitation of Pipedrive's Channels API, record every call your app makes, "
    "call your manifest back as Pipedrive does, and judge both. Pipedrive retired the "
    f"Channels API (announced {RETIRED['announced']}: POST /v1/channels, POST "
    "/v1/channels/messages/receive and both DELETEs were removed on "
    f"{RETIRED['removed']}): the simulator certifies against the last published contract of "
    "that API, for integrations built on it and for platforms that implement the same "
    "contract."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile", required=True, help="profile YAML with a channels_api: section"
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, help="port (default: channels_api.port, else 8099; 0 = free)"
    )
    parser.add_argument("--report-dir", default="reports", help="where to write report.json")
    parser.add_argument("--duration", type=_seconds, help="stop after this many seconds")
    parser.add_argument("--strict", action="store_true", help="SHOULD failures fail the run")
    parser.add_argument("--quiet", "-q", action="store_true", help="no live lines")


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def run(args: argparse.Namespace) -> int:
    from conformance.channels.simulator import Simulator, SimulatorOptions
    from conformance.channels.twosided import DEFAULT_PORT
    from conformance.errors import ConformanceError
    from conformance.faces.console import progress_for, summary
    from conformance.report.canonical import ensure_writable, exit_code_of
    from conformance.report.render import write_all
    from conformance.runner import RunOptions, build_target

    ensure_writable(args.report_dir)
    target = build_target(args.profile, RunOptions(profile=args.profile))
    channels_api = target.profile.channels_api
    port = args.port
    if port is None:
        port = channels_api.port if channels_api and channels_api.port else DEFAULT_PORT
    progress = progress_for(quiet=args.quiet)
    try:
        simulator = Simulator(target, SimulatorOptions(host=args.host, port=port), progress)
    except OSError as exc:
        raise ConformanceError(
            f"cannot listen on {args.host}:{port}: {exc.strerror or exc}"
        ) from None
    stopped = threading.Event()

    def on_signal(*_: Any) -> None:
        stopped.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    simulator.start()
    try:
        print(f"Pipedrive Channels API simulator: {simulator.base_url}")
        print("Send your app's calls there with 'Authorization: Bearer <channels_api.token>'.")
        print(
            "Ctrl-C stops it"
            + (f"; stops by itself after {args.duration:g} s." if args.duration else "."),
            flush=True,
        )
        stopped.wait(args.duration)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        try:
            report = simulator.finish(strict=args.strict, settle=10.0)
        finally:
            simulator.stop()
            progress.close()
    data = report.to_dict()
    paths = write_all(data, args.report_dir)
    print(summary(report, str(paths["json"])))
    return exit_code_of(data)
