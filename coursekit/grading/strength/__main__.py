"""The worker process: `python -m coursekit.grading.strength MEMORY_MB` (see `worker.py`)."""

import sys

from coursekit.grading.strength.worker import main

main(int(sys.argv[1]))
