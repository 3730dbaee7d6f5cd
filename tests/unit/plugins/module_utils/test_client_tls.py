# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS settings hold whatever REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE say.

A real HTTPS server on 127.0.0.1 with a certificate of a throwaway private CA made here;
``requests`` lets those variables override ``Session.verify``, so each case runs with the
variables unset, set to the system bundle, and set to a bundle that trusts another CA.
"""

import datetime
import http.server
import ipaddress
import json
import os
import ssl
import threading

import pytest
import requests

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError, CapgoClient

KEY = "ae6e7458-c46d-4c00-aa3b-153b0b8520ea"
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_server_cert(ca_key, ca_cert):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.paths.append(self.path)
        body = json.dumps({"status": "ok", "path": self.path}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(handler, context=None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.paths = []
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever)
    thread.daemon = True
    thread.start()
    return server


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A private CA and an HTTPS server whose certificate it signed; another CA it did not."""
    base = tmp_path_factory.mktemp("tls")
    ca_key, ca_cert = make_ca("capgo-test private CA")
    server_key, server_cert = make_server_cert(ca_key, ca_cert)
    other_key, other_cert = make_ca("some other CA")
    files = {}
    for name, data in (("ca.pem", pem(ca_cert)), ("other-ca.pem", pem(other_cert)), ("server.pem", pem(server_cert)),
                       ("server.key", server_key.private_bytes(serialization.Encoding.PEM,
                                                               serialization.PrivateFormat.PKCS8,
                                                               serialization.NoEncryption()))):
        path = base / name
        path.write_bytes(data)
        files[name] = str(path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files["server.pem"], files["server.key"])
    server = serve(Handler, context)
    files["url"] = "https://127.0.0.1:%d" % server.server_address[1]
    yield files
    server.shutdown()
    server.server_close()


SYSTEM_BUNDLE = next((p for p in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                                  "/etc/ssl/cert.pem") if os.path.exists(p)), None)
# How the environment is set for each case: None = both variables unset.
ENVIRONMENTS = [None, "system", "other"]


def set_environment(monkeypatch, pki, which, variable="REQUESTS_CA_BUNDLE"):
    for name in CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if which == "system":
        monkeypatch.setenv(variable, SYSTEM_BUNDLE or pki["other-ca.pem"])
    elif which == "other":
        monkeypatch.setenv(variable, pki["other-ca.pem"])


@pytest.mark.parametrize("variable", CA_VARIABLES)
@pytest.mark.parametrize("which", ENVIRONMENTS)
def test_default_refuses_a_private_ca(monkeypatch, pki, which, variable):
    set_environment(monkeypatch, pki, which, variable)
    client = CapgoClient(KEY, api_url=pki["url"], retries=0)
    with pytest.raises(CapgoAPIError) as info:
        client.get("/app")
    assert info.value.error == "connection_error" and "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    assert "TLS certificate was not accepted" in info.value.hint


@pytest.mark.parametrize("variable", CA_VARIABLES)
@pytest.mark.parametrize("which", ENVIRONMENTS)
def test_ca_path_accepts_the_private_ca(monkeypatch, pki, which, variable):
    set_environment(monkeypatch, pki, which, variable)
    client = CapgoClient(KEY, api_url=pki["url"], retries=0, ca_path=pki["ca.pem"])
    assert client.get("/app") == {"status": "ok", "path": "/app"}


@pytest.mark.parametrize("variable", CA_VARIABLES)
@pytest.mark.parametrize("which", ENVIRONMENTS)
def test_ca_path_of_another_ca_refuses(monkeypatch, pki, which, variable):
    set_environment(monkeypatch, pki, which, variable)
    client = CapgoClient(KEY, api_url=pki["url"], retries=0, ca_path=pki["other-ca.pem"])
    with pytest.raises(CapgoAPIError) as info:
        client.get("/app")
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)


@pytest.mark.parametrize("variable", CA_VARIABLES)
@pytest.mark.parametrize("which", ENVIRONMENTS)
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_validate_certs_false_accepts_any_certificate(monkeypatch, pki, which, variable):
    set_environment(monkeypatch, pki, which, variable)
    client = CapgoClient(KEY, api_url=pki["url"], retries=0, validate_certs=False)
    assert client.get("/app") == {"status": "ok", "path": "/app"}
    # also when ca_path names a CA that did not sign it: validate_certs false means no check
    client = CapgoClient(KEY, api_url=pki["url"], retries=0, validate_certs=False, ca_path=pki["other-ca.pem"])
    assert client.get("/channel") == {"status": "ok", "path": "/channel"}


def test_default_trusts_the_bundle_the_environment_names(monkeypatch, pki):
    """Without ca_path, REQUESTS_CA_BUNDLE keeps its usual meaning (a corporate CA, say)."""
    set_environment(monkeypatch, pki, None)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", pki["ca.pem"])
    client = CapgoClient(KEY, api_url=pki["url"], retries=0)
    assert client.get("/app")["status"] == "ok"


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    """A forward proxy for plain HTTP: it answers itself and records the absolute URL asked for."""

    def do_GET(self):
        self.server.paths.append(self.path)
        body = json.dumps({"proxied": self.path}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("settings", [dict(validate_certs=False), dict(ca_path="ca.pem"), dict()],
                         ids=["validate_certs false", "ca_path", "default"])
def test_proxy_from_the_environment_still_applies(monkeypatch, pki, settings):
    proxy = serve(ProxyHandler)
    try:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:%d" % proxy.server_address[1])
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", pki["other-ca.pem"])
        if "ca_path" in settings:
            settings = dict(ca_path=pki["ca.pem"])
        client = CapgoClient(KEY, api_url="http://capgo.invalid", retries=0, **settings)
        assert client.get("/app") == {"proxied": "http://capgo.invalid/app"}
        assert proxy.paths == ["http://capgo.invalid/app"]
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_requests_alone_lets_the_environment_override_session_verify(monkeypatch, pki):
    """The trap these tests guard against (if requests ever changes, the client code can be simpler)."""
    set_environment(monkeypatch, pki, "other")
    session = requests.Session()
    session.verify = False
    with pytest.raises(requests.exceptions.SSLError):
        session.get(pki["url"] + "/app", timeout=10)
