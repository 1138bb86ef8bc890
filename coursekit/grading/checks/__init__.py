"""Exercise definitions, grouped by concept. Importing this package registers them."""

from coursekit.grading.checks import (  # noqa: F401
    arithmetic,
    backprop,
    classification,
    convolution,
    convolution_backward,
    crops,
    early_stopping,
    normalisation,
    pooling,
    regularisation,
    written,
)
