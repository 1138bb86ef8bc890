"""Names for the layers of a block built more than once in a model."""


def unique_name(prefix):
    """Returns `prefix_1`, then `prefix_2`, ...: a fresh prefix for one block's layers.

    Keras requires distinct layer names within a model; a block built without a
    name gets one from Keras's own counter (reset by `keras.utils.clear_session()`).

    Example:

    >>> first, second = unique_name("block"), unique_name("block")
    >>> first != second and first.startswith("block_")
    True
    """
    import keras

    return f"{prefix}_{keras.backend.get_uid(prefix)}"
