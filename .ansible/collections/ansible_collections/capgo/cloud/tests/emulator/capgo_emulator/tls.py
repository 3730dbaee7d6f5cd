"""HTTPS for the emulator: a TLS context from given files, or a throwaway self-signed one."""

import ipaddress
import os
import shutil
import ssl
import subprocess
import tempfile


class TlsError(Exception):
    """The certificate cannot be made or loaded (the message says why)."""


def _subject_alt_names(host):
    """The host as the certificate must name it, plus the loopback names."""
    names = ["IP:127.0.0.1", "DNS:localhost"]
    host = host.strip("[]")
    try:
        entry = "IP:%s" % ipaddress.ip_address(host)
    except ValueError:
        entry = "DNS:%s" % host
    if host and entry not in names:
        names.append(entry)
    return names


def make_self_signed(host, directory):
    """Write cert.pem and key.pem for ``host`` into ``directory`` with the openssl CLI;
    returns (cert_path, key_path)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise TlsError("--tls self-signed needs the openssl command, which is not on PATH")
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    common_name = host.strip("[]") or "localhost"
    cmd = [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-nodes", "-days", "2", "-keyout", key, "-out", cert,
           "-subj", "/CN=%s" % common_name[:64],
           "-addext", "subjectAltName=%s" % ",".join(_subject_alt_names(host)),
           "-addext", "basicConstraints=critical,CA:TRUE",
           "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
           "-addext", "extendedKeyUsage=serverAuth"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise TlsError("cannot run openssl: %s" % exc) from exc
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["exit status %d" % proc.returncode])[-1]
        raise TlsError("openssl could not make a certificate: %s" % last)
    return cert, key


def server_context(cert_path, key_path):
    """A server-side SSLContext; TlsError when the files cannot be used."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_path, key_path)
    except (OSError, ssl.SSLError) as exc:
        raise TlsError("cannot load certificate %s / key %s: %s" % (cert_path, key_path, exc)) \
            from exc
    return context


def build_context(args):
    """The SSLContext the CLI arguments ask for, or None for plain HTTP."""
    if args.tls == "self-signed":
        with tempfile.TemporaryDirectory(prefix="capgo-emulator-tls-") as tmp:
            cert, key = make_self_signed(args.host, tmp)
            context = server_context(cert, key)
            if args.tls_ca_out:
                try:
                    shutil.copyfile(cert, args.tls_ca_out)
                except OSError as exc:
                    raise TlsError("cannot write %s: %s" % (args.tls_ca_out,
                                                            exc.strerror or exc)) from exc
        return context
    if args.tls_cert:
        return server_context(args.tls_cert, args.tls_key)
    return None


def wrap_server(server, context):
    """Serve ``server`` (a werkzeug server) over TLS. The handshake runs in the request's
    thread, on its first read, so one slow or failing client does not hold up the others."""
    server.socket = context.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    server.ssl_context = context
