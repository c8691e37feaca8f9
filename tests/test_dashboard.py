"""aggregate: many providers' reports, one dashboard.

Unit tests over hand-made and synthetic reports (tests/dashboard_data.py); then a real
matrix: the CI recipes' own shell steps (docs/ci/*-matrix.yml) certify a conformant and a
faulty provider over two nights and aggregate them, and headless Chromium shows each
provider's verdict and trend. The 50 x 30 synthetic dashboard is checked in the browser too;
its timings are printed by bench/dashboard.py, not asserted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conformance.certificate import dsse
from conformance.dashboard import build, collect, family_status, provider_of
from conformance.dashboard.html import render_dashboard
from conformance.faces import cli
from tests import dashboard_data
from tests.faults import _chain, provider
from tests.report.test_report_page import browser, chromium
from tests.test_ci_recipes import CI, fault, shell, step


def hand_report(started: str, failing: set[str], **extra) -> dict:
    rules = [
        {"id": rule, "level": "MUST", "status": "failed" if rule in failing else "passed"}
        for rule in ("auth.required", "auth.wrong-credentials", "pagination.cursor-walk")
    ]
    verdict = "failed" if failing else "certified"
    return {
        "schema_version": 1,
        "verdict": verdict,
        "started_at": started,
        "rules": rules,
        "findings": [],
        **extra,
    }


def put(root: Path, where: str, report: dict) -> Path:
    path = root / where / "report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report))
    return path


# -- units --------------------------------------------------------------------------------
def test_family_cell_is_the_worst_status_of_its_rules() -> None:
    report = {
        "rules": [
            {"id": "auth.a", "status": "passed"},
            {"id": "auth.b", "status": "warning"},
            {"id": "channels.a", "status": "not_applicable"},
            {"id": "post.a", "status": "skipped"},
            {"id": "post.b", "status": "failed"},
        ]
    }
    assert family_status(report) == {
        "auth": "warning",
        "channels": "not_applicable",
        "post": "failed",
    }


def test_provider_is_the_first_folder_below_the_given_dir(tmp_path) -> None:
    assert provider_of(tmp_path, tmp_path / "acme" / "n1" / "report.json") == "acme"
    assert provider_of(tmp_path, tmp_path / "acme" / "report.json") == "acme"
    assert provider_of(tmp_path / "acme", tmp_path / "acme" / "report.json") == "acme"


def test_trend_is_new_fixed_persisting_from_the_diff_code(tmp_path) -> None:
    put(tmp_path, "acme/3", hand_report("2026-11-03T00:00:00Z", {"pagination.cursor-walk"}))
    put(tmp_path, "acme/1", hand_report("2026-11-01T00:00:00Z", {"auth.required"}))
    put(
        tmp_path,
        "acme/2",
        hand_report("2026-11-02T00:00:00Z", {"auth.required", "pagination.cursor-walk"}),
    )
    put(tmp_path, "zeta/1", hand_report("2026-11-01T00:00:00Z", set()))
    (tmp_path / "broken" / "x").mkdir(parents=True)
    (tmp_path / "broken" / "x" / "report.json").write_text("{")
    collected = collect([tmp_path])
    assert len(collected.problems) == 1 and "report is not JSON" in collected.problems[0]
    document = build(collected, tmp_path / "dash")
    acme, zeta = document["providers"]
    assert (acme["name"], acme["verdict"], zeta["name"], zeta["verdict"]) == (
        "acme",
        "failed",
        "zeta",
        "certified",
    )
    assert [(n["new"], n["fixed"], n["persisting"]) for n in acme["nights"]] == [
        (["auth.required"], [], []),
        (["pagination.cursor-walk"], [], ["auth.required"]),
        ([], ["auth.required"], ["pagination.cursor-walk"]),
    ]
    assert acme["families"] == {"auth": "passed", "pagination": "failed"}
    assert acme["nights"][0]["report"] == os.path.join("..", "acme", "1", "report.json")
    assert acme["nights"][0]["report_html"] is None


def test_certificate_beside_the_latest_report_gives_its_expiry(tmp_path) -> None:
    from conformance.certificate import issue
    from tests.test_certificate import NOW, hand_made_report

    key = dsse.generate(tmp_path / "k.key")[0]
    report = put(tmp_path, "runs/acme/1", hand_made_report())
    envelope = issue(report.read_bytes(), b"har", dsse.load_private(key), now=NOW)
    (report.parent / "certificate.json").write_text(json.dumps(envelope))
    put(tmp_path, "runs/other/1", hand_made_report(seed=8))
    (tmp_path / "runs/other/1/certificate.json").write_text(json.dumps(envelope))
    document = build(collect([tmp_path / "runs"]), tmp_path / "dash")
    acme, other = document["providers"]
    assert acme["certificate"] == {"expires_at": "2027-02-28T12:00:00Z", "covers_report": True}
    assert other["certificate"]["covers_report"] is False  # not this report's certificate
    page = render_dashboard(document)
    assert 'data-expires="2027-02-28T12:00:00Z">2027-02-28</td>' in page
    assert "2027-02-28 (another report)" in page


def test_provider_names_and_values_are_escaped(tmp_path) -> None:
    put(tmp_path, "<img src=x onerror=alert(1)>", hand_report("<b>t</b>", set()))
    page = render_dashboard(build(collect([tmp_path]), tmp_path / "d"))
    assert "<img" not in page and "<b>t" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_aggregate_without_reports_is_a_one_line_error(tmp_path, capsys) -> None:
    assert cli.main(["aggregate", str(tmp_path), "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "no readable report.json found" in err and err.count("\n") == 1
    assert cli.main(["aggregate", str(tmp_path / "nope")]) == 2
    assert "not a folder of reports" in capsys.readouterr().err


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    dashboard_data.write(root / "runs")
    assert cli.main(["aggregate", str(root / "runs"), "--out", str(root / "dashboard")]) == 0
    return root / "dashboard"


def test_fifty_providers_over_thirty_nights_stay_small(synthetic) -> None:
    document = json.loads((synthetic / "dashboard.json").read_text())
    assert len(document["providers"]) == 50
    assert all(len(p["nights"]) == 30 for p in document["providers"])
    assert (synthetic / "index.html").stat().st_size < 2_000_000
    assert (synthetic / "dashboard.json").stat().st_size < 3_000_000
    for p, entry in enumerate(document["providers"]):
        for n, night in enumerate(entry["nights"]):
            now, before = dashboard_data.failing(p, n), dashboard_data.failing(p, n - 1)
            assert set(night["new"]) == now - before, (p, n)
            assert set(night["fixed"]) == before - now, (p, n)
            assert set(night["persisting"]) == now & before, (p, n)


def rows(dom: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-provider="([^"]+)"[^>]*>(.*?)</tr>', dom, re.S))


@pytest.mark.skipif(chromium() is None, reason="no Chromium found (Debian package chromium)")
def test_fifty_providers_render_in_the_browser(synthetic, tmp_path) -> None:
    loaded = browser(synthetic / "index.html", tmp_path, "--dump-dom")
    dom = loaded.stdout
    assert "</html>" in dom, loaded.stderr[-2000:]
    shown = rows(dom)
    assert len(shown) == 50
    certified = [p for p in range(50) if not dashboard_data.failing(p, 29)]
    assert f"{len(certified)} of 50 provider(s) certified" in dom
    chosen = (0, 7, 8, 33, 49)
    assert {bool(dashboard_data.failing(p, 29)) for p in chosen} == {True, False}
    for p in chosen:
        row = shown[dashboard_data.name(p)]
        verdict = "failed" if dashboard_data.failing(p, 29) else "certified"
        assert f'<td class="verdict s-{verdict}">{verdict}</td>' in row, p
        nights = re.findall(r'data-new="(\d+)" data-fixed="(\d+)" data-persisting="(\d+)"', row)
        expected = [
            tuple(
                str(len(x))
                for x in (
                    dashboard_data.failing(p, n) - dashboard_data.failing(p, n - 1),
                    dashboard_data.failing(p, n - 1) - dashboard_data.failing(p, n),
                    dashboard_data.failing(p, n) & dashboard_data.failing(p, n - 1),
                )
            )
            for n in range(30)
        ]
        assert nights[:30] == expected and nights[30] == expected[-1], p  # + latest change


# -- a real matrix, through the recipes' own steps -----------------------------------------
def gitlab(job: str) -> str:
    return "\n".join(yaml.safe_load((CI / "gitlab-ci-matrix.yml").read_text())[job]["script"])


GITHUB = CI / "github-actions-matrix.yml"
FAST = ("--max-examples 100", "--max-examples 3")  # the one edit: keep test time down


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> Path:
    """Two nights of a conformant provider (`steady`, profile from a file) and a faulty one
    (`shaky`, profile from a secret / a File variable). Night 1 through the GitHub steps:
    shaky fails participants.exactly-two and response.content-type. Night 2 through the
    GitLab scripts: shaky fixed content-type and broke error.code-matches-status."""
    root = tmp_path_factory.mktemp("matrix")
    key, _ = dsse.generate(root / "signing.key")
    github_certify = step(GITHUB, "Certify one provider").replace(*FAST)
    gitlab_certify = gitlab("certify-provider").replace(*FAST)
    aggregate = step(GITHUB, "Aggregate")
    assert gitlab("aggregate") == aggregate
    nights = {
        "1001": _chain(fault("participants.exactly-two"), fault("response.content-type")),
        "1002": _chain(fault("participants.exactly-two"), fault("error.code-matches-status")),
    }
    agg = root / "aggregate"
    for night, shaky in nights.items():
        shutil.rmtree(agg / "runs", ignore_errors=True)  # a fresh job: only tonight's runs
        for name, wrap in (("steady", None), ("shaky", shaky)):
            work = root / f"{name}-{night}"
            with provider(work / "conformance" / "providers" / "p", wrap) as (_, profile):
                text = profile.read_text()
                if name == "steady":
                    (work / "conformance" / "providers" / "steady.yaml").write_text(text)
                    env = {}
                else:
                    env = {"PROFILE_shaky": str(profile)}
                if night == "1001":
                    env |= {"PROVIDER_PROFILE": text} if name == "shaky" else {}
                    env |= {"SIGNING_KEY": key.read_text(), "NIGHT": night}
                    result = shell(github_certify, work, PROVIDER=name, CI="true", **env)
                else:
                    env |= {"SIGNING_KEY": str(key), "CI_PIPELINE_ID": night}
                    result = shell(gitlab_certify, work, PROVIDER=name, CI="true", **env)
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            # the artifact: runs/ of every job, merged (download-artifact, GitLab's needs)
            shutil.copytree(work / "runs", agg / "runs", dirs_exist_ok=True)
        result = shell(aggregate, agg)
        assert result.returncode == 0, result.stdout + result.stderr
    return agg


def failed_in(folder: Path) -> set[str]:
    """The failing rules of a run, read straight from its report.json."""
    report = json.loads((folder / "report.json").read_text())
    return {r["id"] for r in report["rules"] if r["status"] == "failed"}


@pytest.mark.xdist_group("dashboard matrix")  # shares the module fixture `matrix`
@pytest.mark.slow
def test_matrix_certifies_the_conformant_provider_only(matrix) -> None:
    history = matrix / "history"
    assert sorted(p.name for p in (history / "steady").iterdir()) == ["1001", "1002"]
    assert (history / "steady" / "1002" / "certificate.json").exists()
    assert not (history / "shaky" / "1002" / "certificate.json").exists()
    assert (history / "shaky" / "1002" / "run.har").exists()


@pytest.mark.xdist_group("dashboard matrix")  # shares the module fixture `matrix`
def test_matrix_dashboard_data(matrix) -> None:
    document = json.loads((matrix / "dashboard" / "dashboard.json").read_text())
    shaky, steady = document["providers"]
    assert (shaky["name"], shaky["verdict"], steady["name"], steady["verdict"]) == (
        "shaky",
        "failed",
        "steady",
        "certified",
    )
    first, second = (failed_in(matrix / "history" / "shaky" / n) for n in ("1001", "1002"))
    assert {"participants.exactly-two", "response.content-type"} <= first
    assert "error.code-matches-status" in second - first
    assert "response.content-type" in first - second
    assert [(set(n["new"]), set(n["fixed"]), set(n["persisting"])) for n in shaky["nights"]] == [
        (first, set(), set()),
        (second - first, first - second, first & second),
    ]
    assert [n["verdict"] for n in steady["nights"]] == ["certified", "certified"]
    assert steady["certificate"]["covers_report"] is True and shaky["certificate"] is None


@pytest.mark.xdist_group("dashboard matrix")  # shares the module fixture `matrix`
@pytest.mark.skipif(chromium() is None, reason="no Chromium found (Debian package chromium)")
def test_matrix_dashboard_in_headless_chromium(matrix, tmp_path) -> None:
    page = matrix / "dashboard" / "index.html"
    loaded = browser(page, tmp_path, "--dump-dom")
    dom = loaded.stdout
    assert "</html>" in dom, loaded.stderr[-2000:]
    assert "1 of 2 provider(s) certified on their latest run" in dom
    shown = rows(dom)
    assert set(shown) == {"shaky", "steady"}
    shaky, steady = shown["shaky"], shown["steady"]
    assert '<td class="verdict s-failed">failed</td>' in shaky
    assert '<td data-family="participants" class="s-failed">FAIL</td>' in shaky
    assert '<td data-family="error" class="s-failed">FAIL</td>' in shaky
    assert '<td data-family="response" class="s-passed">ok</td>' in shaky
    assert '<td class="verdict s-certified">certified</td>' in steady
    assert "s-failed" not in steady
    first, second = (failed_in(matrix / "history" / "shaky" / n) for n in ("1001", "1002"))
    trend = re.findall(r'class="n v-(\w+)" title="([^"]*)"', shaky)
    assert [v for v, _ in trend] == ["failed", "failed"]
    assert f"{len(first)} new, 0 fixed, 0 persisting" in trend[0][1]
    latest = (
        f"{len(second - first)} new, {len(first - second)} fixed, {len(first & second)} persisting"
    )
    assert f"{latest} (new: " in trend[1][1] and "error.code-matches-status" in trend[1][1]
    assert "(fixed: " in trend[1][1] and "response.content-type" in trend[1][1]
    assert f">{latest}</td>" in shaky
    steady_trend = re.findall(r'class="n v-(\w+)" title="([^"]*)"', steady)
    assert [v for v, _ in steady_trend] == ["certified", "certified"]
    assert all("0 new, 0 fixed, 0 persisting" in t for _, t in steady_trend)
    assert re.search(r'class="cert" data-expires="[^"]+">\d{4}-\d\d-\d\d</td>', steady)
    assert '<td class="cert">none</td>' in shaky
    # every link to a run's report.html resolves inside the artifact (dashboard/ + history/)
    links = re.findall(r'href="([^"]+)"', dom)
    assert len(links) == 2 * 2 + 2 and all((page.parent / link).is_file() for link in links)
    console = [line for line in loaded.stderr.splitlines() if "CONSOLE" in line]
    assert not [line for line in console if "rror" in line], console
