"""certify -> verify: a signed certificate a third party checks offline.

Unit tests build reports and envelopes by hand (no server); the end-to-end tests certify the
bundled reference once, through the real command line, and then tamper with each piece of
evidence in turn: every change must fail `verify` with a line that names the check.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance import __version__
from conformance.certificate import FILENAMES, dsse, issue, write_certificate
from conformance.certificate.render import render_badge, render_certificate_html
from conformance.certificate.statement import decode, encode, not_certified_reason, statement
from conformance.certificate.verify import (
    check_catalogue,
    check_expiry,
    check_rejudged,
    check_suite,
    known_versions,
    verify_certificate,
)
from conformance.faces import cli
from conformance.rules import catalogue_version
from tests.commands import cli as run_cli
from tests.faults import FAULTS, provider

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

# The tests share one certified run (module fixture `certified`): one worker builds it once.
pytestmark = pytest.mark.xdist_group("certificate run")


def hand_made_report(**changes) -> dict:
    report = {
        "schema_version": 1,
        "suite": {"name": "messaging-conformance", "version": __version__},
        "catalogue": {"version": catalogue_version(), "rules": 2},
        "verdict": "certified",
        "seed": 7,
        "strict": False,
        "spec": {"path": "specs/x.yaml", "sha256": "ab" * 32},
        "manifest": {"source": "https://acme.example/manifest.json", "sha256": "cd" * 32},
        "target": {"base_url": "https://acme.example/api/", "channel": "ch-1"},
        "options": {"max_examples": 25},
        "started_at": "2026-11-30T11:59:00Z",
        "rules": [
            {"id": "auth.required", "level": "MUST", "status": "passed"},
            {"id": "channels.auth", "level": "MUST", "status": "not_applicable"},
        ],
    }
    report.update(changes)
    return report


def signed(report: dict, key: Ed25519PrivateKey, *, now: datetime = NOW, har=b"har") -> dict:
    return issue(json.dumps(report).encode(), har, key, now=now)


def resigned(envelope: dict, key: Ed25519PrivateKey, change) -> dict:
    """The envelope's Statement changed by `change` and signed again with `key`."""
    body = decode(dsse.payload_of(envelope))
    change(body)
    return dsse.sign(encode(body), key)


def altered(envelope: dict, change) -> dict:
    """The Statement changed by `change`, the signature kept (what a forger can do)."""
    body = decode(dsse.payload_of(envelope))
    change(body)
    return {**envelope, "payload": base64.b64encode(encode(body)).decode()}


# -- DSSE ---------------------------------------------------------------------------------
def test_pae_is_the_dsse_spec_encoding() -> None:
    """The DSSE protocol's own example."""
    assert (
        dsse.pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert dsse.pae("t", "é".encode()) == "DSSEv1 1 t 2 é".encode()  # byte lengths


def test_signature_covers_payload_and_payload_type() -> None:
    key = Ed25519PrivateKey.generate()
    envelope = dsse.sign(b'{"a":1}', key)
    assert dsse.verified(envelope, key.public_key())
    assert envelope["signatures"][0]["keyid"] == dsse.keyid(key.public_key())
    assert not dsse.verified({**envelope, "payloadType": "text/plain"}, key.public_key())
    other = base64.b64encode(b'{"a":2}').decode()
    assert not dsse.verified({**envelope, "payload": other}, key.public_key())
    assert not dsse.verified(envelope, Ed25519PrivateKey.generate().public_key())
    assert not dsse.verified({**envelope, "signatures": [{"sig": "!!"}]}, key.public_key())
    assert not dsse.verified({"payload": 3}, key.public_key())


def test_keygen_writes_a_private_key_only_its_owner_reads(tmp_path) -> None:
    private, public = dsse.generate(tmp_path / "k.key")
    assert public == tmp_path / "k.key.pub"
    assert private.stat().st_mode & 0o077 == 0
    key, pub = dsse.load_private(private), dsse.load_public(public)
    assert dsse.keyid(key.public_key()) == dsse.keyid(pub)
    with pytest.raises(Exception, match="exists; pass --force"):
        dsse.generate(private)
    assert dsse.generate(private, force=True) == (private, public)
    assert dsse.keyid(dsse.load_public(public)) != dsse.keyid(pub)


def test_bad_key_files_are_one_line_errors(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    for argv, needle in [
        (["certify", "--signing-key", str(bad)], "not an unencrypted PEM private key"),
        (["certify", "--signing-key", str(tmp_path / "none")], "cannot read the signing key"),
    ]:
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1, err
    private, public = dsse.generate(tmp_path / "k.key")
    cert = tmp_path / "c.json"
    cert.write_text("{}")
    assert cli.main(["verify", str(cert), "--key", str(private)]) == 2
    assert "not a certificate" in capsys.readouterr().err
    cert.write_text(json.dumps(dsse.sign(b"{}", dsse.load_private(private))))
    assert cli.main(["verify", str(cert), "--key", str(private)]) == 2
    assert "not a PEM public key" in capsys.readouterr().err


# -- the Statement ------------------------------------------------------------------------
def test_statement_records_subject_predicate_and_evidence_digests() -> None:
    report = hand_made_report()
    body = statement(report, b"report-bytes", b"har-bytes", now=NOW, valid_days=30)
    assert body["_type"] == "https://in-toto.io/Statement/v1"
    assert body["subject"] == [
        {"name": "https://acme.example/manifest.json", "digest": {"sha256": "cd" * 32}}
    ]
    predicate = body["predicate"]
    assert predicate["issued_at"] == "2026-11-30T12:00:00Z"
    assert predicate["expires_at"] == "2026-12-30T12:00:00Z"
    assert predicate["rules"] == {"auth.required": "passed", "channels.auth": "not_applicable"}
    assert predicate["channel"] == "ch-1" and predicate["seed"] == 7
    assert predicate["spec"] == {"sha256": "ab" * 32}
    assert predicate["suite"]["version"] == __version__
    assert predicate["catalogue"]["version"] == catalogue_version()
    assert predicate["options"] == {"max_examples": 25}
    evidence = predicate["evidence"]
    assert evidence["report.json"]["sha256"] == hashlib.sha256(b"report-bytes").hexdigest()
    assert evidence["run.har"]["sha256"] == hashlib.sha256(b"har-bytes").hexdigest()
    assert decode(encode(body)) == body
    assert decode(b'{"_type": "other"}') is None and decode(b"[") is None


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({}, None),
        (
            {"verdict": "failed", "rules": [{"id": "a.b", "level": "MUST", "status": "failed"}]},
            "verdict failed: 1 MUST rule(s) failed (a.b)",
        ),
        (
            {
                "verdict": "incomplete",
                "rules": [{"id": "a.b", "level": "MUST", "status": "skipped"}],
            },
            "verdict incomplete: 1 MUST rule(s) skipped (a.b)",
        ),
        (
            {"verdict": "error", "error": "provider unreachable"},
            "the run could not complete: provider unreachable",
        ),
        (
            {"rules": [{"id": "a.b", "level": "MUST", "status": "skipped"}]},
            "1 MUST rule(s) skipped (a.b): not a full run",
        ),
    ],
    ids=["certified", "failed", "incomplete", "error", "skipped-under-certified"],
)
def test_only_a_full_certified_run_earns_a_certificate(changes, reason) -> None:
    assert not_certified_reason(hand_made_report(**changes)) == reason


# -- the checks ---------------------------------------------------------------------------
def test_expiry_check_names_the_date() -> None:
    predicate = {"issued_at": "2026-11-30T12:00:00Z", "expires_at": "2027-02-28T12:00:00Z"}
    assert check_expiry(predicate, NOW).ok
    late = check_expiry(predicate, NOW + timedelta(days=90))
    assert not late.ok and late.line() == "FAIL expiry: expired on 2027-02-28T12:00:00Z"
    early = check_expiry(predicate, NOW - timedelta(days=1))
    assert not early.ok and "issued in the future" in early.detail
    assert not check_expiry({"issued_at": "yesterday"}, NOW).ok


def test_suite_and_catalogue_must_be_ones_this_suite_knows() -> None:
    known = known_versions()
    good = {"suite": {"version": __version__}, "catalogue": {"version": catalogue_version()}}
    assert check_suite(good, known).ok and check_catalogue(good, known).ok
    suite = check_suite({**good, "suite": {"version": "9.9.9"}}, known)
    assert not suite.ok and "'9.9.9' is not one this suite knows" in suite.detail
    catalogue = check_catalogue({**good, "catalogue": {"version": "000000"}}, known)
    assert not catalogue.ok and "'000000' is not one this suite knows" in catalogue.detail


def test_rejudge_check_compares_every_rule_status_and_the_manifest() -> None:
    predicate = {"rules": {"a.b": "passed", "c.d": "not_applicable"}}
    subject = {"name": "m", "digest": {"sha256": "cd"}}
    same = {
        "verdict": "certified",
        "rules": [{"id": "a.b", "status": "passed"}, {"id": "c.d", "status": "not_applicable"}],
        "manifest": {"sha256": "cd"},
    }
    assert check_rejudged(predicate, subject, same).ok
    worse = {**same, "rules": [{"id": "a.b", "status": "failed"}, same["rules"][1]]}
    result = check_rejudged(predicate, subject, worse)
    assert not result.ok and result.detail == "1 rule status(es) differ (a.b passed->failed)"
    other = check_rejudged(predicate, subject, {**same, "manifest": {"sha256": "ee"}})
    assert not other.ok and "another manifest" in other.detail
    failed = check_rejudged(predicate, subject, {**same, "verdict": "failed"})
    assert not failed.ok and "re-judges as failed" in failed.detail


def test_verify_runs_every_check_and_names_each_failure(tmp_path) -> None:
    key = Ed25519PrivateKey.generate()
    envelope = signed(hand_made_report(), key)
    manifest = lambda: b"manifest"  # noqa: E731
    checks = verify_certificate(envelope, key.public_key(), now=NOW, manifest=manifest)
    assert [c.name for c in checks] == [
        "signature",
        "statement",
        "expiry",
        "suite",
        "catalogue",
        "manifest",
    ]
    assert [c.ok for c in checks] == [True] * 5 + [False]  # the bytes are not the "cd" digest
    assert "is not the certified cdcdcdcd" in checks[-1].detail
    fine = resigned(
        envelope,
        key,
        lambda s: s["subject"][0]["digest"].update(sha256=hashlib.sha256(b"manifest").hexdigest()),
    )
    assert all(c.ok for c in verify_certificate(fine, key.public_key(), now=NOW, manifest=manifest))
    garbage = {**envelope, "payload": base64.b64encode(b"[1]").decode()}
    checks = verify_certificate(garbage, key.public_key(), now=NOW, har=tmp_path / "none.har")
    assert [(c.name, c.ok) for c in checks] == [
        ("signature", False),
        ("statement", False),
        ("expiry", False),
        ("suite", False),
        ("catalogue", False),
        ("har", False),
        ("rejudge", False),
    ]
    assert checks[-1].detail == "not checked: no Statement"


def test_unreadable_evidence_is_a_failed_check_not_a_crash(tmp_path) -> None:
    key = Ed25519PrivateKey.generate()
    envelope = signed(hand_made_report(), key)
    missing = tmp_path / "missing.har"
    checks = verify_certificate(envelope, key.public_key(), now=NOW, har=missing, report=missing)
    by_name = {c.name: c for c in checks}
    assert not by_name["har"].ok and "cannot check: cannot read" in by_name["har"].detail
    assert not by_name["rejudge"].ok and "cannot check" in by_name["rejudge"].detail
    assert not by_name["report"].ok


def test_page_and_badge_say_what_the_certificate_says() -> None:
    key = Ed25519PrivateKey.generate()
    envelope = signed(hand_made_report(), key)
    page = render_certificate_html(envelope)
    assert "<h1>Pipedrive messaging: certified</h1>" in page
    for text in [
        "<dt>Manifest</dt><dd>https://acme.example/manifest.json</dd>",
        "<dt>Certified on</dt><dd>2026-11-30T12:00:00Z</dd>",
        "<dt>Valid until</dt><dd>2027-02-28T12:00:00Z</dd>",
        f"<dt>Suite</dt><dd>messaging-conformance {__version__}</dd>",
        "<dt>Rules</dt><dd>1 not_applicable, 1 passed</dd>",
        f"<dt>Signed by key</dt><dd>{dsse.keyid(key.public_key())}</dd>",
        "messaging-conformance verify certificate.json --key SIGNER.pub --har run.har "
        "--report report.json --manifest https://acme.example/manifest.json",
        "holds until\n2027-02-28",
    ]:
        assert text in page, text
    assert "<script" not in page and 'http-equiv="Content-Security-Policy"' in page
    badge = render_badge(envelope)
    assert 'aria-label="Pipedrive messaging: certified 2026-11-30"' in badge
    assert ">certified 2026-11-30</text>" in badge and badge.startswith("<svg ")
    hostile = signed(hand_made_report(manifest={"source": "<b>x</b>&", "sha256": "cd"}), key)
    assert "<b>x</b>" not in render_certificate_html(hostile)
    assert "&lt;b&gt;x&lt;/b&gt;&amp;" in render_certificate_html(hostile)


# -- end to end: the bundled reference ----------------------------------------------------
def readme_block() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Certificates a third party can check") :]
    return section.split("```bash\n", 1)[1].split("```", 1)[0]


@pytest.fixture(scope="module")
def certified(tmp_path_factory) -> Path:
    """The README's commands, as printed, in a fresh folder: keygen, certify the bundled
    reference, verify with the HAR and the report."""
    folder = tmp_path_factory.mktemp("certified")
    bin_dir = str(Path(sys.executable).parent)
    result = subprocess.run(
        ["bash", "-e", "-c", readme_block()],
        cwd=folder,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "certificate: reports/certificate.json (valid until " in result.stdout
    assert result.stdout.rstrip().endswith("reports/certificate.json: valid")
    return folder


def verify(folder: Path, *extra: str, cert: Path | None = None, key: str = "vendor.key.pub"):
    return [
        "verify",
        str(cert or folder / "reports" / "certificate.json"),
        "--key",
        str(folder / key),
        *extra,
    ]


def evidence(folder: Path) -> list[str]:
    return [
        "--har",
        str(folder / "reports" / "run.har"),
        "--report",
        str(folder / "reports" / "report.json"),
    ]


@pytest.mark.slow
def test_certify_then_verify_har_passes_on_the_bundled_reference(certified) -> None:
    out = certified / "reports"
    assert {p.name for p in out.iterdir()} >= {*FILENAMES.values(), "run.har", "report.json"}
    result = run_cli(*verify(certified, *evidence(certified)))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "ok   signature",
        "ok   statement",
        "ok   expiry",
        "ok   suite",
        "ok   catalogue",
        "ok   har",
        "ok   rejudge",
        "ok   report",
    ]
    assert lines[-1].endswith("certificate.json: valid")
    envelope = json.loads((out / "certificate.json").read_text())
    body = decode(dsse.payload_of(envelope))
    report = json.loads((out / "report.json").read_text())
    assert body["predicate"]["rules"] == {r["id"]: r["status"] for r in report["rules"]}
    assert body["subject"][0]["digest"]["sha256"] == report["manifest"]["sha256"]
    assert body["predicate"]["seed"] == report["seed"]
    assert body["predicate"]["options"]["max_examples"] == 25 and report["options"]["fuzz"]
    assert (out / "certificate.html").read_text() == render_certificate_html(envelope)
    assert (out / "badge.svg").read_text() == render_badge(envelope)


def _failing(argv: list[str], capsys) -> list[str]:
    assert cli.main(argv) == 1
    out = capsys.readouterr().out
    return [line for line in out.splitlines() if line.startswith("FAIL ")]


def _edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


CERTIFICATE_TAMPERING = {
    "expires_at": lambda s: s["predicate"].update(expires_at="2099-01-01T00:00:00Z"),
    "issued_at": lambda s: s["predicate"].update(issued_at="2026-01-01T00:00:00Z"),
    "rule status": lambda s: s["predicate"]["rules"].update({"auth.required": "failed"}),
    "subject name": lambda s: s["subject"][0].update(name="https://other.example/m.json"),
    "subject digest": lambda s: s["subject"][0]["digest"].update(sha256="00" * 32),
    "har digest": lambda s: s["predicate"]["evidence"]["run.har"].update(sha256="00" * 32),
    "suite": lambda s: s["predicate"]["suite"].update(version="0.0.1"),
    "channel": lambda s: s["predicate"].update(channel="someone-else"),
    "seed": lambda s: s["predicate"].update(seed=5),
}


@pytest.mark.parametrize("field", sorted(CERTIFICATE_TAMPERING))
def test_any_changed_field_of_the_certificate_fails_the_signature(
    certified, tmp_path, capsys, field
) -> None:
    envelope = json.loads((certified / "reports" / "certificate.json").read_text())
    cert = tmp_path / "certificate.json"
    cert.write_text(json.dumps(altered(envelope, CERTIFICATE_TAMPERING[field])))
    failing = _failing(verify(certified, *evidence(certified), cert=cert), capsys)
    assert failing[0].startswith("FAIL signature: no valid signature by key"), failing


def _leaves(value, path=()):
    """Every leaf of a JSON value, as a key path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path


def test_every_single_field_of_the_statement_is_covered_by_the_signature(certified) -> None:
    envelope = json.loads((certified / "reports" / "certificate.json").read_text())
    public = dsse.load_public(certified / "vendor.key.pub")
    assert dsse.verified(envelope, public)
    leaves = list(_leaves(decode(dsse.payload_of(envelope))))
    assert len(leaves) > 70  # every rule's status is a leaf

    def change(path):
        def edit(body):
            *parents, last = path
            holder = body
            for key in parents:
                holder = holder[key]
            holder[last] = f"{holder[last]}x"

        return edit

    for path in leaves:
        tampered = altered(envelope, change(path))
        assert not dsse.verified(tampered, public), path


@pytest.mark.parametrize("part", ["payloadType", "sig", "keyid-and-sig"])
def test_a_changed_envelope_fails_the_signature(certified, tmp_path, capsys, part) -> None:
    envelope = json.loads((certified / "reports" / "certificate.json").read_text())
    if part == "payloadType":
        envelope["payloadType"] = "application/json"
    else:
        sig = base64.b64decode(envelope["signatures"][0]["sig"])
        envelope["signatures"][0]["sig"] = base64.b64encode(bytes([sig[0] ^ 1]) + sig[1:]).decode()
        if part == "keyid-and-sig":
            envelope["signatures"][0]["keyid"] = "0" * 64
    cert = tmp_path / "certificate.json"
    cert.write_text(json.dumps(envelope))
    failing = _failing(verify(certified, cert=cert), capsys)
    assert len(failing) == 1 and failing[0].startswith("FAIL signature: no valid signature")


def test_a_changed_har_fails_its_digest_and_a_rejudge_that_differs(certified, tmp_path, capsys):
    har = tmp_path / "run.har"
    shutil.copy(certified / "reports" / "run.har", har)
    whitespace = tmp_path / "spaced.har"
    whitespace.write_bytes(har.read_bytes() + b"\n")
    failing = _failing(verify(certified, "--har", str(whitespace)), capsys)
    assert [line.split(":")[0] for line in failing] == ["FAIL har"], failing

    def break_one_answer(data: dict) -> None:
        # a by-id lookup answered 500: the recorded run no longer certifies
        entry = next(
            e for e in data["log"]["entries"] if e.get("_operation") == "getConversationById"
        )
        entry["response"]["status"] = 500

    _edit_json(har, break_one_answer)
    failing = _failing(verify(certified, "--har", str(har)), capsys)
    assert [line.split(":")[0] for line in failing] == ["FAIL har", "FAIL rejudge"], failing
    assert "status.no-server-error passed->failed" in failing[1]


def test_a_changed_report_fails_its_digest(certified, tmp_path, capsys) -> None:
    report = tmp_path / "report.json"
    shutil.copy(certified / "reports" / "report.json", report)
    _edit_json(report, lambda d: d.update(seed=99))
    failing = _failing(verify(certified, "--report", str(report)), capsys)
    assert len(failing) == 1 and failing[0].startswith("FAIL report: sha256 "), failing


def test_expired_or_wrongly_keyed_certificates_fail(certified, tmp_path, capsys) -> None:
    out = certified / "reports"
    key = dsse.load_private(certified / "vendor.key")
    old = issue(
        (out / "report.json").read_bytes(),
        (out / "run.har").read_bytes(),
        key,
        now=datetime.now(UTC) - timedelta(days=91),
    )
    write_certificate(old, tmp_path / "old")
    failing = _failing(
        verify(certified, *evidence(certified), cert=tmp_path / "old" / "certificate.json"), capsys
    )
    assert len(failing) == 1 and failing[0].startswith("FAIL expiry: expired on "), failing

    dsse.generate(certified / "stranger.key", force=True)
    failing = _failing(verify(certified, key="stranger.key.pub"), capsys)
    assert len(failing) == 1 and failing[0].startswith("FAIL signature: no valid signature")


def test_a_rightly_signed_certificate_the_recorded_run_does_not_support_fails(
    certified, tmp_path, capsys
) -> None:
    """The signer's own key cannot certify what the HAR does not show, nor an unknown
    catalogue."""
    out = certified / "reports"
    key = dsse.load_private(certified / "vendor.key")
    envelope = json.loads((out / "certificate.json").read_text())
    for name, change, expected in [
        (
            "claims",
            lambda s: s["predicate"]["rules"].update({"auth.required": "warning"}),
            ["FAIL rejudge: 1 rule status(es) differ (auth.required warning->passed)"],
        ),
        (
            "catalogue",
            lambda s: s["predicate"]["catalogue"].update(version="000000"),
            ["FAIL catalogue: catalogue digest '000000' is not one this suite knows"],
        ),
    ]:
        cert = tmp_path / f"{name}.json"
        cert.write_text(json.dumps(resigned(envelope, key, change)))
        failing = _failing(verify(certified, *evidence(certified), cert=cert), capsys)
        assert [line.split(" (")[0] if name == "catalogue" else line for line in failing] == (
            expected
        ), failing


@pytest.mark.slow
def test_verify_manifest_checks_the_manifest_served_now(tmp_path, capsys) -> None:
    """A provider served with a profile: its manifest URL is up while verify runs."""
    private, _ = dsse.generate(tmp_path / "k.key")
    with provider(tmp_path / "p") as (server, profile):
        result = run_cli(
            "certify",
            "--profile",
            str(profile),
            "--signing-key",
            str(private),
            "--report-dir",
            str(tmp_path / "out"),
            "--seed",
            "2",
            "--max-examples",
            "3",
            "-q",
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        url = json.loads((tmp_path / "out" / "report.json").read_text())["manifest"]["source"]
        assert url.startswith("http://127.0.0.1:")
        argv = ["verify", str(tmp_path / "out" / "certificate.json"), "--key", f"{private}.pub"]
        assert cli.main([*argv, "--manifest", url]) == 0
        assert "ok   manifest: sha256 " in capsys.readouterr().out
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps({"version": "v202101", "endpoints": {}}))
    failing = _failing([*argv, "--manifest", str(changed)], capsys)
    assert len(failing) == 1 and failing[0].startswith("FAIL manifest: sha256 "), failing
    gone = _failing([*argv, "--manifest", url], capsys)  # the provider is down now
    assert len(gone) == 1 and gone[0].startswith("FAIL manifest: cannot check"), gone


@pytest.mark.slow
def test_a_failing_run_writes_no_certificate_and_says_why(tmp_path) -> None:
    private, _ = dsse.generate(tmp_path / "k.key")
    out = tmp_path / "out"
    out.mkdir()
    (out / "certificate.json").write_text("{}")  # an older certificate must not survive
    wrap = next(f for f in FAULTS if f.rule == "participants.exactly-two").wrap
    with provider(tmp_path / "p", wrap) as (_, profile):
        result = run_cli(
            "certify",
            "--profile",
            str(profile),
            "--signing-key",
            str(private),
            "--report-dir",
            str(out),
            "--no-fuzz",
            "-q",
        )
    assert result.returncode == 1, result.stderr[-2000:]
    line = result.stdout.splitlines()[-1]
    assert line.startswith("not certified: verdict failed: ") and "participants.exactly-two" in line
    assert line.endswith("; no certificate written")
    assert not any((out / name).exists() for name in FILENAMES.values())
    assert (out / "run.har").exists() and (out / "report.json").exists()
