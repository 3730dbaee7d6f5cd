# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import datetime
import json
import os
import xml.etree.ElementTree as ET

import pytest
import responses
from responses import matchers
from urllib.parse import parse_qs, urlsplit

from ansible_collections.capgo.cloud.plugins.module_utils._engine import Operation
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError
from ansible_collections.capgo.cloud.plugins.modules import capgo_info
from ansible_collections.capgo.cloud.plugins.module_utils import _info
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
KEY = "11111111-2222-3333-4444-555555555555"
APP = "com.demo.app"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
SVG = "{http://www.w3.org/2000/svg}"


def run(monkeypatch, check_mode=False, **args):
    """The module's result (warnings are not asserted here)."""
    return run_module(monkeypatch, capgo_info.main, args, check_mode=check_mode)[0]


def query(call):
    return {k: v[-1] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def paths():
    return [urlsplit(c.request.url).path for c in responses.calls]


def error(code, message="", status=400):
    return dict(json={"error": code, "message": message, "moreInfo": {}}, status=status)


# -- validation: before any request ------------------------------------------------

@pytest.mark.parametrize("args, text", [
    (dict(resource="channels"), "resource=channels needs app_id"),
    (dict(resource="members"), "resource=members needs org_id"),
    (dict(resource="webhooks"), "resource=webhooks needs org_id"),
    (dict(resource="apikeys", app_id=APP), "app_id does not apply to resource=apikeys"),
    (dict(resource="members", org_id=ORG, updated_since="2026-11-01"), "updated_since does not apply"),
    (dict(resource="channels", app_id=APP, limit=0), "limit must be at least 1"),
    (dict(resource="devices", app_id=APP, updated_since="yesterday"), "updated_since must be a date"),
    (dict(resource="channels", app_id=APP, graph="mau", dest="/tmp/x.svg"), "only apply to resource=statistics"),
    (dict(resource="apps", accumulate=False), "accumulate only applies to resource=statistics"),
    (dict(resource="statistics", limit=3), "limit does not apply to resource=statistics"),
    (dict(resource="statistics", scope="app"), "scope=app needs app_id"),
    (dict(resource="statistics", scope="org"), "scope=org needs org_id"),
    (dict(resource="statistics", scope="user", app_id=APP), "app_id does not apply to scope=user"),
    (dict(resource="statistics", app_id=APP, breakdown=True), "breakdown only applies to scope=org"),
    (dict(resource="statistics", app_id=APP, to="2026-13-01"), "to must be a date YYYY-MM-DD"),
    (dict(resource="statistics", app_id=APP, **{"from": "2026-11-05", "to": "2026-11-05"}), "must be before"),
    (dict(resource="statistics", app_id=APP, dest="/tmp/x.svg"), "missing parameter(s) required by 'dest': graph"),
    (dict(resource="statistics", app_id=APP, graph="mau", dest="/nonexistent-dir-h/x.svg"),
     "the directory of dest does not exist"),
])
@responses.activate
def test_bad_input_fails_before_any_request(monkeypatch, args, text):
    result = run(monkeypatch, **args)
    assert result.get("failed") is True
    assert text in result["msg"]
    assert len(responses.calls) == 0


def test_explain_ends_with_the_shared_sentences():
    """Info.explain handles its own codes, then returns the base's explanation (not None)."""
    info = _info.Info.__new__(_info.Info)
    info.params = {"app_id": APP, "org_id": ORG}
    refused = CapgoAPIError(401, "invalid_apikey", "Invalid API key", method="GET", path="/app")
    assert info.explain(refused) == Operation.explain(info, refused)
    assert "refused the credentials" in info.explain(refused)
    plan = CapgoAPIError(402, "subscription_required", "", method="GET", path="/statistics/user")
    assert "plan does not include API statistics" in info.explain(plan)


# -- organizations ---------------------------------------------------------------

def org(i):
    return {"id": "00000000-0000-4000-8000-%012d" % i, "name": "Org %d" % i, "created_by": KEY,
            "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-%02dT00:00:00Z" % (1 + i % 28),
            "logo": None, "management_email": "a@example.com", "customer_id": None}


def org_pages(request):
    body = json.loads(request.body)
    page = body["page"]
    orgs = [org(i) for i in range(53)]
    return 200, {}, json.dumps(orgs[page * 50:(page + 1) * 50])


@responses.activate
def test_organizations_are_paged_with_a_json_number_in_the_body(monkeypatch):
    responses.add_callback(responses.GET, URL + "/organization", callback=org_pages)
    result = run(monkeypatch, resource="organizations")
    assert len(result["organizations"]) == 53
    assert [json.loads(c.request.body) for c in responses.calls] == [{"page": 0}, {"page": 1}]
    assert all(query(c) == {} for c in responses.calls)
    first = result["organizations"][0]
    assert first["org_id"] == first["id"] == org(0)["id"]
    assert result["changed"] is False


@responses.activate
def test_organizations_stop_when_the_server_ignores_the_page(monkeypatch):
    # A proxy dropping GET bodies: every request returns the first page.
    responses.get(URL + "/organization", json=[org(i) for i in range(50)])
    result = run(monkeypatch, resource="organizations")
    assert len(result["organizations"]) == 50
    assert len(responses.calls) == 2


@responses.activate
def test_organization_by_id_and_unknown_id(monkeypatch):
    responses.get(URL + "/organization", match=[matchers.query_param_matcher({"orgId": ORG})], json=org(1))
    result = run(monkeypatch, resource="organizations", org_id=ORG)
    assert [o["name"] for o in result["organizations"]] == ["Org 1"]
    responses.replace(responses.GET, URL + "/organization", **error("invalid_org_id"))
    result = run(monkeypatch, resource="organizations", org_id=ORG)
    assert result["organizations"] == []


@responses.activate
def test_organizations_updated_since_and_limit_filter_client_side(monkeypatch):
    responses.add_callback(responses.GET, URL + "/organization", callback=org_pages)
    result = run(monkeypatch, resource="organizations", updated_since="2026-11-27T00:00:00Z")
    # updated 2026-11-28 (i % 28 == 27): strictly after
    assert [o["name"] for o in result["organizations"]] == ["Org 27"]
    responses.calls.reset()
    result = run(monkeypatch, resource="organizations", limit=3)
    assert len(result["organizations"]) == 3
    assert len(responses.calls) == 1


# -- members, apikeys, webhooks ------------------------------------------------------

@responses.activate
def test_members_say_pending_and_carry_the_org(monkeypatch):
    responses.get(URL + "/organization/members", match=[matchers.query_param_matcher({"orgId": ORG})], json=[
        {"uid": "u1", "email": "admin@example.com", "image_url": "", "role": "org_super_admin", "is_tmp": False},
        {"uid": "u2", "email": "dev@example.com", "image_url": "", "role": "org_member", "is_tmp": True},
    ])
    result = run(monkeypatch, resource="members", org_id=ORG)
    assert result["members"] == [
        {"uid": "u1", "email": "admin@example.com", "image_url": "", "role": "org_super_admin", "pending": False,
         "org_id": ORG},
        {"uid": "u2", "email": "dev@example.com", "image_url": "", "role": "org_member", "pending": True,
         "org_id": ORG},
    ]


@responses.activate
def test_apikeys_never_return_secrets(monkeypatch):
    responses.get(URL + "/apikey", json=[
        {"id": 1, "name": "ci", "key": "ae6e7458-c46d-4c00-aa3b-153b0b8520ea", "key_hash": None,
         "is_hashed_key": False, "user_id": "u1", "rbac_id": "r1", "expires_at": None,
         "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z"},
        {"id": 2, "name": "hashed", "is_hashed_key": True, "global_permissions": ["org.create"],
         "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z"},
    ])
    result = run(monkeypatch, resource="apikeys")
    keys = result["apikeys"]
    assert [k["name"] for k in keys] == ["ci", "hashed"]
    assert [k["hashed"] for k in keys] == [False, True]
    assert keys[0]["global_permissions"] == [] and keys[1]["global_permissions"] == ["org.create"]
    assert "ae6e7458" not in json.dumps(result)
    assert all("key" not in k and "key_hash" not in k and "is_hashed_key" not in k for k in keys)


@responses.activate
def test_webhooks_all_pages_without_secrets(monkeypatch):
    hooks = [{"id": "w%d" % i, "org_id": ORG, "name": "hook %d" % i, "url": "https://hooks.example.com/%d" % i,
              "enabled": True, "events": ["apps"], "delivery_version": "legacy", "secret": "whsec_x",
              "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z"} for i in range(55)]

    def pages(request):
        page = int(query(type("C", (), {"request": request})())["page"])
        return 200, {}, json.dumps(hooks[page * 50:(page + 1) * 50])

    responses.add_callback(responses.GET, URL + "/webhooks", callback=pages)
    result = run(monkeypatch, resource="webhooks", org_id=ORG)
    assert len(result["webhooks"]) == 55
    assert [query(c) for c in responses.calls] == [{"orgId": ORG, "page": "0"}, {"orgId": ORG, "page": "1"}]
    assert "whsec_x" not in json.dumps(result)


# -- secrets: never returned, whatever the server sends ------------------------------------

SECRET_KEY = "ae6e7458-c46d-4c00-aa3b-153b0b8520ea"
SECRET_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
WEBHOOK_SECRET = "whsec_0123456789abcdef"
SESSION_KEY = "c2Vzc2lvbi1rZXk6YWVzLTI1Ni1jYmM6MDEyMzQ1Njc4OQ=="


def mock_apikeys_with_secrets():
    responses.get(URL + "/apikey", json=[
        {"id": 1, "name": "plain", "key": SECRET_KEY, "key_hash": None, "is_hashed_key": False},
        {"id": 2, "name": "hashed", "key": None, "key_hash": SECRET_HASH, "is_hashed_key": True},
    ])
    return dict(resource="apikeys")


def mock_webhooks_with_secrets():
    responses.get(URL + "/webhooks", json=[
        {"id": "w%d" % i, "org_id": ORG, "name": "hook %d" % i, "url": "https://h.example.com/%d" % i,
         "enabled": True, "events": ["apps"], "secret": WEBHOOK_SECRET} for i in range(2)])
    return dict(resource="webhooks", org_id=ORG)


def mock_bundles_with_secrets():
    responses.get(URL + "/channel", json=[])
    rows = [dict(bundle(1), session_key=SESSION_KEY), dict(bundle(2), session_key=None)]
    responses.add_callback(responses.GET, URL + "/bundle", callback=bundle_pages(rows))
    return dict(resource="bundles", app_id=APP)


@pytest.mark.parametrize("resource, mock, fields, values", [
    ("apikeys", mock_apikeys_with_secrets, ("key", "key_hash"), (SECRET_KEY, SECRET_HASH)),
    ("webhooks", mock_webhooks_with_secrets, ("secret",), (WEBHOOK_SECRET,)),
    ("bundles", mock_bundles_with_secrets, ("session_key",), (SESSION_KEY,)),
])
@responses.activate
def test_no_secret_is_ever_returned(monkeypatch, resource, mock, fields, values):
    assert _info.SECRET_FIELDS[resource] == fields
    result = run(monkeypatch, **mock())
    items = result[resource]
    assert len(items) == 2
    for item in items:
        assert not set(fields) & set(item), item
    dumped = json.dumps(result)
    for value in values:
        assert value not in dumped


@responses.activate
def test_bundles_say_whether_they_are_encrypted_without_the_session_key(monkeypatch):
    result = run(monkeypatch, **mock_bundles_with_secrets())
    assert [(b["name"], b["encrypted"]) for b in result["bundles"]] == [("1.0.1", True), ("1.0.2", False)]


# -- apps ----------------------------------------------------------------------------

def app(i):
    return {"app_id": "com.app%d.x" % i, "id": "uuid-%d" % i, "name": "App %d" % i, "owner_org": ORG,
            "retention": 2592000, "icon_url": "", "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z"}


def app_pages(request):
    q = {k: v[-1] for k, v in parse_qs(urlsplit(request.url).query).items()}
    page, limit = int(q["page"]), int(q["limit"])
    apps = [app(i) for i in range(130)]
    return 200, {}, json.dumps(apps[page * limit:(page + 1) * limit])


@responses.activate
def test_apps_every_page_with_page_and_limit(monkeypatch):
    responses.add_callback(responses.GET, URL + "/app", callback=app_pages)
    result = run(monkeypatch, resource="apps", org_id=ORG)
    assert len(result["apps"]) == 130
    assert [query(c) for c in responses.calls] == [{"page": "0", "limit": "100", "org_id": ORG},
                                                   {"page": "1", "limit": "100", "org_id": ORG}]
    assert result["apps"][0]["retention_days"] == 30 and "retention" not in result["apps"][0]
    assert result["apps"][0]["icon"] == "" and "icon_url" not in result["apps"][0]


@responses.activate
def test_apps_limit_asks_for_no_more_than_needed(monkeypatch):
    responses.add_callback(responses.GET, URL + "/app", callback=app_pages)
    result = run(monkeypatch, resource="apps", limit=7)
    assert len(result["apps"]) == 7
    assert [query(c) for c in responses.calls] == [{"page": "0", "limit": "7"}]


@responses.activate
def test_app_by_id_and_unknown_app(monkeypatch):
    responses.get(URL + "/app/com.app1.x", json=app(1))
    responses.get(URL + "/app/com.nope.x", **error("cannot_access_app", status=401))
    result = run(monkeypatch, resource="apps", app_id="com.app1.x")
    assert [a["app_id"] for a in result["apps"]] == ["com.app1.x"]
    result = run(monkeypatch, resource="apps", app_id="com.nope.x")
    assert result["apps"] == []


# -- channels --------------------------------------------------------------------------

def chan(i, bundle=None, **over):
    data = {"id": i, "name": "ch%d" % i, "app_id": APP, "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z", "created_by": "u1", "public": i == 0,
            "disableAutoUpdateUnderNative": True, "disableAutoUpdate": "major", "allow_device_self_set": False,
            "allow_emulator": True, "allow_device": True, "allow_dev": True, "allow_prod": True,
            "version": bundle, "rollout_version": None, "rollout_version_info": None, "rolloutPercentageBps": 0,
            "rolloutEnabled": False, "rolloutPausedAt": None, "rolloutCacheTtlSeconds": 2592000}
    data.update(over)
    return data


def channel_pages(channels):
    """GET /channel with Capgo's page quirk: page N > 0 returns rows N*50 .. (N "+" 1)*50 - 1."""
    def callback(request):
        q = {k: v[-1] for k, v in parse_qs(urlsplit(request.url).query).items()}
        page = int(q.get("page", "0"))
        end = (int(str(page) + "1")) * 50 if page else 50
        return 200, {}, json.dumps(channels[page * 50:end])
    return callback


@responses.activate
def test_channels_survive_the_page_quirk_and_speak_the_module_language(monkeypatch):
    channels = [chan(i, {"name": "1.0.%d" % (i % 3), "id": 100 + i % 3}) for i in range(120)]
    responses.add_callback(responses.GET, URL + "/channel", callback=channel_pages(channels))
    result = run(monkeypatch, resource="channels", app_id=APP)
    names = [c["channel"] for c in result["channels"]]
    assert names == ["ch%d" % i for i in range(120)]
    first = result["channels"][0]
    assert first["bundle"] == "1.0.0" and first["bundle_id"] == 100 and first["public"] is True
    assert first["disable_auto_update"] == "major" and "disableAutoUpdate" not in first
    assert first["rollout"]["percentage"] == 0.0


@responses.activate
def test_channels_limit_stops_after_the_first_page(monkeypatch):
    channels = [chan(i) for i in range(120)]
    responses.add_callback(responses.GET, URL + "/channel", callback=channel_pages(channels))
    result = run(monkeypatch, resource="channels", app_id=APP, limit=10)
    assert len(result["channels"]) == 10
    assert len(responses.calls) == 1


@responses.activate
def test_channels_filters(monkeypatch):
    channels = [chan(0, {"name": "1.0.0", "id": 1}), chan(1, {"name": "1.1.0", "id": 2}),
                chan(2, {"name": "1.0.0", "id": 1}, updated_at="2026-11-20T10:00:00.123456Z")]
    responses.add_callback(responses.GET, URL + "/channel", callback=channel_pages(channels))
    result = run(monkeypatch, resource="channels", app_id=APP, version="1.0.0")
    assert [c["channel"] for c in result["channels"]] == ["ch0", "ch2"]
    result = run(monkeypatch, resource="channels", app_id=APP, updated_since="2026-11-20T11:00:00+01:00")
    assert [c["channel"] for c in result["channels"]] == ["ch2"]


@responses.activate
def test_single_channel_is_asked_from_capgo(monkeypatch):
    responses.get(URL + "/channel", match=[matchers.query_param_matcher({"app_id": APP, "channel": "beta"})],
                  json=chan(1, {"name": "1.1.0", "id": 2}, name="beta"))
    responses.get(URL + "/channel", match=[matchers.query_param_matcher({"app_id": APP, "channel": "nope"})],
                  **error("cannot_find_version"))
    result = run(monkeypatch, resource="channels", app_id=APP, channel="beta")
    assert [(c["channel"], c["bundle"]) for c in result["channels"]] == [("beta", "1.1.0")]
    result = run(monkeypatch, resource="channels", app_id=APP, channel="nope")
    assert result["channels"] == []


@responses.activate
def test_unknown_app_fails_with_a_readable_line_without_the_key(monkeypatch):
    responses.get(URL + "/channel", **error("cannot_access_app", "You can't access this app"))
    result = run(monkeypatch, resource="channels", app_id=APP)
    assert result["failed"] is True
    assert "app com.demo.app does not exist, or this API key may not read it" in result["msg"]
    assert "GET /channel failed: HTTP 400 cannot_access_app: You can't access this app" in result["msg"]
    assert KEY not in json.dumps(result)
    assert "\n" not in result["msg"]


# -- devices -----------------------------------------------------------------------------

def device(i, **over):
    data = {"device_id": "00000000-0000-0000-0000-%012d" % i, "app_id": APP, "platform": "ios",
            "version_name": "1.0.%d" % (i % 2), "version": 10 + i % 2, "updated_at": "2026-11-01T00:00:00Z",
            "is_prod": True, "is_emulator": False, "custom_id": ""}
    data.update(over)
    return data


def device_pages(count, overrides=None):
    devices = [device(i) for i in range(count)]
    for i, name in (overrides or {}).items():
        devices[i]["channel"] = name

    def callback(request):
        q = {k: v[-1] for k, v in parse_qs(urlsplit(request.url).query).items()}
        start = int(q.get("cursor", "0"))
        size = int(q.get("limit", "50"))
        chunk = devices[start:start + size]
        more = start + size < len(devices)
        body = {"data": chunk, "hasMore": more}
        if more:
            body["nextCursor"] = str(start + size)
        return 200, {}, json.dumps(body)
    return callback


@responses.activate
def test_devices_use_the_cursor_with_pages_of_1000(monkeypatch):
    responses.add_callback(responses.GET, URL + "/device", callback=device_pages(10000))
    result = run(monkeypatch, resource="devices", app_id=APP)
    assert len(result["devices"]) == 10000
    assert len(responses.calls) == 10
    assert [query(c).get("limit") for c in responses.calls] == ["1000"] * 10
    assert "cursor" not in query(responses.calls[0]) and query(responses.calls[1])["cursor"] == "1000"
    first = result["devices"][0]
    assert first["bundle_id"] == 10 and "version" not in first and first["channel"] is None


@responses.activate
def test_devices_limit_asks_for_no_more_than_needed(monkeypatch):
    responses.add_callback(responses.GET, URL + "/device", callback=device_pages(2500))
    result = run(monkeypatch, resource="devices", app_id=APP, limit=5)
    assert len(result["devices"]) == 5
    assert [query(c)["limit"] for c in responses.calls] == ["5"]


@responses.activate
def test_devices_updated_since_is_sent_as_updated_at(monkeypatch):
    responses.add_callback(responses.GET, URL + "/device", callback=device_pages(3))
    run(monkeypatch, resource="devices", app_id=APP, updated_since="2026-11-20T12:30:00+02:00")
    assert query(responses.calls[0])["updated_at"] == "2026-11-20T10:30:00Z"
    responses.calls.reset()
    run(monkeypatch, resource="devices", app_id=APP, updated_since="2026-11-20")
    assert query(responses.calls[0])["updated_at"] == "2026-11-20T00:00:00Z"


@responses.activate
def test_devices_channel_and_version_filter_client_side(monkeypatch):
    responses.add_callback(responses.GET, URL + "/device", callback=device_pages(1500, {3: "beta", 1200: "beta",
                                                                                        4: "qa"}))
    result = run(monkeypatch, resource="devices", app_id=APP, channel="beta")
    assert [d["device_id"][-4:] for d in result["devices"]] == ["0003", "1200"]
    assert all("channel" not in query(c) for c in responses.calls)
    result = run(monkeypatch, resource="devices", app_id=APP, version="1.0.1", limit=2)
    assert [d["version_name"] for d in result["devices"]] == ["1.0.1", "1.0.1"]


@responses.activate
def test_single_device_and_unknown_device(monkeypatch):
    responses.get(URL + "/device", match=[matchers.query_param_matcher({"app_id": APP, "device_id": "d1"})],
                  json=device(1, device_id="d1", channel="beta"))
    responses.get(URL + "/device", match=[matchers.query_param_matcher({"app_id": APP, "device_id": "d2"})],
                  **error("device_not_found", status=404))
    result = run(monkeypatch, resource="devices", app_id=APP, device_id="d1")
    assert [(d["device_id"], d["channel"]) for d in result["devices"]] == [("d1", "beta")]
    result = run(monkeypatch, resource="devices", app_id=APP, device_id="d2")
    assert result["devices"] == []


# -- bundles -------------------------------------------------------------------------------

def bundle(i):
    return {"id": i, "name": "1.0.%d" % i, "app_id": APP, "deleted": False, "checksum": "c%d" % i,
            "external_url": "https://cdn.example.com/%d.zip" % i, "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z"}


def bundle_pages(bundles):
    def callback(request):
        q = {k: v[-1] for k, v in parse_qs(urlsplit(request.url).query).items()}
        page = int(q.get("page", "0"))
        chunk = bundles[page * 50:(page + 1) * 50]
        if not chunk:
            return 400, {}, json.dumps({"error": "cannot_get_bundle", "message": "Cannot get bundle", "moreInfo": {}})
        return 200, {}, json.dumps(chunk)
    return callback


@responses.activate
def test_bundles_say_which_channels_use_them(monkeypatch):
    channels = [chan(0, {"name": "1.0.2", "id": 2}, name="production"),
                chan(1, {"name": "1.0.3", "id": 3}, name="beta", rollout_version=2,
                     rollout_version_info={"name": "1.0.2", "id": 2}),
                chan(2, {"name": "1.0.2", "id": 2}, name="qa")]
    responses.add_callback(responses.GET, URL + "/channel", callback=channel_pages(channels))
    responses.add_callback(responses.GET, URL + "/bundle", callback=bundle_pages([bundle(i) for i in range(100)]))
    result = run(monkeypatch, resource="bundles", app_id=APP)
    bundles = {b["name"]: b for b in result["bundles"]}
    assert len(bundles) == 100
    assert bundles["1.0.2"]["channels"] == ["production", "qa"]
    assert bundles["1.0.2"]["rollout_channels"] == ["beta"]
    assert bundles["1.0.3"]["channels"] == ["beta"] and bundles["1.0.3"]["version"] == "1.0.3"
    assert bundles["1.0.4"]["channels"] == [] and bundles["1.0.4"]["encrypted"] is False
    # two full pages, then the empty page's 400 cannot_get_bundle ends the list
    assert paths().count("/bundle") == 3

    result = run(monkeypatch, resource="bundles", app_id=APP, channel="beta")
    assert sorted(b["name"] for b in result["bundles"]) == ["1.0.2", "1.0.3"]
    result = run(monkeypatch, resource="bundles", app_id=APP, version="1.0.7")
    assert [b["name"] for b in result["bundles"]] == ["1.0.7"]
    result = run(monkeypatch, resource="bundles", app_id=APP, channel="nope")
    assert result["bundles"] == []


@responses.activate
def test_app_without_bundles_is_an_empty_list(monkeypatch):
    responses.get(URL + "/channel", json=[])
    responses.get(URL + "/bundle", **error("cannot_get_bundle", "Cannot get bundle"))
    result = run(monkeypatch, resource="bundles", app_id=APP)
    assert result["bundles"] == [] and "failed" not in result


# -- statistics -------------------------------------------------------------------------------

def entries(days, start="2026-11-01", **values):
    first = datetime.date.fromisoformat(start)
    return [dict({"date": "%sT00:00:00.000Z" % (first + datetime.timedelta(days=i)).isoformat(),
                  "mau": 10 * (i + 1), "storage": 1048576 * (i + 1), "storage_byte_hours": 0,
                  "bandwidth": 2097152 * (i + 1), "build_time_seconds": 0}, **values) for i in range(days)]


def test_default_period_is_the_last_30_days_with_to_exclusive():
    today = datetime.date(2026, 11, 27)
    assert _info.stats_period(today=today) == (datetime.date(2026, 10, 29), datetime.date(2026, 11, 28))
    assert _info.stats_period(datetime.date(2026, 11, 1), today=today) == (
        datetime.date(2026, 11, 1), datetime.date(2026, 11, 28))
    assert _info.stats_period(None, datetime.date(2026, 11, 8), today=today) == (
        datetime.date(2026, 10, 9), datetime.date(2026, 11, 8))


@responses.activate
def test_statistics_default_period_and_accumulate(monkeypatch):
    monkeypatch.setattr(_info, "utc_today", lambda: datetime.date(2026, 11, 27))
    responses.get(URL + "/statistics/app/" + APP, json=entries(30, "2026-10-29"))
    result = run(monkeypatch, resource="statistics", app_id=APP)
    assert query(responses.calls[0]) == {"from": "2026-10-29", "to": "2026-11-28"}
    assert result["period"] == {"from": "2026-10-29", "to": "2026-11-28"}
    assert len(result["statistics"]) == 30
    assert result["statistics"][0]["date"] == "2026-10-29"
    assert result["changed"] is False

    responses.calls.reset()
    run(monkeypatch, resource="statistics", app_id=APP, accumulate=False, **{"from": "2026-11-01", "to": "2026-11-06"})
    assert query(responses.calls[0]) == {"from": "2026-11-01", "to": "2026-11-06", "noAccumulate": "true"}


@responses.activate
def test_statistics_entries_are_snake_case(monkeypatch):
    responses.get(URL + "/statistics/user", json=[{"date": "2026-11-01T00:00:00.000Z", "mau": 1, "buildTimeSeconds": 5}])
    result = run(monkeypatch, resource="statistics", **{"from": "2026-11-01", "to": "2026-11-02"})
    assert result["statistics"] == [{"date": "2026-11-01", "mau": 1, "build_time_seconds": 5}]
    assert urlsplit(responses.calls[0].request.url).path == "/statistics/user"


@responses.activate
def test_org_statistics_with_breakdown(monkeypatch):
    by_app = [dict(e, app_id="com.a.x") for e in entries(2)] + [dict(e, app_id="com.b.x") for e in entries(2)]
    responses.get(URL + "/statistics/org/" + ORG, json={"global": entries(2), "byApp": by_app})
    result = run(monkeypatch, resource="statistics", org_id=ORG, breakdown=True,
                 **{"from": "2026-11-01", "to": "2026-11-03"})
    assert query(responses.calls[0])["breakdown"] == "true"
    assert [e["date"] for e in result["statistics"]] == ["2026-11-01", "2026-11-02"]
    assert sorted(result["statistics_by_app"]) == ["com.a.x", "com.b.x"]
    assert result["statistics_by_app"]["com.a.x"][1] == stat_day(entries(2)[1])


def stat_day(entry):
    return dict(entry, date=entry["date"][:10])


@responses.activate
def test_statistics_without_a_plan_says_so(monkeypatch):
    responses.get(URL + "/statistics/app/" + APP, **error("subscription_required", "Subscription required", 402))
    result = run(monkeypatch, resource="statistics", app_id=APP)
    assert result["failed"] is True
    assert "plan does not include API statistics" in result["msg"]
    assert "HTTP 402 subscription_required" in result["msg"]
    assert "GET /statistics/app/com.demo.app" in result["msg"]


# -- charts -----------------------------------------------------------------------------------

def chart_args(dest, **over):
    args = dict(resource="statistics", app_id=APP, graph="mau", dest=str(dest),
                **{"from": "2026-11-01", "to": "2026-11-06"})
    args.update(over)
    return args


@responses.activate
def test_chart_is_returned_as_text(monkeypatch, tmp_path):
    responses.get(URL + "/statistics/app/" + APP, json=entries(5))
    args = chart_args(None)
    del args["dest"]
    result = run(monkeypatch, **args)
    assert result["changed"] is False and "graph_path" not in result
    root = ET.fromstring(result["graph_svg"])
    assert root.tag == SVG + "svg"
    assert len(root.findall(".//%scircle" % SVG)) == 5

    dest = tmp_path / "mau.svg"
    result = run(monkeypatch, **chart_args(dest))
    assert dest.read_text() == result["graph_svg"]
    assert len(responses.calls) == 2


@responses.activate
def test_chart_written_once_then_not_changed(monkeypatch, tmp_path):
    responses.get(URL + "/statistics/app/" + APP, json=entries(5))
    dest = tmp_path / "mau.svg"
    result = run(monkeypatch, **chart_args(dest))
    assert result["changed"] is True
    assert result["graph_path"] == str(dest)
    root = ET.parse(str(dest)).getroot()
    assert root.tag == SVG + "svg"
    assert "Monthly active users" in root.find(SVG + "title").text
    assert APP in root.find(SVG + "title").text
    assert [c.get("data-date") for c in root.iter(SVG + "circle")] == [
        "2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"]
    first = dest.read_bytes()

    result = run(monkeypatch, **chart_args(dest))
    assert result["changed"] is False
    assert dest.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["mau.svg"]  # no temporary file left behind


@responses.activate
def test_chart_changes_only_when_the_content_changes(monkeypatch, tmp_path):
    dest = tmp_path / "bw.svg"
    responses.get(URL + "/statistics/app/" + APP, json=entries(5))
    run(monkeypatch, **chart_args(dest, graph="bandwidth", accumulate=False))
    root = ET.parse(str(dest)).getroot()
    assert len(root.findall(".//%srect[@class='bar']" % SVG)) == 5
    assert any((t.text or "").endswith(" MB") for t in root.iter(SVG + "text"))
    responses.replace(responses.GET, URL + "/statistics/app/" + APP, json=entries(5, mau=1, bandwidth=1))
    result = run(monkeypatch, **chart_args(dest, graph="bandwidth", accumulate=False))
    assert result["changed"] is True
    assert "1 B" in dest.read_text()


@responses.activate
def test_check_mode_writes_no_chart_but_tells_whether_it_would(monkeypatch, tmp_path):
    responses.get(URL + "/statistics/app/" + APP, json=entries(5))
    dest = tmp_path / "mau.svg"
    result = run(monkeypatch, check_mode=True, **chart_args(dest))
    assert result["changed"] is True
    assert not os.path.exists(str(dest))
    assert len(result["statistics"]) == 5

    run(monkeypatch, **chart_args(dest))
    result = run(monkeypatch, check_mode=True, **chart_args(dest))
    assert result["changed"] is False


@responses.activate
def test_org_chart_title_names_the_organization(monkeypatch, tmp_path):
    responses.get(URL + "/statistics/org/" + ORG, json=entries(3))
    responses.get(URL + "/organization", match=[matchers.query_param_matcher({"orgId": ORG})],
                  json=dict(org(1), name="Demo org"))
    dest = tmp_path / "storage.svg"
    run(monkeypatch, **chart_args(dest, app_id=None, org_id=ORG, graph="storage"))
    title = ET.parse(str(dest)).getroot().find(SVG + "title").text
    assert title == "Storage \u2014 organization Demo org"
