"""Reference gradients from the active Keras backend's own autodiff.

The scratch backward passes are checked against what TensorFlow, JAX or PyTorch
differentiate, whichever backend Keras runs on (`KERAS_BACKEND`), so the same tests
check the course on every backend.
"""

import keras
import numpy as np


def vjp(function, *inputs):
    """Runs `function(*inputs)` and returns its output and a pullback.

    Args:
        function: a function of backend tensors built from Keras layers or `keras.ops`.
        *inputs: NumPy arrays.

    Returns:
        `(outputs, pullback)`: the output as a NumPy array, and a function that maps an
        upstream gradient (a NumPy array of the output's shape) to the gradients of
        `sum(outputs * upstream)` with respect to each input, as a list of NumPy arrays.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _tensorflow_vjp(function, inputs)
    if backend == "jax":
        return _jax_vjp(function, inputs)
    if backend == "torch":
        return _torch_vjp(function, inputs)
    raise NotImplementedError(f"No reference autodiff for the Keras backend {backend!r}")


def _tensorflow_vjp(function, inputs):
    import tensorflow as tf

    tensors = [tf.constant(value) for value in inputs]
    with tf.GradientTape(persistent=True) as tape:
        for tensor in tensors:
            tape.watch(tensor)
        outputs = function(*tensors)

    def pullback(upstream):
        gradients = tape.gradient(outputs, tensors, tf.constant(upstream, outputs.dtype))
        return [gradient.numpy() for gradient in gradients]

    return outputs.numpy(), pullback


def _jax_vjp(function, inputs):
    import jax
    import jax.numpy as jnp

    outputs, jax_pullback = jax.vjp(function, *[jnp.asarray(value) for value in inputs])

    def pullback(upstream):
        return [np.asarray(gradient) for gradient in jax_pullback(jnp.asarray(upstream))]

    return np.asarray(outputs), pullback


def _torch_vjp(function, inputs):
    import torch

    tensors = [torch.tensor(value, requires_grad=True) for value in inputs]
    outputs = function(*tensors)

    def pullback(upstream):
        gradients = torch.autograd.grad(outputs, tensors, torch.tensor(upstream), retain_graph=True)
        return [gradient.numpy() for gradient in gradients]

    return outputs.detach().numpy(), pullback


def layer_function(layer):
    """`layer` as a pure function of `(inputs, *trainable weights)`, for `vjp`.

    Example:

    >>> layer = keras.layers.Dense(2, dtype="float64")
    >>> layer.build((1, 3))
    >>> outputs, pullback = vjp(layer_function(layer), np.ones((1, 3)), *layer.get_weights())
    >>> [gradient.shape for gradient in pullback(np.ones((1, 2)))]
    [(1, 3), (3, 2), (2,)]
    """

    def call(inputs, *weights):
        outputs, _ = layer.stateless_call(list(weights), [], inputs)
        return outputs

    return call
