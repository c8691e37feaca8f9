"""Suite-wide test fixtures and reporting: the shared mutant runs, the mutation score."""

from __future__ import annotations

import contextlib
import importlib
import re
import signal
from collections.abc import Callable
from functools import cache

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """A shell starts background jobs with SIGINT ignored, and an ignored signal stays ignored
    in every child: the Ctrl-C tests' subprocesses would never see theirs. Handled (not
    ignored) here, it is back to the default in each child."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # The tests' own @given tests generate as the suite does (conformance.phases.fuzzing):
    # without hypothesis' pool of literals from "local" modules (so a fresh clone draws what a
    # warm checkout draws), and with its caches in the user's cache folder, not ./.hypothesis:
    # in a fresh clone every pytest process otherwise rebuilt hypothesis' unicode tables
    # (~2 s of CPU apiece) and collected those literals by parsing every module.
    from conformance.phases.fuzzing import hypothesis_home, no_local_constants

    session = contextlib.ExitStack()
    session.enter_context(no_local_constants())
    session.enter_context(hypothesis_home())
    config.add_cleanup(session.close)
    if not hasattr(config, "workerinput"):  # once, in the process that starts the workers
        _compile_the_package()
        _rewrite_the_tests(config)


def _compile_the_package() -> None:
    """The package's bytecode, written once before the xdist workers and the ~100 command
    processes the tests start: where PYTHONDONTWRITEBYTECODE is set (as on this project's
    machines) each of them compiled the modules it imports again, about 0.1 s of CPU
    apiece. Only the package's own `__pycache__` folders are written (git ignores them)."""
    import compileall
    from pathlib import Path

    import conformance

    compileall.compile_dir(Path(conformance.__file__).parent, quiet=2)


def _rewrite_the_tests(config: pytest.Config) -> None:
    """Each test module's assertion-rewritten code, cached once before the workers start.

    pytest reads a cached rewrite even where it may not write one (PYTHONDONTWRITEBYTECODE),
    so without this each of the eight workers rewrote all ~70 test modules itself, about
    1.7 s of CPU apiece, on two cores, before running a test. This uses pytest's private
    rewrite functions; if they change, nothing breaks: the workers rewrite as before.
    """
    from pathlib import Path

    try:
        from _pytest.assertion import rewrite

        state = config.stash[rewrite.assertstate_key]
        for source in sorted(Path(__file__).parent.rglob("*.py")):
            if not (source.name.startswith("test_") or source.name == "conftest.py"):
                continue
            pyc = rewrite.get_cache_dir(source) / (source.name[:-3] + rewrite.PYC_TAIL)
            if rewrite._read_pyc(source, pyc) is not None:
                continue
            source_hash, code = rewrite._rewrite_test(source, config)
            if rewrite.try_makedirs(pyc.parent):
                rewrite._write_pyc(state, code, source_hash, pyc)
    except Exception:  # noqa: BLE001 - only the speed of start-up is at stake
        return


@pytest.fixture(scope="session")
def mutant_run(tmp_path_factory: pytest.TempPathFactory) -> Callable:
    """`mutant_run(fault)`: the one run of that mutant in this process (tests/mutant_runs.py)."""
    from tests.mutant_runs import cache

    return cache(tmp_path_factory)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` (over ~10 s on a loaded run) are handed out first: pytest-xdist
    gives work in collection order, and a long test started last would end the run alone.
    Only the schedule changes: no test depends on another's order."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_xdist_make_scheduler(config, log):
    """Groups as `xdist_group` marks say, which xdist 3.8's own `--dist loadgroup` no longer
    does under pytest 9 (it renames node ids through an attribute pytest 9 dropped): the
    tests of one mutant run in one worker (one shared run, tests/mutant_runs.py), and so do
    the tests sharing a module fixture. Work is handed out in collection order (slow first)."""
    from xdist.scheduler import LoadScopeScheduling

    class Grouped(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    config.option.loadscopereorder = False
    return Grouped(config, log)


def xdist_scope(nodeid: str) -> str:
    """The group a test runs in: its mutant's (a test parametrized with a mutant name), its
    function's or module's `xdist_group` mark, else the test alone."""
    from tests.faults import FAULTS

    path, _, name = nodeid.partition("::")
    function, _, param = name.partition("[")
    param = param[:-1] if param.endswith("]") else param
    if param and param in {f.name for f in FAULTS}:
        return f"mutant {param}"
    marks = _marks(path, function)
    return next((m.args[0] for m in marks if m.name == "xdist_group" and m.args), nodeid)


@cache
def _marks(path: str, function: str) -> tuple:
    if not (path.startswith("tests/") and path.endswith(".py")):
        return ()
    try:
        module = importlib.import_module(path[:-3].replace("/", "."))
    except Exception:  # noqa: BLE001 - a module that does not import is grouped alone
        return ()
    found = getattr(module, "pytestmark", [])
    found = list(found) if isinstance(found, list) else [found]
    return tuple(found + list(getattr(getattr(module, function, None), "pytestmark", [])))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """The mutation score, from the reports of test_mutant_is_caught_by_its_rule: a mutant
    whose test passed was caught by its rule. Computed from the reports (not from state the
    test left behind) so it is right under pytest-xdist, whose controller runs no test."""
    try:
        from conformance.rules import RULES
        from tests.faults import FAULTS
    except ImportError:
        return
    reports = terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
    outcomes = {
        re.search(r"\[(.*)\](?:@[^\]]*)?$", r.nodeid).group(1): r.passed
        for r in reports
        if "test_mutant_is_caught_by_its_rule[" in r.nodeid and r.when == "call"
    }
    if not outcomes:
        return
    targeted = {f.rule for f in FAULTS if f.name in outcomes}
    caught = {f.rule for f in FAULTS if outcomes.get(f.name)}
    terminalreporter.write_line(
        f"mutation score: {len(caught)}/{len(targeted)} targeted rules caught "
        f"({100.0 * len(caught) / len(targeted):.0f}%); {len(outcomes)} mutants ran; "
        f"{len(targeted)} of {len(RULES)} catalogue rules targeted"
    )
