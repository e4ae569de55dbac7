# Shared by scripts/run and scripts/test: a project virtual environment with Tally installed.
# Usage: ensure_venv EXTRAS   (e.g. "" or "test")

ensure_venv() {
    local extras="$1"
    local python="${PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "Tally needs Python 3.11 or newer ($python is $("$python" --version 2>&1))" >&2
        exit 1
    fi
    if [ ! -x .venv/bin/python ]; then
        "$python" -m venv .venv
    fi
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    if [ -n "$extras" ]; then
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
    else
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
    fi
}
