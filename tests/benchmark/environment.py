# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: one estate converged three ways against the Capgo API emulator.

Not a test: it prints figures (and writes docs/benchmark.md). Run it with scripts/benchmark.sh,
which makes the venvs; or by hand:

    .venvs/core-2.19/bin/python tests/benchmark/environment.py \
        --emulator-python .venvs/emulator/bin/python [--only uri,modules,environment] [--no-write]

Estate (issue 12): 1 organization, 5 apps, 50 channels (10 per app), 20 members, 100 device
overrides (20 per app, devices that have contacted Capgo), 5 webhooks. Compared in the same run:

  uri          a hand-written-style ansible.builtin.uri playbook (generated): one GET per
               object (one listing for members and webhooks), a write only where it differs
  modules      single-module tasks: capgo_organization, capgo_member/webhook/app/channel/device loops
  environment  one capgo.cloud.capgo_environment task

for two runs each: "converged" (the estate is already in place) and "changed" (every object
differs: 181 changes, one write each). Each run starts from the same emulator state (reset),
with the request log cleared; wall time is the ansible-playbook process's, requests are read
from the emulator's log. A last section compares one converged capgo_channel task with the
equivalent uri task (module start-up): 20 identical tasks in one playbook, minus a playbook of
20 debug tasks, divided by 20.

The emulator is started as a process on a free port and stopped at the end, also on failure.
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from pipeline import emulator as launcher  # noqa: E402  (the one emulator launcher)
ORG_ID = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
API_KEY = "ae6e7458-c46d-4c00-aa3b-153b0b8520ea"  # the standard seed's integration-admin
APPS, CHANNELS, DEVICES, MEMBERS, WEBHOOKS = 5, 10, 20, 20, 5
WRITES = ("POST", "PUT", "PATCH", "DELETE")
VARIANTS = ("uri", "modules", "environment")


# -- the estate --------------------------------------------------------------------------


def app_id(a):
    return "com.bench.app%d" % a


def device_id(a, d):
    return "00000000-0000-4000-8000-%012d" % (a * 100 + d)


def seed():
    """The standard seed (examples/seed.yml) plus the users the members invite, the apps with two bundles each and
    the devices (seen by Capgo, so that their overrides read back)."""
    with open(os.path.join(ROOT, "examples", "seed.yml")) as handle:
        doc = yaml.safe_load(handle)
    for n in range(MEMBERS):
        for prefix in ("bench-member", "bench-new"):
            doc["users"].append({"email": "%s-%02d@example.com" % (prefix, n)})
    for a in range(1, APPS + 1):
        doc["apps"].append({"app_id": app_id(a), "name": "Bench %d" % a, "owner_org": ORG_ID})
        for v in ("1.0.0", "1.1.0"):
            doc["bundles"].append({"app_id": app_id(a), "name": v, "checksum": "%064x" % (a * 10 + int(v[2])),
                                   "external_url": "https://cdn.example.com/%s/%s.zip" % (app_id(a), v),
                                   "native_packages": [], "deleted": False})
        for d in range(DEVICES):
            doc["devices"].append({"app_id": app_id(a), "device_id": device_id(a, d), "platform": "ios",
                                   "version_name": "1.0.0", "plugin_version": "6.0.0", "os_version": "17.0",
                                   "is_prod": True, "is_emulator": False})
    return doc


def estate(version):
    """The declaration (capgo_environment's options). version 1: the estate; version 2: every
    object differs from version 1 (181 changes)."""
    v2 = version == 2
    apps = []
    for a in range(1, APPS + 1):
        apps.append({
            "app_id": app_id(a),
            "retention_days": 50 if v2 else 40,
            "channels": [{"channel": "ch%02d" % c, "bundle": "1.1.0" if v2 else "1.0.0", "public": c == 0}
                         for c in range(CHANNELS)],
            "devices": [{"device_id": device_id(a, d), "channel": "ch02" if v2 else "ch01"} for d in range(DEVICES)],
        })
    return {
        "organization": {"org_id": ORG_ID, "website": "https://bench%s.example.com" % ("-v2" if v2 else "")},
        "members": [{"email": "%s-%02d@example.com" % ("bench-new" if v2 else "bench-member", n), "role": "org_member"}
                    for n in range(MEMBERS)],
        "webhooks": [{"name": "bench-hook-%d" % w, "url": "https://hooks.example.com/bench%d%s" % (w, "-v2" if v2 else ""),
                      "events": ["channels"]} for w in range(WEBHOOKS)],
        "apps": apps,
    }


def flat(decl):
    """The declaration as flat lists, for the uri and single-module playbooks."""
    return {
        "bench_org": decl["organization"],
        "bench_members": decl["members"],
        "bench_webhooks": decl["webhooks"],
        "bench_apps": [{"app_id": a["app_id"], "retention_days": a["retention_days"]} for a in decl["apps"]],
        "bench_channels": [dict(c, app_id=a["app_id"]) for a in decl["apps"] for c in a["channels"]],
        "bench_devices": [dict(d, app_id=a["app_id"]) for a in decl["apps"] for d in a["devices"]],
    }


def changes_between(v1, v2):
    f1, f2 = flat(v1), flat(v2)
    n = int(f1["bench_org"] != f2["bench_org"])
    n += len([m for m in f2["bench_members"] if m not in f1["bench_members"]])
    for key in ("bench_webhooks", "bench_apps", "bench_channels", "bench_devices"):
        n += len([1 for a, b in zip(f1[key], f2[key]) if a != b])
    return n


# -- the playbooks -----------------------------------------------------------------------

HEADER = """---
- name: Bench
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/capgo.cloud.capgo:
      api_url: "{{ bench_url }}"
      api_key: "{{ bench_key }}"
  tasks:
"""

ENVIRONMENT = HEADER + """
    - name: The whole estate
      capgo.cloud.capgo_environment:
        organization: "{{ bench_org }}"
        members: "{{ bench_members }}"
        webhooks: "{{ bench_webhooks }}"
        apps: "{{ bench_apps_nested }}"
"""

MODULES = HEADER + """
    - name: Organization
      capgo.cloud.capgo_organization: "{{ bench_org }}"
    - name: Members
      capgo.cloud.capgo_member: "{{ item | combine({'org_id': bench_org.org_id}) }}"
      loop: "{{ bench_members }}"
    - name: Webhooks
      capgo.cloud.capgo_webhook: "{{ item | combine({'org_id': bench_org.org_id}) }}"
      loop: "{{ bench_webhooks }}"
      no_log: true
    - name: Apps
      capgo.cloud.capgo_app: "{{ item }}"
      loop: "{{ bench_apps }}"
    - name: Channels
      capgo.cloud.capgo_channel: "{{ item }}"
      loop: "{{ bench_channels }}"
    - name: Devices
      capgo.cloud.capgo_device: "{{ item }}"
      loop: "{{ bench_devices }}"
"""

# What a careful person writes with ansible.builtin.uri: read, compare, write where it differs.
URI = """---
- name: Bench
  hosts: localhost
  gather_facts: false
  module_defaults:
    ansible.builtin.uri:
      headers:
        authorization: "{{ bench_key }}"
      return_content: true
  tasks:
    - name: Read the organization
      ansible.builtin.uri:
        url: "{{ bench_url }}/organization?orgId={{ bench_org.org_id }}"
      register: org
    - name: Update the organization
      ansible.builtin.uri:
        url: "{{ bench_url }}/organization"
        method: PUT
        body_format: json
        body: {orgId: "{{ bench_org.org_id }}", website: "{{ bench_org.website }}"}
      when: org.json.website != bench_org.website
      changed_when: true

    - name: Read the members
      ansible.builtin.uri:
        url: "{{ bench_url }}/organization/members?orgId={{ bench_org.org_id }}"
      register: members
    - name: Invite the missing members
      ansible.builtin.uri:
        url: "{{ bench_url }}/organization/members"
        method: POST
        body_format: json
        body: {orgId: "{{ bench_org.org_id }}", email: "{{ item.email }}", invite_type: "{{ item.role }}"}
      loop: "{{ bench_members }}"
      when: item.email not in (members.json | map(attribute='email') | list)
      changed_when: true

    - name: Read the webhooks
      ansible.builtin.uri:
        url: "{{ bench_url }}/webhooks?orgId={{ bench_org.org_id }}"
      register: hooks
    - name: Create the missing webhooks
      ansible.builtin.uri:
        url: "{{ bench_url }}/webhooks"
        method: POST
        body_format: json
        body: {orgId: "{{ bench_org.org_id }}", name: "{{ item.name }}", url: "{{ item.url }}", events: "{{ item.events }}"}
        status_code: [200, 201]
      loop: "{{ bench_webhooks }}"
      when: item.name not in (hooks.json | map(attribute='name') | list)
      changed_when: true
      no_log: true
    - name: Update the webhooks that differ
      ansible.builtin.uri:
        url: "{{ bench_url }}/webhooks"
        method: PUT
        body_format: json
        body: {orgId: "{{ bench_org.org_id }}", webhookId: "{{ current.id }}", url: "{{ item.url }}", events: "{{ item.events }}"}
      loop: "{{ bench_webhooks }}"
      vars:
        current: "{{ hooks.json | selectattr('name', 'equalto', item.name) | first | default({}) }}"
      when: current and (current.url != item.url or (current.events | sort) != (item.events | sort))
      changed_when: true

    - name: Read the apps
      ansible.builtin.uri:
        url: "{{ bench_url }}/app/{{ item.app_id }}"
      loop: "{{ bench_apps }}"
      register: apps
    - name: Update the apps that differ
      ansible.builtin.uri:
        url: "{{ bench_url }}/app/{{ item.item.app_id }}"
        method: PUT
        body_format: json
        body: {retention: "{{ item.item.retention_days * 86400 }}"}
      loop: "{{ apps.results }}"
      when: item.json.retention != item.item.retention_days * 86400
      changed_when: true

    - name: Read the channels
      ansible.builtin.uri:
        url: "{{ bench_url }}/channel?app_id={{ item.app_id }}&channel={{ item.channel }}"
        status_code: [200, 400]
      loop: "{{ bench_channels }}"
      register: channels
    - name: Create or update the channels that differ
      ansible.builtin.uri:
        url: "{{ bench_url }}/channel"
        method: POST
        body_format: json
        body: {app_id: "{{ item.item.app_id }}", channel: "{{ item.item.channel }}", version: "{{ item.item.bundle }}",
               public: "{{ item.item.public }}"}
      loop: "{{ channels.results }}"
      when: >-
        item.status != 200 or (item.json.version.name | default('')) != item.item.bundle
        or item.json.public != item.item.public
      changed_when: true

    - name: Read the devices
      ansible.builtin.uri:
        url: "{{ bench_url }}/device?app_id={{ item.app_id }}&device_id={{ item.device_id }}"
        status_code: [200, 404]
      loop: "{{ bench_devices }}"
      register: devices
    - name: Point the devices that differ at their channel
      ansible.builtin.uri:
        url: "{{ bench_url }}/device"
        method: POST
        body_format: json
        body: {app_id: "{{ item.item.app_id }}", device_id: "{{ item.item.device_id }}", channel: "{{ item.item.channel }}"}
      loop: "{{ devices.results }}"
      when: (item.json.channel | default('')) != item.item.channel
      changed_when: true
"""

STARTUP = {
    "baseline": "    - name: Nothing\n      ansible.builtin.debug:\n        msg: x\n",
    "capgo_channel": ("    - name: A converged channel\n      capgo.cloud.capgo_channel:\n"
                      "        app_id: com.demo.app\n        channel: production\n        bundle: 1.0.0\n"),
    "uri": ("    - name: The same channel with uri\n      ansible.builtin.uri:\n"
            "        url: \"{{ bench_url }}/channel?app_id=com.demo.app&channel=production\"\n"
            "        headers:\n          authorization: \"{{ bench_key }}\"\n        return_content: true\n"
            "      register: ch\n      changed_when: ch.json.version.name != '1.0.0'\n"),
}
STARTUP_TASKS = 20


# -- the emulator ------------------------------------------------------------------------


class Emulator:
    """The emulator, started through the project's one launcher (tests/pipeline/emulator.py)."""

    def __init__(self, python, seed_path, workdir):
        self.process = launcher.start(workdir, seed=seed_path, python=python, name="bench-emulator")
        self.url = self.process.url

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read().decode() or "null")

    def reset(self, state):
        self.call("POST", "/_emulator/reset", state)
        self.call("DELETE", "/_emulator/faults")
        self.call("POST", "/_emulator/clock", {"advance_seconds": 120})  # device override windows
        self.call("DELETE", "/_emulator/requests")

    def stop(self):
        self.process.stop()


# -- running -----------------------------------------------------------------------------


class Bench:
    def __init__(self, args, work, emulator):
        self.args = args
        self.work = work
        self.emu = emulator
        bin_dir = os.path.dirname(args.ansible_python)
        self.playbook_bin = os.path.join(bin_dir, "ansible-playbook")
        coll = os.path.join(work, "collections", "ansible_collections", "capgo")
        os.makedirs(coll)
        os.symlink(ROOT, os.path.join(coll, "cloud"))
        with open(os.path.join(work, "inventory.ini"), "w") as handle:
            handle.write("localhost ansible_connection=local ansible_python_interpreter=%s\n" % args.ansible_python)
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(work, "collections"),
                        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_LOCALHOST_WARNING="false",
                        ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false",
                        ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", PYTHONDONTWRITEBYTECODE="1")
        for var in ("CAPGO_API_KEY", "CAPGO_TOKEN", "CAPGO_API_URL", "CAPGO_SESSION_TOKEN"):
            self.env.pop(var, None)

    def write(self, name, text):
        path = os.path.join(self.work, name)
        with open(path, "w") as handle:
            handle.write(text)
        return path

    def vars_file(self, decl):
        data = flat(decl)
        data.update(bench_apps_nested=decl["apps"], bench_url=self.emu.url, bench_key=API_KEY)
        return self.write("vars-%d.yml" % id(decl), yaml.safe_dump(data))

    def playbook(self, playbook, vars_path, label):
        """Run a playbook; (seconds, reads, writes, changed tasks, ok)."""
        log = os.path.join(self.work, "%s.log" % label)
        t0 = time.time()
        with open(log, "w") as out:
            proc = subprocess.Popen([self.playbook_bin, "-i", os.path.join(self.work, "inventory.ini"), playbook,
                                     "-e", "@" + vars_path], env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, cwd=self.work, start_new_session=True)
            try:
                rc = proc.wait()
            except BaseException:
                os.killpg(proc.pid, signal.SIGTERM)  # interrupted: end the playbook and what it started
                proc.wait()
                raise
        seconds = time.time() - t0
        requests = self.emu.call("GET", "/_emulator/requests")
        writes = len([r for r in requests if r["method"] in WRITES])
        with open(log) as handle:
            text = handle.read()
        m = re.findall(r"localhost\s+: ok=\d+\s+changed=(\d+)", text)
        changed = int(m[-1]) if m else None
        if rc != 0:
            tail = "\n".join(text.splitlines()[-15:])
            print("  %s FAILED (rc %d), log %s:\n%s" % (label, rc, log, tail))
        return {"seconds": seconds, "reads": len(requests) - writes, "writes": writes, "changed": changed, "ok": rc == 0}


def median_run(bench, playbook, vars_path, label, state, times):
    runs = []
    for i in range(times):
        bench.emu.reset(state)
        runs.append(bench.playbook(playbook, vars_path, "%s-%d" % (label, i)))
    best = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return dict(best, ok=all(r["ok"] for r in runs))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--ansible-python", default=sys.executable,
                        help="python of the ansible-core venv (ansible-playbook beside it); default: this one")
    parser.add_argument("--emulator-python", default=os.path.join(ROOT, ".venvs", "emulator", "bin", "python"))
    parser.add_argument("--only", default=",".join(VARIANTS), help="variants to run, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure (the median is shown)")
    parser.add_argument("--no-write", action="store_true", help="do not write docs/benchmark.md")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    variants = [v for v in args.only.split(",") if v]
    for v in variants:
        if v not in VARIANTS:
            parser.error("unknown variant %s (known: %s)" % (v, ", ".join(VARIANTS)))

    work = tempfile.mkdtemp(prefix="capgo-bench-")  # in TMPDIR: the clone's .tmp/tmp under `make`
    seed_path = os.path.join(work, "seed.yml")
    with open(seed_path, "w") as handle:
        yaml.safe_dump(seed(), handle)
    emu = Emulator(args.emulator_python, seed_path, os.path.join(work, "emulator"))
    try:
        return run(args, variants, work, emu)
    finally:
        emu.stop()
        if args.keep:
            print("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args, variants, work, emu):
    bench = Bench(args, work, emu)
    v1, v2 = estate(1), estate(2)
    n_changes = changes_between(v1, v2)
    vars1, vars2 = bench.vars_file(v1), bench.vars_file(v2)
    books = {"uri": bench.write("uri.yml", URI), "modules": bench.write("modules.yml", MODULES),
             "environment": bench.write("environment.yml", ENVIRONMENT)}
    base = emu.call("GET", "/_emulator/state")

    # The converged state: estate v1 applied once (by capgo_environment, else single modules).
    converged = None
    for how in ("environment", "modules"):
        emu.reset(base)
        setup = bench.playbook(books[how], vars1, "setup-" + how)
        if setup["ok"]:
            converged = emu.call("GET", "/_emulator/state")
            print("setup: estate applied from the seed by %s in %.1f s (%d reads, %d writes)"
                  % (how, setup["seconds"], setup["reads"], setup["writes"]))
            break
    if converged is None:
        print("setup failed: no way to apply the estate")
        return 1

    results = {}
    for scenario, vars_path in (("converged", vars1), ("changed", vars2)):
        for v in variants:
            print("running %s / %s ..." % (scenario, v))
            sys.stdout.flush()
            results[(scenario, v)] = median_run(bench, books[v], vars_path, "%s-%s" % (scenario, v), converged, args.repeat)

    # Module start-up: 20 converged capgo_channel tasks vs 20 uri tasks, minus 20 debug tasks.
    startup = {}
    for name, task in STARTUP.items():
        book = bench.write("startup-%s.yml" % name, HEADER + task * STARTUP_TASKS)
        startup[name] = median_run(bench, book, vars1, "startup-" + name, base, max(3, args.repeat))

    table = report(results, variants, startup, n_changes)
    print()
    print(table)
    if not args.no_write:
        write_doc(table)
    ok = all(r["ok"] for r in results.values()) and all(r["ok"] for r in startup.values())
    return 0 if ok else 1


def report(results, variants, startup, n_changes):
    n_apps = APPS
    lines = []
    lines.append("Estate: 1 organization, %d apps, %d channels, %d members, %d device overrides, %d webhooks; "
                 "\"changed\" = %d changes." % (APPS, APPS * CHANNELS, MEMBERS, APPS * DEVICES, WEBHOOKS, n_changes))
    lines.append("")
    lines.append("| run | variant | wall (s) | × uri | reads | writes | changed tasks | ok |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---|")
    for scenario in ("converged", "changed"):
        uri = results.get((scenario, "uri"))
        for v in variants:
            r = results[(scenario, v)]
            ratio = "%.2f" % (r["seconds"] / uri["seconds"]) if uri and uri["ok"] else "-"
            lines.append("| %s | %s | %.1f | %s | %d | %d | %s | %s |" % (
                scenario, v, r["seconds"], ratio, r["reads"], r["writes"],
                "-" if r["changed"] is None else r["changed"], "yes" if r["ok"] else "FAILED"))
    lines.append("")
    env = results.get(("converged", "environment"))
    env_changed = results.get(("changed", "environment"))
    uri_c = results.get(("converged", "uri"))
    uri_x = results.get(("changed", "uri"))
    targets = []
    if env:
        targets.append(("converged: zero writes", env["writes"] == 0, "%d writes" % env["writes"]))
        limit = 3 * n_apps + 5
        targets.append(("converged: at most 3 requests per app + 5 (%d)" % limit, env["reads"] + env["writes"] <= limit,
                        "%d requests" % (env["reads"] + env["writes"])))
        if uri_c and uri_c["ok"]:
            targets.append(("converged: wall ≤ 0.1 × uri", env["seconds"] <= 0.1 * uri_c["seconds"],
                            "%.2f ×" % (env["seconds"] / uri_c["seconds"])))
    if env_changed:
        targets.append(("changed: one write per change (%d)" % n_changes, env_changed["writes"] == n_changes,
                        "%d writes" % env_changed["writes"]))
        if uri_x and uri_x["ok"]:
            targets.append(("changed: wall ≤ 0.2 × uri", env_changed["seconds"] <= 0.2 * uri_x["seconds"],
                            "%.2f ×" % (env_changed["seconds"] / uri_x["seconds"])))
    base = startup["baseline"]["seconds"]
    per = {k: (startup[k]["seconds"] - base) / STARTUP_TASKS for k in ("capgo_channel", "uri")}
    targets.append(("one converged capgo_channel task ≤ the uri task", per["capgo_channel"] <= per["uri"],
                    "%.3f s vs %.3f s (%.2f ×)" % (
                        per["capgo_channel"], per["uri"],
                        per["capgo_channel"] / per["uri"] if per["uri"] > 0 else float("nan"))))
    if targets:
        lines.append("| target (issue 12) | met | measured |")
        lines.append("|---|---|---|")
        for name, met, value in targets:
            lines.append("| %s | %s | %s |" % (name, "yes" if met else "no", value))
        lines.append("")
    lines.append("Module start-up: %d tasks in one playbook, minus %d debug tasks (%.1f s), per task: "
                 "capgo_channel %.3f s (%d reads), uri %.3f s (%d reads)." % (
                     STARTUP_TASKS, STARTUP_TASKS, base, per["capgo_channel"], startup["capgo_channel"]["reads"],
                     per["uri"], startup["uri"]["reads"]))
    return "\n".join(lines)


def write_doc(table):
    path = os.path.join(ROOT, "docs", "benchmark.md")
    cores = os.cpu_count()
    with open(path, "w") as handle:
        handle.write("# Benchmark: one estate, three ways\n\n")
        handle.write("Written by `scripts/benchmark.sh` (tests/benchmark/environment.py); see that file for what each\n"
                     "variant does. Not a test: figures from one run on this machine.\n\n")
        handle.write("Machine: %d cores, %s, Python %s; %s UTC.\n\n" % (
            cores, platform.machine(), platform.python_version(), time.strftime("%Y-%m-%d %H:%M", time.gmtime())))
        handle.write(table + "\n")
    print("wrote %s" % os.path.relpath(path, ROOT))


if __name__ == "__main__":
    sys.exit(main())
