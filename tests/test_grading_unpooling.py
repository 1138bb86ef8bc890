"""max_pool2d_with_argmax and max_unpool2d compute what the pooling exercises ask for,
so a student's function built on them must not pass those exercises."""

from coursekit import grading, scratch
from coursekit.grading import run_check


def _exercise_id(target):
    return next(exercise.id for exercise in grading.exercises() if exercise.target == target)


def test_max_pool2d_built_on_the_argmax_version_does_not_pass():
    def max_pool2d(x, pool_size, strides=None, padding="valid"):
        return scratch.max_pool2d_with_argmax(x, pool_size, strides, padding)[0]

    assert not run_check(_exercise_id("max_pool2d"), max_pool2d).passed


def test_max_pool2d_backward_built_on_unpooling_does_not_pass():
    def max_pool2d_backward(grad_output, x, pool_size, strides=None, padding="valid"):
        _, indices = scratch.max_pool2d_with_argmax(x, pool_size, strides, padding)
        return scratch.max_unpool2d(grad_output, indices, x.shape)

    assert not run_check(_exercise_id("max_pool2d_backward"), max_pool2d_backward).passed
