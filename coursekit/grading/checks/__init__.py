"""Exercise definitions, grouped by concept. Importing this package registers them."""

from coursekit.grading.checks import arithmetic, classification, convolution, written  # noqa: F401
