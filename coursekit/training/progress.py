"""Progress reports for long training runs: live curves in notebooks, one line per epoch in logs.

Both are ordinary Keras callbacks that only read the `logs` dict Keras passes them,
so they work on every backend and with any `keras.Model.fit` call.
"""

import sys
import time

import keras


def in_notebook():
    """Returns whether the code runs in a Jupyter kernel (JupyterLab, Colab, nbclient).

    Example:

    >>> in_notebook()  # doctests run in a plain Python process
    False
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None


def format_logs(logs):
    """Formats a Keras `logs` dict as `name value` pairs, training metrics first.

    Example:

    >>> format_logs({"val_loss": 0.52, "loss": 0.41, "accuracy": 0.875})
    'loss 0.4100  accuracy 0.8750  val_loss 0.5200'
    """
    names = sorted(logs, key=lambda name: (name.startswith("val_"), name != "loss"))
    return "  ".join(f"{name} {float(logs[name]):.4f}" for name in names)


class EpochLog(keras.callbacks.Callback):
    """Writes one line per epoch: its number, its duration and every metric.

    Args:
        write: where the lines go; by default standard output, flushed at once, so
            the lines reach a log file while training runs.

    Example:

    >>> lines = []
    >>> log = EpochLog(write=lines.append)
    >>> log.set_params({"epochs": 3})
    >>> log.on_epoch_begin(0)
    >>> log.on_epoch_end(0, {"loss": 0.5})
    >>> lines[0].startswith("epoch 1/3") and lines[0].endswith("loss 0.5000")
    True
    """

    def __init__(self, write=None):
        super().__init__()
        self._write = write or _print_flushed
        self._started = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._started
        total = self.params.get("epochs", "?")
        self._write(f"epoch {epoch + 1}/{total}  {seconds:.1f}s  {format_logs(logs or {})}")


class LiveCurves(keras.callbacks.Callback):
    """Draws the training curves in a notebook and redraws them after every epoch.

    One panel per metric (loss first, at most three), training as a solid line and
    validation dashed. When training ends, a grey line marks the epoch with the
    best `monitor` value, and a caption says so.

    Args:
        monitor: the logged value whose best epoch is marked, e.g. `"val_loss"`;
            `None` marks nothing.
        mode: `"min"` or `"max"`: whether lower or higher `monitor` values are better.
        restored: whether the model keeps the weights of that best epoch (say so in
            the caption).
        display: the function that shows a figure and returns an updatable handle;
            by default `IPython.display.display(..., display_id=True)`.

    Example:

    >>> shown = []
    >>> class Handle:
    ...     def update(self, figure):
    ...         shown.append(figure)
    >>> curves = LiveCurves(display=lambda figure: Handle())
    >>> curves.set_params({"epochs": 2})
    >>> for epoch, loss in enumerate([0.9, 0.7]):
    ...     curves.on_epoch_end(epoch, {"loss": loss, "val_loss": loss + 0.1})
    >>> curves.on_train_end()
    >>> [line.get_label() for line in curves.figure.axes[0].lines][:2]
    ['training', 'validation']
    """

    MAX_PANELS = 3

    def __init__(self, monitor="val_loss", mode="min", restored=False, display=None):
        super().__init__()
        self.monitor = monitor
        self.mode = mode
        self.restored = restored
        self.figure = None
        self.history = {}
        self._display = display or _display_with_handle
        self._handle = None

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(float(value))
        if self.figure is None:
            self._create_figure()
        self._draw(f"epoch {epoch + 1}/{self.params.get('epochs', '?')}")
        if self._handle is None:
            self._handle = self._display(self.figure)
        else:
            self._handle.update(self.figure)

    def on_train_end(self, logs=None):
        if self.figure is None:
            return
        import matplotlib.pyplot as plt

        from coursekit.plotting import add_caption

        caption = "Training (solid) and validation (dashed) curves per epoch."
        values = self.history.get(self.monitor)
        if values:
            pick = min if self.mode == "min" else max
            best = values.index(pick(values))
            for axis in self.figure.axes:
                axis.axvline(best + 1, color="grey", linewidth=1)
            kept = ", whose weights the model keeps" if self.restored else ""
            caption += f" The grey line marks epoch {best + 1}, the best {self.monitor}{kept}."
        add_caption(self.figure, caption)
        self._handle.update(self.figure)
        plt.close(self.figure)  # shown through the display handle, not again at cell end

    def _create_figure(self):
        import matplotlib.pyplot as plt

        names = [
            name for name in self.history if not name.startswith("val_") and name != "learning_rate"
        ]
        names = sorted(names, key=lambda name: name != "loss")[: self.MAX_PANELS]
        self.figure, axes = plt.subplots(
            1, len(names), figsize=(4.2 * len(names), 3.2), squeeze=False
        )
        self._axes = dict(zip(names, axes[0], strict=True))

    def _draw(self, title):
        from matplotlib.ticker import MaxNLocator

        for name, axis in self._axes.items():
            axis.clear()
            epochs = range(1, len(self.history[name]) + 1)
            axis.plot(epochs, self.history[name], "-o", markersize=3, label="training")
            validation = self.history.get(f"val_{name}")
            if validation:
                axis.plot(epochs, validation, "--o", markersize=3, label="validation")
            axis.set_xlabel("epoch")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.set_title(name, fontsize=10)
            axis.legend(fontsize=8)
        self.figure.suptitle(title, fontsize=10)
        self.figure.tight_layout()


def _display_with_handle(figure):
    from IPython.display import display

    return display(figure, display_id=True)


def _print_flushed(line):
    print(line, file=sys.stdout, flush=True)
