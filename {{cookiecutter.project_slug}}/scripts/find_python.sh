#!/bin/sh
# Print the path of a Python X.Y that really runs and can create a virtualenv with pip.
#
#   sh scripts/find_python.sh 3.12           the first that works, in the order below
#   sh scripts/find_python.sh 3.12 PYTHON    only PYTHON (a path or a command on PATH)
#
# `make install` uses it (PYTHON= picks the interpreter). A command on PATH is not enough: a
# pyenv shim for python3.12 exists even where pyenv's active version lacks it, and fails when
# run. So each candidate is run once, and the first that reports version X.Y and has ensurepip
# (which `python -m venv` needs; Debian and Ubuntu ship it as pythonX.Y-venv) wins:
# pythonX.Y on PATH, the one `uv python find` knows, pyenv's builds (newest first), then
# /usr/local/bin and /usr/bin. Exits 1 with what to install when none works.
set -eu

version=${1:?usage: find_python.sh X.Y [PYTHON]}
explicit=${2:-}
tried=""
no_venv=""
why=""

# Prints the interpreter's own path when it is Python $version with ensurepip; else sets `why`.
check() {
    if ! report=$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2], sys.executable)' 2>/dev/null); then
        why="does not run"
        return 1
    fi
    if [ "${report%% *}" != "$version" ]; then
        why="is Python ${report%% *}, not $version"
        return 1
    fi
    if ! "$1" -c 'import ensurepip' >/dev/null 2>&1; then
        why="has no venv support: apt-get install python$version-venv"
        no_venv="$no_venv ${report#* }"
        return 1
    fi
    echo "${report#* }"
}

try() {
    [ -n "$1" ] || return 1
    tried="$tried $1"
    check "$1"
}

if [ -n "$explicit" ]; then
    try "$explicit" && exit 0
    echo "PYTHON=$explicit $why." >&2
    exit 1
fi

try "python$version" && exit 0
if command -v uv >/dev/null 2>&1; then
    try "$(UV_PYTHON_DOWNLOADS=never uv python find "$version" 2>/dev/null)" && exit 0
fi
pyenv_root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
newest_first=$(printf '%s\n' "$pyenv_root/versions/$version".*/bin/"python$version" | sort -rV)
newline='
'
IFS=$newline
for candidate in $newest_first "/usr/local/bin/python$version" "/usr/bin/python$version"; do
    [ -e "$candidate" ] && try "$candidate" && exit 0
done
unset IFS

{
    echo "No Python $version found that runs and can create a virtualenv (tried:$tried)."
    for found in $no_venv; do
        echo "$found has no venv support: apt-get install python$version-venv"
    done
    echo "Install one, or name one with PYTHON=/path/to/python$version:"
    echo "  pyenv:          pyenv install $version"
    echo "  uv:             uv python install $version"
    echo "  Ubuntu:         apt-get install python$version python$version-venv (24.04 has 3.12; for"
    echo "                  other versions first: add-apt-repository ppa:deadsnakes/ppa && apt-get update)"
    echo "  Debian 12 packages Python 3.11 only: use pyenv or uv"
} >&2
exit 1
