"""The catalogue is the public interface: it must hold exactly the ids of RULES.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conformance.faces.cli import main
from conformance.rules import CATALOGUE, RULES, Level, select

SHARED_RULES = Path(__file__).resolve().parents[2] / "shared" / "RULES.md"


def catalogue_ids_from_rules_md() -> dict[str, str]:
    text = SHARED_RULES.read_text(encoding="utf-8")
    # The Channels API family is written with its ids in backticks.
    return dict(re.findall(r"^\| `?([a-z]+\.[a-z-]+)`? \| (MUST|SHOULD) \|", text, re.M))


@pytest.mark.skipif(not SHARED_RULES.exists(), reason="../shared/RULES.md not present")
def test_every_rules_md_id_is_in_the_catalogue_with_its_level() -> None:
    expected = catalogue_ids_from_rules_md()
    assert len(expected) >= 40
    assert {rid: RULES[rid].level.value for rid in expected if rid in RULES} == expected
    assert set(RULES) == set(expected)


def test_catalogue_entries_are_complete_and_unique() -> None:
    assert len({r.id for r in CATALOGUE}) == len(CATALOGUE)
    for rule in CATALOGUE:
        assert rule.title and rule.rationale and rule.source
        assert isinstance(rule.level, Level)


def test_every_rule_has_a_one_line_hint() -> None:
    """Reports put the hint next to each failure; a rule added without one is incomplete."""
    missing = [r.id for r in CATALOGUE if not r.hint.strip()]
    assert missing == []
    assert all("\n" not in r.hint and len(r.hint) <= 160 for r in CATALOGUE)


def test_catalogue_version_follows_what_the_rules_require() -> None:
    from dataclasses import replace

    from conformance.rules import catalogue_version

    version = catalogue_version()
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    changed = (replace(CATALOGUE[0], title="something else"), *CATALOGUE[1:])
    assert catalogue_version(changed) != version
    reworded = (replace(CATALOGUE[0], hint="other words"), *CATALOGUE[1:])
    assert catalogue_version(reworded) == version


def test_select_by_glob() -> None:
    assert {r.id for r in select(["error.*"])} == {r for r in RULES if r.startswith("error.")}
    assert select(None) == list(CATALOGUE)


def test_rules_command_lists_every_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert all(rule_id in out for rule_id in RULES)
    assert main(["rules", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in listed] == [r.id for r in CATALOGUE]
    assert [(r["rationale"], r["hint"]) for r in listed] == [
        (r.rationale, r.hint) for r in CATALOGUE
    ]
