#!/usr/bin/env bash
# check_mode_across_tasks integration target: in check mode, what an earlier task of the same run
# would create is assumed (with a warning that names it), on a fresh emulator.
#   1. README.md's "First playbook" (the <!-- readme-test: first-playbook.yml --> block), as a newcomer
#      runs it: --check --diff predicts both tasks, the warning names the bundle, nothing is written;
#      then the real run changes both, and a second real run changes nothing.
#   2. across_tasks.yml: a new app, its bundle, a channel serving it, a channel promoted from that one
#      and a device override on it, --check then real: the same prediction, no write in check mode.
#   3. missing.yml: a real run still refuses a channel that serves a bundle that does not exist.
set -euo pipefail

config=../../integration_config.yml
# README.md of the collection under test (ansible-test copies only tests/ to the working directory)
readme=${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/capgo/cloud/README.md
out=${OUTPUT_DIR:-$(mktemp -d)}
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
export ANSIBLE_ROLES_PATH=.. ANSIBLE_NOCOLOR=1
run() { ansible-playbook -i "${INVENTORY_PATH}" -e @"${config}" "$@"; }
fail() { echo "check_mode_across_tasks: $*"; exit 1; }
recap() { grep -oE 'localhost +: ok=[0-9]+ +changed=[0-9]+ +unreachable=[0-9]+ +failed=[0-9]+' "$1" | tail -n 1; }
flat() { tr -s ' \n' '  ' < "$1"; }  # Ansible wraps long warnings

setting() {
    "${python}" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))[sys.argv[2]])' "${config}" "$1"
}
CAPGO_API_URL=$(setting capgo_api_url)
CAPGO_API_KEY=$(setting capgo_api_key)
export CAPGO_API_URL CAPGO_API_KEY

# -- 1. the README's first playbook -------------------------------------------------------
[[ -f "${readme}" ]] || fail "README.md not found at ${readme}"
awk '$0 == "<!-- readme-test: first-playbook.yml -->" { want = 1; next }
     want && /^```/ { if (inblock) exit; inblock = 1; next }
     inblock { print }' "${readme}" > "${out}/first-playbook.yml"
[[ -s "${out}/first-playbook.yml" ]] || fail "README.md has no <!-- readme-test: first-playbook.yml --> block"

run reset.yml
log="${out}/first-playbook-check.log"
ansible-playbook "${out}/first-playbook.yml" --check --diff "$@" > "${log}" 2>&1 || { cat "${log}"; fail "--check --diff failed"; }
cat "${log}"
[[ "$(recap "${log}")" =~ changed=2\ +unreachable=0\ +failed=0 ]] || fail "--check --diff did not predict both tasks"
flat "${log}" | grep -qF "check mode: bundle 1.3.0 does not exist in app com.demo.app; assumed to be created by an earlier task of this run" \
    || fail "no warning that names the bundle"
flat "${log}" | grep -qE '"bundle": "1\.3\.0"' || fail "the diff does not show the channel serving 1.3.0"
run no_writes.yml

log="${out}/first-playbook-run.log"
ansible-playbook "${out}/first-playbook.yml" "$@" > "${log}" 2>&1 || { cat "${log}"; fail "the real run failed"; }
[[ "$(recap "${log}")" =~ changed=2\ +unreachable=0\ +failed=0 ]] || { cat "${log}"; fail "the real run did not change both tasks"; }
if flat "${log}" | grep -qF "assumed to be created"; then fail "the real run assumed something"; fi
log="${out}/first-playbook-again.log"
ansible-playbook "${out}/first-playbook.yml" --check --diff "$@" > "${log}" 2>&1 || { cat "${log}"; fail "the converged check run failed"; }
[[ "$(recap "${log}")" =~ changed=0 ]] || { cat "${log}"; fail "the converged check run predicted a change"; }
if flat "${log}" | grep -qF "assumed to be created"; then fail "the converged check run assumed something"; fi

# -- 2. a new app and everything in it, across tasks --------------------------------------
run reset.yml
run across_tasks.yml --check --diff "$@" 2>&1 | tee "${out}/across-check.log"
log="${out}/across-check.log"
run no_writes.yml
for assumed in "app com.across.app does not exist (or this API key cannot read it)" \
        "bundle 1.0.0 does not exist in app com.across.app" "channel beta does not exist in app com.across.app"; do
    flat "${log}" | grep -qF "check mode: ${assumed}; assumed to be created by an earlier task of this run" \
        || fail "no warning: check mode: ${assumed}"
done
log="${out}/across-run.log"
run across_tasks.yml "$@" 2>&1 | tee "${log}"
if flat "${log}" | grep -qF "assumed to be created"; then fail "the real run assumed something"; fi

# -- 3. a real run still refuses what does not exist ----------------------------------------
run reset.yml
run missing.yml "$@"
echo "check_mode_across_tasks: ok"
