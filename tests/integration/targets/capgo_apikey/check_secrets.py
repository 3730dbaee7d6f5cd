#!/usr/bin/env python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fail when an API key value appears in an ansible-playbook -vvv log where it must not.

Known secrets: every plain API key in the emulator's state (GET /_emulator/state), the keys
the playbook saw returned (``--returned``: {"created": [...], "rotated": [...]}, written by a
no_log task, so also the values a rotation replaced and hashed keys), and the session tokens
of the seed. A secret may appear only as the line ``"key": "<value>"`` inside the result of a
task whose name starts with ``CREATES`` or ``ROTATES``, and each returned value exactly once
there (so an output without the results cannot pass).
"""

import argparse
import json
import re
import sys

from urllib.request import urlopen

import yaml

TASK_RE = re.compile(r"^TASK \[(.*)\] \*+")
ALLOWED_TASK = ("CREATES", "ROTATES")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--returned", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--state-out")
    parser.add_argument("--print", action="store_true", help="print the log with every known secret masked")
    args = parser.parse_args()

    with open(args.config) as handle:
        config = yaml.safe_load(handle)
    state = json.loads(urlopen(config["capgo_emulator_url"] + "/_emulator/state").read().decode("utf-8"))
    if args.state_out:
        with open(args.state_out, "w") as handle:
            json.dump(state, handle)
    try:
        with open(args.returned) as handle:
            returned = json.load(handle)
    except (IOError, ValueError):
        returned = {"created": [], "rotated": []}
    returned_values = [v for v in returned.get("created", []) + returned.get("rotated", []) if v]

    secrets = set(k["key"] for k in state.get("apikeys", []) if k.get("key"))
    secrets.update(returned_values)
    secrets.update(u["session_token"] for u in state.get("users", []) if u.get("session_token"))
    secrets.update(v for k, v in config.items() if k.endswith(("_api_key", "_session_token")) and v)
    secrets = sorted(secrets, key=len, reverse=True)

    with open(args.log) as handle:
        lines = handle.read().splitlines()

    if args.print:
        for line in lines:
            for value in secrets:
                line = line.replace(value, "<SECRET>")
            print(line)
        return 0

    problems = []
    seen_allowed = {v: 0 for v in returned_values}
    task = ""
    for number, line in enumerate(lines, 1):
        found = TASK_RE.match(line)
        if found:
            task = found.group(1)
        for value in secrets:
            if value not in line:
                continue
            allowed = (task.startswith(ALLOWED_TASK) and value in seen_allowed
                       and line.strip().rstrip(",") == '"key": "%s"' % value)
            if allowed:
                seen_allowed[value] += 1
            else:
                problems.append("line %d (task %r): a secret (%s...) appears: %s"
                                % (number, task, value[:4], line.replace(value, "<SECRET>").strip()[:200]))
    for value, count in seen_allowed.items():
        if count != 1:
            problems.append("returned key %s... appears %d times as apikey.key of its CREATES/ROTATES task "
                            "(expected exactly once)" % (value[:4], count))
    if not returned_values:
        problems.append("no returned keys were recorded: the scenario did not run")
    if problems:
        print("\n".join(problems))
        return 1
    print("%d secrets checked in %d lines: each returned key appears once, as apikey.key of its task; "
          "no other occurrence" % (len(secrets), len(lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
