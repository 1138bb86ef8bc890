"""Training on several machines: the `TF_CONFIG` each worker of a cluster needs.

`tf.distribute.MultiWorkerMirroredStrategy` reads the cluster from the `TF_CONFIG`
environment variable when the strategy is created: every machine runs the same code,
with the same list of workers and its own index in it. Worker 0 is the
chief (the one that should write checkpoints and logs).
"""

import json


def tf_config(workers, index):
    """Returns the `TF_CONFIG` value for one worker of a cluster.

    Args:
        workers: the `"host:port"` address of every worker, the same list, in the same
            order, on every machine.
        index: this machine's position in `workers` (0 is the chief).

    Returns:
        A JSON string, to put into the environment before the strategy is created:
        `os.environ["TF_CONFIG"] = tf_config(...)`.

    Raises:
        ValueError: if `index` is not a position in `workers`.

    Example:

    >>> tf_config(["10.0.0.1:12345", "10.0.0.2:12345"], 1)
    '{"cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]}, "task": {"type": "worker", "index": 1}}'
    """
    workers = list(workers)
    if not isinstance(index, int) or not 0 <= index < len(workers):
        raise ValueError(
            f"`index` must be a position in `workers` (0 to {len(workers) - 1}). "
            f"Received: index={index!r}"
        )
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})
