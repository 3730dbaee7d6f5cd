# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `readme` session: every command of README.md's ```console blocks is run, in order, in a
copy of the tree, on ansible-core matrix.LATEST (or named as run by another session), and the
README's first playbook is also previewed with `--check --diff` on a fresh emulator: it must
succeed, predict a change and send no write.

A README command no case here knows fails the session: add a case to COMMANDS.
"""

import json
import os
import re
import shlex
import subprocess
import urllib.request

from . import checks, common, emulator, matrix
from .results import Counts

RECAP = re.compile(r"^localhost\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", re.M)


class Readme:
    def __init__(self, tree, venv):
        self.tree = tree
        self.venv = venv
        self.counts = Counts()
        self.work = os.path.join(common.SCRATCH, "readme")
        self.env = dict(os.environ)
        self.env.update(common.venv_env(venv))
        self.env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(self.work, "collections"),
                        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_LOCALHOST_WARNING="false",
                        ANSIBLE_INVENTORY_UNPARSED_WARNING="false", CORE=matrix.LATEST)
        self.emulators = []
        self.logs = 0
        self.url = None
        self.emu_python = common.venv_python(common.emulator_venv())

    def run(self, cmd, log, env=None, shell=False):
        with open(log, "w") as handle:
            done = subprocess.run(cmd if not shell else ["bash", "-c", cmd], cwd=self.tree, env=env or self.env,
                                  stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, check=False)
        with open(log) as handle:
            out = handle.read()
        if done.returncode:
            print(out[-4000:])
        return done.returncode, out

    # ------------------------------------------------------------ the commands
    def other_session(self, cmd, session):
        self.counts.check(True, "README $ %s: run by the %s session" % (cmd, session))

    def shell(self, cmd):
        self.logs += 1
        rc, dummy = self.run(cmd, os.path.join(self.work, "command-%d.log" % self.logs), shell=True)
        self.counts.check(rc == 0, "README $ %s" % cmd)

    def stop_emulator(self, cmd):
        """`kill %1` and the like: the README's emulator stops, cleanly."""
        statuses = [emu.stop() for emu in self.emulators]
        self.emulators = []
        self.counts.check(bool(statuses) and all(s == 0 for s in statuses), "README $ %s (the emulator stopped)" % cmd)

    def start_emulator(self, cmd):
        """As written, through the project's launcher: the README's command line must be the
        launcher's (emulator.command), on port 8787; it runs on a free port (8787 may be taken
        on a shared machine), and `export CAPGO_API_URL` below is adjusted alike."""
        words = shlex.split(cmd.rstrip("&").strip())
        assigned = dict(w.split("=", 1) for w in words if re.match(r"^[A-Z_]+=", w))
        argv = [w for w in words if not re.match(r"^[A-Z_]+=", w)]
        opts = dict(zip(argv[3::2], argv[4::2]))
        expected = emulator.command(argv[0], opts.get("--host", ""), 8787, opts.get("--seed"))
        if not self.counts.check(argv == expected and assigned.get("PYTHONPATH") == "tests/emulator",
                                 "README $ %s is the launcher's command line" % cmd):
            print("expected: PYTHONPATH=tests/emulator %s" % " ".join(expected))
            return
        emu = emulator.start(os.path.join(self.work, "emulator"), seed=os.path.join(self.tree, opts["--seed"]),
                             python=os.path.join(self.tree, argv[0]), host=opts["--host"],
                             emulator_dir=os.path.join(self.tree, assigned["PYTHONPATH"]))
        self.emulators.append(emu)
        self.url = emu.url
        self.counts.check(True, "README $ %s (on %s)" % (cmd, emu.url))

    def export(self, cmd):
        for assignment in shlex.split(cmd)[1:]:
            name, value = assignment.split("=", 1)
            if name == "CAPGO_API_URL" and self.url:
                value = self.url
            self.env[name] = value
        self.counts.check(True, "README $ %s" % cmd)

    def first_playbook(self, cmd):
        # The preview first, on a fresh emulator of the same seed: succeeds, predicts a change,
        # writes nothing.
        seed = os.path.join(self.tree, "examples", "seed.yml")
        with emulator.running(os.path.join(self.work, "emulator"), seed=seed, python=self.emu_python) as fresh:
            env = dict(self.env, CAPGO_API_URL=fresh.url)
            rc, out = self.run(shlex.split(cmd) + ["--check", "--diff"], os.path.join(self.work, "check.log"), env=env)
            with urllib.request.urlopen(fresh.url + "/_emulator/requests", timeout=30) as answer:  # nosec - loopback
                writes = [r for r in json.loads(answer.read()) if r.get("method") not in ("GET", "HEAD", "OPTIONS")]
            changed = RECAP.findall(out)
            self.counts.check(rc == 0 and changed and int(changed[-1]) > 0 and not writes,
                              "README $ %s --check --diff on a fresh emulator: succeeds, predicts a change, "
                              "sends no write" % cmd)
            if rc:
                print("\n".join(line for line in out.splitlines() if "FAILED" in line or "fatal:" in line))
        rc1, out1 = self.run(shlex.split(cmd), os.path.join(self.work, "run-1.log"))
        rc2, out2 = self.run(shlex.split(cmd), os.path.join(self.work, "run-2.log"))
        first, second = RECAP.findall(out1), RECAP.findall(out2)
        self.counts.check(rc1 == 0 and rc2 == 0 and first and int(first[-1]) > 0 and second == ["0"],
                          "README $ %s (first run changed, second run changed=0)" % cmd)

    def unknown(self, cmd):
        self.counts.check(False, "README $ %s: no test runs this command (add it to COMMANDS in tests/pipeline/readme.py)" % cmd)

    def stop(self):
        for emu in self.emulators:
            emu.stop()


# (pattern, handler): the first whose pattern matches the whole command runs it.
COMMANDS = (
    (r"make test", lambda r, c: r.counts.check(True, "README $ %s: this run" % c)),
    (r"make docs", lambda r, c: r.other_session(c, "docs")),
    (r"make demo", Readme.shell),
    (r"ansible-galaxy collection .*", Readme.shell),
    (r"PYTHONPATH=\S+ \S+ -m capgo_emulator .*&", Readme.start_emulator),
    (r"export .*", Readme.export),
    (r"ansible-playbook first-playbook\.yml", Readme.first_playbook),
    (r"kill (%1|\$!|%%)", Readme.stop_emulator),
)


def readme_session(session):
    venv = common.core_venv(matrix.LATEST)
    common.core_venv("2.19")  # make demo's default core, if the demo runs
    tree = common.lay_out("readme/tree", git_init=False)
    os.symlink(common.VENVS, os.path.join(tree, ".venvs"))
    readme = Readme(tree, venv)
    os.makedirs(readme.work, exist_ok=True)
    path = os.path.join(tree, "README.md")
    block = checks.readme_block(path, "first-playbook.yml")
    if readme.counts.check(bool(block), "README.md has a <!-- readme-test: first-playbook.yml --> block"):
        with open(os.path.join(tree, "first-playbook.yml"), "w") as handle:
            handle.write(block)
    commands = checks.readme_commands(path)
    readme.counts.check(bool(commands), "README.md shows commands")
    try:
        for cmd in commands:
            handler = next((h for pattern, h in COMMANDS if re.fullmatch(pattern, cmd)), Readme.unknown)
            handler(readme, cmd)
    finally:
        readme.stop()
    return readme.counts.add(checks.readme_links(common.ROOT))
