"""How many seeds certify the bundled reference, through the CLI and through the Python API.

The reference is conformant, so every seed must certify it with zero findings through every
face; the tests keep a fixed list of seeds, this loop walks many more. Nothing is asserted:
it prints, per face, how many seeds were certified and the ones that were not (each belongs
in the tests' fixed list once fixed), and writes bench/certify_seeds.json.

    python bench/certify_seeds.py [--first 1] [--count 50] [--examples 10] [--face cli|api]

The CLI runs are `messaging-conformance run --seed S` with its defaults (no --profile: the
embedded reference), each in an empty working directory that must stay empty; the API runs
are `conformance.run(seed=S, max_examples=EXAMPLES)`. `--face` runs one face only; the
other face's last figures stay in the file, each face with the commit it was measured on.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import conformance  # noqa: E402


def through_cli(seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        work, reports = Path(folder) / "work", Path(folder) / "reports"
        work.mkdir()
        result = subprocess.run(
            [sys.executable, "-m", "conformance", "run", "--seed", str(seed), "--quiet"]
            + ["--report-dir", str(reports)],
            capture_output=True,
            text=True,
            cwd=work,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=600,
        )
        left = sorted(p.name for p in work.iterdir())
        try:
            report = json.loads((reports / "report.json").read_text())
        except (OSError, ValueError):
            return {"seed": seed, "verdict": None, "error": result.stderr[-300:], "left": left}
    return {
        "seed": seed,
        "verdict": report["verdict"],
        "findings": [f["message"] for f in report.get("findings", [])[:3]],
        "left": left,
    }


def through_api(seed: int, examples: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        previous = Path.cwd()
        os.chdir(folder)
        try:
            report = conformance.run(seed=seed, max_examples=examples)
        finally:
            os.chdir(previous)
        left = sorted(p.name for p in Path(folder).iterdir())
    return {
        "seed": seed,
        "verdict": report.verdict,
        "findings": [f.message for f in report.findings[:3]],
        "left": left,
    }


def certified(result: dict[str, Any]) -> bool:
    return result["verdict"] == "certified" and not result.get("findings") and not result["left"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--examples", type=int, default=10, help="max_examples of the API runs")
    parser.add_argument("--face", choices=["cli", "api"], help="run one face only")
    args = parser.parse_args()
    seeds = range(args.first, args.first + args.count)
    saved = ROOT / "bench" / "certify_seeds.json"
    out: dict[str, Any] = json.loads(saved.read_text()) if args.face and saved.exists() else {}
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    faces = (("cli", through_cli), ("api", lambda seed: through_api(seed, args.examples)))
    for face, one in faces:
        if args.face and face != args.face:
            continue
        started = time.monotonic()
        results = []
        for seed in seeds:
            results.append(one(seed))
            mark = "ok" if certified(results[-1]) else f"NOT CERTIFIED {results[-1]}"
            print(f"{face} seed {seed}: {mark}", flush=True)
        bad = [r for r in results if not certified(r)]
        out[face] = {
            "commit": commit,
            "seeds": [seeds.start, seeds.stop - 1],
            "certified": len(results) - len(bad),
            "of": len(results),
            "not_certified": bad,
            "seconds": round(time.monotonic() - started, 1),
        }
        print(f"{face}: {len(results) - len(bad)}/{len(results)} seeds certified", flush=True)
    saved.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
