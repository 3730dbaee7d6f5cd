# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo` (it was scripts/demo.sh): build and install the collection from the work tree,
start the Capgo API emulator with examples/seed.yml, and run every examples/*.yml playbook twice
against it. The first run must succeed; the second must succeed and report changed=0 for every
host. The emulator is reset to the seed before each playbook.

The playbooks get the connection through the modules' environment fallbacks: CAPGO_API_URL and
CAPGO_FILES_URL (the emulator), CAPGO_API_KEY (the seed's admin key, org_super_admin on "Demo org") and
CAPGO_SESSION_TOKEN (its owner's session token).

Knobs: EXAMPLES="examples/channel.yml ..." (default: all), CORE=2.19 (the ansible-core venv).
"""

import glob
import json
import os
import re
import subprocess
import sys
import urllib.request

from . import checks, common, emulator

RECAP = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def control(url, method, path, body=None):
    data = json.dumps(body, default=str).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # nosec - the loopback emulator
        return json.loads(answer.read() or b"null")


def reset(url, seed):
    control(url, "POST", "/_emulator/reset", seed)
    control(url, "DELETE", "/_emulator/faults")
    control(url, "DELETE", "/_emulator/requests")


def run_playbook(playbook, cwd, env, log):
    """ansible-playbook, its output shown and kept in LOG; returns (status, output)."""
    proc = subprocess.Popen(["ansible-playbook", "-i", env["CAPGO_DEMO_INVENTORY"], playbook], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    lines = []
    with open(log, "w") as handle:
        for line in proc.stdout:
            sys.stdout.write(line)
            handle.write(line)
            lines.append(line)
    return proc.wait(), "".join(lines)


def main():
    import yaml
    common.setup_environment()
    core = os.environ.get("CORE", "2.19")
    venv = common.core_venv(core)
    emu_python = common.venv_python(common.emulator_venv())
    work = os.path.join(common.SCRATCH, "demo")
    tree = common.lay_out("demo/tree", git_init=False)
    env = dict(os.environ)
    env.update(common.venv_env(venv))
    cols = os.path.join(work, "collections")
    env.update(ANSIBLE_COLLECTIONS_PATH=cols, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false")
    # Files the examples write (keys, charts) go to TMPDIR, the clone's .tmp/tmp (common.py).
    dist = os.path.join(work, "dist")
    if subprocess.run(["ansible-galaxy", "collection", "build", "--force", "--output-path", dist], cwd=tree, env=env, check=False).returncode:
        return "ansible-galaxy collection build failed"
    tarball = sorted(glob.glob(os.path.join(dist, "capgo-cloud-*.tar.gz")))[-1]
    if subprocess.run(["ansible-galaxy", "collection", "install", "--force", "-p", cols, tarball], cwd=work, env=env, check=False).returncode:
        return "ansible-galaxy collection install failed"
    inventory = os.path.join(work, "inventory.ini")
    with open(inventory, "w") as handle:
        handle.write("localhost ansible_connection=local ansible_python_interpreter=%s\n" % common.venv_python(venv))
    env["CAPGO_DEMO_INVENTORY"] = inventory
    seed_path = os.path.join(tree, "examples", "seed.yml")
    with open(seed_path) as handle:
        seed = yaml.safe_load(handle)
    if os.environ.get("EXAMPLES"):
        playbooks = os.environ["EXAMPLES"].split()
    else:
        playbooks = sorted(os.path.relpath(p, tree) for p in glob.glob(os.path.join(tree, "examples", "*.yml"))
                           if os.path.basename(p) != "seed.yml")
    if not playbooks:
        return "no example playbooks in examples/ (besides seed.yml)"
    key, token = checks.seed_identities(seed_path)
    results = []
    with emulator.running(os.path.join(work, "emulator"), seed=seed_path, python=emu_python) as emu:
        # the emulator's files service (uploads) is at the API's origin
        env.update(CAPGO_API_URL=emu.url, CAPGO_FILES_URL=emu.url, CAPGO_API_KEY=key, CAPGO_SESSION_TOKEN=token or "-")
        for playbook in playbooks:
            name = os.path.splitext(os.path.basename(playbook))[0]
            note = "second run changed=0"
            reset(emu.url, seed)
            common.say("\n==== %s: first run ====" % playbook)
            rc, dummy = run_playbook(playbook, tree, env, os.path.join(work, name + ".1.log"))
            if rc:
                note = "first run failed"
            else:
                common.say("\n==== %s: second run (must change nothing) ====" % playbook)
                rc, out = run_playbook(playbook, tree, env, os.path.join(work, name + ".2.log"))
                recap = RECAP.findall(out)
                bad = ["%s changed=%s" % (host, changed) for host, changed, unreachable, failed in recap
                       if (changed, unreachable, failed) != ("0", "0", "0")]
                if rc:
                    note = "second run failed"
                elif not recap:
                    note = "no PLAY RECAP in the second run"
                elif bad:
                    note = "second run changed something: %s" % "; ".join(bad)
            results.append((playbook, note == "second run changed=0", note))
    common.say("\n==== demo summary ====")
    for playbook, ok, note in results:
        common.say("%-32s %-5s %s" % (playbook, "PASS" if ok else "FAIL", note))
    failed = sum(1 for r in results if not r[1])
    if failed:
        common.say("DEMO FAILED: every example must run cleanly twice, the second time with changed=0")
    common.say("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
