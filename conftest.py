"""Test-session settings shared by unit tests, doctests and notebook (nbval) runs.

Notebook kernels started by nbval inherit this process's environment, so the
fast profile and the quiet TensorFlow logging apply to them too.
"""

import os

import pytest

os.environ.setdefault("COURSEKIT_PROFILE", "fast")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
# Reference tests compare in float64; the JAX backend needs this to keep float64.
os.environ.setdefault("JAX_ENABLE_X64", "1")


def pytest_collection_modifyitems(config, items):
    """Skips, with the reason, tests of TensorFlow-only parts on another Keras backend."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "tensorflow":
        return
    skip = pytest.mark.skip(
        reason=f"tests a TensorFlow-only part (tf.data or tf.distribute); KERAS_BACKEND={backend}"
    )
    for item in items:
        if "tensorflow_only" in item.keywords:
            item.add_marker(skip)
