# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark (issue 19): the collection's hosted upload (capgo_bundle src, through ansible-playbook) vs
Capgo's CLI (@capgo/cli 8.68.1 from tests/interop, `bundle upload`) against the emulator.

Not a test: it prints figures (and, unless --no-write, appends a section to docs/benchmark.md).

    scripts/benchmark.sh --upload [--files 2000] [--mb 25] [--big-mb 200] [--no-write]

The app is generated deterministically (seeded): ~--files files, ~--mb MB, mixed compressible JS/CSS/HTML
and incompressible images. For each tool, in the same run, same emulator, same dist/:
  new        upload of a new version (the CLI: `bundle upload --bundle V`; the collection: a playbook
             with one capgo_bundle task, src: dist/), wall time of the process
  converged  the same again (the CLI: `--version-exists-ok`; the collection: the same playbook, with the
             checksum cache the new run filled, and with an empty one: "cold cache")
  task       for the collection, the capgo_bundle task's own time (a callback plugin: from the task's
             start to its result, module payload and interpreter start-up included); for comparison,
             one ansible.builtin.ping task, and ansible-playbook with two debug tasks
  requests   the emulator's request log for the run (all services; analytics events counted apart)
Peak RSS: one capgo_bundle upload of a --big-mb app, the module run by ansible-playbook through an
interpreter wrapper that runs the real Python as its child and records the child's ru_maxrss (the
AnsiballZ process, which runs the module in-process: zip, hash, TUS upload).
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED = os.path.join(ROOT, "examples", "seed.yml")
KEY = "ae6e7458-c46d-4c00-aa3b-153b0b8520ea"
APP_ID = "com.demo.app"
BASE = "ansible-playbook alone (2 debug tasks)"
PING = "ansible.builtin.ping (the least a module task costs)"
CLI_DIR = os.path.join(ROOT, "tests", "interop")
CLI = os.path.join(CLI_DIR, "node_modules", "@capgo", "cli", "dist", "index.js")
ANON_KEY = "capgo-emulator-anon-key"
WORDS = ("function", "return", "const", "let", "var", "if", "else", "for", "while", "this", "props",
         "state", "render", "component", "export", "import", "default", "async", "await", "new", "null")


def generate_app(dest, files, megabytes, seed=19):
    """A built web app: index.html, JS chunks, CSS, images (random bytes); the same for the same seed."""
    rnd = random.Random(seed)
    target = megabytes * 1024 * 1024
    shares = (("js", 0.55, 0.45), ("css", 0.10, 0.10), ("png", 0.20, 0.30), ("woff2", 0.15, 0.15))
    os.makedirs(os.path.join(dest, "assets"), exist_ok=True)
    with open(os.path.join(dest, "index.html"), "w") as handle:
        handle.write("<!doctype html><html><head><link rel='stylesheet' href='assets/app.css'></head>"
                     "<body><script type='module' src='assets/main.js'></script></body></html>\n")
    with open(os.path.join(dest, "assets", "main.js"), "w") as handle:
        handle.write("import { CapacitorUpdater } from '@capgo/capacitor-updater';\n"
                     "CapacitorUpdater.notifyAppReady();\n")
    total = 0
    for ext, count_share, size_share in shares:
        count = max(1, int(files * count_share))
        size = int(target * size_share / count)
        for i in range(count):
            sub = os.path.join(dest, "assets", ext, "d%02d" % (i % 40))
            os.makedirs(sub, exist_ok=True)
            n = max(256, int(size * rnd.uniform(0.5, 1.5)))
            path = os.path.join(sub, "f%04d.%s" % (i, ext))
            if ext in ("png", "woff2"):
                data = rnd.randbytes(n)
            else:
                words = []
                length = 0
                while length < n:
                    w = rnd.choice(WORDS) + ("_%d" % rnd.randrange(500) if rnd.random() < 0.3 else "")
                    words.append(w)
                    length += len(w) + 1
                data = (" ".join(words)[:n] + "\n").encode()
            with open(path, "wb") as handle:
                handle.write(data)
            total += len(data)
    return total


class Emulator:
    def __init__(self, python, blobs):
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tests", "emulator"))
        self.proc = subprocess.Popen([python, "-m", "capgo_emulator", "--port", "0", "--seed", SEED,
                                      "--blob-dir", blobs], cwd=os.path.join(ROOT, "tests", "emulator"),
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("capgo-emulator listening on "):
            self.proc.kill()
            raise SystemExit("emulator did not start: %r" % line)
        self.url = line.strip().split(" on ", 1)[1]

    def control(self, method, path, body=None):
        import urllib.request
        req = urllib.request.Request(self.url + "/_emulator" + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read() or b"null")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)


def requests_of(emu):
    log = emu.control("GET", "/requests")
    events = sum(1 for e in log if e["path"].endswith("/private/events"))
    return len(log) - events, events


def timed(cmd, cwd=None, env=None):
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          stdin=subprocess.DEVNULL, check=False)
    took = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit("failed (%d): %s\n%s" % (proc.returncode, " ".join(cmd), proc.stdout[-3000:]))
    return took, proc.stdout


def write_project(path, url, dist):
    os.makedirs(os.path.join(path, "home"), exist_ok=True)
    with open(os.path.join(path, "package.json"), "w") as handle:
        json.dump({"name": "bench", "version": "1.0.0",
                   "dependencies": {"@capacitor/core": "7.0.0", "@capgo/capacitor-updater": "7.30.0"}}, handle)
    for name, version in (("@capacitor/core", "7.0.0"), ("@capgo/capacitor-updater", "7.30.0")):
        pkg = os.path.join(path, "node_modules", name)
        os.makedirs(pkg, exist_ok=True)
        with open(os.path.join(pkg, "package.json"), "w") as handle:
            json.dump({"name": name, "version": version}, handle)
    with open(os.path.join(path, "capacitor.config.json"), "w") as handle:
        json.dump({"appId": APP_ID, "appName": "Bench", "webDir": os.path.relpath(dist, path),
                   "plugins": {"CapacitorUpdater": {"localApi": url, "localApiFiles": url, "localSupa": url,
                                                    "localSupaAnon": ANON_KEY}}}, handle)


class Playbook:
    def __init__(self, work, ansible_python, url):
        self.work = work
        self.bin = os.path.dirname(ansible_python)
        self.python = ansible_python
        base = os.path.join(work, "collections", "ansible_collections", "capgo")
        os.makedirs(base, exist_ok=True)
        if not os.path.exists(os.path.join(base, "cloud")):
            os.symlink(ROOT, os.path.join(base, "cloud"))
        callbacks = os.path.join(work, "callback_plugins")
        os.makedirs(callbacks, exist_ok=True)
        with open(os.path.join(callbacks, "bench_timer.py"), "w") as handle:
            handle.write(TIMER)
        self.times = os.path.join(work, "task-times.jsonl")
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(work, "collections"),
                        ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                        ANSIBLE_HOME=os.path.join(work, "ansible-home"), ANSIBLE_CALLBACK_PLUGINS=callbacks,
                        ANSIBLE_CALLBACKS_ENABLED="bench_timer", BENCH_TIMES=self.times)
        self.url = url
        self.cache = None

    def task_time(self, action="capgo_bundle"):
        """How long the last run's task of this action took (start of the task to its result)."""
        with open(self.times) as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        return [r["seconds"] for r in rows if r["action"].endswith(action)][-1]

    def baseline(self):
        """The same playbook with one debug task instead of capgo_bundle: ansible-playbook's own cost."""
        playbook = os.path.join(self.work, "baseline.yml")
        with open(playbook, "w") as handle:
            yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "connection": "local",
                             "vars": {"ansible_python_interpreter": self.python},
                             "tasks": [{"ansible.builtin.debug": {"msg": "x"}},
                                       {"ansible.builtin.debug": {"msg": "y"}}]}], handle)
        return timed([os.path.join(self.bin, "ansible-playbook"), "-i", "localhost,", playbook], env=self.env)[0]

    def ping(self):
        """One ansible.builtin.ping task: what any module task costs (payload, process, result)."""
        playbook = os.path.join(self.work, "ping.yml")
        with open(playbook, "w") as handle:
            yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "connection": "local",
                             "vars": {"ansible_python_interpreter": self.python},
                             "tasks": [{"ansible.builtin.ping": {}}]}], handle)
        return timed([os.path.join(self.bin, "ansible-playbook"), "-i", "localhost,", playbook], env=self.env)[0]

    def upload(self, version, src, interpreter=None):
        playbook = os.path.join(self.work, "upload-%s.yml" % version)
        with open(playbook, "w") as handle:
            yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "connection": "local",
                             "vars": {"ansible_python_interpreter": interpreter or self.python},
                             "tasks": [{"capgo.cloud.capgo_bundle": {
                                 "app_id": APP_ID, "version": version, "src": src, "api_url": self.url,
                                 "files_url": self.url, "api_key": KEY}, "register": "r"},
                                 {"ansible.builtin.debug": {"msg": "CHANGED={{ r.changed }}"}}]}], handle)
        env = dict(self.env, CAPGO_CACHE_DIR=self.cache) if self.cache else self.env
        took, out = timed([os.path.join(self.bin, "ansible-playbook"), "-i", "localhost,", playbook], env=env)
        return took, "CHANGED=True" in out


TIMER = """
import json, os, time
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.start = time.monotonic()

    def v2_runner_on_ok(self, result):
        with open(os.environ["BENCH_TIMES"], "a") as handle:
            handle.write(json.dumps({"action": result._task.action, "seconds": time.monotonic() - self.start}) + "\\n")
"""


def median(values):
    values = sorted(values)
    return values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2.0


def peak_rss(play, work, src, version):
    """ru_maxrss (KiB) of the module's process: ansible runs the wrapper as the interpreter; the wrapper
    runs the real Python (AnsiballZ, which runs the module in-process) as its child."""
    log = os.path.join(work, "rss.log")
    wrapper = os.path.join(work, "rss-python")
    with open(wrapper, "w") as handle:
        handle.write("#!%s\nimport resource, subprocess, sys\n"
                     "rc = subprocess.call([%r] + sys.argv[1:])\n"
                     "open(%r, 'a').write('%%d\\n' %% resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
                     "sys.exit(rc)\n" % (sys.executable, play.python, log))
    os.chmod(wrapper, 0o755)
    took, changed = play.upload(version, src, interpreter=wrapper)
    with open(log) as handle:
        return max(int(x) for x in handle.read().split()), took, changed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ansible-python", default=sys.executable)
    parser.add_argument("--emulator-python", default=sys.executable)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--mb", type=int, default=25)
    parser.add_argument("--big-mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if not os.path.exists(CLI):
        subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=CLI_DIR, check=True)
    work = tempfile.mkdtemp(prefix="capgo-bench-upload-")
    emu = Emulator(args.emulator_python, os.path.join(work, "blobs"))
    try:
        dist = os.path.join(work, "app", "dist")
        raw = generate_app(dist, args.files, args.mb)
        nfiles = sum(len(names) for dummy_root, dummy_dirs, names in os.walk(dist))
        write_project(os.path.join(work, "app"), emu.url, dist)
        play = Playbook(work, args.ansible_python, emu.url)
        cli_env = dict(os.environ, CI="1", NO_COLOR="1", HOME=os.path.join(work, "app", "home"))
        cli = ["node", CLI, "bundle", "upload", "--path", "dist", "-a", KEY]
        samples = {}
        load_before = os.getloadavg()

        def run(name, func, task=None):
            emu.control("DELETE", "/requests")
            took = func()
            reqs, events = requests_of(emu)
            samples.setdefault(name, []).append((took, play.task_time(task) if task else None, reqs, events))

        def collection(version, cache):
            play.cache = cache
            return play.upload(version, dist)[0]

        for rep in range(args.repeat):
            cli_version, version = "5.%d.0" % rep, "5.%d.1" % rep
            with open(os.path.join(dist, "build.txt"), "w") as handle:  # the CLI refuses content a channel has
                handle.write("build %d\n" % rep)
            cache = os.path.join(work, "cache-%d" % rep)  # a fresh checksum cache: nothing of an earlier run
            run("cli new", lambda: timed(cli + ["--bundle", cli_version], cwd=os.path.join(work, "app"),
                                         env=cli_env)[0])
            run("cli converged", lambda: timed(cli + ["--bundle", cli_version, "--version-exists-ok"],
                                               cwd=os.path.join(work, "app"), env=cli_env)[0])
            run("cli start-up (--version)", lambda: timed(["node", CLI, "--version"], env=cli_env)[0])
            run("collection new", lambda: collection(version, cache), task="capgo_bundle")
            run("collection converged", lambda: collection(version, cache), task="capgo_bundle")
            run("collection converged, cold cache", lambda: collection(version, cache + "-cold"), task="capgo_bundle")
            shutil.rmtree(cache + "-cold", ignore_errors=True)
            run(BASE, play.baseline)
            run(PING, play.ping, task="ping")
        rows = {}
        for name, runs in samples.items():
            rows[name] = (median([r[0] for r in runs]), median([r[1] for r in runs]) if runs[0][1] is not None
                          else None, runs[-1][2], runs[-1][3])
        state = emu.control("GET", "/state")
        sizes = {}
        for row in state["bundles"]:
            if row["app_id"] == APP_ID and row["name"] in ("5.0.0", "5.0.1"):  # the first repetition's
                import urllib.request
                with urllib.request.urlopen(emu.url + "/files/read/attachments/" + row["r2_path"],
                                            timeout=300) as resp:
                    sizes[row["name"]] = len(resp.read())
        big = os.path.join(work, "big", "dist")
        big_raw = generate_app(big, args.files, args.big_mb, seed=20)
        play.cache = os.path.join(work, "cache-big")
        rss_kib, big_took, big_changed = peak_rss(play, work, big, "6.0.0")
        load_after = os.getloadavg()
    finally:
        emu.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    mb = 1024 * 1024.0
    lines = ["| run | wall time, process (s) | task (s) | requests (+ analytics events) | throughput |",
             "|---|---:|---:|---:|---:|"]
    for name, (took, task, reqs, events) in rows.items():
        size = sizes.get("5.0.0" if name.startswith("cli") else "5.0.1")
        tput = "%.1f MB/s" % (size / mb / (task or took)) if size and name.endswith("new") else "-"
        task_text = "%.2f" % task if task else "-"
        lines.append("| %s | %.2f | %s | %d (+%d) | %s |" % (name, took, task_text, reqs, events, tput))
    cli_new, cli_conv = rows["cli new"][0], rows["cli converged"][0]
    summary = [
        "", "App: %d files, %.1f MB raw; zips: CLI %s, collection %s bytes." % (
            nfiles, raw / mb, sizes.get("5.0.0"), sizes.get("5.0.1")),
        "The collection's upload, the capgo_bundle task, / the CLI's process: new version %.2fx (target <= 0.5x), "
        "converged %.2fx (target <= 0.2x), converged with a cold checksum cache %.2fx."
        % (rows["collection new"][1] / cli_new, rows["collection converged"][1] / cli_conv,
           rows["collection converged, cold cache"][1] / cli_conv),
        "0.2x the CLI's converged run is %.2f s; the task of ansible.builtin.ping, which does nothing, takes %.2f s "
        "(ansible-core's cost of any module task: payload, process, interpreter, result)."
        % (0.2 * cli_conv, rows[PING][1]),
        "Whole processes (ansible-playbook with that one task / node with the CLI): new version %.2fx, converged "
        "%.2fx; ansible-playbook's own start-up (the baseline row) is paid once per playbook."
        % (rows["collection new"][0] / cli_new, rows["collection converged"][0] / cli_conv),
        "Peak RSS of the module process, %.0f MB app (%d MiB raw): %.1f MiB (target <= 64 MiB); that upload "
        "took %.1f s (changed=%s)." % (args.big_mb, big_raw / mb, rss_kib / 1024.0, big_took, big_changed),
        "Median of %d runs; load average (1, 5, 15 min) before: %.2f %.2f %.2f; after: %.2f %.2f %.2f (2 cores)."
        % ((args.repeat,) + load_before + load_after),
    ]
    text = "\n".join(lines + summary)
    print(text)
    if not args.no_write:
        with open(os.path.join(ROOT, "docs", "benchmark.md"), "a") as handle:
            handle.write("\n## Hosted upload: capgo_bundle src vs @capgo/cli 8.68.1 (issue 19, %s)\n\n"
                         "`scripts/benchmark.sh --upload` (tests/benchmark/upload.py), against the emulator, "
                         "the median of --repeat runs. Wall time is the whole process (ansible-playbook with one "
                         "capgo_bundle task; node running the CLI); the task time runs from the task's start to "
                         "its result (a callback plugin), module start-up included; throughput is the stored "
                         "zip's size over that time. Peak RSS is the ru_maxrss of the Python process that ansible-playbook runs "
                         "for the task (AnsiballZ, running the module in-process), recorded by an "
                         "interpreter wrapper.\n\n%s\n"
                         % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), text))


if __name__ == "__main__":
    main()
