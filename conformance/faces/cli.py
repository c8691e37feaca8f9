"""The command-line face: parse flags, call the library, print, exit 0/1/2.

Exit codes: 0 certified (or incomplete), 1 a MUST rule failed (or a SHOULD under --strict,
or a MUST rule SKIPPED under --require-complete; with --baseline: a regression), 2 the run
could not start (bad profile, manifest, spec or flags; provider unreachable).
Input errors print one line; `--debug` adds the traceback for bug reports.

Stage: faces.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import conformance
from conformance._version import __version__
from conformance.errors import EXIT_USAGE, ConformanceError
from conformance.options import PLAN_IGNORES, Face, given_by_name, on, run_keywords


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad flags already; keep its message to one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="messaging-conformance",
        description="Certify a Pipedrive Messaging app extension provider.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="certify a provider (default: the bundled reference)")
    add_options(run, "run")

    from conformance.certificate import cli as certificate_cli

    certify = sub.add_parser(
        "certify",
        parents=[run],
        add_help=False,
        help="run, then sign certificate.json (+ .html, badge.svg) when certified",
    )
    certificate_cli.add_certify_arguments(certify)
    certificate_cli.add_verify_arguments(
        sub.add_parser("verify", help="check a certificate: signature, expiry, HAR, manifest")
    )
    certificate_cli.add_keygen_arguments(
        sub.add_parser("keygen", help="write an Ed25519 key pair for certify --signing-key")
    )

    from conformance.dashboard import cli as dashboard_cli

    dashboard_cli.add_arguments(
        sub.add_parser("aggregate", help="many report.json files -> one static dashboard")
    )

    rejudge = sub.add_parser(
        "rejudge", help="judge a recorded run (run --har) again, offline; sends nothing"
    )
    rejudge.add_argument("har", metavar="FILE.har")
    add_options(rejudge, "rejudge")

    plan = sub.add_parser(
        "plan",
        help="print the steps and every write a run would make; sends nothing",
        description=PLAN_IGNORES,
    )
    add_options(plan, "plan")

    report = sub.add_parser("report", help="re-render a saved report.json")
    report.add_argument("report", metavar="REPORT.json")
    report.add_argument("--format", choices=["html", "junit", "md", "json"], required=True)
    report.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")

    compare = sub.add_parser("diff", help="new, fixed and persisting failures of two reports")
    compare.add_argument("old", metavar="OLD.json")
    compare.add_argument("new", metavar="NEW.json")
    compare.add_argument("--json", action="store_true", help="machine-readable output")

    init = sub.add_parser("init", help="write a commented profile template")
    init.add_argument("--manifest", metavar="URL_OR_FILE", help="the provider's manifest")
    init.add_argument("--channel", help="a providerChannelId with conversations")
    init.add_argument("-o", "--output", default="profile.yaml", help="default profile.yaml")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    sub.add_parser(
        "profile-schema",
        help="print the path of the profile's JSON Schema (for an editor's YAML language server)",
    )

    rules = sub.add_parser("rules", help="print the rule catalogue")
    rules.add_argument("--json", action="store_true", help="machine-readable output")

    validate = sub.add_parser("validate-manifest", help="lint a manifest file or URL")
    validate.add_argument("manifest", metavar="FILE_OR_URL")

    serve = sub.add_parser("serve-reference", help="serve the bundled reference provider")
    from conformance.reference import serve as serve_module

    serve_module.add_arguments(serve)

    from conformance.channels import cli as simulate_module

    simulate = sub.add_parser(
        "simulate-pipedrive",
        help="serve a local Pipedrive Channels API (retired 2026-02-01) and judge the calls",
        description=simulate_module.DESCRIPTION,
    )

    simulate_module.add_arguments(simulate)
    return parser


def add_options(parser: argparse.ArgumentParser, face: Face) -> None:
    """The table's options of `face` (conformance/options.py), help and all."""
    for option in on(face):
        flags = [option.flag] + ([option.short] if option.short else [])
        parser.add_argument(*flags, **option.argparse_kwargs(face))


def run_keywords_of(args: argparse.Namespace, face: Face) -> dict[str, Any]:
    """The `conformance.run` keywords (profile included) the parsed flags of `face` give."""
    return run_keywords(given_by_name(vars(args)), face)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConformanceError as exc:
        if args.debug:
            raise
        print(f"messaging-conformance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("messaging-conformance: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback for users; --debug shows it
        if args.debug:
            raise
        print(
            f"messaging-conformance: internal error: {type(exc).__name__}: {exc} "
            "(rerun with --debug and report it)",
            file=sys.stderr,
        )
        return EXIT_USAGE


def cmd_run(args: argparse.Namespace) -> int:
    from conformance.faces.console import progress_for
    from conformance.report.canonical import ensure_writable

    ensure_writable(args.report_dir)
    if args.har:
        ensure_writable(Path(args.har).resolve().parent)
    verdicting = _verdicting(args)
    progress = progress_for(quiet=args.quiet, verbose=args.verbose)
    certify = conformance.run
    if args.two_sided:
        from functools import partial

        from conformance.channels.twosided import run_two_sided

        certify = partial(run_two_sided, wait=args.wait, announce=progress.announce)
    # only the options given are passed: RunOptions holds the defaults (the option table's)
    keywords = run_keywords_of(args, "run")
    profile = keywords.pop("profile", None)
    if verdicting.require_complete or verdicting.baseline is not None:
        keywords["verdicting"] = verdicting  # judged with the run, not applied to its report
    try:
        report = certify(profile, progress=progress, **keywords)
    finally:
        progress.close()
    return _publish(report, args)


def _verdicting(args: argparse.Namespace) -> Any:
    """--require-complete and --baseline, as the inputs to judging they are."""
    from conformance.judging import Verdicting
    from conformance.report.baseline import load_report
    from conformance.report.canonical import Baseline

    baseline = Baseline(args.baseline, load_report(args.baseline)) if args.baseline else None
    return Verdicting(require_complete=bool(args.require_complete), baseline=baseline)


def baseline_lines(data: dict[str, Any], shown: int = 10) -> list[str]:
    """The newly failing rules, then the new findings once each with their counts."""
    from conformance.report.baseline import counted, one_line, times

    result = data["baseline"]
    lines = [f"  new rule: {rule}" for rule in result["new"]]
    groups = counted(data)
    for finding, count in groups[:shown]:
        lines.append(f"  new{times(count)}: {finding['rule']}: {one_line(finding['message'])}")
    if len(groups) > shown:
        lines.append(f"  ... and {len(groups) - shown} more new finding(s) in summary.md")
    return lines


def _publish(report: Any, args: argparse.Namespace) -> int:
    """Write the report files, print the summary; the exit code is the report's (run, rejudge)."""
    from conformance.faces.console import summary, use_colour
    from conformance.report.canonical import exit_code_of, incomplete_must_rules
    from conformance.report.render import write_all

    data = report.to_dict()  # with --baseline's comparison, made when the report was
    paths = write_all(data, args.report_dir, report.redactor)
    if report.verdict == "error" and report.error:
        # The run could not start or judge: one line saying why, and where the report is.
        print(f"messaging-conformance: error: {data['error']}", file=sys.stderr)
        print(f"report: {paths['json']}")
        return report.exit_code
    print(summary(data, paths, colour=use_colour()))
    if "baseline" in data:
        result = data["baseline"]
        parts = [
            f"{len(result['new'])} new",
            f"{len(result['fixed'])} fixed",
            f"{len(result['persisting'])} persisting failing rule(s)",
        ]
        if result["skipped"]:
            parts.append(f"{len(result['skipped'])} passed before and skipped now")
        if result["did_not_reproduce_findings"]:
            parts.append(
                f"{len(result['did_not_reproduce_findings'])} new finding(s) did not reproduce"
            )
        regression = " - REGRESSION" if result["regressed"] else ""
        print(f"baseline {args.baseline}: {', '.join(parts)}{regression}")
        for line in baseline_lines(data):
            print(line)
    code = report.exit_code
    if code != exit_code_of(data):  # what --require-complete decided
        missing = incomplete_must_rules(data)
        print(
            f"incomplete: {len(missing)} MUST rule(s) skipped ({', '.join(missing[:5])}"
            + (", ..." if len(missing) > 5 else "")
            + ") - exit 1 under --require-complete"
        )
    return code


def cmd_rejudge(args: argparse.Namespace) -> int:
    from conformance.rejudge import rejudge
    from conformance.report.canonical import ensure_writable

    ensure_writable(args.report_dir)
    verdicting = _verdicting(args)
    keywords = run_keywords_of(args, "rejudge")
    keywords.setdefault("strict", False)  # as flagged; only the API's None reads the recorded
    report = rejudge(args.har, verdicting=verdicting, **keywords)
    return _publish(report, args)


def cmd_plan(args: argparse.Namespace) -> int:
    """Print what a run would send. It takes every option of `run` (so `plan` can go before
    any run line) and builds the same RunOptions; `--profile reference` (or none) plans the
    bundled reference, the name the pytest face accepts too (it is started to serve its
    manifest, and sent nothing)."""
    import contextlib

    from conformance.plan import describe_plan
    from conformance.runner import (
        RunOptions,
        build_target,
        embedded_reference,
        plan_for,
        selected_rules,
    )

    keywords = run_keywords_of(args, "plan")
    selected = selected_rules(keywords.get("only"))
    reference = keywords.get("profile") is None
    with embedded_reference() if reference else contextlib.nullcontext(keywords["profile"]) as path:
        options = RunOptions(**{**keywords, "profile": path})
        target = build_target(path, options)
        plan = plan_for(target, options, selected)
    name = "the bundled reference" if reference else keywords["profile"]
    print(f"Plan for {name} ({len(selected)} rule(s) selected); nothing was sent.")
    for line in describe_plan(plan, target.profile, target.manifest):
        print(line)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from conformance.report.baseline import load_report
    from conformance.report.render import render, write_text

    text = render(load_report(args.report), args.format)
    if args.output:
        write_text(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from conformance.report.baseline import diff, load_report, render_diff

    result = diff(load_report(args.old), load_report(args.new))
    print(json.dumps(result.to_dict(), indent=2) if args.json else render_diff(result))
    return 1 if result.regressed else 0


def cmd_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from conformance.faces.init import write_profile

    path, discovered = write_profile(Path(args.output), args.manifest, args.channel, args.force)
    print(
        f"wrote {path}; fill in the placeholders"
        + (
            " (sandbox candidates from the provider are listed as comments: choose a test "
            "conversation, it receives test messages)"
            if discovered
            else ""
        )
    )
    return 0


def cmd_profile_schema(args: argparse.Namespace) -> int:
    from conformance.inputs.profile_schema import SCHEMA_PATH

    print(SCHEMA_PATH.resolve())
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from conformance.rules import CATALOGUE

    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "level": r.level.value,
                        "title": r.title,
                        "rationale": r.rationale,
                        "hint": r.hint,
                        "source": r.source,
                    }
                    for r in CATALOGUE
                ],
                indent=2,
            )
        )
        return 0
    width = max(len(r.id) for r in CATALOGUE)
    print(f"{'id':<{width}}  level   title")
    for r in CATALOGUE:
        print(f"{r.id:<{width}}  {r.level.value:<6}  {r.title}")
    return 0


def cmd_validate_manifest(args: argparse.Namespace) -> int:
    from conformance.http.fetch import load_manifest
    from conformance.inputs.manifest import lint
    from conformance.rules import RULES, Level

    findings = lint(load_manifest(args.manifest))
    for finding in findings:
        print(f"{RULES[finding.rule].level.value:<6} {finding.rule}: {finding.message}")
    must = [f for f in findings if RULES[f.rule].level is Level.MUST]
    if not findings:
        print(f"{args.manifest}: manifest is valid")
    return 1 if must else 0


def cmd_serve_reference(args: argparse.Namespace) -> int:
    from conformance.reference import serve

    return serve.run(args)


def cmd_simulate_pipedrive(args: argparse.Namespace) -> int:
    from conformance.channels import cli

    return cli.run(args)


def cmd_certify(args: argparse.Namespace) -> int:
    from conformance.certificate import cli

    return cli.certify(args, cmd_run)


def cmd_verify(args: argparse.Namespace) -> int:
    from conformance.certificate import cli

    return cli.verify(args)


def cmd_keygen(args: argparse.Namespace) -> int:
    from conformance.certificate import cli

    return cli.keygen(args)


def cmd_aggregate(args: argparse.Namespace) -> int:
    from conformance.dashboard import cli

    return cli.run(args)


COMMANDS = {
    "aggregate": cmd_aggregate,
    "certify": cmd_certify,
    "verify": cmd_verify,
    "keygen": cmd_keygen,
    "simulate-pipedrive": cmd_simulate_pipedrive,
    "run": cmd_run,
    "plan": cmd_plan,
    "rejudge": cmd_rejudge,
    "rules": cmd_rules,
    "profile-schema": cmd_profile_schema,
    "validate-manifest": cmd_validate_manifest,
    "serve-reference": cmd_serve_reference,
    "report": cmd_report,
    "diff": cmd_diff,
    "init": cmd_init,
}


if __name__ == "__main__":
    sys.exit(main())
