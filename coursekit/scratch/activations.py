"""The ReLU activation and its gradient in NumPy."""

import numpy as np

from coursekit._arguments import same_shape


def relu(x):
    """Returns `max(0, x)` element-wise, like `keras.activations.relu`.

    Args:
        x: an array of any shape.

    Returns:
        A new array of the shape and dtype of `x`.

    Example:

    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    x = np.asarray(x)
    return np.maximum(x, np.zeros((), dtype=x.dtype))


def relu_backward(grad_output, x):
    """Returns the gradient of a loss with respect to the input of `relu`.

    The derivative of ReLU is 1 where `x > 0` and 0 where `x < 0`, so the
    upstream gradient passes through unchanged where the input was positive and
    is blocked elsewhere. At `x == 0` the derivative is taken to be 0, as
    TensorFlow does.

    Args:
        grad_output: the gradient with respect to `relu(x)`.
        x: the input of the forward pass, of the same shape.

    Returns:
        An array shaped like `x`.

    Raises:
        ValueError: if the two shapes differ.

    Example:

    >>> relu_backward(np.array([5.0, 5.0, 5.0]), np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 5.])
    """
    grad_output, x = same_shape(grad_output, x, ("grad_output", "x"))
    return np.where(x > 0, grad_output, np.zeros((), dtype=grad_output.dtype))
