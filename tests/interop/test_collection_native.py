"""Native compatibility (issue 20, "Proof against the real client"): for the same Capacitor project
(native-fixture/: real plugins from the npm registry, pinned), the CLI and the collection store the same
``native_packages``, judge a compatible and an incompatible pair alike, and both refuse to serve the
incompatible bundle. Needs node, npm and the npm registry (``npm ci`` of the fixture)."""

import os
import shutil
import subprocess

import pytest

from conftest import APP_ID, HERE, Project


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("native-installed")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(HERE, "native-fixture", name), str(work))
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=str(work), check=True,
                   capture_output=True)
    return work


def native_project(installed, path, emu):
    """A built app in a copy of the installed fixture, its capacitor.config.json pointing at the emulator."""
    shutil.copytree(str(installed), str(path), symlinks=True)
    project = Project.__new__(Project)
    project.path, project.emu = path, emu
    (path / "home").mkdir()
    (path / "dist").mkdir()
    (path / "dist" / "index.html").write_text("<!doctype html><html><script src='app.js'></script></html>\n")
    (path / "dist" / "app.js").write_text("CapacitorUpdater.notifyAppReady()\n")
    project.write_config()
    return project


def cli_rows(output):
    """{package: compatible?} from the CLI's ``bundle compatibility --text`` table (Status: OK or FAIL)."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("\u2502")]
        if len(cells) > 4 and cells[-3] in ("OK", "FAIL"):
            rows[cells[-6]] = cells[-3] == "OK"
    return rows


def test_the_cli_and_the_collection_agree_on_native_packages(installed, tmp_path, emu, collection):
    project = native_project(installed, tmp_path / "app", emu)
    project.cli("bundle", "upload", "--bundle", "4.0.0", "--path", "dist")
    result = collection.run("capgo_bundle", app_id=APP_ID, version="4.0.1", src=str(project.path / "dist"),
                            project=str(project.path))
    assert not result.get("failed") and result["changed"] is True, result
    by_cli, by_collection = emu.bundle("4.0.0")["native_packages"], emu.bundle("4.0.1")["native_packages"]
    assert by_cli and len(by_cli) == 4
    assert by_collection == by_cli

    # a compatible pair: production serves the CLI's 4.0.0, the project is the same
    served = collection.run("capgo_channel", app_id=APP_ID, channel="production", bundle="4.0.0",
                            native_compatibility="ignore")
    assert not served.get("failed"), served
    out = project.cli("bundle", "compatibility", APP_ID, "--channel", "production", "--text").stdout
    info = collection.run("capgo_info", resource="compatibility", app_id=APP_ID, channel="production",
                          project=str(project.path))
    assert not info.get("failed"), info
    assert cli_rows(out) == dict((r["name"], r["compatible"]) for r in info["compatibility"]), out
    assert all(r["compatible"] for r in info["compatibility"])

    # an incompatible pair: the haptics plugin's Android sources changed
    patched = native_project(installed, tmp_path / "patched", emu)
    with open(str(patched.path / "node_modules" / "@capacitor" / "haptics" / "android" / "build.gradle"),
              "a") as handle:
        handle.write("\n// patched\n")
    out = patched.cli("bundle", "compatibility", APP_ID, "--channel", "production", "--text").stdout
    info = collection.run("capgo_info", resource="compatibility", app_id=APP_ID, channel="production",
                          project=str(patched.path))
    assert cli_rows(out) == dict((r["name"], r["compatible"]) for r in info["compatibility"]), out
    assert [r["name"] for r in info["compatibility"] if not r["compatible"]] == ["@capacitor/haptics"]

    # channel set of the incompatible bundle fails in both, and production still serves 4.0.0
    patched.cli("bundle", "upload", "--bundle", "4.1.0", "--path", "dist", "--channel", "dev")
    proc = patched.cli("channel", "set", "production", "--bundle", "4.1.0", check=False)
    assert proc.returncode != 0, proc.stdout
    refused = collection.run("capgo_channel", app_id=APP_ID, channel="production", bundle="4.1.0")
    assert refused.get("failed") and "@capacitor/haptics" in refused["msg"], refused
    assert emu.channel("production")["version"] == "4.0.0"
