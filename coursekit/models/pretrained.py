"""A backbone with ImageNet weights from `keras.applications`, for transfer learning."""

from coursekit.data.download import DataUnavailableError

WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
WEIGHTS_FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
FALLBACK = "a backbone pretrained on embedded data, as in notebook 06, section 7"


def imagenet_backbone(input_shape, cache_dir=None, origin=WEIGHTS_URL):
    """MobileNetV2 with ImageNet weights and no classifier: one feature vector per image.

    The weights (`WEIGHTS_FILE`, about 9 MB, those Keras trains at 224x224) are
    downloaded once and cached by Keras in `~/.keras/models` (or `cache_dir/models`).
    MobileNetV2 expects RGB images scaled to [-1, 1]
    (`keras.applications.mobilenet_v2.preprocess_input`).

    Args:
        input_shape: `(height, width, 3)`, with height and width at least 32.
        cache_dir: where Keras caches the weights; `None` for `~/.keras`.
        origin: the folder URL the weights file is downloaded from.

    Returns:
        A `keras.Model` named `"mobilenetv2_1.00_224"` that maps a batch of images to
        1280 features each (global average pooling of the last feature map).

    Raises:
        DataUnavailableError: the weights are neither cached nor downloadable; the
            message names the offline fallback.

    Example:

    >>> import tempfile
    >>> imagenet_backbone((32, 32, 3), tempfile.mkdtemp(), origin="file:///nowhere/")
    Traceback (most recent call last):
    ...
    coursekit.data.download.DataUnavailableError: The ImageNet weights ... could not be downloaded ...

    With network access, `imagenet_backbone((32, 32, 3)).output.shape` is `(None, 1280)`.
    """
    import keras

    try:
        path = keras.utils.get_file(
            WEIGHTS_FILE, origin + WEIGHTS_FILE, cache_subdir="models", cache_dir=cache_dir
        )
    except Exception as error:  # Keras reports a failed download as a plain Exception
        reason = f"The ImageNet weights of MobileNetV2 could not be downloaded ({error})."
        raise DataUnavailableError(reason, fallback=FALLBACK) from error
    return keras.applications.MobileNetV2(
        input_shape=input_shape, include_top=False, weights=path, pooling="avg"
    )
