"""Fuzzing: how generation is split up (what it sends is judged in the runner tests)."""

from __future__ import annotations


def test_fuzzing_runs_in_batches_with_their_own_seeds(monkeypatch) -> None:
    """Hypothesis grows costlier per case within one long run; batches keep it flat."""
    from conformance import fuzzing

    batches: list[tuple[int, int]] = []
    monkeypatch.setattr(
        fuzzing,
        "_batch",
        lambda session, op, mode, strategy, examples, seed: (
            batches.append((examples, seed)) or examples
        ),
    )
    options = fuzzing.FuzzOptions(max_examples=2 * fuzzing.BATCH + 7, seed=100)
    sent = fuzzing._run(None, "getTemplates", "positive", None, options)  # type: ignore[arg-type]
    assert sent == options.max_examples
    assert [n for n, _ in batches] == [fuzzing.BATCH, fuzzing.BATCH, 7]
    assert len({s for _, s in batches}) == 3
