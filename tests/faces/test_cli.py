"""The command line as users and CI run it: exit codes, one-line errors, the report file."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from conformance.faces.cli import main
from tests.commands import cli
from tests.faults import FAULTS, provider

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "tests" / "data" / "docs-manifest.json"


def manifest_file(tmp_path: Path, edit) -> Path:
    raw = json.loads(DOCS.read_text())
    edit(raw)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(raw))
    return path


def test_validate_docs_manifest_is_clean(capsys) -> None:
    assert main(["validate-manifest", str(DOCS)]) == 0
    assert "valid" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("edit", "rule", "code"),
    [
        (lambda r: r["endpoints"].pop("postMessage"), "manifest.required-endpoints", 1),
        (
            lambda r: r["endpoints"].__setitem__(
                "getConversationById", "https://example.com/api/channels/:providerChannelId/c"
            ),
            "manifest.url-variables",
            1,
        ),
        (lambda r: r.__setitem__("version", "v1"), "manifest.schema", 1),
        (
            lambda r: r["endpoints"].__setitem__(
                "getTemplates", "http://example.com/api/channels/:providerChannelId/templates"
            ),
            "manifest.https",
            0,
        ),
        (
            lambda r: r["endpoints"].__setitem__("getConversation", "https://example.com/x"),
            "manifest.unknown-endpoint",
            0,
        ),
    ],
)
def test_validate_manifest_defects(tmp_path, capsys, edit, rule, code) -> None:
    assert main(["validate-manifest", str(manifest_file(tmp_path, edit))]) == code
    assert rule in capsys.readouterr().out


def test_validate_manifest_over_http() -> None:
    from conformance.reference import ReferenceServer

    with ReferenceServer() as server:
        assert main(["validate-manifest", server.manifest_url]) == 0


@pytest.mark.parametrize("content", [b"not json at all", b"\x00\x01"])
def test_unparseable_manifest_is_exit_2_one_line(tmp_path, content) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(content)
    result = cli("validate-manifest", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and str(path) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("profile", "fragment"),
    [
        ("manifest: m.json\nchannel: c\n", "credentials: is required"),
        ("manifest: [oops", "YAML does not parse"),
        (
            "manifest: m.json\ncredentials: {client_id: a, client_secret: '${NOPE_NOT_SET}'}\n"
            "channel: c\n",
            "NOPE_NOT_SET is not set",
        ),
        (
            "manifest: absent.json\ncredentials: {client_id: a, client_secret: b}\nchannel: c\n",
            "cannot read manifest",
        ),
    ],
)
def test_bad_profile_is_exit_2_one_line(tmp_path, profile, fragment) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(profile)
    result = cli("run", "--profile", str(path), "--report-dir", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_profile_and_unknown_flag_are_exit_2(tmp_path) -> None:
    missing = cli("run", "--profile", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "cannot read profile" in missing.stderr
    flag = cli("run", "--frobnicate")
    assert flag.returncode == 2 and flag.stderr.count("\n") == 1


def test_unwritable_report_dir_is_exit_2(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = cli("run", "--report-dir", str(blocker / "reports"))
    assert result.returncode == 2 and "cannot write reports" in result.stderr


@pytest.mark.slow
def test_failing_run_writes_a_report_without_secrets(tmp_path) -> None:
    fault = next(f for f in FAULTS if f.rule == "error.code-matches-status")

    def echo(environ, status, headers, body):
        if isinstance(body, dict):  # a provider that echoes our credentials back
            body["echo"] = environ.get("HTTP_AUTHORIZATION", "")
        return status, headers, body

    from tests.faults import _chain, rewrite

    with provider(tmp_path, _chain(fault.wrap, rewrite(echo))) as (_, profile):
        result = cli(
            "run",
            "--profile",
            str(profile),
            "--report-dir",
            str(tmp_path / "out"),
            "--seed",
            "9",
            "--max-examples",
            "5",
        )
    assert result.returncode == 1, result.stderr
    assert "verdict: FAILED" in result.stdout and "error.code-matches-status" in result.stdout
    text = (tmp_path / "out" / "report.json").read_text()
    report = json.loads(text)
    token = base64.b64encode(b"reference-client:reference-secret").decode()
    for output in (text, result.stdout, result.stderr):
        assert "reference-secret" not in output and token not in output
    assert report["verdict"] == "failed" and report["seed"] == 9
    assert {r["id"] for r in report["rules"]} >= {"error.code-matches-status"}
    finding = next(f for f in report["findings"] if f["rule"] == "error.code-matches-status")
    assert set(finding) >= {
        "rule",
        "level",
        "operation",
        "message",
        "request",
        "response",
        "reproduce",
    }
    assert finding["reproduce"].startswith("curl ") and "$CLIENT_SECRET" in finding["reproduce"]


@pytest.mark.slow
def test_default_run_command_certifies_the_reference(tmp_path) -> None:
    result = cli("run", "--report-dir", str(tmp_path), "--max-examples", "5", "--seed", "4")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verdict: CERTIFIED" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["verdict"] == "certified"
    # a one-direction run: the Channels API rules are not applicable, everything else passed
    assert all(
        r["status"] == ("not_applicable" if r["id"].startswith("channels.") else "passed")
        for r in report["rules"]
    )
    assert "scenarios" in result.stderr and "fuzzing" in result.stderr


def test_every_run_flag_reaches_the_run(tmp_path, monkeypatch) -> None:
    """Option plumbing against a stub run (no provider, no subprocess): each `run` flag
    arrives as its `conformance.run` keyword. The real CLI runs are the tests above."""
    import conformance
    from conformance.faces.cli import main
    from conformance.ledger import Ledger
    from conformance.report.canonical import RunReport

    calls: list[tuple[object, dict]] = []

    def stub(profile, *, progress=None, **options):
        calls.append((profile, options))
        seed = options.get("seed", 1)
        return RunReport("certified", seed, Ledger(selected=frozenset()).results(), [])

    monkeypatch.setattr(conformance, "run", stub)
    code = main(
        ["run", "--profile", "p.yaml", "--report-dir", str(tmp_path / "out"), "--quiet"]
        + ["--seed", "9", "--max-examples", "4", "--strict", "--timeout", "2.5"]
        + ["--rate", "7", "--spec", "spec.yaml", "--only", "auth.*", "--only", "error.*"]
        + ["--workers", "3", "--no-fuzz", "--ca-bundle", "ca.pem", "--no-resend"]
        + ["--har", str(tmp_path / "run.har"), "--body-cap", "1000"]
    )
    assert code == 0
    assert calls == [
        (
            "p.yaml",
            {
                "seed": 9,
                "max_examples": 4,
                "strict": True,
                "timeout": 2.5,
                "rate": 7.0,
                "spec": "spec.yaml",
                "only": ["auth.*", "error.*"],
                "workers": 3,
                "fuzz": False,
                "verify": "ca.pem",
                "har": str(tmp_path / "run.har"),
                "resend": False,
                "body_cap": 1000,
            },
        )
    ]
    assert (tmp_path / "out" / "report.json").exists()
    main(["run", "--report-dir", str(tmp_path / "d"), "--quiet", "--insecure"])
    # unset options are not passed: RunOptions holds the one default (the option table's)
    assert calls[-1] == (None, {"verify": False})
    main(["run", "--profile", "reference", "--report-dir", str(tmp_path / "r"), "--quiet"])
    assert calls[-1][0] is None  # 'reference' names the bundled reference, as in pytest


def test_plan_for_the_bundled_reference(tmp_path) -> None:
    """`plan --profile reference` plans the bundled reference, the name pytest accepts."""
    result = cli("plan", "--profile", "reference", "--only", "auth.*")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[0].startswith("Plan for the bundled reference (") and "nothing was sent" in lines[0]
    )
    assert any(
        "preflight: one authenticated getConversations on channel 'ref-main'" in line
        for line in lines
    ), result.stdout
    assert "scenarios: auth" in result.stdout and result.stderr == ""


def test_the_command_line_starts_without_the_providers_apps() -> None:
    """Every command builds the whole parser; the reference's and the Channels simulator's
    Flask apps load only when a command serves one (a fifth of a short command's start-up,
    paid by every `run --profile` of a vendor's CI and by the suite's own CLI tests)."""
    import subprocess
    import sys

    probe = (
        "import sys; from conformance.faces.cli import build_parser; build_parser(); "
        "import conformance.runner; "
        "print(sorted(m for m in ('flask', 'conformance.reference.app', "
        "'conformance.channels.simulator') if m in sys.modules))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "[]", shown
