"""The CI recipes in docs/ci/ run as written: valid against the official GitHub Actions and
GitLab CI schemas (check-jsonschema's vendored copies, offline), installing the suite from a
pinned commit with its constraints.txt rather than PyPI, and with their shell steps run here
against real reports.

The one edit a test makes to a step is `--max-examples 100` -> `--max-examples 5` in the
nightly scripts, to keep the suite's own test time down; everything else runs verbatim.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml

from conformance.reference import ReferenceConfig
from tests.faults import FAULTS, _chain, provider

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / "docs" / "ci"
GITHUB = sorted(CI.glob("github-actions*.yml")) + [CI / "maintainers" / "release.yml"]
GITLAB = [CI / "gitlab-ci.yml", CI / "gitlab-ci-matrix.yml"]  # [0]: the single-provider one
BIN = Path(sys.executable).parent


def fault(rule: str):
    return next(f for f in FAULTS if f.rule == rule).wrap


def shell(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A step as the runners run it: bash, stop at the first failing command."""
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **env},
    )


def step(recipe: Path, name: str) -> str:
    jobs = yaml.safe_load(recipe.read_text())["jobs"]
    return next(s["run"] for job in jobs.values() for s in job["steps"] if s.get("name") == name)


def gitlab_job(part: str, job: str) -> str:
    return "\n".join(yaml.safe_load(GITLAB[0].read_text())[job][part])


@pytest.mark.parametrize(
    "recipes, schema",
    [(GITHUB, "vendor.github-workflows"), (GITLAB, "vendor.gitlab-ci")],
    ids=["github", "gitlab"],
)
def test_recipes_validate_against_their_official_schema(recipes, schema) -> None:
    checker = shutil.which("check-jsonschema", path=str(BIN)) or "check-jsonschema"
    result = subprocess.run(
        [checker, "--builtin-schema", schema, *map(str, recipes)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


INSTALL_STEP = "Install messaging-conformance (pinned commit, pinned dependencies)"


def test_no_recipe_installs_the_suite_from_pypi_or_a_missing_tag() -> None:
    """Every install of the suite is the one line: a clone of your mirror at CONFORMANCE_REF,
    installed with that commit's constraints.txt; and CONFORMANCE_REF ships as a value that
    fails on purpose until it is set, never as a tag that does not exist (v0.1.0 was one)."""
    install = step(CI / "github-actions.yml", INSTALL_STEP)
    assert "-c .messaging-conformance/constraints.txt" in install
    for recipe in [*GITHUB, *GITLAB]:
        text = recipe.read_text()
        for line in text.splitlines():
            if "pip install" in line and "conformance" in line:
                assert line.strip().removeprefix("run: ").removeprefix("- ") == install, (
                    f"{recipe.name}: {line.strip()}"
                )
        if "CONFORMANCE_REF:" in text:
            assert re.search(r"^  CONFORMANCE_REF: set-me-to-a-commit-sha$", text, re.M), recipe


@pytest.mark.slow
def test_the_install_line_installs_the_suite_from_a_pinned_git_ref(tmp_path) -> None:
    """The recipes' install command, verbatim, against this repository at its HEAD commit,
    in a fresh virtualenv whose dependencies are this test run's own (a .pth file; the
    constraints are satisfied by them), so only the suite itself is cloned, built
    (hatchling) and installed from the commit."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    install = step(CI / "github-actions.yml", INSTALL_STEP)
    assert install == gitlab_job("before_script", ".conformance")
    assert f"```bash\n   {install}\n   ```" in (ROOT / "README.md").read_text()
    venv = tmp_path / "venv"
    # Without its own copy of pip (ensurepip costs ~4 s of CPU): `pip` is this run's pip,
    # seen through the .pth, run by the new venv's python, so it installs into the new venv.
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300
    )
    site = next(venv.glob("lib/python*/site-packages"))
    deps = next(p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir())
    (site / "test-dependencies.pth").write_text(f"{deps}\n")
    pip = venv / "bin" / "pip"
    pip.write_text(f'#!/bin/sh\nexec "{venv / "bin" / "python"}" -m pip "$@"\n')
    pip.chmod(0o755)
    result = shell(
        install,
        tmp_path,
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        CONFORMANCE_GIT=f"file://localhost{ROOT}",  # pip wants a host in a git+file URL
        CONFORMANCE_REF=sha,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rules = subprocess.run(
        [str(venv / "bin" / "messaging-conformance"), "rules", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rules.returncode == 0, rules.stderr
    assert json.loads(rules.stdout)[0]["hint"]
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import conformance; print(conformance.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert installed.startswith(str(site))


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    """A workspace with reports/ from a real failing run, as the certify step leaves it."""
    work = tmp_path_factory.mktemp("workspace")
    with provider(work / "conformance", fault("participants.exactly-two")) as (_, profile):
        assert profile == work / "conformance" / "profile.yaml"
        certify = step(CI / "github-actions.yml", "Certify")
        assert certify == gitlab_job("script", "certify")
        result = shell(certify + " --no-fuzz", work, CI="true")
    assert result.returncode == 1, result.stderr
    return work


@pytest.mark.xdist_group("ci recipes reports")  # shares a module fixture
def test_github_job_summary_step_appends_summary_md(reports, tmp_path) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    for recipe in (CI / "github-actions.yml", CI / "github-actions-nightly.yml"):
        result = shell(step(recipe, "Job summary"), reports, GITHUB_STEP_SUMMARY=str(summary))
        assert result.returncode == 0, result.stderr
    expected = (reports / "reports" / "summary.md").read_text()
    assert summary.read_text() == "earlier step\n" + expected * 2
    assert "participants.exactly-two" in expected


def test_job_summary_steps_pass_when_a_start_up_error_left_no_summary_md(tmp_path) -> None:
    """Exit 2 before any report (bad profile, provider unreachable): the summary step says
    so and succeeds, so the job's only failure is the run's own."""
    summary = tmp_path / "step-summary.md"
    summary.write_text("")
    for recipe in (CI / "github-actions.yml", CI / "github-actions-nightly.yml"):
        result = shell(step(recipe, "Job summary"), tmp_path, GITHUB_STEP_SUMMARY=str(summary))
        assert result.returncode == 0, result.stderr
    assert summary.read_text().count("No summary.md: the run stopped before writing it") == 2
    for job in ("certify", "nightly"):
        for line in gitlab_job("after_script", job).splitlines()[:1]:
            assert "summary.md" in line
            result = shell(line, tmp_path)
            assert result.returncode == 0 and "No summary.md" in result.stdout, result.stderr


class _FakeGitLab(BaseHTTPRequestHandler):
    posted: list[tuple[str, dict[str, str], dict]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.posted.append((self.path, dict(self.headers), body))
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": 1}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gitlab_api() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _FakeGitLab)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeGitLab.posted = []
    yield f"http://127.0.0.1:{server.server_port}/api/v4"
    server.shutdown()
    server.server_close()


@pytest.mark.xdist_group("ci recipes reports")  # shares a module fixture
def test_gitlab_posts_summary_md_as_a_merge_request_note(reports, gitlab_api) -> None:
    after = gitlab_job("after_script", "certify")
    env = {"CI_API_V4_URL": gitlab_api, "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "7"}
    without_token = shell(after, reports, **env)
    assert without_token.returncode == 0 and _FakeGitLab.posted == []
    result = shell(after, reports, GITLAB_NOTE_TOKEN="glpat-test", **env)
    assert result.returncode == 0, result.stderr
    assert "posted as a merge request note" in result.stdout
    [(path, headers, body)] = _FakeGitLab.posted
    assert path == "/api/v4/projects/42/merge_requests/7/notes"
    assert headers["PRIVATE-TOKEN"] == "glpat-test"
    assert body == {"body": (reports / "reports" / "summary.md").read_text()}


def nightly_script(recipe: Path) -> str:
    if recipe.name == "gitlab-ci.yml":
        script = gitlab_job("script", "nightly")
    else:
        script = step(recipe, "Certify against the baseline")
    assert script.count("--max-examples 100") == 2
    return script.replace("--max-examples 100", "--max-examples 5")


@pytest.mark.parametrize(
    "recipe", [CI / "github-actions-nightly.yml", GITLAB[0]], ids=lambda p: p.name
)
@pytest.mark.slow
def test_nightly_keeps_the_last_accepted_report_and_fails_on_regressions(recipe, tmp_path) -> None:
    """Night 1 has no baseline: a failing provider is recorded and becomes the baseline.
    Night 2 is worse: the job fails and the baseline is left as it was (the cache is only
    saved after a successful job)."""
    script = nightly_script(recipe)
    known = fault("participants.exactly-two")
    unlimited = ReferenceConfig(rate_limit=None)
    with provider(tmp_path / "conformance", known, None, unlimited):
        first = shell(script, tmp_path, CI="true")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    baseline = tmp_path / "baseline" / "report.json"
    accepted = baseline.read_text()
    assert json.loads(accepted)["verdict"] == "failed"
    worse = _chain(known, fault("response.content-type"))
    with provider(tmp_path / "conformance", worse, None, unlimited):
        second = shell(script, tmp_path, CI="true")
    assert second.returncode == 1 and "REGRESSION" in second.stdout
    assert baseline.read_text() == accepted
    assert re.search(r"new\s+MUST\s+response\.content-type", second.stdout) or (
        "response.content-type"
        in json.loads((tmp_path / "reports" / "report.json").read_text())["baseline"]["new"]
    )
