# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import responses
from responses import matchers

from ansible_collections.capgo.cloud.plugins.modules import capgo_device
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
KEY = "11111111-2222-3333-4444-555555555555"
APP = "com.demo.app"
DEV = "00000000-0000-0000-0000-0000000000aa"


def device(channel=None, **over):
    data = {
        "updated_at": "2026-11-02T00:00:00Z", "device_id": DEV, "custom_id": "", "is_prod": True,
        "is_emulator": False, "install_source": None, "version_name": "1.0.0", "version": 11, "app_id": APP,
        "platform": "ios", "plugin_version": "6.0.0", "os_version": "17.0", "version_build": "1.0",
        "key_id": None, "country_code": None,
    }
    if channel is not None:
        data["channel"] = channel
    data.update(over)
    return data


def get_device(body=None, status=200):
    match = [matchers.query_param_matcher({"app_id": APP, "device_id": DEV})]
    if body is None:
        body = {"error": "device_not_found", "message": "Device not found", "moreInfo": {}}
        status = 404
    responses.get(URL + "/device", match=match, json=body, status=status)


def get_channel(name="qa", public=False, missing=False):
    match = [matchers.query_param_matcher({"app_id": APP, "channel": name})]
    if missing:
        responses.get(URL + "/channel", match=match, status=400,
                      json={"error": "cannot_find_version", "message": "Cannot find version", "moreInfo": {}})
    else:
        responses.get(URL + "/channel", match=match, json={"id": 3, "name": name, "app_id": APP, "public": public})


def writes():
    return [c.request for c in responses.calls if c.request.method in ("POST", "PUT", "DELETE")]


def run(monkeypatch, check_mode=False, diff=False, **args):
    args.setdefault("app_id", APP)
    args.setdefault("device_id", DEV)
    return run_module(monkeypatch, capgo_device.main, args, check_mode=check_mode, diff=diff)


@responses.activate
def test_converged_run_sends_one_get_and_no_write(monkeypatch):
    get_device(device("qa"))
    result, warnings = run(monkeypatch, channel="qa")
    assert result["changed"] is False
    assert len(responses.calls) == 1 and writes() == []
    assert result["device"]["channel"] == "qa" and result["device"]["seen"] is True
    assert result["device"]["version_name"] == "1.0.0" and result["device"]["bundle_id"] == 11
    assert "msg" not in result and warnings == []


@responses.activate
def test_set_override_checks_channel_posts_and_reads_back(monkeypatch):
    get_device(device())
    get_device(device("qa"))
    get_channel("qa")
    responses.post(URL + "/device", json={"status": "ok"})
    result, _warnings = run(monkeypatch, diff=True, channel="qa")
    assert result["changed"] is True
    (post,) = writes()
    assert json.loads(post.body) == {"app_id": APP, "device_id": DEV, "channel": "qa"}
    assert result["diff"] == {"before": {"channel": None}, "after": {"channel": "qa"}}


@responses.activate
def test_set_override_reads_the_device_back(monkeypatch):
    responses.get(URL + "/device", json=device())
    responses.get(URL + "/device", json=device("qa"))
    get_channel("qa")
    responses.post(URL + "/device", json={"status": "ok"})
    result, _warnings = run(monkeypatch, channel="qa")
    assert result["device"]["channel"] == "qa"
    assert [c.request.method for c in responses.calls] == ["GET", "GET", "POST", "GET"]


@responses.activate
def test_read_back_mismatch_fails_reporting_the_write(monkeypatch):
    get_device(device())
    get_channel("qa")
    responses.post(URL + "/device", json={"status": "ok"})
    result, _warnings = run(monkeypatch, channel="qa")
    assert result["failed"] is True and result["changed"] is True
    assert "but Capgo reports channel None" in result["msg"]


@responses.activate
def test_change_channel_check_mode_predicts_without_writing(monkeypatch):
    get_device(device("beta"))
    get_channel("qa")
    result, _warnings = run(monkeypatch, check_mode=True, diff=True, channel="qa")
    assert result["changed"] is True and writes() == []
    assert result["device"]["channel"] == "qa"
    assert result["diff"]["before"] == {"channel": "beta"} and result["diff"]["after"] == {"channel": "qa"}


@responses.activate
def test_public_channel_fails_naming_the_rule_before_any_write(monkeypatch):
    get_device(device())
    get_channel("production", public=True)
    result, _warnings = run(monkeypatch, channel="production")
    assert result["failed"] is True
    assert "channel production of app com.demo.app is public" in result["msg"]
    assert "only to a private channel" in result["msg"]
    assert writes() == []


@responses.activate
def test_public_channel_fails_in_check_mode_too(monkeypatch):
    get_device(device())
    get_channel("production", public=True)
    result, _warnings = run(monkeypatch, check_mode=True, channel="production")
    assert result["failed"] is True and writes() == []


@responses.activate
def test_missing_channel_fails_before_any_write(monkeypatch):
    get_device(device())
    get_channel("nope", missing=True)
    result, _warnings = run(monkeypatch, channel="nope")
    assert result["failed"] is True
    assert "channel nope does not exist in app com.demo.app" in result["msg"]
    assert writes() == []


@responses.activate
def test_never_seen_device_writes_reports_changed_and_warns(monkeypatch):
    get_device()
    get_channel("qa")
    responses.post(URL + "/device", json={"status": "ok"})
    result, warnings = run(monkeypatch, diff=True, channel="qa")
    assert result["changed"] is True
    assert len(writes()) == 1
    assert result["device"] == {"app_id": APP, "device_id": DEV, "channel": "qa", "seen": False}
    assert result["diff"]["before"] == {} and result["diff"]["after"] == {"channel": "qa"}
    assert len(warnings) == 1 and "never contacted Capgo" in warnings[0] and "cannot be verified" in warnings[0]
    # no read-back: it would 404 again
    assert [c.request.method for c in responses.calls] == ["GET", "GET", "POST"]


@responses.activate
def test_never_seen_device_check_mode(monkeypatch):
    get_device()
    get_channel("qa")
    result, warnings = run(monkeypatch, check_mode=True, channel="qa")
    assert result["changed"] is True and writes() == []
    assert any("never contacted Capgo" in w for w in warnings)


@responses.activate
def test_never_seen_device_absent_deletes_and_warns(monkeypatch):
    get_device()
    responses.delete(URL + "/device", json={"status": "ok"})
    result, warnings = run(monkeypatch, state="absent")
    assert result["changed"] is True
    (delete,) = writes()
    assert "device_id=" + DEV in delete.url
    assert result["device"] == {}
    assert any("never contacted Capgo" in w for w in warnings)


@responses.activate
def test_absent_removes_the_override_then_is_converged(monkeypatch):
    get_device(device("qa"))
    responses.delete(URL + "/device", json={"status": "ok"})
    result, _warnings = run(monkeypatch, state="absent", diff=True)
    assert result["changed"] is True and len(writes()) == 1
    assert result["device"] == {}
    assert result["diff"] == {"before": {"channel": "qa"}, "after": {"channel": None}}
    responses.calls.reset()
    responses.replace(responses.GET, URL + "/device", json=device())
    result, _warnings = run(monkeypatch, state="absent", diff=True)
    assert result["changed"] is False and writes() == [] and len(responses.calls) == 1
    assert result["device"] == {}
    assert result["diff"] == {"before": {"channel": None}, "after": {"channel": None}}


@responses.activate
def test_absent_check_mode(monkeypatch):
    get_device(device("qa"))
    result, _warnings = run(monkeypatch, state="absent", check_mode=True)
    assert result["changed"] is True and writes() == []
    assert result["device"] == {}


@responses.activate
def test_refresh_writes_again_and_says_the_expiry_restarted(monkeypatch):
    get_device(device("qa"))
    get_channel("qa")
    responses.post(URL + "/device", json={"status": "ok"})
    result, _warnings = run(monkeypatch, channel="qa", refresh=True)
    assert result["changed"] is True and len(writes()) == 1
    assert "90-day expiry restarted" in result["msg"]


@responses.activate
def test_refresh_hitting_the_60_second_rule_fails_cleanly(monkeypatch):
    get_device(device("qa"))
    get_channel("qa")
    responses.post(URL + "/device", **too_many(42))
    result, _warnings = run(monkeypatch, channel="qa", refresh=True, retries=0)
    assert result["failed"] is True
    assert "retry in 42 s" in result["msg"] and "once per 60 seconds" in result["msg"]


@responses.activate
def test_refresh_check_mode(monkeypatch):
    get_device(device("qa"))
    get_channel("qa")
    result, _warnings = run(monkeypatch, check_mode=True, channel="qa", refresh=True)
    assert result["changed"] is True and writes() == []
    assert "would restart" in result["msg"]


@responses.activate
def test_refresh_of_a_different_channel_is_a_plain_change(monkeypatch):
    get_device(device("beta"))
    get_device(device("qa"))
    get_channel("qa")
    responses.post(URL + "/device", json={"status": "ok"})
    result, _warnings = run(monkeypatch, channel="qa", refresh=True)
    assert result["changed"] is True and "msg" not in result


@responses.activate
def test_device_id_is_lower_cased(monkeypatch):
    get_device(device("qa"))
    result, _warnings = run(monkeypatch, channel="qa", device_id=DEV.upper())
    assert result["changed"] is False
    assert result["device"]["device_id"] == DEV


def test_version_id_fails_before_any_request_pointing_to_channels(monkeypatch):
    with responses.RequestsMock() as mock:
        result, _warnings = run(monkeypatch, channel="qa", version_id=42)
        assert len(mock.calls) == 0
    assert result["failed"] is True
    assert "no per-device bundle" in result["msg"] and "private channel" in result["msg"]


def test_present_needs_a_channel(monkeypatch):
    with responses.RequestsMock() as mock:
        result, _warnings = run(monkeypatch)
        assert len(mock.calls) == 0
    assert result["failed"] is True and "channel" in result["msg"]


# -- 429 from the device rate rules ---------------------------------------------

def too_many(retry_after):
    return dict(status=429, headers={"Retry-After": str(retry_after)},
                json={"error": "too_many_requests", "message": "Too many requests",
                      "moreInfo": {"reason": "device_same_channel_rate_limited", "retryAfterSeconds": retry_after}})


@responses.activate
def test_429_within_the_wait_budget_is_retried(monkeypatch):
    responses.get(URL + "/device", json=device())
    responses.get(URL + "/device", json=device("qa"))
    get_channel("qa")
    responses.post(URL + "/device", **too_many(3))
    responses.post(URL + "/device", json={"status": "ok"})
    result, warnings = run(monkeypatch, channel="qa", retries=2)
    assert result["changed"] is True and result["device"]["channel"] == "qa"
    assert len(writes()) == 2
    assert any("Retrying POST /device after HTTP 429" in w for w in warnings)


@responses.activate
def test_429_beyond_the_wait_budget_fails_saying_when_to_retry(monkeypatch):
    get_device(device())
    get_channel("qa")
    responses.post(URL + "/device", **too_many(120))
    result, _warnings = run(monkeypatch, channel="qa", retries=5)
    assert result["failed"] is True
    assert len(writes()) == 1  # not retried: 120 s does not fit the 90 s budget
    assert "retry in 120 s (after " in result["msg"]
    assert "once per 60 seconds" in result["msg"]
    assert "HTTP 429 too_many_requests" in result["msg"]
    assert "\n" not in result["msg"]


@responses.activate
def test_429_with_retries_disabled_fails_at_once(monkeypatch):
    get_device(device())
    get_channel("qa")
    responses.post(URL + "/device", **too_many(5))
    result, _warnings = run(monkeypatch, channel="qa", retries=0)
    assert result["failed"] is True and len(writes()) == 1
    assert "retry in 5 s" in result["msg"]


@responses.activate
def test_unknown_app_error_is_readable_without_key(monkeypatch):
    responses.get(URL + "/device", status=400,
                  json={"error": "cannot_access_app", "message": "You can't access this app", "moreInfo": {}})
    result, _warnings = run(monkeypatch, app_id="com.nope.app", channel="qa")
    assert result["failed"] is True
    assert "app com.nope.app does not exist" in result["msg"]
    assert "GET /device failed: HTTP 400 cannot_access_app" in result["msg"]
    assert KEY not in json.dumps(result)


@responses.activate
def test_forbidden_channel_is_explained(monkeypatch):
    get_device(device())
    get_channel("qa")
    responses.post(URL + "/device", status=400,
                   json={"error": "cannot_access_channel", "message": "You can't access this channel", "moreInfo": {}})
    result, _warnings = run(monkeypatch, channel="qa")
    assert result["failed"] is True
    assert "channel.manage_forced_devices" in result["msg"]
