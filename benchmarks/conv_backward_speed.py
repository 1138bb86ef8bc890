"""Speed of coursekit's NumPy convolution, forward and backward, against its loops and Keras.

    python benchmarks/conv_backward_speed.py [--loop-images 10] [--repeats 30] [--dtype float64]

Uses CS231n's shape: x of 100x31x31x3, a 3x3x3x25 kernel, stride 2 and one zero of
padding on each side (Keras's "same" gives the same (1, 1) padding here), so the
output is 100x16x16x25. Prints the best of `--repeats` timings of each method
(`coursekit.timing.best_time`) and the ratios, all measured in this one run on the
CPU. The loops are the library's loop definitions, `conv2d_loops` and
`conv2d_backward_loops`; they are timed on the first `--loop-images` images and
scaled to the full batch (their cost is linear in the batch size). Keras runs
eagerly, as a notebook calls a layer, on its default thread pools. NumPy's BLAS runs
on one thread unless OPENBLAS_NUM_THREADS (or MKL_NUM_THREADS) says otherwise: on a
shared or busy machine, multi-threaded BLAS calls on arrays this small stall whenever
another process holds a core, making the timings erratic.
"""

import argparse
import os

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # the comparison is on the CPU
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy is imported
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np

import coursekit
from coursekit.scratch import conv2d, conv2d_backward, conv2d_backward_loops, conv2d_loops
from coursekit.timing import best_time

X_SHAPE, KERNEL_SHAPE, STRIDES, PADDING = (100, 31, 31, 3), (3, 3, 3, 25), 2, 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loop-images", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    args = parser.parse_args()
    coursekit.setup(seed=0)  # mutes TensorFlow's start-up log while it loads Keras
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.normal(size=X_SHAPE).astype(args.dtype)
    kernel = rng.normal(size=KERNEL_SHAPE).astype(args.dtype)
    bias = rng.normal(size=KERNEL_SHAPE[-1]).astype(args.dtype)
    output = conv2d(x, kernel, bias, strides=STRIDES, padding=PADDING)
    grad_output = rng.normal(size=output.shape).astype(args.dtype)

    # NumPy first: TensorFlow's thread pool keeps spinning for a while after each of
    # its calls, which would slow down NumPy code timed right after it.
    few = slice(0, args.loop_images)
    scale = X_SHAPE[0] / args.loop_images
    loops_fwd = scale * best_time(
        lambda: conv2d_loops(x[few], kernel, bias, STRIDES, PADDING), repeats=1
    )
    loops_bwd = scale * best_time(
        lambda: conv2d_backward_loops(grad_output[few], x[few], kernel, STRIDES, PADDING),
        repeats=1,
    )
    scratch_fwd = best_time(
        lambda: conv2d(x, kernel, bias, strides=STRIDES, padding=PADDING), args.repeats
    )
    scratch_bwd = best_time(
        lambda: conv2d_backward(grad_output, x, kernel, strides=STRIDES, padding=PADDING),
        args.repeats,
    )

    layer = keras.layers.Conv2D(
        KERNEL_SHAPE[-1], KERNEL_SHAPE[:2], strides=STRIDES, padding="same", dtype=args.dtype
    )
    layer.build(X_SHAPE)
    layer.set_weights([kernel, bias])
    x_tensor, grad_tensor = tf.constant(x), tf.constant(grad_output)

    def keras_forward():
        return layer(x_tensor).numpy()

    def keras_backward():
        with tf.GradientTape() as tape:
            tape.watch(x_tensor)
            outputs = layer(x_tensor)
        grads = tape.gradient(outputs, [x_tensor, *layer.trainable_weights], grad_tensor)
        return [grad.numpy() for grad in grads]

    keras_fwd = best_time(keras_forward, args.repeats)
    keras_bwd = best_time(keras_backward, args.repeats)

    # Every method computes the same numbers.
    tolerance = 1e-9 if args.dtype == "float64" else 1e-3
    loops_out = conv2d_loops(x[:2], kernel, bias, STRIDES, PADDING)
    np.testing.assert_allclose(output[:2], loops_out, rtol=tolerance, atol=tolerance)
    loops_grads = conv2d_backward_loops(grad_output[:2], x[:2], kernel, STRIDES, PADDING)
    scratch_grads = conv2d_backward(grad_output[:2], x[:2], kernel, STRIDES, PADDING)
    for got, expected in zip(scratch_grads, loops_grads, strict=True):
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(output, keras_forward(), rtol=tolerance, atol=tolerance)
    scratch_grads = conv2d_backward(grad_output, x, kernel, strides=STRIDES, padding=PADDING)
    for got, expected in zip(scratch_grads, keras_backward(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance * 100)

    print(
        f"x {X_SHAPE}, kernel {KERNEL_SHAPE}, stride {STRIDES}, padding {PADDING}, "
        f"{args.dtype}, {os.cpu_count()} CPUs, TensorFlow {tf.__version__}, "
        f"BLAS threads {os.environ['OPENBLAS_NUM_THREADS']}"
    )
    print(
        f"loops timed on {args.loop_images} images and scaled x{scale:g}; "
        f"others: best of {args.repeats}"
    )
    print(
        f"{'':<10}{'loops':>10}{'scratch':>10}{'Keras':>10}{'loops/scratch':>15}{'scratch/Keras':>15}"
    )
    for name, loops, scratch, keras_time in [
        ("forward", loops_fwd, scratch_fwd, keras_fwd),
        ("backward", loops_bwd, scratch_bwd, keras_bwd),
    ]:
        print(
            f"{name:<10}{loops * 1e3:>8.0f}ms{scratch * 1e3:>8.2f}ms{keras_time * 1e3:>8.2f}ms"
            f"{loops / scratch:>14.0f}x{scratch / keras_time:>14.2f}x"
        )
    print("targets: loops/scratch >= 300x, scratch/Keras <= 3x")


if __name__ == "__main__":
    main()
