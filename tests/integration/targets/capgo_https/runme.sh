#!/usr/bin/env bash
# TLS through the emulator's HTTPS (--tls self-signed, a private CA the system does not trust):
# the default refuses it, ca_path accepts it, validate_certs: false accepts it, each with
# REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE unset and set (requests lets them override Session.verify).
# This target starts its own HTTPS emulator and stops it however the run ends.
set -eu

config=../../integration_config.yml
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
export ANSIBLE_ROLES_PATH=..

tmp=$(mktemp -d)
pid=""
cleanup() {
    if [[ -n "${pid}" ]]; then
        kill "${pid}" 2>/dev/null || true
        wait "${pid}" 2>/dev/null || true
    fi
    rm -rf "${tmp}"
}
trap cleanup EXIT

# The emulator's interpreter, sources and seed (written by scripts/test.sh), and a public CA bundle
# that does not hold the emulator's certificate.
read -r emu_python emu_path emu_seed public_bundle < <("${python}" - "${config}" <<'PY'
import sys
import certifi
import yaml
cfg = yaml.safe_load(open(sys.argv[1]))
print(cfg["capgo_emulator_python"], cfg["capgo_emulator_path"], cfg["capgo_emulator_seed"], certifi.where())
PY
)

PYTHONPATH="${emu_path}" "${emu_python}" -m capgo_emulator --host 127.0.0.1 --port 0 \
    --seed "${emu_seed}" --tls self-signed --tls-ca-out "${tmp}/ca.pem" \
    > "${tmp}/emulator.log" 2>&1 < /dev/null &
pid=$!
url=""
for _ in $(seq 1 300); do
    url=$(grep -oE 'listening on https://[^ ]+' "${tmp}/emulator.log" | head -n 1 | awk '{print $3}' || true)
    [[ -n "${url}" ]] && break
    if ! kill -0 "${pid}" 2>/dev/null; then
        cat "${tmp}/emulator.log"
        echo "the HTTPS emulator exited at start"
        exit 1
    fi
    sleep 0.1
done
if [[ -z "${url}" ]]; then
    cat "${tmp}/emulator.log"
    echo "the HTTPS emulator did not start within 30 s"
    exit 1
fi
echo "HTTPS emulator (pid ${pid}) on ${url}"

unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE
export CAPGO_HTTPS_TMP="${tmp}"
ansible-playbook -i "${INVENTORY_PATH}" -e @"${config}" \
    -e "capgo_https_url=${url}" -e "capgo_https_ca=${tmp}/ca.pem" -e "capgo_public_bundle=${public_bundle}" \
    tls.yml "$@"
