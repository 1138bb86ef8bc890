"""Input pipelines: batch shapes, every example once per epoch, seeded order, augmentation."""

import subprocess
import sys

import keras
import numpy as np
import pytest

from coursekit import data
from coursekit.data import pipeline

NUM_EXAMPLES = 23


def examples():
    """Images whose every pixel holds the example's index, and that index as label."""
    ids = np.arange(NUM_EXAMPLES)
    return np.broadcast_to(ids[:, None, None, None], (NUM_EXAMPLES, 4, 3, 2)).astype("float32"), ids


def tf_epochs(dataset, num_epochs):
    return [
        [(images.numpy(), labels.numpy()) for images, labels in dataset] for _ in range(num_epochs)
    ]


def array_epochs(dataset, num_epochs):
    epochs = []
    for _ in range(num_epochs):
        epochs.append([dataset[index] for index in range(len(dataset))])
        dataset.on_epoch_end()
    return epochs


BUILDERS = {
    "tf": (pipeline.make_tf_dataset, tf_epochs),
    "array": (pipeline.make_array_dataset, array_epochs),
}


@pytest.fixture(
    params=[pytest.param("tf", marks=pytest.mark.tensorflow_only), "array"],
)
def build(request):
    make, iterate = BUILDERS[request.param]

    def build(num_epochs=3, **kwargs):
        x, y = examples()
        return iterate(make(x, y, kwargs.pop("batch_size", 5), **kwargs), num_epochs)

    return build


def label_order(epoch):
    return np.concatenate([labels for _, labels in epoch]).tolist()


def test_batch_shapes_and_a_smaller_last_batch(build):
    epoch = build(num_epochs=1)[0]
    assert [len(labels) for _, labels in epoch] == [5, 5, 5, 5, 3]
    assert all(images.shape[1:] == (4, 3, 2) and images.dtype == np.float32 for images, _ in epoch)


def test_every_example_exactly_once_per_epoch_with_images_matching_labels(build):
    for epoch in build():
        assert sorted(label_order(epoch)) == list(range(NUM_EXAMPLES))
        for images, labels in epoch:
            np.testing.assert_array_equal(images[:, 0, 0, 0], labels)


def test_order_is_reshuffled_each_epoch_and_fixed_by_the_seed(build):
    first, again, other = build(seed=1), build(seed=1), build(seed=2)
    orders = [label_order(epoch) for epoch in first]
    assert orders == [label_order(epoch) for epoch in again]
    assert orders != [label_order(epoch) for epoch in other]
    assert orders[0] != orders[1] != orders[2]
    assert orders[0] != list(range(NUM_EXAMPLES))


def test_without_shuffling_the_order_is_kept(build):
    for epoch in build(shuffle=False):
        assert label_order(epoch) == list(range(NUM_EXAMPLES))


def test_a_callable_augmentation_is_applied_to_every_batch(build):
    for epoch in build(augment=lambda images: images + 1000.0):
        for images, labels in epoch:
            np.testing.assert_array_equal(images[:, 0, 0, 0], labels + 1000.0)


@pytest.mark.parametrize(
    "builder", [pytest.param("tf", marks=pytest.mark.tensorflow_only), "array"]
)
def test_keras_preprocessing_layers_run_in_training_mode(builder):
    flip = keras.Sequential([keras.layers.RandomFlip("horizontal", seed=0)])
    x, _ = examples()
    x_marked = x.copy()
    x_marked[:, :, 0, :] = -1.0  # mark the left column; a flip moves it to the right
    for make, iterate in [BUILDERS[builder]]:
        (epoch,) = iterate(make(x_marked, np.arange(NUM_EXAMPLES), 8, augment=flip), 1)
        images = np.concatenate([batch for batch, _ in epoch])
        flipped = images[:, 0, -1, 0] == -1.0
        assert 0 < flipped.sum() < NUM_EXAMPLES  # some flipped, some not: random, training mode
        np.testing.assert_array_equal(images[~flipped][:, :, 0, :], -1.0)


@pytest.mark.tensorflow_only
def test_make_tf_datasets_augments_and_shuffles_the_training_split_only():
    dataset = data.load_digits()
    train, validation, test = pipeline.make_tf_datasets(
        dataset, batch_size=100, augment=lambda images: images + 10.0
    )
    train_images, train_labels = next(iter(train))
    assert float(train_images.numpy().min()) >= 10.0
    assert not np.array_equal(train_labels.numpy(), dataset.y_train[:100])
    for split, (x, y) in [
        (validation, (dataset.x_val, dataset.y_val)),
        (test, (dataset.x_test, dataset.y_test)),
    ]:
        images = np.concatenate([batch.numpy() for batch, _ in split])
        labels = np.concatenate([batch.numpy() for _, batch in split])
        np.testing.assert_array_equal(images, x)
        np.testing.assert_array_equal(labels, y)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(pipeline.make_tf_dataset, marks=pytest.mark.tensorflow_only),
        pipeline.make_array_dataset,
    ],
)
def test_model_fit_trains_on_both_pipelines(make):
    x, y = examples()
    model = keras.Sequential(
        [keras.Input((4, 3, 2)), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse")
    # shuffle=False: the pipeline shuffles; Keras ignores (and warns about) its own shuffle.
    history = model.fit(make(x / NUM_EXAMPLES, y % 2, 8), epochs=2, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 2


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(pipeline.make_tf_dataset, marks=pytest.mark.tensorflow_only),
        pipeline.make_array_dataset,
    ],
)
@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"batch_size": 0}, "Received: batch_size=0"),
        ({"batch_size": 2.0}, "Received: batch_size=2.0"),
        ({"y": np.arange(3)}, r"Received: len\(x\)=23, len\(y\)=3"),
        ({"augment": "flip"}, "Received: augment='flip'"),
    ],
)
def test_bad_arguments_say_what_was_received(make, arguments, message):
    x, y = examples()
    arguments = {"x": x, "y": y, "batch_size": 4, **arguments}
    with pytest.raises(ValueError, match=message):
        make(**arguments)


def test_array_dataset_rejects_an_index_past_the_end():
    x, y = examples()
    with pytest.raises(IndexError, match="Received: index=5"):
        pipeline.make_array_dataset(x, y, 5)[5]


def test_importing_coursekit_data_does_not_import_keras_or_tensorflow():
    code = (
        "import sys, coursekit, coursekit.data; "
        "print(sorted(name for name in ('keras', 'tensorflow') if name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
