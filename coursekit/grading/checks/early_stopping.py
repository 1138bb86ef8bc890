"""The exercise on early stopping: where Keras's EarlyStopping stops and what it restores."""

import numpy as np

from coursekit.grading.checks.regularisation import NOTEBOOK_04
from coursekit.grading.registry import Case, Exercise, Hint, register
from coursekit.scratch import early_stopping_epoch

# --- 04.5 early_stopping_epoch --------------------------------------------------------


def _early_stopping_cases():
    curve = [2.3, 1.6, 1.2, 1.0, 0.91, 0.86, 0.84, 0.85, 0.83, 0.86, 0.87, 0.9, 0.89, 0.93]
    return [
        Case("always improving: never stops", ([0.9, 0.8, 0.7, 0.6], 2)),
        Case("stops after 3 epochs without improvement", ([1.0, 0.8, 0.85, 0.9, 0.95, 0.7], 3)),
        Case("patience 0 stops at the first epoch without improvement", ([0.9, 0.8, 0.85, 0.7], 0)),
        Case("a loss equal to the best one is no improvement", ([0.9, 0.7, 0.7, 0.7, 0.6], 2)),
        Case("the last epoch improves", ([0.9, 0.8, 0.85, 0.82, 0.6], 3)),
        Case("runs out of epochs without stopping", ([0.9, 0.6, 0.7, 0.8, 0.75], 5)),
        Case("a single epoch", ([0.4], 1)),
        Case("the first epoch is the best", ([0.5, 0.6, 0.55, 0.7], 2)),
        Case("a noisy validation curve, patience 2", (curve, 2)),
        Case("a noisy validation curve, patience 4", (np.array(curve), 4)),
    ]


def _stopping_rule(val_losses, patience, improves, stops):
    """Early stopping with a given improvement test and stopping test, for wrong answers."""
    best, wait = 0, 0
    for epoch in range(1, len(val_losses)):
        if improves(val_losses[epoch], val_losses[best]):
            best, wait = epoch, 0
            continue
        wait += 1
        if stops(wait, patience):
            return epoch, best
    return len(val_losses) - 1, best


def _waits_one_epoch_too_long(val_losses, patience):
    return _stopping_rule(val_losses, patience, lambda a, b: a < b, lambda w, p: w > p)


def _ties_improve(val_losses, patience):
    return _stopping_rule(val_losses, patience, lambda a, b: a <= b, lambda w, p: w >= p)


def _one_based(val_losses, patience):
    stop, best = early_stopping_epoch(val_losses, patience)
    return stop + 1, best + 1


def _keeps_last_weights_when_not_stopped(val_losses, patience):
    stop, best = early_stopping_epoch(val_losses, patience)
    return (stop, stop) if stop == len(val_losses) - 1 else (stop, best)


def _stops_at_best_plus_patience(val_losses, patience):
    best = 0
    for epoch in range(len(val_losses)):
        if val_losses[epoch] < val_losses[best]:
            best = epoch
        if epoch - best >= patience:
            return epoch, best
    return len(val_losses) - 1, best


register(
    Exercise(
        id="04.5",
        notebook=NOTEBOOK_04,
        title="Where early stopping stops",
        points=3,
        target="early_stopping_epoch",
        reference=early_stopping_epoch,
        cases=_early_stopping_cases,
        hints=(
            Hint(
                "Training stops at the end of the epoch that makes `patience` epochs "
                "without improvement in a row: count the epochs since the last improvement.",
                _waits_one_epoch_too_long,
            ),
            Hint("Return 0-based epoch indices into val_losses.", _one_based),
            Hint(
                "A loss equal to the best so far is no improvement: it must be strictly lower.",
                _ties_improve,
            ),
            Hint(
                "With restore_best_weights=True, Keras restores the best epoch's weights "
                "whenever training ends, also when it runs out of epochs.",
                _keeps_last_weights_when_not_stopped,
            ),
            Hint(
                "With patience=0, training still runs until the first epoch without "
                "improvement and stops at its end.",
                _stops_at_best_plus_patience,
            ),
        ),
    )
)
