#!/usr/bin/env bash
# Binder, reproduced: a fresh environment built as repo2docker builds it (the Python of
# binder/runtime.txt, JupyterLab, binder/requirements.txt, then binder/postBuild), then
# every notebook executed with Binder's environment variables and no COURSEKIT_PROFILE,
# reporting each notebook's time, peak memory and the profile coursekit picked. Fails if a
# notebook passes 1.5 GB or Binder is not detected.
#
#   bash scripts/check_binder.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^python-//p' binder/runtime.txt)
python=python$version
if ! "$python" -c "" 2> /dev/null && command -v pyenv > /dev/null; then
    python=$(ls -d "$(pyenv root)"/versions/"$version"*/bin/python"$version" 2> /dev/null | tail -1)
fi
if ! "$python" -c "" 2> /dev/null; then
    echo "Python $version (binder/runtime.txt) not found" >&2
    exit 1
fi
environment=.venv-binder
rm -rf "$environment"
"$python" -m venv "$environment"
# shellcheck disable=SC1091
source "$environment/bin/activate"
python -m pip install --quiet --upgrade pip
# repo2docker's own environment: JupyterLab and its kernel (nbclient comes with nbconvert).
python -m pip install --quiet jupyterlab
python -m pip install --quiet -r binder/requirements.txt
bash binder/postBuild > /dev/null
du -sh "$environment" | sed 's/^/environment size: /'
python benchmarks/notebook_resources.py --binder "$@"
