"""`messaging-conformance verify`: every check a third party can make on a certificate.

Each check is a pure function giving one `Check` (a name, whether it holds, one line of
detail); `verify_certificate` runs them all, the optional ones when their evidence is given,
and the CLI prints one line per check. A check that cannot be made because an earlier one
failed (no readable Statement) fails too, naming why: exit 0 means every line said ok.

Exit codes: 0 every check holds, 1 a check failed (an unreadable HAR, report or manifest is
a failed check too: the evidence does not hold), 2 bad input (an unreadable certificate or
key, bad flags).

Stage: certificate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from conformance.certificate import dsse
from conformance.certificate.statement import decode, parse_time, sha256
from conformance.errors import ConformanceError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def known_versions() -> dict[str, str]:
    """Suite version -> catalogue digest, for the versions this suite can vouch for: its own
    (a rule catalogue it does not have cannot be judged again here)."""
    from conformance._version import __version__
    from conformance.rules import catalogue_version

    return {__version__: catalogue_version()}


def check_signature(envelope: dict[str, Any], public: Ed25519PublicKey) -> Check:
    if dsse.verified(envelope, public):
        return Check(
            "signature", True, f"Ed25519 over the DSSE envelope, key {dsse.keyid(public)[:16]}"
        )
    return Check(
        "signature",
        False,
        f"no valid signature by key {dsse.keyid(public)[:16]} (altered, or signed by another key)",
    )


def check_statement(statement: dict[str, Any] | None) -> Check:
    if statement is None:
        return Check("statement", False, "the payload is not a messaging-conformance Statement")
    subject = statement["subject"][0]
    return Check("statement", True, f"in-toto Statement v1 about {subject.get('name')}")


def check_expiry(predicate: dict[str, Any], now: datetime) -> Check:
    issued, expires = (
        parse_time(predicate.get("issued_at")),
        parse_time(predicate.get("expires_at")),
    )
    if issued is None or expires is None:
        return Check("expiry", False, "no readable issued_at/expires_at")
    if now < issued:
        return Check("expiry", False, f"issued in the future ({predicate['issued_at']})")
    if now >= expires:
        return Check("expiry", False, f"expired on {predicate['expires_at']}")
    return Check("expiry", True, f"valid until {predicate['expires_at']}")


def check_suite(predicate: dict[str, Any], known: dict[str, str]) -> Check:
    version = (predicate.get("suite") or {}).get("version")
    if version in known:
        return Check("suite", True, f"messaging-conformance {version}")
    return Check(
        "suite", False, f"suite version {version!r} is not one this suite knows ({sorted(known)})"
    )


def check_catalogue(predicate: dict[str, Any], known: dict[str, str]) -> Check:
    digest = (predicate.get("catalogue") or {}).get("version")
    version = (predicate.get("suite") or {}).get("version")
    if digest in known.values() and known.get(version, digest) == digest:
        return Check("catalogue", True, f"rule catalogue {digest}")
    return Check(
        "catalogue",
        False,
        f"catalogue digest {digest!r} is not one this suite knows ({sorted(known.values())})",
    )


def check_digest(name: str, expected: Any, data: bytes) -> Check:
    actual = sha256(data)
    if actual == expected:
        return Check(name, True, f"sha256 {actual[:16]} as certified")
    return Check(name, False, f"sha256 {actual[:16]} is not the certified {str(expected)[:16]}")


def check_rejudged(predicate: dict[str, Any], subject: dict[str, Any], rejudged: dict) -> Check:
    """The recorded run judged again here gives the certified verdict and every certified
    rule status, and recorded the certified manifest."""
    certified = predicate.get("rules") or {}
    now = {r["id"]: r["status"] for r in rejudged.get("rules", [])}
    differ = sorted(r for r in set(certified) | set(now) if certified.get(r) != now.get(r))
    if differ:
        shown = ", ".join(f"{r} {certified.get(r)}->{now.get(r)}" for r in differ[:3])
        return Check("rejudge", False, f"{len(differ)} rule status(es) differ ({shown})")
    if rejudged.get("verdict") != "certified":
        return Check("rejudge", False, f"the recorded run re-judges as {rejudged.get('verdict')}")
    recorded = (rejudged.get("manifest") or {}).get("sha256")
    if recorded != (subject.get("digest") or {}).get("sha256"):
        return Check("rejudge", False, "the recorded run read another manifest than the subject")
    return Check("rejudge", True, f"{len(now)} rule statuses and the verdict match, offline")


def check_manifest(subject: dict[str, Any], data: bytes) -> Check:
    return check_digest("manifest", (subject.get("digest") or {}).get("sha256"), data)


def verify_certificate(
    envelope: dict[str, Any],
    public: Ed25519PublicKey,
    *,
    now: datetime,
    har: Path | None = None,
    report: Path | None = None,
    manifest: Callable[[], bytes] | None = None,
    rejudge: Callable[[Path], dict[str, Any]] | None = None,
) -> list[Check]:
    """Every check, in order; the optional ones only when their evidence is given.

    `manifest` reads the manifest's bytes now (a file, or the URL served now); `rejudge`
    judges a HAR offline (default: this suite's `rejudge`)."""
    checks = [check_signature(envelope, public)]
    try:
        statement = decode(dsse.payload_of(envelope))
    except Exception:  # noqa: BLE001 - any unreadable payload is "not a Statement"
        statement = None
    checks.append(check_statement(statement))
    wanted = ["expiry", "suite", "catalogue"]
    if har is not None:
        wanted += ["har", "rejudge"]
    if report is not None:
        wanted.append("report")
    if manifest is not None:
        wanted.append("manifest")
    if statement is None:
        return checks + [Check(name, False, "not checked: no Statement") for name in wanted]
    predicate, subject = statement["predicate"], statement["subject"][0]
    evidence = predicate.get("evidence") or {}
    known = known_versions()
    checks += [
        check_expiry(predicate, now),
        check_suite(predicate, known),
        check_catalogue(predicate, known),
    ]
    if har is not None:
        expected = (evidence.get("run.har") or {}).get("sha256")
        checks.append(_guarded("har", lambda: check_digest("har", expected, _read(har))))
        checks.append(
            _guarded(
                "rejudge",
                lambda: check_rejudged(predicate, subject, (rejudge or _rejudge)(har)),
            )
        )
    if report is not None:
        expected_report = (evidence.get("report.json") or {}).get("sha256")
        checks.append(
            _guarded("report", lambda: check_digest("report", expected_report, _read(report)))
        )
    if manifest is not None:
        read = manifest
        checks.append(_guarded("manifest", lambda: check_manifest(subject, read())))
    return checks


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConformanceError(f"cannot read {path}: {exc.strerror or exc}") from None


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    """A check whose evidence cannot be read or judged fails, saying why, in one line."""
    try:
        return check()
    except ConformanceError as exc:
        return Check(name, False, f"cannot check: {exc}")


def _rejudge(har: Path) -> dict[str, Any]:
    from conformance.rejudge import rejudge

    return rejudge(har).to_dict()
