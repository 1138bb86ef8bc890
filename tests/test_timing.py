"""coursekit.timing.best_time: one warm-up call, then the shortest of the timed calls."""

import itertools

import pytest

from coursekit import timing


def test_best_time_warms_up_once_then_returns_the_shortest_call(monkeypatch):
    # A fake clock: the timed calls take 5, 2 and 7 seconds.
    ticks = itertools.chain([0.0, 5.0], [10.0, 12.0], [20.0, 27.0])
    monkeypatch.setattr(timing, "perf_counter", lambda: next(ticks))
    calls = []
    assert timing.best_time(lambda: calls.append(1), repeats=3) == 2.0
    assert len(calls) == 4


@pytest.mark.parametrize("repeats", [0, -1, 2.5, True])
def test_best_time_needs_a_positive_number_of_repeats(repeats):
    with pytest.raises(ValueError, match=f"Received: repeats={repeats!r}"):
        timing.best_time(lambda: None, repeats=repeats)
