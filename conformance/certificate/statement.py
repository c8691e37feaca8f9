"""The certificate's content: an in-toto Statement v1 about the certified manifest.

The subject is the manifest (its URL or path, and the sha256 of the bytes the run read), so
a changed manifest is no longer covered. The predicate says what the suite found and how:
the channel, the suite and catalogue versions, the spec's sha256, the seed and options, when
it was issued and until when it holds, every rule's status, and the sha256 of report.json
and of the HAR, the evidence a third party can judge again (`verify --har`). Everything is
taken from the finished, already scrubbed report.json: no profile, no credential.

Stage: certificate.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.certificate import DEFAULT_VALID_DAYS
from conformance.errors import ConformanceError

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "urn:messaging-conformance:certificate:v1"  # a name, not a place to fetch
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text), TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def not_certified_reason(report: dict[str, Any]) -> str | None:
    """Why this report earns no certificate (None when it does): the verdict must be
    `certified` with every MUST rule judged, `--only` included (a partial run certifies
    nothing), and not merely "no regression" against a baseline."""
    verdict = report.get("verdict")
    if report.get("error"):
        return f"the run could not complete: {report['error']}"
    rules = report.get("rules", [])
    skipped = [r["id"] for r in rules if r.get("status") == "skipped" and r.get("level") == "MUST"]
    if verdict != "certified":
        failed = [r for r in rules if r.get("status") == "failed"]
        # a SHOULD rule fails a --strict run; say "rule(s)" then, "MUST rule(s)" otherwise
        kind = "MUST rule(s)" if all(r.get("level") == "MUST" for r in failed) else "rule(s)"
        named = [r["id"] for r in failed] or skipped
        detail = f" ({', '.join(named[:3])}{', ...' if len(named) > 3 else ''})" if named else ""
        what = f"{kind} failed" if failed else "MUST rule(s) skipped"
        return f"verdict {verdict}: {len(named)} {what}{detail}"
    if skipped:
        return f"{len(skipped)} MUST rule(s) skipped ({', '.join(skipped[:3])}): not a full run"
    return None


def statement(
    report: dict[str, Any],
    report_bytes: bytes,
    har_bytes: bytes,
    *,
    now: datetime,
    valid_days: int = DEFAULT_VALID_DAYS,
) -> dict[str, Any]:
    """The in-toto Statement certifying the run `report` describes."""
    try:
        manifest = report["manifest"]
        subject = [{"name": str(manifest["source"]), "digest": {"sha256": manifest["sha256"]}}]
        predicate = {
            "verdict": report["verdict"],
            "suite": report["suite"],
            "catalogue": report["catalogue"],
            "spec": {"sha256": report["spec"]["sha256"]},
            "provider": (report.get("target") or {}).get("base_url"),
            "channel": (report.get("target") or {}).get("channel"),
            "seed": report["seed"],
            "strict": bool(report.get("strict")),
            "options": report.get("options", {}),
            "run_started_at": report.get("started_at"),
            "issued_at": stamp(now),
            "expires_at": stamp(now + timedelta(days=valid_days)),
            "rules": {r["id"]: r["status"] for r in report["rules"]},
            "evidence": {
                "report.json": {"sha256": sha256(report_bytes)},
                "run.har": {"sha256": sha256(har_bytes)},
            },
        }
    except (KeyError, TypeError) as exc:
        raise ConformanceError(f"report.json lacks what a certificate records: {exc}") from None
    return {
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }


def encode(value: dict[str, Any]) -> bytes:
    """The payload bytes: compact, sorted JSON (the signature covers these exact bytes)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def decode(payload: bytes) -> dict[str, Any] | None:
    """The Statement in a payload, or None when it is not one of ours."""
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    if (
        not isinstance(value, dict)
        or value.get("_type") != STATEMENT_TYPE
        or value.get("predicateType") != PREDICATE_TYPE
        or not isinstance(value.get("predicate"), dict)
        or not isinstance(value.get("subject"), list)
        or not value["subject"]
    ):
        return None
    return value
