"""`messaging-conformance aggregate`: many providers' report.json files, one dashboard.

A CI matrix (one job per provider, every night) leaves folders of reports; this reads them
all and writes `dashboard.json` (for other tools) and `index.html` (for people): a provider
x rule-family grid of the latest verdicts, each provider's trend over nights (new, fixed
and persisting failing rules, from `baseline.diff`, the code behind `diff`), the expiry of
the certificate next to each latest report, and links to every run's report.html.

Which provider a report belongs to comes from where it lies: the first folder below the
given DIR (`DIR/acme/2026-11-30/report.json` is provider `acme`), or DIR itself for
`DIR/report.json`. Nights are ordered by the report's `started_at`. Pure functions over
loaded documents; the only I/O is `collect` (reading) and `write_dashboard`.

Stage: dashboard.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceError
from conformance.report.baseline import diff, load_report

SCHEMA_VERSION = 1
# The worst status of a family's rules is the family's cell.
SEVERITY = ("failed", "warning", "skipped", "passed", "not_applicable")
EMPTY = {"rules": [], "findings": []}  # what came before a provider's first night


@dataclass(frozen=True)
class Run:
    """One report.json as the dashboard sees it."""

    provider: str
    path: Path
    report: dict[str, Any]
    certificate: dict[str, Any] | None = None  # the Statement beside it, if any

    @property
    def started_at(self) -> str:
        return str(self.report.get("started_at") or "")


@dataclass
class Collected:
    runs: list[Run] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def provider_of(root: Path, report: Path) -> str:
    relative = report.parent.relative_to(root)
    return relative.parts[0] if relative.parts else root.resolve().name


def collect(dirs: list[str | Path]) -> Collected:
    """Every report.json under `dirs`; an unreadable one is a problem listed, not a stop."""
    out = Collected()
    for root in map(Path, dirs):
        if not root.is_dir():
            raise ConformanceError("not a folder of reports", where=str(root))
        for path in sorted(root.rglob("report.json")):
            try:
                report = load_report(path)
            except ConformanceError as exc:
                out.problems.append(str(exc))
                continue
            out.runs.append(Run(provider_of(root, path), path, report, _certificate(path)))
    return out


def _certificate(report_path: Path) -> dict[str, Any] | None:
    """The Statement of certificate.json beside a report (unverified: `verify` does that),
    and whether it certifies that very report (its recorded sha256)."""
    from conformance.certificate.dsse import payload_of
    from conformance.certificate.statement import decode, sha256

    path = report_path.with_name("certificate.json")
    if not path.is_file():
        return None
    try:
        statement = decode(payload_of(json.loads(path.read_text(encoding="utf-8"))))
    except (OSError, ValueError, ConformanceError):
        statement = None
    if statement is None:
        return {"expires_at": None, "covers_report": False}
    predicate = statement["predicate"]
    recorded = ((predicate.get("evidence") or {}).get("report.json") or {}).get("sha256")
    return {
        "expires_at": predicate.get("expires_at"),
        "covers_report": recorded == sha256(report_path.read_bytes()),
    }


def family_status(report: dict[str, Any]) -> dict[str, str]:
    """rule family (the id's first part) -> the worst status among its rules."""
    out: dict[str, str] = {}
    for rule in report.get("rules", []):
        family = rule["id"].split(".")[0]
        status = rule.get("status", "skipped")
        rank = SEVERITY.index(status) if status in SEVERITY else 0
        if family not in out or rank < SEVERITY.index(out[family]):
            out[family] = SEVERITY[rank]
    return out


def night(previous: dict[str, Any] | None, run: Run, out_dir: Path) -> dict[str, Any]:
    """One night of a provider: its verdict and what changed since the night before."""
    change = diff(previous or EMPTY, run.report)
    page = run.path.with_name("report.html")
    return {
        "started_at": run.started_at,
        "verdict": run.report.get("verdict"),
        "new": sorted(change.new),
        "fixed": sorted(change.fixed),
        "persisting": sorted(change.persisting),
        "report": os.path.relpath(run.path, out_dir),
        "report_html": os.path.relpath(page, out_dir) if page.is_file() else None,
    }


def build(collected: Collected, out_dir: str | Path) -> dict[str, Any]:
    """dashboard.json's document: providers by name, each with its nights oldest first."""
    out_dir = Path(out_dir).resolve()
    by_provider: dict[str, list[Run]] = {}
    for run in collected.runs:
        by_provider.setdefault(run.provider, []).append(run)
    providers, families = [], set()
    for name in sorted(by_provider):
        runs = sorted(by_provider[name], key=lambda r: (r.started_at, str(r.path)))
        nights, previous = [], None
        for run in runs:
            nights.append(night(previous, run, out_dir))
            previous = run.report
        latest = runs[-1]
        cells = family_status(latest.report)
        families |= set(cells)
        providers.append(
            {
                "name": name,
                "verdict": latest.report.get("verdict"),
                "target": (latest.report.get("target") or {}).get("base_url"),
                "families": cells,
                "certificate": latest.certificate,
                "nights": nights,
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "families": sorted(families),
        "providers": providers,
        "problems": list(collected.problems),
    }


def write_dashboard(document: dict[str, Any], out_dir: str | Path) -> dict[str, Path]:
    from conformance.dashboard.html import render_dashboard
    from conformance.report.render import write_text

    out_dir = Path(out_dir)
    return {
        "json": write_text(out_dir / "dashboard.json", json.dumps(document, indent=2) + "\n"),
        "html": write_text(out_dir / "index.html", render_dashboard(document)),
    }
