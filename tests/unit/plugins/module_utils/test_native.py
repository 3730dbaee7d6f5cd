# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Native compatibility (_native.py): a project's native packages read as Capgo's CLI reads them, and
the CLI's comparison rules."""


import json
import os

import pytest

from ansible_collections.capgo.cloud.plugins.module_utils import _native as native
from ansible_collections.capgo.cloud.tests.unit.plugins.module_utils.native_projects import (
    EXPECTED,
    PROJECTS,
    write_project,
)

# -- reading a project ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_project_read_as_the_cli_reads_it(tmp_path, name):
    # EXPECTED: what @capgo/cli 8.68.1's own code computes for the same files
    assert native.read_project(write_project(str(tmp_path), name)) == EXPECTED[name]


def test_a_native_source_change_changes_only_that_platform(tmp_path):
    root = write_project(str(tmp_path), "app")
    before = native.read_project(root)[0]
    with open(os.path.join(root, "node_modules/@capacitor/camera/android/build.gradle"), "a") as handle:
        handle.write("// one more dependency\n")
    after = native.read_project(root)[0]
    assert after["ios_checksum"] == before["ios_checksum"]
    assert after["android_checksum"] != before["android_checksum"]


def test_a_file_that_is_not_native_source_changes_nothing(tmp_path):
    root = write_project(str(tmp_path), "app")
    before = native.read_project(root)
    for rel in ("ios/Sources/CameraPlugin/Camera.m", "android/src/main/AndroidManifest.xml", "dist/plugin.js"):
        with open(os.path.join(root, "node_modules/@capacitor/camera", rel), "a") as handle:
            handle.write("changed\n")
    assert native.read_project(root) == before


def test_a_renamed_source_changes_the_checksum(tmp_path):
    root = write_project(str(tmp_path), "order")
    before = native.read_project(root)[0]
    folder = os.path.join(root, "node_modules/order-plugin/ios/Plugin")
    os.rename(os.path.join(folder, "a.swift"), os.path.join(folder, "c.swift"))
    assert native.read_project(root)[0]["ios_checksum"] != before["ios_checksum"]


def test_the_installed_version_wins_over_the_declared_one(tmp_path):
    root = write_project(str(tmp_path), "app")
    assert PROJECTS["app"]["package.json"]["dependencies"]["@capacitor/camera"] == "^6.0.0"
    camera = native.read_project(root)[0]
    assert (camera["version"], camera["requested_version"]) == ("6.0.2", "^6.0.0")


def test_missing_node_modules_is_one_clear_line(tmp_path):
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"@capacitor/camera": "^6.0.0"}}))
    with pytest.raises(native.NativeError) as err:
        native.read_project(str(tmp_path))
    assert "has no node_modules" in str(err.value) and "npm ci" in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_package_json_is_one_clear_line(tmp_path):
    with pytest.raises(native.NativeError) as err:
        native.read_project(str(tmp_path))
    assert str(err.value) == "project %s has no package.json: it must be the root of a Capacitor project" % tmp_path


def test_missing_project_directory(tmp_path):
    with pytest.raises(native.NativeError, match="is not a directory"):
        native.read_project(str(tmp_path / "nope"))


def test_invalid_package_json(tmp_path):
    (tmp_path / "package.json").write_text("{not json")
    (tmp_path / "node_modules").mkdir()
    with pytest.raises(native.NativeError, match="is not valid JSON"):
        native.read_project(str(tmp_path))


def test_a_dependency_not_installed_is_named(tmp_path):
    root = write_project(str(tmp_path), "web")
    with open(os.path.join(root, "package.json"), "w") as handle:
        json.dump({"dependencies": {"lodash": "^4.17.0", "@capacitor/app": "^6.0.0"},
                   "devDependencies": {"left-pad": "1.0.0"}}, handle)
    with pytest.raises(native.NativeError) as err:
        native.read_project(root)
    assert "dependencies not installed in node_modules: @capacitor/app, left-pad;" in str(err.value)


def test_a_pnpm_workspace_root_holds_the_requested_versions(tmp_path):
    base = str(tmp_path)
    root = write_project(base, "workspace")
    with open(os.path.join(base, "package.json"), "w") as handle:  # no "workspaces" key: pnpm's file instead
        json.dump({"name": "root", "dependencies": {"@capacitor/haptics": "~6.0.1"}}, handle)
    (tmp_path / "pnpm-workspace.yaml").write_text("packages: ['apps/*']\n")
    got = {p["name"]: p["requested_version"] for p in native.read_project(root)}
    assert got == {"@capacitor/camera": "6.0.0", "@capacitor/haptics": "~6.0.1"}


def test_without_a_workspace_root_the_project_declares_the_requested_versions(tmp_path):
    root = write_project(str(tmp_path), "workspace")
    os.remove(os.path.join(str(tmp_path), "package.json"))
    with open(os.path.join(root, "package.json")) as handle:
        declared = json.load(handle)["dependencies"]
    got = {p["name"]: (p["version"], p["requested_version"]) for p in native.read_project(root)}
    assert got == {"@capacitor/camera": ("6.0.2", declared["@capacitor/camera"]),
                   "@capacitor/haptics": ("6.0.1", declared["@capacitor/haptics"])}


def test_paths_sort_as_javascript_locale_compare():
    paths = ["p/ios/B_x.swift", "p/ios/a.swift", "p/ios/Bx.swift", "p/ios/A.swift", "p/ios/B-x.swift",
             "p/ios-2/y.swift", "p/ios2/z.swift", "p/ios/Package.swift", "p/Package.swift"]
    # the order Node.js 20 gives with [...].sort((a, b) => a.localeCompare(b))
    assert sorted(paths, key=native.collation_key) == [
        "p/ios-2/y.swift", "p/ios/a.swift", "p/ios/A.swift", "p/ios/B_x.swift", "p/ios/B-x.swift", "p/ios/Bx.swift",
        "p/ios/Package.swift", "p/ios2/z.swift", "p/Package.swift"]


# -- version ranges ------------------------------------------------------------------------

# (a, b, intersect?) as @std/semver's rangeIntersects(parseRange(a), parseRange(b)) answers (the CLI's library)
RANGES = [
    ("6.0.1", "6.0.1", True), ("6.0.1", "6.0.0", False), ("v6.0.1", "6.0.1", True),
    ("^6.0.0", "6.5.2", True), ("^6.0.0", "7.0.0", False), ("~6.0.0", "6.1.0", False),
    ("^0.2.3", "0.3.0", False), ("^0.0.3", "0.0.3", True), ("1.x", "1.9.9", True), ("*", "7.0.0", True),
    (">=1.0.0 <2.0.0", "^1.4.0", True), (">=2 <1", "*", False), ("1.2.3 - 2.3.4", "2.3.4", True),
    ("1.2.3 - 2.3.4", "2.3.5", False), ("1.0.0 || 2.0.0", "2.0.0", True), ("7.0.0-rc.1", "7.0.0-rc.2", False),
    ("7.0.0-rc.1", "*", False), ("*", "7.0.0-rc.1", True), ("^7.0.0-rc.1", "7.0.0-rc.2", False),
    ("=1.2.3", "=1.2.3", False), ("=1.2.3", "1.2.3", True), ("latest", "1.0.0", False),
    ("workspace:*", "workspace:*", False), ("<=*", "1.0.0", False), ("<=*", "*", True),
    ("1.2.3+build", "1.2.3", True), ("1.02.3", "1.2.3", False),
]


@pytest.mark.parametrize("a,b,expected", RANGES)
def test_ranges_intersect_as_the_cli(a, b, expected):
    assert native.ranges_intersect(a, b) is expected


# -- comparison rules ----------------------------------------------------------------------


def pkg(name="@capacitor/camera", version="6.0.1", requested="^6.0.0", ios="i1", android="a1"):
    out = {"name": name, "version": version, "requested_version": requested}
    if ios:
        out["ios_checksum"] = ios
    if android:
        out["android_checksum"] = android
    return out


def verdict(new, old):
    rows = native.compare(new, old)
    return [(r["name"], r["compatible"], r["reasons"]) for r in rows]


def test_same_packages_are_compatible():
    assert verdict([pkg()], [pkg()]) == [("@capacitor/camera", True, [])]
    assert native.compare([pkg()], [pkg()])[0]["message"] == "Compatible"


def test_new_plugin():
    rows = native.compare([pkg(), pkg(name="@capacitor/haptics")], [pkg()])
    assert rows[1] == {"name": "@capacitor/haptics", "local_version": "6.0.1", "channel_version": None,
                       "compatible": False, "reasons": ["new_plugin"],
                       "message": "New native plugin added (requires app store update)"}


def test_an_empty_record_is_a_record():
    assert verdict([pkg()], []) == [("@capacitor/camera", False, ["new_plugin"])]


def test_a_package_only_in_the_served_bundle_is_fine():
    rows = native.compare([], [pkg()])
    assert rows == [{"name": "@capacitor/camera", "local_version": None, "channel_version": "6.0.1",
                     "compatible": True, "reasons": [], "message": "Package only exists on remote (will be removed)"}]


def test_version_mismatch():
    rows = native.compare([pkg(version="6.1.0")], [pkg()])
    assert (rows[0]["compatible"], rows[0]["reasons"]) == (False, ["version_mismatch"])
    assert rows[0]["message"] == "version changed: 6.0.1 → 6.1.0"


def test_versions_as_ranges_that_intersect_are_not_a_mismatch():
    assert verdict([pkg(version="^6.0.0")], [pkg(version="6.2.0")]) == [("@capacitor/camera", True, [])]


@pytest.mark.parametrize("ios,android,reason", [
    ("i2", "a1", "ios_code_changed"), ("i1", "a2", "android_code_changed"), ("i2", "a2", "both_platforms_changed")])
def test_code_changed(ios, android, reason):
    assert verdict([pkg(ios=ios, android=android)], [pkg()]) == [("@capacitor/camera", False, [reason])]


def test_requested_version_changed_alone_stays_compatible():
    rows = native.compare([pkg(requested="^6.0.1")], [pkg()])
    assert (rows[0]["compatible"], rows[0]["reasons"]) == (True, ["requested_version_changed"])
    assert rows[0]["message"] == "requested version changed: ^6.0.0 → ^6.0.1"
    assert verdict([pkg(requested=" ^6.0.0 ")], [pkg()]) == [("@capacitor/camera", True, [])]
    assert verdict([pkg(requested=None)], [pkg()]) == [("@capacitor/camera", True, [])]


def test_a_checksum_that_appears_or_disappears_is_incompatible():
    # 8.68.1 counts it (older CLIs recorded no checksums)
    assert verdict([pkg()], [pkg(ios=None, android=None)]) == \
        [("@capacitor/camera", False, ["platform_checksum_metadata_changed"])]
    assert verdict([pkg(android=None)], [pkg()]) == [("@capacitor/camera", False, ["platform_checksum_metadata_changed"])]


def test_several_reasons_in_the_cli_order():
    assert verdict([pkg(version="7.0.0", requested="^7.0.0", ios="i2", android="a2")], [pkg()]) == [
        ("@capacitor/camera", False, ["version_mismatch", "requested_version_changed", "both_platforms_changed"])]


def test_rows_new_bundle_first_then_dropped_packages():
    rows = native.compare([pkg(name="b"), pkg(name="a")], [pkg(name="c"), pkg(name="a")])
    assert [r["name"] for r in rows] == ["b", "a", "c"]


def test_incompatible_lines_one_per_package():
    rows = native.compare([pkg(version="7.0.0"), pkg(name="x")], [pkg()])
    assert native.incompatible_lines(rows) == [
        "@capacitor/camera: version_mismatch (version changed: 6.0.1 → 7.0.0)",
        "x: new_plugin (New native plugin added (requires app store update))"]


@pytest.mark.parametrize("record,problem", [
    ({}, "native_packages is dict, not a list"),
    ([1], "native_packages[0] is not an object"),
    ([{"name": "x"}], "native_packages[0].version must be a non-empty string"),
    ([{"name": "x", "version": "1.0.0", "ios_checksum": 3}], "native_packages[0].ios_checksum must be a string"),
])
def test_record_problems(record, problem):
    assert native.record_problem(record) == problem


def test_valid_records():
    assert native.record_problem([]) is None
    assert native.record_problem([pkg(), pkg(ios=None)]) is None
