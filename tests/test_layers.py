"""The layering facts of DESIGN.md that the imports show, read from the source (ast), so
that a module which reaches up a layer fails here rather than in a review.

- The HTTP layer (client.py, pace.py, every module of http/) needs nothing from the judges in
  `checks/` (nor from phases/, faces/, report/), directly or through what it imports: the
  transport must not change when a rule does.
- Nothing below the faces imports the package face (`conformance/__init__.py`) for its names
  (`__version__` lives in `_version.py`): a face may import the layers, never the reverse.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"
FACES = {
    "conformance",
    "conformance.faces.cli",
    "conformance.faces.pytest_plugin",
}  # over conformance.run


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}

# The stages of DESIGN.md, lowest first: a module imports from its own layer or below, never
# above. Values are plain data every stage shares; the reference provider judges nothing and
# needs only itself; `*.cli` modules and `st_checks` (the rules registered into schemathesis)
# are faces of their own. Every module's docstring ends with "Stage: NAME." naming its layer.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "values",
        (
            "conformance._version",
            "conformance.errors",
            "conformance.text",
            "conformance.timestamps",
            "conformance.model",
            "conformance.rules",
            "conformance.ledger",
            "conformance.options",
            "conformance.events",
            "conformance.redact",
        ),
    ),
    ("inputs", ("conformance.inputs",)),
    ("http", ("conformance.http",)),
    ("checks", ("conformance.checks",)),
    ("reference", ("conformance.reference",)),
    ("report", ("conformance.report",)),
    ("phases", ("conformance.phases",)),
    ("plan", ("conformance.plan",)),
    ("run", ("conformance.runner", "conformance.judging", "conformance.rejudge")),
    ("channels", ("conformance.channels",)),
    ("certificate", ("conformance.certificate",)),
    ("dashboard", ("conformance.dashboard",)),
    ("faces", ("conformance.faces", "conformance.st_checks", "conformance.__main__")),
)


def _imports(module: str, *, top_level: bool = False) -> set[str]:
    """The conformance modules `module` imports anywhere (also inside functions), with the
    packages each import runs (importing a.b.c runs a/__init__ and a/b/__init__). The root
    package is left out: every import runs it, and at import time it runs only `_version`
    (test_importing_the_package_runs_only_the_version); `_face_names` covers what is taken
    from it."""
    found: set[str] = set()
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in tree.body if top_level else ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            names += [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {name for name in found if name in MODULES and name not in (module, "conformance")}


def _reached(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for name in _imports(todo.pop()) - seen:
            seen.add(name)
            todo.append(name)
    return seen


def _face_names(module: str) -> list[str]:
    """Names `module` takes from the package face: `from conformance import X` where X is
    not a submodule, and `import conformance` itself."""
    taken = []
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "conformance":
            taken += [a.name for a in node.names if f"conformance.{a.name}" not in MODULES]
        elif isinstance(node, ast.Import):
            taken += [a.name for a in node.names if a.name == "conformance"]
    return taken


def test_the_http_layer_imports_nothing_from_checks() -> None:
    for module in ("conformance.http.client", "conformance.http.pace"):
        reached = _reached(module)
        assert "conformance.timestamps" in reached or module == "conformance.http.pace"
        assert not {name for name in reached if name.startswith("conformance.checks")}, module
    above = ("conformance.checks", "conformance.phases", "conformance.faces", "conformance.report")
    http = [m for m in MODULES if m.startswith("conformance.http.")]
    assert {"conformance.http.transport", "conformance.http.policy"} <= set(http)
    for module in http:
        assert not {n for n in _reached(module) if n.startswith(above)}, module
    # the transport knows nothing of the suite; the manifest fetch and the client share it
    assert _reached("conformance.http.transport") == set()
    assert "conformance.http.transport" in _imports("conformance.http.fetch")
    assert "conformance.http.transport" in _imports("conformance.http.client")
    # the one retry_by parser is shared by the transport and the judge
    assert "conformance.timestamps" in _imports("conformance.checks.errors")


def test_nothing_below_the_faces_imports_the_package_face() -> None:
    offenders = {m: names for m in MODULES if m not in FACES and (names := _face_names(m))}
    assert offenders == {}
    for module in (
        "conformance.report.canonical",
        "conformance.report.har",
        "conformance.report.provenance",
    ):
        assert "conformance._version" in _imports(module)
    assert (
        _face_names("conformance.report.canonical") == []
        and _face_names("conformance.report.har") == []
    )


def layer_of(module: str) -> int:
    """The rank of `module`'s stage in LAYERS; a module no stage claims fails the test
    below, so a new module is placed on purpose."""
    if module == "conformance" or module.endswith(".cli"):
        return len(LAYERS) - 1
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{module} belongs to no stage: add it to LAYERS in tests/test_layers.py")


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = {
        (module, LAYERS[layer_of(module)][0], imported, LAYERS[layer_of(imported)][0])
        for module in MODULES
        for imported in _imports(module)
        if layer_of(imported) > layer_of(module)
    }
    assert upward == set()


def test_the_layer_check_catches_an_upward_import() -> None:
    """The check above is not vacuous: a judge importing the runner would be named."""
    assert layer_of("conformance.checks.flows") < layer_of("conformance.runner")
    assert layer_of("conformance.http.client") < layer_of("conformance.checks.errors")
    assert layer_of("conformance.channels.cli") == layer_of("conformance.faces.console")
    assert "conformance.faces.console" in _imports("conformance.channels.cli")


def test_every_module_docstring_names_its_stage() -> None:
    """A newcomer reading any module learns which stage it belongs to, and a module moved to
    another stage with its old docstring is caught: the last line says "Stage: NAME."."""
    wrong = {}
    for module, path in MODULES.items():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        expected = f"Stage: {LAYERS[layer_of(module)][0]}."
        last = doc.strip().splitlines()[-1] if doc.strip() else ""
        if last != expected:
            wrong[module] = (last, expected)
    assert wrong == {}


def test_importing_the_package_runs_only_the_version() -> None:
    """The face imports its layers lazily, inside run() and load_report()."""
    assert _imports("conformance", top_level=True) == {"conformance._version"}


def test_the_checks_catch_what_they_claim_to() -> None:
    """The readers above are not vacuous: they see the imports they must see."""
    assert "conformance.checks" in _imports("conformance.runner")
    assert "conformance.checks.errors" in _reached("conformance.runner")
    assert _face_names("conformance.faces.cli") == ["conformance"]  # the face calls conformance.run


def _names_taken(module: str) -> set[str]:
    """Every `from X import name` of `module` as `X.name` (also inside functions)."""
    taken = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            taken |= {f"{node.module}.{alias.name}" for alias in node.names}
    return taken


# What turns evidence into rule results and a verdict: only conformance.judging uses it.
JUDGING_TOOLS = {
    "conformance.checks.judge",
    "conformance.checks.flows.judge_step",
    "conformance.checks.status.Liveness",
    "conformance.inputs.manifest.capability_result",
    "conformance.ledger.verdict",
    "conformance.ledger.Ledger",
}


def test_a_run_and_its_rejudge_judge_through_the_one_judging_path() -> None:
    for module in ("conformance.runner", "conformance.rejudge"):
        assert "conformance.judging" in _imports(module)
        assert _names_taken(module) & JUDGING_TOOLS == set(), module
    assert JUDGING_TOOLS - {"conformance.ledger.Ledger"} <= _names_taken("conformance.judging")


def test_scenarios_gather_evidence_and_never_judge() -> None:
    """No scenario holds the ledger or calls a judge: what a rule expects is the check's,
    and what a scenario could not gather it says as a fact (Session.cannot_gather)."""
    scenarios = [m for m in MODULES if m.startswith("conformance.phases.scenarios.")]
    assert "conformance.phases.scenarios.access" in scenarios
    for module in scenarios:
        assert not _imports(module) & {"conformance.ledger", "conformance.judging"}, module
        assert not _names_taken(module) & JUDGING_TOOLS, module


def _readme_tree() -> dict[str, set[str]]:
    """The folders and files the README's "How the code is organised" tree names: a line
    whose first word ends in "/" opens a folder (nested by indentation); every `name.py` or
    `name.json` on a line belongs to the innermost open folder."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How the code is organised", 1)[1]
    block = section.split("```", 2)[1].split("\n", 1)[1]
    tree: dict[str, set[str]] = {}
    stack: list[tuple[int, str]] = []
    for line in block.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        first = line.split()[0]
        if first.endswith("/"):
            path = (stack[-1][1] if stack else "") + first
            stack.append((indent, path))
            tree.setdefault(path, set())
        names = re.findall(r"(?<![\w/.])(\w[\w.]*\.(?:py|json))\b", line)
        if names:
            tree[stack[-1][1]].update(names)
    return tree


def test_the_readme_tree_matches_the_package() -> None:
    listed = _readme_tree()
    actual: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*"):
        if "__pycache__" in path.parts or path.name.startswith("."):
            continue
        if path.is_dir():
            actual.setdefault(path.relative_to(PACKAGE.parent).as_posix() + "/", set())
        elif path.suffix in {".py", ".json"}:
            folder = path.parent.relative_to(PACKAGE.parent).as_posix() + "/"
            if path.name != "__init__.py" or folder == "conformance/":
                actual.setdefault(folder, set()).add(path.name)
    actual = {folder: names for folder, names in actual.items() if "/specs" not in folder}
    assert listed == actual
