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
import sys
import tempfile
import time

import pytest
import requests

from emu_seed import DEFAULT_SEED

EMULATOR_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(EMULATOR_DIR))  # tests/: the launcher, tests/pipeline/emulator.py
from pipeline import emulator as launcher  # noqa: E402


class Emulator:
    def __init__(self, process, base_url, output_line):
        self.process = process  # tests/pipeline/emulator.py's Emulator: .stderr(), .stop()
        self.proc = process.proc
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
        self.process.stop()
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
    """Start the emulator on port 0 through the project's one launcher (tests/pipeline/emulator.py);
    returns an Emulator (call .stop()). ``verify`` (a CA file) is what the Emulator's own
    session trusts over HTTPS."""
    workdir = str(tmp_path) if tmp_path is not None else tempfile.mkdtemp(prefix="emu-")
    if seed is not None:
        seed_path = os.path.join(workdir, "seed-%d.json" % time.monotonic_ns())
        with open(seed_path, "w", encoding="utf-8") as handle:
            json.dump(seed, handle)
    run_env = dict(os.environ)
    run_env.update(env or {})
    try:
        process = launcher.start(workdir, seed=seed_path, python=sys.executable, host=host,
                                 extra_args=extra_args, env=run_env, emulator_dir=EMULATOR_DIR)
    except launcher.EmulatorError as exc:
        raise RuntimeError("emulator did not start: %s" % exc)
    emulator = Emulator(process, process.url, process.start_line())
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
