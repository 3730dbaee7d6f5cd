# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection reads a Capacitor project's native packages exactly as Capgo's CLI does.

native-fixture/ pins real Capacitor plugins from the npm registry (package-lock.json); the test
installs them with ``npm ci`` in a temporary copy, and compares the collection's reader with the
CLI's own (``cli_native.py``), from ``$CAPGO_CLI_DIR`` (a directory with ``node_modules/@capgo/cli``)
or the one ``run.sh`` installs here, or else from ``npm pack @capgo/cli@8.68.1``. Needs node, npm and the npm registry.

    python -m pytest tests/interop/test_native_fixture.py
"""


import importlib.util
import json
import os
import shutil
import subprocess
import tarfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLI_VERSION = "8.68.1"


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_native():
    return load("capgo_native", os.path.join(ROOT, "plugins", "module_utils", "_native.py"))


def cli_native_packages(dist, project, script):
    return load("cli_native", os.path.join(HERE, "cli_native.py")).cli_native_packages(dist, project, script)


@pytest.fixture(scope="module")
def cli_dist(tmp_path_factory):
    given = os.environ.get("CAPGO_CLI_DIR")
    if given:
        return os.path.join(given, "node_modules", "@capgo", "cli", "dist", "index.js")
    installed = os.path.join(HERE, "node_modules", "@capgo", "cli")  # run.sh's npm ci
    if os.path.exists(os.path.join(installed, "dist", "index.js")):
        with open(os.path.join(installed, "package.json")) as handle:
            if json.load(handle).get("version") == CLI_VERSION:
                return os.path.join(installed, "dist", "index.js")
    work = str(tmp_path_factory.mktemp("cli"))
    subprocess.run(["npm", "pack", "@capgo/cli@%s" % CLI_VERSION], cwd=work, check=True, capture_output=True)
    with tarfile.open(os.path.join(work, "capgo-cli-%s.tgz" % CLI_VERSION)) as archive:
        archive.extractall(work, members=[m for m in archive.getmembers() if m.name == "package/dist/index.js"])
    return os.path.join(work, "package", "dist", "index.js")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    work = str(tmp_path_factory.mktemp("native-fixture"))
    for name in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(HERE, "native-fixture", name), work)
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=work, check=True,
                   capture_output=True)
    return work


def test_the_collection_reads_what_the_cli_stores(project, cli_dist, tmp_path):
    expected = cli_native_packages(cli_dist, project, str(tmp_path / "cli_native.mjs"))
    assert [p["name"] for p in expected] == ["@capacitor/app", "@capacitor/camera", "@capacitor/haptics",
                                             "@capgo/capacitor-updater"]
    assert all(p.get("ios_checksum") and p.get("android_checksum") for p in expected)
    assert load_native().read_project(project) == expected


def test_a_changed_source_changes_both_readers_alike(project, cli_dist, tmp_path):
    native = load_native()
    before = native.read_project(project)
    source = os.path.join(project, "node_modules", "@capacitor", "haptics", "android", "build.gradle")
    with open(source, "a") as handle:
        handle.write("\n// patched\n")
    got = native.read_project(project)
    assert got == cli_native_packages(cli_dist, project, str(tmp_path / "cli_native.mjs"))
    rows = {r["name"]: r["reasons"] for r in native.compare(got, before)}
    assert rows == {"@capacitor/app": [], "@capacitor/camera": [], "@capacitor/haptics": ["android_code_changed"],
                    "@capgo/capacitor-updater": []}
