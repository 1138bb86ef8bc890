"""Training throughput of a CIFAR-size ResNet on synthetic data, with and without
mixed precision and XLA, and the model FLOPs utilisation (MFU) when the GPU's peak is known.

    python benchmarks/gpu_throughput.py [--depth 20] [--batch-size 256] [--steps 50]
    KERAS_BACKEND=jax python benchmarks/gpu_throughput.py

Meaningful on a GPU; on a CPU it runs a small configuration (fewer steps, smaller
batches) so that the script can be checked anywhere. Every configuration trains through
`coursekit.training.fit` with random 32x32x3 images: the first epoch (compilation,
warm-up) is not timed. The ResNet is the CIFAR one of He et al. (2016): three stages of
basic residual blocks with 16, 32 and 64 filters, depth = 6n + 2.

MFU = achieved training FLOPs per second / the GPU's dense float16 tensor peak, where one
training step costs about three forward passes (the backward pass about two).
"""

import argparse
import os
import re
import subprocess
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Dense (no sparsity) float16/bfloat16 tensor-core peaks, TFLOP/s, from the vendor's
# data sheets. The first name found as a whole word in the device name wins; `None`
# marks variants whose peak differs from the family's and is not listed here.
PEAK_TFLOPS = {
    "H200": 989.0,
    "H100 PCIe": 756.0,
    "H100 NVL": None,
    "H100": 989.0,
    "A100": 312.0,
    "V100": 125.0,
    "A10": 125.0,
    "L4": 121.0,
    "T4": 65.0,
}


def gpu_name():
    """The first GPU's model name, or `None` without a GPU."""
    from coursekit.environment import gpu_names

    if not gpu_names():
        return None
    try:
        query = ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"]
        return subprocess.run(query, capture_output=True, text=True, check=True).stdout.split("\n")[
            0
        ]
    except (OSError, subprocess.CalledProcessError):
        return gpu_names()[0]


def peak_tflops(name):
    """The GPU's dense float16 peak in TFLOP/s, or `None` when unknown.

    >>> peak_tflops("NVIDIA A100-SXM4-40GB"), peak_tflops("NVIDIA A10"), peak_tflops("NVIDIA L40S")
    (312.0, 125.0, None)
    """
    for key, value in PEAK_TFLOPS.items():
        if name and re.search(rf"\b{re.escape(key)}\b", name):
            return value
    return None


def build_resnet(keras, depth, num_classes=10):
    """A CIFAR ResNet of `depth` = 6n + 2 layers, compiled with SGD and momentum."""
    if (depth - 2) % 6:
        raise ValueError(f"`depth` must be 6n + 2 (20, 32, 44, 56, 110). Received: depth={depth}")
    blocks = (depth - 2) // 6
    layers = keras.layers

    def conv_bn(x, filters, strides=1, relu=True):
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.ReLU()(x) if relu else x

    inputs = keras.Input((32, 32, 3))
    x = conv_bn(inputs, 16)
    for stage, filters in enumerate((16, 32, 64)):
        for block in range(blocks):
            strides = 2 if stage > 0 and block == 0 else 1
            shortcut = x
            if strides > 1:
                shortcut = layers.Conv2D(filters, 1, strides=strides, use_bias=False)(x)
                shortcut = layers.BatchNormalization()(shortcut)
            y = conv_bn(x, filters, strides)
            y = conv_bn(y, filters, relu=False)
            x = layers.ReLU()(layers.Add()([shortcut, y]))
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32")(x)
    model = keras.Model(inputs, outputs, name=f"resnet{depth}")
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy")
    return model


def forward_flops(model):
    """Multiply-adds x 2 of the convolutions and dense layers, per image."""
    import math

    total = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            kernel_h, kernel_w, in_channels, filters = layer.kernel.shape
            height, width = layer.output.shape[1:3]
            total += 2 * height * width * kernel_h * kernel_w * in_channels * filters
        elif kind == "Dense":
            total += 2 * math.prod(layer.kernel.shape)
    return total


def epoch_timer(keras):
    """A callback timing every epoch after the first (compilation and warm-up)."""

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []
            self.started = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            if epoch > 0:
                self.seconds.append(time.perf_counter() - self.started)

    return EpochTimer()


def measure(keras, training, args, mixed_precision, jit_compile):
    import numpy as np

    rng = np.random.default_rng(0)
    images = rng.random((args.batch_size * args.steps, 32, 32, 3), dtype=np.float32)
    labels = rng.integers(0, 10, size=len(images))
    timer = epoch_timer(keras)
    history = training.fit(
        lambda: build_resnet(keras, args.depth),
        (images, labels),
        profile="fast",
        epochs=args.epochs + 1,
        batch_size=args.batch_size,
        patience=None,
        mixed_precision=mixed_precision,
        jit_compile=jit_compile,
        progress="none",
        callbacks=[timer],
    )
    images_per_second = len(images) * len(timer.seconds) / sum(timer.seconds)
    return history.model, images_per_second


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None, help="steps per timed epoch")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs")
    parser.add_argument("--peak-tflops", type=float, default=None, help="override the GPU peak")
    args = parser.parse_args()

    import coursekit

    coursekit.setup(seed=0, profile="fast")
    import keras

    from coursekit import training

    name = gpu_name()
    args.batch_size = args.batch_size or (256 if name else 32)
    args.steps = args.steps or (50 if name else 4)
    peak = args.peak_tflops or peak_tflops(name)
    backend = keras.backend.backend()
    print(
        f"\nResNet-{args.depth}, 32x32x3 synthetic images, batch {args.batch_size}, "
        f"{args.steps} steps x {args.epochs} timed epochs, Keras {keras.__version__} on "
        f"{backend}, {name or 'CPU (a small configuration: numbers are not meaningful)'}"
    )
    if not name:
        configurations = [("float32", False, None)]  # the backend's usual compilation
    else:
        configurations = [("float32 + XLA", False, True), ("mixed float16 + XLA", True, True)]
        if backend != "jax":  # JAX always compiles with XLA
            configurations.insert(0, ("float32", False, False))
    results = {}
    for label, mixed, jit in configurations:
        model, speed = measure(keras, training, args, mixed, jit)
        results[label] = speed
        flops = 3 * forward_flops(model) * speed
        mfu = f"MFU {flops / (peak * 1e12):6.1%}" if peak else "MFU n/a (unknown peak)"
        print(f"{label:<22}{speed:10.0f} images/s  {flops / 1e12:7.2f} TFLOP/s  {mfu}")
    baseline_label, baseline = next(iter(results.items()))
    for label, speed in list(results.items())[1:]:
        print(f"ratio {label} / {baseline_label}: {speed / baseline:.2f}")
    if peak:
        print(f"(MFU relative to {peak:g} TFLOP/s, the dense float16 peak of this GPU)")


if __name__ == "__main__":
    main()
