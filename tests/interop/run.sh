#!/usr/bin/env bash
# Capgo's own CLI (@capgo/cli, pinned in package-lock.json) against the emulator.
# Usage: tests/interop/run.sh [pytest args]     (needs Node.js >= 20, npm, openssl)
# Installs the CLI with `npm ci` when node_modules is missing or older than the lockfile,
# then runs the pytest suite with the emulator's Python (PYTHON, default: .venvs/emulator
# made by make test, else python3 with werkzeug, PyYAML, requests and pytest).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
if [[ ! -e node_modules/@capgo/cli/dist/index.js || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
python=${PYTHON:-}
if [[ -z "$python" ]]; then
    if [[ -x "$root/.venvs/emulator/bin/python" ]]; then python="$root/.venvs/emulator/bin/python"; else python=python3; fi
fi
exec "$python" -m pytest -p no:cacheprovider "$here" "$@"
