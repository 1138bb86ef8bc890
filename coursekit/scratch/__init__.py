"""NumPy reference implementations of the layers the course builds from scratch.

Inputs are NHWC (`batch, height, width, channels`) and kernels HWIO
(`height, width, in_channels, out_channels`), as in Keras, and every function
matches the corresponding Keras layer, or TensorFlow's gradient of it, to
floating-point round-off.

A layer's forward and backward pass sit in one module. Convolution and pooling
also come as loop definitions (`conv2d_loops`, `max_pool2d_loops`, ...): the
formula written as loops over every output value, slow but plain, next to the
vectorised version that the tests hold to the same numbers.
"""

from coursekit.scratch.activations import relu, relu_backward
from coursekit.scratch.classification import (
    cross_entropy,
    median_frequency_weights,
    softmax,
    top_k_error,
)
from coursekit.scratch.convolution import (
    conv2d,
    conv2d_backward,
    conv2d_backward_loops,
    conv2d_loops,
)
from coursekit.scratch.crops import ten_crop
from coursekit.scratch.gradient_check import numerical_gradient, relative_error
from coursekit.scratch.normalisation import batch_norm, layer_norm
from coursekit.scratch.pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_backward_loops,
    avg_pool2d_loops,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_backward_loops,
    max_pool2d_loops,
)
from coursekit.scratch.regularisation import dropout, early_stopping_epoch, regularized_update
from coursekit.scratch.transposed import conv2d_transpose
from coursekit.scratch.unpooling import max_pool2d_with_argmax, max_unpool2d
from coursekit.scratch.upsampling import (
    bilinear_upsampling_kernel,
    upsample_bilinear,
    upsample_nearest,
)

__all__ = [
    "avg_pool2d",
    "avg_pool2d_backward",
    "avg_pool2d_backward_loops",
    "avg_pool2d_loops",
    "batch_norm",
    "bilinear_upsampling_kernel",
    "conv2d",
    "conv2d_backward",
    "conv2d_backward_loops",
    "conv2d_loops",
    "conv2d_transpose",
    "cross_entropy",
    "dropout",
    "early_stopping_epoch",
    "layer_norm",
    "max_pool2d",
    "max_pool2d_backward",
    "max_pool2d_backward_loops",
    "max_pool2d_loops",
    "max_pool2d_with_argmax",
    "max_unpool2d",
    "median_frequency_weights",
    "numerical_gradient",
    "regularized_update",
    "relative_error",
    "relu",
    "relu_backward",
    "softmax",
    "ten_crop",
    "top_k_error",
    "upsample_bilinear",
    "upsample_nearest",
]
