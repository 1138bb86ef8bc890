"""Run profiles: how much data and compute a notebook uses.

Every notebook reads its sizes from the active profile, so the same notebook runs in
seconds on Binder or in the test suite (`fast`), in a few minutes on a laptop CPU
(`default`) and to real accuracy on a GPU (`full`).
"""

import dataclasses
import os
import sys

PROFILE_VARIABLE = "COURSEKIT_PROFILE"


@dataclasses.dataclass(frozen=True)
class Profile:
    """Sizes a notebook uses for data and training.

    Args:
        name: `"fast"`, `"default"` or `"full"`.
        max_train_samples: cap on training examples; `None` uses the whole split.
        epochs: training epochs for the notebook's main experiments.
        image_size: side length, in pixels, of images fed to models.
        batch_size: examples per training step.
        description: one line saying where the profile is meant to run.
    """

    name: str
    max_train_samples: int | None
    epochs: int
    image_size: int
    batch_size: int
    description: str


PROFILES = {
    "fast": Profile(
        "fast",
        max_train_samples=1_000,
        epochs=2,
        image_size=32,
        batch_size=64,
        description="seconds per notebook, embedded data only (tests, Binder)",
    ),
    "default": Profile(
        "default",
        max_train_samples=10_000,
        epochs=10,
        image_size=32,
        batch_size=128,
        description="a few minutes per notebook on a laptop CPU",
    ),
    "full": Profile(
        "full",
        max_train_samples=None,
        epochs=30,
        image_size=64,
        batch_size=256,
        description="real datasets to real accuracy on a GPU",
    ),
}


def in_colab():
    """Returns whether the code runs in a Google Colab kernel."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def on_binder():
    """Returns whether the code runs in a mybinder.org session."""
    return any(key.startswith("BINDER_") for key in os.environ)


def get_profile(name=None, *, has_gpu=False):
    """Returns the profile to use.

    Args:
        name: a profile name. When `None`, the `COURSEKIT_PROFILE` environment
            variable decides; if it is unset, the environment does: `fast` on
            Binder, `full` when a GPU is present, `default` otherwise.
        has_gpu: whether the Keras backend sees a GPU.

    Returns:
        The `Profile`.

    Raises:
        ValueError: if the name is not a known profile.

    Example:

    >>> get_profile("fast").epochs
    2
    >>> get_profile("quick")
    Traceback (most recent call last):
    ...
    ValueError: Unknown profile. Received: 'quick'; expected one of 'fast', 'default', 'full'.
    """
    if name is None:
        name = os.environ.get(PROFILE_VARIABLE) or _profile_for_environment(has_gpu)
    if name not in PROFILES:
        expected = ", ".join(repr(known) for known in PROFILES)
        raise ValueError(f"Unknown profile. Received: {name!r}; expected one of {expected}.")
    return PROFILES[name]


def _profile_for_environment(has_gpu):
    if on_binder():
        return "fast"
    return "full" if has_gpu else "default"
