# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode across tasks: what an earlier task of the same run would create is assumed in check mode.

A check run writes nothing, so a task cannot see the bundle, channel or app an earlier task only
predicted. ``Operation.assume`` (the engine) then warns, naming the dependency, and the task predicts
what the real run reports once the dependency exists; a real run still fails as before.
"""


import json

import responses
from responses import matchers

from ansible_collections.capgo.cloud.plugins.module_utils._channel import Channel
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoClient
from ansible_collections.capgo.cloud.plugins.module_utils._engine import Engine
from ansible_collections.capgo.cloud.plugins.modules import capgo_apikey, capgo_app, capgo_bundle, capgo_channel, capgo_device
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
KEY = "11111111-2222-3333-4444-555555555555"
APP = "com.demo.app"
DEV = "00000000-0000-0000-0000-0000000000aa"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
ASSUMED = "; assumed to be created by an earlier task of this run"
NO_APP = {"error": "cannot_access_app", "message": "You can't access this app", "moreInfo": {"app_id": APP}}


def channel(name="beta", bundle="1.0.0", bundle_id=11, public=False):
    return {
        "id": 7, "name": name, "app_id": APP, "public": public, "disableAutoUpdateUnderNative": True,
        "disableAutoUpdate": "major", "allow_device_self_set": False, "allow_emulator": True,
        "allow_device": True, "allow_dev": True, "allow_prod": True,
        "version": {"name": bundle, "id": bundle_id} if bundle else None, "rollout_version": None,
        "rollout_version_info": None, "rolloutPercentageBps": 0, "rolloutEnabled": False, "rolloutPausedAt": None,
        "rolloutCacheTtlSeconds": 2592000,
    }


def get_channel(body=None, name="beta", status=200):
    match = [matchers.query_param_matcher({"app_id": APP, "channel": name})]
    if body is None:
        body, status = {"error": "cannot_find_version", "message": "Cannot find version", "moreInfo": {}}, 400
    responses.get(URL + "/channel", match=match, json=body, status=status)


def bundles(names):
    responses.get(URL + "/bundle", json=[{"id": i + 20, "name": n} for i, n in enumerate(names)])


def writes():
    return [c.request for c in responses.calls if c.request.method in ("POST", "PUT", "DELETE")]


def run(module, monkeypatch, check_mode=False, diff=True, **args):
    args.setdefault("app_id", APP)
    return run_module(monkeypatch, module.main, args, check_mode=check_mode, diff=diff)


# -- the bundle a channel serves --------------------------------------------------


@responses.activate
def test_check_mode_assumes_the_bundle_an_earlier_task_registers(monkeypatch):
    get_channel(channel())
    bundles(["1.0.0"])
    result, warnings = run(capgo_channel, monkeypatch, check_mode=True, channel="beta", bundle="1.3.0")
    assert result["changed"] is True and writes() == []
    assert warnings == ["check mode: bundle 1.3.0 does not exist in app com.demo.app" + ASSUMED]
    assert result["channel"]["bundle"] == "1.3.0"
    assert result["check_mode"] is True  # what roles read (ansible_check_mode misses the task keyword)
    assert result["diff"]["before"]["bundle"] == "1.0.0" and result["diff"]["after"]["bundle"] == "1.3.0"


@responses.activate
def test_the_prediction_is_what_the_real_run_reports_once_the_bundle_exists(monkeypatch):
    get_channel(channel())
    bundles(["1.0.0"])
    predicted, _warnings = run(capgo_channel, monkeypatch, check_mode=True, channel="beta", bundle="1.3.0")
    responses.reset()
    get_channel(channel())
    bundles(["1.3.0", "1.0.0"])
    responses.post(URL + "/channel", json={"status": "ok"})
    get_channel(channel(bundle="1.3.0", bundle_id=20))
    real, warnings = run(capgo_channel, monkeypatch, channel="beta", bundle="1.3.0")
    assert warnings == [] and real["check_mode"] is False
    assert json.loads(writes()[0].body) == {"app_id": APP, "channel": "beta", "version": "1.3.0"}
    assert predicted["changed"] is True and real["changed"] is True
    assert predicted["diff"] == {"before": real["diff"]["before"],
                                 "after": dict(real["diff"]["after"], bundle="1.3.0")}
    assert real["diff"]["after"]["bundle"] == "1.3.0"


@responses.activate
def test_a_real_run_still_refuses_a_missing_bundle(monkeypatch):
    get_channel(channel())
    bundles(["1.0.0"])
    result, warnings = run(capgo_channel, monkeypatch, channel="beta", bundle="1.3.0")
    assert result["failed"] is True and writes() == []
    assert result["msg"] == "bundle 1.3.0 does not exist in app com.demo.app (or is deleted)"
    assert warnings == [] and result["check_mode"] is False


@responses.activate
def test_check_mode_assumes_a_missing_rollout_bundle_and_predicts_a_new_channel(monkeypatch):
    get_channel(name="canary")
    bundles(["1.0.0"])
    result, warnings = run(capgo_channel, monkeypatch, check_mode=True, channel="canary", bundle="1.0.0",
                           rollout={"bundle": "1.3.0", "percentage": 5.0, "enabled": True})
    assert result["changed"] is True and writes() == []
    assert warnings == ["check mode: bundle 1.3.0 does not exist in app com.demo.app" + ASSUMED]
    assert result["channel"]["rollout"]["bundle"] == "1.3.0" and result["channel"]["bundle"] == "1.0.0"
    assert result["diff"]["before"] == {}


# -- the channel promote_from names -------------------------------------------------


@responses.activate
def test_check_mode_assumes_the_channel_promote_from_names(monkeypatch):
    get_channel(channel(name="production"), name="production")
    get_channel(name="staging")
    result, warnings = run(capgo_channel, monkeypatch, check_mode=True, channel="production", promote_from="staging")
    assert result["changed"] is True and writes() == []
    assert warnings == ["check mode: channel staging does not exist in app com.demo.app" + ASSUMED]
    assert result["diff"]["after"]["bundle"] == "(the bundle channel staging serves)"
    assert not [c for c in responses.calls if c.request.url.startswith(URL + "/bundle")]


@responses.activate
def test_a_real_run_still_refuses_a_missing_promote_from_channel(monkeypatch):
    get_channel(channel(name="production"), name="production")
    get_channel(name="staging")
    result, _warnings = run(capgo_channel, monkeypatch, channel="production", promote_from="staging")
    assert result["failed"] is True and writes() == []
    assert result["msg"] == "promote_from: channel staging does not exist in app com.demo.app"


# -- the channel a device override points at ------------------------------------------


def get_device():
    responses.get(URL + "/device", match=[matchers.query_param_matcher({"app_id": APP, "device_id": DEV})],
                  json={"device_id": DEV, "app_id": APP, "platform": "ios", "version": 11})


@responses.activate
def test_check_mode_assumes_the_channel_a_device_points_at(monkeypatch):
    get_device()
    get_channel(name="qa")
    result, warnings = run(capgo_device, monkeypatch, check_mode=True, device_id=DEV, channel="qa")
    assert result["changed"] is True and writes() == []
    assert warnings == ["check mode: channel qa does not exist in app com.demo.app" + ASSUMED]
    assert result["diff"] == {"before": {"channel": None}, "after": {"channel": "qa"}}


@responses.activate
def test_a_real_run_still_refuses_a_missing_device_channel(monkeypatch):
    get_device()
    get_channel(name="qa")
    result, _warnings = run(capgo_device, monkeypatch, device_id=DEV, channel="qa")
    assert result["failed"] is True and writes() == []
    assert result["msg"].startswith("channel qa does not exist in app com.demo.app: a device can only be pointed")


# -- the app a channel, bundle or device belongs to -------------------------------------


@responses.activate
def test_check_mode_assumes_the_app_of_a_channel_and_predicts_its_creation(monkeypatch):
    responses.get(URL + "/channel", json=NO_APP, status=400)
    result, warnings = run(capgo_channel, monkeypatch, check_mode=True, channel="beta", bundle="1.3.0", public=True)
    assert result["changed"] is True and writes() == []
    assert warnings == [
        "check mode: app com.demo.app does not exist (or this API key cannot read it)" + ASSUMED,
        "check mode: bundle 1.3.0 does not exist in app com.demo.app" + ASSUMED,
    ]
    assert result["diff"]["before"] == {} and result["channel"]["bundle"] == "1.3.0"
    assert len(responses.calls) == 1  # nothing of a new app is read


@responses.activate
def test_a_real_run_still_fails_on_a_missing_app(monkeypatch):
    responses.get(URL + "/channel", json=NO_APP, status=400)
    result, warnings = run(capgo_channel, monkeypatch, channel="beta", bundle="1.3.0")
    assert result["failed"] is True and writes() == [] and warnings == []
    assert result["msg"].startswith("app com.demo.app does not exist, or this API key may not do this with its "
                                    "channels")
    assert result["api_error"]["error"] == "cannot_access_app"


@responses.activate
def test_check_mode_assumes_the_app_of_a_bundle(monkeypatch):
    responses.get(URL + "/bundle", status=400, json={"error": "cannot_get_bundle", "message": "Cannot get bundle"})
    responses.get(URL + "/channel", json=NO_APP, status=400)
    result, warnings = run(capgo_bundle, monkeypatch, check_mode=True, version="1.3.0",
                           external_url="https://cdn.example.com/1.3.0.zip", checksum="abc")
    assert result["changed"] is True and writes() == []
    assert warnings == ["check mode: app com.demo.app does not exist (or this API key cannot read it)" + ASSUMED]
    assert result["bundle"]["version"] == "1.3.0"


@responses.activate
def test_check_mode_assumes_the_app_and_channel_of_a_device(monkeypatch):
    responses.get(URL + "/device", json=NO_APP, status=400)
    result, warnings = run(capgo_device, monkeypatch, check_mode=True, device_id=DEV, channel="qa")
    assert result["changed"] is True and writes() == []
    assert warnings[:2] == [
        "check mode: app com.demo.app does not exist (or this API key cannot read it)" + ASSUMED,
        "check mode: channel qa does not exist in app com.demo.app" + ASSUMED,
    ]
    assert len(responses.calls) == 1


@responses.activate
def test_check_mode_assumes_an_app_named_only_by_reference(monkeypatch):
    responses.get(URL + "/app/" + APP, status=401, json=NO_APP)
    result, warnings = run(capgo_app, monkeypatch, check_mode=True, owner_org=ORG)
    assert result["changed"] is False and writes() == []  # nothing to change once an earlier task made it
    assert warnings == ["check mode: app com.demo.app does not exist (or this API key cannot read it)" + ASSUMED]
    result, warnings = run(capgo_app, monkeypatch, owner_org=ORG)
    assert result["failed"] is True and warnings == []
    assert result["msg"] == ("app com.demo.app does not exist, or this API key cannot read it (Capgo answers "
                             "cannot_access_app for both); to create it, set name")


@responses.activate
def test_check_mode_still_refuses_an_app_with_settings_but_no_name(monkeypatch):
    responses.get(URL + "/app/" + APP, status=401, json=NO_APP)
    result, warnings = run(capgo_app, monkeypatch, check_mode=True, retention_days=10)
    assert result["failed"] is True and warnings == []
    assert result["msg"].endswith("to create it, set name and owner_org")


@responses.activate
def test_check_mode_assumes_the_app_of_an_api_key_binding(monkeypatch):
    responses.get(URL + "/apikey", json=[])
    responses.get(URL + "/app/com.new.app", status=401, json=NO_APP)
    args = dict(api_key="session-token-of-admin", lookup_api_key=KEY, name="ci", app_id=None,
                bindings=[{"role": "app_reader", "app_id": "com.new.app"}])
    result, warnings = run(capgo_apikey, monkeypatch, check_mode=True, **args)
    assert result["changed"] is True and writes() == []
    assert warnings == ["check mode: app com.new.app does not exist (or the key used for lookups cannot read it)"
                        + ASSUMED]
    assert result["apikey"]["bindings"] == [{"role": "app_reader", "org_id": None, "app_id": "com.new.app",
                                             "channel_id": None}]
    result, warnings = run(capgo_apikey, monkeypatch, **args)
    assert result["failed"] is True and writes() == []
    assert result["msg"].startswith("bindings[0]: app com.new.app does not exist, or the key used for lookups "
                                    "cannot read it")


# -- many resources in one run (capgo_environment) ----------------------------------------


@responses.activate
def test_a_run_over_many_resources_assumes_once_per_dependency():
    responses.get(URL + "/channel", json=[channel(name="beta"), channel(name="qa")])
    bundles(["1.0.0"])
    engine = Engine(CapgoClient(api_key=KEY, api_url=URL, retries=0), check_mode=True)
    engine.prefer_listings = True
    base = {k: v.get("default") for k, v in Channel.argument_spec.items()}
    base.update(api_key=KEY, app_id=APP)
    results = [engine.run(Channel, dict(base, channel=name, bundle="1.3.0")) for name in ("beta", "qa")]
    assert [r["changed"] for r in results] == [True, True]
    assert [r["channel"]["bundle"] for r in results] == ["1.3.0", "1.3.0"]
    assert engine.warnings == ["check mode: bundle 1.3.0 does not exist in app com.demo.app" + ASSUMED]
    assert writes() == [] and len(responses.calls) == 2
