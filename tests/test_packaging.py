"""The package is ready to publish: `python -m build` makes an sdist and a wheel (the wheel
built from the sdist, so the sdist is complete) and `twine check --strict` accepts both, as
the maintainers' release workflow (docs/ci/maintainers/release.yml) does in CI.

Build isolation fetches hatchling from the package index; nothing is uploaded anywhere.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_build_and_twine_check(tmp_path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    [wheel] = tmp_path.glob("*.whl")
    [sdist] = tmp_path.glob("*.tar.gz")
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("PASSED") == 2
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "conformance/report.schema.json",
        "conformance/render/groups.py",
        "conformance/specs/messaging-manifest.yaml",
    ):
        assert needed in names, needed
    assert any(n.endswith("entry_points.txt") for n in names)
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert not [m for m in members if "/reports/" in m and not m.endswith("README.md")]
