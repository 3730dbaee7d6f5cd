"""Capgo's own CLI (@capgo/cli, pinned in package-lock.json, installed by ``npm ci``) against
the emulator: one emulator per session (examples/seed.yml), reset before each test; each test
gets a Capacitor project directory whose capacitor.config.json points the CLI at it."""

import json
import os
import subprocess
import sys

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMULATOR_DIR = os.path.join(ROOT, "tests", "emulator")
SEED = os.path.join(ROOT, "examples", "seed.yml")
CLI = os.path.join(HERE, "node_modules", "@capgo", "cli", "dist", "index.js")
ANON_KEY = "capgo-emulator-anon-key"   # what the emulator's /private/config hands out

KEY_ADMIN = "ae6e7458-c46d-4c00-aa3b-153b0b8520ea"      # org_super_admin of Demo org
KEY_READER = "67eeaff4-ae4c-49a6-8eb1-0875f5369de0"     # app_reader on com.demo.app
APP_ID = "com.demo.app"
ORG_ID = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
UPDATER_VERSION = "7.30.0"   # SHA-256 checksums and the "v3" encrypted checksum


def start_emulator(workdir):
    """Start the emulator (port 0, the standard seed); returns (process, base URL).

    The one place that starts it: switch this to the launcher of the day."""
    env = dict(os.environ, PYTHONPATH=EMULATOR_DIR)
    proc = subprocess.Popen(
        [sys.executable, "-m", "capgo_emulator", "--port", "0", "--seed", SEED,
         "--blob-dir", os.path.join(str(workdir), "blobs")],
        cwd=EMULATOR_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("capgo-emulator listening on "):
        proc.kill()
        raise RuntimeError("emulator did not start: %r %s" % (line, proc.communicate()))
    return proc, line.strip().split(" on ", 1)[1]


class Emulator:
    def __init__(self, proc, base_url):
        self.proc = proc
        self.base_url = base_url
        self.http = requests.Session()

    def control(self, method, path, body=None):
        resp = self.http.request(method, self.base_url + "/_emulator" + path, json=body,
                                 timeout=30)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def reset(self):
        import yaml
        with open(SEED, encoding="utf-8") as handle:
            seed = yaml.safe_load(handle)
        self.control("POST", "/reset", json.loads(json.dumps(seed, default=str)))
        self.control("DELETE", "/requests")
        self.control("DELETE", "/faults")

    def log(self, without_events=True):
        return [e for e in self.control("GET", "/requests")
                if not (without_events and e["path"].endswith("/private/events"))]

    def state(self):
        return self.control("GET", "/state")

    def bundle(self, name, app_id=APP_ID):
        for row in self.state()["bundles"]:
            if row["app_id"] == app_id and row["name"] == name:
                return row
        return None

    def channel(self, name, app_id=APP_ID):
        for row in self.state()["channels"]:
            if row["app_id"] == app_id and row["name"] == name:
                return row
        return None

    def api(self, method, path, key=KEY_ADMIN, **kwargs):
        return self.http.request(method, self.base_url + path,
                                 headers={"authorization": key}, timeout=30, **kwargs)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def emu_server(tmp_path_factory):
    if not os.path.exists(CLI):
        pytest.fail("@capgo/cli is not installed: run `npm ci` in tests/interop (or run.sh)")
    proc, base_url = start_emulator(tmp_path_factory.mktemp("emulator"))
    server = Emulator(proc, base_url)
    yield server
    server.stop()


@pytest.fixture
def emu(emu_server):
    emu_server.reset()
    return emu_server


class Project:
    """A built Capacitor web app whose capacitor.config.json points the CLI at the emulator."""

    def __init__(self, path, emu):
        self.path = path
        self.emu = emu
        dist = path / "dist"
        dist.mkdir()
        (dist / "index.html").write_text(
            '<!doctype html><html><body><script type="module" src="app.js"></script>'
            "</body></html>\n")
        (dist / "app.js").write_text(
            "import { CapacitorUpdater } from '@capgo/capacitor-updater'\n"
            "CapacitorUpdater.notifyAppReady()\n")
        (path / "package.json").write_text(json.dumps({
            "name": "demo", "version": "1.0.0",
            "dependencies": {"@capacitor/core": "7.0.0",
                             "@capgo/capacitor-updater": UPDATER_VERSION}}))
        for name, version in (("@capacitor/core", "7.0.0"),
                              ("@capgo/capacitor-updater", UPDATER_VERSION)):
            pkg = path / "node_modules" / name
            pkg.mkdir(parents=True)
            (pkg / "package.json").write_text(json.dumps({"name": name, "version": version}))
        self.write_config()

    def write_config(self, extra=None):
        config = {"appId": APP_ID, "appName": "Demo app", "webDir": "dist",
                  "plugins": {"CapacitorUpdater": {
                      "localApi": self.emu.base_url, "localApiFiles": self.emu.base_url,
                      "localSupa": self.emu.base_url, "localSupaAnon": ANON_KEY}}}
        path = self.path / "capacitor.config.json"
        if path.exists():  # keep what the CLI added (key create's public key)
            config = json.loads(path.read_text())
            config["plugins"]["CapacitorUpdater"].update({
                "localApi": self.emu.base_url, "localApiFiles": self.emu.base_url,
                "localSupa": self.emu.base_url, "localSupaAnon": ANON_KEY})
        path.write_text(json.dumps(config, indent=2))

    def cli(self, *args, key=KEY_ADMIN, check=True, timeout=180):
        """Run ``npx @capgo/cli ARGS -a KEY`` in the project: CompletedProcess (output in
        .stdout, both streams)."""
        env = dict(os.environ, CI="1", NO_COLOR="1", FORCE_COLOR="0",
                   HOME=str(self.path / "home"))
        cmd = ["node", CLI] + list(args) + (["-a", key] if key else [])
        proc = subprocess.run(cmd, cwd=str(self.path), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("capgo %s failed (%d):\n%s"
                                 % (" ".join(args), proc.returncode, proc.stdout))
        return proc


@pytest.fixture
def project(tmp_path, emu):
    (tmp_path / "home").mkdir()
    return Project(tmp_path, emu)
