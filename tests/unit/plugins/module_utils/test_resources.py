# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The declarations' API → module-language converters, and capgo_info returning the same shape."""

import datetime

import pytest
import responses

from ansible_collections.capgo.cloud.plugins.module_utils import _apikey, _app, _bundle, _channel, _device, _member, _time, _webhook
from ansible_collections.capgo.cloud.plugins.modules import capgo_info
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
KEY = "11111111-2222-3333-4444-555555555555"
APP = "com.demo.app"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"

CHANNEL = {"id": 7, "name": "beta", "app_id": APP, "created_at": "2026-11-01T00:00:00Z",
           "updated_at": "2026-11-02T00:00:00Z", "created_by": "u1", "public": False,
           "disableAutoUpdateUnderNative": True, "disableAutoUpdate": "major", "allow_device_self_set": False,
           "allow_emulator": True, "allow_device": True, "allow_dev": True, "allow_prod": True,
           "version": {"name": "1.0.3", "id": 3}, "rollout_version": 2, "rollout_version_info": {"name": "1.0.2", "id": 2},
           "rolloutPercentageBps": 2550, "rolloutEnabled": True, "rolloutPausedAt": None,
           "rolloutCacheTtlSeconds": 600, "autoPauseEnabled": True, "autoPauseWindowMinutes": 60,
           "autoPauseLastTriggeredAt": None, "autoPauseLastCheckedAt": "2026-11-02T00:00:00Z"}


def run_info(monkeypatch, **args):
    args.update(api_url=URL, api_key=KEY)
    return run_module(monkeypatch, capgo_info.main, args)[0]


def test_channel_speaks_the_option_names():
    state = _channel.channel_from_api(CHANNEL)
    assert state["channel"] == "beta" and state["bundle"] == "1.0.3" and state["bundle_id"] == 3
    assert state["rollout"] == {"bundle": "1.0.2", "percentage": 25.5, "enabled": True, "paused": False,
                                "cache_ttl_seconds": 600}
    assert state["auto_pause"]["enabled"] is True and set(state["auto_pause"]) == set(_channel.AUTO_PAUSE_API)
    assert state["disable_auto_update_under_native"] is True and "disableAutoUpdate" not in state
    # a version that is not an object (an id, say) is no linked bundle, not a crash
    assert _channel.channel_from_api(dict(CHANNEL, version=3))["bundle"] is None


@pytest.mark.parametrize("over, ids", [
    ({}, (3, 2)),
    ({"rollout_version_info": None}, (3, 2)),
    ({"version": None, "rollout_version": None, "rollout_version_info": None}, (None, None)),
])
def test_channel_bundle_ids(over, ids):
    assert _channel.channel_bundle_ids(dict(CHANNEL, **over)) == ids


@pytest.mark.parametrize("text, expected", [
    ("2026-11-01", (2026, 11, 1, 0, 0, 0, 0)),
    ("2026-11-01T10:00:00Z", (2026, 11, 1, 10, 0, 0, 0)),
    ("2026-01-01 11:00:00.123456+00:00", (2026, 1, 1, 11, 0, 0, 123456)),
    ("2026-01-01T12:30:00.5+02:00", (2026, 1, 1, 10, 30, 0, 500000)),
    ("2026-01-01T10:00:00+0000", (2026, 1, 1, 10, 0, 0, 0)),
    ("2027-01-31T01:00:00-0230", (2027, 1, 31, 3, 30, 0, 0)),
    ("2027-01-31t10:00 UTC", (2027, 1, 31, 10, 0, 0, 0)),
    # Postgres' text form (what Capgo returns): a space, an hour-only or compact offset
    ("2026-11-01 10:00:00+00", (2026, 11, 1, 10, 0, 0, 0)),
    ("2026-11-01 10:00:00.123+00", (2026, 11, 1, 10, 0, 0, 123000)),
    ("2026-11-01 10:00:00+0530", (2026, 11, 1, 4, 30, 0, 0)),
    ("2026-11-01 10:00:00+05:30", (2026, 11, 1, 4, 30, 0, 0)),
    ("2026-11-01 02:00:00-08", (2026, 11, 1, 10, 0, 0, 0)),
    ("2026-11-01T00:30:00+01", (2026, 10, 31, 23, 30, 0, 0)),
    # Z with fractional seconds, more digits than microseconds (JavaScript, Go)
    ("2026-11-01T10:00:00.123Z", (2026, 11, 1, 10, 0, 0, 123000)),
    ("2026-11-01T10:00:00.123456789Z", (2026, 11, 1, 10, 0, 0, 123456)),
    ("2026-11-01T10:00:00,5z", (2026, 11, 1, 10, 0, 0, 500000)),
])
def test_parse_time_is_aware_utc(text, expected):
    value = _time.parse_time(text)
    assert value.utcoffset() == datetime.timedelta(0)
    assert (value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond) == expected
    assert _apikey.parse_expiry(text) == value.replace(tzinfo=None)


@pytest.mark.parametrize("text", [None, "", "yesterday", "2026-13-01", "31.01.2027", "2026-11-01T25:00:00Z",
                                  # offsets out of range, or out of datetime's range once in UTC
                                  "2026-11-01T10:00:00+24", "2026-11-01T10:00:00+05:60",
                                  "0001-01-01T00:30:00+01", "9999-12-31T23:30:00-01",
                                  "2026-11-01T10:00:00.Z", "2026-11-01T10:00:00+5"])
def test_parse_time_refuses(text):
    assert _time.parse_time(text) is None and _apikey.parse_expiry(text) is None


@pytest.mark.parametrize("role, is_tmp, expected", [
    ("org_admin", False, ("org_admin", False)),
    ("admin", False, ("org_admin", False)),
    ("invite_super_admin", False, ("org_super_admin", True)),
    ("org_member", True, ("org_member", True)),
    ("app_developer", False, ("app_developer", False)),
])
def test_member_roles(role, is_tmp, expected):
    member = _member.member_from_api({"uid": "u", "email": "a@example.com", "image_url": "", "role": role,
                                      "is_tmp": is_tmp}, ORG)
    assert (member["role"], member["pending"]) == expected and member["org_id"] == ORG


def test_apikey_expiry_is_canonical_and_secret_only_when_sent():
    key = _apikey.apikey_from_api({"id": 1, "name": "ci", "is_hashed_key": False, "expires_at": "2027-01-31T19:00:00+01:00"})
    assert key["expires_at"] == "2027-01-31T18:00:00Z" and key["global_permissions"] == [] and "key" not in key
    assert _apikey.apikey_from_api({"id": 1, "key": "k"})["key"] == "k"


def test_app_device_bundle_webhook():
    app = _app.app_from_api({"app_id": APP, "icon_url": "", "retention": 129600, "name": "Demo"})
    assert app == {"app_id": APP, "icon": "", "retention_days": 1.5, "name": "Demo"}
    device = _device.device_from_api({"device_id": "d", "app_id": APP, "version": 12, "version_name": "1.0.0"})
    assert device["bundle_id"] == 12 and device["channel"] is None and device["seen"] is True and "version" not in device
    bundle = _bundle.bundle_from_api({"id": 4, "name": "1.0.4", "session_key": "iv:key", "r2_path": None})
    assert bundle["version"] == "1.0.4" and bundle["encrypted"] is True and "name" not in bundle
    hook = _webhook.webhook_from_api({"id": "w", "name": "audit", "deliveryVersion": "standard", "secret": "whsec"})
    assert hook["delivery_version"] == "standard" and hook["secret"] == "whsec"


# -- capgo_info: what the resource module returns, plus its own additions -----------------

@responses.activate
def test_info_channel_is_the_module_shape_plus_extras(monkeypatch):
    responses.get(URL + "/channel", json=CHANNEL)
    item = run_info(monkeypatch, resource="channels", app_id=APP, channel="beta")["channels"][0]
    module = _channel.channel_from_api(CHANNEL)
    assert item["rollout"].pop("bundle_id") == 2
    assert item["auto_pause"].pop("last_checked_at") == "2026-11-02T00:00:00Z"
    assert item["auto_pause"].pop("last_triggered_at") is None
    assert item == module


@responses.activate
def test_info_members_and_apikeys_are_the_module_shape(monkeypatch):
    rows = [{"uid": "u1", "email": "a@example.com", "image_url": "", "role": "invite_admin", "is_tmp": False}]
    responses.get(URL + "/organization/members", json=rows)
    assert run_info(monkeypatch, resource="members", org_id=ORG)["members"] == [_member.member_from_api(rows[0], ORG)]
    keys = [{"id": 1, "name": "ci", "is_hashed_key": True, "expires_at": "2027-01-31 18:00:00+00", "key": "secret"}]
    responses.get(URL + "/apikey", json=keys)
    item = run_info(monkeypatch, resource="apikeys")["apikeys"][0]
    assert item == {k: v for k, v in _apikey.apikey_from_api(keys[0]).items() if k != "key"}
    assert item["expires_at"] == "2027-01-31T18:00:00Z"
