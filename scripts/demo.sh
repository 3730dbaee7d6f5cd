#!/usr/bin/env bash
# The capgo.cloud demo (`make demo`): build and install the collection from the work tree,
# start the Capgo API emulator with examples/seed.yml, and run every examples/*.yml
# playbook twice against it. The first run must succeed; the second must succeed and report
# changed=0 for every host (the modules are idempotent). The emulator is reset to the seed
# before each playbook, so the examples do not depend on each other.
#
# The playbooks get the connection through the modules' environment fallbacks:
#   CAPGO_API_URL        the emulator's URL
#   CAPGO_FILES_URL      the same URL (its files service receives uploads)
#   CAPGO_API_KEY        the seed's admin API key (org_super_admin on "Demo org")
# and, for examples that need a logged-in user (e.g. creating API keys):
#   CAPGO_SESSION_TOKEN  the admin's session token; read it with lookup('env', ...)
#
# Knobs: EXAMPLES="examples/channel.yml ..." (default: all), KEEP_TMP=1, PYTHON=python3.11.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
CORE=2.19
SEED_REL=examples/seed.yml

unset CAPGO_API_KEY CAPGO_TOKEN CAPGO_API_URL CAPGO_FILES_URL CAPGO_ENCRYPTION_KEY CAPGO_TIMEOUT CAPGO_RETRIES CAPGO_VALIDATE_CERTS CAPGO_CA_PATH
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_child
    stop_emulator
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        if [[ "${KEEP_TMP:-0}" == 1 ]]; then say "temporary files kept: $WORK"; else rm -rf "$WORK"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

die() { say "demo: $*"; exit 1; }

banner "setup"
ensure_venv "core-$CORE" "$REQ_DIR/core-$CORE.txt" || die "could not create the ansible-core $CORE venv"
ensure_emulator_venv || die "could not create the emulator venv"
VENV=$(core_venv "$CORE")
export PATH="$VENV/bin:$PATH"

layout_tree demo || die "could not copy the work tree"
[[ -f "$COLL/$SEED_REL" ]] || die "$SEED_REL is missing"

# Build and install the collection the way a user would (galaxy.yml's build_ignore applies).
mkdir -p "$WORK/dist" "$WORK/collections"
export ANSIBLE_COLLECTIONS_PATH="$WORK/collections" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
run_child "$COLL" ansible-galaxy collection build --force --output-path "$WORK/dist" \
    || die "ansible-galaxy collection build failed"
run_child "$WORK" ansible-galaxy collection install --force -p "$WORK/collections" "$WORK"/dist/capgo-cloud-*.tar.gz \
    || die "ansible-galaxy collection install failed"
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_RETRY_FILES_ENABLED=false

# Files the examples write (keys, charts) go to $TMPDIR: keep them in the demo's own directory.
mkdir -p "$WORK/tmp"
export TMPDIR="$WORK/tmp"

printf 'localhost ansible_connection=local ansible_python_interpreter=%s\n' "$VENV/bin/python" > "$WORK/inventory.ini"

# Example playbooks: every examples/*.yml but the seed.
PLAYBOOKS=()
if [[ -n "${EXAMPLES:-}" ]]; then
    read -r -a PLAYBOOKS <<<"$EXAMPLES"
else
    for f in "$COLL"/examples/*.yml; do
        [[ -e "$f" && "${f#"$COLL"/}" != "$SEED_REL" ]] && PLAYBOOKS+=("${f#"$COLL"/}")
    done
fi
(( ${#PLAYBOOKS[@]} )) || die "no example playbooks in examples/ (besides seed.yml)"

start_emulator "$COLL/$SEED_REL" "$WORK/emulator.log" || die "the emulator did not start"
CAPGO_API_URL=$EMU_URL
read -r CAPGO_API_KEY CAPGO_SESSION_TOKEN < <("$VENV/bin/python" - "$COLL/$SEED_REL" <<'EOF'
import sys, yaml
seed = yaml.safe_load(open(sys.argv[1]))
keys = seed.get('apikeys') or []
admin = [k for k in keys if any(b.get('role_name') == 'org_super_admin' for b in k.get('bindings') or [])]
key = (admin or keys or [{'key': ''}])[0]['key']
owner = (admin or keys or [{}])[0].get('user')
tokens = {u['email']: u.get('session_token') for u in seed.get('users') or []}
print(key, tokens.get(owner) or '-')
EOF
)
CAPGO_FILES_URL=$EMU_URL  # the emulator's files service (uploads) is at the API's origin
export CAPGO_API_URL CAPGO_FILES_URL CAPGO_API_KEY CAPGO_SESSION_TOKEN
[[ -n "$CAPGO_API_KEY" ]] || die "$SEED_REL has no API key"

reset_emulator() {
    "$VENV/bin/python" - "$EMU_URL" "$COLL/$SEED_REL" <<'EOF'
import json, sys, urllib.request, yaml
url, seed = sys.argv[1], yaml.safe_load(open(sys.argv[2]))
for method, path, body in (('POST', '/_emulator/reset', seed), ('DELETE', '/_emulator/faults', None),
                           ('DELETE', '/_emulator/requests', None)):
    data = json.dumps(body, default=str).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method, headers={'content-type': 'application/json'})
    urllib.request.urlopen(req, timeout=30).read()
EOF
}

# run_playbook PLAYBOOK LOG: run it (output shown and kept in LOG); returns ansible-playbook's status.
run_playbook() {
    local rc
    exec {TEE_FD}> >(tee "$2")
    local tee_pid=$!
    run_child "$COLL" ansible-playbook -i "$WORK/inventory.ini" "$1" >&"$TEE_FD" 2>&1
    rc=$?
    exec {TEE_FD}>&-
    wait "$tee_pid" 2>/dev/null
    TEE_FD=""
    return $rc
}

# Hosts of a PLAY RECAP with changed != 0 (or failed/unreachable), as "host: ok=.. changed=..".
not_converged() {
    grep -E '^[^ ]+ +: ok=[0-9]+ +changed=[0-9]+ +unreachable=[0-9]+ +failed=[0-9]+' "$1" \
        | grep -vE 'changed=0 +unreachable=0 +failed=0' || true
}

declare -a R_NAME=() R_RESULT=() R_NOTE=()
passed=0 failed=0
for pb in "${PLAYBOOKS[@]}"; do
    name=$(basename "$pb" .yml)
    result=PASS note="second run changed=0"
    reset_emulator || { result=FAIL; note="emulator reset failed"; }
    if [[ $result == PASS ]]; then
        banner "$pb: first run"
        if ! run_playbook "$pb" "$WORK/$name.1.log"; then
            result=FAIL note="first run failed"
        fi
    fi
    if [[ $result == PASS ]]; then
        banner "$pb: second run (must change nothing)"
        if ! run_playbook "$pb" "$WORK/$name.2.log"; then
            result=FAIL note="second run failed"
        elif ! grep -qE '^[^ ]+ +: ok=' "$WORK/$name.2.log"; then
            result=FAIL note="no PLAY RECAP in the second run"
        else
            bad=$(not_converged "$WORK/$name.2.log")
            if [[ -n "$bad" ]]; then
                result=FAIL note="second run changed something: $(tr -s ' ' <<<"$bad" | paste -sd ';' -)"
            fi
        fi
    fi
    [[ $result == PASS ]] && passed=$(( passed + 1 )) || failed=$(( failed + 1 ))
    R_NAME+=("$pb"); R_RESULT+=("$result"); R_NOTE+=("$note")
done
stop_emulator

banner "demo summary"
for i in "${!R_NAME[@]}"; do
    printf '%-32s %-5s %s\n' "${R_NAME[$i]}" "${R_RESULT[$i]}" "${R_NOTE[$i]}"
done
if (( failed )); then
    say "DEMO FAILED: every example must run cleanly twice, the second time with changed=0"
fi
say "$passed passed, $failed failed"
(( failed == 0 ))
