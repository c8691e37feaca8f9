"""The HTML report in a real browser, from a real failing run with 600+ similar findings.

The provider answers every request with `text/plain` (and puts markup into its error
messages), and the profile's rate-limit burst sends 700 list requests to an unlimited
provider: one defect, seen hundreds of times, which every rendering must show as one grouped
entry with its true count. Headless Chromium loads the page (with and without JavaScript),
and the screenshot is kept as a test artifact (path printed; see reports/).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from conformance.reference import ReferenceConfig
from tests.commands import cli
from tests.faults import FAULTS, _chain, provider, rewrite
from tests.report.test_reports import hostile_and_echoing

# Every test here shares one module fixture's runs: under pytest-xdist they meet in one worker.
pytestmark = pytest.mark.xdist_group("report page big run")

ROOT = Path(__file__).resolve().parents[2]
BURST = 700
SCREENSHOT = ROOT / "reports" / "report-screenshot.png"


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("big")
    text_plain = next(f for f in FAULTS if f.rule == "response.content-type").wrap
    wrap = _chain(text_plain, rewrite(hostile_and_echoing))

    def burst(profile: dict) -> None:
        profile["rate_limit_probe"] = {"requests": BURST, "seconds": 1}

    with provider(folder, wrap, burst, ReferenceConfig(rate_limit=None)) as (_, profile):
        result = cli(
            "run",
            "--profile",
            str(profile),
            "--report-dir",
            str(folder / "out"),
            "--seed",
            "5",
            "--no-fuzz",
        )
    assert result.returncode == 1, result.stderr
    (folder / "console.txt").write_text(result.stdout)
    return folder / "out"


def biggest_group(report: dict) -> dict:
    groups = [g for g in report["groups"] if g["rule"] == "response.content-type"]
    return max(groups, key=lambda g: g["count"])


def test_the_report_counts_every_similar_finding_past_the_listing_cap(big) -> None:
    report = json.loads((big / "report.json").read_text())
    group = biggest_group(report)
    rule = next(r for r in report["rules"] if r["id"] == "response.content-type")
    assert group["count"] >= 600 and group["operation"] == "getConversations"
    listed = [f for f in report["findings"] if f["rule"] == "response.content-type"]
    assert len(listed) == 25 < group["count"]
    per_rule = sum(g["count"] for g in report["groups"] if g["rule"] == rule["id"])
    assert (
        per_rule == rule["failures"]
        and sum(g["count"] for g in report["groups"]) == (report["findings_total"])
    )


def test_summary_md_and_console_show_one_grouped_entry(big) -> None:
    report = json.loads((big / "report.json").read_text())
    count = biggest_group(report)["count"]
    summary = (big / "summary.md").read_text()
    assert summary.count(f"×{count} similar") == 1
    hint = next(r["hint"] for r in report["rules"] if r["id"] == "response.content-type")
    assert hint and hint in summary
    console = (big.parent / "console.txt").read_text()
    assert console.count(f"×{count} similar") == 1 and f"fix: {hint}" in console
    assert all(
        name in console for name in ("report.json", "junit.xml", "report.html", "summary.md")
    )


def browser(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    return subprocess.run(
        [chromium(), *flags, *args, page.as_uri()], capture_output=True, text=True, timeout=120
    )


def text_of(html: str) -> str:
    """The page's text as a reader sees it (tags dropped, entities decoded once)."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.mark.skipif(chromium() is None, reason="no Chromium found (Debian package chromium)")
def test_report_page_in_headless_chromium(big, tmp_path) -> None:
    report = json.loads((big / "report.json").read_text())
    page = big / "report.html"
    dom = browser(page, tmp_path, "--dump-dom")
    html = dom.stdout
    assert "</html>" in html, dom.stderr[-2000:]

    # The header: verdict and what was certified, when, by which suite and catalogue.
    header = html.split("</header>")[0]
    assert "Verdict: FAILED" in header
    target = report["target"]
    for label, value in [
        ("Manifest", target["manifest"]),
        ("Provider", target["base_url"]),
        ("Channel", target["channel"]),
        ("Suite", f"messaging-conformance {report['suite']['version']}"),
        ("Catalogue", report["catalogue"]["version"]),
        ("Date", report["started_at"]),
        ("Seed", "5"),
        ("Requests sent", str(report["requests"])),
    ]:
        assert re.search(rf"<dt>{label}</dt><dd>[^<]*{re.escape(value)}", header), label
    assert "<dt>Duration</dt>" in header

    # The order: failing MUST rules first (with rationale, hint, count and a link), failed
    # rules before passed ones in the table.
    main = html.split("</header>")[1]
    assert main.index('id="overview"') < main.index('id="fix-first"') < main.index('id="rules"')
    fix_first = main.split('id="fix-first"')[1].split("</section>")[0]
    rule = next(r for r in report["rules"] if r["id"] == "response.content-type")
    assert unescape(rule["rationale"]) in unescape(fix_first)
    assert unescape(rule["hint"]) in text_of(fix_first)
    assert 'href="#rule-response-content-type"' in fix_first
    statuses = re.findall(r'<tr data-level="\w+" data-status="(\w+)"', main)
    assert len(statuses) == len(report["rules"])
    assert statuses.index("passed") > max(i for i, s in enumerate(statuses) if s == "failed")

    # The grouping: one entry for 600+ similar findings, with its true count.
    group = biggest_group(report)
    section = main.split('id="rule-response-content-type"')[1].split("</section>")[0]
    entries = re.findall(r"<details id=\"g-([0-9a-f]+)\"", section)
    rule_groups = [g for g in report["groups"] if g["rule"] == "response.content-type"]
    assert len(entries) == len(rule_groups) < 20
    assert entries[0] == group["fingerprint"]
    assert section.count(f"×{group['count']} similar") == 1

    # Exchanges side by side, JSON pretty-printed and highlighted, curl with a copy button
    # (the script ran under the page's CSP).
    assert '<div class="exchange">' in section and 'class="j-key"' in section
    assert '<button class="copy" type="button">copy</button><pre class="curl">' in section
    assert 'class="filters"' in html

    # Provider text escaped exactly once: markup shows as text, never runs, never doubles.
    text = text_of(main)
    assert "<script>document.title='pwned'</script>" in text
    assert "pwned" not in html.split("<title>")[1].split("</title>")[0]
    for doubled in ("&amp;lt;", "&amp;gt;", "&amp;quot;", "&amp;#x27;", "&amp;amp;"):
        assert doubled not in html, doubled
    assert '"success": false' in text and '\\"' not in text
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert not [line for line in console if "rror" in line], console

    SCREENSHOT.parent.mkdir(exist_ok=True)
    browser(page, tmp_path, "--window-size=1280,2000", f"--screenshot={SCREENSHOT}")
    assert SCREENSHOT.exists() and SCREENSHOT.stat().st_size > 10_000
    print(f"screenshot of the report page: {SCREENSHOT}")


@pytest.mark.skipif(chromium() is None, reason="no Chromium found (Debian package chromium)")
def test_report_page_without_its_script_shows_everything(big, tmp_path) -> None:
    """A page whose script does not run (here: altered, so the CSP hash refuses it, which is
    also what a tampered or injected script meets) still shows every group and curl line."""
    html = (big / "report.html").read_text()
    assert "button.textContent = 'copy';" in html
    page = tmp_path / "report.html"
    page.write_text(html.replace("button.textContent = 'copy';", "button.textContent = 'c';"))
    dom = browser(page, tmp_path, "--dump-dom").stdout
    assert "</html>" in dom
    assert '<button class="copy"' not in dom  # the script was refused ...
    assert 'class="filters hidden"' in dom  # ... so its controls stay hidden
    report = json.loads((big / "report.json").read_text())
    group = biggest_group(report)
    # ... yet every group is there, expandable with details/summary, curl line included.
    assert f'<details id="g-{group["fingerprint"]}"' in dom and '<pre class="curl">' in dom
    assert dom.count("<details ") == html.count("<details ")


@pytest.mark.skipif(chromium() is None, reason="no Chromium found (Debian package chromium)")
def test_fix_first_cards_show_the_most_frequent_finding_inline(big, tmp_path) -> None:
    """The first screen holds what to act on: request line, expected and got, the curl line
    with its copy button; rules outside this run (not_applicable) come after judged ones."""
    report = json.loads((big / "report.json").read_text())
    html = browser(big / "report.html", tmp_path, "--dump-dom").stdout
    assert "</html>" in html
    fix_first = html.split('id="fix-first"')[1].split("</section>")[0]
    card = fix_first.split("<code>response.content-type</code>")[1].split('<div class="fix">')[0]
    group = biggest_group(report)
    example = next(f for f in report["findings"] if f["fingerprint"] == group["fingerprint"])
    request = example["request"]
    flat = " ".join(text_of(card).split())
    assert f"{request['method']} {request['url']}" in flat
    rule = next(r for r in report["rules"] if r["id"] == "response.content-type")
    assert f"Expected: {' '.join(rule['title'].split())}" in flat
    assert f"Got: {' '.join(group['message'].split())}" in flat
    total = sum(g["count"] for g in report["groups"] if g["rule"] == "response.content-type")
    assert f"Most frequent ({group['count']} of {total} finding(s)):" in flat
    curl = card.split('<button class="copy" type="button">copy</button><pre class="curl">')[1]
    assert unescape(curl.split("</pre>")[0]) == example["reproduce"]
    assert f'href="#g-{group["fingerprint"]}"' in card
    statuses = re.findall(r'<tr data-level="\w+" data-status="(\w+)"', html)
    judged = [i for i, s in enumerate(statuses) if s != "not_applicable"]
    assert "not_applicable" in statuses
    assert min(i for i, s in enumerate(statuses) if s == "not_applicable") > max(judged)
