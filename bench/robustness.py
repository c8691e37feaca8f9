"""Figures the tests only bound: seeds that certify, and how fast hostile providers end a run.

Nothing is asserted; this prints a table and writes bench/robustness.json.

    python bench/robustness.py [--seeds 20] [--quick]

1. `run` against the bundled reference on N random seeds: every one must be certified with
   zero findings (a seed that is not is printed, to be turned into a fixed test seed);
2. a provider killed mid-run: seconds until the verdict, and the provider-alive finding;
3. a provider with one endpoint that never answers, at the default 10 s timeout: seconds
   until the verdict (target: under 2 minutes);
4. a conformant provider that admits 5 requests per second: verdict and seconds (target:
   certified, under 5 minutes).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conformance.reference import ReferenceConfig  # noqa: E402
from conformance.runner import RunOptions, run  # noqa: E402
from tests.faults import DiesOn, path, provider  # noqa: E402


def seeds(count: int, examples: int) -> dict[str, Any]:
    bad = []
    started = time.monotonic()
    drawn = [random.SystemRandom().randrange(2**32) for _ in range(count)]
    for seed in drawn:
        with tempfile.TemporaryDirectory() as folder, provider(Path(folder)) as (_, profile):
            report = run(RunOptions(profile=profile, seed=seed, max_examples=examples))
        if report.verdict != "certified" or report.findings:
            bad.append(
                {
                    "seed": seed,
                    "verdict": report.verdict,
                    "findings": [f.message for f in report.findings[:3]],
                }
            )
    return {"seeds": drawn, "not_certified": bad, "seconds": round(time.monotonic() - started, 1)}


def timed(wrap: Any, config: ReferenceConfig | None = None, **options: Any) -> dict[str, Any]:
    def edit(profile: dict) -> None:
        profile.pop("rate_limit_probe", None)

    with (
        tempfile.TemporaryDirectory() as folder,
        provider(Path(folder), wrap, edit if config is None else None, config) as (_, profile),
    ):
        started = time.monotonic()
        report = run(RunOptions(profile=profile, seed=1, **options))
        seconds = time.monotonic() - started
    return {
        "verdict": report.verdict,
        "seconds": round(seconds, 1),
        "failed": sorted(r.rule.id for r in report.results if r.status == "failed"),
        "requests": report.meta.get("requests"),
        "notes": report.meta.get("notes"),
    }


def hanging(app):
    def middleware(environ, start_response):
        if path(environ).endswith("/templates"):
            threading.Event().wait(120)
        return app(environ, start_response)

    return middleware


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="fewer examples per seed")
    parser.add_argument("--out", default=str(ROOT / "bench" / "robustness.json"))
    args = parser.parse_args()
    results = {
        "seeds": seeds(args.seeds, 5 if args.quick else 25),
        # dies when the message walk asks for one message per page
        "killed_mid_run": timed(DiesOn(lambda env: "messages_limit=1" in env["QUERY_STRING"])),
        "hanging_endpoint_default_timeout": timed(hanging),
        "five_requests_per_second": timed(None, ReferenceConfig(rate_limit=5)),
    }
    Path(args.out).write_text(json.dumps(results, indent=2))
    s = results["seeds"]
    print(
        f"seeds: {len(s['seeds'])} random, {len(s['not_certified'])} not certified "
        f"({s['seconds']} s)"
    )
    for bad in s["not_certified"]:
        print(f"  seed {bad['seed']}: {bad['verdict']} {bad['findings']}")
    for name in ("killed_mid_run", "hanging_endpoint_default_timeout", "five_requests_per_second"):
        r = results[name]
        print(
            f"{name}: {r['verdict']} in {r['seconds']} s, {r['requests']} requests, "
            f"failed {r['failed']}, notes {r['notes']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
