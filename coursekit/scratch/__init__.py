"""NumPy reference implementations of the layers the course builds from scratch.

Inputs are NHWC (`batch, height, width, channels`) and kernels HWIO
(`height, width, in_channels, out_channels`), as in Keras, and every function
matches the corresponding Keras layer to floating-point round-off.
"""

from coursekit.scratch.classification import (
    cross_entropy,
    median_frequency_weights,
    softmax,
    top_k_error,
)
from coursekit.scratch.convolution import conv2d
from coursekit.scratch.crops import ten_crop

__all__ = [
    "conv2d",
    "cross_entropy",
    "median_frequency_weights",
    "softmax",
    "ten_crop",
    "top_k_error",
]
