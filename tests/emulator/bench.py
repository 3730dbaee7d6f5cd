"""Benchmark of the Capgo API emulator (not a test).

Reports
  * start-up time: from process start until it is ready (``--ready-file``);
  * throughput: requests/second for ``GET /channel?app_id=...&channel=...`` with N
    concurrent keep-alive clients (default 8) on loopback.

Usage: python tests/emulator/bench.py [--clients 8] [--seconds 5] [--starts 5] [--path /channel]
Targets (issue 2): >= 300 req/s and < 1 s start-up on a 2-core machine.
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/: the launcher, tests/pipeline/emulator.py
from pipeline import emulator as launcher  # noqa: E402
KEY = "ae6e7458-c46d-4c00-aa3b-153b0b8520ea"
SEED = {
    "users": [{"email": "admin@example.com"}],
    "orgs": [{"name": "Bench org", "members": [{"email": "admin@example.com",
                                                "role": "org_super_admin"}]}],
    "apps": [{"app_id": "com.bench.app", "owner_org": "Bench org"}],
    "bundles": [{"app_id": "com.bench.app", "name": "1.0.%d" % i,
                 "external_url": "https://cdn.example.com/1.0.%d.zip" % i} for i in range(20)],
    "channels": [{"app_id": "com.bench.app", "name": "production", "version": "1.0.19",
                  "public": True}] + [{"app_id": "com.bench.app", "name": "ch%d" % i}
                                      for i in range(20)],
    "apikeys": [{"key": KEY, "user": "admin@example.com", "bindings": [
        {"role_name": "org_super_admin", "scope_type": "org", "org_id": "Bench org"}]}],
}


def start(seed_path, env):
    """The emulator through the project's one launcher; the start-up time runs until it is ready
    (its --ready-file holds the URL)."""
    t0 = time.perf_counter()
    try:
        proc = launcher.start(os.path.dirname(seed_path), seed=seed_path, python=sys.executable, env=env,
                              emulator_dir=HERE, name="bench")
    except launcher.EmulatorError as exc:
        raise SystemExit("emulator did not start: %s" % exc)
    return proc, proc.url.rsplit(":", 1)[1], time.perf_counter() - t0


def stop(proc):
    proc.stop()


def client(port, path, deadline, counts, index):
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    ok = bad = 0
    while time.perf_counter() < deadline:
        conn.request("GET", path, headers={"authorization": KEY})
        resp = conn.getresponse()
        resp.read()
        if resp.status == 200:
            ok += 1
        else:
            bad += 1
    conn.close()
    counts[index] = (ok, bad)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--starts", type=int, default=5, help="start-up measurements")
    parser.add_argument("--path", default="/channel?" + urlencode(
        {"app_id": "com.bench.app", "channel": "production"}))
    args = parser.parse_args()

    env = dict(os.environ)
    env["PYTHONPATH"] = HERE + os.pathsep + env.get("PYTHONPATH", "")
    # The per-key limit (2000/min) would cap a single-key benchmark; lift it here only.
    env["RATE_LIMIT_API_KEY"] = "100000000"
    with tempfile.TemporaryDirectory() as tmp:
        seed_path = os.path.join(tmp, "seed.json")
        with open(seed_path, "w", encoding="utf-8") as handle:
            json.dump(SEED, handle)
        starts = []
        for _start in range(max(1, args.starts)):
            proc, port, elapsed = start(seed_path, env)
            starts.append(elapsed)
            stop(proc)
        proc, port, _elapsed = start(seed_path, env)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", int(port))
            conn.request("GET", args.path, headers={"authorization": KEY})
            first = conn.getresponse()
            sample = first.read()
            conn.close()
            if first.status != 200:
                raise SystemExit("probe failed: %s %s" % (first.status, sample[:200]))
            counts = [None] * args.clients
            deadline = time.perf_counter() + args.seconds
            t0 = time.perf_counter()
            threads = [threading.Thread(target=client, args=(port, args.path, deadline,
                                                             counts, i))
                       for i in range(args.clients)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            wall = time.perf_counter() - t0
        finally:
            stop(proc)
    ok = sum(c[0] for c in counts)
    bad = sum(c[1] for c in counts)
    print("start-up to listening line: min %.3f s, median %.3f s, max %.3f s (%d runs)"
          % (min(starts), statistics.median(starts), max(starts), len(starts)))
    print("GET %s with %d clients for %.1f s: %d ok, %d non-200, %.0f req/s"
          % (args.path, args.clients, wall, ok, bad, ok / wall))
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
