#!/usr/bin/env bash
# roles_check_mode integration target: the roles release (a new version), environment and report,
# each in check mode three ways (--check; check_mode: true on the including task; include_role
# with apply: {check_mode: true}), on a fresh emulator each time: the same prediction, that of the
# real run (run last), and no write (roles.yml asserts both; this script checks the printed plan).
set -euo pipefail

config=../../integration_config.yml
out=${OUTPUT_DIR:-$(mktemp -d)}
export ANSIBLE_ROLES_PATH=.. ANSIBLE_NOCOLOR=1
run() { ansible-playbook -i "${INVENTORY_PATH}" -e @"${config}" "$@"; }
fail() { echo "roles_check_mode: $*"; exit 1; }
flat() { tr -s ' \n' '  ' < "$1"; }  # Ansible wraps long warnings

for way in cli keyword apply real; do
    run reset.yml
    chart="${out}/chart-${way}.svg"
    rm -f "${chart}"
    log="${out}/roles-${way}.log"
    args=(-e "way=${way}" -e "chart=${chart}")
    [[ ${way} == cli ]] && args+=(--check)
    run roles.yml "${args[@]}" "$@" > "${log}" 2>&1 || { cat "${log}"; fail "${way}: roles.yml failed"; }
    if [[ ${way} == real ]]; then
        grep -q 'Capgo environment changes: 2 change(s)' "${log}" || { cat "${log}"; fail "real: no summary of the changes"; }
        if flat "${log}" | grep -qF 'assumed to be created'; then fail "real: the run assumed something"; fi
    else
        grep -q 'Capgo environment plan (check mode): 2 change(s)' "${log}" || { cat "${log}"; fail "${way}: no plan header"; }
        flat "${log}" | grep -qF 'check mode: bundle 1.3.0 does not exist in app com.demo.app; assumed to be created by an earlier task of this run' \
            || { cat "${log}"; fail "${way}: no warning that names the release's bundle"; }
        [[ ! -e "${chart}" ]] || fail "${way}: the chart was written in check mode"
    fi
    echo "roles_check_mode: ${way} ok"
done
