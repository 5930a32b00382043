#!/usr/bin/env bash
# Refresh the lock files (`make lock`): the exact versions of every package the workbook runs
# with, resolved from pyproject.toml in clean virtual environments, so a rebuild of an old
# quarter can use the libraries that built it.
#
#   requirements/dev.txt      qprlib[dev]: what `make setup` installs (tests, lint, JupyterLab)
#   requirements/runtime.txt  qprlib alone: what a scheduled `qpr build` needs, at the same
#                             versions as dev.txt (resolved with dev.txt as constraints)
#
# Needs PyPI (pip's ordinary index). qprlib itself is not listed: it is installed from this
# checkout (`pip install --no-deps -e .`).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/qpr-lock.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p requirements

header() {
  local what="$1"
  echo "# Exact versions of $what, made by \`make lock\`"
  echo "# (scripts/lock.sh) from pyproject.toml in a clean virtual environment"
  echo "# ($("$PYTHON" --version 2>&1), $(uname -sm)). Do not edit: change pyproject.toml, then make lock."
}

freeze() {  # freeze VENV: the installed distributions, qprlib itself left out, sorted
  "$1/bin/python" -m pip freeze --exclude-editable --exclude qprlib | LC_ALL=C sort -f
}

"$PYTHON" -m venv "$work/dev"
"$work/dev/bin/python" -m pip install --quiet --upgrade pip
"$work/dev/bin/python" -m pip install --quiet ".[dev]"
{ header "the development environment (qprlib[dev])"; freeze "$work/dev"; } > "$work/dev.txt"

"$PYTHON" -m venv "$work/runtime"
"$work/runtime/bin/python" -m pip install --quiet --upgrade pip
"$work/runtime/bin/python" -m pip install --quiet -c "$work/dev.txt" .
{ header "the runtime environment (qprlib)"; freeze "$work/runtime"; } > "$work/runtime.txt"

mv "$work/dev.txt" requirements/dev.txt
mv "$work/runtime.txt" requirements/runtime.txt
echo "Wrote requirements/dev.txt ($(grep -vc '^#' requirements/dev.txt) packages) and" \
  "requirements/runtime.txt ($(grep -vc '^#' requirements/runtime.txt) packages)."
echo "If ruff or nbstripout changed, set the same versions as rev: in .pre-commit-config.yaml."
