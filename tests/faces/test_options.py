"""The option table (conformance/options.py) is the one source of every face's options: each
face accepts each option the table gives it and passes it through to RunOptions, `run`,
`plan` and pytest list the same run options with the table's help, the lower layers take
the table's defaults, and the README's option table is the table."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

import conformance
from conformance import options as table
from conformance.checks.context import CheckContext
from conformance.faces import pytest_plugin
from conformance.faces.cli import main
from conformance.http.policy import ClientPolicy
from conformance.options import OPTIONS, Option
from conformance.phases.fuzzing import FuzzOptions
from conformance.runner import RunOptions

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]

# A value each option can take on the command line, and what the run then receives.
SAMPLES: dict[str, tuple[list[str], Any]] = {
    "profile": (["p.yaml"], "p.yaml"),
    "seed": (["9"], 9),
    "max_examples": (["4"], 4),
    "timeout": (["2.5"], 2.5),
    "rate": (["7"], 7.0),
    "spec": (["spec.yaml"], "spec.yaml"),
    "only": (["auth.*"], ["auth.*"]),
    "workers": (["3"], 3),
    "body_cap": (["1000"], 1000),
    "ca_bundle": (["ca.pem"], "ca.pem"),
    "har": (["run.har"], "run.har"),
    "retry_cap": (["5"], 5.0),
    "retry_budget": (["9"], 9.0),
}


def _arguments(option: Option, flag: str) -> tuple[list[str], Any]:
    """The arguments that give `option` (spelled `flag`), and the field value they mean."""
    if option.action in ("switch", "count"):
        return [flag], option.sets
    words, value = SAMPLES[option.name]
    return [flag, *words], value


def _run_options() -> list[Option]:
    return [o for o in OPTIONS if o.target is not None]


def test_the_table_is_well_formed() -> None:
    names = [o.name for o in OPTIONS]
    assert len(names) == len(set(names))
    for option in OPTIONS:
        assert set(option.faces) <= set(table.FACES), option.name
        missing = set(table.FACES) - set(option.faces)
        assert bool(missing) == bool(option.why_not), option.name  # why exactly when lacking
        assert option.help and option.help == option.help.strip(), option.name
        if option.action == "value":
            assert option.target is None or option.name in SAMPLES, option.name
        if option.recorded is not None:
            assert option.target is not None, option.name
    # every RunOptions field is set by the table, with the table's default
    fields = {f.name: f.default for f in dataclasses.fields(RunOptions)}
    assert fields == table.field_defaults()
    # the lower layers' defaults are the table's named defaults
    policy, context, fuzz = ClientPolicy(), CheckContext(spec=None), FuzzOptions()  # type: ignore[arg-type]
    assert (policy.timeout, policy.body_cap) == (table.TIMEOUT, table.BODY_CAP)
    assert (policy.retry_cap, policy.retry_budget) == (table.RETRY_CAP, table.RETRY_BUDGET)
    assert (context.timeout, context.body_cap) == (table.TIMEOUT, table.BODY_CAP)
    assert fuzz.max_examples == table.MAX_EXAMPLES
    from conformance.channels.simulator import SimulatorOptions

    assert SimulatorOptions().timeout == table.TIMEOUT


def test_no_layer_retypes_a_default() -> None:
    """The literals of the named defaults appear once, in the table's module."""
    literals = [
        r"(?<![\w.])25\b(?!\.)",
        r"(?<![\w.])10\.0\b",
        r"10 \* 1024 \* 1024",
        r"(?<![\w.])120\.0\b",
    ]
    owners = ("conformance/runner.py", "conformance/http/client.py", "conformance/faces/cli.py")
    owners += ("conformance/faces/pytest_plugin.py", "conformance/checks/context.py")
    owners += ("conformance/phases/fuzzing.py", "conformance/channels/simulator.py")
    owners += ("conformance/channels/twosided.py", "conformance/inputs/manifest.py")
    owners += (
        "conformance/http/policy.py",
        "conformance/http/fetch.py",
        "conformance/http/transport.py",
    )
    owners += ("conformance/rejudge.py", "conformance/judging.py")
    for owner in owners:
        source = (ROOT / owner).read_text(encoding="utf-8")
        for literal in literals:
            assert not re.search(literal, source), (owner, literal)


# -- each face accepts each option and passes it through ------------------------------------
class _Stop(Exception):
    """Raised by the stub runner: the options arrived, nothing is sent."""


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[RunOptions]:
    """`conformance.runner.run` replaced: records the RunOptions each face built."""
    seen: list[RunOptions] = []

    def stub(options: RunOptions, progress: Any = None, verdicting: Any = None) -> Any:
        seen.append(options)
        raise _Stop

    monkeypatch.setattr("conformance.runner.run", stub)
    return seen


@pytest.mark.parametrize("option", [o for o in _run_options() if o.on("run")], ids=lambda o: o.name)
def test_run_passes_each_option_to_run_options(
    option: Option, captured: list[RunOptions], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    arguments, value = _arguments(option, option.flag)
    with pytest.raises(_Stop):
        main(["--debug", "run", "--quiet", *arguments])
    (options,) = captured
    assert getattr(options, option.target) == value  # type: ignore[arg-type]
    untouched = {f.name for f in dataclasses.fields(RunOptions)} - {option.target}
    defaults = RunOptions()
    assert all(getattr(options, n) == getattr(defaults, n) for n in untouched - {"profile"})


@pytest.mark.parametrize(
    "option", [o for o in _run_options() if o.on("plan")], ids=lambda o: o.name
)
def test_plan_accepts_each_option_and_builds_the_same_run_options(
    option: Option, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`plan` + any run line: the same RunOptions as the run would get (stubbed target)."""
    seen: list[RunOptions] = []

    def build_target(profile: Any, options: RunOptions) -> Any:
        seen.append(options)
        raise _Stop

    monkeypatch.setattr("conformance.runner.build_target", build_target)
    arguments, value = _arguments(option, option.flag)
    if option.name != "profile":
        arguments = ["--profile", "p.yaml", *arguments]
    with pytest.raises(_Stop):
        main(["--debug", "plan", *arguments])
    assert getattr(seen[0], option.target) == value  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "option", [o for o in _run_options() if o.on("rejudge")], ids=lambda o: o.name
)
def test_rejudge_passes_each_option_to_the_rejudge(
    option: Option, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[dict[str, Any]] = []

    def rejudge(path: Any, **keywords: Any) -> Any:
        seen.append(keywords)
        raise _Stop

    monkeypatch.setattr("conformance.rejudge.rejudge", rejudge)
    arguments, value = _arguments(option, option.flag)
    with pytest.raises(_Stop):
        main(["--debug", "rejudge", "run.har", "--report-dir", str(tmp_path), *arguments])
    assert seen[0][option.target] == value  # type: ignore[index]


class _Config:
    """What `run_kwargs` reads of a pytest config: the parsed --conformance-* options."""

    def __init__(self, given: dict[str, Any]) -> None:
        self.given = given

    def getoption(self, flag: str) -> Any:
        return self.given.get(flag)


@pytest.mark.parametrize(
    "option", [o for o in _run_options() if o.on("pytest")], ids=lambda o: o.name
)
def test_pytest_passes_each_option_to_run_options(
    option: Option, captured: list[RunOptions]
) -> None:
    """The plugin's pytest option -> its `conformance.run` keyword -> the RunOptions field."""
    import argparse

    parser = argparse.ArgumentParser()
    for each in table.on("pytest"):
        parser.add_argument(each.pytest_flag, **each.argparse_kwargs("pytest"))
    arguments, value = _arguments(option, option.pytest_flag)
    parsed = vars(parser.parse_args(arguments))
    config = _Config(
        {
            o.pytest_flag: parsed[o.pytest_flag[2:].replace("-", "_")]
            for o in OPTIONS
            if o.on("pytest")
        }
    )
    keywords = pytest_plugin.run_kwargs(config)  # type: ignore[arg-type]
    assert keywords == {option.target: value}
    profile = keywords.pop("profile", None)
    with pytest.raises(_Stop):
        conformance.run(profile, **keywords)
    assert getattr(captured[0], option.target) == value  # type: ignore[arg-type]


@pytest.mark.parametrize("option", [o for o in _run_options() if o.on("api")], ids=lambda o: o.name)
def test_the_python_api_passes_each_keyword_to_run_options(
    option: Option, captured: list[RunOptions]
) -> None:
    _, value = _arguments(option, option.flag)
    keywords = {option.target: value}
    profile = keywords.pop("profile", None)
    with pytest.raises(_Stop):
        conformance.run(profile, **keywords)
    assert getattr(captured[0], option.target) == value  # type: ignore[arg-type]


def test_insecure_wins_over_ca_bundle_on_every_face() -> None:
    given = {"insecure": True, "ca_bundle": "ca.pem"}
    assert table.run_keywords(table.given_by_name(given), "run") == {"verify": False}


def test_the_reports_record_the_tables_options() -> None:
    options = RunOptions(max_examples=3, spec=Path("s.yaml"), only=["auth.*"], resend=False)
    report = table.record(options, "report")
    assert report == {
        "max_examples": 3,
        "timeout": table.TIMEOUT,
        "rate": None,
        "only": ["auth.*"],
        "workers": table.WORKERS,
        "body_cap": table.BODY_CAP,
        "fuzz": True,
    }
    inputs = table.record(options, "inputs")
    assert inputs == report | {
        "spec": "s.yaml",
        "retry_cap": table.RETRY_CAP,
        "retry_budget": table.RETRY_BUDGET,
        "resend": False,
    }


# -- the same options, documented once -------------------------------------------------------
def _help_entries(text: str) -> dict[str, str]:
    """flag -> its help text, from an argparse --help (wrapped lines joined)."""
    entries: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^  (-[-\w]+)(.*?)(?:\s{2,}(\S.*))?$", line)
        if match:
            current = match.group(1)
            entries[current] = match.group(3) or ""
        elif current and line.startswith("    "):
            glue = "" if entries[current].endswith("-") else " "  # a word wrapped at its hyphen
            entries[current] = (entries[current] + glue + line.strip()).strip()
        else:
            current = None
    return entries


def test_run_plan_and_pytest_help_list_the_same_run_options(
    capsys: pytest.CaptureFixture[str], pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one line per option where the formatter allows
    helps = {}
    for command in ("run", "plan"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        helps[command] = _help_entries(capsys.readouterr().out)
    result = pytester.runpytest_inprocess("--help")
    pytest_help = {
        "--" + flag.removeprefix("--conformance-"): text
        for flag, text in _help_entries(result.stdout.str()).items()
        if flag.startswith("--conformance-")
    }
    run_options = {o.flag: o for o in OPTIONS if o.on("run") and o.target is not None}
    for face, entries in [*helps.items(), ("pytest", pytest_help)]:
        listed = {flag: text for flag, text in entries.items() if flag in run_options}
        assert set(listed) == set(run_options), face
        for flag, text in listed.items():  # the table's text, word for word
            assert " ".join(text.split()) == run_options[flag].help_text(), (face, flag)
    assert set(helps["run"]) - {"-h"} == set(helps["plan"]) - {"-h"}  # plan takes all of run's


def test_plan_for_the_reference_and_any_run_line(tmp_path: Path) -> None:
    """`plan --profile reference` still plans the bundled reference, with run flags before it."""
    from tests.commands import cli

    result = cli("plan", "--profile", "reference", "--only", "auth.*", "--seed", "3", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Plan for the bundled reference" in result.stdout and "nothing was sent" in result.stdout


# -- the README's option table is the table --------------------------------------------------
def _mark(option: Option, face: str) -> str:
    if not option.on(face):  # type: ignore[arg-type]
        return "–"
    if face == "api":
        if option.target is None:
            return "–"
        if option.action == "switch":
            return f"`{option.target}={option.sets}`"
        return f"`{option.target}=`"
    return "✓"


def _spelled(option: Option) -> str:
    """The CLI flag; the Python keyword for an option only the API has."""
    if any(option.on(face) for face in (*table.CLI_FACES, "pytest")):
        return option.flag
    return f"{option.target}={option.metavar or ''}"


def readme_table() -> str:
    """The README's option table, from conformance/options.py."""
    rows = [
        "| option | run | plan | rejudge | pytest | Python API | meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for option in OPTIONS:
        spelled = _spelled(option)
        spelled += f" {option.metavar}" if option.metavar and spelled.startswith("-") else ""
        spelled += f"`, `{option.short}" if option.short else ""
        marks = " | ".join(_mark(option, face) for face in table.FACES)
        rows.append(f"| `{spelled}` | {marks} | {option.help_text()} |")
    lacking: dict[str, list[str]] = {}
    for option in OPTIONS:
        if option.why_not:
            lacking.setdefault(option.why_not, []).append(f"`{_spelled(option)}`")
    notes = [f"- {', '.join(flags)}: {why}." for why, flags in lacking.items()]
    return "\n".join(rows) + "\n\nWhere a face lacks an option:\n\n" + "\n".join(notes)


def _readme_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- options:begin -->")
    end = readme.index("<!-- options:end -->")
    lines = readme[start:end].splitlines()[1:]
    return "\n".join(line.removeprefix("   ") for line in lines).strip()


def test_the_readme_option_table_is_the_table() -> None:
    assert _readme_section() == readme_table(), "regenerate it: tests/faces/test_options.py"
