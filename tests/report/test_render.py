"""Renderings as pure functions of report.json: one grouping for HTML, Markdown, JUnit and
the console; provider text escaped once; old reports (no groups, no target) still render."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from html import unescape

from conformance import events as ev
from conformance.faces.console import ProgressPrinter, eta_text, summary
from conformance.report.render import render
from conformance.report.render.groups import group_findings, ordered_rules
from conformance.report.render.html import highlight_json
from conformance.rules import RULES


def rule(rule_id: str, status: str, failures: int = 0) -> dict:
    r = RULES[rule_id]
    return {
        "id": rule_id,
        "level": r.level.value,
        "title": r.title,
        "rationale": r.rationale,
        "hint": r.hint,
        "status": status,
        "checked": max(failures, 1),
        "failures": failures,
    }


def finding(rule_id: str, fp: str, message: str, body: str = '{"success": false}') -> dict:
    return {
        "rule": rule_id,
        "level": RULES[rule_id].level.value,
        "operation": "getConversations",
        "message": message,
        "fingerprint": fp,
        "request": {"method": "GET", "url": "http://127.0.0.1:1/c", "headers": {}},
        "response": {"status": 404, "headers": {}, "body": body, "elapsed_ms": 1.0},
        "reproduce": "curl -sS http://127.0.0.1:1/c",
    }


def report() -> dict:
    """A failed MUST with 642 copies of one defect (2 listed) and 1 of another, a warning,
    a pass and a skip, listed in catalogue order."""
    return {
        "schema_version": 1,
        "suite": {"name": "messaging-conformance", "version": "0.1.0"},
        "catalogue": {"version": "0123456789ab", "rules": 44},
        "target": {"manifest": "m.json", "base_url": "http://127.0.0.1:1/api/", "channel": "c1"},
        "verdict": "failed",
        "seed": 7,
        "strict": False,
        "started_at": "2026-11-26T07:00:00Z",
        "duration_s": 1.5,
        "requests": 700,
        "summary": {"passed": 1, "failed": 1, "warning": 1, "skipped": 1},
        "rules": [
            rule("manifest.schema", "passed"),
            rule("response.null-cursor", "warning", 1),
            rule("notfound.channel", "failed", 643),
            rule("delete.channel", "skipped"),
        ],
        "findings": [
            finding("notfound.channel", "b" * 16, "one other defect"),
            finding("notfound.channel", "a" * 16, 'got 200 "<b>x</b>"', '{"m": "<b>&</b>"}'),
            finding("notfound.channel", "a" * 16, 'got 200 "<b>y</b>"'),
            finding("response.null-cursor", "c" * 16, "cursor null"),
        ],
        "findings_total": 644,
        "groups": [
            {"rule": "notfound.channel", "fingerprint": "b" * 16, "operation": "getConversations",
             "message": "one other defect", "count": 1},
            {"rule": "notfound.channel", "fingerprint": "a" * 16, "operation": "getConversations",
             "message": 'got 200 "<b>x</b>"', "count": 642},
            {"rule": "response.null-cursor", "fingerprint": "c" * 16,
             "operation": "getConversations", "message": "cursor null", "count": 1},
        ],
    }  # fmt: skip


def test_grouping_orders_failed_must_first_and_largest_group_first() -> None:
    entries = group_findings(report())
    assert [e.rule["id"] for e in entries] == ["notfound.channel", "response.null-cursor"]
    first = entries[0]
    assert [(g.fingerprint[0], g.count, len(g.examples)) for g in first.groups] == [
        ("a", 642, 2),
        ("b", 1, 1),
    ]
    assert first.groups[0].example["message"] == 'got 200 "<b>x</b>"'
    statuses = [r["status"] for r in ordered_rules(report())]
    assert statuses == ["failed", "warning", "skipped", "passed"]


def test_grouping_of_an_old_report_counts_listed_findings() -> None:
    old = report()
    del old["groups"], old["target"], old["catalogue"]
    entries = group_findings(old)
    assert [g.count for g in entries[0].groups] == [2, 1]
    for fmt in ("html", "md", "junit", "json"):
        assert render(old, fmt)


def test_every_rendering_shows_the_same_grouped_count_and_hint() -> None:
    data = report()
    hint = RULES["notfound.channel"].hint
    md = render(data, "md")
    html = render(data, "html")
    console = summary(data)
    junit = render(data, "junit")
    for text in (md, unescape(re.sub(r"<[^>]+>", "", html)), console, junit):
        assert text.count("×642 similar") == 1
        assert hint in unescape(text)
    assert "<b>x</b>" not in md and "&lt;b&gt;x&lt;/b&gt;" in md


def test_html_escapes_provider_text_exactly_once() -> None:
    html = render(report(), "html")
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "&amp;lt;" not in html and "&amp;quot;" not in html
    body = highlight_json('{"m": "<b>&</b>", "n": [1, null]}')
    assert body.count('class="j-key"') == 2 and '<span class="j-lit">null</span>' in body
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in body and "&amp;amp;" not in body
    assert (
        unescape(re.sub(r"<[^>]+>", "", body))
        == '{\n  "m": "<b>&</b>",\n  "n": [\n    1,\n    null\n  ]\n}'
    )


def test_html_highlights_a_truncated_body_and_leaves_other_text_plain() -> None:
    cut = highlight_json('{"data": [{"id": "a"}, {"id": "b…[truncated]')
    assert '<span class="j-str">&quot;a&quot;</span>' in cut and cut.endswith("b…[truncated]")
    assert highlight_json("<h1>500</h1>") == "&lt;h1&gt;500&lt;/h1&gt;"


def test_html_header_names_target_suite_catalogue_and_run() -> None:
    header = render(report(), "html").split("</header>")[0]
    for label, value in [
        ("Manifest", "m.json"),
        ("Provider", "http://127.0.0.1:1/api/"),
        ("Channel", "c1"),
        ("Suite", "messaging-conformance 0.1.0"),
        ("Catalogue", "0123456789ab (44 rules)"),
        ("Date", "2026-11-26T07:00:00Z"),
        ("Duration", "1.5 s"),
        ("Seed", "7"),
        ("Requests sent", "700"),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in header


def test_junit_properties_name_the_target() -> None:
    root = ET.fromstring(render(report(), "junit"))
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["target.base_url"] == "http://127.0.0.1:1/api/"
    assert props["target.channel"] == "c1" and props["target.manifest"] == "m.json"
    assert props["catalogue.version"] == "0123456789ab"


def test_console_summary_names_all_four_report_files_and_colours_the_verdict(tmp_path) -> None:
    from conformance.report.render import FILENAMES

    paths = {fmt: tmp_path / name for fmt, name in FILENAMES.items()}
    text = summary(report(), paths, colour=True)
    assert "\x1b[1;31mFAILED\x1b[0m" in text
    assert all(str(path) in text for path in paths.values()) and len(paths) == 4
    assert "\x1b" not in summary(report(), paths)


def events(printer: ProgressPrinter, *emitted: ev.Event) -> list[str]:
    for event in emitted:
        printer(event)
    out = printer.out.getvalue()  # type: ignore[attr-defined]
    return [line.split("] ", 1)[1] for line in out.splitlines()]


def test_progress_marks_a_phase_by_its_findings_and_counts_failing_rules() -> None:
    lines = events(
        ProgressPrinter(io.StringIO()),
        ev.ManifestBound(7, 0),
        ev.StepStarted("scenarios", "auth"),
        ev.Finding("auth.required"),
        ev.Finding("auth.required"),
        ev.Finding("response.null-cursor"),
        ev.StepFinished("scenarios", "auth", 21),
        ev.StepStarted("scenarios", "fixtures"),
        ev.StepFinished("scenarios", "fixtures", 10),
    )
    assert lines[0].split() == (
        "manifest ✓ 7 endpoints bound, 0 finding(s) [failing rules: 0 (0 MUST)]".split()
    )
    assert "✗ 3 finding(s)" in lines[1] and "failing rules: 2 (1 MUST)" in lines[1]
    assert "✓  fixtures" in lines[2] and "failing rules: 2 (1 MUST)" in lines[2]


def test_progress_shows_fuzz_total_and_eta_and_requests_only_with_v() -> None:
    quiet = events(
        ProgressPrinter(io.StringIO()),
        ev.StepStarted("fuzzing", "generated requests"),
        ev.Request("GET", "http://x/c", 200, 0.003),
        ev.FuzzProgress(0, 300, "starting"),
        ev.FuzzProgress(50, 300, "getConversations (positive)"),
    )
    assert quiet[0].startswith("fuzzing   0/300 generated cases, ETA ?")
    assert re.match(r"fuzzing +50/300 generated cases, ETA \d+s$", quiet[1])
    verbose = events(ProgressPrinter(io.StringIO(), verbose=1), ev.Request("GET", "u", 200, 0.003))
    assert verbose == ["request   GET u -> 200 in 3 ms"]
    assert eta_text(10.0, 50, 300) == "ETA 50s" and eta_text(1.0, 300, 300) == "ETA 0s"


def test_live_progress_marks_phases_and_shows_the_fuzz_bar() -> None:
    from conformance.faces.console import LiveProgress

    out = io.StringIO()
    live = LiveProgress(out)
    live.console.width = 120
    for event in [
        ev.ManifestBound(7, 0),
        ev.StepStarted("scenarios", "auth"),
        ev.Finding("auth.required"),
        ev.Finding("auth.required"),
        ev.Finding("response.null-cursor"),
        ev.StepFinished("scenarios", "auth", 21),
        ev.StepStarted("fuzzing", "generated requests"),
        ev.FuzzProgress(0, 300, "starting"),
        ev.Request("GET", "u", 200, 0.003),
        ev.FuzzProgress(300, 300, "getTemplates (negative)"),
        ev.StepFinished("fuzzing", "generated requests", 280),
    ]:
        live(event)
    live.close()
    text = out.getvalue()
    assert "✓ manifest: 7 endpoints bound" in text
    assert re.search(r"✗ 3 +scenarios: auth", text)
    assert re.search(r"✓ +fuzzing: generated requests .*300/300", text)
    assert "failing rules: 2 (1 MUST)" in text
    assert "GET u -> 200" not in text  # requests only with -v


def test_baseline_diff_knows_fingerprints_past_the_listing_cap() -> None:
    """A defect counted only in `groups` (every copy past the cap) is known to the next
    night's diff, and a new unlisted one is new (and a MUST regression under a known rule)."""
    from conformance.report.baseline import diff, fingerprints

    old = report()
    old["groups"].append(
        {"rule": "notfound.channel", "fingerprint": "d" * 16, "operation": "getConversations",
         "message": "unlisted", "count": 30}
    )  # fmt: skip
    assert "d" * 16 in fingerprints(old)
    assert diff(old, old).new_findings == [] and not diff(old, old).regressed
    new = report()
    new["groups"].append(
        {"rule": "notfound.channel", "fingerprint": "e" * 16, "operation": "getConversations",
         "message": "another unlisted", "count": 3}
    )  # fmt: skip
    result = diff(old, new)
    assert [f["fingerprint"] for f in result.new_findings] == ["e" * 16]
    assert result.regressed and result.fixed_findings == 1


def test_run_notes_and_planned_writes_are_shown() -> None:
    data = {
        **report(),
        "notes": ["generated cases reduced from 25 to 5 <slow>"],
        "warnings": ["profile: sandbox missing"],
        "plan": {"steps": ["auth"], "writes": ["DELETE deleteChannelById once"]},
    }
    html = render(data, "html")
    notes = html.split('<section id="notes">')[1]
    assert "generated cases reduced from 25 to 5 &lt;slow&gt;" in notes
    assert "profile: sandbox missing" in notes and "Writes this run could make (1)" in notes
    assert "- generated cases reduced from 25 to 5 &lt;slow&gt;" in render(data, "md")
    assert '<section id="notes">' not in render(report(), "html")


def test_html_shows_at_most_a_hundred_groups_per_rule() -> None:
    data = report()
    data["groups"] += [
        {"rule": "notfound.channel", "fingerprint": f"{i:016x}", "operation": "getConversations",
         "message": f"unique {i}", "count": 1}
        for i in range(150)
    ]  # fmt: skip
    html = render(data, "html")
    section = html.split('id="rule-notfound-channel"')[1].split("</section>")[0]
    assert section.count("<details ") == 100
    assert "52 more group(s) with 52 finding(s)" in section
