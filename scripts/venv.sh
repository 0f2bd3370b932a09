# Shared by ./run and ./run-tests: create .venv with Python 3.11+, install the pinned requirements once, and the
# project itself (editable: `pip install -e .`, so that scripts and benchmarks import patti_web from anywhere).
ensure_venv() {
    if [ ! -x .venv/bin/python ]; then
        python=${PYTHON:-python3}
        if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "Serve Python 3.11 o più recente (comando: $python)." >&2
            exit 1
        fi
        if ! "$python" -m venv .venv; then
            echo "Impossibile creare .venv: su Debian installare il pacchetto python3-venv (apt-get install python3-venv)." >&2
            exit 1
        fi
    fi
    # One stamp per file (its cksum), so that ./run (requirements.txt) after ./run-tests (requirements.txt and
    # requirements-dev.txt) finds its files installed and installs nothing.
    stamps=.venv/.installed
    changed=""
    for file in "$@" pyproject.toml; do
        if [ "$(cat "$stamps/$file" 2>/dev/null)" != "$(cksum < "$file")" ]; then
            changed="$changed $file"
        fi
    done
    if [ -n "$changed" ]; then
        echo "Installazione delle dipendenze in .venv (la prima volta dal registro dei pacchetti Python: circa un minuto)..."
        args=""
        for file in "$@"; do args="$args -r $file"; done
        # shellcheck disable=SC2086 # file names without spaces, split on purpose
        .venv/bin/python -m pip install --quiet --disable-pip-version-check $args
        .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
        mkdir -p "$stamps"
        for file in "$@" pyproject.toml; do cksum < "$file" > "$stamps/$file"; done
    fi
}

# The W3C's Nu Html Checker for tests/test_html.py: vnu.jar from the npm package vnu-jar, pinned, run with Java.
# Installed into .venv/vnu once when npm and Java are there; the test is skipped without them (CI requires it).
VNU_VERSION=26.9.27
ensure_vnu() {
    if ! command -v npm >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(cat .venv/vnu/.version 2>/dev/null)" != "$VNU_VERSION" ]; then
        echo "Installazione di vnu-jar $VNU_VERSION in .venv/vnu..."
        mkdir -p .venv/vnu
        npm install --silent --no-audit --no-fund --prefix .venv/vnu "vnu-jar@$VNU_VERSION" >/dev/null
        echo "$VNU_VERSION" > .venv/vnu/.version
    fi
}
