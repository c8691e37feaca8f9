"""Run after run: the disposable channel comes back (recreate command, reference restore)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance.errors import ConformanceError
from conformance.inputs.profile import parse_profile
from conformance.phases.disposable import recreate
from conformance.runner import RunOptions, run
from tests.commands import ROOT, cli
from tests.faults import provider
from tests.reference.test_serve import free_port

BASE = """
manifest: https://provider.example/manifest.json
credentials: {client_id: acme, client_secret: "s3cr3t-value"}
channel: acme-wa-1
"""


def test_plain_string_disposable_channel_keeps_working() -> None:
    profile = parse_profile(BASE + "disposable_channel: acme-tmp\n")
    assert profile.disposable_channel == "acme-tmp" and profile.disposable_recreate is None
    assert profile.redacted()["disposable_channel"] == "acme-tmp"


def test_mapping_with_recreate_command_and_its_secret_redacted() -> None:
    profile = parse_profile(
        BASE + "disposable_channel: {id: acme-tmp, recreate: 'make-channel -p s3cr3t-value'}\n"
    )
    assert profile.disposable_channel == "acme-tmp"
    assert profile.disposable_recreate == "make-channel -p s3cr3t-value"
    assert profile.disposable_recreate_timeout == 60.0
    shown = profile.redacted()["disposable_channel"]
    assert shown == {"id": "acme-tmp", "recreate": "make-channel -p <redacted>", "timeout": 60.0}


def test_recreate_command_shows_no_encoded_secret() -> None:
    """The profile scrubs with the suite's one Redactor: a command that passes the secret
    percent-encoded or base64-encoded shows it in no form (a plain replace would miss both)."""
    import base64
    from urllib.parse import quote

    encoded = base64.b64encode(b"s3cr3t-value").decode()
    command = f"make-channel --url 'https://x/?k={quote('s3cr3t-value!', safe='')}' {encoded}"
    profile = parse_profile(BASE + f"disposable_channel: {{id: acme-tmp, recreate: {command!r}}}\n")
    shown = profile.redacted()["disposable_channel"]["recreate"]
    assert "s3cr3t" not in shown and encoded not in shown and "<redacted>" in shown


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        ("{recreate: x}", "disposable_channel.id: is required"),
        ("{id: t, recreate: [a]}", "disposable_channel.recreate: must be a string"),
        ("{id: t, timeout: -1}", "disposable_channel.timeout: must be a positive number"),
    ],
)
def test_bad_mapping_names_the_key(fragment: str, message: str) -> None:
    with pytest.raises(ConformanceError, match=message):
        parse_profile(BASE + f"disposable_channel: {fragment}\n")


def test_unknown_subkey_is_named_with_a_suggestion() -> None:
    with pytest.raises(ConformanceError, match=r"disposable_channel.recreat.*'recreate'"):
        parse_profile(BASE + "disposable_channel: {id: t, recreat: x}\n")


def test_recreate_success_keeps_output() -> None:
    outcome = recreate("echo making it; echo done", timeout=30)
    assert outcome.ok and outcome.exit_code == 0
    assert outcome.output == "making it\ndone\n" and outcome.last_line == "done"


def test_recreate_failure_skip_reason_is_the_last_line_and_scrubbed() -> None:
    outcome = recreate(
        "echo 'trying with s3cr3t'; echo 'channel quota reached' >&2; exit 3",
        timeout=30,
        scrub=lambda text: text.replace("s3cr3t", "<redacted>"),
    )
    assert not outcome.ok and outcome.exit_code == 3
    assert (
        outcome.skip_reason() == "disposable_channel.recreate exited with 3: channel quota reached"
    )
    assert "s3cr3t" not in outcome.output + outcome.command


def test_recreate_timeout_ends_the_command_and_its_children() -> None:
    outcome = recreate("echo started; sleep 60 & sleep 60", timeout=0.5)
    assert outcome.exit_code is None and "timed out after 0.5 s" in outcome.skip_reason()
    assert outcome.duration_s < 30  # generous: the group was killed, not waited for


def _with_recreate(command: str):
    def edit(profile: dict) -> None:
        profile.pop("rate_limit_probe", None)
        profile["disposable_channel"] = {"id": profile["disposable_channel"], "recreate": command}

    return edit


def test_failing_recreate_skips_delete_with_the_command_last_line(tmp_path: Path) -> None:
    edit = _with_recreate("echo 'cannot create channel: quota' && exit 1")
    with provider(tmp_path, None, edit) as (server, profile):
        report = run(RunOptions(profile=profile, seed=1, fuzz=False))
        assert "ref-disposable" in server.app.extensions["reference_state"].channels
    result = next(r for r in report.results if r.rule.id == "delete.channel")
    assert result.status == "skipped"
    assert (
        result.reason == "disposable_channel.recreate exited with 1: cannot create channel: quota"
    )
    assert report.meta["disposable_recreate"]["exit_code"] == 1
    assert report.verdict == "incomplete"


def test_recreate_runs_before_the_delete_and_its_output_is_reported(tmp_path: Path) -> None:
    with provider(tmp_path, None, _with_recreate("echo recreated acme-tmp")) as (_, profile):
        report = run(RunOptions(profile=profile, seed=1, fuzz=False))
    assert report.findings == []
    assert next(r for r in report.results if r.rule.id == "delete.channel").status == "passed"
    data = report.to_dict()
    assert data["disposable_recreate"]["output"] == "recreated acme-tmp\n"
    assert data["profile"]["disposable_channel"]["recreate"] == "echo recreated acme-tmp"


@pytest.mark.slow
def test_two_runs_against_one_served_reference_are_both_certified(tmp_path: Path) -> None:
    port = free_port()
    profile = tmp_path / "profile.yaml"
    server = subprocess.Popen(
        [sys.executable, "-m", "conformance", "serve-reference", "--port", str(port)]
        + ["--profile", str(profile)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # its request log: a pipe nobody reads would fill and block
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        for _ in range(3):
            server.stdout.readline()
        for night in ("1", "2"):
            result = cli(
                "run", "--profile", str(profile), "--report-dir", str(tmp_path / night),
                "--seed", night, "--max-examples", "5", "--quiet",
            )  # fmt: skip
            assert result.returncode == 0, result.stdout + result.stderr
            data = json.loads((tmp_path / night / "report.json").read_text())
            assert data["verdict"] == "certified", result.stdout
            delete = next(r for r in data["rules"] if r["id"] == "delete.channel")
            assert delete["status"] == "passed"
    finally:
        server.kill()
        server.wait()


def test_reference_restores_its_disposable_channel_when_a_run_reads_the_manifest() -> None:
    from conformance.reference import create_app

    app = create_app()
    client, auth = (
        app.test_client(),
        {"Authorization": "Basic cmVmZXJlbmNlLWNsaWVudDpyZWZlcmVuY2Utc2VjcmV0"},
    )
    url = "/api/channels/ref-disposable/conversations"
    assert client.delete("/api/channels/ref-disposable", headers=auth).status_code == 200
    assert client.get(url, headers=auth).status_code == 404  # gone within the run
    assert client.get("/manifest.json").status_code == 200  # the next run starts
    again = client.get(url, headers=auth)
    assert again.status_code == 200 and len(again.get_json()["data"]) == 2


def test_a_provider_whose_disposable_channel_is_gone_skips_delete_with_the_reason(
    tmp_path: Path,
) -> None:
    """A provider that does not restore it (unlike the reference): SKIPPED, never FAILED."""

    def gone(app):
        state = app.extensions["reference_state"]

        def middleware(environ, start_response):
            state.delete_channel("ref-disposable")  # deleted by an earlier run
            return app(environ, start_response)

        return middleware

    def edit(profile: dict) -> None:
        profile.pop("rate_limit_probe", None)

    with provider(tmp_path, gone, edit) as (_, profile):
        report = run(RunOptions(profile=profile, seed=1, fuzz=False))
    result = next(r for r in report.results if r.rule.id == "delete.channel")
    assert result.status == "skipped"
    assert result.reason.startswith("the disposable channel does not exist (deleted by an")
    assert "disposable_channel.recreate" in result.reason
    assert not any(f.rule == "delete.channel" for f in report.findings)


def test_the_recreate_command_brings_a_gone_channel_back_before_the_delete(
    tmp_path: Path,
) -> None:
    deleted: list[bool] = []

    def gone_once(app):
        state = app.extensions["reference_state"]

        def middleware(environ, start_response):
            if environ["PATH_INFO"] != "/manifest.json" and not deleted:
                state.delete_channel("ref-disposable")  # an earlier run deleted it
                deleted.append(True)
            return app(environ, start_response)

        return middleware

    with provider(tmp_path, gone_once, _with_recreate("true")) as (server, profile):
        # the reference restores its channel when its manifest is read: that is the command
        command = (
            f'{sys.executable} -c "import urllib.request as u; '
            f"u.urlopen('{server.manifest_url}').read(); print('channel recreated')\""
        )
        data = yaml.safe_load(profile.read_text())
        data["disposable_channel"]["recreate"] = command
        profile.write_text(yaml.safe_dump(data))
        report = run(RunOptions(profile=profile, seed=1, fuzz=False))
    assert deleted
    assert next(r for r in report.results if r.rule.id == "delete.channel").status == "passed"
    assert report.meta["disposable_recreate"]["output"] == "channel recreated\n"
