"""Input pipelines: shuffled, augmented batches for `model.fit`.

Two paths with the same behaviour: `make_tf_dataset` builds a `tf.data` pipeline
(shuffle, batch, augment, prefetch; TensorFlow only), and `make_array_dataset` a
`keras.utils.PyDataset` over NumPy arrays that works on every Keras backend. Both
reshuffle every epoch in an order fixed by `seed`, yield every example exactly once
per epoch, and augment only when asked; `make_tf_datasets` builds the three splits
of a `Dataset`, augmenting and shuffling the training split only.

TensorFlow and Keras are imported inside the functions, so importing `coursekit.data`
stays light and leaves `coursekit.setup()` free to configure Keras first.
"""

import functools
import math

import numpy as np


def make_tf_dataset(x, y, batch_size, *, shuffle=True, augment=None, seed=0):
    """Builds a `tf.data.Dataset` of `(images, labels)` batches.

    The examples are shuffled over the whole array (a fresh order every epoch, the
    sequence of orders fixed by `seed`), batched, augmented batch by batch, and
    prefetched so the next batch is prepared while the model trains on this one.

    Args:
        x: array `(N, ...)` of inputs.
        y: array `(N, ...)` of targets.
        batch_size: examples per batch; the last batch may be smaller.
        shuffle: whether to shuffle (training) or keep the order (evaluation).
        augment: `None`, or a callable mapping a batch of images to a batch of the
            same shape, written with TensorFlow or `keras.ops` operations: a
            function or Keras preprocessing layers (called with `training=True`),
            e.g. `keras.Sequential([keras.layers.RandomFlip("horizontal")])`.
        seed: seed of the shuffling order.

    Returns:
        A `tf.data.Dataset`.

    Raises:
        ValueError: if `batch_size` is not a positive int or `x` and `y` differ in length.

    Example:

    >>> x, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    >>> batches = make_tf_dataset(x, y, batch_size=4, shuffle=False)
    >>> [labels.numpy().tolist() for _, labels in batches]
    [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    """
    import tensorflow as tf

    _check_arrays(x, y, batch_size)
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if augment is not None:
        transform = _in_training_mode(augment)
        dataset = dataset.map(
            lambda images, labels: (transform(images), labels),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def make_tf_datasets(dataset, batch_size, *, augment=None, seed=0):
    """Builds the training, validation and test pipelines of a `Dataset`.

    Only the training split is shuffled and augmented: validation and test images
    are evaluated as they are, in a fixed order.

    Args:
        dataset: a `coursekit.data.Dataset`.
        batch_size: examples per batch.
        augment: augmentation for the training split (see `make_tf_dataset`).
        seed: seed of the training split's shuffling order.

    Returns:
        A tuple `(train, validation, test)` of `tf.data.Dataset`s.

    Example:

    >>> from coursekit.data import load_digits
    >>> train, validation, test = make_tf_datasets(load_digits(), batch_size=64)
    >>> images, labels = next(iter(train))
    >>> tuple(images.shape), tuple(labels.shape)
    ((64, 8, 8, 1), (64,))
    """
    train = make_tf_dataset(
        dataset.x_train, dataset.y_train, batch_size, augment=augment, seed=seed
    )
    validation, test = (
        make_tf_dataset(x, y, batch_size, shuffle=False)
        for x, y in ((dataset.x_val, dataset.y_val), (dataset.x_test, dataset.y_test))
    )
    return train, validation, test


def make_array_dataset(x, y, batch_size, *, shuffle=True, augment=None, seed=0, **kwargs):
    """Builds a backend-neutral `keras.utils.PyDataset` of NumPy `(images, labels)` batches.

    Behaves like `make_tf_dataset` but runs on every Keras backend: the order is a
    fresh permutation every epoch (`on_epoch_end`, which `model.fit` calls), fixed by
    `seed`; `augment` runs on each NumPy batch.

    Args:
        x: array `(N, ...)` of inputs.
        y: array `(N, ...)` of targets.
        batch_size: examples per batch; the last batch may be smaller.
        shuffle: whether to shuffle (training) or keep the order (evaluation).
        augment: `None`, or a callable mapping a NumPy batch of images to a batch
            of the same shape (Keras preprocessing layers are called with
            `training=True` and their output converted back to NumPy).
        seed: seed of the shuffling orders.
        **kwargs: passed to `keras.utils.PyDataset` (`workers`,
            `use_multiprocessing`, `max_queue_size`).

    Returns:
        A `keras.utils.PyDataset`: `len()` batches, indexable, for `model.fit`.

    Raises:
        ValueError: if `batch_size` is not a positive int or `x` and `y` differ in length.

    Example:

    >>> x, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    >>> batches = make_array_dataset(x, y, batch_size=4, shuffle=False)
    >>> len(batches), batches[2][1].tolist()
    (3, [8, 9])
    """
    _check_arrays(x, y, batch_size)
    return _array_batches_class()(x, y, batch_size, shuffle, augment, seed, **kwargs)


@functools.cache
def _array_batches_class():
    import keras

    class ArrayBatches(keras.utils.PyDataset):
        """Shuffled batches of NumPy arrays, reshuffled at the end of each epoch."""

        def __init__(self, x, y, batch_size, shuffle, augment, seed, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = np.asarray(x), np.asarray(y), batch_size
            self.shuffle = shuffle
            self.augment = None if augment is None else _in_training_mode(augment)
            self.rng = np.random.default_rng(seed)
            self.order = self._next_order()

        def __len__(self):
            return math.ceil(len(self.x) / self.batch_size)

        def __getitem__(self, index):
            if not 0 <= index < len(self):
                raise IndexError(f"Batch index out of range. Received: index={index}")
            rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
            images = self.x[rows]
            if self.augment is not None:
                images = keras.ops.convert_to_numpy(self.augment(images))
            return images, self.y[rows]

        def on_epoch_end(self):
            self.order = self._next_order()

        def _next_order(self):
            return self.rng.permutation(len(self.x)) if self.shuffle else np.arange(len(self.x))

    return ArrayBatches


def _in_training_mode(augment):
    import keras

    if isinstance(augment, keras.layers.Layer):
        return functools.partial(augment, training=True)
    if not callable(augment):
        raise ValueError(f"`augment` must be callable or None. Received: augment={augment!r}")
    return augment


def _check_arrays(x, y, batch_size):
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(
            f"`batch_size` must be a positive int. Received: batch_size={batch_size!r}"
        )
    if len(x) != len(y):
        raise ValueError(
            f"`x` and `y` must hold the same number of examples. Received: len(x)={len(x)}, "
            f"len(y)={len(y)}"
        )
