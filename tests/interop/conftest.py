"""Capgo's own CLI (@capgo/cli, pinned in package-lock.json, installed by ``npm ci``) against
the emulator: one emulator per session (examples/seed.yml), reset before each test; each test
gets a Capacitor project directory whose capacitor.config.json points the CLI at it."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

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
    """Start the emulator (port 0, the standard seed) through the project's one launcher
    (tests/pipeline/emulator.py); returns (process, base URL)."""
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from pipeline import emulator as launcher

    server = launcher.start(str(workdir), seed=SEED, python=os.environ.get("CAPGO_EMULATOR_PYTHON") or sys.executable,
                            extra_args=["--blob-dir", os.path.join(str(workdir), "blobs")], name="interop-emulator")
    return server.proc, server.url


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


# -- the collection (capgo.cloud), run by ansible-core --------------------------------------------

def ansible_bin():
    """The bin/ of a Python environment with ansible-core (and cryptography): $CAPGO_INTEROP_ANSIBLE_BIN,
    else the one running pytest if it has ansible-playbook, else the first .venvs/core-*/bin made by the
    test tooling, else the one on PATH; None if none."""
    given = os.environ.get("CAPGO_INTEROP_ANSIBLE_BIN")
    if given:
        return given
    if os.path.exists(os.path.join(os.path.dirname(sys.executable), "ansible-playbook")):
        return os.path.dirname(sys.executable)
    venvs = os.path.join(ROOT, ".venvs")
    for name in sorted(os.listdir(venvs)) if os.path.isdir(venvs) else ():
        if name.startswith("core-") and os.path.exists(os.path.join(venvs, name, "bin", "ansible")):
            return os.path.join(venvs, name, "bin")
    found = shutil.which("ansible")
    return os.path.dirname(found) if found else None


class Collection:
    """Runs capgo.cloud modules (this worktree, through ANSIBLE_COLLECTIONS_PATH) against the emulator."""

    def __init__(self, bin_dir, collections_path, emu, home):
        self.bin = bin_dir
        self.python = os.path.join(bin_dir, "python")
        self.collections_path = collections_path
        self.emu = emu
        self.home = home

    def run(self, module, key=KEY_ADMIN, check_mode=False, **args):
        """Run one module (ad hoc, on localhost): its result (dict, with ``failed``/``msg`` on failure)."""
        args.setdefault("api_url", self.emu.base_url)
        args.setdefault("files_url", self.emu.base_url)
        args.setdefault("api_key", key)
        out = tempfile.NamedTemporaryFile(suffix=".json", dir=self.home, delete=False).name
        play = [{"hosts": "localhost", "gather_facts": False, "connection": "local",
                 "vars": {"ansible_python_interpreter": self.python},
                 "tasks": [{"capgo.cloud." + module: args, "register": "result", "ignore_errors": True,
                            "check_mode": check_mode},
                           {"ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": out}}]}]
        playbook = out[:-5] + ".yml"
        with open(playbook, "w", encoding="utf-8") as handle:
            json.dump(play, handle)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=self.collections_path, ANSIBLE_LOCALHOST_WARNING="0",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_HOME=self.home, HOME=self.home)
        proc = subprocess.run([os.path.join(self.bin, "ansible-playbook"), "-i", "localhost,", playbook],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=300, check=False)
        try:
            with open(out, encoding="utf-8") as handle:
                return json.load(handle)
        except ValueError:
            raise AssertionError("ansible-playbook (%s): %d\n%s" % (module, proc.returncode, proc.stdout))

    def python_eval(self, code):
        """Run ``code`` (Python, with _upload = the collection's plugins/module_utils/_upload.py) in the
        ansible environment (it has cryptography); its stdout."""
        prelude = "from ansible_collections.capgo.cloud.plugins.module_utils import _upload\n"
        env = dict(os.environ, PYTHONPATH=self.collections_path)
        return subprocess.run([self.python, "-c", prelude + code], stdout=subprocess.PIPE, check=True,
                              text=True, timeout=120, env=env).stdout


@pytest.fixture(scope="session")
def collection_session(tmp_path_factory):
    bin_dir = ansible_bin()
    if not bin_dir:
        pytest.fail("no ansible-core: set CAPGO_INTEROP_ANSIBLE_BIN to the bin/ of a venv with ansible-core")
    home = tmp_path_factory.mktemp("ansible-home")
    given = os.environ.get("CAPGO_INTEROP_COLLECTIONS")   # the pipeline's built and installed collection
    if given:
        return bin_dir, given, str(home)
    base = tmp_path_factory.mktemp("collections")   # else this checkout
    (base / "ansible_collections" / "capgo").mkdir(parents=True)
    os.symlink(ROOT, str(base / "ansible_collections" / "capgo" / "cloud"))
    return bin_dir, str(base), str(home)


@pytest.fixture
def collection(collection_session, emu):
    bin_dir, path, home = collection_session
    return Collection(bin_dir, path, emu, home)
