"""simulate-pipedrive and run --two-sided as users run them: exit codes, one-line errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import yaml

from conformance.faces.cli import main
from conformance.reference import ReferenceServer
from conformance.reference.vendor import ReferenceVendor
from tests.channels.helpers import TOKEN, add_token
from tests.commands import cli
from tests.faults import provider


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_simulate_needs_a_channels_api_section(tmp_path: Path) -> None:
    with provider(tmp_path) as (_, profile):
        result = cli("simulate-pipedrive", "--profile", str(profile), "--duration", "1")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "channels_api.token: is required" in result.stderr and "Traceback" not in result.stderr


def test_simulate_without_calls_is_incomplete_and_writes_reports(tmp_path: Path) -> None:
    with provider(tmp_path, profile_edit=add_token) as (_, profile):
        result = cli(
            "simulate-pipedrive",
            "--profile",
            str(profile),
            "--port",
            "0",
            "--duration",
            "0.5",
            "--report-dir",
            str(tmp_path / "out"),
        )
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["junit.xml", "report.html", "report.json", "summary.md"]
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["verdict"] == "incomplete"
    statuses = {r["id"]: r["status"] for r in data["rules"]}
    assert statuses["channels.auth"] == "skipped"
    assert statuses["pagination.cursor-walk"] == "not_applicable"
    assert TOKEN not in (tmp_path / "out" / "report.json").read_text()


def test_simulate_on_a_busy_port_is_exit_2(tmp_path: Path) -> None:
    with socket.socket() as busy, provider(tmp_path, profile_edit=add_token) as (_, profile):
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = cli("simulate-pipedrive", "--profile", str(profile), "--port", port)
    assert result.returncode == 2 and "cannot listen" in result.stderr
    assert result.stderr.count("\n") == 1


def test_serve_reference_pipedrive_url_needs_a_token() -> None:
    result = cli(
        "serve-reference", "--port", "0", "--pipedrive-url", "http://127.0.0.1:9/v1", timeout=60
    )
    assert result.returncode == 2 and "--pipedrive-token" in result.stderr


def test_two_sided_with_a_profile_waits_for_the_vendor_app(tmp_path: Path, capsys) -> None:
    port = free_port()

    def edit(profile: dict) -> None:
        profile["channels_api"] = {"token": TOKEN, "port": port}
        profile.pop("rate_limit_probe", None)

    with provider(tmp_path, profile_edit=edit) as (server, profile):
        state = server.app.extensions["reference_state"]
        vendor = ReferenceVendor(state, f"http://127.0.0.1:{port}/v1", TOKEN).start()
        try:
            code = main(
                [
                    "run",
                    "--two-sided",
                    "--profile",
                    str(profile),
                    "--no-fuzz",
                    "--quiet",
                    "--wait",
                    "60",
                    "--report-dir",
                    str(tmp_path / "out"),
                ]
            )
        finally:
            vendor.stop()
    out = capsys.readouterr().out
    assert f"http://127.0.0.1:{port}/v1" in out
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert code == 0 and data["findings"] == []
    statuses = {r["id"]: r["status"] for r in data["rules"] if r["id"].startswith("channels.")}
    assert set(statuses.values()) == {"passed"}, statuses


def test_two_sided_with_a_profile_gives_up_after_wait(tmp_path: Path) -> None:
    def edit(profile: dict) -> None:
        profile["channels_api"] = {"token": TOKEN, "port": free_port()}

    with provider(tmp_path, profile_edit=edit) as (_, profile):
        result = cli(
            "run",
            "--two-sided",
            "--profile",
            str(profile),
            "--wait",
            "1",
            "--quiet",
            "--report-dir",
            str(tmp_path / "out"),
        )
    assert result.returncode == 2 and "no channel was registered" in result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads((tmp_path / "out" / "report.json").read_text())  # the run had started
    assert data["verdict"] == "error" and "no channel was registered" in data["error"]


def test_reference_vendor_waits_for_a_late_simulator(tmp_path: Path) -> None:
    """serve-reference --pipedrive-url may start before the simulator: the app waits."""
    from conformance.channels import Simulator, SimulatorOptions
    from conformance.runner import RunOptions, build_target

    port = free_port()
    with ReferenceServer() as server:
        profile = {**server.profile(), "channels_api": {"token": TOKEN}}
        path = tmp_path / "p.yaml"
        path.write_text(yaml.safe_dump(profile))
        state = server.app.extensions["reference_state"]
        vendor = ReferenceVendor(state, f"http://127.0.0.1:{port}/v1", TOKEN).start()
        try:
            target = build_target(path, RunOptions(profile=path))
            with Simulator(target, SimulatorOptions(port=port)) as simulator:
                assert vendor.done.wait(60)
                assert simulator.registered()
        finally:
            vendor.stop()
