# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the inventory plugin and the listings in parallel (issue 21), against the emulator.

Not a test: it prints figures (and the section of docs/benchmark.md they go into). Run it with
scripts/benchmark.sh --inventory, which makes the venvs; or by hand:

    .venvs/core-2.19/bin/python tests/benchmark/inventory.py \
        --emulator-python .venvs/emulator/bin/python [--before DIR] [--no-write]

1. ``ansible-inventory --list`` with capgo.cloud.capgo (include: channels) over 50 apps of 10
   channels each: cold (no cache) and cached (the second run of a jsonfile cache), without and
   with 50 ms of latency on every request (the emulator's fault rule ``delay_ms`` on path ``.*``).
2. The 10x estate (1 organization, 50 apps, 500 channels, 1,000 device overrides, 200 members,
   5 webhooks) converged by one capgo_environment task with 50 ms latency on every request; the same
   with the declaration in a file (the module's ``src``: Ansible neither parses nor templates it),
   with the default ``parallel`` (4) and with 8.
   ``--before DIR`` also runs it with the collection found in DIR (a checkout of the code before
   the listings ran in the pool, e.g. ``git archive main``), for the comparison.

Wall time is the ansible-inventory / ansible-playbook process's; requests come from the
emulator's log. Each figure is the median of ``--repeat`` runs.
"""


import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import environment as env_bench  # noqa: E402  (the estate, the emulator and the playbook of the environment benchmark)

ROOT = env_bench.ROOT
LATENCY_MS = 50
SECTION = "## Inventory plugin and listings in parallel (issue 21)"


# The 10x estate's playbook with the declaration in a file (capgo_environment's src) instead of options.
ENVIRONMENT_SRC = env_bench.HEADER + """
    - name: The whole estate, from a file
      capgo.cloud.capgo_environment:
        organization: "{{ bench_org }}"
        src: "{{ bench_src }}"
        parallel: "{{ bench_parallel }}"
"""
# The src run is repeated with this parallel (besides the default, 4): what a wider pool gives with latency.
WIDE_PARALLEL = 8


def scale_estate():
    """The 10x estate of issue 21: 50 apps of 10 channels and 20 device overrides, 200 members."""
    env_bench.APPS, env_bench.CHANNELS, env_bench.DEVICES, env_bench.MEMBERS = 50, 10, 20, 200


def latency(emu, ms):
    emu.call("DELETE", "/_emulator/faults")
    if ms:
        emu.call("POST", "/_emulator/faults", {"method": None, "path": ".*", "delay_ms": ms, "times": 10 ** 9})


def timed(argv, env, cwd, log):
    t0 = time.time()
    with open(log, "w") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd, start_new_session=True)
        try:
            rc = proc.wait()
        except BaseException:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            raise
    seconds = time.time() - t0
    if rc != 0:
        with open(log) as handle:
            print("  FAILED (rc %d), log %s:\n%s" % (rc, log, "\n".join(handle.read().splitlines()[-15:])))
    return seconds, rc == 0


def requests_of(emu):
    log = emu.call("GET", "/_emulator/requests")
    emu.call("DELETE", "/_emulator/requests")
    return log


def median(runs):
    best = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return dict(best, ok=all(r["ok"] for r in runs))


class Runner:
    def __init__(self, args, work, emu):
        self.args = args
        self.work = work
        self.emu = emu
        self.bin_dir = os.path.dirname(args.ansible_python)
        self.collections = {}
        self.add_collection("after", ROOT)
        if args.before:
            self.add_collection("before", os.path.abspath(args.before))
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_LOCALHOST_WARNING="false",
                        ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false",
                        ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", PYTHONDONTWRITEBYTECODE="1")
        for var in ("CAPGO_API_KEY", "CAPGO_TOKEN", "CAPGO_API_URL", "CAPGO_SESSION_TOKEN"):
            self.env.pop(var, None)
        with open(os.path.join(work, "inventory.ini"), "w") as handle:
            handle.write("localhost ansible_connection=local ansible_python_interpreter=%s\n" % args.ansible_python)

    def add_collection(self, name, source):
        coll = os.path.join(self.work, "collections-%s" % name, "ansible_collections", "capgo")
        os.makedirs(coll)
        os.symlink(source, os.path.join(coll, "cloud"))
        self.collections[name] = os.path.join(self.work, "collections-%s" % name)

    def env_for(self, which, **more):
        return dict(self.env, ANSIBLE_COLLECTIONS_PATH=self.collections[which], **more)

    # -- 1. the inventory ----------------------------------------------------------------

    def inventory(self, state):
        cache_dir = os.path.join(self.work, "inventory-cache")
        config = os.path.join(self.work, "bench.capgo.yml")
        with open(config, "w") as handle:
            yaml.safe_dump({"plugin": "capgo.cloud.capgo", "include": ["channels"], "cache": True,
                            "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": cache_dir,
                            "cache_timeout": 3600}, handle)
        env = self.env_for("after", CAPGO_API_URL=self.emu.url, CAPGO_API_KEY=env_bench.API_KEY,
                           ANSIBLE_INVENTORY_ENABLED="capgo.cloud.capgo", ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
        argv = [os.path.join(self.bin_dir, "ansible-inventory"), "-i", config, "--list", "--output",
                os.path.join(self.work, "inventory.json")]
        rows = []
        for ms in (0, self.args.latency):
            for how in ("cold", "cached"):
                runs = []
                for i in range(self.args.repeat):
                    self.emu.reset(state)
                    latency(self.emu, ms)
                    shutil.rmtree(cache_dir, ignore_errors=True)
                    if how == "cached":  # a first run fills the cache
                        timed(argv, env, self.work, os.path.join(self.work, "inventory-fill.log"))
                        requests_of(self.emu)
                    seconds, ok = timed(argv, env, self.work,
                                        os.path.join(self.work, "inventory-%s-%d-%d.log" % (how, ms, i)))
                    runs.append({"seconds": seconds, "requests": len(requests_of(self.emu)), "ok": ok})
                rows.append(dict(median(runs), latency=ms, how=how))
                print("  inventory %s, %d ms: %.2f s, %d requests" % (how, ms, rows[-1]["seconds"],
                                                                      rows[-1]["requests"]))
        with open(os.path.join(self.work, "inventory.json")) as handle:
            listed = yaml.safe_load(handle)
        hosts = len(listed.get("capgo", {}).get("hosts", []))
        return rows, hosts

    # -- 2. the 10x estate converged -----------------------------------------------------

    def environment(self, which, playbook, vars_path, converged, ms, collection=None):
        runs = []
        for i in range(self.args.repeat):
            self.emu.reset(converged)
            latency(self.emu, ms)
            seconds, ok = timed([os.path.join(self.bin_dir, "ansible-playbook"), "-i",
                                 os.path.join(self.work, "inventory.ini"), playbook, "-e", "@" + vars_path],
                                self.env_for(collection or which), self.work,
                                os.path.join(self.work, "environment-%s-%d-%d.log" % (which, ms, i)))
            log = requests_of(self.emu)
            writes = len([r for r in log if r["method"] in env_bench.WRITES])
            runs.append({"seconds": seconds, "reads": len(log) - writes, "writes": writes, "ok": ok})
        return median(runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--ansible-python", default=sys.executable)
    parser.add_argument("--emulator-python", default=os.path.join(ROOT, ".venvs", "emulator", "bin", "python"))
    parser.add_argument("--before", help="a copy of the collection to compare the converged estate with")
    parser.add_argument("--before-label", default="before (listings one scope after another)",
                        help="what the --before copy is, for the table")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument("--latency", type=int, default=LATENCY_MS, help="the latency in ms (default 50)")
    parser.add_argument("--estate-only", action="store_true", help="skip the inventory figures")
    parser.add_argument("--no-write", action="store_true", help="do not write docs/benchmark.md")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()

    scale_estate()
    work = tempfile.mkdtemp(prefix="capgo-bench-inventory-")
    seed_path = os.path.join(work, "seed.yml")
    with open(seed_path, "w") as handle:
        yaml.safe_dump(env_bench.seed(), handle)
    emu = env_bench.Emulator(args.emulator_python, seed_path, os.path.join(work, "emulator"))
    try:
        return run(args, work, emu)
    finally:
        emu.stop()
        if args.keep:
            print("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args, work, emu):
    runner = Runner(args, work, emu)
    decl = env_bench.estate(1)
    vars_path = os.path.join(work, "vars.yml")
    # Only what the playbook (env_bench.ENVIRONMENT) reads: the flat lists of env_bench.flat() are for
    # the uri and single-module playbooks, and ansible-playbook would parse and copy them (-e @file) for nothing.
    data = {"bench_org": decl["organization"], "bench_members": decl["members"], "bench_webhooks": decl["webhooks"],
            "bench_apps_nested": decl["apps"], "bench_url": emu.url, "bench_key": env_bench.API_KEY}
    with open(vars_path, "w") as handle:
        yaml.safe_dump(data, handle)
    playbook = os.path.join(work, "environment.yml")
    with open(playbook, "w") as handle:
        handle.write(env_bench.ENVIRONMENT)
    # The same estate as a declaration file (capgo_environment's src): Ansible neither parses nor templates it.
    src_path = os.path.join(work, "estate.json")
    with open(src_path, "w") as handle:
        json.dump({"members": decl["members"], "webhooks": decl["webhooks"], "apps": decl["apps"]}, handle)
    src_vars = {}
    for parallel in (4, WIDE_PARALLEL):
        src_vars[parallel] = os.path.join(work, "vars-src-%d.yml" % parallel)
        with open(src_vars[parallel], "w") as handle:
            yaml.safe_dump({"bench_org": decl["organization"], "bench_src": src_path, "bench_url": emu.url,
                            "bench_key": env_bench.API_KEY, "bench_parallel": parallel}, handle)
    src_playbook = os.path.join(work, "environment-src.yml")
    with open(src_playbook, "w") as handle:
        handle.write(ENVIRONMENT_SRC)

    base = emu.call("GET", "/_emulator/state")
    emu.call("DELETE", "/_emulator/faults")
    print("setup: applying the 10x estate (no latency) ...")
    sys.stdout.flush()
    seconds, ok = timed([os.path.join(runner.bin_dir, "ansible-playbook"), "-i", os.path.join(work, "inventory.ini"),
                         playbook, "-e", "@" + vars_path], runner.env_for("after"), work, os.path.join(work, "setup.log"))
    if not ok:
        return 1
    converged = emu.call("GET", "/_emulator/state")
    print("setup: %.1f s" % seconds)
    n_channels = len([c for c in converged["channels"] if c["app_id"].startswith("com.bench.")])

    print("inventory ...")
    inventory_rows, hosts = runner.inventory(converged) if not args.estate_only else ([], 0)
    estate_rows = {}
    for which in (["before"] if args.before else []) + ["after"]:
        for ms in (0, args.latency):
            print("10x estate converged, %s, %d ms ..." % (which, ms))
            sys.stdout.flush()
            estate_rows[(which, ms)] = r = runner.environment(which, playbook, vars_path, converged, ms)
            print("  %.2f s, %d reads, %d writes" % (r["seconds"], r["reads"], r["writes"]))
    for which, parallel in (("src", 4), ("src-wide", WIDE_PARALLEL)):
        for ms in (0, args.latency):
            print("10x estate converged, declaration in a file (src), parallel %d, %d ms ..." % (parallel, ms))
            sys.stdout.flush()
            estate_rows[(which, ms)] = r = runner.environment(which, src_playbook, src_vars[parallel], converged, ms,
                                                              collection="after")
            print("  %.2f s, %d reads, %d writes" % (r["seconds"], r["reads"], r["writes"]))
    del base

    text = report(inventory_rows, hosts, n_channels, estate_rows, args.repeat, args.latency, args.before_label)
    print()
    print(text)
    if not args.no_write:
        write_doc(text)
    ok = all(r["ok"] for r in inventory_rows) and all(r["ok"] for r in estate_rows.values())
    return 0 if ok else 1


def report(inventory_rows, hosts, n_channels, estate_rows, repeat, latency_ms=LATENCY_MS,
           before_label="before (listings one scope after another)"):
    lines = [SECTION, ""]
    lines.append("Written by `scripts/benchmark.sh --inventory` (tests/benchmark/inventory.py). Not a test: "
                 "the median of %d runs on this machine (%d cores, %s, Python %s; %s UTC; load average %.1f "
                 "at the end: other work shares the machine, so wall times are high rather than low)."
                 % (repeat, os.cpu_count() or 0, platform.machine(), platform.python_version(),
                    time.strftime("%Y-%m-%d %H:%M", time.gmtime()), os.getloadavg()[0]))
    lines.append("Latency: the emulator's fault rule `{\"path\": \".*\", \"delay_ms\": %d}` delays every request."
                 % latency_ms)
    lines.append("")
    lines.append("`ansible-inventory --list` with `capgo.cloud.capgo` (`include: [channels]`, default "
                 "`parallel: 4`): %d hosts (the 50 apps of the estate and the seed's app), %d channels."
                 % (hosts, n_channels))
    lines.append("")
    lines.append("| latency | run | wall (s) | requests |")
    lines.append("|---:|---|---:|---:|")
    for r in inventory_rows:
        lines.append("| %d ms | %s | %.2f | %d |" % (r["latency"], r["how"], r["seconds"], r["requests"]))
    lines.append("")
    lines.append("The 10x estate (1 organization, 50 apps, 500 channels, 1,000 device overrides, 200 members, "
                 "5 webhooks) converged by one `capgo_environment` task (default `parallel: 4`), without and with "
                 "%d ms latency; \"latency cost\" is the difference, the time the run waits on the network:"
                 % latency_ms)
    lines.append("")
    lines.append("| code | wall, 0 ms (s) | wall, %d ms (s) | latency cost (s) | reads | writes | target ≤ 3 s at %d ms |"
                 % (latency_ms, latency_ms))
    lines.append("|---|---:|---:|---:|---:|---:|---|")
    labels = {"before": before_label, "after": "after: items validated per kind (the declaration as options)",
              "src": "the same, the declaration in a file (`src`)",
              "src-wide": "the same with `parallel: %d`" % WIDE_PARALLEL}
    for which in ("before", "after", "src", "src-wide"):
        if (which, latency_ms) in estate_rows:
            quiet, slow = estate_rows[(which, 0)], estate_rows[(which, latency_ms)]
            lines.append("| %s | %.2f | %.2f | %.2f | %d | %d | %s |" % (
                labels[which], quiet["seconds"], slow["seconds"], slow["seconds"] - quiet["seconds"], slow["reads"],
                slow["writes"], "met" if slow["seconds"] <= 3 else "not met"))
    return "\n".join(lines) + "\n"


def write_doc(text):
    path = os.path.join(ROOT, "docs", "benchmark.md")
    with open(path) as handle:
        doc = handle.read()
    if SECTION in doc:  # replaced where it is; the sections after it stay
        start = doc.index(SECTION)
        end = doc.find("\n## ", start + len(SECTION))
        doc = doc[:start] + text.rstrip("\n") + "\n" + (doc[end:] if end != -1 else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    with open(path, "w") as handle:
        handle.write(doc)
    print("written: %s" % path)


if __name__ == "__main__":
    sys.exit(main())
