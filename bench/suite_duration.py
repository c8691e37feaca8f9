"""How long the README's test command takes on a fresh clone (target: under 300 s).

Nothing is asserted (a timed assertion in the tests would fail on a busy machine and pass on
a fast one); this prints the figures and writes bench/suite_duration.json.

    python bench/suite_duration.py [--keep] [--runs N]

It clones this repository's HEAD commit into a temporary folder, installs it the way
`.ci/run` does (a fresh virtualenv, `pip install -c constraints.txt -e '.[test]'`), checks
that `.ci/run` ends with exactly the command the README prints, then runs that command in
the clone and times it (its whole output goes to bench/suite_duration.log), with a fixed
pure-Python loop timed before and after each run (the host probe: a slower host, not a
slower suite, shows there). `../shared`, when
present, is copied beside the clone, as CI has it (without it the upstream-spec tests skip).
Uncommitted changes are not part of the clone (it says so). The run is CPU-bound on two
cores, and the CPU the same work takes varies between runs on a shared host, so the user+sys
seconds are recorded beside each duration, and `--runs N` times the command N times.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
INSTALL = [
    "python3 -m venv .venv",
    ".venv/bin/python -m pip install --quiet --upgrade pip",
    ".venv/bin/python -m pip install --quiet -c constraints.txt -e '.[test]'",
]


def readme_test_command(root: Path) -> str:
    """The suite's own test command, from the README's first command block."""
    block = re.search(r"```bash\n(.*?)```", (root / "README.md").read_text(), re.S)
    assert block, "no command block at the top of README.md"
    return next(line for line in block.group(1).splitlines() if " -m pytest" in line).strip()


def ci_test_command(root: Path) -> str:
    lines = [
        line.strip()
        for line in (root / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    return lines[-1]


def shell(command: str, cwd: Path, **env: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    result = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", command],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}, **env},
    )
    return time.monotonic() - started, result


def host_probe() -> float:
    """CPU seconds a fixed pure-Python loop takes now (the best of three).

    The same instructions every time, so a larger figure means a slower host: on the shared
    machine the CPU that the same test run takes drifts by a fifth within an hour, and this
    figure, taken before and after each run, tells a slower host from a slower suite.
    """
    best = float("inf")
    for _ in range(3):
        started, total = time.process_time(), 0
        for i in range(2_000_000):
            total += i * i % 7
        best = min(best, time.process_time() - started)
    return round(best, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the clone (prints where)")
    parser.add_argument("--runs", type=int, default=1, help="time the command N times")
    parser.add_argument(
        "--durations",
        type=int,
        default=0,
        help="also list the N slowest tests (through PYTEST_ADDOPTS; the command is unchanged)",
    )
    args = parser.parse_args()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if dirty:
        print("note: uncommitted changes are not in the clone", file=sys.stderr)
    folder = Path(tempfile.mkdtemp(prefix="suite-duration-"))
    clone = folder / "messaging-conformance"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    shared = ROOT.parent / "shared"
    if shared.is_dir():  # beside the clone, as CI has it: the upstream-spec tests need it
        shutil.copytree(shared, folder / "shared")
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout.strip()
    command = readme_test_command(clone)
    out: dict[str, Any] = {
        "commit": commit,
        "command": command,
        "ci_runs_it": ci_test_command(clone) == command,
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg(),
    }
    install_s, installed = shell(" && ".join(INSTALL), clone)
    out["install_s"] = round(install_s, 1)
    if installed.returncode != 0:
        print(installed.stdout[-2000:] + installed.stderr[-2000:], file=sys.stderr)
        raise SystemExit("install failed")
    extra = {"PYTEST_ADDOPTS": f"--durations={args.durations}"} if args.durations else {}
    runs = []
    for number in range(1, args.runs + 1):
        probe = host_probe()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        test_s, tested = shell(command, clone, **extra)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        probes = [probe, host_probe()]
        runs.append(
            {
                "test_s": round(test_s, 1),
                "cpu_s": round(cpu, 1),
                "exit": tested.returncode,
                "host_probe_s": probes,  # before and after: larger is a slower host
            }
        )
        print(
            f"run {number}: {test_s:.1f} s, {cpu:.1f} s of CPU (exit {tested.returncode}); "
            f"host probe {probes[0]:.3f} / {probes[1]:.3f} s before / after"
        )
        for line in (tested.stdout + tested.stderr).splitlines():
            if line.startswith(("FAILED ", "ERROR ")):
                print(f"  {line}")
    (ROOT / "bench" / "suite_duration.log").write_text(tested.stdout + tested.stderr)
    output = (tested.stdout + tested.stderr).strip().splitlines()
    tail = output[-6:]
    if args.durations:
        start = next((i for i, line in enumerate(output) if "slowest" in line), len(output))
        print("\n".join(output[start : start + args.durations + 1]))
    out.update(
        test_s=max(r["test_s"] for r in runs),  # the slowest run, not the best
        runs=runs,
        exit_code=max(r["exit"] for r in runs),
        tail=tail,
        load_after=os.getloadavg(),
    )
    print("\n".join(tail))
    slowest = out["test_s"]
    print(f"commit {commit[:12]}: `{command}` took at most {slowest:.1f} s in {len(runs)} run(s);")
    print(f"install {install_s:.1f} s; .ci/run runs exactly it: {out['ci_runs_it']}")
    (ROOT / "bench" / "suite_duration.json").write_text(json.dumps(out, indent=2) + "\n")
    if args.keep:
        print(f"clone kept in {clone}")
    else:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
