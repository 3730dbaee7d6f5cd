# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""capgo_channel native_compatibility: a channel that would serve another bundle compares the
bundles' native packages with the CLI's rules."""


import json

import pytest
import responses

from ansible_collections.capgo.cloud.tests.unit.plugins.modules.test_capgo_channel import (
    URL,
    channel,
    get_channel,
    run,
    writes,
)

CAMERA = {"name": "@capacitor/camera", "version": "6.0.1", "requested_version": "^6.0.0",
          "ios_checksum": "i1", "android_checksum": "a1"}
HAPTICS = {"name": "@capacitor/haptics", "version": "6.0.0", "requested_version": "^6.0.0",
           "ios_checksum": "h1", "android_checksum": "h2"}


def bundle_rows(**records):
    """GET /bundle: one row per bundle name, with its native_packages (a list, or None)."""
    rows = [{"id": i + 1, "name": name, "native_packages": record}
            for i, (name, record) in enumerate(sorted(records.items()))]
    responses.get(URL + "/bundle", json=rows)


def served(name="1.0.0", bundle_id=1, **over):
    return channel(version={"name": name, "id": bundle_id}, **over)


@responses.activate
@pytest.mark.parametrize("check_mode", [False, True])
def test_incompatible_bundle_is_refused_before_any_write(monkeypatch, check_mode):
    get_channel(served())
    bundle_rows(**{"1.0.0": [CAMERA], "2.0.0": [dict(CAMERA, version="7.0.0"), HAPTICS]})
    result, warnings = run(monkeypatch, check_mode=check_mode, bundle="2.0.0")
    assert result["failed"] is True and result["changed"] is False
    assert writes() == []
    assert result["msg"] == (
        "native_compatibility: bundle 2.0.0 is not compatible with bundle 1.0.0, which the apps on channel beta of "
        "app com.demo.app run: @capacitor/camera: version_mismatch (version changed: 6.0.1 → 7.0.0); "
        "@capacitor/haptics: new_plugin (New native plugin added (requires app store update)) (an app store release "
        "must ship the native change first; native_compatibility: warn or ignore serves it anyway)")
    assert [(r["name"], r["compatible"], r["reasons"]) for r in result["compatibility"]] == [
        ("@capacitor/camera", False, ["version_mismatch"]), ("@capacitor/haptics", False, ["new_plugin"])]


@responses.activate
def test_compatible_bundle_is_served_with_its_comparison(monkeypatch):
    get_channel(served())
    bundle_rows(**{"1.0.0": [CAMERA, HAPTICS], "1.1.0": [dict(CAMERA, requested_version="~6.0.1")]})
    responses.post(URL + "/channel", json={"status": "ok"})
    get_channel(served("1.1.0", 2))
    result, warnings = run(monkeypatch, bundle="1.1.0")
    assert result["changed"] is True and len(writes()) == 1
    assert result["compatibility"] == [
        {"name": "@capacitor/camera", "local_version": "6.0.1", "channel_version": "6.0.1", "compatible": True,
         "reasons": ["requested_version_changed"], "message": "requested version changed: ^6.0.0 → ~6.0.1",
         "bundle": "1.1.0", "channel_bundle": "1.0.0"},
        {"name": "@capacitor/haptics", "local_version": None, "channel_version": "6.0.0", "compatible": True,
         "reasons": [], "message": "Package only exists on remote (will be removed)",
         "bundle": "1.1.0", "channel_bundle": "1.0.0"}]
    assert "compatibility_skipped" not in result


@responses.activate
def test_warn_serves_it_and_warns(monkeypatch):
    get_channel(served())
    bundle_rows(**{"1.0.0": [], "2.0.0": [CAMERA]})
    responses.post(URL + "/channel", json={"status": "ok"})
    get_channel(served("2.0.0", 2))
    result, warnings = run(monkeypatch, bundle="2.0.0", native_compatibility="warn")
    assert result["changed"] is True and len(writes()) == 1
    assert warnings == ["native_compatibility: bundle 2.0.0 is not compatible with bundle 1.0.0, which the apps on "
                        "channel beta of app com.demo.app run: @capacitor/camera: new_plugin (New native plugin added "
                        "(requires app store update))"]


@responses.activate
def test_ignore_reads_nothing_more(monkeypatch):
    get_channel(served())
    bundle_rows(**{"1.0.0": [], "2.0.0": [CAMERA]})
    responses.post(URL + "/channel", json={"status": "ok"})
    get_channel(served("2.0.0", 2))
    result, warnings = run(monkeypatch, bundle="2.0.0", native_compatibility="ignore")
    assert result["changed"] is True and warnings == []
    assert result["compatibility"] == []
    assert result["compatibility_skipped"] == "native_compatibility is ignore: nothing compared"


@responses.activate
@pytest.mark.parametrize("records", [{"1.0.0": None, "2.0.0": [CAMERA]}, {"1.0.0": [CAMERA], "2.0.0": None}])
def test_a_bundle_without_record_is_not_compared(monkeypatch, records):
    get_channel(served())
    bundle_rows(**records)
    responses.post(URL + "/channel", json={"status": "ok"})
    get_channel(served("2.0.0", 2))
    result, warnings = run(monkeypatch, bundle="2.0.0")
    assert result["changed"] is True and warnings == []
    assert result["compatibility"] == []
    name = [n for n, r in records.items() if r is None][0]
    assert result["compatibility_skipped"] == ("bundle %s has no record of its native packages (uploaded without a "
                                               "project, or external): nothing to compare" % name)


@responses.activate
def test_rollout_bundle_is_compared_with_the_stable_one(monkeypatch):
    get_channel(served())
    bundle_rows(**{"1.0.0": [CAMERA], "1.1.0": [dict(CAMERA, ios_checksum="i2")]})
    result, warnings = run(monkeypatch, check_mode=True, rollout={"bundle": "1.1.0", "percentage": 10})
    assert result["failed"] is True and writes() == []
    assert result["msg"].startswith("native_compatibility: rollout.bundle 1.1.0 is not compatible with bundle 1.0.0")
    assert "@capacitor/camera: ios_code_changed (iOS native code changed)" in result["msg"]


@responses.activate
def test_promote_from_is_compared(monkeypatch):
    get_channel(served())
    get_channel(dict(served("2.0.0", 2), name="staging"), name="staging")
    bundle_rows(**{"1.0.0": [CAMERA], "2.0.0": [dict(CAMERA, android_checksum="a2")]})
    result, warnings = run(monkeypatch, promote_from="staging")
    assert result["failed"] is True and writes() == []
    assert result["msg"].startswith("native_compatibility: promote_from staging 2.0.0 is not compatible")


@responses.activate
def test_a_new_channel_serves_nothing_yet(monkeypatch):
    get_channel()
    bundle_rows(**{"2.0.0": [CAMERA]})
    result, warnings = run(monkeypatch, check_mode=True, bundle="2.0.0")
    assert result["changed"] is True
    assert result["compatibility_skipped"] == "channel beta of app com.demo.app serves no bundle yet: nothing to compare"


@responses.activate
def test_converged_channel_compares_nothing(monkeypatch):
    get_channel(served())
    result, warnings = run(monkeypatch, bundle="1.0.0")
    assert result["changed"] is False and len(responses.calls) == 1
    assert result["compatibility"] == []


@responses.activate
def test_an_unreadable_record_is_refused(monkeypatch):
    get_channel(served())
    bundle_rows(**{"1.0.0": [CAMERA], "2.0.0": [{"name": "x"}]})
    result, warnings = run(monkeypatch, bundle="2.0.0")
    assert result["failed"] is True and writes() == []
    assert "cannot compare 2.0.0 with 1.0.0: bundle 2.0.0: native_packages[0].version must be a non-empty string" \
        in result["msg"]


@responses.activate
def test_bad_choice_fails_before_any_request(monkeypatch):
    result, warnings = run(monkeypatch, bundle="2.0.0", native_compatibility="sometimes")
    assert result["failed"] is True and len(responses.calls) == 0
    assert "native_compatibility" in result["msg"]


@responses.activate
def test_request_body_unchanged_by_the_option(monkeypatch):
    get_channel(served())
    bundle_rows(**{"1.0.0": [CAMERA], "1.0.1": [CAMERA]})
    responses.post(URL + "/channel", json={"status": "ok"})
    get_channel(served("1.0.1", 2))
    result, warnings = run(monkeypatch, bundle="1.0.1")
    (post,) = writes()
    assert json.loads(post.body) == {"app_id": "com.demo.app", "channel": "beta", "version": "1.0.1"}
    assert [r["compatible"] for r in result["compatibility"]] == [True]
