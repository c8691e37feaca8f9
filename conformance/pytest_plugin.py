"""pytest face: `pytest --conformance-profile profile.yaml` collects one test per rule.

Each rule is a pytest item (named by its id, so `-k`, `-x` and `--junitxml` work as usual);
the certification runs once, lazily, when the first rule item runs, through the same
`conformance.run` the CLI uses. Skipped rules are pytest skips with the reason; failed rules
fail with their findings and curl lines; SHOULD warnings pass with a warning (fail under
--conformance-strict).

Under pytest-xdist (`-n N`) the certification still runs exactly once: in the controller,
before the workers start, and the workers read its report. A run per worker would post to
the sandbox and delete the disposable channel once per worker, and every run after the first
would then fail deleteChannelById on a channel that is already gone.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest

from conformance.rules import CATALOGUE, Rule


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("messaging-conformance")
    group.addoption(
        "--conformance-profile",
        metavar="FILE",
        help="certify the provider this profile names, one test per rule "
        "('reference' certifies the bundled reference provider)",
    )
    group.addoption("--conformance-seed", type=int, default=None, metavar="N")
    group.addoption("--conformance-max-examples", type=int, default=25, metavar="N")
    group.addoption(
        "--conformance-strict", action="store_true", help="SHOULD rules fail instead of warning"
    )
    group.addoption(
        "--conformance-report-dir",
        metavar="DIR",
        help="also write the reports (report.json, junit.xml, ...) here",
    )


class ConformanceWarning(UserWarning):
    """A SHOULD rule the provider does not follow."""


WORKER_REPORT = "messaging_conformance_report"  # key in xdist's workerinput


def _certify(config: pytest.Config) -> dict[str, Any]:
    """The run, through the same `conformance.run` as the CLI; a bad input becomes `error`."""
    import conformance
    from conformance.errors import ConformanceError

    profile = config.getoption("--conformance-profile")
    try:
        report = conformance.run(
            profile=None if profile == "reference" else profile,
            seed=config.getoption("--conformance-seed"),
            max_examples=config.getoption("--conformance-max-examples"),
            strict=config.getoption("--conformance-strict"),
        )
    except ConformanceError as exc:
        return {"error": str(exc)}
    data = report.to_dict()
    folder = config.getoption("--conformance-report-dir")
    if folder:
        from conformance.render import write_all

        write_all(data, folder, report.redactor)
    return data


class _Certification:
    """The one run shared by all rule items of a session (or, under xdist, of all workers)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._data: dict[str, Any] | None = None

    def data(self) -> dict[str, Any]:
        if self._data is None:
            shared = getattr(self.config, "workerinput", {}).get(WORKER_REPORT)
            if shared is not None:
                self._data = json.loads(Path(shared).read_text(encoding="utf-8"))
            else:
                self._data = _certify(self.config)
        return self._data


_shared_report = pytest.StashKey[str]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: certify once, before the first worker starts, and hand it the report."""
    config = node.config
    if not config.getoption("--conformance-profile"):
        return
    if _shared_report not in config.stash:
        folder = tempfile.mkdtemp(prefix="messaging-conformance-")
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
        path = Path(folder) / "report.json"
        path.write_text(json.dumps(_certify(config)), encoding="utf-8")
        config.stash[_shared_report] = str(path)
    node.workerinput[WORKER_REPORT] = config.stash[_shared_report]


class RuleItem(pytest.Item):
    def __init__(self, *, rule: Rule, certification: _Certification, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule = rule
        self.certification = certification
        self.add_marker(pytest.mark.conformance)

    def runtest(self) -> None:
        data = self.certification.data()
        if data.get("error"):
            pytest.fail(f"the run could not complete: {data['error']}", pytrace=False)
        result = next(r for r in data["rules"] if r["id"] == self.rule.id)
        findings = [f for f in data["findings"] if f["rule"] == self.rule.id]
        if result["status"] == "skipped":
            pytest.skip(result.get("reason", "not exercised"))
        if result["status"] == "failed" or (result["status"] == "warning" and data.get("strict")):
            raise RuleFailed(self.rule, result, findings)
        if result["status"] == "warning":
            warnings.warn(
                ConformanceWarning(
                    f"{self.rule.id}: {findings[0]['message'] if findings else 'warning'}"
                ),
                stacklevel=1,
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RuleFailed):
            return excinfo.value.describe()
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "messaging-conformance", None, f"{self.rule.id} ({self.rule.level.value})"


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


class RulesCollector(pytest.Collector):
    def collect(self) -> list[pytest.Item]:
        certification = _Certification(self.config)
        return [
            RuleItem.from_parent(self, name=rule.id, rule=rule, certification=certification)
            for rule in CATALOGUE
        ]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: a messaging-conformance rule")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Add the rule items first, so pytest's own -k/-m selection then applies to them."""
    if not config.getoption("--conformance-profile"):
        return
    collector = RulesCollector.from_parent(session, name="messaging-conformance")
    items.extend(collector.collect())
