# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `readme` session: every command of README.md's ```console blocks is run, in order, in a
copy of the tree, on ansible-core matrix.LATEST (or named as run by another session), and the
README's first playbook is previewed with `--check --diff` on a fresh emulator (as the README shows): it must
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

ASSUMED = ("check mode: bundle 1.3.0 does not exist in app com.demo.app; assumed to be created by an earlier task "
           "of this run")
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
        self.venv_steps = []
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

    def user_venv(self, cmd):
        """The Install section's venv (`python3 -m venv ~/capgo-venv`, activate, `pip install ...`):
        run together, as a user types them, with HOME in the session's scratch folder; the venv must
        then have ansible-playbook and requests."""
        self.venv_steps.append(cmd)
        if not cmd.startswith("pip install"):
            self.counts.check(True, "README $ %s (run with the pip install below)" % cmd)
            return
        home = os.path.join(self.work, "home")
        os.makedirs(home, exist_ok=True)
        script = " && ".join(self.venv_steps + ["ansible-playbook --version", "python -c 'import requests'"])
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env.update(HOME=home, PATH=os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                                                   if common.VENVS not in p))
        self.logs += 1
        rc, dummy = self.run(script, os.path.join(self.work, "command-%d.log" % self.logs), env=env, shell=True)
        self.counts.check(rc == 0, "README $ %s (then ansible-playbook and requests are in ~/capgo-venv)" % cmd)
        self.venv_steps = []

    def first_playbook(self, cmd):
        if cmd.endswith("--check --diff"):
            return self.first_playbook_preview(cmd)
        rc1, out1 = self.run(shlex.split(cmd), os.path.join(self.work, "run-1.log"))
        rc2, out2 = self.run(shlex.split(cmd), os.path.join(self.work, "run-2.log"))
        first, second = RECAP.findall(out1), RECAP.findall(out2)
        self.counts.check(rc1 == 0 and rc2 == 0 and first and int(first[-1]) > 0 and second == ["0"],
                          "README $ %s (first run changed, second run changed=0)" % cmd)

    def first_playbook_preview(self, cmd):
        """The preview, on a fresh emulator of the same seed: it succeeds, predicts both tasks
        (the channel assumes the bundle the first task would register, and says so), writes nothing."""
        seed = os.path.join(self.tree, "examples", "seed.yml")
        with emulator.running(os.path.join(self.work, "emulator"), seed=seed, python=self.emu_python) as fresh:
            env = dict(self.env, CAPGO_API_URL=fresh.url)
            rc, out = self.run(shlex.split(cmd), os.path.join(self.work, "check.log"), env=env)
            with urllib.request.urlopen(fresh.url + "/_emulator/requests", timeout=30) as answer:  # nosec - loopback
                writes = [r for r in json.loads(answer.read()) if r.get("method") not in ("GET", "HEAD", "OPTIONS")]
        changed = RECAP.findall(out)
        warned = ASSUMED in " ".join(out.split())
        self.counts.check(rc == 0 and changed == ["2"] and warned and not writes,
                          "README $ %s on a fresh emulator: succeeds, predicts both tasks (changed=2), warns "
                          "that bundle 1.3.0 is assumed, sends no write" % cmd)
        if rc:
            print("\n".join(line for line in out.splitlines() if "FAILED" in line or "fatal:" in line))

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
    (r"python3 -m venv ~/capgo-venv", Readme.user_venv),
    (r"\. ~/capgo-venv/bin/activate", Readme.user_venv),
    (r"pip install ansible-core requests", Readme.user_venv),
    (r"ansible-playbook first-playbook\.yml( --check --diff)?", Readme.first_playbook),
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
