# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the native-package reader of an installed ``@capgo/cli`` (8.68.1) on a project.

The CLI does not export ``getLocalDependencies`` (its bundle is one minified file), so this
builds a small Node.js program at run time that takes the functions it needs, by their names
in that release's ``dist/index.js``, from the installed package, binds them to Node's own
``fs``/``path``/``process`` and prints the ``native_packages`` the CLI would store
(``bundle upload``). Nothing of the CLI is kept in this repository.
"""


import json
import re
import subprocess

# @capgo/cli 8.68.1: getAllPackagesDependencies, getDeclaredPackageVersionMap, getLocalDependencies,
# calculatePlatformChecksums and the helpers they call (monorepo root, semver parse/format).
FUNCTIONS = ("M3", "j80", "bqA", "i80", "p80", "UeA", "FeA", "_80", "P80", "ytA", "n80", "E80", "L1",
             "yD", "Z1", "PY", "zZA", "Jr", "DX", "pH", "UZA", "da", "hGA", "XtQ", "GtQ")
PRELUDE = """
import {existsSync as e1, readdirSync as dw, readFileSync as CJ} from "node:fs";
import nN, {dirname as cU, join as k4, relative as dtA, resolve as h$, sep as ltA} from "node:path";
import {cwd as t5} from "node:process";
const b4 = "package.json";
const w0 = {error: (m) => process.stderr.write(m + "\\n")};
const lH = () => "npm", fD = () => "install";
const Iv = {existsSync: e1, readFileSync: CJ}, AI = nN;
const AKA = (p) => XtQ(p), QKA = (p) => GtQ(p), ynA = (p) => da(p), hnA = (p) => hGA(p);
"""
MAIN = """
const deps = await bqA(undefined, undefined);
console.log(JSON.stringify(deps.filter((d) => !!d.native).map((d) => ({
  name: d.name, version: d.version, requested_version: d.requested_version,
  ...(d.ios_checksum && {ios_checksum: d.ios_checksum}),
  ...(d.android_checksum && {android_checksum: d.android_checksum})}))));
"""


def function_text(source, name):
    """The text of ``[async ]function name(...) {...}`` in ``source``."""
    start = source.index("function %s(" % name)
    if source[start - 6:start] == "async ":
        start -= 6
    index = source.index("{", source.index(")", start))
    depth = 0
    while True:
        char = source[index]
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            return source[start:index + 1]
        index += 1


def program(dist_index):
    with open(dist_index) as handle:
        source = handle.read()
    parts = [PRELUDE]
    parts.append(re.search(r'var Aj="0\|\[1-9\]\\\\d\*",.*?qZA=256,mfQ;', source).group(0))
    parts.append(re.search(r"var NG=fA\(\(\)=>\{(.*?)\}\);function JZ", source, re.S).group(1) + ";")
    parts.append("const " + re.search(r"ttA=/\(\[A-Za-z0-9\]\+\)\\\.\(java\|swift\|kt\|scala\)\$/", source).group(0) + ";")
    for name in FUNCTIONS:
        parts.append(function_text(source, name).replace("(0,Iv.", "(Iv.").replace("(0,AI.", "(AI."))
    parts.append(MAIN)
    return "\n".join(parts)


def cli_native_packages(dist_index, project, script_path):
    """The CLI's ``native_packages`` for ``project`` (run in that directory, as the CLI runs)."""
    with open(script_path, "w") as handle:
        handle.write(program(dist_index))
    out = subprocess.run(["node", script_path], cwd=project, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)
