#!/usr/bin/env bash
# Colab's stack, reproduced: a fresh Python 3.12 environment with Colab's TensorFlow, Keras,
# NumPy, matplotlib, ipywidgets and ipykernel (scripts/colab-constraints.txt), coursekit
# installed on top with those versions held fixed, then the unit tests that depend on them
# and notebooks 01 and 05 in the fast profile.
#
#   bash scripts/check_colab_stack.sh          (from the repository root)
#
# Needs Python 3.12 (python3.12 on the PATH, or pyenv's) and the package index.
set -euo pipefail
cd "$(dirname "$0")/.."
constraints=scripts/colab-constraints.txt
python312=python3.12
if ! "$python312" -c "" 2> /dev/null && command -v pyenv > /dev/null; then
    python312=$(ls -d "$(pyenv root)"/versions/3.12*/bin/python3.12 2> /dev/null | tail -1)
fi
if ! "$python312" -c "" 2> /dev/null; then
    echo "Python 3.12 not found: install it (e.g. pyenv install 3.12) or put python3.12 on the PATH" >&2
    exit 1
fi
environment=.venv-colab
rm -rf "$environment"
"$python312" -m venv "$environment"
# shellcheck disable=SC1091
source "$environment/bin/activate"
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -r "$constraints"
python -m pip freeze > "$environment/colab-before.txt"
# coursekit as Colab's first cell installs it (no extras), and what its tests need, every
# package of Colab's stack held at its version. (Not the `instructor` extra: it asks for
# ipykernel >= 6.25, for grading, and Colab's kernel is 6.17.)
python -m pip install --quiet -c "$constraints" -e . "pytest>=8.0" "nbval>=0.11"
python -m pip check
python - "$environment/colab-before.txt" << 'PYTHON'
import importlib.metadata
import sys

pinned = {"tensorflow", "keras", "numpy", "matplotlib", "ipywidgets", "ipykernel"}
before = dict(
    line.strip().split("==", 1) for line in open(sys.argv[1]) if "==" in line
)
changed = {
    name: (before[name], importlib.metadata.version(name))
    for name in pinned
    if before[name] != importlib.metadata.version(name)
}
print("Colab stack:", ", ".join(f"{name} {before[name]}" for name in sorted(pinned)))
if changed:
    sys.exit(f"Installing coursekit changed Colab's packages: {changed}")
PYTHON
export COURSEKIT_PROFILE=fast
# The tests of what these packages do for coursekit: widgets and figures (ipywidgets 7,
# matplotlib), training, set-up and input pipelines (Keras, TensorFlow, NumPy); the NumPy
# reference tests run in the main suite.
python -m pytest -q -p no:cacheprovider \
    tests/test_plotting_and_widgets.py tests/test_plotting_confusion_matrix.py \
    tests/test_training.py tests/test_environment.py tests/test_data_pipeline.py \
    coursekit/plotting.py coursekit/widgets.py coursekit/rendering.py coursekit/training \
    notebooks/solutions/01_convolution_arithmetic.ipynb \
    notebooks/solutions/05_training_a_cnn.ipynb
