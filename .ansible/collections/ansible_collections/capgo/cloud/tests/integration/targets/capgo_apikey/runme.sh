#!/usr/bin/env bash
# capgo_apikey integration target.
#   1. ladder.yml: the ladder, session token versus API key, mode shorthand, regenerate, ...
#   2. secrets.yml at -vvv: its whole output is searched for every API key value (and the
#      session token); check_secrets.py fails unless each value appears only as apikey.key in
#      the result of the task that created or rotated that key.
#   3. check_secrets.py must fail on a copy of that output with one leaked key appended
#      (the leak test can fail).
set -eu

config=../../integration_config.yml
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
out=${OUTPUT_DIR:-$(mktemp -d)}
export ANSIBLE_ROLES_PATH=..

ansible-playbook -i "${INVENTORY_PATH}" -e @"${config}" ladder.yml "$@"

log="${out}/capgo_apikey-secrets-vvv.log"
returned="${out}/capgo_apikey-returned-secrets.json"
state="${out}/capgo_apikey-emulator-state.json"
rm -f "${log}" "${returned}" "${state}"
if ! ansible-playbook -i "${INVENTORY_PATH}" -e @"${config}" -e "capgo_returned_secrets_file=${returned}" \
        secrets.yml -vvv > "${log}" 2>&1; then
    # the failure is shown with every known key masked by the checker's --print
    "${python}" check_secrets.py --config "${config}" --returned "${returned}" --log "${log}" --print || true
    echo "secrets.yml failed (output above, keys masked)"
    exit 1
fi

"${python}" check_secrets.py --config "${config}" --returned "${returned}" --log "${log}" --state-out "${state}"

leaky="${out}/capgo_apikey-secrets-vvv-leaky.log"
cp "${log}" "${leaky}"
"${python}" - "${state}" >> "${leaky}" <<'PY'
import json, sys
keys = [k["key"] for k in json.load(open(sys.argv[1]))["apikeys"] if k.get("key")]
print('[WARNING]: retrying with %s' % keys[0])
PY
if "${python}" check_secrets.py --config "${config}" --returned "${returned}" --log "${leaky}" > /dev/null; then
    echo "check_secrets.py did not notice a leaked key"
    exit 1
fi
echo "check_secrets.py notices a leaked key: ok"
