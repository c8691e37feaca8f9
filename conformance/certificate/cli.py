"""The certificate subcommands: `certify` (a run, then a certificate), `verify`, `keygen`.

`certify` takes every option of `run` (the CLI builds its parser with `run`'s as parent) and
always records the HAR (default REPORT_DIR/run.har). Exit codes: certify as run, and 1 when
the run earned no certificate (failed, incomplete, partial or in error; one line says why);
verify 0 every check holds, 1 a check failed, 2 unreadable certificate or key; keygen 0, or
2 when a key file exists (without --force) or cannot be written.

Stage: faces.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from conformance.certificate import DEFAULT_VALID_DAYS
from conformance.errors import EXIT_FAILED, EXIT_OK


def add_certify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--signing-key",
        required=True,
        metavar="FILE",
        help="Ed25519 private key (PEM) that signs the certificate (`keygen` writes one)",
    )
    parser.add_argument(
        "--valid-days",
        type=_days,
        default=DEFAULT_VALID_DAYS,
        help="days the certificate holds (default 90)",
    )


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("certificate", metavar="certificate.json")
    parser.add_argument("--key", required=True, metavar="PUBLIC", help="the signer's .pub key")
    parser.add_argument("--har", metavar="run.har", help="re-judge this recorded run offline")
    parser.add_argument("--report", metavar="report.json", help="check this report's digest")
    parser.add_argument(
        "--manifest", metavar="URL|FILE", help="check the manifest served now is the certified one"
    )


def add_keygen_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "key",
        nargs="?",
        default="conformance-signing.key",
        metavar="FILE",
        help="private key file (default conformance-signing.key); the public key goes to FILE.pub",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing key files")


def _days(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def certify(args: argparse.Namespace, run: Callable[[argparse.Namespace], int]) -> int:
    """`run` (the CLI's own run command) with a HAR, then the certificate when it is earned."""
    from conformance.certificate import FILENAMES, issue, write_certificate
    from conformance.certificate.dsse import load_private
    from conformance.certificate.statement import not_certified_reason

    key = load_private(args.signing_key)  # a bad key is found before the run, not after
    directory = Path(args.report_dir)
    if not args.har:
        args.har = str(directory / "run.har")
    for stale in FILENAMES.values():  # an older certificate must not survive a failed run
        (directory / stale).unlink(missing_ok=True)
    code = run(args)
    report_path, har_path = directory / "report.json", Path(args.har)
    try:
        report_bytes = report_path.read_bytes()
        har_bytes = har_path.read_bytes()
        reason = not_certified_reason(json.loads(report_bytes))
    except (OSError, ValueError) as exc:
        reason = f"the run left no readable report or HAR ({exc})"
    if reason:
        print(f"not certified: {reason}; no certificate written")
        return code if code != EXIT_OK else EXIT_FAILED
    envelope = issue(
        report_bytes, har_bytes, key, now=datetime.now(UTC), valid_days=args.valid_days
    )
    paths = write_certificate(envelope, directory)
    expires = json.loads(_payload(envelope))["predicate"]["expires_at"]
    print(f"certificate: {paths['json']} (valid until {expires}); page: {paths['html']}")
    return code


def _payload(envelope: dict) -> bytes:
    from conformance.certificate.dsse import payload_of

    return payload_of(envelope)


def verify(args: argparse.Namespace) -> int:
    from conformance.certificate.dsse import load_envelope, load_public
    from conformance.certificate.verify import verify_certificate
    from conformance.http.fetch import read_manifest_bytes

    envelope = load_envelope(args.certificate)
    public = load_public(args.key)
    source = args.manifest
    checks = verify_certificate(
        envelope,
        public,
        now=datetime.now(UTC),
        har=Path(args.har) if args.har else None,
        report=Path(args.report) if args.report else None,
        manifest=(lambda: read_manifest_bytes(source)) if source else None,
    )
    for check in checks:
        print(check.line())
    failed = [c.name for c in checks if not c.ok]
    print(f"{args.certificate}: " + (f"NOT valid ({', '.join(failed)})" if failed else "valid"))
    return EXIT_FAILED if failed else EXIT_OK


def keygen(args: argparse.Namespace) -> int:
    from conformance.certificate.dsse import generate

    private, public = generate(args.key, force=args.force)
    print(f"wrote {private} (keep it secret) and {public} (give it to whoever verifies)")
    return EXIT_OK
