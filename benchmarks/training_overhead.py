"""What `coursekit.training.fit` costs on top of a plain `keras.Model.fit`.

    python benchmarks/training_overhead.py [--epochs 8] [--repeats 5]

Trains the same small CNN, from the same initial weights, on the same embedded digits
(32x32, batches of 64) through `coursekit.training.fit` (its defaults outside a
notebook: a line per epoch, early stopping with best-weight restore) and through a plain
`model.fit(..., verbose=0)`, alternating the two, and prints the median wall time of
each and their ratio. The target is a ratio within 1.03.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def build_model(keras, input_shape, num_classes):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import coursekit

    profile = coursekit.setup(seed=0, profile="fast")
    import keras

    from coursekit import data, training

    digits = data.load_digits(image_size=32)
    train = (digits.x_train, digits.y_train)
    validation = (digits.x_val, digits.y_val)
    shape, classes = digits.image_shape, digits.num_classes

    def plain():
        model = build_model(keras, shape, classes)
        model.fit(
            *train,
            validation_data=validation,
            epochs=args.epochs,
            batch_size=profile.batch_size,
            verbose=0,
        )

    def wrapped():
        model = build_model(keras, shape, classes)
        training.fit(model, train, validation, profile, epochs=args.epochs, patience=args.epochs)

    timings = {"keras fit": [], "coursekit fit": []}
    for _ in range(args.repeats):
        for name, run in (("keras fit", plain), ("coursekit fit", wrapped)):
            start = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - start)

    medians = {name: statistics.median(values) for name, values in timings.items()}
    print(
        f"\n{len(digits.x_train)} images of {shape}, {args.epochs} epochs, batch "
        f"{profile.batch_size}, median of {args.repeats} runs each"
    )
    for name, seconds in medians.items():
        print(f"{name:<14}{seconds:8.2f} s")
    ratio = medians["coursekit fit"] / medians["keras fit"]
    print(f"ratio coursekit / keras: {ratio:.3f} (target: at most 1.03)")


if __name__ == "__main__":
    main()
