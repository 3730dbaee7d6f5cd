#!/usr/bin/env python
"""Run ansible-inventory on one configuration of capgo.cloud.capgo; print one JSON document:
{"rc", "stderr", "list" (the --list output, markers of untrusted values removed) or "graph"}.

usage: run_inventory.py CONFIG_FILE --list|--graph [more ansible-inventory arguments]
The environment (CAPGO_*, ANSIBLE_*) is passed through.
"""

import json
import os
import subprocess
import sys


def plain(value):
    """ansible-core 2.19 writes untrusted strings as {"__ansible_unsafe": "..."}; older cores do not."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main():
    path, mode = sys.argv[1], sys.argv[2]
    env = dict(os.environ, ANSIBLE_INVENTORY_ENABLED="capgo.cloud.capgo", ANSIBLE_INVENTORY_UNPARSED_FAILED="true",
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(["ansible-inventory", "-i", path, mode] + sys.argv[3:], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    out = {"rc": proc.returncode, "stderr": proc.stderr, "stdout": proc.stdout}
    if mode == "--list" and proc.returncode == 0:
        out["list"] = plain(json.loads(proc.stdout))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
