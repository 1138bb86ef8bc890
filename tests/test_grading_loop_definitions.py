"""A student's function that calls a loop definition of coursekit.scratch must not pass.

`conv2d_loops`, `max_pool2d_loops`, ... compute exactly what the exercises ask for, so
the grading tripwire has to catch them as it catches the vectorised references.
"""

import pytest

from coursekit import grading, scratch
from coursekit.grading import run_check

LOOP_DEFINITIONS = {
    "conv2d": scratch.conv2d_loops,
    "conv2d_backward": scratch.conv2d_backward_loops,
    "max_pool2d": scratch.max_pool2d_loops,
    "max_pool2d_backward": scratch.max_pool2d_backward_loops,
    "avg_pool2d": scratch.avg_pool2d_loops,
    "avg_pool2d_backward": scratch.avg_pool2d_backward_loops,
}
EXERCISES = [
    (exercise.id, exercise.target)
    for exercise in grading.exercises()
    if exercise.target in LOOP_DEFINITIONS
]


def test_every_loop_definition_with_an_exercise_is_covered():
    assert {target for _, target in EXERCISES} >= {"conv2d", "max_pool2d", "conv2d_backward"}


@pytest.mark.parametrize(("exercise_id", "target"), EXERCISES)
def test_calling_the_loop_definition_does_not_pass_the_exercise(exercise_id, target):
    definition = LOOP_DEFINITIONS[target]
    result = run_check(exercise_id, lambda *args, **kwargs: definition(*args, **kwargs))
    assert not result.passed
