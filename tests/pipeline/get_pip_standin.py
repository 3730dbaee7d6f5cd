"""Stand-in for ansible-test's get-pip.py, written into ~/.ansible/test/cache/ by capgo.cloud's
pipeline (tests/pipeline/stages.py, ensure_get_pip) only because the real one could not be
downloaded. ansible-test runs it inside a fresh venv with pip options and pinned packages
(for example --disable-pip-version-check pip==24.2 --no-setuptools --no-wheel): bootstrap pip
with ensurepip, then install the requested packages from the package index. See docs/DEVELOPING.md."""

import os
import subprocess
import sys


def main():
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    cert = "/etc/ssl/certs/ca-certificates.crt"
    extra = ["--cert", cert] if os.path.exists(cert) else []
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + extra + args)


main()
