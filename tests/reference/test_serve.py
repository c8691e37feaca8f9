"""`serve-reference` as a user runs it, and the README's curl examples as printed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "conformance",
            "serve-reference",
            "--port",
            str(port),
            "--profile",
            str(tmp_path / "profile.yaml"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    lines = [process.stdout.readline() for _ in range(3)]
    yield port, lines, process, tmp_path
    if process.poll() is None:
        process.kill()
        process.wait()


def test_prints_urls_and_profile_then_stops_on_sigterm(served) -> None:
    port, lines, process, tmp_path = served
    assert f"http://127.0.0.1:{port}" in lines[0]
    assert f"http://127.0.0.1:{port}/manifest.json" in lines[1]
    assert str(tmp_path / "profile.yaml") in lines[2]
    assert (tmp_path / "profile.yaml").exists()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_ctrl_c_stops_cleanly(served) -> None:
    _, _, process, _ = served
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
    assert "Traceback" not in process.stderr.read()


def test_port_in_use_is_one_line_exit_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "conformance", "serve-reference", "--port", str(port)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=30,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "cannot listen" in result.stderr


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_readme_curl_examples_work_as_printed(served) -> None:
    port, _, _, _ = served
    readme = (ROOT / "README.md").read_text()
    commands = [
        line
        for line in readme.splitlines()
        if line.startswith("curl ") and "127.0.0.1:8080" in line
    ]
    assert len(commands) >= 11
    answers = []
    for command in commands:
        command = command.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        result = subprocess.run(
            command, shell=True, capture_output=True, text=True, cwd=ROOT, timeout=30
        )
        assert result.returncode == 0, command
        answers.append(json.loads(result.stdout))
    assert answers[0]["success"] is True and len(answers[0]["data"]) == 2
    assert answers[2]["id"] == "msg-001-075"  # getMessageById: bare message
    assert answers[5]["success"] is True and answers[5]["data"]["id"]  # postMessage
    assert answers[6] == {"success": True}  # deleteChannelById
    codes = [a["data"]["code"] for a in answers[7:11]]
    assert codes == ["UNAUTHORIZED", "NOT_FOUND", "ACCOUNT_SUSPENDED", "FORBIDDEN"]
    gone = requests.get(
        f"http://127.0.0.1:{port}/api/channels/ref-disposable/conversations",
        auth=("reference-client", "reference-secret"),
        timeout=5,
    )
    assert gone.status_code == 404
