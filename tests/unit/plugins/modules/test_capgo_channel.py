# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import responses
from responses import matchers

from ansible_collections.capgo.cloud.plugins.modules import capgo_channel
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
KEY = "11111111-2222-3333-4444-555555555555"
APP = "com.demo.app"


def channel(**over):
    data = {
        "id": 7, "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-02T00:00:00Z",
        "name": "beta", "app_id": APP, "created_by": "u1", "public": False,
        "disableAutoUpdateUnderNative": True, "disableAutoUpdate": "major", "allow_device_self_set": False,
        "allow_emulator": True, "allow_device": True, "allow_dev": True, "allow_prod": True,
        "version": {"name": "1.0.0", "id": 11}, "rollout_version": None, "rollout_version_info": None,
        "rollout_id": None, "rolloutPercentageBps": 0, "rolloutEnabled": False, "rolloutPausedAt": None,
        "rolloutPauseReason": None, "rolloutCacheTtlSeconds": 2592000, "autoPauseEnabled": False,
        "autoPauseWindowMinutes": 60, "autoPauseFailureRateBps": 0, "autoPauseConfidence": 0.95,
        "autoPauseMinAttempts": 0, "autoPauseMinFailures": 0, "autoPauseAction": "pause",
        "autoPauseCooldownMinutes": 60, "autoPauseLastTriggeredAt": None, "autoPauseLastCheckedAt": None,
    }
    data.update(over)
    return data


def get_channel(body=None, status=200, name="beta"):
    match = [matchers.query_param_matcher({"app_id": APP, "channel": name})]
    if body is None:
        body = {"error": "cannot_find_version", "message": "Cannot find version", "moreInfo": {}}
        status = 400
    responses.get(URL + "/channel", match=match, json=body, status=status)


def bundles(names):
    responses.get(URL + "/bundle", json=[{"id": i + 1, "name": n} for i, n in enumerate(names)])


def writes():
    return [c.request for c in responses.calls if c.request.method in ("POST", "PUT", "DELETE")]


def run(monkeypatch, check_mode=False, diff=False, **args):
    args.setdefault("app_id", APP)
    args.setdefault("channel", "beta")
    return run_module(monkeypatch, capgo_channel.main, args, check_mode=check_mode, diff=diff)


@responses.activate
def test_converged_run_sends_one_get_and_no_write(monkeypatch):
    get_channel(channel())
    result, warnings = run(monkeypatch, bundle="1.0.0", public=False, disable_auto_update="major", ios=True)
    assert result["changed"] is False
    assert len(responses.calls) == 1
    assert result["channel"]["bundle"] == "1.0.0"
    assert "ios" not in result["channel"]


@responses.activate
def test_update_posts_only_the_changed_field_plus_identity_and_platforms(monkeypatch):
    get_channel(channel())
    responses.post(URL + "/channel", json={"status": "ok"})
    get_channel(channel(disableAutoUpdate="minor"))
    result, warnings = run(monkeypatch, diff=True, bundle="1.0.0", disable_auto_update="minor", ios=True)
    assert result["changed"] is True
    (post,) = writes()
    assert json.loads(post.body) == {"app_id": APP, "channel": "beta", "disableAutoUpdate": "minor", "ios": True}
    assert result["diff"]["before"]["disable_auto_update"] == "major"
    assert result["diff"]["after"]["disable_auto_update"] == "minor"
    changed = [k for k in result["diff"]["before"] if result["diff"]["before"][k] != result["diff"]["after"][k]]
    assert changed == ["disable_auto_update"]
    assert "updated_at" not in result["diff"]["after"]
    assert result["channel"]["ios"] is True


@responses.activate
def test_update_check_mode_predicts_without_writing(monkeypatch):
    get_channel(channel())
    result, warnings = run(monkeypatch, check_mode=True, diff=True, allow_dev=False)
    assert result["changed"] is True
    assert writes() == []
    assert result["channel"]["allow_dev"] is False
    assert result["diff"]["after"]["allow_dev"] is False


@responses.activate
def test_create_sends_set_fields_and_checks_bundle(monkeypatch):
    get_channel()
    bundles(["1.1.0", "1.0.0"])
    responses.post(URL + "/channel", json={"status": "ok", "id": 9, "public": False})
    get_channel(channel(id=9, version={"name": "1.1.0", "id": 2}))
    result, warnings = run(monkeypatch, bundle="1.1.0", android=False)
    assert result["changed"] is True
    (post,) = writes()
    assert json.loads(post.body) == {"app_id": APP, "channel": "beta", "version": "1.1.0", "android": False}
    assert result["channel"]["id"] == 9 and result["channel"]["bundle"] == "1.1.0"


@responses.activate
def test_create_in_check_mode_predicts_defaults(monkeypatch):
    get_channel()
    result, warnings = run(monkeypatch, check_mode=True, allow_prod=False)
    assert result["changed"] is True and writes() == []
    assert result["channel"]["allow_prod"] is False
    assert result["channel"]["disable_auto_update"] == "major"
    assert result["channel"]["channel"] == "beta"


@responses.activate
def test_unknown_bundle_fails_before_any_write(monkeypatch):
    get_channel(channel())
    bundles(["1.0.0"])
    result, warnings = run(monkeypatch, bundle="9.9.9")
    assert result["failed"] is True
    assert "bundle 9.9.9 does not exist in app com.demo.app" in result["msg"]
    assert writes() == []


@responses.activate
def test_unlink_bundle_with_empty_string(monkeypatch):
    get_channel(channel())
    responses.post(URL + "/channel", json={"status": "ok"})
    get_channel(channel(version=None))
    result, warnings = run(monkeypatch, bundle="")
    assert json.loads(writes()[0].body)["version"] == ""
    assert result["channel"]["bundle"] is None


@responses.activate
def test_metadata_is_version_number(monkeypatch):
    get_channel(channel(disableAutoUpdate="version_number"))
    result, warnings = run(monkeypatch, disable_auto_update="metadata")
    assert result["changed"] is False


@responses.activate
def test_rollout_suboptions_compared_and_mapped(monkeypatch):
    get_channel(channel())
    bundles(["1.2.0", "1.0.0"])
    responses.post(URL + "/channel", json={"status": "ok"})
    get_channel(channel(rollout_version_info={"name": "1.2.0", "id": 3}, rolloutPercentageBps=1050,
                        rolloutEnabled=True))
    result, warnings = run(monkeypatch, rollout={"bundle": "1.2.0", "percentage": 10.5, "enabled": True},
                           auto_pause={"enabled": True, "action": "pause"})
    body = json.loads(writes()[0].body)
    assert body == {"app_id": APP, "channel": "beta", "rolloutVersion": "1.2.0", "rolloutPercentageBps": 1050,
                    "rolloutEnabled": True, "autoPauseEnabled": True}
    assert result["channel"]["rollout"]["percentage"] == 10.5


@responses.activate
def test_rollout_converged(monkeypatch):
    get_channel(channel(rollout_version_info={"name": "1.2.0", "id": 3}, rolloutPercentageBps=1050,
                        rolloutEnabled=True))
    result, warnings = run(monkeypatch, rollout={"bundle": "1.2.0", "percentage": 10.5, "enabled": True})
    assert result["changed"] is False and len(responses.calls) == 1


@responses.activate
def test_rollout_action_promote_only_when_there_is_a_rollout(monkeypatch):
    get_channel(channel())
    result, warnings = run(monkeypatch, rollout_action="promote")
    assert result["changed"] is False and writes() == []


@responses.activate
def test_rollout_action_promote_check_mode_predicts(monkeypatch):
    get_channel(channel(rollout_version_info={"name": "1.2.0", "id": 3}, rolloutPercentageBps=5000,
                        rolloutEnabled=True))
    result, warnings = run(monkeypatch, check_mode=True, rollout_action="promote")
    assert result["changed"] is True and writes() == []
    assert result["channel"]["bundle"] == "1.2.0"
    assert result["channel"]["rollout"]["bundle"] is None


@responses.activate
def test_promote_from_links_the_other_channels_bundle(monkeypatch):
    get_channel(channel(name="production", public=True), name="production")
    get_channel(channel(version={"name": "1.1.0", "id": 2}))
    bundles(["1.1.0", "1.0.0"])
    responses.post(URL + "/channel", json={"status": "ok"})
    get_channel(channel(name="production", public=True, version={"name": "1.1.0", "id": 2}), name="production")
    result, warnings = run(monkeypatch, channel="production", promote_from="beta")
    assert json.loads(writes()[0].body) == {"app_id": APP, "channel": "production", "version": "1.1.0"}
    assert result["channel"]["bundle"] == "1.1.0"


@responses.activate
def test_bad_percentage_fails_before_any_request(monkeypatch):
    result, warnings = run(monkeypatch, rollout={"percentage": 150})
    assert result["failed"] is True and "rollout.percentage must be between 0 and 100" in result["msg"]
    assert len(responses.calls) == 0


@responses.activate
def test_delete_and_delete_again(monkeypatch):
    get_channel(channel())
    responses.delete(URL + "/channel", json={"status": "ok"})
    result, warnings = run(monkeypatch, state="absent", diff=True)
    assert result["changed"] is True and result["channel"] == {}
    assert result["diff"]["after"] == {} and result["diff"]["before"]["bundle"] == "1.0.0"
    responses.calls.reset()
    responses.replace(responses.GET, URL + "/channel", status=400,
                      json={"error": "cannot_find_version", "message": "Cannot find version", "moreInfo": {}})
    result, warnings = run(monkeypatch, state="absent")
    assert result["changed"] is False and writes() == []


@responses.activate
def test_delete_check_mode(monkeypatch):
    get_channel(channel())
    result, warnings = run(monkeypatch, state="absent", check_mode=True)
    assert result["changed"] is True and writes() == []


@responses.activate
def test_public_change_warns_about_siblings(monkeypatch):
    get_channel(channel())
    responses.get(URL + "/channel", match=[matchers.query_param_matcher({"app_id": APP, "page": "0"})],
                  json=[channel(name="production", public=True, id=1), channel()])
    responses.post(URL + "/channel", json={"status": "ok"})
    get_channel(channel(public=True))
    result, warnings = run(monkeypatch, public=True)
    assert result["changed"] is True
    assert any("production" in w and "private" in w for w in warnings)


@responses.activate
def test_unknown_app_error_is_one_readable_line_without_key(monkeypatch):
    responses.get(URL + "/channel", status=400,
                  json={"error": "cannot_access_app", "message": "You can't access this app", "moreInfo": {}})
    result, warnings = run(monkeypatch, app_id="com.nope.app")
    assert result["failed"] is True
    assert "app com.nope.app does not exist" in result["msg"]
    assert "GET /channel failed: HTTP 400 cannot_access_app" in result["msg"]
    assert KEY not in json.dumps(result) and "\n" not in result["msg"]
    assert result["api_error"]["status"] == 400


def test_missing_required_argument_fails_before_any_request(monkeypatch):
    result, warnings = run_module(monkeypatch, capgo_channel.main, {"app_id": APP})
    assert result["failed"] is True and "channel" in result["msg"]


@responses.activate
def test_failed_write_is_not_a_change(monkeypatch):
    get_channel()
    responses.post(URL + "/channel", status=400,
                   json={"error": "cannot_access_app", "message": "You can't access this app", "moreInfo": {}})
    result, warnings = run(monkeypatch, allow_dev=False)
    assert result["failed"] is True and result["changed"] is False
    assert "POST /channel failed: HTTP 400 cannot_access_app" in result["msg"]


@responses.activate
def test_bad_key_message(monkeypatch):
    responses.get(URL + "/channel", status=401, json={"error": "invalid_apikey", "message": "Invalid apikey"})
    result, warnings = run(monkeypatch)
    assert result["msg"] == ("Capgo refused the credentials: api_key is unknown, expired or missing "
                             "(GET /channel failed: HTTP 401 invalid_apikey: Invalid apikey)")
    assert len(responses.calls) == 1


@responses.activate
def test_create_with_rollout_creates_then_rolls_out(monkeypatch):
    get_channel()
    bundles(["1.2.0", "1.0.0"])
    responses.post(URL + "/channel", json={"status": "ok", "id": 9, "public": False})
    responses.post(URL + "/channel", json={"status": "ok"})
    get_channel(channel(id=9, rollout_version_info={"name": "1.2.0", "id": 3}, rolloutPercentageBps=2500))
    result, warnings = run(monkeypatch, bundle="1.0.0", rollout={"bundle": "1.2.0", "percentage": 25})
    first, second = [json.loads(w.body) for w in writes()]
    assert first == {"app_id": APP, "channel": "beta", "version": "1.0.0"}
    assert second == {"app_id": APP, "channel": "beta", "rolloutVersion": "1.2.0", "rolloutPercentageBps": 2500}
    assert result["changed"] is True and result["channel"]["rollout"]["bundle"] == "1.2.0"


@responses.activate
def test_rollout_without_stable_bundle_fails_before_writing(monkeypatch):
    get_channel(channel(version=None))
    result, warnings = run(monkeypatch, check_mode=True, rollout={"bundle": "1.2.0"})
    assert result["failed"] is True and "a rollout needs a stable bundle" in result["msg"]
    assert len(responses.calls) == 1


@responses.activate
def test_delete_retried_after_a_lost_answer_is_done(monkeypatch):
    get_channel(channel())
    responses.delete(URL + "/channel", status=504, json={"error": "gateway_timeout", "message": "Gateway timeout"})
    responses.delete(URL + "/channel", status=400,
                     json={"error": "cannot_find_channel", "message": "Cannot find channel", "moreInfo": {}})
    get_channel()  # the re-read: gone
    result, warnings = run(monkeypatch, state="absent", retries=2)
    assert "failed" not in result and result["changed"] is True
    assert [w.method for w in writes()] == ["DELETE", "DELETE"]
    assert len(warnings) == 1 and "Retrying DELETE /channel after HTTP 504" in warnings[0]


@responses.activate
def test_promote_is_not_repeated_after_a_lost_answer(monkeypatch):
    get_channel(channel(rollout_version_info={"name": "1.2.0", "id": 3}, rolloutPercentageBps=5000,
                        rolloutEnabled=True))
    responses.post(URL + "/channel", status=503, json={"error": "unavailable", "message": "Unavailable"})
    result, warnings = run(monkeypatch, rollout_action="promote", retries=3)
    assert result["failed"] is True and len(writes()) == 1 and warnings == []
    assert "POST /channel failed: HTTP 503" in result["msg"]


def test_empty_channel_name_fails_before_any_request(monkeypatch):
    result, warnings = run(monkeypatch, channel="  ")
    assert result["failed"] is True and result["msg"] == "channel must not be empty"
