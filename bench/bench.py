"""Benchmark the certification: wall time, requests, throughput and peak memory.

Plain Python (time, resource); prints a table and writes bench/results.json. Nothing here is
asserted: the figures go into the issue note and are compared across changes by people.

    python bench/bench.py [--quick] [--out bench/results.json]

Measured, each against the reference provider served over loopback HTTP by this process
(a counting WSGI wrapper tells how many requests each subject sent):
1. `messaging-conformance run` with its defaults (a subprocess; peak RSS is its own);
2. plain `st run` on our spec (bound to the same manifest) with the same examples per
   operation, and the per-generated-case time ratio of the two (the suite's fuzz phase
   against st's marginal cost per case, its start-up measured by a 1-example run and removed);
3. a raw requests.Session loop (this machine's practical limit) and the suite's ratio to it;
4. time to first failure against a mutant whose fault is in the last operation visited
   (deleteChannelById);
5. wall time against --max-examples 25/50/100/200 and provider sizes 50/500/5000.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import yaml  # noqa: E402

from conformance.inputs.spec import bind, load_spec  # noqa: E402
from conformance.reference import ReferenceConfig, ReferenceServer  # noqa: E402

FUZZ_PHASE = "generated requests"


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def wrap(self, app):
        def middleware(environ, start_response):
            with self.lock:
                self.count += 1
            return app(environ, start_response)

        return middleware

    def take(self) -> int:
        with self.lock:
            value, self.count = self.count, 0
        return value


def run_child(args: list[str], cwd: Path) -> tuple[float, int, int, str]:
    """Wall seconds, peak RSS (KiB), exit code and output of one subprocess."""
    started = time.perf_counter()
    process = subprocess.Popen(
        args,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CI": "true"},
    )
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss, process.returncode, output


def serve(config: ReferenceConfig, counter: Counter, wrap=None) -> ReferenceServer:
    wrapper = (lambda app: counter.wrap(wrap(app))) if wrap else counter.wrap
    return ReferenceServer(config, wsgi_wrapper=wrapper).start()


def suite_run(server: ReferenceServer, folder: Path, *extra: str) -> dict[str, Any]:
    profile = server.write_profile(folder / "profile.yaml")
    wall, rss, code, output = run_child(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--profile",
            str(profile),
            "--seed",
            "1",
            "--report-dir",
            str(folder / "out"),
            *extra,
        ],
        ROOT,
    )
    report = json.loads((folder / "out" / "report.json").read_text())
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(rss / 1024, 1),
        "exit": code,
        "verdict": report["verdict"],
        "requests_reported": report["requests"],
        "first_finding_s": report.get("first_finding_s"),
        "run_s": report["duration_s"],
        "fuzz_s": report["phases"].get(FUZZ_PHASE, 0.0),
        "fuzz_requests": report["phase_requests"].get(FUZZ_PHASE, 0),
    }


def st_run(server: ReferenceServer, folder: Path, examples: int) -> dict[str, Any]:
    spec = bind(load_spec(), server.manifest()["endpoints"])
    path = folder / "bound-spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    wall, rss, code, _ = run_child(
        [
            str(Path(sys.executable).with_name("st")),
            "run",
            str(path),
            "--url",
            server.base_url,
            "--auth",
            f"{server.config.client_id}:{server.config.client_secret}",
            "-n",
            str(examples),
            "--phases",
            "fuzzing",
            "--seed",
            "1",
            "--exclude-operation-id",
            "deleteChannelById",
            "-w",
            "1",
        ],
        ROOT,
    )
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(rss / 1024, 1), "exit": code}


def raw_loop(server: ReferenceServer, seconds: float = 3.0) -> dict[str, Any]:
    session = requests.Session()
    session.auth = (server.config.client_id, server.config.client_secret)
    url = f"{server.base_url}/api/channels/ref-main/templates"
    sent, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        session.get(url, timeout=10)
        sent += 1
    wall = time.perf_counter() - started
    return {"requests": sent, "wall_s": round(wall, 2), "req_per_s": round(sent / wall, 1)}


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def row(subject: str, point: dict[str, Any]) -> tuple[str, ...]:
    rate = round(point["requests"] / point["wall_s"], 1)
    outcome = f"{point['exit']} {point.get('verdict', '')}".strip()
    return (
        subject,
        str(point["wall_s"]),
        str(point["requests"]),
        str(rate),
        str(point["peak_rss_mb"]),
        outcome,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the larger scaling points")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args()
    unlimited = ReferenceConfig(rate_limit=None)
    counter = Counter()
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        }
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def fresh(name: str) -> Path:
            path = folder / name
            path.mkdir()
            return path

        # 1. the default certification (the reference's own rate limit in force, as shipped)
        server = serve(ReferenceConfig(), counter)
        default = suite_run(server, fresh("default"))
        default["requests"] = counter.take()
        server.stop()
        default["req_per_s"] = round(default["requests"] / default["wall_s"], 1)
        results["default_run"] = default

        # 2. suite vs plain schemathesis, same examples, no rate limit (both unthrottled)
        server = serve(unlimited, counter)
        suite = suite_run(server, fresh("suite"), "--max-examples", "25")
        suite["requests"] = counter.take()
        server.stop()
        server = serve(unlimited, counter)
        plain = st_run(server, fresh("st"), 25)
        plain["requests"] = counter.take()
        # st's start-up (imports, loading the spec) is measured by a 1-example run and taken
        # out, so both sides are compared on the marginal cost of one generated case
        floor = st_run(server, fresh("st1"), 1)
        floor["requests"] = counter.take()
        raw = raw_loop(server)
        counter.take()
        server.stop()
        suite_per_case = suite["fuzz_s"] / max(suite["fuzz_requests"], 1)
        st_per_case = (plain["wall_s"] - floor["wall_s"]) / max(
            plain["requests"] - floor["requests"], 1
        )
        plain["per_case_ms"] = round(st_per_case * 1000, 2)
        plain["startup_s"] = floor["wall_s"]
        suite["per_case_ms"] = round(suite_per_case * 1000, 2)
        results["suite_unthrottled"] = suite
        results["schemathesis_st"] = plain
        results["raw_requests_loop"] = raw
        results["ratios"] = {
            "suite_per_case_vs_st": round(suite_per_case / st_per_case, 2),
            "suite_req_per_s_vs_raw": round(
                suite["requests"] / suite["wall_s"] / raw["req_per_s"], 2
            ),
        }

        # 3. time to first failure: the fault is in the last operation visited
        from tests.faults import FAULTS

        fault = next(f for f in FAULTS if f.rule == "delete.channel")
        server = serve(unlimited, counter, fault.wrap)
        late = suite_run(server, fresh("late"))
        counter.take()
        server.stop()
        results["time_to_first_failure"] = {
            "first_finding_s": late["first_finding_s"],
            "run_s": late["run_s"],
            "exit": late["exit"],
        }

        # 4. scaling with examples and with provider size
        results["scaling_examples"] = []
        for examples in (25, 50, 100) if args.quick else (25, 50, 100, 200):
            server = serve(unlimited, counter)
            point = suite_run(server, fresh(f"n{examples}"), "--max-examples", str(examples))
            point.update(max_examples=examples, requests=counter.take())
            server.stop()
            results["scaling_examples"].append(point)
        results["scaling_size"] = []
        for size in (50, 500) if args.quick else (50, 500, 5000):
            config = ReferenceConfig(rate_limit=None, conversations=size)
            server = serve(config, counter)
            point = suite_run(server, fresh(f"s{size}"), "--max-examples", "25")
            point.update(conversations=size, requests=counter.take())
            server.stop()
            results["scaling_size"].append(point)

    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    rows = [("subject", "wall s", "requests", "req/s", "peak RSS MB", "exit/verdict")]
    rows.append(row("default run (rate-limited reference)", results["default_run"]))
    rows.append(row("suite, 25 examples, unthrottled", suite))
    rows.append(row("plain st run, 25 examples", plain))
    rows.append(row("raw requests.Session loop", {**raw, "peak_rss_mb": "-", "exit": "-"}))
    rows += [row(f"--max-examples {p['max_examples']}", p) for p in results["scaling_examples"]]
    rows += [row(f"{p['conversations']} conversations", p) for p in results["scaling_size"]]
    print(table(rows))
    print()
    print(
        f"per generated case: suite {suite['per_case_ms']} ms ({suite['fuzz_requests']} cases), "
        f"plain st {plain['per_case_ms']} ms (start-up {plain['startup_s']} s excluded): "
        f"{results['ratios']['suite_per_case_vs_st']}x"
    )
    print(f"suite throughput vs raw loop: {results['ratios']['suite_req_per_s_vs_raw']}x")
    print("per --max-examples point: ms per generated case = fuzz phase s / fuzz requests")
    for p in results["scaling_examples"]:
        print(
            f"  {p['max_examples']:>4}: {p['fuzz_requests']} cases in {p['fuzz_s']} s = "
            f"{1000 * p['fuzz_s'] / max(p['fuzz_requests'], 1):.1f} ms/case"
        )
    ttf = results["time_to_first_failure"]
    print(
        f"time to first failure (fault in deleteChannelById, visited last): "
        f"{ttf['first_finding_s']} s of a {ttf['run_s']} s run"
    )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bench process (provider side) peak RSS: {own:.1f} MB")
    print("unthrottled runs are 'incomplete' by design: with no rate limit there is no 429,")
    print("so error.retry-by cannot be exercised")
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
