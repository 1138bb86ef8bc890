"""coursekit.training: fit around keras.Model.fit, evaluation, test-time augmentation."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest

from coursekit import profiles, scratch, training
from coursekit.training import progress


def build_classifier(num_features=6, num_classes=3, optimizer="adam", metrics=("accuracy",)):
    model = keras.Sequential(
        [
            keras.Input((num_features,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=list(metrics))
    return model


@pytest.fixture
def blobs():
    """Three separable clusters: 120 training and 30 validation examples."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 6)) * 3
    labels = np.arange(150) % 3
    features = (centres[labels] + rng.normal(size=(150, 6))).astype("float32")
    keras.utils.set_random_seed(0)
    return (features[:120], labels[:120]), (features[120:], labels[120:])


def test_fit_takes_epochs_and_batch_size_from_the_profile(blobs):
    train, validation = blobs
    fast = profiles.get_profile("fast")
    history = training.fit(build_classifier(), train, validation, "fast", progress="none")
    assert len(history.history["loss"]) == fast.epochs
    assert history.params["steps"] == -(-len(train[0]) // fast.batch_size)
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_fit_accepts_a_batched_dataset_and_overrides(blobs):
    import tensorflow as tf

    train, validation = blobs
    dataset = tf.data.Dataset.from_tensor_slices(train).batch(10)
    history = training.fit(build_classifier(), dataset, validation, epochs=3, progress="none")
    assert len(history.history["loss"]) == 3 and history.params["steps"] == 12


def test_fit_builds_the_model_from_a_function_and_returns_it(blobs):
    train, _ = blobs
    history = training.fit(build_classifier, train, profile="fast", progress="none")
    assert isinstance(history.model, keras.Model)
    iterations = keras.ops.convert_to_numpy(history.model.optimizer.iterations)
    assert iterations == 2 * 2  # 2 epochs of 2 steps


def test_fit_passes_sample_weights_on(blobs):
    (x, y), _ = blobs
    ignored = np.zeros(len(x), "float32")  # every example weighted 0: a zero loss
    history = training.fit(build_classifier(), (x, y, ignored), profile="fast", progress="none")
    assert history.history["loss"] == [0.0, 0.0]
    with pytest.raises(ValueError, match="a tuple of 1"):
        training.fit(build_classifier(), (x,), profile="fast", progress="none")


def test_fit_writes_one_line_per_epoch_outside_notebooks(blobs, capsys):
    train, validation = blobs
    training.fit(build_classifier(), train, validation, "fast", epochs=3)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
    assert all("loss" in line and "val_accuracy" in line for line in lines)


def test_fit_draws_live_curves_in_a_notebook(blobs, monkeypatch):
    shown, updates = [], []

    class Handle:
        def update(self, figure):
            updates.append(figure)

    def display(figure):
        # Drawn off pyplot: the inline backend must not show it again when the cell ends.
        assert plt.get_fignums() == []
        shown.append(figure)
        return Handle()

    monkeypatch.setattr(progress, "_display_figure", display)
    monkeypatch.setattr(training.loop, "in_notebook", lambda: True)
    train, validation = blobs
    training.fit(build_classifier(), train, validation, "fast", epochs=3)
    assert len(shown) == 1  # one figure, updated in place
    assert len(updates) == 3  # epochs 2 and 3, then the final caption
    figure = shown[0]
    assert [axis.get_title() for axis in figure.axes] == ["loss", "accuracy"]
    training_line, validation_line = figure.axes[0].lines[:2]
    assert len(training_line.get_xdata()) == len(validation_line.get_xdata()) == 3
    assert "best validation loss, whose weights the model keeps" in figure.texts[-1].get_text()


def test_run_status_shows_one_line_per_run_updated_every_epoch(blobs, monkeypatch):
    shown = []

    class Handle:
        def update(self, text):
            shown.append(repr(text))

    def display(text):
        shown.append(text)
        return Handle()

    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(progress, "_display_text", display)
    train, validation = blobs
    model = build_classifier()
    training.fit(
        model,
        train,
        validation,
        "fast",
        epochs=3,
        progress="none",
        callbacks=[training.RunStatus()],
    )
    assert len(shown) == 4  # the start, then one update per epoch, in the same output
    assert shown[0] == "Adam, learning rate 0.001: training, 3 epochs"
    assert shown[-1].startswith("Adam, learning rate 0.001: 3/3 epochs in ")
    assert "val_loss" in shown[-1]


def test_run_status_prints_one_line_per_run_outside_notebooks(blobs, capsys):
    train, validation = blobs
    for label in ("first", "second"):
        training.fit(
            build_classifier(),
            train,
            validation,
            "fast",
            epochs=2,
            progress="none",
            callbacks=[training.RunStatus(label)],
        )
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["first", "second"]
    assert all("2/2 epochs" in line and "val_accuracy" in line for line in lines)


def test_early_stopping_restores_the_weights_of_the_best_epoch(blobs):
    train, (x_val, y_val) = blobs
    # Validation labels that disagree with training: the validation loss rises.
    misleading = (x_val, (y_val + 1) % 3)
    snapshots = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights())
    )
    model = build_classifier(optimizer=keras.optimizers.Adam(0.05))
    history = training.fit(
        model, train, misleading, "fast", epochs=30, patience=2, callbacks=[record], progress="none"
    )
    losses = history.history["val_loss"]
    best = int(np.argmin(losses))
    assert len(losses) == best + 3 < 30  # stopped two epochs after the best one
    for restored, saved in zip(model.get_weights(), snapshots[best], strict=True):
        np.testing.assert_array_equal(restored, saved)
    assert not np.array_equal(model.get_weights()[0], snapshots[-1][0])


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"has_gpu": False, "backend": "tensorflow"}, (False, False)),
        ({"has_gpu": True, "backend": "tensorflow"}, (True, True)),
        ({"mixed_precision": False, "has_gpu": True, "backend": "tensorflow"}, (False, True)),
        ({"jit_compile": True, "has_gpu": False, "backend": "tensorflow"}, (False, True)),
        ({"has_gpu": False, "backend": "jax"}, (False, True)),
        ({"has_gpu": True, "backend": "torch"}, (True, False)),
    ],
)
def test_acceleration_follows_the_gpu_and_the_backend(arguments, expected):
    assert training.acceleration(**arguments) == training.Acceleration(*expected)


def test_mixed_precision_and_xla_can_be_forced(blobs):
    train, _ = blobs
    history = training.fit(
        build_classifier,
        train,
        profile="fast",
        epochs=1,
        mixed_precision=True,
        jit_compile=True,
        progress="none",
    )
    model = history.model
    assert model.dtype_policy.name == "mixed_float16"
    assert model.jit_compile is True
    assert np.isfinite(history.history["loss"]).all()
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored


def test_fit_applies_its_xla_decision_to_a_model_compiled_otherwise(blobs):
    train, _ = blobs
    wanted = training.acceleration().jit_compile  # off on a CPU with TensorFlow
    model = build_classifier()
    model.jit_compile = not wanted
    training.fit(model, train, profile="fast", epochs=1, progress="none")
    assert model.jit_compile is wanted


class EarlyStoppingArguments(keras.callbacks.Callback):
    """Stands in for keras.callbacks.EarlyStopping and keeps the arguments it was given."""

    def __init__(self, **arguments):
        super().__init__()
        self.arguments = arguments


def fit_arguments(monkeypatch, train, validation=None, **options):
    """What training.fit hands to keras.Model.fit, recorded instead of training."""
    monkeypatch.setattr(keras.callbacks, "EarlyStopping", EarlyStoppingArguments)
    model = build_classifier()
    recorded = {}
    model.fit = lambda **arguments: recorded.update(arguments)
    training.fit(model, train, validation, "fast", **options)
    callbacks = recorded.pop("callbacks")
    return recorded, [type(callback).__name__ for callback in callbacks], callbacks


def test_fit_hands_keras_the_batching_of_arrays_and_of_datasets(blobs, monkeypatch):
    import tensorflow as tf

    train, validation = blobs
    fast = profiles.get_profile("fast")
    arrays, _, _ = fit_arguments(monkeypatch, train, validation, progress="none")
    assert arrays["batch_size"] == fast.batch_size and arrays["epochs"] == fast.epochs
    assert "shuffle" not in arrays
    assert fit_arguments(monkeypatch, train, progress="none", batch_size=7)[0]["batch_size"] == 7
    dataset = tf.data.Dataset.from_tensor_slices(train).batch(10)
    batched, _, _ = fit_arguments(monkeypatch, dataset, progress="none")
    assert batched["shuffle"] is False and "batch_size" not in batched
    assert fit_arguments(monkeypatch, dataset, progress="none", shuffle=True)[0]["shuffle"]


def test_fit_adds_early_stopping_then_progress_before_the_callers_callbacks(blobs, monkeypatch):
    train, validation = blobs
    mine = keras.callbacks.History()
    _, names, callbacks = fit_arguments(
        monkeypatch,
        train,
        validation,
        monitor="val_accuracy",
        patience=4,
        progress="log",
        callbacks=[mine],
    )
    assert names == ["EarlyStoppingArguments", "EpochLog", "History"] and callbacks[-1] is mine
    assert callbacks[0].arguments == {
        "monitor": "val_accuracy",
        "mode": "max",
        "patience": 4,
        "restore_best_weights": True,
    }
    assert fit_arguments(monkeypatch, train, validation, patience=None, progress="none")[1] == []
    assert fit_arguments(monkeypatch, train, None, progress="log")[1] == ["EpochLog"]
    _, _, callbacks = fit_arguments(monkeypatch, train, validation, progress="none")
    assert callbacks[0].arguments["mode"] == "min"  # val_loss, the default monitor


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"progress": "bar"}, ValueError, "Received: 'bar'"),
        ({"model": keras.Sequential([keras.Input((6,))])}, ValueError, "Compile the model"),
        ({"model": 3}, TypeError, "model=3"),
        ({"model": lambda: 3}, TypeError, "must return a keras.Model"),
        ({"model": "built", "mixed_precision": True}, ValueError, "dtype policy 'float32'"),
    ],
)
def test_fit_refuses_what_it_cannot_train(blobs, arguments, error, message):
    arguments = {"model": "built", "progress": "none", **arguments}
    if arguments["model"] == "built":
        arguments["model"] = build_classifier()
    with pytest.raises(error, match=message):
        training.fit(train=blobs[0], profile="fast", **arguments)


TWO_DEVICE_SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    import tensorflow as tf

    # Two logical CPUs; this must happen before TensorFlow sets up its devices.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    import keras
    from coursekit import training

    def build():
        model = keras.Sequential([
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(1)),
            keras.layers.Dense(3, activation="softmax", kernel_initializer=keras.initializers.GlorotUniform(2)),
        ])
        model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        return model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 6)).astype("float32")
    y = np.arange(96) % 3
    options = dict(profile="fast", epochs=2, progress="none", shuffle=False)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    mirrored = training.fit(build, (x, y), (x, y), strategy=strategy, batch_size=16, **options)
    single = training.fit(build, (x, y), (x, y), batch_size=16, **options)
    default_batch = training.fit(build, (x, y), strategy=strategy, **options)
    try:
        training.fit(build(), (x, y), strategy=strategy, **options)
        refused = ""
    except ValueError as error:
        refused = str(error)
    difference = max(
        float(np.max(np.abs(a - b)))
        for a, b in zip(mirrored.model.get_weights(), single.model.get_weights())
    )
    print(json.dumps({
        "replicas": mirrored.model.distribute_strategy.num_replicas_in_sync,
        "same_strategy": mirrored.model.distribute_strategy is strategy,
        "steps": mirrored.params["steps"],
        "default_steps": default_batch.params["steps"],
        "losses": mirrored.history["loss"],
        "weight_difference": difference,
        "refused": refused,
    }))
    """
)


@pytest.mark.tensorflow_only
def test_mirrored_strategy_on_two_logical_cpus_trains_like_one_device():
    environment = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "KERAS_BACKEND": "tensorflow"}
    completed = subprocess.run(
        [sys.executable, "-c", TWO_DEVICE_SCRIPT],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2 and result["same_strategy"]
    assert result["steps"] == 96 // 16
    assert result["default_steps"] == 1  # the profile's 64 per replica: one batch of 128
    assert len(result["losses"]) == 2 and np.isfinite(result["losses"]).all()
    assert result["weight_difference"] < 1e-5
    assert "created in its scope" in result["refused"]


def test_evaluate_reports_top_1_and_top_5_error():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(50, 2, 5, 1)).astype("float32")  # 10 "classes" per image
    labels = rng.integers(0, 10, size=50)
    model = keras.Sequential([keras.Input((2, 5, 1)), keras.layers.Flatten()])
    scores = images.reshape(50, 10)
    errors = training.evaluate(model, images, labels, batch_size=16)
    assert errors == {
        "top1_error": pytest.approx(scratch.top_k_error(scores, labels, 1)),
        "top5_error": pytest.approx(scratch.top_k_error(scores, labels, 5)),
    }
    assert 0 < errors["top5_error"] < errors["top1_error"] < 1


@pytest.mark.parametrize("crop_size", [6, (5, 7)])
def test_predict_tta_averages_the_predictions_over_the_ten_crops(crop_size):
    keras.utils.set_random_seed(1)
    crop_h, crop_w = (crop_size, crop_size) if isinstance(crop_size, int) else crop_size
    model = keras.Sequential(
        [
            keras.Input((crop_h, crop_w, 2)),
            keras.layers.Conv2D(3, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )
    images = np.random.default_rng(0).normal(size=(5, 8, 9, 2)).astype("float32")
    crops = scratch.ten_crop(images, crop_size)
    per_crop = np.stack([model.predict(crop, verbose=0) for crop in crops])
    np.testing.assert_allclose(
        training.predict_tta(model, images, crop_size), per_crop.mean(axis=0), rtol=1e-5
    )
    np.testing.assert_allclose(
        training.predict_tta(model, images, crop_size, mirror=False),
        per_crop[:5].mean(axis=0),
        rtol=1e-5,
    )
    assert not np.allclose(per_crop[0], per_crop[5])  # the mirrored crops differ
