"""Training across machines, with two processes on 127.0.0.1.

TensorFlow: `training.fit(..., strategy=MultiWorkerMirroredStrategy())`, each process with
its own `TF_CONFIG`. JAX: `keras.distribution.initialize(...)` and `DataParallel`, each
process feeding its own half of every global batch. Both processes train the same model
for a few steps; they must end with the same weights, and those must match training in
one process on the same global batches.

Keras 3 cannot do this yet: `Model.fit` under a multi-worker `MultiWorkerMirroredStrategy`
fails before the first step (it reduces a `PerReplica` batch eagerly to build the model;
keras-team/keras#20585, tensorflow/tensorflow#72388). The test reports that exact failure
as an expected failure, fails on any other error, and checks the weights once Keras
trains.
"""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from coursekit.training.cluster import tf_config

# What Keras 3 raises in `fit` under a multi-worker strategy (see the module docstring).
KNOWN_KERAS_FAILURE = "Attempt to convert a value (PerReplica"
GLOBAL_BATCH = 16
EPOCHS = 2
WORKER_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf

    # Reads TF_CONFIG; must exist before anything else uses TensorFlow.
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    import keras
    from coursekit import training
    sys.path.insert(0, sys.argv[2])
    from test_multi_worker import build, examples

    x, y = examples()
    history = training.fit(
        build, (x, y), profile="fast", epochs={epochs}, batch_size={batch}, strategy=strategy,
        progress="none", shuffle=False,
    )
    np.savez(sys.argv[1], *history.model.get_weights())
    print(json.dumps({{
        "replicas": strategy.num_replicas_in_sync,
        "steps": history.params["steps"],
        "losses": history.history["loss"],
    }}))
    """
).format(epochs=EPOCHS, batch=GLOBAL_BATCH)


def examples():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype("float32")
    return x, (np.arange(64) % 3).astype("int64")


def build():
    import keras

    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(
                8, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(1)
            ),
            keras.layers.Dense(
                3, activation="softmax", kernel_initializer=keras.initializers.GlorotUniform(2)
            ),
        ]
    )
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    return model


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for probe in sockets:
        probe.bind(("127.0.0.1", 0))
    ports = [probe.getsockname()[1] for probe in sockets]
    for probe in sockets:
        probe.close()
    return ports


@pytest.mark.tensorflow_only
def test_two_workers_on_localhost_train_like_one_process(tmp_path):
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    processes = []
    for index in range(2):
        environment = {
            **os.environ,
            "TF_CONFIG": tf_config(workers, index),
            "KERAS_BACKEND": "tensorflow",
            "CUDA_VISIBLE_DEVICES": "",
        }
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER_SCRIPT,
                    str(tmp_path / f"worker{index}.npz"),
                    os.path.dirname(__file__),
                ],
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    reports, errors = [], []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=300)
            if process.returncode:
                errors.append(stderr)
            else:
                reports.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        for process in processes:
            process.kill()
    if errors and all(KNOWN_KERAS_FAILURE in error for error in errors):
        pytest.xfail(
            "Keras 3 fails in Model.fit under a multi-worker MultiWorkerMirroredStrategy "
            "(keras-team/keras#20585)"
        )
    assert not errors, errors[0][-3000:]
    assert [report["replicas"] for report in reports] == [2, 2]
    assert [report["steps"] for report in reports] == [64 // GLOBAL_BATCH] * 2
    assert reports[0]["losses"] == reports[1]["losses"]

    weights = [list(np.load(tmp_path / f"worker{index}.npz").values()) for index in range(2)]
    for first, second in zip(*weights, strict=True):
        np.testing.assert_array_equal(first, second)  # kept in sync by all-reduce
    single = single_process_weights()
    for distributed, alone in zip(weights[0], single, strict=True):
        np.testing.assert_allclose(distributed, alone, rtol=1e-5, atol=1e-6)
    assert (
        max(np.abs(w - v).max() for w, v in zip(weights[0], initial_weights(), strict=True)) > 1e-3
    )


def single_process_weights():
    from coursekit import training

    x, y = examples()
    history = training.fit(
        build,
        (x, y),
        profile="fast",
        epochs=EPOCHS,
        batch_size=GLOBAL_BATCH,
        progress="none",
        shuffle=False,
    )
    return history.model.get_weights()


def initial_weights():
    return build().get_weights()


JAX_WORKER_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import keras
    from coursekit import training
    sys.path.insert(0, sys.argv[4])
    from test_multi_worker import build, examples, jax_shard

    out, index, coordinator = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    x, y, batch = *examples(), {batch}
    if coordinator:  # one of two processes; without: alone, on the global batches
        keras.distribution.initialize(coordinator, num_processes=2, process_id=index)
        distribution = keras.distribution.DataParallel()
        distribution.auto_shard_dataset = False  # each process passes its own shard
        keras.distribution.set_distribution(distribution)
        x, y, batch = *jax_shard(x, y, index), batch // 2
    history = training.fit(
        build, (x, y), profile="fast", epochs={epochs}, batch_size=batch, progress="none",
        shuffle=False,
    )
    np.savez(out, *[np.asarray(w) for w in history.model.get_weights()])
    print(json.dumps({{"losses": history.history["loss"]}}))
    """
).format(epochs=EPOCHS, batch=GLOBAL_BATCH)


def jax_shard(x, y, index):
    """Process `index`'s rows: the first (index 0) or second half of every global batch."""
    half = GLOBAL_BATCH // 2
    rows = np.arange(len(x)).reshape(-1, 2, half)[:, index].ravel()
    return x[rows], y[rows]


def start_jax_process(tmp_path, name, index, coordinator):
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            JAX_WORKER_SCRIPT,
            str(tmp_path / f"{name}.npz"),
            str(index),
            coordinator,
            os.path.dirname(__file__),
        ],
        env={**os.environ, "KERAS_BACKEND": "jax", "CUDA_VISIBLE_DEVICES": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(
    importlib.util.find_spec("jax") is None,
    reason="JAX is not installed: pip install -e '.[jax]' (scripts/check_jax.sh does)",
)
def test_two_jax_processes_with_data_parallel_train_like_one_process(tmp_path):
    (port,) = free_ports(1)
    names = ["process0", "process1", "alone"]
    processes = [
        start_jax_process(tmp_path, "process0", 0, f"127.0.0.1:{port}"),
        start_jax_process(tmp_path, "process1", 1, f"127.0.0.1:{port}"),
        start_jax_process(tmp_path, "alone", 0, ""),
    ]
    losses = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=300)
            assert process.returncode == 0, stderr[-3000:]
            losses.append(json.loads(stdout.strip().splitlines()[-1])["losses"])
    finally:
        for process in processes:
            process.kill()
    assert losses[0] == losses[1]
    np.testing.assert_allclose(losses[0], losses[2], rtol=1e-5)

    weights = [list(np.load(tmp_path / f"{name}.npz").values()) for name in names]
    for first, second in zip(weights[0], weights[1], strict=True):
        np.testing.assert_array_equal(first, second)
    for distributed, alone in zip(weights[0], weights[2], strict=True):
        np.testing.assert_allclose(distributed, alone, rtol=1e-5, atol=1e-6)
