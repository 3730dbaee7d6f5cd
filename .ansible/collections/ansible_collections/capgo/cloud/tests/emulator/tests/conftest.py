"""Fixtures: one emulator subprocess per test session (port 0), reset to a seed per test.

    def test_x(emu):                 # reset to emu_seed.DEFAULT_SEED, log and faults cleared
        r = emu.call("GET", "/app", key=KEY_SUPER)
        emu.reset({...})             # another seed
        emu.advance(61)              # move the emulator clock
        emu.requests_log(); emu.clear_log(); emu.state()
        emu.add_fault(path="^/channel", status=503, times=1); emu.clear_faults()

``start_emulator(...)`` starts an extra server (own seed/--db/args) for tests that need one.
"""

import copy
import json
import os
import subprocess
import sys
import time

import pytest
import requests

from emu_seed import DEFAULT_SEED

EMULATOR_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Emulator:
    def __init__(self, proc, base_url, output_line):
        self.proc = proc
        self.base_url = base_url
        self.output_line = output_line
        self.session = requests.Session()
        # CA file trusted over HTTPS; passed with each request, since REQUESTS_CA_BUNDLE in
        # the environment would override a Session.verify
        self.verify = True

    # ---------------------------------------------------------- API calls
    def call(self, method, path, key=None, json=None, params=None, headers=None, data=None,
             header="authorization", timeout=30):
        """One API request. ``key`` goes into ``header`` (authorization by default).

        ``json=`` sends a JSON body; ``data=`` sends a raw body (str/bytes) as is.
        """
        hdrs = dict(headers or {})
        if key is not None:
            hdrs[header] = key
        kwargs = {"params": params, "headers": hdrs, "timeout": timeout, "verify": self.verify}
        if json is not None:
            kwargs["json"] = json
        elif data is not None:
            kwargs["data"] = data
        return self.session.request(method, self.base_url + path, **kwargs)

    # ---------------------------------------------------------- control
    def _control(self, method, path, body=None):
        resp = self.session.request(method, self.base_url + "/_emulator" + path,
                                    json=body, timeout=30, verify=self.verify)
        assert resp.status_code == 200, (path, resp.status_code, resp.text)
        return resp.json()

    def reset(self, seed=None):
        """Drop all state and load ``seed`` (default: DEFAULT_SEED)."""
        return self._control("POST", "/reset", copy.deepcopy(DEFAULT_SEED if seed is None
                                                             else seed))

    def requests_log(self):
        return self._control("GET", "/requests")

    def clear_log(self):
        return self._control("DELETE", "/requests")

    def advance(self, seconds):
        return self._control("POST", "/clock", {"advance_seconds": seconds})

    def state(self):
        return self._control("GET", "/state")

    def add_fault(self, **rule):
        return self._control("POST", "/faults", rule)

    def clear_faults(self):
        return self._control("DELETE", "/faults")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.session.close()


def emulator_command(*args):
    return [sys.executable, "-m", "capgo_emulator", *args]


def emulator_env(extra=None):
    env = dict(os.environ)
    env.update(extra or {})
    env["PYTHONPATH"] = EMULATOR_DIR + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_emulator(seed=None, seed_path=None, tmp_path=None, extra_args=(), host="127.0.0.1",
                   verify=None, env=None):
    """Start ``python -m capgo_emulator --port 0``; returns an Emulator (call .stop()).
    ``verify`` (a CA file) is what the Emulator's own session trusts over HTTPS."""
    args = ["--host", host, "--port", "0"]
    if seed is not None:
        seed_path = os.path.join(str(tmp_path), "seed-%d.json" % time.monotonic_ns())
        with open(seed_path, "w", encoding="utf-8") as handle:
            json.dump(seed, handle)
    if seed_path is not None:
        args += ["--seed", str(seed_path)]
    args += list(extra_args)
    proc = subprocess.Popen(emulator_command(*args), cwd=EMULATOR_DIR, env=emulator_env(env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith(("capgo-emulator listening on http://",
                            "capgo-emulator listening on https://")):
        proc.kill()
        out, err = proc.communicate()
        raise RuntimeError("emulator did not start: %r %s %s" % (line, out, err))
    base_url = line.strip().split(" on ", 1)[1]
    emulator = Emulator(proc, base_url, line.strip())
    if verify is not None:
        emulator.verify = verify
    return emulator


@pytest.fixture(scope="session")
def emu_server(tmp_path_factory):
    server = start_emulator(seed=DEFAULT_SEED, tmp_path=tmp_path_factory.mktemp("emu"))
    yield server
    server.stop()


@pytest.fixture
def emu(emu_server):
    """The shared emulator, reset to DEFAULT_SEED with an empty log and no fault rules."""
    emu_server.clear_faults()
    emu_server.reset()
    emu_server.clear_log()
    return emu_server
