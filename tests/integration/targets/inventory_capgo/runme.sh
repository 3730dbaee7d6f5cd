#!/usr/bin/env bash
# inventory_capgo integration target: the inventory plugin capgo.cloud.capgo against the emulator,
# reset to the standard seed plus files/overlay.yml (three organizations, six apps, a key that
# sees two apps only).
#   1. inventory.yml: ansible-inventory --list/--graph with the plugin (keys, org_ids, app_ids,
#      include, constructed options, cache, bad configurations); the request log after each.
#   2. release.yml over the plugin's inventory (group capgo_org_<Fleet org>, -f 3): one bundle
#      per app, released by the collection's release role with the host's app; then
#      release_check.yml reads the emulator's state.
set -eu

config=../../integration_config.yml
out=${OUTPUT_DIR:-$(mktemp -d)}
export ANSIBLE_ROLES_PATH=..

ansible-playbook -i "${INVENTORY_PATH}" -e @"${config}" -e "inventory_out=${out}" inventory.yml "$@"

# The plugin's inventory as the playbook's inventory: one host per app of the key.
url=$(sed -n 's/^capgo_api_url: *//p' "${config}" | tr -d "'\"")
export CAPGO_API_URL="${url}"
export CAPGO_API_KEY=9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b   # inventory-fleet-admin (files/overlay.yml)
export ANSIBLE_INVENTORY_ENABLED=capgo.cloud.capgo ANSIBLE_INVENTORY_UNPARSED_FAILED=true
cp release.capgo.yml "${out}/release.capgo.yml"
log="${out}/inventory_capgo-release.log"
ansible-playbook -i "${out}/release.capgo.yml" -f 3 -e @release_vars.yml \
    -e capgo_hosts=capgo_org_5d3c0e1a_7b2f_4c8d_9e6a_1f2b3c4d5e6f release.yml "$@" | tee "${log}"
if grep -q "${CAPGO_API_KEY}" "${log}"; then
    echo "the API key appears in the release's output"
    exit 1
fi
unset CAPGO_API_KEY CAPGO_API_URL ANSIBLE_INVENTORY_ENABLED ANSIBLE_INVENTORY_UNPARSED_FAILED
ansible-playbook -i "${INVENTORY_PATH}" -e @"${config}" -e "release_log=${log}" release_check.yml "$@"
