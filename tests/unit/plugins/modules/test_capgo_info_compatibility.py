# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""capgo_info resource=compatibility: the CLI's ``bundle compatibility`` table as data."""


import pytest
import responses

from ansible_collections.capgo.cloud.plugins.modules import capgo_info
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module
from ansible_collections.capgo.cloud.tests.unit.plugins.module_utils.native_projects import EXPECTED, write_project

URL = "https://capgo.test"
APP = "com.demo.app"
CAMERA = EXPECTED["app"][0]


def run(monkeypatch, **args):
    args.setdefault("resource", "compatibility")
    args.setdefault("app_id", APP)
    args.setdefault("channel", "production")
    return run_module(monkeypatch, capgo_info.main, args)[0]


def channel(version="1.0.0"):
    responses.get(URL + "/channel", json={"id": 1, "name": "production", "app_id": APP,
                                          "version": {"id": 1, "name": version} if version else None})


def bundles(**records):
    responses.get(URL + "/bundle", json=[{"id": i + 1, "name": n, "native_packages": r}
                                         for i, (n, r) in enumerate(sorted(records.items()))])


@responses.activate
def test_bundle_against_the_channel(monkeypatch):
    channel()
    bundles(**{"1.0.0": [CAMERA], "2.0.0": [dict(CAMERA, version="7.0.0"), dict(CAMERA, name="x")]})
    result = run(monkeypatch, version="2.0.0")
    assert result["changed"] is False and result["compatible"] is False and result["channel_bundle"] == "1.0.0"
    assert [(r["name"], r["local_version"], r["channel_version"], r["compatible"], r["reasons"])
            for r in result["compatibility"]] == [
        ("@capacitor/camera", "7.0.0", "6.0.2", False, ["version_mismatch"]),
        ("x", "6.0.2", None, False, ["new_plugin"])]


@responses.activate
def test_project_against_the_channel(monkeypatch, tmp_path):
    root = write_project(str(tmp_path), "app")
    channel()
    bundles(**{"1.0.0": EXPECTED["app"] + [dict(CAMERA, name="@capacitor/core"), dict(CAMERA, name="gone")]})
    result = run(monkeypatch, project=root)
    assert result["compatible"] is True
    # @capacitor/core is a dependency of the project without native code: not listed as dropped (as the CLI)
    assert [(r["name"], r["compatible"], r["reasons"]) for r in result["compatibility"]] == [
        ("@capacitor/camera", True, []), ("cordova-plugin-x", True, []), ("@capawesome/android-only", True, []),
        ("gone", True, [])]


@responses.activate
def test_changed_native_code_in_the_project(monkeypatch, tmp_path):
    root = write_project(str(tmp_path), "app")
    channel()
    bundles(**{"1.0.0": [dict(CAMERA, ios_checksum="0" * 64)]})
    result = run(monkeypatch, project=root)
    assert result["compatible"] is False
    assert result["compatibility"][0]["reasons"] == ["ios_code_changed"]


@responses.activate
def test_no_record_means_nothing_compared(monkeypatch):
    channel()
    bundles(**{"1.0.0": None, "2.0.0": [CAMERA]})
    result = run(monkeypatch, version="2.0.0")
    assert result["compatibility"] == [] and "compatible" not in result
    assert result["compatibility_skipped"].startswith("bundle 1.0.0 has no record of its native packages")


@responses.activate
def test_a_channel_without_bundle(monkeypatch):
    channel(version=None)
    bundles(**{"2.0.0": [CAMERA]})
    result = run(monkeypatch, version="2.0.0")
    assert result["compatibility"] == [] and result["channel_bundle"] is None
    assert result["compatibility_skipped"] == "channel production of app com.demo.app serves no bundle: nothing to compare"


@responses.activate
def test_unknown_bundle(monkeypatch):
    channel()
    bundles(**{"1.0.0": []})
    result = run(monkeypatch, version="9.9.9")
    assert result["failed"] is True and result["msg"] == "bundle 9.9.9 does not exist in app com.demo.app (or is deleted)"


@responses.activate
def test_unknown_channel(monkeypatch):
    responses.get(URL + "/channel", status=400, json={"error": "cannot_find_version", "message": "x"})
    result = run(monkeypatch, version="1.0.0")
    assert result["failed"] is True and result["msg"] == "channel production does not exist in app com.demo.app"


@responses.activate
@pytest.mark.parametrize("args,msg", [
    ({}, "resource=compatibility needs either version (a bundle) or project (a Capacitor project), not both"),
    ({"version": "1.0.0", "project": "/tmp"}, "resource=compatibility needs either version (a bundle) or project"),
    ({"resource": "bundles", "project": "/tmp"}, "project only applies to resource=compatibility"),
    ({"channel": None, "version": "1.0.0"}, "resource=compatibility needs channel"),
])
def test_bad_input_fails_before_any_request(monkeypatch, args, msg):
    result = run(monkeypatch, **args)
    assert result["failed"] is True and result["msg"].startswith(msg)
    assert len(responses.calls) == 0


@responses.activate
def test_a_project_without_node_modules_fails_before_any_request(monkeypatch, tmp_path):
    (tmp_path / "package.json").write_text("{}")
    result = run(monkeypatch, project=str(tmp_path))
    assert result["failed"] is True and "has no node_modules" in result["msg"]
    assert len(responses.calls) == 0
