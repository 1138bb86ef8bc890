"""Looking at models without training them: counting weights that are never allocated,
and describing what a block-building function built, as plain data, for grading.

Keras is imported when these functions run, not when this module is imported.
"""

import copy
import functools
import math
import zlib

import numpy as np

from coursekit.grading.compare import mismatch

# A probe's batch of fixed inputs.
PROBE_BATCH = 2
_REPORTED = (
    ("output_shape", "the output shape (without the batch axis)"),
    ("trainable_params", "the number of trainable parameters"),
    ("non_trainable_params", "the number of non-trainable parameters"),
    ("output", "the output on a fixed input, with every weight set to a fixed value,"),
    (
        "output_batchnorm_zeroed",
        "the output when every batch normalisation outputs zeros (gamma = beta = 0),",
    ),
)
_ACTIVATION_LAYERS = {"ReLU": "relu", "Relu": "relu", "Softmax": "softmax", "Sigmoid": "sigmoid"}


def build_without_weights(build, *args, **kwargs):
    """Builds a model whose weights have shapes but no values: to count, not to run.

    `build(*args, **kwargs)` runs inside `keras.StatelessScope(initialize_variables=False)`,
    where Keras creates each variable with its shape and dtype and defers allocating
    its values. Parameter counts, output shapes and `coursekit.arithmetic.model_table`
    work on the model; calling it does not. VGG16 built this way takes a few
    megabytes instead of the 553 MB of its float32 weights.

    On the way out this calls `keras.utils.clear_session()`, so that nothing later
    initialises the deferred weights. That also restarts Keras's layer-name counters
    and its global seed: call `keras.utils.set_random_seed` again before training.

    Args:
        build: a function returning a `keras.Model`.
        *args, **kwargs: passed to `build`.

    Returns:
        The model.

    Example:

    >>> from coursekit.models import vgg16
    >>> build_without_weights(vgg16).count_params()
    138357544
    """
    import keras

    with keras.StatelessScope(initialize_variables=False):
        model = build(*args, **kwargs)
    keras.utils.clear_session()
    return model


def probe(function, input_shape, *args, **kwargs):
    """Calls a block-building function on a Keras input and describes what it built.

    `function(x, *args, **kwargs)` is called on `x = keras.Input(input_shape)` and must
    return the block's output tensor. What it built is reduced to plain data, the same
    way for a student's function, the reference and a hint's wrong function, so that
    answers that are Keras tensors can be compared across processes:

    - `"output_shape"`: the output's shape without the batch axis;
    - `"trainable_params"`, `"non_trainable_params"`: the weights' sizes (batch
      normalisation's moving mean and variance are non-trainable);
    - `"output"`: the output, in float64, for a fixed batch of `PROBE_BATCH` inputs,
      with every weight set to fixed values that depend only on its kind (kernel, bias,
      gamma, ...) and shape, so that the order in which layers are created does not
      matter; in inference mode;
    - `"output_batchnorm_zeroed"`: the same with every batch normalisation's gamma and
      beta set to zero: a residual block then reduces to its shortcut;
    - `"paths"`: every path from input to output as a tuple of layer descriptions
      (e.g. `"Conv2D 3x3 stride 2"`, `"relu"`, `"Add"`; an activation inside a layer
      is listed after it), sorted. Meant for blocks: a whole network has very many.

    The descriptions of coursekit's own functions (references, hints' wrong functions)
    are computed once per process and arguments: they depend on nothing else.

    Args:
        function: the function under test, `function(x, *args, **kwargs)`.
        input_shape: the input's shape without the batch axis.
        *args, **kwargs: the function's other arguments.

    Returns:
        A dict of the entries above.

    Raises:
        TypeError: when `function` does not return a Keras tensor.

    Example:

    >>> from coursekit.models import vgg_block
    >>> found = probe(vgg_block, (4, 4, 3), 8, 1)
    >>> found["output_shape"], found["trainable_params"], found["output"].shape
    ((2, 2, 8), 224, (2, 2, 2, 8))
    >>> found["paths"]
    (('Conv2D 3x3', 'relu', 'MaxPooling2D 2x2 stride 2'),)
    """
    if getattr(function, "__module__", "").startswith("coursekit."):
        key = (tuple(input_shape), args, tuple(sorted(kwargs.items())))
        return copy.deepcopy(_library_probe(function, *key))
    return _probe(function, input_shape, *args, **kwargs)


@functools.lru_cache(maxsize=512)
def _library_probe(function, input_shape, args, keyword_items):
    return _probe(function, input_shape, *args, **dict(keyword_items))


def _probe(function, input_shape, *args, **kwargs):
    import keras

    inputs = keras.Input(tuple(input_shape))
    outputs = function(inputs, *args, **kwargs)
    if not isinstance(outputs, keras.KerasTensor):
        raise TypeError(
            f"`{getattr(function, '__name__', 'the function')}` should return the block's "
            f"output tensor (a Keras tensor). Received: {type(outputs).__name__}"
        )
    model = keras.Model(inputs, outputs)
    x = _fixed_values("input", (PROBE_BATCH, *input_shape))
    _set_fixed_weights(model)
    output = _run(model, x)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            for variable in (layer.gamma, layer.beta):
                if variable is not None:
                    variable.assign(np.zeros(variable.shape))
    return {
        "output_shape": tuple(int(size) for size in outputs.shape[1:]),
        "trainable_params": _size(model.trainable_weights),
        "non_trainable_params": _size(model.non_trainable_weights),
        "output": output,
        "output_batchnorm_zeroed": _run(model, x),
        "paths": tuple(sorted(_paths(model))),
    }


def compare_probes(got, expected):
    """Why a student's probed block differs from the reference's, or `None`.

    Compares the output shape, the parameter counts and both outputs (not the layer
    paths: equivalent blocks may be built from different layers); when they differ
    and the paths differ too, the message shows both.

    Example:

    >>> from coursekit.models import vgg_block
    >>> expected = probe(vgg_block, (4, 4, 3), 8, 2)
    >>> compare_probes(probe(vgg_block, (4, 4, 3), 8, 2), expected) is None
    True
    >>> print(compare_probes(probe(vgg_block, (4, 4, 3), 8, 1), expected))
    ... # doctest: +NORMALIZE_WHITESPACE
    the number of trainable parameters should be 808, but it is 224.
    Your block, input to output: Conv2D 3x3 → relu → MaxPooling2D 2x2 stride 2;
    expected: Conv2D 3x3 → relu → Conv2D 3x3 → relu → MaxPooling2D 2x2 stride 2.
    """
    if not isinstance(got, dict):
        return mismatch(got, expected)
    for key, where in _REPORTED:
        problem = mismatch(got.get(key), expected[key], where)
        if problem:
            return problem + _path_difference(got.get("paths"), expected["paths"])
    return None


def _path_difference(got, expected):
    if got == expected or not isinstance(got, tuple):
        return ""

    def show(paths):
        return "; ".join(" → ".join(path) or "(the input itself)" for path in paths)

    return f" Your block, input to output: {show(got)}; expected: {show(expected)}."


def _run(model, x):
    from keras import ops

    return np.asarray(ops.convert_to_numpy(model(x, training=False)), dtype=np.float64)


def _size(weights):
    return int(sum(math.prod(weight.shape) for weight in weights))


def _set_fixed_weights(model):
    for variable in model.weights:
        values = _fixed_values(variable.name, tuple(variable.shape))
        variable.assign(values.astype(variable.dtype))


def _fixed_values(kind, shape):
    """Values that depend only on `kind` and `shape`: He-scaled kernels, positive scales
    and variances, small shifts."""
    rng = np.random.default_rng(zlib.crc32(f"{kind}{shape}".encode()))
    if kind == "kernel":
        fan_in = math.prod(shape[:-1]) or 1
        return rng.normal(size=shape) * math.sqrt(2.0 / fan_in)
    if kind in ("gamma", "moving_variance"):
        return rng.uniform(0.5, 1.5, size=shape)
    if kind == "input":
        return rng.normal(size=shape)
    return rng.normal(size=shape) * 0.1


def _paths(model):
    """Every input-to-output path of a functional model, as tuples of descriptions."""
    import keras

    producers = {}
    for operation in model.operations:
        for tensor in keras.tree.flatten(operation.output):
            producers[id(tensor)] = operation

    def paths_to(operation):
        if isinstance(operation, keras.layers.InputLayer):
            return [()]
        here = _describe(operation)
        found = []
        for tensor in keras.tree.flatten(operation.input):
            if id(tensor) in producers:
                found.extend(path + here for path in paths_to(producers[id(tensor)]))
        return found

    return paths_to(producers[id(model.outputs[0])])


def _describe(operation):
    """A layer as a short canonical text: equivalent layers get the same description."""
    kind = type(operation).__name__
    if kind in _ACTIVATION_LAYERS:
        return (_ACTIVATION_LAYERS[kind],)
    if kind == "Activation":
        return (_activation_name(operation.activation),)
    text = kind
    window = getattr(operation, "kernel_size", None) or getattr(operation, "pool_size", None)
    if window is not None:
        text += " " + "x".join(map(str, window))
        strides = tuple(getattr(operation, "strides", None) or ())
        if any(step != 1 for step in strides):
            steps = strides[:1] if len(set(strides)) == 1 else strides
            text += " stride " + "x".join(map(str, steps))
    activation = getattr(operation, "activation", None)
    if activation is None or _activation_name(activation) == "linear":
        return (text,)
    return (text, _activation_name(activation))


def _activation_name(activation):
    return getattr(activation, "__name__", type(activation).__name__)
