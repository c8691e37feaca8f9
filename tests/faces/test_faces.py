"""The ways users run the suite: Python API, init, tox, CI recipes (pytest: test_pytest_plugin)."""

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
from conformance.faces.init import write_profile
from conformance.inputs.profile import load_profile
from conformance.reference import ReferenceConfig, ReferenceServer
from tests.commands import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_python_api_run_and_load_report(tmp_path) -> None:
    from conformance.events import Event, Request, StepStarted

    events: list[Event] = []
    report = conformance.run(seed=5, max_examples=3, progress=events.append)
    assert report.verdict == "certified" and report.exit_code == 0
    assert any(isinstance(e, StepStarted) for e in events)
    assert any(isinstance(e, Request) for e in events)
    from conformance.report.render import write_all

    paths = write_all(report.to_dict(), tmp_path)
    loaded = conformance.load_report(paths["json"])
    assert type(loaded) is type(report)  # the same RunReport, not a dict
    assert (loaded.verdict, loaded.exit_code, loaded.seed) == (report.verdict, report.exit_code, 5)
    assert loaded.to_dict() == json.loads(paths["json"].read_text())  # the document, unchanged
    assert [r.status for r in loaded.results] == [r.status for r in report.results]
    assert loaded["verdict"] == report.verdict  # reports used to be dicts: that still reads
    with pytest.raises(ConformanceError, match="absent.json"):
        conformance.load_report(tmp_path / "absent.json")


def test_load_report_keeps_the_document_and_its_baseline_exit_code(tmp_path) -> None:
    from conformance.ledger import RuleResult
    from conformance.model import Finding
    from conformance.report.canonical import RunReport, apply_baseline
    from conformance.rules import RULES

    failed = RunReport(
        "failed",
        3,
        [RuleResult(RULES["auth.required"], "failed", 2, 1)],
        [Finding("auth.required", "no 401 without credentials", "getConversations")],
    ).to_dict()
    known = apply_baseline(failed, failed, "old.json")  # the same failure: no regression
    (tmp_path / "report.json").write_text(json.dumps(known))
    loaded = conformance.load_report(tmp_path / "report.json")
    assert (loaded.verdict, loaded.exit_code) == ("failed", 0)
    assert loaded.to_dict() == known and loaded.findings[0].rule == "auth.required"
    (tmp_path / "broken.json").write_text(json.dumps({"schema_version": 1, "rules": [{}]}))
    with pytest.raises(ConformanceError, match="broken.json: not a messaging-conformance"):
        conformance.load_report(tmp_path / "broken.json")


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


# Ids a real channel may hold: WhatsApp-style and long, quoted, unicode, colon-carrying.
ODD_CANDIDATES = [
    {
        "conversation": "wa-main:conversation-with-491511234567890123456789@s.whatsapp.net",
        "sender": "wa-main:491700000000000000000000000000000@s.whatsapp.net",
        "recipient": "wa-main:491511234567890123456789@s.whatsapp.net",
    },
    {"conversation": 'say "hi": it\'s #1', "sender": "Zoë 東京", "recipient": "a: b, {c}"},
    {"conversation": "line\nbreak", "sender": "- dash", "recipient": "x" * 300},
]


def test_init_profile_with_odd_candidate_ids_loads_and_each_candidate_parses(
    tmp_path, monkeypatch
) -> None:
    """A candidate line never wraps onto an uncommented line: `plan` loads the untouched file,
    and uncommenting one candidate gives exactly that conversation's ids."""
    monkeypatch.setenv("PIPEDRIVE_CLIENT_ID", "reference-client")
    monkeypatch.setenv("PIPEDRIVE_CLIENT_SECRET", "reference-secret")
    monkeypatch.setattr("conformance.faces.init.discover", lambda *args: ODD_CANDIDATES)
    target = tmp_path / "p.yaml"
    with ReferenceServer() as server:
        _, discovered = write_profile(target, server.manifest_url, "ref-main")
        assert discovered
        text = target.read_text(encoding="utf-8")
        assert load_profile(target).sandbox is None
        planned = cli("plan", "--profile", str(target))
        assert planned.returncode == 0, planned.stderr
    lines = [line for line in text.splitlines() if line.startswith("# sandbox: {")][1:]
    assert len(lines) == len(ODD_CANDIDATES)
    for line, ids in zip(lines, ODD_CANDIDATES, strict=True):
        assert yaml.safe_load(line.removeprefix("# ")) == {"sandbox": ids}
        chosen = tmp_path / "chosen.yaml"
        chosen.write_text(text.replace(line, line.removeprefix("# ")), encoding="utf-8")
        sandbox = load_profile(chosen).sandbox
        assert sandbox is not None
        assert (sandbox.conversation, sandbox.sender, sandbox.recipient) == (
            ids["conversation"],
            ids["sender"],
            ids["recipient"],
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
    matrix = recipe.name.endswith("-matrix.yml")  # many providers: certify, then aggregate
    if matrix:
        assert "messaging-conformance certify --profile" in text
        assert "messaging-conformance aggregate history --out dashboard" in text
    else:
        assert "messaging-conformance run --profile" in text
        assert "summary.md" in text and "reports/" in text
    from conformance.faces.cli import build_parser

    parser = build_parser()
    for line in text.splitlines():
        line = line.split("||")[0].strip().lstrip("- ").rstrip("\\").strip()
        if line.startswith(("messaging-conformance run", "messaging-conformance certify")):
            args = line.split()[1:]
            args = [a for a in args if not a.startswith("$")]
            parser.parse_args(args)  # every flag a recipe uses exists
    if ("nightly" in recipe.name or "gitlab" in recipe.name) and not matrix:
        assert "--baseline" in text


def test_readme_quick_start_order() -> None:
    readme = (ROOT / "README.md").read_text()
    terminal = readme.index("messaging-conformance run --profile")
    plugin = readme.index("--conformance-profile")
    ci = readme.index("docs/ci/")
    assert terminal < plugin < ci
    json.dumps(readme[:10])


def har_requests(path: Path) -> list[tuple[str, str, str]]:
    """A HAR's request sequence, up to what is not the suite's choice: the provider's port,
    the HTTP library's random multipart boundary, and a request repeated because the
    provider answered 429 (which request meets its rate limit depends on timing)."""
    from urllib.parse import urlsplit

    entries = json.loads(path.read_text())["log"]["entries"]
    sequence = []
    for index, entry in enumerate(entries):
        request = entry["request"]
        url = urlsplit(request["url"])
        body = (request.get("postData") or {}).get("text", "")
        boundary = body.split("\r\n", 1)[0]
        key = (request["method"], f"{url.path}?{url.query}", body.replace(boundary, "--B"))
        retried = index + 1 < len(entries) and entries[index + 1]["request"] == request
        if entry["response"]["status"] == 429 and retried:
            continue
        sequence.append(key)
    return sequence


def _in(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python ARGS` run from `work`, with this checkout importable."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.slow
def test_same_seed_same_requests_through_the_cli_the_pytest_face_and_the_api(
    tmp_path, monkeypatch
) -> None:
    """Two workers (the default) each, a fresh provider each (the same state): the HAR request
    sequences of `run`, `pytest --conformance-*` and `conformance.run()` are equal, and no run
    leaves anything (no .hypothesis/) in the working directory. The providers have no rate
    limit: which request meets a 429 is timing."""
    from tests.faults import provider

    work = tmp_path / "work"
    work.mkdir()
    cli_har, api_har, pytest_har = tmp_path / "cli.har", tmp_path / "api.har", tmp_path / "p.har"
    unlimited = ReferenceConfig(rate_limit=None)
    with provider(tmp_path / "cli", None, None, unlimited) as (_, profile):
        result = _in(
            work,
            *["-m", "conformance", "run", "--profile", str(profile)],
            *["--seed", "11", "--max-examples", "5", "--har", str(cli_har)],
            *["--report-dir", str(tmp_path / "cli" / "reports"), "--quiet"],
        )
    assert result.returncode == 0, result.stdout + result.stderr
    with provider(tmp_path / "pytest", None, None, unlimited) as (_, profile):
        face = _in(
            work,
            *["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
            *["--conformance-profile", str(profile), "--conformance-seed", "11"],
            *["--conformance-max-examples", "5", "--conformance-har", str(pytest_har)],
        )
    assert face.returncode == 0, face.stdout + face.stderr
    assert " passed" in face.stdout and " failed" not in face.stdout
    monkeypatch.chdir(work)
    with provider(tmp_path / "api", None, None, unlimited) as (_, profile):
        report = conformance.run(profile, seed=11, max_examples=5, har=api_har)
    assert report.findings == [] and report.meta["options"]["workers"] == 2
    cli_requests, api_requests = har_requests(cli_har), har_requests(api_har)
    assert len(cli_requests) > 300 and any(m == "POST" for m, _, _ in cli_requests)
    assert cli_requests == api_requests, _first_difference(cli_requests, api_requests)
    pytest_requests = har_requests(pytest_har)
    assert pytest_requests == cli_requests, _first_difference(pytest_requests, cli_requests)
    assert list(work.iterdir()) == []


def _first_difference(a: list, b: list) -> str:
    index = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    if index is None:
        return f"lengths {len(a)} and {len(b)}"
    return f"request {index}: {a[index]!r:.300} != {b[index]!r:.300}"


@pytest.mark.slow
def test_the_api_certifies_the_reference_on_seed_1(tmp_path, monkeypatch) -> None:
    """Seed 1 once generated the reference's suspended fixture channel as a "valid" request
    (hypothesis drew it from the suite's own source): 401, auth.valid-accepted failed."""
    monkeypatch.chdir(tmp_path)
    report = conformance.run(seed=1, max_examples=10)
    assert report.findings == [], [f.message for f in report.findings[:3]]
    assert report.verdict == "certified"
    assert list(tmp_path.iterdir()) == []


# -- the options each face accepts, as the README lists them -----------------------------------
def _flags(parser) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings if o != "-h"} - {"--help"}


def _paragraph(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def _readme_marks(readme: str) -> dict[str, set[str]]:
    """face column -> the flags the README's option table marks ✓ in it (with -q, -v)."""
    import re

    body = readme[readme.index("<!-- options:begin -->") : readme.index("<!-- options:end -->")]
    rows = [line.strip() for line in body.splitlines() if line.strip().startswith("| `")]
    header = ["run", "plan", "rejudge", "pytest"]
    marks: dict[str, set[str]] = {face: set() for face in header}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        flags = set(re.findall(r"`(--?[a-z][a-z-]*)", cells[0]))
        for face, cell in zip(header, cells[1:5], strict=True):
            if cell == "✓":
                marks[face] |= flags
    return marks


def test_readme_lists_the_options_each_face_accepts() -> None:
    """The README's option table marks exactly the options of `run`, `plan`, `rejudge` and the
    pytest face (each --conformance-X means the `run` option --X), and the `run` options
    pytest lacks are the ones the README says it lacks."""
    from conformance.faces import pytest_plugin
    from conformance.faces.cli import build_parser

    commands = next(a for a in build_parser()._actions if a.choices and "run" in a.choices)
    run, plan = _flags(commands.choices["run"]), _flags(commands.choices["plan"])
    rejudge = _flags(commands.choices["rejudge"])
    recorded: list[str] = []

    class Group:
        def addoption(self, name: str, **_: object) -> None:
            recorded.append(name)

    class Parser:
        def getgroup(self, name: str) -> Group:
            return Group()

    pytest_plugin.pytest_addoption(Parser())  # type: ignore[arg-type]
    plugin = set(recorded)
    readme = (ROOT / "README.md").read_text()
    listed = _readme_marks(readme)
    assert listed["run"] == run and listed["plan"] == plan == run  # plan takes all of run's
    assert listed["rejudge"] == rejudge
    in_pytest_list = {"--conformance-" + f.removeprefix("--") for f in listed["pytest"]}
    assert in_pytest_list == plugin and len(plugin) == 18
    as_run = {"--" + f.removeprefix("--conformance-") for f in plugin}
    assert as_run <= run  # the same names as run's options
    lacking = run - as_run - {"-q", "-v"}
    assert lacking == {"--two-sided", "--wait", "--quiet", "--verbose"}
    listed_pytest = _paragraph(readme, "**With pytest:**", "With pytest-xdist")
    unlike = listed_pytest[listed_pytest.index("Unlike `run`") :]
    assert all(f"`{flag}`" in unlike for flag in ("--two-sided", "--wait", "--quiet"))
