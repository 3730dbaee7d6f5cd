#!/usr/bin/env bash
# environment_role integration target: the capgo.cloud.environment role run as users run it.
#   apply.yml       --check (the plan is printed, nothing written), then for real, then again (changed=0)
#   directory.yml   capgo_environment_dir merged after capgo_environment
#   tags.yml        --tags channels applies only the channels' section
#   bad.yml         a bad declaration fails at validation, before any request
#   bad_dir.yml     a bad file in capgo_environment_dir fails at validation, before any request
#   secret.yml      -vvv --diff: a created webhook's secret never appears in the output
set -eu

config=../../integration_config.yml
out=${OUTPUT_DIR:-$(mktemp -d)}
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
export ANSIBLE_ROLES_PATH=..
run() { ansible-playbook -i "${INVENTORY_PATH}" -e @"${config}" "$@"; }
fail() { echo "environment_role: $*"; exit 1; }
recap_changed() { grep -oE 'localhost +: ok=[0-9]+ +changed=[0-9]+' "$1" | grep -oE 'changed=[0-9]+' | tail -n 1; }

# -- plan, apply, converged ---------------------------------------------------------------
run reset.yml
log="${out}/environment_role-plan.log"
run apply.yml --check --diff "$@" | tee "${log}"
grep -q 'Capgo environment plan (check mode): ' "${log}" || fail "no plan header in the check-mode output"
grep -qF 'create channels com.demo.app/qa: bundle=1.2.0' "${log}" || fail "the plan does not list the new channel"
grep -qF 'update channels com.demo.app/beta: bundle 1.1.0 -> 1.2.0' "${log}" || fail "the plan does not list the channel update"
log="${out}/environment_role-apply.log"
run apply.yml "$@" | tee "${log}"
grep -q 'Capgo environment changes: ' "${log}" || fail "no summary in the real run's output"
[[ "$(recap_changed "${log}")" == changed=1 ]] || fail "the real run did not report changed=1"
log="${out}/environment_role-again.log"
run apply.yml "$@" | tee "${log}"
[[ "$(recap_changed "${log}")" == changed=0 ]] || fail "the second run changed something"
grep -q 'Capgo environment changes: 0 change(s)' "${log}" || fail "the second run does not say 0 changes"

# -- a directory of files --------------------------------------------------------------
run reset.yml
run directory.yml "$@"

# -- tags -------------------------------------------------------------------------------
run reset.yml
run tags.yml --tags channels "$@"

# -- validation before any request -----------------------------------------------------
run reset.yml
log="${out}/environment_role-bad.log"
if run bad.yml "$@" > "${log}" 2>&1; then cat "${log}"; fail "bad.yml passed"; fi
grep -q 'disable_auto_update must be one of' "${log}" || { cat "${log}"; fail "no validation message for the bad channel"; }
run no_requests.yml

bad_dir=$(mktemp -d)
printf -- '---\napps:\n  - app_id: com.demo.app\n    channels:\n      - channel: qa\n        colour: red\n' > "${bad_dir}/10-bad.yml"
log="${out}/environment_role-bad-dir.log"
if run bad_dir.yml -e "bad_dir=${bad_dir}" "$@" > "${log}" 2>&1; then cat "${log}"; fail "bad_dir.yml passed"; fi
grep -q 'colour' "${log}" || { cat "${log}"; fail "no validation message for the bad file"; }
rm -rf "${bad_dir}"
run no_requests.yml

# -- secrets ----------------------------------------------------------------------------
run reset.yml
log="${out}/environment_role-secret-vvv.log"
run secret.yml --diff -vvv > "${log}" 2>&1 || { grep -v 'secret' "${log}" | tail -n 40; fail "secret.yml failed"; }
url=$("${python}" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["capgo_emulator_url"])' "${config}" 2>/dev/null \
      || sed -n 's/^capgo_emulator_url: *//p' "${config}")
secret=$("${python}" - "${url}" <<'PY'
import json, sys, urllib.request
state = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/state", timeout=30))
print([w for w in state["webhooks"] if w["name"] == "secret-bot"][0]["secret"])
PY
)
[[ ${#secret} -gt 8 ]] || fail "could not read the webhook's secret from the emulator"
if grep -qF "${secret}" "${log}"; then fail "the webhook's secret appears in the -vvv output"; fi
echo "environment_role: ok"
