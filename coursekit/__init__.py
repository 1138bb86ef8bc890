"""coursekit: helpers for the course on convolutional neural networks.

A notebook starts with `profile = coursekit.setup(seed=0)` and grades its exercises
with `check("01.2", conv2d)`. Importing coursekit is light: Keras and TensorFlow
load only when `setup()` or a model helper needs them.
"""

import os as _os

from coursekit.environment import setup
from coursekit.grading import check

if _os.environ.get("COURSEKIT_REFERENCE_TRAP"):  # a process started by a graded function
    from coursekit.grading.tripwire import arm_from_environment

    arm_from_environment()

__version__ = "0.1.0"

__all__ = ["__version__", "check", "setup"]
