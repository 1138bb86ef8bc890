"""One call at the top of every notebook: seeds, quiet logs, profile, a status line."""

import contextlib
import os
import platform

from coursekit import profiles


def setup(seed=0, profile=None):
    """Prepares a notebook session and returns its profile.

    Seeds Python, NumPy and the Keras backend, silences TensorFlow's start-up
    logging, picks the run profile and prints one line saying what runs where.
    Call it before importing Keras or TensorFlow: their start-up messages are
    written straight to the process's stderr, which `setup` mutes while it loads them.

    Args:
        seed: the random seed for Python, NumPy and the Keras backend.
        profile: a profile name to force; by default `COURSEKIT_PROFILE` or the
            environment decides (see `coursekit.profiles.get_profile`).

    Returns:
        The active `coursekit.profiles.Profile`.

    Example:

    >>> profile = setup(seed=0, profile="fast")  # doctest: +ELLIPSIS
    coursekit ... | profile fast | Keras ... | NumPy ... | ...
    >>> profile.name
    'fast'
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _native_stderr_muted():
        import keras

        gpus = gpu_names()
        # A fresh Keras state: layer names restart and the global seed generator is
        # rebuilt from the new seed, so re-running the setup cell repeats every random
        # draw. Seeding also seeds (and so imports) TensorFlow when it is installed, on
        # every backend, which is why it happens here, with native logging muted.
        keras.utils.clear_session()
        keras.utils.set_random_seed(seed)
    active = profiles.get_profile(profile, has_gpu=bool(gpus))
    print(status_line(active, gpus))
    return active


def gpu_names():
    """Returns the names of the GPUs the Keras backend can use (empty on a CPU).

    Example:

    >>> isinstance(gpu_names(), list)
    True
    """
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return [device.name for device in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [str(device) for device in jax.devices() if device.platform == "gpu"]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


def status_line(profile, gpus):
    """Formats the one-line summary `setup` prints."""
    import keras
    import numpy as np

    from coursekit import __version__

    backend = keras.backend.backend()
    backend_version = _module_version(backend)
    if gpus:
        hardware = f"{len(gpus)} GPU" + ("s" if len(gpus) > 1 else "")
    else:
        hardware = f"CPU only ({os.cpu_count()} cores)"
    return " | ".join(
        [
            f"coursekit {__version__}",
            f"profile {profile.name}",
            f"Keras {keras.__version__} on {backend} {backend_version}",
            f"NumPy {np.__version__}",
            f"Python {platform.python_version()}",
            hardware,
            _platform_name(),
        ]
    )


@contextlib.contextmanager
def _native_stderr_muted():
    """Sends file descriptor 2 to /dev/null, where C++ libraries log before Python can."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _module_version(name):
    module = __import__(name)
    return getattr(module, "__version__", "")


def _platform_name():
    if profiles.in_colab():
        return "Colab"
    if profiles.on_binder():
        return "Binder"
    return "local"
