"""Synthetic report.json files for the dashboard: many providers over many nights.

Deterministic (no randomness): provider p fails rule i from night `start(p, i)` until night
`stop(p, i)`, so every test and the benchmark know exactly which rules are new, fixed and
persisting on any night without reading the dashboard's own code.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conformance.rules import CATALOGUE, catalogue_version

FIRST_NIGHT = datetime(2026, 10, 1, 3, 17, tzinfo=UTC)


def name(p: int) -> str:
    return f"provider-{p:02d}"


def failing(p: int, night: int) -> set[str]:
    """The MUST rules provider p fails on a night: rule i (every 7th rule, shifted by p)
    fails from night (p + i) % 10 for 8 + 3p % 25 nights (so some providers still fail on
    the last night); provider 0 never fails."""
    if p == 0:
        return set()
    out = set()
    for i, rule in enumerate(CATALOGUE):
        if rule.level.value != "MUST" or (i + p) % 7:
            continue
        start = (p + i) % 10
        if start <= night < start + 8 + (3 * p) % 25:
            out.add(rule.id)
    return out


def report(p: int, night: int) -> dict:
    bad = failing(p, night)
    rules = [
        {
            "id": r.id,
            "level": r.level.value,
            "title": r.title,
            "status": "failed" if r.id in bad else "passed",
            "checked": 3,
            "failures": 1 if r.id in bad else 0,
        }
        for r in CATALOGUE
    ]
    return {
        "schema_version": 1,
        "suite": {"name": "messaging-conformance", "version": "0.1.0"},
        "catalogue": {"version": catalogue_version(), "rules": len(CATALOGUE)},
        "verdict": "failed" if bad else "certified",
        "seed": night,
        "strict": False,
        "target": {"base_url": f"https://{name(p)}.example/api/", "channel": "main"},
        "started_at": (FIRST_NIGHT + timedelta(days=night)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rules": rules,
        "findings": [],
        "groups": [],
    }


def write(root: Path, providers: int = 50, nights: int = 30) -> Path:
    for p in range(providers):
        for night in range(nights):
            folder = root / name(p) / f"night-{night:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "report.json").write_text(json.dumps(report(p, night)))
            (folder / "report.html").write_text("<!doctype html><title>report</title>")
    return root
