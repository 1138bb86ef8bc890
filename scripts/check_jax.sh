#!/usr/bin/env bash
# The course on Keras's JAX backend: installs JAX (CPU) into the active environment, then
# runs, with KERAS_BACKEND=jax, the tests of coursekit.scratch, coursekit.arithmetic,
# coursekit.models, the grading checks, the training
# wrapper, the input pipelines and training in two processes (keras.distribution's
# DataParallel), and notebook 01 itself (with its widgets and figures,
# which do not depend on the backend). Tests of TensorFlow-only parts (tf.data,
# tf.distribute) are skipped, and -rs prints why.
#
#   bash scripts/check_jax.sh               (from the repository root, in the venv that ran
#                                            the README's test command)
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet -e ".[jax]"
export KERAS_BACKEND=jax COURSEKIT_PROFILE=fast
shopt -s nullglob
models=(tests/test_models*.py)
[[ -d coursekit/models ]] && models+=(coursekit/models)
python -m pytest -q -rs -p no:cacheprovider \
    tests/test_arithmetic.py tests/test_scratch_*.py \
    tests/test_grading_checks.py tests/test_grading_regularisation.py \
    tests/test_training.py tests/test_data_pipeline.py tests/test_multi_worker.py \
    coursekit/scratch coursekit/arithmetic.py coursekit/training "${models[@]}" \
    notebooks/solutions/01_convolution_arithmetic.ipynb
