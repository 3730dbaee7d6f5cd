# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jobs the AWX way: each collection playbook run by ansible-runner, as AWX runs a job.

The private data directory is laid out as AWX lays it out for a job of a job template:
  project/        the job template's project (extensions/awx/project: playbooks that import
                  the collection's playbooks; the collection itself is installed, as in an EE)
  inventory/      the job's inventory (hosts and host vars)
  env/envvars     the environment: the "Capgo Cloud" credential's injectors rendered from the
                  credential's inputs (extensions/awx/credential_type.yml), and the settings AWX adds
  env/extravars   the survey's answers
  env/cmdline     --check for a job of type check, --forks N
Each job runs four times: check (zero writes, predicts a change), run (changes), run again
(changed=0, zero writes), check again (changed=0). Every run's artifacts (stdout, job events,
fact cache, set_stats artifacts) are searched as raw text for the API key, the session token and
every secret the emulator holds after the run (API keys, webhook secrets: created ones included);
only ansible-runner's own `command` file, which records the job's environment, is left out.

Adding a job is one entry in JOBS. A test fails when a collection playbook whose role exists has
no entry, so the environment playbook's job is due as soon as roles/environment exists:
    Job("environment", "environment.yml",
        extravars={"capgo_environment": {...an estate of the seed's Demo org...}},
        verify=lambda state: ...),
"""

import copy
import json
import os
import shutil
import sys

import ansible_runner
import pytest
import yaml
from jinja2.sandbox import SandboxedEnvironment

API_KEY = "ae6e7458-c46d-4c00-aa3b-153b0b8520ea"  # the standard seed's integration-admin key
SESSION_TOKEN = "session-admin"  # the standard seed's admin session token
APP = "com.demo.app"
CHECKSUM = "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a1c3e5b7d9f0a2c4e6b8d0f"


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads Ansible's ``!unsafe`` tag as a plain string."""


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def channel(state, app_id, name):
    found = [c for c in state["channels"] if c["app_id"] == app_id and c["name"] == name]
    return found[0] if found else None


def bundles(state, app_id):
    return sorted(b["name"] for b in state["bundles"] if b["app_id"] == app_id and not b.get("deleted"))


class Job:
    def __init__(self, name, playbook, extravars, verify, hosts=None, forks=None, seed=None, inventory=None,
                 encryption_key=False):
        self.name = name
        self.encryption_key = encryption_key  # the "Capgo bundle encryption key" credential is attached too
        self.inventory = inventory  # {file name: content} of the inventory directory, instead of hosts
        self.playbook = playbook
        self.extravars = extravars
        self.verify = verify
        self.hosts = hosts  # {host: hostvars}; default: localhost only
        self.forks = forks
        self.seed = seed  # a function of the standard seed, or None for it

    def __repr__(self):
        return self.name


def release_vars(**more):
    answers = {"capgo_release_app_id": APP, "capgo_release_channel": "beta", "capgo_release_version": "1.3.0",
               "capgo_release_url": "https://cdn.example.com/com.demo.app/1.3.0.zip",
               "capgo_release_checksum": CHECKSUM}
    answers.update(more)
    return answers


def verify_release(state):
    assert channel(state, APP, "beta")["version"] == "1.3.0"
    # keep 2: 1.3.0 (new, served by beta), 1.2.0, and 1.0.0 (production serves it); 1.1.0 goes.
    assert bundles(state, APP) == ["1.0.0", "1.2.0", "1.3.0"]


def verify_rollout(state):
    production = channel(state, APP, "production")
    assert production["version"] == "1.0.0"
    assert production["rollout_version"] == "1.3.0"
    assert production["rollout_percentage_bps"] == 1000
    assert production["rollout_enabled"] is True


def verify_promote(state):
    assert channel(state, APP, "production")["version"] == "1.1.0"  # what beta serves


KEY_PEM = os.path.join(os.path.dirname(__file__), "..", "unit", "plugins", "module_utils", "fixtures", "capgo_key_v2.pem")


def hosted_release_vars(tmp):
    """A built app on the execution node, uploaded to Capgo's storage (the survey's capgo_release_src)."""
    dist = os.path.join(tmp, "dist")
    os.makedirs(os.path.join(dist, "js"), exist_ok=True)
    with open(os.path.join(dist, "index.html"), "w") as handle:
        handle.write("<html></html>\n")
    with open(os.path.join(dist, "js", "app.js"), "w") as handle:
        handle.write("CapacitorUpdater.notifyAppReady();\n")
    return {"capgo_release_app_id": APP, "capgo_release_channel": "beta", "capgo_release_version": "1.4.0",
            "capgo_release_src": dist}


def verify_hosted_release(state):
    assert channel(state, APP, "beta")["version"] == "1.4.0"
    [bundle] = [b for b in state["bundles"] if b["app_id"] == APP and b["name"] == "1.4.0"]
    assert bundle["storage_provider"] == "r2"
    assert bundle["session_key"]  # encrypted with the key the credential injected


def two_apps(seed):
    seed = copy.deepcopy(seed)
    seed["apps"].append({"app_id": "com.demo.two", "name": "Second demo app", "owner_org": seed["orgs"][0]["id"]})
    return seed


def verify_two_apps(state):
    assert channel(state, APP, "production")["version"] == "1.3.0"
    assert channel(state, "com.demo.two", "production")["version"] == "2.0.0"


ENVIRONMENT = {
    "organization": {"org_id": "046a36ac-e03c-4590-9257-bd6c9dba9ee8"},
    "webhooks": [{"name": "deployments", "url": "https://hooks.example.com/capgo", "events": ["channels"]}],
    "apps": [{"app_id": APP, "retention_days": 45,
              "channels": [{"channel": "preview", "bundle": "1.2.0"}, {"channel": "beta", "bundle": "1.2.0"}]}],
}


def verify_environment(state):
    assert channel(state, APP, "preview")["version"] == "1.2.0"
    assert channel(state, APP, "beta")["version"] == "1.2.0"


def report_vars(tmp):
    return {"capgo_report_app_id": APP, "capgo_report_graph": "mau", "capgo_report_dest": os.path.join(tmp, "mau.svg"),
            "capgo_report_from": "2026-11-01", "capgo_report_to": "2026-11-06"}


JOBS = [
    Job("release", "release.yml", release_vars(capgo_release_keep=2), verify_release),
    Job("release-rollout", "release.yml",
        release_vars(capgo_release_channel="production", capgo_release_rollout_percentage=10.0), verify_rollout),
    Job("release-promote", "release.yml",
        {"capgo_release_app_id": APP, "capgo_release_channel": "production", "capgo_release_promote_from": "beta"},
        verify_promote),
    Job("release-two-hosts", "release.yml",
        {"capgo_hosts": "capgo_apps", "capgo_release_channel": "production"}, verify_two_apps,
        hosts={"demo": {"capgo_release_app_id": APP, "capgo_release_version": "1.3.0",
                        "capgo_release_url": "https://cdn.example.com/com.demo.app/1.3.0.zip",
                        "capgo_release_checksum": CHECKSUM},
               "two": {"capgo_release_app_id": "com.demo.two", "capgo_release_version": "2.0.0",
                       "capgo_release_url": "https://cdn.example.com/com.demo.two/2.0.0.zip",
                       "capgo_release_checksum": CHECKSUM}},
        forks=2, seed=two_apps),
    Job("release-hosted-encrypted", "release.yml", hosted_release_vars, verify_hosted_release, encryption_key=True),
    Job("report", "report.yml", report_vars, None),
    Job("environment", "environment.yml", {"capgo_environment": ENVIRONMENT}, verify_environment),
]


def key_credential_env(root, pdd, private_key):
    """What the controller does for a "Capgo bundle encryption key" credential: the file, then the env."""
    with open(os.path.join(root, "extensions", "awx", "credential_type_encryption_key.yml")) as handle:
        credential_type = yaml.load(handle, Loader=_Loader)  # nosec - SafeLoader subclass
    env = SandboxedEnvironment()
    path = os.path.join(pdd, "env", "capgo_key")
    with open(path, "w") as handle:
        handle.write(env.from_string(credential_type["injectors"]["file"]["template"]).render(private_key=private_key))
    os.chmod(path, 0o600)
    return {name: env.from_string(template).render(private_key=private_key, tower={"filename": path})
            for name, template in credential_type["injectors"]["env"].items()}


def credential_env(root, inputs):
    """The environment the controller injects for a "Capgo Cloud" credential with these inputs."""
    with open(os.path.join(root, "extensions", "awx", "credential_type.yml")) as handle:
        credential_type = yaml.load(handle, Loader=_Loader)  # nosec - SafeLoader subclass
    env = SandboxedEnvironment()
    return {name: env.from_string(template).render(**inputs)
            for name, template in credential_type["injectors"]["env"].items()}


class Runner:
    """Lays out AWX's private data directory for a job and runs it with ansible-runner."""

    def __init__(self, root, collections_path, emulator, tmp):
        self.root = root
        self.collections_path = collections_path
        self.emulator = emulator
        self.tmp = tmp
        self.count = 0

    def run(self, job, extravars, check=False, credential=True, project=None, limit=None):
        """Run `job` as AWX would; `credential=False` is a job template without the Capgo credential."""
        self.count += 1
        pdd = os.path.join(self.tmp, "job-%d" % self.count)
        shutil.copytree(project or os.path.join(self.root, "extensions", "awx", "project"), os.path.join(pdd, "project"))
        os.makedirs(os.path.join(pdd, "env"))
        os.makedirs(os.path.join(pdd, "inventory"))
        envvars = {}
        if credential:
            envvars.update(credential_env(self.root, {"api_key": API_KEY, "api_url": self.emulator.url,
                                                      "files_url": self.emulator.url,
                                                      "session_token": SESSION_TOKEN}))
        if job.encryption_key:
            with open(KEY_PEM) as handle:
                envvars.update(key_credential_env(self.root, pdd, handle.read()))
        envvars.update({
            "ANSIBLE_COLLECTIONS_PATH": self.collections_path,
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_FORCE_COLOR": "false",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_HOST_KEY_CHECKING": "false",
        })
        self.write(pdd, "env/envvars", envvars)
        self.write(pdd, "env/extravars", extravars)
        self.write(pdd, "env/settings", {"suppress_ansible_output": True})
        cmdline = []
        if check:
            cmdline.append("--check")
        if job.forks:
            cmdline.append("--forks %d" % job.forks)
        if limit:
            cmdline.append("--limit %s" % ",".join(limit))
        if cmdline:
            with open(os.path.join(pdd, "env", "cmdline"), "w") as handle:
                handle.write(" ".join(cmdline))
        local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        if job.inventory:
            for name, content in job.inventory.items():
                self.write(pdd, "inventory/" + name, content)
        else:
            if job.hosts:
                hosts = {name: dict(local, **hostvars) for name, hostvars in job.hosts.items()}
                inventory = {"all": {"children": {"capgo_apps": {"hosts": hosts}}}}
            else:
                inventory = {"all": {"hosts": {"localhost": local}}}
            self.write(pdd, "inventory/hosts.yml", inventory)
        self.emulator.clear()
        result = ansible_runner.run(private_data_dir=pdd, playbook=job.playbook, ident="1", quiet=True)
        return Run(result, self.emulator.requests())

    @staticmethod
    def write(pdd, name, data):
        with open(os.path.join(pdd, name), "w") as handle:
            yaml.safe_dump(data, handle)


class Run:
    def __init__(self, result, requests):
        self.result = result
        self.requests = requests
        self.writes = [r for r in requests if r["method"] not in ("GET", "HEAD", "OPTIONS")]
        self.status = result.status
        self.stats = result.stats or {}
        self.artifacts = result.config.artifact_dir

    @property
    def changed(self):
        return sum((self.stats.get("changed") or {}).values())

    def stdout(self):
        with open(os.path.join(self.artifacts, "stdout")) as handle:
            return handle.read()

    def explain(self):
        return "status %s, stats %s\n%s" % (self.status, json.dumps(self.stats), self.stdout()[-6000:])

    def leaks(self, secrets):
        """(file, secret) for every secret found as raw text in any artifact but `command`."""
        found = []
        for base, dummy, files in os.walk(self.artifacts):
            for name in files:
                path = os.path.join(base, name)
                if os.path.relpath(path, self.artifacts) == "command":
                    continue
                with open(path, "rb") as handle:
                    data = handle.read()
                found.extend((os.path.relpath(path, self.artifacts), s) for s in secrets if s.encode() in data)
        return found


def secrets_of(state):
    values = {API_KEY, SESSION_TOKEN}
    values.update(k["key"] for k in state.get("apikeys", []) if k.get("key"))
    values.update(w["secret"] for w in state.get("webhooks", []) if w.get("secret"))
    values.update(u["session_token"] for u in state.get("users", []) if u.get("session_token"))
    return sorted(values)


@pytest.fixture
def runner(root, collections_path, emulator, tmp_path):
    return Runner(root, collections_path, emulator, str(tmp_path))


@pytest.mark.parametrize("job", JOBS, ids=[j.name for j in JOBS])
def test_job(job, runner, emulator, tmp_path):
    emulator.reset(job.seed(emulator.seed) if job.seed else None)
    initial = emulator.state()
    extravars = job.extravars(str(tmp_path)) if callable(job.extravars) else job.extravars
    runs = []

    preview = runner.run(job, extravars, check=True)
    runs.append(preview)
    assert preview.status == "successful", preview.explain()
    assert preview.writes == [], "check mode wrote: %s" % preview.writes
    assert preview.changed > 0, "the check run predicts no change:\n" + preview.explain()
    assert emulator.state() == initial, "check mode changed the state"

    first = runner.run(job, extravars)
    runs.append(first)
    assert first.status == "successful", first.explain()
    assert first.changed > 0, first.explain()
    if job.verify:
        assert first.writes, "the run wrote nothing"
        job.verify(emulator.state())
    else:  # a report: reads only, writes the chart
        assert first.writes == []
        with open(extravars["capgo_report_dest"]) as handle:
            assert "<svg" in handle.read()

    again = runner.run(job, extravars)
    runs.append(again)
    assert again.status == "successful", again.explain()
    assert again.changed == 0, "second run changed:\n" + again.explain()
    assert again.writes == [], "second run wrote: %s" % again.writes

    converged = runner.run(job, extravars, check=True)
    runs.append(converged)
    assert converged.status == "successful", converged.explain()
    assert converged.changed == 0, converged.explain()
    assert converged.writes == []

    secrets = secrets_of(emulator.state())
    if job.encryption_key:
        with open(KEY_PEM) as handle:  # a line of the private key's body
            secrets.append(handle.read().splitlines()[5])
    for run in runs:
        assert run.leaks(secrets) == []
        assert os.listdir(os.path.join(run.artifacts, "job_events"))
    if job.hosts:
        for run in runs:
            hosts = set(e["event_data"].get("host") for e in run.result.events if e.get("event") == "runner_on_ok")
            assert hosts >= set(job.hosts), hosts
        with open(os.path.join(first.artifacts, "command")) as handle:
            assert "--forks" in json.load(handle)["command"]


def test_the_leak_search_finds_a_printed_secret(runner, root, emulator):
    """A job that prints the injected key is caught in stdout and job events (the search is not blind)."""
    emulator.reset()
    project = os.path.join(runner.tmp, "leaky-project")
    shutil.copytree(os.path.join(root, "extensions", "awx", "project"), project)
    with open(os.path.join(project, "leaky.yml"), "w") as handle:
        handle.write("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                     "    - ansible.builtin.debug:\n        msg: \"{{ lookup('env', 'CAPGO_API_KEY') }}\"\n")
    run = runner.run(Job("leaky", "leaky.yml", {}, None), {}, project=project)
    assert run.status == "successful", run.explain()
    places = [path for path, dummy in run.leaks([API_KEY])]
    assert "stdout" in places
    assert any(path.startswith("job_events") for path in places)


def test_a_job_without_the_credential_fails_clearly(runner, emulator):
    """A job template without the Capgo credential: one clear message, before any request."""
    emulator.reset()
    run = runner.run(Job("no-credential", "release.yml", {}, None), release_vars(), credential=False)
    assert run.status == "failed"
    assert 'no Capgo API key: attach a "Capgo Cloud" credential to the job template' in run.stdout()
    assert run.requests == []


def test_every_collection_playbook_has_a_job(root):
    """Every playbooks/NAME.yml whose role roles/NAME exists is driven by a job above."""
    covered = set(job.playbook for job in JOBS)
    due = [name for name in sorted(os.listdir(os.path.join(root, "playbooks")))
           if name.endswith(".yml") and os.path.isdir(os.path.join(root, "roles", name[:-4]))]
    assert "release.yml" in due and "report.yml" in due
    assert [name for name in due if name not in covered] == []


# -- the inventory plugin as the inventory source, and job slicing ----------------------------

FLEET = ["com.demo.app", "com.demo.five", "com.demo.four", "com.demo.three", "com.demo.two"]


def fleet(seed):
    """Demo org with five apps (the seed's com.demo.app and four more)."""
    seed = copy.deepcopy(seed)
    for app_id in FLEET[1:]:
        seed["apps"].append({"app_id": app_id, "name": app_id, "owner_org": seed["orgs"][0]["id"]})
    return seed


def plugin_inventory(root):
    """The inventory directory of a job on the "Capgo apps" inventory: the project's plugin file."""
    return {"capgo.yml": load_yaml(os.path.join(root, "extensions", "awx", "project", "inventory", "capgo.yml"))}


def load_yaml(path):
    with open(path) as handle:
        return yaml.load(handle, Loader=_Loader)  # nosec - SafeLoader subclass


def inventory_update(runner, root):
    """The inventory source's update as AWX runs it: ansible-inventory on the project's plugin file,
    with the credential's injectors in the environment. Returns (the hosts' names, the artifacts)."""
    pdd = os.path.join(runner.tmp, "inventory-update")
    shutil.copytree(os.path.join(root, "extensions", "awx", "project"), os.path.join(pdd, "project"))
    env = credential_env(root, {"api_key": API_KEY, "api_url": runner.emulator.url, "session_token": SESSION_TOKEN})
    env.update(ANSIBLE_COLLECTIONS_PATH=runner.collections_path, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_INVENTORY_UNPARSED_FAILED="true", ANSIBLE_FORCE_COLOR="false")
    listing = os.path.join(pdd, "inventory.json")
    out, err, rc = ansible_runner.run_command(
        executable_cmd="ansible-inventory",
        cmdline_args=["-i", os.path.join(pdd, "project", "inventory", "capgo.yml"), "--list", "--output", listing],
        envvars=env, private_data_dir=pdd, quiet=True)
    assert rc == 0, out + err
    with open(listing) as handle:
        text = handle.read()
    return sorted(json.loads(text)["capgo"]["hosts"]), out + err + text, os.path.join(pdd, "artifacts")


def slices(hosts, count):
    """AWX's job slicing: the inventory's hosts by name, host n in slice n % count."""
    ordered = sorted(hosts)
    return [ordered[n::count] for n in range(count)]


def test_sliced_job_over_the_inventory_plugin(runner, root, emulator):
    """A release job template on the "Capgo apps" inventory (the plugin as its source), sliced in
    two: each slice runs the same job with --limit of its hosts; every app gets its own bundle."""
    emulator.reset(fleet(emulator.seed))
    hosts, update_output, update_artifacts = inventory_update(runner, root)
    assert hosts == FLEET
    assert API_KEY not in update_output
    job = Job("release-sliced", "release.yml",
              {"capgo_hosts": "capgo", "capgo_release_channel": "production", "capgo_release_version": "7.0.0",
               "capgo_release_url": "https://cdn.example.com/{{ capgo_release_app_id }}/7.0.0.zip",
               "capgo_release_checksum": CHECKSUM},
              None, forks=2, inventory=plugin_inventory(root))
    runs = []
    released = []
    for part in slices(hosts, 2):
        run = runner.run(job, job.extravars, limit=part)
        runs.append(run)
        assert run.status == "successful", run.explain()
        done = set(e["event_data"].get("host") for e in run.result.events if e.get("event") == "runner_on_ok")
        assert done == set(part)  # each slice runs its own hosts only, one job event stream per host
        assert sorted(run.stats.get("changed", {})) == sorted(part)
        state = emulator.state()
        released += part
        for app_id in FLEET:
            production = channel(state, app_id, "production")
            served = production["version"] if production else None
            assert (served == "7.0.0") == (app_id in released), (app_id, served)
    for part in slices(hosts, 2):  # the same slices again: converged, reads only
        again = runner.run(job, job.extravars, limit=part)
        runs.append(again)
        assert again.status == "successful", again.explain()
        assert again.changed == 0 and again.writes == [], again.explain()
    secrets = secrets_of(emulator.state())
    for run in runs:
        assert run.leaks(secrets) == []
        with open(os.path.join(run.artifacts, "command")) as handle:
            assert "--limit" in json.load(handle)["command"]
    for base, dummy, files in os.walk(update_artifacts):
        for name in files:
            if name == "command":
                continue
            with open(os.path.join(base, name), "rb") as handle:
                data = handle.read()
            assert not [s for s in secrets if s.encode() in data], name
