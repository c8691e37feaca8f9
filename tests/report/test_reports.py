"""Reports people and CI read: JSON (schema-valid), JUnit XML, HTML, Markdown, re-rendering,
diff and baselines, with provider content escaped and secrets absent everywhere."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema_rs
import pytest

from conformance.reference import ReferenceConfig
from conformance.rules import RULES
from tests.commands import cli
from tests.faults import FAULTS, _chain, provider, rewrite

# Every test here shares one module fixture's runs: under pytest-xdist they meet in one worker.
pytestmark = pytest.mark.xdist_group("reports runs")

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "conformance" / "report" / "report.schema.json").read_text())
TOKEN = base64.b64encode(b"reference-client:reference-secret").decode()
UNLIMITED = ReferenceConfig(rate_limit=None)
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"


def hostile_and_echoing(environ, status, headers, body):
    """A provider that echoes our credentials and puts markup into its error messages."""
    if isinstance(body, dict):
        body["echo"] = environ.get("HTTP_AUTHORIZATION", "")
        if isinstance(body.get("data"), dict) and body.get("success") is False:
            body["data"]["message"] = HOSTILE
            body["data"]["code"] = HOSTILE  # also breaks error.code-matches-status
    return status, headers, body


def fault(rule: str):
    return next(f for f in FAULTS if f.rule == rule).wrap


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Two failing runs against different faulty variants, plus a rerun of the first."""
    out: dict[str, Path] = {}
    variants = {
        "a": _chain(fault("participants.exactly-two"), rewrite(hostile_and_echoing)),
        "a2": _chain(fault("participants.exactly-two"), rewrite(hostile_and_echoing)),
        "b": fault("response.content-type"),
    }
    for name, wrap in variants.items():
        folder = tmp_path_factory.mktemp(name)
        # No rate limit: the two "a" runs must be identical, and 429 timing is not.
        with provider(folder, wrap, lambda p: p.pop("rate_limit_probe"), UNLIMITED) as (
            _,
            profile,
        ):
            result = cli(
                "run",
                "--profile",
                str(profile),
                "--report-dir",
                str(folder / "out"),
                "--seed",
                "11",
                "--max-examples",
                "5",
            )
        assert result.returncode == 1, result.stderr
        (folder / "console.txt").write_text(result.stdout + result.stderr)
        out[name] = folder
    return out


@pytest.mark.slow
def test_all_four_files_and_no_secret_anywhere(runs) -> None:
    folder = runs["a"]
    names = sorted(p.name for p in (folder / "out").iterdir())
    assert names == ["junit.xml", "report.html", "report.json", "summary.md"]
    for path in [*(folder / "out").iterdir(), folder / "console.txt"]:
        text = path.read_text()
        assert "reference-secret" not in text and TOKEN not in text, path.name


def test_json_validates_against_the_schema(runs) -> None:
    validator = jsonschema_rs.Draft7Validator(SCHEMA)
    for name in runs:
        data = json.loads((runs[name] / "out" / "report.json").read_text())
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == []
        assert data["profile"]["credentials"]["client_secret"] == "<redacted>"
        assert {r["id"] for r in data["rules"]} == set(RULES)


def test_junit_has_a_testcase_per_rule(runs) -> None:
    root = ET.parse(runs["a"] / "out" / "junit.xml").getroot()
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    # a one-direction run: the Channels API rules are not applicable, so no test case
    assert {c.get("name") for c in cases} == {r for r in RULES if not r.startswith("channels.")}
    assert all(c.get("classname") == c.get("name").split(".")[0] for c in cases)
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert {"participants.exactly-two", "error.code-matches-status"} <= failed
    assert int(suite.get("failures")) == len(failed) == int(root.get("failures"))
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["verdict"] == "failed" and props["seed"] == "11"


def test_markdown_summary(runs) -> None:
    text = (runs["a"] / "out" / "summary.md").read_text()
    assert "FAILED" in text and "`participants.exactly-two`" in text
    assert "<script>" not in text


def test_html_is_self_contained_and_escapes_provider_text(runs) -> None:
    html = (runs["a"] / "out" / "report.html").read_text()
    assert "<script>document.title" not in html and "onerror=alert" not in html.replace(
        "&lt;img src=x onerror=alert(1)&gt;", ""
    )
    assert "&lt;script&gt;document.title=" in html
    head = html.split("<body>")[0]
    assert "http://" not in head and "<link" not in html and "<img" not in html
    assert "Content-Security-Policy" in html and "participants.exactly-two" in html


@pytest.mark.parametrize("fmt", ["html", "junit", "md", "json"])
def test_report_command_rerenders_byte_identical(runs, tmp_path, fmt) -> None:
    names = {"html": "report.html", "junit": "junit.xml", "md": "summary.md", "json": "report.json"}
    out = runs["a"] / "out"
    target = tmp_path / names[fmt]
    result = cli("report", str(out / "report.json"), "--format", fmt, "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == (out / names[fmt]).read_bytes()


def test_diff_shows_new_and_fixed_rules(runs) -> None:
    a, b = (runs[n] / "out" / "report.json" for n in ("a", "b"))
    result = cli("diff", str(a), str(b), "--json")
    data = json.loads(result.stdout)
    assert "response.content-type" in data["new"]
    assert "participants.exactly-two" in data["fixed"]
    assert result.returncode == 1 and data["regressed"]
    backwards = cli("diff", str(b), str(a))
    assert backwards.returncode == 1 and "participants.exactly-two" in backwards.stdout


def test_identical_runs_diff_as_no_change(runs) -> None:
    result = cli(
        "diff", str(runs["a"] / "out" / "report.json"), str(runs["a2"] / "out" / "report.json")
    )
    assert result.returncode == 0 and result.stdout.startswith("no change")


@pytest.mark.slow
def test_baseline_marks_known_failures_and_fails_only_on_regressions(runs, tmp_path) -> None:
    baseline = runs["a"] / "out" / "report.json"
    wrap = _chain(fault("participants.exactly-two"), rewrite(hostile_and_echoing))
    with provider(tmp_path, wrap, lambda p: p.pop("rate_limit_probe"), UNLIMITED) as (_, profile):
        same = cli(
            "run",
            "--profile",
            str(profile),
            "--report-dir",
            str(tmp_path / "same"),
            "--seed",
            "11",
            "--max-examples",
            "5",
            "--baseline",
            str(baseline),
        )
    assert same.returncode == 0, same.stdout
    data = json.loads((tmp_path / "same" / "report.json").read_text())
    assert data["verdict"] == "failed" and data["baseline"]["regressed"] is False
    assert all(f["known"] for f in data["findings"])
    worse = _chain(wrap, fault("response.content-type"))
    with provider(tmp_path / "w", worse, lambda p: p.pop("rate_limit_probe"), UNLIMITED) as (
        _,
        profile,
    ):
        regressed = cli(
            "run",
            "--profile",
            str(profile),
            "--report-dir",
            str(tmp_path / "worse"),
            "--seed",
            "11",
            "--max-examples",
            "5",
            "--baseline",
            str(baseline),
        )
    assert regressed.returncode == 1 and "REGRESSION" in regressed.stdout


def test_unreadable_report_is_exit_2(tmp_path) -> None:
    bad = tmp_path / "r.json"
    bad.write_text("{nope")
    result = cli("report", str(bad), "--format", "md")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
