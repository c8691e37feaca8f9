"""pytest face: `pytest --conformance-profile profile.yaml` collects one test per rule.

Each rule is a pytest item (named by its id, so `-k`, `-x` and `--junitxml` work as usual);
the certification runs once, lazily, when the first rule item runs, through the same
`conformance.run` the CLI uses. Skipped rules are pytest skips with the reason; failed rules
fail with their findings and curl lines; SHOULD warnings pass with a warning (fail under
--conformance-strict).
"""

from __future__ import annotations

import warnings
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


class _Certification:
    """The one run shared by all rule items of a session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._data: dict[str, Any] | None = None

    def data(self) -> dict[str, Any]:
        if self._data is None:
            import conformance

            profile = self.config.getoption("--conformance-profile")
            report = conformance.run(
                profile=None if profile == "reference" else profile,
                seed=self.config.getoption("--conformance-seed"),
                max_examples=self.config.getoption("--conformance-max-examples"),
                strict=self.config.getoption("--conformance-strict"),
            )
            self._data = report.to_dict()
            folder = self.config.getoption("--conformance-report-dir")
            if folder:
                from conformance.render import write_all

                write_all(self._data, folder)
        return self._data


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
