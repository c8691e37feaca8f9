"""Benchmark the dashboard: 50 providers over 30 nights (tests/dashboard_data.py).

Prints the time to aggregate (read, diff, render), the size of index.html and
dashboard.json, and how long headless Chromium takes to load and lay out the page (a
--dump-dom of it, minus a blank page's time). Nothing is asserted: the figures are for
people (the tests assert the size bound and what the page shows).

    python bench/dashboard.py [--providers 50] [--nights 30]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conformance.dashboard import build, collect, write_dashboard  # noqa: E402
from tests import dashboard_data  # noqa: E402


def _chromium(page: Path, profile: Path) -> float:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return float("nan")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}"]
    start = time.perf_counter()
    subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=50)
    parser.add_argument("--nights", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = dashboard_data.write(Path(temp) / "runs", args.providers, args.nights)
        out = Path(temp) / "dashboard"
        start = time.perf_counter()
        paths = write_dashboard(build(collect([root]), out), out)
        aggregate = time.perf_counter() - start
        blank = Path(temp) / "blank.html"
        blank.write_text("<!doctype html><title>blank</title>")
        _chromium(blank, Path(temp) / "warm")  # first start pays for the profile
        empty = _chromium(blank, Path(temp) / "warm")
        loaded = _chromium(paths["html"], Path(temp) / "warm")
        print(f"providers x nights     {args.providers} x {args.nights}")
        print(f"aggregate (s)          {aggregate:.2f}")
        print(f"index.html (bytes)     {paths['html'].stat().st_size}")
        print(f"dashboard.json (bytes) {paths['json'].stat().st_size}")
        print(f"chromium load (s)      {loaded:.2f} (blank page {empty:.2f})")


if __name__ == "__main__":
    main()
