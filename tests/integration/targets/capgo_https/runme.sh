#!/usr/bin/env bash
# TLS through the emulator's HTTPS (--tls self-signed, a private CA the system does not trust):
# the default refuses it, ca_path accepts it, validate_certs: false accepts it, each with
# REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE unset and set (requests lets them override Session.verify).
# The HTTPS emulator is started by the integration session (tests/pipeline/stages.py) through the
# project's one launcher: its URL and CA file are capgo_https_url and capgo_https_ca of
# integration_config.yml.
set -eu

config=../../integration_config.yml
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
export ANSIBLE_ROLES_PATH=..

# A public CA bundle that does not hold the emulator's certificate.
public_bundle=$("${python}" -c 'import certifi; print(certifi.where())')

unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE
# A scratch folder for the hosted bundle tls.yml uploads (removed at exit).
CAPGO_HTTPS_TMP=$(mktemp -d)
export CAPGO_HTTPS_TMP
trap 'rm -rf "${CAPGO_HTTPS_TMP}"' EXIT
ansible-playbook -i "${INVENTORY_PATH}" -e @"${config}" -e "capgo_public_bundle=${public_bundle}" tls.yml "$@"
