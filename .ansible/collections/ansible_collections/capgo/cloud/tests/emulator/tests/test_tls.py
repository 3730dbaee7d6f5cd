"""HTTPS: --tls self-signed (+ --tls-ca-out) and --tls-cert/--tls-key, seen by real TLS clients."""

import os
import socket
import ssl
import subprocess
import urllib.request

import certifi
import pytest
import requests

from conftest import emulator_command, emulator_env, start_emulator
from emu_seed import DEFAULT_SEED, KEY_SUPER


def _port(server):
    return int(server.base_url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tls")
    ca_file = str(tmp / "ca.pem")
    server = start_emulator(seed=DEFAULT_SEED, tmp_path=tmp, verify=ca_file,
                            extra_args=["--tls", "self-signed", "--tls-ca-out", ca_file])
    yield server, ca_file
    server.stop()


def test_start_line_says_https_and_ca_file_is_a_certificate(tls_server):
    server, ca_file = tls_server
    assert server.output_line.startswith("capgo-emulator listening on https://127.0.0.1:")
    with open(ca_file, encoding="ascii") as handle:
        pem = handle.read()
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE KEY" not in pem


def test_client_trusting_the_ca_file_succeeds(tls_server):
    server, ca_file = tls_server
    r = requests.get(server.base_url + "/app", headers={"authorization": KEY_SUPER},
                     verify=ca_file, timeout=10)
    assert r.status_code == 200 and r.json()
    # the stdlib client too, by name (DNS SAN) and by address (IP SAN)
    context = ssl.create_default_context(cafile=ca_file)
    for host in ("127.0.0.1", "localhost"):
        url = "https://%s:%d/ok" % (host, _port(server))
        with urllib.request.urlopen(url, context=context, timeout=10) as resp:
            assert resp.status == 200


def test_certificate_names_the_host(tls_server):
    server, ca_file = tls_server
    context = ssl.create_default_context(cafile=ca_file)
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            names = tls.getpeercert()["subjectAltName"]
    assert ("IP Address", "127.0.0.1") in names and ("DNS", "localhost") in names


def test_client_not_trusting_the_ca_file_fails(tls_server):
    server, ca_file = tls_server
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.base_url + "/ok", verify=certifi.where(), timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        with socket.create_connection(("127.0.0.1", _port(server)), timeout=10) as raw:
            ssl.create_default_context().wrap_socket(raw, server_hostname="127.0.0.1")
    # a refused handshake does not disturb the server
    assert requests.get(server.base_url + "/ok", verify=ca_file,
                        timeout=10).json() == {"status": "ok"}


def test_control_endpoints_and_faults_over_https(tls_server):
    server = tls_server[0]
    server.clear_faults()
    server.clear_log()
    server.add_fault(method="GET", path="^/ok$", drop=True, times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        server.call("GET", "/ok")
    assert server.call("GET", "/ok").status_code == 200
    assert [e["path"] for e in server.requests_log()] == ["/ok", "/ok"]


def test_a_silent_client_does_not_block_others(tls_server):
    server, ca_file = tls_server
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=10):
        # connected, no handshake sent: the next client is still served
        assert requests.get(server.base_url + "/ok", verify=ca_file,
                            timeout=5).status_code == 200


def test_given_certificate_and_key(tmp_path):
    cert, key = str(tmp_path / "c.pem"), str(tmp_path / "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", key, "-out", cert, "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    server = start_emulator(tmp_path=tmp_path, verify=cert,
                            extra_args=["--tls-cert", cert, "--tls-key", key])
    try:
        assert server.output_line.startswith("capgo-emulator listening on https://")
        assert server.call("GET", "/ok").json() == {"status": "ok"}
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.base_url + "/ok", verify=certifi.where(), timeout=10)
    finally:
        server.stop()


@pytest.mark.parametrize("args,needle", [
    (["--tls-cert", "c.pem"], "--tls-cert and --tls-key go together"),
    (["--tls-ca-out", "ca.pem"], "--tls-ca-out needs --tls self-signed"),
    (["--tls", "self-signed", "--tls-cert", "c.pem", "--tls-key", "k.pem"], "exclude each other"),
    (["--tls-cert", "missing.pem", "--tls-key", "missing.pem"], "cannot load certificate"),
    (["--tls", "self-signed", "--tls-ca-out", os.path.join("no", "such", "dir", "ca.pem")],
     "cannot write"),
])
def test_bad_tls_options_exit_2(tmp_path, args, needle):
    proc = subprocess.run(emulator_command("--port", "0", *args), cwd=str(tmp_path),
                          env=emulator_env(), capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
