"""`messaging-conformance aggregate DIR... --out dashboard/`: exit 0 when the dashboard was
written (whatever the verdicts: it reports, it does not gate), 2 when no report was found
or a DIR is not a folder; an unreadable report.json is listed on the page and on stderr.

Stage: faces.
"""

from __future__ import annotations

import argparse
import sys

from conformance.errors import EXIT_OK, ConformanceError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="folders of report.json files")
    parser.add_argument("--out", default="dashboard", help="where to write (default dashboard/)")


def run(args: argparse.Namespace) -> int:
    from conformance.dashboard import build, collect, write_dashboard

    collected = collect(args.dirs)
    if not collected.runs:
        raise ConformanceError(
            "no readable report.json found"
            + (f" ({collected.problems[0]})" if collected.problems else ""),
            where=" ".join(args.dirs),
        )
    for problem in collected.problems:
        print(f"messaging-conformance: skipped: {problem}", file=sys.stderr)
    document = build(collected, args.out)
    paths = write_dashboard(document, args.out)
    providers = document["providers"]
    certified = sum(1 for p in providers if p["verdict"] == "certified")
    print(
        f"dashboard: {paths['html']} ({len(providers)} provider(s), {len(collected.runs)} "
        f"run(s), {certified} certified on their latest run); data: {paths['json']}"
    )
    return EXIT_OK
