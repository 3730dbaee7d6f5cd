# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make test`: run the pipeline's nox sessions one after the other, then the table.

    python3.11 -m pipeline test [STAGE ...]       (PYTHONPATH=tests; `make test STAGES="..."`)

A STAGE is a session name (`integration-2.21`), a tag (`units`, `integration`, `checks`,
`sanity`, `core-2.21`; `nox -l` shows them) or a glob over names (`units-2.1*`); none means
the whole pipeline (tests/pipeline/matrix.py PIPELINE). Each session runs as `nox -s NAME`
(nox from .venvs/nox, made from tests/requirements/nox.txt); its output is shown and kept in
tests/output/logs/NAME.log. Every session runs, whatever the earlier ones did. The table ends
with `N passed, M failed` alone on a line (CI reads it); the exit status is 1 when anything
failed.
"""

import fnmatch
import json
import os
import subprocess
import sys
import time

from . import common, matrix, results


def nox_command():
    venv = common.ensure_venv("nox", [os.path.join(common.REQ_DIR, "nox.txt")])
    return [os.path.join(venv, "bin", "nox"), "--noxfile", os.path.join(common.ROOT, "noxfile.py"), "--no-color"]


def sessions(nox):
    """The pipeline's sessions, as nox lists them: name -> tags."""
    out = subprocess.run(nox + ["-l", "--json", "-s"] + list(matrix.PIPELINE), check=True, stdout=subprocess.PIPE,
                         universal_newlines=True, cwd=common.ROOT).stdout
    return {s["name"]: s.get("tags") or [] for s in json.loads(out)}


def select(listed, stages):
    """The sessions to run, in pipeline order."""
    if not stages:
        return [n for n in matrix.PIPELINE if n in listed]
    chosen, unknown = [], []
    for word in stages:
        hits = [n for n, tags in listed.items() if n == word or word in tags or fnmatch.fnmatchcase(n, word)]
        if not hits:
            unknown.append(word)
        chosen += hits
    if unknown:
        raise SystemExit("unknown stage(s): %s (sessions: %s)" % (" ".join(unknown), " ".join(listed)))
    order = list(matrix.PIPELINE)
    return sorted(set(chosen), key=lambda n: order.index(n) if n in order else len(order))


def run_session(nox, name):
    """`nox -s NAME`, its output shown and kept in tests/output/logs/NAME.log."""
    log_path = os.path.join(common.LOGS, "%s.log" % name)
    results.clear(name)
    print("\n==== %s ====" % name)
    sys.stdout.flush()
    start = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(nox + ["-s", name], cwd=common.ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        for chunk in iter(proc.stdout.readline, b""):
            text = chunk.decode("utf-8", "replace")
            sys.stdout.write(text)
            log.write(text)
        rc = proc.wait()
    seconds = time.monotonic() - start
    counted = results.read(name)
    if counted is None:  # a session without counts of its own (antsibull-nox's): one test
        counted = {"passed": 1 if rc == 0 else 0, "failed": 0 if rc == 0 else 1, "skipped": 0, "note": ""}
    elif rc != 0 and counted["failed"] == 0:
        counted["failed"] = 1
        counted["note"] = (counted["note"] + "; " if counted["note"] else "") + "nox exited with %d" % rc
    counted.update(name=name, result="PASS" if rc == 0 else "FAIL", seconds=seconds)
    return counted


def table(rows, total_seconds):
    print("\n==== summary ====")
    print("%-20s %-6s %7s %7s %7s %8s  %s" % ("SESSION", "RESULT", "PASSED", "FAILED", "SKIPPED", "SECONDS", "NOTE"))
    for row in rows:
        print("%-20s %-6s %7d %7d %7d %8.0f  %s"
              % (row["name"], row["result"], row["passed"], row["failed"], row["skipped"], row["seconds"], row["note"]))
    print("total time: %.0f s; logs: tests/output/logs/" % total_seconds)
    print("counts are tests (pytest, ansible-test sanity and units), integration targets and the project's checks")
    passed = sum(r["passed"] for r in rows)
    failed = sum(r["failed"] for r in rows)
    skipped = sum(r["skipped"] for r in rows)
    print("%d passed, %d failed%s" % (passed, failed, ", %d skipped" % skipped if skipped else ""))
    return 0 if failed == 0 and all(r["result"] == "PASS" for r in rows) else 1


def main(argv):
    sys.stdout.reconfigure(line_buffering=True)
    common.setup_environment()
    stages = list(argv) or os.environ.get("STAGES", "").split()
    os.makedirs(common.LOGS, exist_ok=True)
    start = time.monotonic()
    nox = nox_command()
    names = select(sessions(nox), stages)
    print("capgo.cloud pipeline: %s" % " ".join(names))
    rows = []
    try:
        for name in names:
            rows.append(run_session(nox, name))
    except KeyboardInterrupt:
        print("interrupted")
        return 130
    return table(rows, time.monotonic() - start)
