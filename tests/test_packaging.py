"""The package is ready to publish: the README's release commands, run as printed, build an
sdist and a wheel (the wheel from the sdist, so the sdist is complete) that
`twine check --strict` accepts, as the maintainers' release workflow does in CI.

They run in a copy of the source tree, so dist/ is not left in the checkout. Build isolation
fetches hatchling from the package index; nothing is uploaded anywhere.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", ".tox", "reports", "dist", "build", "__pycache__", "*.egg-info", ".*cache"
)


def readme_release_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Releasing (maintainers)", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "no command block in the README's release section"
    return block.group(1).strip().splitlines()


def test_readme_release_commands_match_the_release_workflow() -> None:
    workflow = yaml.safe_load((ROOT / "docs/ci/maintainers/release.yml").read_text())
    runs = [s.get("run", "") for s in workflow["jobs"]["build"]["steps"]]
    for command in readme_release_commands():
        assert command.replace(".venv/bin/python", "python") in runs


@pytest.mark.slow
def test_build_and_twine_check_as_printed(tmp_path) -> None:
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    for command in readme_release_commands():
        # as printed, with this test run's interpreter for the README's .venv/bin/python
        assert command.startswith(".venv/bin/python -m ")
        done = subprocess.run(
            ["bash", "-c", command.replace(".venv/bin/python", sys.executable, 1)],
            cwd=source,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, command + "\n" + done.stdout[-3000:] + done.stderr[-3000:]
    [wheel] = (source / "dist").glob("*.whl")
    [sdist] = (source / "dist").glob("*.tar.gz")
    assert done.stdout.count("PASSED") == 2  # twine checked both
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "conformance/report/report.schema.json",
        "conformance/inputs/profile.schema.json",  # validates profiles; editors read it too
        "conformance/report/render/groups.py",
        "conformance/specs/messaging-manifest.yaml",
    ):
        assert needed in names, needed
    assert any(n.endswith("entry_points.txt") for n in names)
    with tarfile.open(sdist) as archive:
        assert not [m for m in archive.getnames() if "/reports/" in m]


def test_constraints_pin_every_declared_dependency_within_its_range() -> None:
    """constraints.txt (used by .ci/run, tox and the CI recipes) pins each of the suite's own
    dependencies, runtime and `test` extra, to one version pyproject.toml's range allows."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = map(Requirement, project["dependencies"] + project["optional-dependencies"]["test"])
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not pinned to one version: {line}"
            pins[canonicalize_name(name)] = version.strip()
    for requirement in declared:
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} is not in constraints.txt"
        assert requirement.specifier.contains(pinned), f"{requirement} excludes {pinned}"
    assert "messaging-conformance" not in pins  # the suite itself comes from the checkout


def test_ci_and_tox_install_with_the_constraints() -> None:
    assert "-c constraints.txt" in (ROOT / ".ci" / "run").read_text()
    assert "PIP_CONSTRAINT = {toxinidir}/constraints.txt" in (ROOT / "tox.ini").read_text()
