"""Fuzzing: how generation is split up (what it sends is judged in the runner tests)."""

from __future__ import annotations


def test_fuzzing_runs_in_batches_with_their_own_seeds(monkeypatch) -> None:
    """Hypothesis grows costlier per case within one long run; batches keep it flat."""
    from conformance.phases import fuzzing

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


def test_generation_draws_no_local_constants_and_restores_the_pool() -> None:
    """Hypothesis' pool of literals from "local" modules (the suite's own fixture ids among
    them) depends on how the suite was started; the suite generates without it."""
    from hypothesis.internal.conjecture import providers

    from conformance.phases import fuzzing

    collector = providers._get_local_constants
    with fuzzing.no_local_constants():
        pool = providers._get_local_constants()
        assert not pool.strings and not pool.integers and not pool.floats and not pool.bytes
    assert providers._get_local_constants is collector  # a user's own tests keep theirs


def test_hypothesis_storage_goes_to_the_cache_not_the_working_directory(
    tmp_path, monkeypatch
) -> None:
    from hypothesis.configuration import storage_directory

    from conformance.phases import fuzzing

    monkeypatch.delenv(fuzzing.HOME_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    before = storage_directory("unicode_data", intent_to_write=False).path
    with fuzzing.hypothesis_home():
        inside = storage_directory("unicode_data", intent_to_write=False).path
    assert inside == tmp_path / "cache" / "messaging-conformance" / "hypothesis" / "unicode_data"
    assert storage_directory("unicode_data", intent_to_write=False).path == before
    monkeypatch.setenv(fuzzing.HOME_VARIABLE, str(tmp_path / "mine"))
    with fuzzing.hypothesis_home():  # the user's own choice wins
        assert storage_directory("x", intent_to_write=False).path == before.parent / "x"
