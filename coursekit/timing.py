"""Timing a function the way the notebooks and `benchmarks/` compare implementations."""

from time import perf_counter

from coursekit._arguments import positive_int


def best_time(function, repeats=5):
    """Returns the shortest of `repeats` timed calls of `function`, in seconds.

    `function` is called once first, untimed: the first call often pays for
    set-up (Keras builds its kernels, caches fill) that later calls skip. The
    minimum, not the mean, is the fairest estimate of what the code itself costs:
    other processes only ever make a run slower. Timings still depend on the
    machine and its load, so compare implementations by the ratio of times
    measured in one run, never by absolute numbers.

    Args:
        function: a function of no arguments, e.g. `lambda: conv2d(x, kernel)`.
        repeats: how many timed calls, at least 1.

    Returns:
        The best time in seconds, a float.

    Raises:
        ValueError: if `repeats` is not a positive int.

    Example:

    >>> seconds = best_time(lambda: sum(range(1000)), repeats=3)
    >>> 0 < seconds < 1
    True
    """
    repeats = positive_int(repeats, "repeats")
    function()
    times = []
    for _ in range(repeats):
        start = perf_counter()
        function()
        times.append(perf_counter() - start)
    return min(times)
