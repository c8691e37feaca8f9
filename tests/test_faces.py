"""The ways users run the suite: Python API, pytest plugin, init, tox and CI recipes."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import conformance
from conformance.errors import ConformanceError
from conformance.init import write_profile
from conformance.profile import load_profile
from conformance.reference import ReferenceConfig, ReferenceServer
from conformance.rules import RULES
from tests.faults import FAULTS, provider

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]


def test_python_api_run_and_load_report(tmp_path) -> None:
    events: list[tuple[str, str]] = []
    report = conformance.run(seed=5, max_examples=3, progress=lambda p, m: events.append((p, m)))
    assert report.verdict == "certified" and report.exit_code == 0
    assert any(p == "step" for p, _ in events) and any(p == "request" for p, _ in events)
    from conformance.render import write_all

    paths = write_all(report.to_dict(), tmp_path)
    loaded = conformance.load_report(paths["json"])
    assert loaded["verdict"] == "certified" and loaded["seed"] == 5
    with pytest.raises(ConformanceError):
        conformance.load_report(tmp_path / "absent.json")


def test_pytest_plugin_one_item_per_rule(pytester: pytest.Pytester, tmp_path) -> None:
    fault = next(f for f in FAULTS if f.rule == "participants.exactly-two")
    unlimited = ReferenceConfig(rate_limit=None)
    with provider(tmp_path, fault.wrap, lambda p: p.pop("rate_limit_probe"), unlimited) as (
        _,
        profile,
    ):
        result = pytester.runpytest_inprocess(
            "--conformance-profile",
            str(profile),
            "--conformance-seed",
            "1",
            "--conformance-max-examples",
            "3",
            f"--junitxml={tmp_path / 'junit.xml'}",
            "-rs",
        )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1 and outcomes["passed"] >= 30
    assert outcomes.get("skipped", 0) >= 1  # error.retry-by: no probe, no 429 seen
    text = result.stdout.str()
    assert "participants.exactly-two" in text and "curl " in text
    assert "no rate_limit_probe" in text  # the skip reason is shown
    junit = (tmp_path / "junit.xml").read_text()
    assert all(rule in junit for rule in RULES)


def test_pytest_plugin_under_xdist_certifies_once(pytester: pytest.Pytester, tmp_path) -> None:
    """Two workers share one run: one delete, one set of posts, and no false delete failure."""
    requests: list[tuple[str, str]] = []

    def count(app):
        def middleware(environ, start_response):
            requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
            return app(environ, start_response)

        return middleware

    unlimited = ReferenceConfig(rate_limit=None)
    with provider(tmp_path, count, lambda p: p.pop("rate_limit_probe"), unlimited) as (
        _,
        profile,
    ):
        result = pytester.runpytest_subprocess(
            "--conformance-profile",
            str(profile),
            "--conformance-max-examples",
            "3",
            "--conformance-report-dir",
            str(tmp_path / "out"),
            "-n",
            "2",
            "-rs",
        )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    # no probe and no rate limit: the two retry_by rules are skipped, everything else passes
    assert outcomes["passed"] == len(RULES) - 2 and outcomes["skipped"] == 2
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["verdict"] == "incomplete"
    # one run's requests, plus the manifest fetch: not one run per worker
    assert len(requests) == report["requests"] + 1


def test_pytest_plugin_bad_profile_fails_every_item_once(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--conformance-profile", "absent.yaml", "-k", "auth")
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == len([r for r in RULES if "auth" in r])
    assert "the run could not complete" in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_pytest_plugin_selects_with_k(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(
        "--conformance-profile",
        "reference",
        "--conformance-seed",
        "2",
        "--conformance-max-examples",
        "2",
        "-k",
        "pagination",
    )
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == len([r for r in RULES if "pagination" in r])


def test_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    from importlib.metadata import entry_points

    names = {e.value for e in entry_points(group="pytest11")}
    assert "conformance.pytest_plugin" in names


def test_init_writes_a_commented_template_and_never_overwrites(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("PIPEDRIVE_CLIENT_ID", raising=False)
    target = tmp_path / "profile.yaml"
    path, discovered = write_profile(target, None, None)
    assert not discovered and "# The app's OAuth client credentials" in target.read_text()
    with pytest.raises(ConformanceError, match="--force"):
        write_profile(target, None, None)
    write_profile(target, None, "acme-1", force=True)
    assert 'channel: "acme-1"' in target.read_text()


def test_init_lists_sandbox_candidates_but_never_fills_the_sandbox(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PIPEDRIVE_CLIENT_ID", "reference-client")
    monkeypatch.setenv("PIPEDRIVE_CLIENT_SECRET", "reference-secret")
    with ReferenceServer() as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "conformance",
                "init",
                "--manifest",
                server.manifest_url,
                "--channel",
                "ref-main",
                "-o",
                str(tmp_path / "p.yaml"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert result.returncode == 0 and "receives test messages" in result.stdout
        text = (tmp_path / "p.yaml").read_text()
        # a run posts to the sandbox: a discovered (possibly real) conversation stays a comment
        assert "# sandbox: {conversation: conv-001, recipient: contact-001" in text
        assert "\nsandbox:" not in text and "RECEIVES TEST MESSAGES" in text
        profile = load_profile(tmp_path / "p.yaml")
        assert profile.sandbox is None
        again = subprocess.run(
            [sys.executable, "-m", "conformance", "init", "-o", str(tmp_path / "p.yaml")],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert again.returncode == 2 and "--force" in again.stderr
        # and the written profile runs against the provider it was written for, posting nothing
        report = conformance.run(tmp_path / "p.yaml", seed=1, fuzz=False)
        assert report.exit_code == 0 and report.findings == []
        assert report.to_dict()["plan"]["writes"] and all(
            "made-up channel ids" in w for w in report.to_dict()["plan"]["writes"]
        )


def test_tox_environments() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "tox.ini")
    envs = {s.split(":", 1)[1] for s in config.sections() if s.startswith("testenv:")}
    assert {"lint", "certify", "mutation"} <= envs
    assert "py311" in config["tox"]["envlist"] and "py312" in config["tox"]["envlist"]
    assert config["tox"]["skip_missing_interpreters"] == "true"
    assert "ruff format --check" in config["testenv:lint"]["commands"]


@pytest.mark.parametrize(
    "recipe", sorted((ROOT / "docs" / "ci").glob("*.yml")), ids=lambda p: p.name
)
def test_ci_recipes_parse_and_use_real_commands(recipe: Path) -> None:
    data = yaml.safe_load(recipe.read_text())
    assert isinstance(data, dict)
    text = recipe.read_text()
    assert "messaging-conformance run --profile" in text
    assert "summary.md" in text and "reports/" in text
    from conformance.cli import build_parser

    parser = build_parser()
    for line in text.splitlines():
        line = line.strip().lstrip("- ").rstrip("\\").strip()
        if line.startswith("messaging-conformance run"):
            args = line.split()[1:]
            args = [a for a in args if not a.startswith("$")]
            parser.parse_args(args)  # every flag a recipe uses exists
    if "nightly" in recipe.name or "gitlab" in recipe.name:
        assert "--baseline" in text


def test_readme_quick_start_order() -> None:
    readme = (ROOT / "README.md").read_text()
    terminal = readme.index("messaging-conformance run --profile")
    plugin = readme.index("--conformance-profile")
    ci = readme.index("docs/ci/")
    assert terminal < plugin < ci
    json.dumps(readme[:10])
