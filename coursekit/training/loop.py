"""`fit`: `keras.Model.fit` with the profile's sizes, progress, early stopping and scale-out.

`fit` adds to Keras's own training loop; it does not replace it. It picks epochs and
batch size from the run profile, shows progress (live curves in a notebook, one line
per epoch elsewhere), stops early and restores the best weights, switches on mixed
precision and XLA where a GPU makes them pay, and trains under a `tf.distribute`
strategy when given one. Everything it adds is a Keras callback or a Keras setting.
"""

import contextlib
import dataclasses

import keras

from coursekit import environment, profiles
from coursekit.training.progress import EpochLog, LiveCurves, in_notebook

MIXED_PRECISION_POLICY = "mixed_float16"
PROGRESS_CHOICES = ("auto", "plot", "log", "none")


@dataclasses.dataclass(frozen=True)
class Acceleration:
    """Whether training uses mixed precision (float16 compute) and XLA compilation."""

    mixed_precision: bool
    jit_compile: bool


def acceleration(mixed_precision=None, jit_compile=None, has_gpu=None, backend=None):
    """Decides on mixed precision and XLA: on with a GPU, off on a CPU, unless told otherwise.

    On a GPU, float16 matrix products run on tensor cores at several times the
    float32 speed and XLA fuses small operations into fewer kernels. On a CPU,
    float16 arithmetic is emulated (slower than float32) and XLA's compile time
    rarely pays back for the small models a CPU trains. Two backend rules: JAX
    always compiles with XLA (without it, every operation runs eagerly), and
    PyTorch's `jit_compile` means `torch.compile`, which stays off unless asked for.

    Args:
        mixed_precision: `True` or `False` to decide yourself; `None` follows the GPU.
        jit_compile: the same for XLA.
        has_gpu: whether a GPU is present; `None` asks the Keras backend.
        backend: the Keras backend's name; `None` asks Keras.

    Returns:
        An `Acceleration`.

    Example:

    >>> acceleration(has_gpu=False, backend="tensorflow")
    Acceleration(mixed_precision=False, jit_compile=False)
    >>> acceleration(jit_compile=True, has_gpu=False, backend="tensorflow")
    Acceleration(mixed_precision=False, jit_compile=True)
    >>> acceleration(has_gpu=False, backend="jax")
    Acceleration(mixed_precision=False, jit_compile=True)
    """
    if has_gpu is None:
        has_gpu = bool(environment.gpu_names())
    backend = backend or keras.backend.backend()
    xla_pays = backend == "jax" or (backend == "tensorflow" and has_gpu)
    return Acceleration(
        mixed_precision=has_gpu if mixed_precision is None else bool(mixed_precision),
        jit_compile=xla_pays if jit_compile is None else bool(jit_compile),
    )


def fit(
    model,
    train,
    validation=None,
    profile=None,
    *,
    epochs=None,
    batch_size=None,
    patience=5,
    monitor="val_loss",
    mixed_precision=None,
    jit_compile=None,
    strategy=None,
    progress="auto",
    callbacks=(),
    **fit_kwargs,
):
    """Trains a model with `keras.Model.fit`, sized by the run profile.

    Mixed precision and a `tf.distribute` strategy must be in force when a model's
    weights are created. So `model` can be a function that builds and compiles the
    model: `fit` calls it inside `strategy.scope()` and under the mixed-precision
    policy, and restores the previous policy afterwards. With a strategy, a model
    object is accepted only if it was created inside that strategy's scope.

    Args:
        model: a compiled `keras.Model`, or a function of no arguments that builds
            and compiles one.
        train: `(x, y)` NumPy arrays (optionally `(x, y, sample_weight)`), or a
            batched `tf.data.Dataset` or `keras.utils.PyDataset` of such tuples.
        validation: validation data in the same forms, or `None`.
        profile: a `Profile`, a profile name, or `None` for the active profile.
        epochs: overrides the profile's epochs.
        batch_size: the global batch size for array inputs. By default the profile's
            batch size per replica: times `strategy.num_replicas_in_sync` with a
            strategy. Ignored for datasets, which are batched already.
        patience: epochs without improvement of `monitor` before training stops;
            the weights of the best epoch are restored at the end. `None` turns
            early stopping and the restore off. Needs validation data.
        monitor: the logged value early stopping watches (lower is better unless
            its name contains "acc").
        mixed_precision: `None` (on with a GPU when `model` is a function), `True`
            or `False`.
        jit_compile: XLA compilation: `None` (on with a GPU; always on with JAX),
            `True` or `False`.
        strategy: a `tf.distribute` strategy such as `MirroredStrategy` (several
            GPUs) or `MultiWorkerMirroredStrategy` (several machines), or `None`.
        progress: `"auto"` (curves in a notebook, a line per epoch elsewhere),
            `"plot"`, `"log"` or `"none"`.
        callbacks: more Keras callbacks.
        **fit_kwargs: passed on to `keras.Model.fit` (e.g. `class_weight`).

    Returns:
        The `keras.callbacks.History`; `history.model` is the trained model (the one
        built when `model` is a function).

    Raises:
        ValueError: for an unknown `progress`, an uncompiled model, a model built
            outside the strategy's scope, or mixed precision asked of a model that
            was already built without it.
        TypeError: if `model` is neither a model nor a function returning one.

    Example:

    >>> import numpy as np
    >>> def build():
    ...     model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "softmax")])
    ...     model.compile("adam", "sparse_categorical_crossentropy")
    ...     return model
    >>> x, y = np.random.rand(32, 4), np.arange(32) % 3
    >>> history = fit(build, (x, y), (x, y), "fast", epochs=2)  # doctest: +ELLIPSIS
    epoch 1/2 ...  loss ...  val_loss ...
    epoch 2/2 ...
    >>> len(history.history["loss"]), history.model is not build
    (2, True)
    """
    _check_progress(progress)
    profile = _profile(profile)
    settings = acceleration(mixed_precision, jit_compile)
    model = _build(model, strategy, _dtype_policy(settings.mixed_precision, mixed_precision, model))
    _set_jit_compile(model, settings.jit_compile)
    return model.fit(
        **_inputs(train),
        validation_data=validation,
        epochs=epochs or profile.epochs,
        callbacks=[*_added_callbacks(validation, patience, monitor, progress), *callbacks],
        verbose=0,
        **(_batching(train, batch_size, profile, strategy) | fit_kwargs),
    )


def _check_progress(progress):
    if progress not in PROGRESS_CHOICES:
        raise ValueError(f"`progress` must be one of {PROGRESS_CHOICES}. Received: {progress!r}")


def _profile(profile):
    """The `Profile` itself, or the one a name (or `None`, the active one) stands for."""
    return profile if isinstance(profile, profiles.Profile) else profiles.get_profile(profile)


def _dtype_policy(gpu_wants_mixed, mixed_precision, model):
    """The global dtype policy to build the model under, or `None` to leave it alone.

    Mixed precision when asked for (`mixed_precision=True`), or when a GPU makes it
    pay (`gpu_wants_mixed`) and `fit` builds the model itself: a model built before
    the call keeps the policy it was built with unless mixed precision is asked for.
    """
    asked_or_building = mixed_precision is not None or _is_builder(model)
    return MIXED_PRECISION_POLICY if gpu_wants_mixed and asked_or_building else None


def _set_jit_compile(model, jit_compile):
    """Switches XLA on or off, rebuilding the step functions: compiled ones keep the old setting."""
    if model.jit_compile == jit_compile:
        return
    model.jit_compile = jit_compile
    for make_function in (
        model.make_train_function,
        model.make_test_function,
        model.make_predict_function,
    ):
        make_function(force=True)


def _batching(train, batch_size, profile, strategy):
    """`model.fit`'s batching arguments: the global batch size for arrays; for a dataset
    (batched and shuffled in its own pipeline) no shuffling, unless the caller asks."""
    if not isinstance(train, tuple):
        return {"shuffle": False}
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    return {"batch_size": batch_size or profile.batch_size * replicas}


def _added_callbacks(validation, patience, monitor, progress):
    """The callbacks `fit` adds to the caller's: early stopping, then a progress report."""
    mode = "max" if "acc" in monitor else "min"
    stops_early = patience is not None and validation is not None
    added = [_early_stopping(monitor, mode, patience)] if stops_early else []
    shown = monitor if validation is not None else "loss"
    report = _progress_report(progress, shown, mode, stops_early)
    return added if report is None else [*added, report]


def _early_stopping(monitor, mode, patience):
    return keras.callbacks.EarlyStopping(
        monitor=monitor, mode=mode, patience=patience, restore_best_weights=True
    )


def _progress_report(progress, monitor, mode, stops_early):
    """Live curves in a notebook, one line per epoch elsewhere, or `None` for no report."""
    if progress == "auto":
        progress = "plot" if in_notebook() else "log"
    if progress == "plot":
        return LiveCurves(monitor, mode, stops_early)
    if progress == "log":
        return EpochLog()
    return None


def _inputs(train):
    """`model.fit`'s data arguments for `(x, y)`, `(x, y, sample_weight)` or a dataset."""
    if not isinstance(train, tuple):
        return {"x": train}
    if len(train) not in (2, 3):
        raise ValueError(
            "Training arrays must be (x, y) or (x, y, sample_weight). "
            f"Received: a tuple of {len(train)}"
        )
    return dict(zip(("x", "y", "sample_weight"), train, strict=False))


def _is_builder(model):
    return callable(model) and not isinstance(model, keras.Model)


def _build(model, strategy, policy):
    if isinstance(model, keras.Model):
        _require_created_in_scope(model, strategy)
        if policy is not None and model.dtype_policy.name != policy:
            raise ValueError(
                "Mixed precision must be on when the weights are created: pass a function "
                f"that builds the model, or build it under the {policy!r} dtype policy. "
                f"Received: a model with dtype policy {model.dtype_policy.name!r}"
            )
        built = model
    elif callable(model):
        scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
        with _global_dtype_policy(policy), scope:
            built = model()
        if not isinstance(built, keras.Model):
            raise TypeError(
                f"The model-building function must return a keras.Model. Received: {built!r}"
            )
    else:
        raise TypeError(
            "`model` must be a keras.Model or a function that builds one. "
            f"Received: model={model!r}"
        )
    if not built.compiled:
        raise ValueError(
            "Compile the model (model.compile(optimizer, loss, metrics)) before fit; with a "
            f"model-building function, compile it inside the function. Received: {built.name!r}"
        )
    return built


def _require_created_in_scope(model, strategy):
    if strategy is None or getattr(model, "distribute_strategy", None) is strategy:
        return
    raise ValueError(
        "A model trained with a tf.distribute strategy must be created in its scope: pass "
        "a function that builds and compiles the model (fit(build_model, ...)), or build "
        f"it under `with strategy.scope():`. Received: {model.name!r}, created outside the "
        f"scope of {type(strategy).__name__}"
    )


@contextlib.contextmanager
def _global_dtype_policy(policy):
    if policy is None:
        yield
        return
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
