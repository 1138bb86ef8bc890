"""NumPy reference implementations of the layers the course builds from scratch.

Inputs are NHWC (`batch, height, width, channels`) and kernels HWIO
(`height, width, in_channels, out_channels`), as in Keras, and every function
matches the corresponding Keras layer to floating-point round-off.
"""

from coursekit.scratch.convolution import conv2d
from coursekit.scratch.normalisation import batch_norm, layer_norm
from coursekit.scratch.regularisation import dropout, early_stopping_epoch, regularized_update

__all__ = [
    "batch_norm",
    "conv2d",
    "dropout",
    "early_stopping_epoch",
    "layer_norm",
    "regularized_update",
]
