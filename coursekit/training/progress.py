"""Progress reports for long training runs: live curves or a status line in notebooks, one
line per epoch (or per run) in logs.

All are ordinary Keras callbacks that only read the `logs` dict Keras passes them,
so they work on every backend and with any `keras.Model.fit` call.
"""

import sys
import time

import keras

from coursekit.rendering import DRAWING_LOCK, FigureDisplay, detached_figure


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


class RunStatus(keras.callbacks.Callback):
    """Reports a training run on one line: updated in place after every epoch in a
    notebook, printed once when the run ends elsewhere.

    For runs that are compared afterwards (several optimisers, regularisers, class
    weights), where live curves for each would crowd the notebook but a student still
    wants to see that something is happening and how long it takes.

    Args:
        label: what this run is, e.g. `"SGD + momentum"`; by default the model's
            optimiser and learning rate.
        write: where a finished run's line goes outside a notebook; by default
            standard output, flushed at once.
        display: the function that shows a text and returns an updatable handle;
            by default `IPython.display.display(..., display_id=True)` in a notebook.

    Example:

    >>> lines = []
    >>> status = RunStatus("Adam", write=lines.append)
    >>> status.set_params({"epochs": 2})
    >>> status.on_train_begin()
    >>> for epoch, loss in enumerate([0.9, 0.7]):
    ...     status.on_epoch_end(epoch, {"loss": loss, "val_loss": loss + 0.1})
    >>> status.on_train_end()
    >>> print(lines[0])  # doctest: +ELLIPSIS
    Adam: 2/2 epochs in ...s  loss 0.7000  val_loss 0.8000
    """

    def __init__(self, label=None, write=None, display=None):
        super().__init__()
        self.label = label
        self._write = write or _print_flushed
        self._display = display or (_display_text if in_notebook() else None)
        self._handle = None
        self._started = 0.0
        self._line = ""

    def on_train_begin(self, logs=None):
        self._started = time.perf_counter()
        self._handle = None
        self.label = self.label or _optimizer_label(self.model)
        self._show(f"{self.label}: training, {self.params.get('epochs', '?')} epochs")

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._started
        total = self.params.get("epochs", "?")
        self._show(f"{self.label}: {epoch + 1}/{total} epochs in {seconds:.1f}s  ", logs)

    def on_train_end(self, logs=None):
        if self._display is None:
            self._write(self._line)

    def _show(self, text, logs=None):
        self._line = text + format_logs(logs or {})
        if self._display is None:
            return
        if self._handle is None:
            self._handle = self._display(self._line)
        else:
            self._handle.update(_Text(self._line))


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
        display: the function that shows a figure and returns a handle whose
            `update(figure)` shows it again; by default a
            `coursekit.rendering.FigureDisplay`, which shows it as a PNG. The figure
            is one that pyplot does not track, so it is never shown twice.

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
        self._display = display or _display_figure
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
        from coursekit.plotting import add_caption, metric_label

        caption = "Training (solid) and validation (dashed) curves per epoch."
        values = self.history.get(self.monitor)
        if values:
            pick = min if self.mode == "min" else max
            best = values.index(pick(values))
            for axis in self.figure.axes:
                axis.axvline(best + 1, color="grey", linewidth=1)
            kept = ", whose weights the model keeps" if self.restored else ""
            caption += (
                f" The grey line marks epoch {best + 1}, the best {metric_label(self.monitor)}"
                f"{kept}."
            )
        with DRAWING_LOCK:
            add_caption(self.figure, caption)
        self._handle.update(self.figure)

    def _create_figure(self):
        from coursekit.plotting import NOTEBOOK_WIDTH

        names = [
            name for name in self.history if not name.startswith("val_") and name != "learning_rate"
        ]
        names = sorted(names, key=lambda name: name != "loss")[: self.MAX_PANELS]
        width = min(4.2 * len(names), NOTEBOOK_WIDTH)
        self.figure = detached_figure((width, 3.2))
        axes = self.figure.subplots(1, len(names), squeeze=False)
        self._axes = dict(zip(names, axes[0], strict=True))

    def _draw(self, title):
        with DRAWING_LOCK:
            self._draw_panels(title)

    def _draw_panels(self, title):
        from matplotlib.ticker import MaxNLocator

        from coursekit.plotting import metric_label

        for name, axis in self._axes.items():
            axis.clear()
            epochs = range(1, len(self.history[name]) + 1)
            axis.plot(epochs, self.history[name], "-o", markersize=3, label="training")
            validation = self.history.get(f"val_{name}")
            if validation:
                axis.plot(epochs, validation, "--o", markersize=3, label="validation")
            axis.set_xlabel("epoch")
            # The whole run's span from the first epoch on, in whole epochs.
            total = self.params.get("epochs")
            if isinstance(total, int):
                axis.set_xlim(0.5, total + 0.5)
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.set_title(metric_label(name), fontsize=10)
        first = next(iter(self._axes.values()))
        first.legend(fontsize=8)
        self.figure.suptitle(title, fontsize=10)
        self.figure.tight_layout()


def _display_figure(figure):
    shown = FigureDisplay()
    shown.update(figure)
    return shown


class _Text:
    """Plain text that a notebook shows as it is (no quotes, unlike a `str`)."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def _display_text(text):
    from IPython.display import display

    return display(_Text(text), display_id=True)


def _optimizer_label(model):
    """E.g. "SGD, momentum 0.9, learning rate 0.01" or "Adam, learning rate CosineDecay"."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return "training"
    config = optimizer.get_config()
    parts = [type(optimizer).__name__]
    if config.get("momentum"):
        parts.append(f"momentum {config['momentum']:g}")
    rate = config.get("learning_rate")
    if isinstance(rate, dict):  # a serialised learning-rate schedule
        parts.append(f"learning rate {rate.get('class_name', 'schedule')}")
    elif rate is not None:
        parts.append(f"learning rate {float(rate):g}")
    return ", ".join(parts)


def _print_flushed(line):
    print(line, file=sys.stdout, flush=True)
