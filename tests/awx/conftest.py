# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the AWX suite (the nox session `awx`, tests/pipeline/stages.py).

The stage builds and installs the collection, starts the emulator and runs this suite with:
  CAPGO_AWX_ROOT         the laid-out collection tree (sources, extensions/, seed)
  CAPGO_AWX_COLLECTIONS  the collections path the built collection is installed in
  CAPGO_AWX_EMULATOR     the emulator's URL
"""

import json
import os
import urllib.request

import pytest
import yaml


def _env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError("%s is not set: run this suite through `nox -s awx`" % name)
    return value


@pytest.fixture(scope="session")
def root():
    return _env("CAPGO_AWX_ROOT")


@pytest.fixture(scope="session")
def collections_path():
    return _env("CAPGO_AWX_COLLECTIONS")


class Emulator:
    def __init__(self, url, seed):
        self.url = url.rstrip("/")
        self.seed = seed

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:  # nosec - loopback emulator
            return json.loads(answer.read() or b"null")

    def reset(self, seed=None):
        self.call("POST", "/_emulator/reset", seed or self.seed)
        self.call("DELETE", "/_emulator/requests")

    def requests(self):
        return self.call("GET", "/_emulator/requests")

    def writes(self):
        return [r for r in self.requests() if r["method"] not in ("GET", "HEAD", "OPTIONS")]

    def clear(self):
        self.call("DELETE", "/_emulator/requests")

    def state(self):
        return self.call("GET", "/_emulator/state")


@pytest.fixture(scope="session")
def emulator(root):
    with open(os.path.join(root, "examples", "seed.yml")) as handle:
        seed = yaml.safe_load(handle)
    return Emulator(_env("CAPGO_AWX_EMULATOR"), seed)
