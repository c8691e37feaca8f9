"""The one option table: every option of a run, its default, its help, and the faces that take it.

Root module (data, no behaviour beyond reading the table), so every layer may read it: the
faces derive their flags from it (`run`, `plan`, `rejudge` in faces/cli.py, the pytest
`--conformance-*` options in faces/pytest_plugin.py), `conformance.run()` takes its fields as
keywords, `runner.RunOptions` takes its defaults from the named defaults below, and so do the
lower layers' option records (`ClientPolicy`, `CheckContext`, `FuzzOptions`,
`SimulatorOptions`), so no default is typed twice. `record()` gives the report's
`meta["options"]` and the HAR's inputs record from the same table.

An option whose `field` is None is a face option (where reports go, the console, a baseline):
it shapes what a face does with the report, not the run itself. A face missing from an
option's `faces` is explained by its `why_not`, and the README's option table says the same
(tests/faces/test_options.py holds the two together).

Stage: values.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

# -- the named defaults (the lower layers import these, never retype them) -------------------
MAX_EXAMPLES = 25  # generated requests per operation and mode
TIMEOUT = 10.0  # seconds per request
BODY_CAP = 10 * 1024 * 1024  # bytes of a response body read
RETRY_CAP = 30.0  # the longest single 429 wait
RETRY_BUDGET = 60.0  # all 429 waits of a run together
WORKERS = 2  # parallel lookups in consistency scenarios
TWO_SIDED_WAIT = 120.0  # seconds --two-sided --profile waits for the app's addChannel
REPORT_DIR = "reports"

Face = Literal["run", "plan", "rejudge", "pytest", "api"]
FACES: tuple[Face, ...] = ("run", "plan", "rejudge", "pytest", "api")
CLI_FACES: tuple[Face, ...] = ("run", "plan", "rejudge")
Action = Literal["value", "append", "switch", "count"]
PYTEST_PREFIX = "--conformance-"


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


@dataclass(frozen=True)
class Option:
    """One option as every face spells it: `--max-examples` on the CLI, `--conformance-max-
    examples` in pytest, `max_examples=` in `conformance.run()`."""

    name: str  # snake_case; the CLI flag is --name-with-dashes
    help: str
    default: Any = None  # the field's value when the option is not given
    type: Callable[[str], Any] | None = None  # parses a value option's text
    action: Action = "value"
    metavar: str | None = None
    field: str | None = ""  # the RunOptions field it sets ("": same as name; None: face option)
    sets: Any = True  # a switch's value for its field when given
    faces: frozenset[Face] = frozenset(FACES)
    why_not: str = ""  # why the faces missing from `faces` lack it
    recorded: Literal["report", "inputs"] | None = None  # report meta["options"] / HAR only
    short: str | None = None  # a one-letter CLI alias (-q, -v)
    default_text: str | None = None  # how the help shows the default, when not str(default)

    @property
    def target(self) -> str | None:
        """The RunOptions field (and `conformance.run` keyword) it sets; None for a face option."""
        return self.name if self.field == "" else self.field

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def pytest_flag(self) -> str:
        return PYTEST_PREFIX + self.name.replace("_", "-")

    def on(self, face: Face) -> bool:
        return face in self.faces

    def help_text(self) -> str:
        """The one help text, with the default when there is one worth saying."""
        shown = self.default_text
        if shown is None and self.action in ("value", "append") and self.default is not None:
            shown = f"{self.default:g}" if isinstance(self.default, float) else str(self.default)
        return f"{self.help} (default {shown})" if shown else self.help

    def argparse_kwargs(self, face: Face) -> dict[str, Any]:
        """The keywords of `add_argument` / pytest's `addoption` for this option on `face`.

        Run options default to None (False for switches): a face passes only what was given,
        so `RunOptions` (from this table) is where a default applies. Face options keep their
        default on the CLI; pytest starts every option unset (no report dir: no report files).
        """
        kwargs: dict[str, Any] = {"help": self.help_text(), "dest": self.name}
        if face == "pytest":
            del kwargs["dest"]  # pytest derives it from the --conformance- flag
        keeps_default = self.target is None and face != "pytest"
        if self.action == "switch":
            kwargs["action"] = "store_true"
        elif self.action == "count":
            kwargs.update(action="count", default=0)
        else:
            if self.action == "append":
                kwargs["action"] = "append"
            if self.type is not None:
                kwargs["type"] = self.type
            if self.metavar is not None:
                kwargs["metavar"] = self.metavar
            kwargs["default"] = self.default if keeps_default else None
        return kwargs


PLAN_IGNORES = (
    "plan sends nothing and writes no report: it takes every option of run (put `plan` "
    "before any run line) and ignores those that matter only while sending."
)
_RECORDED = "rejudge sends nothing: the recorded run's value applies"
_NO_CONSOLE = (
    "the Python API draws no console (pass `progress=`); pytest has its own -q and -v "
    "(-v shows the run's phases); rejudge prints only its summary"
)
_PUBLISHING = "the Python API returns the report (write it with `report.render.write_all`)"
_TWO_SIDED = (
    "pytest: the two-sided mode serves a simulator and waits for the vendor's app to call "
    "it, a long-lived interactive session that is no test run (use `run --two-sided`); the "
    "Python API: `conformance.channels.twosided.run_two_sided` takes the same keywords; "
    "rejudge: a HAR records one side only"
)
_BACKOFF = (
    "the bounds of the 429 back-off: the command line and pytest keep the defaults, so runs "
    "of one provider compare; the Python API may change them (the suite's own tests do); "
    "rejudge sends nothing"
)
_NOT_REJUDGE = frozenset({"run", "plan", "pytest", "api"})

OPTIONS: tuple[Option, ...] = (
    Option(
        "profile",
        "profile YAML; omit it, or say 'reference', for the bundled reference provider "
        "(pytest: without it the plugin collects nothing)",
        metavar="FILE",
        faces=_NOT_REJUDGE,
        why_not="rejudge reads the recorded run's (redacted) profile from the HAR",
    ),
    Option(
        "report_dir",
        "where to write report.json, summary.md, report.html and junit.xml; pytest writes "
        "them only when given",
        default=REPORT_DIR,
        metavar="DIR",
        field=None,
        faces=frozenset({"run", "plan", "rejudge", "pytest"}),
        why_not=_PUBLISHING,
    ),
    Option(
        "seed",
        "seed for generated requests and ids (replays a run)",
        type=int,
        metavar="N",
        faces=_NOT_REJUDGE,
        why_not=_RECORDED,
    ),
    Option(
        "max_examples",
        "generated requests per operation and mode",
        default=MAX_EXAMPLES,
        type=positive_int,
        metavar="N",
        faces=_NOT_REJUDGE,
        why_not=_RECORDED,
        recorded="report",
    ),
    Option("strict", "SHOULD failures fail the run", default=False, action="switch"),
    Option(
        "timeout",
        "seconds per request",
        default=TIMEOUT,
        type=positive_float,
        metavar="S",
        faces=_NOT_REJUDGE,
        why_not=_RECORDED,
        recorded="report",
    ),
    Option(
        "rate",
        "cap on requests per second",
        type=positive_float,
        metavar="R",
        faces=_NOT_REJUDGE,
        why_not=_RECORDED,
        recorded="report",
    ),
    Option(
        "spec",
        "OpenAPI spec (default: the bundled contract spec)",
        metavar="FILE",
        recorded="inputs",
    ),
    Option(
        "only",
        "judge only rules matching the glob (repeatable), e.g. 'error.*'",
        action="append",
        metavar="RULE_GLOB",
        recorded="report",
    ),
    Option(
        "workers",
        "parallel lookups in consistency scenarios",
        default=WORKERS,
        type=positive_int,
        metavar="N",
        faces=_NOT_REJUDGE,
        why_not=_RECORDED,
        recorded="report",
    ),
    Option(
        "body_cap",
        "read at most this much of a response body",
        default=BODY_CAP,
        type=positive_int,
        metavar="BYTES",
        faces=_NOT_REJUDGE,
        why_not=_RECORDED,
        recorded="report",
        default_text="10 MiB",
    ),
    Option(
        "no_fuzz",
        "skip the property-based phase",
        default=True,
        action="switch",
        field="fuzz",
        sets=False,
        faces=_NOT_REJUDGE,
        why_not=_RECORDED,
        recorded="report",
    ),
    Option(
        "retry_cap",
        "the longest single wait for a 429's Retry-After / retry_by, in seconds",
        default=RETRY_CAP,
        type=positive_float,
        metavar="S",
        faces=frozenset({"api"}),
        why_not=_BACKOFF,
        recorded="inputs",
    ),
    Option(
        "retry_budget",
        "all 429 waits of a run together, in seconds; past it 429s are judged, not waited for",
        default=RETRY_BUDGET,
        type=positive_float,
        metavar="S",
        faces=frozenset({"api"}),
        why_not=_BACKOFF,
        recorded="inputs",
    ),
    Option(
        "quiet",
        "no progress lines",
        default=False,
        action="switch",
        field=None,
        short="-q",
        faces=frozenset({"run", "plan"}),
        why_not=_NO_CONSOLE,
    ),
    Option(
        "verbose",
        "also show every request",
        default=0,
        action="count",
        field=None,
        short="-v",
        faces=frozenset({"run", "plan"}),
        why_not=_NO_CONSOLE,
    ),
    Option(
        "insecure",
        "do not verify the provider's TLS certificate",
        default=True,
        action="switch",
        field="verify",
        sets=False,
        faces=_NOT_REJUDGE,
        why_not=_RECORDED,
    ),
    Option(
        "ca_bundle",
        "trust this CA bundle for TLS",
        default=True,
        metavar="FILE",
        field="verify",
        faces=_NOT_REJUDGE,
        why_not=_RECORDED,
        default_text="",
    ),
    Option(
        "baseline",
        "fail only on regressions against this earlier report.json "
        "(pytest: failures the baseline already had are xfail)",
        metavar="OLD.json",
        field=None,
        faces=frozenset({"run", "plan", "rejudge", "pytest"}),
        why_not="the Python API takes it as `verdicting=Verdicting(baseline=...)` "
        "(conformance.judging), judged with the run",
    ),
    Option(
        "two_sided",
        "also certify the vendor's calls to Pipedrive's Channels API (simulated locally)",
        default=False,
        action="switch",
        field=None,
        faces=frozenset({"run", "plan"}),
        why_not=_TWO_SIDED,
    ),
    Option(
        "wait",
        "with --two-sided --profile: seconds to wait for the app's addChannel",
        default=TWO_SIDED_WAIT,
        type=positive_float,
        metavar="S",
        field=None,
        faces=frozenset({"run", "plan"}),
        why_not=_TWO_SIDED,
    ),
    Option(
        "require_complete",
        "exit 1 when any MUST rule was SKIPPED (incomplete is otherwise exit 0; pytest: that "
        "rule's test fails)",
        default=False,
        action="switch",
        field=None,
        faces=frozenset({"run", "plan", "rejudge", "pytest"}),
        why_not="the Python API takes it as `verdicting=Verdicting(require_complete=True)` "
        "(conformance.judging), judged with the run",
    ),
    Option(
        "har",
        "record every exchange as HAR 1.2 (redacted, bodies capped) for `rejudge`",
        metavar="FILE",
        faces=_NOT_REJUDGE,
        why_not="rejudge reads a HAR; it records none",
    ),
    Option(
        "no_resend",
        "do not re-send GETs with MUST findings to tell noise from regressions",
        default=True,
        action="switch",
        field="resend",
        sets=False,
        faces=_NOT_REJUDGE,
        why_not=_RECORDED,
        recorded="inputs",
    ),
)

BY_NAME: dict[str, Option] = {option.name: option for option in OPTIONS}


def on(face: Face) -> tuple[Option, ...]:
    """The options `face` takes, in table order."""
    return tuple(option for option in OPTIONS if option.on(face))


def field_defaults() -> dict[str, Any]:
    """Each RunOptions field and its default (the first option setting a field decides)."""
    defaults: dict[str, Any] = {}
    for option in OPTIONS:
        if option.target is not None:
            defaults.setdefault(option.target, option.default)
    return defaults


def run_keywords(given: Callable[[Option], Any], face: Face) -> dict[str, Any]:
    """The `conformance.run` keywords of the options `face` was given: `given(option)` is
    the face's parsed value (None, False or 0 when not given). An unset option is left
    out, so RunOptions' default (this table's) applies; of two options for one field the
    one earlier in the table wins (--insecure over --ca-bundle). The profile 'reference'
    names the bundled reference provider, as None does."""
    keywords: dict[str, Any] = {}
    for option in on(face):
        target = option.target
        if target is None or target in keywords:
            continue
        value = given(option)
        if option.action == "switch":
            if value:
                keywords[target] = option.sets
        elif value is not None:
            keywords[target] = value
    if keywords.get("profile") == "reference":
        keywords["profile"] = None
    return keywords


_PLAIN = (bool, int, float, str, list)  # recorded as they are; anything else (a Path) as text


def record(options: Any, where: Literal["report", "inputs"]) -> dict[str, Any]:
    """The options a report's `meta["options"]` ("report") or a HAR's inputs ("inputs", a
    superset: what `rejudge` needs to judge again) record, read from a RunOptions."""
    kept = ("report",) if where == "report" else ("report", "inputs")
    out: dict[str, Any] = {}
    for option in OPTIONS:
        if option.recorded in kept and option.target is not None:
            value = getattr(options, option.target)
            out[option.target] = value if value is None or isinstance(value, _PLAIN) else str(value)
    return out


def given_by_name(values: Mapping[str, Any]) -> Callable[[Option], Any]:
    """`given` for `run_keywords` over a mapping of option name -> value (argparse's)."""
    return lambda option: values.get(option.name)
