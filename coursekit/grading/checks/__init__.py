"""Exercise definitions, grouped by concept. Importing this package registers them."""

from coursekit.grading.checks import (  # noqa: F401
    arithmetic,
    convolution,
    early_stopping,
    normalisation,
    regularisation,
    written,
)
