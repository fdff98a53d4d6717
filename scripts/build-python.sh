#!/usr/bin/env bash
# Builds and installs the postfork Python package into build/python-venv: a virtual environment
# of Debian's /usr/bin/python3 with the system site-packages visible (python3-cassandra, webpy,
# uwsgidecorators, pytest, gunicorn). The CMake build stays in build/python, so a rebuild only
# compiles what changed. Used by scripts/test.sh; users run `pip install .` (python/README.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
venv=build/python-venv
started=$(date +%s)
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
# The build backend and the binding library, once; then builds without isolation reuse them
# and the build directory.
if ! "$venv/bin/python" -c "import scikit_build_core, nanobind" 2>/dev/null; then
  "$venv/bin/pip" install -q --disable-pip-version-check "scikit-build-core>=0.10" "nanobind>=2.4"
fi
"$venv/bin/pip" install -q --disable-pip-version-check --no-build-isolation \
  --config-settings=build-dir=build/python . >build/python-pip.log 2>&1 \
  || { tail -60 build/python-pip.log; exit 1; }
"$venv/bin/python" -c "import postfork, postfork.cluster" \
  || { echo "build-python: the installed package does not import" >&2; exit 1; }
echo "build-python: postfork installed in $venv in $(( $(date +%s) - started )) s"
