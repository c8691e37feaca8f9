"""pytest face: `pytest --conformance-profile profile.yaml` collects one test per rule.

Rules are items under one collector per rule group, so node ids read
`messaging-conformance::auth::auth.required` and can be passed back as arguments
(`messaging-conformance`, `messaging-conformance::auth`, the full id, or the short
`messaging-conformance::auth.required`); `-k`, `-x`, `--collect-only`, `--durations` and
`--junitxml` (classname `messaging-conformance.auth`, name the rule id) work as usual.

The certification runs once, through the same `conformance.run` the CLI uses, after collection
and before the first item: `--collect-only` never contacts the provider, and only the rules
still selected (node ids, `-k`, `--conformance-only`) are judged. Input that stops the run from
starting (every `ConformanceError`: a bad profile or manifest, wrong credentials, an unknown
channel, an `--conformance-only` that matches nothing) is a pytest usage error - one line, exit
4 - not one failure per rule. Each item's duration is the time its rule's checks took.

Skipped rules are pytest skips with the reason; failed rules fail with their findings and curl
lines; SHOULD warnings pass with a warning (fail under --conformance-strict). With
--conformance-baseline, failures the baseline already had are xfail: only regressions fail.
Under --conformance-require-complete a MUST rule the run SKIPPED fails, so pytest exits 1
exactly when the CLI's `run --require-complete` does (`report.incomplete_must_rules` decides
for both).

Under pytest-xdist (`-n N`) the certification still runs exactly once: in the controller,
before the workers start, and the workers read its report. A run per worker would post to
the sandbox and delete the disposable channel once per worker, and every run after the first
would then fail deleteChannelById on a channel that is already gone.

Stage: faces.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance.events import Event, Progress, Request
from conformance.options import on as options_on
from conformance.options import run_keywords
from conformance.rules import CATALOGUE, Rule, select

PREFIX = "messaging-conformance"  # the node id of the suite collector, and its group name
WORKER_REPORT = "messaging_conformance_report"  # key in xdist's workerinput


def pytest_addoption(parser: pytest.Parser) -> None:
    """The option table's pytest options (conformance/options.py), as `--conformance-NAME`."""
    group = parser.getgroup(PREFIX)
    for option in options_on("pytest"):
        group.addoption(option.pytest_flag, **option.argparse_kwargs("pytest"))


def run_kwargs(config: pytest.Config) -> dict[str, Any]:
    """The `conformance.run` keywords (profile included) the --conformance-* options give;
    an unset option is left out, so the table's default (through RunOptions) applies."""
    return run_keywords(lambda option: config.getoption(option.pytest_flag), "pytest")


_selection = pytest.StashKey[frozenset[str] | None]()  # rules the node-id arguments name
_baseline = pytest.StashKey[dict[str, Any] | None]()
_report = pytest.StashKey[dict[str, Any]]()  # the run's canonical document
_outcome = pytest.StashKey["_Outcome"]()
_shared_report = pytest.StashKey[str]()  # xdist controller: where the workers read it


def pytest_configure(config: pytest.Config) -> None:
    """Validate the options before anything is collected: bad input is a usage error."""
    config.addinivalue_line("markers", "conformance: a messaging-conformance rule")
    node_ids = _take_node_ids(config)
    if not config.getoption("--conformance-profile"):
        if node_ids:
            raise pytest.UsageError(f"{node_ids[0]}: add --conformance-profile FILE (or reference)")
        return
    config.stash[_selection] = _rules_named(node_ids) if node_ids else None
    for pattern in config.getoption("--conformance-only") or ():
        if not select([pattern]):
            raise pytest.UsageError(
                f"--conformance-only {pattern!r} matches no rule "
                f"(`messaging-conformance rules` lists them)"
            )
    with _usage_errors():
        from conformance.report.baseline import load_report
        from conformance.report.canonical import ensure_writable

        baseline = config.getoption("--conformance-baseline")
        config.stash[_baseline] = load_report(baseline) if baseline else None
        if config.getoption("--conformance-report-dir"):
            ensure_writable(config.getoption("--conformance-report-dir"))
        if config.getoption("--conformance-har"):
            ensure_writable(Path(config.getoption("--conformance-har")).resolve().parent)


def _take_node_ids(config: pytest.Config) -> list[str]:
    """Remove our node ids from the arguments, which pytest would look for as files (a real
    file or folder of that name, e.g. a checkout called messaging-conformance, stays pytest's)."""
    here = config.invocation_params.dir
    ours = [
        arg
        for arg in config.args
        if (arg == PREFIX or arg.startswith(PREFIX + "::")) and not (here / PREFIX).exists()
    ]
    config.args[:] = [arg for arg in config.args if arg not in ours]
    return ours


def _rules_named(node_ids: Iterable[str]) -> frozenset[str]:
    chosen: set[str] = set()
    for node_id in node_ids:
        names = node_id.split("::")[1:]
        if not names:
            rules = list(CATALOGUE)
        elif len(names) == 1:
            rules = [r for r in CATALOGUE if names[0] in (r.group, r.id)]
        else:
            rules = [r for r in CATALOGUE if [r.group, r.id] == names]
        if not rules:
            raise pytest.UsageError(
                f"not found: {node_id} (no such rule; `messaging-conformance rules` lists them)"
            )
        chosen.update(r.id for r in rules)
    return frozenset(chosen)


@contextlib.contextmanager
def _usage_errors() -> Iterator[None]:
    """A `ConformanceError` (bad input, the run cannot start) as pytest's one-line usage error."""
    from conformance.errors import ConformanceError

    try:
        yield
    except ConformanceError as exc:
        raise pytest.UsageError(f"{PREFIX}: {exc}") from None


class ConformanceSuite(pytest.Collector):
    """The rules, grouped by their id's first part (the JUnit classname)."""

    def collect(self) -> list[pytest.Collector]:
        selected = self.config.stash.get(_selection, None)
        groups = dict.fromkeys(r.group for r in CATALOGUE if selected is None or r.id in selected)
        return [RuleGroup.from_parent(self, name=group) for group in groups]


class RuleGroup(pytest.Collector):
    def collect(self) -> list[pytest.Item]:
        selected = self.config.stash.get(_selection, None)
        return [
            RuleItem.from_parent(self, name=rule.id, rule=rule)
            for rule in CATALOGUE
            if rule.group == self.name and (selected is None or rule.id in selected)
        ]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Collect the rule items first, so pytest's own -k/-m selection then applies to them."""
    if not config.getoption("--conformance-profile"):
        return
    suite = ConformanceSuite.from_parent(session, name=PREFIX, nodeid=PREFIX)
    items.extend(session.genitems(suite))  # reports the collection, so the counts are right


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Any:
    """Certify once, after selection and before the first rule item (never for --co)."""
    config = session.config
    rule_ids = {item.rule.id for item in session.items if isinstance(item, RuleItem)}
    collection_failed = session.testsfailed and not config.option.continue_on_collection_errors
    if rule_ids and not (config.option.collectonly or collection_failed):
        shared = getattr(config, "workerinput", {}).get(WORKER_REPORT)
        if shared is not None:
            config.stash[_report] = json.loads(Path(shared).read_text(encoding="utf-8"))
        else:
            config.stash[_report] = _certify(config, rule_ids)
    return (yield)


def pytest_sessionstart(session: pytest.Session) -> None:
    """xdist controller: certify before the workers start (it collects no items itself)."""
    config = session.config
    if not config.getoption("--conformance-profile") or not config.pluginmanager.has_plugin(
        "dsession"
    ):
        return
    selected = config.stash.get(_selection, None)
    data = _certify(config, selected or {r.id for r in CATALOGUE})
    folder = tempfile.mkdtemp(prefix="messaging-conformance-")
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    path = Path(folder) / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    config.stash[_shared_report] = str(path)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: hand each worker the path of the one report."""
    if _shared_report in node.config.stash:
        node.workerinput[WORKER_REPORT] = node.config.stash[_shared_report]


def _certify(config: pytest.Config, rule_ids: Iterable[str]) -> dict[str, Any]:
    """The run, judging the selected rules; a run that cannot start is a usage error."""
    import conformance

    kwargs = run_kwargs(config)
    profile = kwargs.pop("profile", None)
    kwargs["only"] = _only(kwargs.get("only"), set(rule_ids))
    verdicting = _verdicting(config)
    if verdicting.require_complete or verdicting.baseline is not None:
        kwargs["verdicting"] = verdicting  # judged with the run, not applied to its report
    with _usage_errors():
        report = conformance.run(profile, progress=_progress(config), **kwargs)
    data = report.to_dict()  # with the baseline's comparison, when there is one
    folder = config.getoption("--conformance-report-dir")
    if folder:
        from conformance.report.render import write_all

        write_all(data, folder, report.redactor)
    if data.get("error"):
        raise pytest.UsageError(f"{PREFIX}: {data['error']}")
    return data


def _verdicting(config: pytest.Config) -> Any:
    """--conformance-require-complete and --conformance-baseline, as inputs to judging."""
    from conformance.judging import Verdicting
    from conformance.report.canonical import Baseline

    document = config.stash.get(_baseline, None)
    source = config.getoption("--conformance-baseline")
    return Verdicting(
        require_complete=bool(config.getoption("--conformance-require-complete")),
        baseline=None if document is None else Baseline(source, document),
    )


def _only(patterns: list[str] | None, rule_ids: set[str]) -> list[str] | None:
    """--conformance-only narrowed to the items pytest kept (node ids, -k, -m)."""
    wanted = {r.id for r in select(patterns)}
    chosen = wanted & rule_ids
    if chosen == wanted:
        return patterns
    return sorted(chosen) or patterns


def _progress(config: pytest.Config) -> Progress | None:
    """With -v, the run's phases as terminal lines (the run itself takes a while)."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is None or config.get_verbosity() < 1:
        return None

    def emit(event: Event) -> None:
        if not isinstance(event, Request):  # from worker threads, and there are thousands
            terminal.write_line(f"{PREFIX}: {event.message}")

    return emit


@dataclass(frozen=True)
class _Outcome:
    """The run as the items of this process read it."""

    data: dict[str, Any]
    regressed: frozenset[str] | None  # with a baseline: the rules that got worse
    incomplete: frozenset[str]  # under --conformance-require-complete: skipped MUST rules

    @classmethod
    def of(cls, config: pytest.Config) -> _Outcome:
        if _outcome not in config.stash:
            if _report not in config.stash:
                pytest.fail(f"{PREFIX}: the certification did not run", pytrace=False)
            data = config.stash[_report]
            baseline = config.stash.get(_baseline, None)
            regressed = None
            if baseline is not None:
                from conformance.report.baseline import diff

                regressed = frozenset(diff(baseline, data).regressed_rules)
            incomplete: frozenset[str] = frozenset()
            if config.getoption("--conformance-require-complete"):
                from conformance.report.canonical import incomplete_must_rules

                incomplete = frozenset(incomplete_must_rules(data))
            config.stash[_outcome] = cls(data, regressed, incomplete)
        return config.stash[_outcome]


class ConformanceWarning(UserWarning):
    """A SHOULD rule the provider does not follow."""


class RuleItem(pytest.Item):
    def __init__(self, *, rule: Rule, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule = rule
        self.add_marker(pytest.mark.conformance)

    def runtest(self) -> None:
        outcome = _Outcome.of(self.config)
        data = outcome.data
        result = next(r for r in data["rules"] if r["id"] == self.rule.id)
        findings = [f for f in data["findings"] if f["rule"] == self.rule.id]
        if self.rule.id in outcome.incomplete:
            pytest.fail(
                f"{self.rule.id} (MUST) was SKIPPED: {result.get('reason', 'not exercised')}"
                " - a failure under --conformance-require-complete",
                pytrace=False,
            )
        if result["status"] in ("skipped", "not_applicable"):
            pytest.skip(result.get("reason", "not exercised"))
        if result["status"] == "failed" or (result["status"] == "warning" and data.get("strict")):
            if outcome.regressed is not None and self.rule.id not in outcome.regressed:
                source = self.config.getoption("--conformance-baseline")
                pytest.xfail(f"known in baseline {source}: {result['failures']} finding(s)")
            raise RuleFailed(self.rule, result, findings)
        if result["status"] == "warning":
            warnings.warn(
                ConformanceWarning(
                    f"{self.rule.id}: {findings[0]['message'] if findings else 'warning'}"
                ),
                stacklevel=1,
            )

    def seconds(self) -> float | None:
        """The time this rule's checks took in the run (None before it ran)."""
        data = self.config.stash.get(_report, None)
        return None if data is None else data.get("rule_seconds", {}).get(self.rule.id, 0.0)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RuleFailed):
            return excinfo.value.describe()
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return PREFIX, None, f"{self.rule.id} ({self.rule.level.value})"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A rule item's duration is its rule's share of the run, not the time to read a dict."""
    report = yield
    if isinstance(item, RuleItem) and call.when == "call":
        seconds = item.seconds()
        if seconds is not None:
            report.duration = seconds
    return report


class RuleFailed(Exception):
    def __init__(self, rule: Rule, result: dict[str, Any], findings: list[dict[str, Any]]):
        super().__init__(rule.id)
        self.rule, self.result, self.findings = rule, result, findings

    def describe(self) -> str:
        lines = [
            f"{self.rule.id} ({self.rule.level.value}): {self.rule.title}",
            f"{self.result['failures']} finding(s) in {self.result['checked']} checks",
        ]
        for finding in self.findings[:10]:
            lines.append(f"- [{finding['operation']}] {finding['message']}")
            if finding.get("reproduce"):
                lines.append(f"    {finding['reproduce']}")
        return "\n".join(lines)
