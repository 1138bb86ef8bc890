"""Training and evaluation on top of Keras: `fit`, `evaluate` and `predict_tta`.

`fit` wraps `keras.Model.fit` with the run profile's sizes, progress reports, early
stopping, mixed precision and XLA on GPUs, and `tf.distribute` strategies. Importing
this package imports Keras (and its backend); `import coursekit` alone does not.
"""

from coursekit.training.evaluation import evaluate, predict_tta
from coursekit.training.loop import Acceleration, acceleration, fit
from coursekit.training.progress import EpochLog, LiveCurves, RunStatus, in_notebook

__all__ = [
    "Acceleration",
    "EpochLog",
    "LiveCurves",
    "RunStatus",
    "acceleration",
    "evaluate",
    "fit",
    "in_notebook",
    "predict_tta",
]
