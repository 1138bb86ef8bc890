"""NumPy reference implementations of the layers the course builds from scratch.

Inputs are NHWC (`batch, height, width, channels`) and kernels HWIO
(`height, width, in_channels, out_channels`), as in Keras, and every function
matches the corresponding Keras layer to floating-point round-off.
"""

from coursekit.scratch.convolution import conv2d

__all__ = ["conv2d"]
