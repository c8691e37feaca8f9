"""The pacer: a 429 lowers the pace to what the provider admitted, never on no evidence."""

from __future__ import annotations

from conformance.http.pace import Pacer


def test_a_429_with_no_recent_answer_leaves_the_pace_alone() -> None:
    pacer = Pacer()
    pacer.back_off(0.0)
    assert pacer.pace is None


def test_a_429_after_answers_sets_a_pace_below_what_was_admitted() -> None:
    pacer = Pacer()
    for _ in range(10):
        pacer.answered()
    pacer.back_off(0.0)
    # 10 answers within (at most) the 0.5 s floor of the window: 20/s admitted, 80% of it
    assert pacer.pace is not None and 0.5 <= pacer.pace <= 16.0
    slower = pacer.pace
    pacer.back_off(0.0)
    assert pacer.pace <= slower  # a further 429 never speeds it up


def test_the_users_cap_applies_without_any_429() -> None:
    pacer = Pacer(rate=1000.0)
    pacer.wait_turn()
    pacer.wait_turn()
    assert pacer.pace is None and pacer.rate == 1000.0
