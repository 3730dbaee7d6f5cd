# shellcheck shell=bash
# Shared helpers of scripts/test.sh and scripts/demo.sh (sourced, not run).
# Expects ROOT (the repository root) to be set by the caller.

PYTHON=${PYTHON:-python3.11}
VENVS="$ROOT/.venvs"
REQ_DIR="$ROOT/tests/requirements"
# Bump to force every venv to be rebuilt (e.g. after changing how venvs are made).
VENV_FORMAT=1

WORK=""       # temporary directory holding ansible_collections/capgo/cloud
COLL=""       # the laid-out collection tree
EMU_PID=""    # the emulator (leader of its own process group)
EMU_URL=""
CHILD_PID=""  # the running child started by run_child
TEE_FD=""     # fd a caller writes stage output to; closed in the emulator

say() { printf '%s\n' "$*"; }
banner() { printf '\n==== %s ====\n' "$*"; }

stop_emulator() {
    if [[ -n "$EMU_PID" ]] && kill -0 "$EMU_PID" 2>/dev/null; then
        # The emulator runs in its own process group (setsid): end that group only.
        kill -TERM -- "-$EMU_PID" 2>/dev/null || kill -TERM "$EMU_PID" 2>/dev/null
        for _ in $(seq 1 50); do
            kill -0 "$EMU_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$EMU_PID" 2>/dev/null || true
        wait "$EMU_PID" 2>/dev/null || true
        say "emulator stopped"
    fi
    EMU_PID=""
}

# run_child DIR CMD...: run CMD in DIR as a child in its own process group and wait for it.
# Waiting with `wait` (not in the foreground) lets INT/TERM reach our traps at once, and the
# own group lets cleanup end the child with everything it started.
run_child() {
    local dir=$1 rc
    shift
    (cd "$dir" && exec setsid "$@") < /dev/null &
    CHILD_PID=$!
    wait "$CHILD_PID"
    rc=$?
    CHILD_PID=""
    return $rc
}

stop_child() {
    if [[ -n "$CHILD_PID" ]] && kill -0 "$CHILD_PID" 2>/dev/null; then
        kill -TERM -- "-$CHILD_PID" 2>/dev/null
        for _ in $(seq 1 50); do
            kill -0 "$CHILD_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$CHILD_PID" 2>/dev/null || true
    fi
    CHILD_PID=""
}


# ---------------------------------------------------------------- venvs
file_hash() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# ensure_venv NAME REQUIREMENT_FILE...: create .venvs/NAME from the files unless its stamp matches.
ensure_venv() {
    local name=$1
    shift
    local dir="$VENVS/$name" stamp want_stamp f args=()
    want_stamp="$VENV_FORMAT $("$PYTHON" -c 'import sys; print(sys.version.split()[0])') $(file_hash "$@")"
    stamp="$dir/.capgo-stamp"
    if [[ -x "$dir/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want_stamp" ]]; then
        say "venv $name: up to date"
        return 0
    fi
    say "venv $name: creating from $*"
    rm -rf "$dir"
    mkdir -p "$VENVS"
    "$PYTHON" -m venv "$dir" || return 1
    for f in "$@"; do args+=(-r "$f"); done
    if ! "$dir/bin/python" -m pip install --quiet --no-input "${args[@]}" > "$dir/pip-install.log" 2>&1; then
        grep -v "^WARNING: Location 'file:" "$dir/pip-install.log" | tail -n 30
        say "venv $name: pip install failed (full log: $dir/pip-install.log)"
        return 1
    fi
    echo "$want_stamp" > "$stamp"
    say "venv $name: ready"
}

core_venv() { echo "$VENVS/core-$1"; }

ensure_core_venv() {
    local core=$1 req="$REQ_DIR/core-$1.txt"
    if [[ ! -f "$req" ]]; then
        say "no pinned requirements for ansible-core $core ($req)"
        return 1
    fi
    ensure_venv "core-$core" "$req" && ensure_get_pip "$(core_venv "$core")"
}

# ansible-test --venv bootstraps pip with a get-pip.py it downloads from a host that may be
# unreachable. It first looks for ~/.ansible/test/cache/get_pip_<version>.py; when the real
# download fails, put a stand-in there that uses ensurepip and then pip itself (from PyPI).
ensure_get_pip() {
    local venv=$1 pip_version cache url
    pip_version=$("$venv/bin/python" - <<'EOF'
import os, re, ansible_test
src = open(os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')).read()
m = re.search(r"default_packages = dict\(\s*pip='([0-9.]+)'", src)
print(m.group(1) if m else '')
EOF
    ) || return 1
    [[ -n "$pip_version" ]] || { say "cannot find the pip version ansible-test bootstraps"; return 1; }
    cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
    [[ -f "$cache" ]] && return 0
    mkdir -p "$(dirname "$cache")"
    url="https://ci-files.testing.ansible.com/ansible-test/get-pip-$pip_version.py"
    if "$venv/bin/python" - "$url" "$cache.download" <<'EOF' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=20) as r, open(sys.argv[2], 'wb') as f:
    f.write(r.read())
EOF
    then
        mv "$cache.download" "$cache"
        say "get-pip $pip_version: downloaded to $cache"
        return 0
    fi
    rm -f "$cache.download"
    cat > "$cache" <<'EOF'
"""Stand-in for get-pip.py, written by capgo.cloud's scripts/test.sh because the real one
could not be downloaded. ansible-test runs it inside a fresh venv with pip options and
pinned packages (e.g. --disable-pip-version-check pip==24.2 --no-setuptools --no-wheel):
bootstrap pip with ensurepip, then install the requested packages from the package index."""
import os
import subprocess
import sys


def main():
    args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
    cert = '/etc/ssl/certs/ca-certificates.crt'
    extra = ['--cert', cert] if os.path.exists(cert) else []
    subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + extra + args)


main()
EOF
    say "get-pip $pip_version: download failed; installed the ensurepip stand-in at $cache"
}

# ---------------------------------------------------------------- temporary collection tree
# layout_tree [NAME]: copy the work tree to $WORK/ansible_collections/capgo/cloud (= COLL).
# ansible-test resolves the physical cwd, so the tree must be a real copy, not a symlink.
layout_tree() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/capgo-cloud-${1:-test}.XXXXXX") || return 1
    COLL="$WORK/ansible_collections/capgo/cloud"
    mkdir -p "$COLL"
    if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        # Tracked and untracked-but-not-ignored files: what a commit of the work tree would hold.
        (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
            | tar --null --no-recursion --ignore-failed-read -T - -cf - 2>/dev/null) \
            | tar -C "$COLL" -xf - || return 1
    else
        tar -C "$ROOT" --exclude=./.git --exclude=./.venvs --exclude=./.venv --exclude=./tests/output \
            --exclude=./.tmp --exclude=__pycache__ --exclude=.pytest_cache --exclude='*.tar.gz' \
            --exclude=./scripts/.cache -cf - . | tar -C "$COLL" -xf - || return 1
    fi
    say "collection tree: $COLL"
}

# ---------------------------------------------------------------- emulator
# start_emulator SEED LOG: start the emulator of the laid-out tree on a free loopback port;
# sets EMU_PID and EMU_URL.
start_emulator() {
    local seed=$1 log=$2
    if [[ ! -d "$COLL/tests/emulator/capgo_emulator" ]]; then
        say "no emulator in tests/emulator/capgo_emulator"
        return 1
    fi
    ensure_emulator_venv || return 1
    # Own session and process group, so that stop_emulator ends it and nothing else. It must
    # not hold the caller's tee pipe open (TEE_FD), or that tee would never end.
    if [[ -n "$TEE_FD" ]]; then
        PYTHONPATH="$COLL/tests/emulator" setsid "$VENVS/emulator/bin/python" -m capgo_emulator \
            --host 127.0.0.1 --port 0 --seed "$seed" > "$log" 2>&1 < /dev/null {TEE_FD}>&- &
    else
        PYTHONPATH="$COLL/tests/emulator" setsid "$VENVS/emulator/bin/python" -m capgo_emulator \
            --host 127.0.0.1 --port 0 --seed "$seed" > "$log" 2>&1 < /dev/null &
    fi
    EMU_PID=$!
    EMU_URL=""
    for _ in $(seq 1 300); do
        EMU_URL=$(grep -oE 'capgo-emulator listening on http://[^ ]+' "$log" | head -n 1 | awk '{print $4}')
        [[ -n "$EMU_URL" ]] && break
        if ! kill -0 "$EMU_PID" 2>/dev/null; then
            say "emulator exited at start:"
            cat "$log"
            EMU_PID=""
            return 1
        fi
        sleep 0.1
    done
    if [[ -z "$EMU_URL" ]]; then
        say "emulator did not print its listening line within 30 s:"
        cat "$log"
        stop_emulator
        return 1
    fi
    say "emulator (pid $EMU_PID) listening on $EMU_URL, seed ${seed#"$COLL"/}"
}

ensure_emulator_venv() {
    local files=()
    [[ -f "$ROOT/tests/emulator/requirements.txt" ]] && files+=("$ROOT/tests/emulator/requirements.txt")
    files+=("$REQ_DIR/emulator-tests.txt")
    ensure_venv emulator "${files[@]}"
}
