"""Figures for views that redraw while the kernel runs: widgets and live training curves.

Pyplot keeps one global list of open figures, and the notebook's inline backend shows
and closes every figure on that list whenever a cell or a widget callback finishes.
That is fine for a cell that draws once, but not for a drawing that a slider redraws:
JupyterLab 4.4 and later send widget messages on a kernel subshell, and ipykernel 7 can
run two slider callbacks at once on two threads. Two callbacks drawing through pyplot
then show each other's half-drawn figure (torn) or close it before it is shown (blank).

So every live view in coursekit draws into a figure that pyplot does not track
(`detached_figure`), under one lock (`DRAWING_LOCK`: matplotlib's font cache is not
thread-safe either), and hands the frontend a finished PNG (`figure_png`). A figure
that is replaced does not linger in pyplot either, to be shown again when the cell ends.
"""

import io
import threading

DRAWING_LOCK = threading.RLock()


def detached_figure(figsize):
    """Returns a new matplotlib figure that pyplot does not track, with an Agg canvas.

    `plt.show()`, `plt.gcf()` and the inline backend never see it; draw on it with its
    own methods (`figure.subplots()`, `figure.text(...)`) and show it with `figure_png`.

    Args:
        figsize: `(width, height)` in inches.

    Returns:
        A `matplotlib.figure.Figure`.

    Example:

    >>> import matplotlib.pyplot as plt
    >>> figure = detached_figure((3, 2))
    >>> figure in [plt.figure(number) for number in plt.get_fignums()]
    False
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    return figure


def figure_png(figure, dpi=100):
    """Renders a figure to PNG bytes, cropped to what is drawn (as the inline backend does).

    Args:
        figure: a matplotlib figure.
        dpi: pixels per inch; 100 is what the notebook's inline backend uses, so
            live views and ordinary figures show text at the same size.

    Returns:
        The PNG file's bytes.

    Example:

    >>> figure = detached_figure((3, 2))
    >>> _ = figure.subplots().plot([0, 1], [1, 0])
    >>> figure_png(figure)[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    buffer = io.BytesIO()
    with DRAWING_LOCK:
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


class FigureDisplay:
    """Shows a figure as a PNG in a notebook output and replaces it in place when redrawn.

    Example, in a notebook:

        shown = FigureDisplay()
        shown.update(figure)   # first call: displays the PNG
        shown.update(figure)   # later calls: replace it, no new output
    """

    def __init__(self):
        self._handle = None

    def update(self, figure):
        """Shows `figure`, replacing what this display showed before."""
        from IPython.display import Image, display

        image = Image(data=figure_png(figure), format="png")
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)
