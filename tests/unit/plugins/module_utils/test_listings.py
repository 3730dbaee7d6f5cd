# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Listings through the declarations: ``list_all`` gives exactly the state ``read()`` gives, and
one Engine with one client converges many resources of several kinds with one listing per
kind and scope (``Engine.prefer_listings``)."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from ansible_collections.capgo.cloud.plugins.module_utils._ansible import connection_argument_spec
from ansible_collections.capgo.cloud.plugins.module_utils._apikey import ApiKey
from ansible_collections.capgo.cloud.plugins.module_utils._app import App
from ansible_collections.capgo.cloud.plugins.module_utils._bundle import Bundle
from ansible_collections.capgo.cloud.plugins.module_utils._channel import Channel
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoClient
from ansible_collections.capgo.cloud.plugins.module_utils._device import Device
from ansible_collections.capgo.cloud.plugins.module_utils._engine import Engine
from ansible_collections.capgo.cloud.plugins.module_utils._member import Member
from ansible_collections.capgo.cloud.plugins.module_utils._organization import Organization
from ansible_collections.capgo.cloud.plugins.module_utils._webhook import Webhook

URL = "https://capgo.test"
KEY = "11111111-2222-3333-4444-555555555555"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
APP = "com.demo.app"
APP2 = "com.demo.other"
HOOK = "7d3c1a52-51b5-4c39-9d6f-2b9f1b0c0a01"
DEV = "00000000-0000-0000-0000-0000000000aa"
DEV2 = "00000000-0000-0000-0000-0000000000bb"
NEVER_SEEN = "00000000-0000-0000-0000-0000000000cc"


def new_engine():
    client = CapgoClient(api_key=KEY, api_url=URL, timeout=5, retries=0)
    return Engine(client)


def params_of(cls, **given):
    """Every option of ``cls`` with its default (what AnsibleModule would hand over), then ``given``."""
    spec = connection_argument_spec()
    spec.update(cls.argument_spec)
    params = {name: option.get("default") for name, option in spec.items()}
    params.update(api_key=KEY, api_url=URL, retries=0)
    params.update(given)
    return params


def query(request):
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def reply(body, status=200):
    return (status, {"Content-Type": "application/json"}, json.dumps(body))


def route(method, path, handler):
    responses.add_callback(method, URL + path, callback=handler)


def gets(path):
    """The GET requests sent to ``path``, as their query parameters."""
    return [query(c.request) for c in responses.calls
            if c.request.method == "GET" and urlsplit(c.request.url).path == path]


def writes():
    return [(c.request.method, urlsplit(c.request.url).path) for c in responses.calls
            if c.request.method in ("POST", "PUT", "PATCH", "DELETE")]


def same_state(cls, **given):
    """(``read()``'s state, the state found in ``list_all``'s listing) of one resource."""
    read = cls(new_engine(), params_of(cls, **given)).read()
    engine = new_engine()
    engine.prefer_listings = True
    listed = cls(engine, params_of(cls, **given)).current()
    return read, listed


# -- API objects (the list and the single GET return the same objects) -----------------

ORGANIZATION = {"id": ORG, "created_by": "u1", "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-02T00:00:00Z", "logo": None, "name": "Demo org",
                "management_email": "ops@example.com", "customer_id": None, "website": "https://example.com"}
MEMBERS = [
    {"uid": "u2", "email": "dev@example.com", "image_url": "", "role": "app_developer", "is_tmp": False},
    {"uid": "u2", "email": "Dev@example.com", "image_url": "", "role": "org_admin", "is_tmp": False},
    {"uid": "u1", "email": "boss@example.com", "image_url": "", "role": "org_super_admin", "is_tmp": False},
]
WEBHOOK = {"id": HOOK, "org_id": ORG, "name": "audit", "url": "https://hooks.example.com/x", "enabled": True,
           "events": ["apps"], "delivery_version": "standard", "created_at": "2026-01-01T00:00:00Z",
           "updated_at": "2026-01-01T00:00:00Z", "created_by": "u1"}
APIKEY = {"id": 12, "name": "ci", "user_id": "u1", "rbac_id": "r1", "created_at": "2026-01-01T00:00:00Z",
          "updated_at": "2026-01-01T00:00:00Z", "expires_at": "2027-01-31 18:00:00+00", "is_hashed_key": True,
          "global_permissions": []}


def app_row(app_id, name="Demo", **over):
    row = {"app_id": app_id, "id": "a-" + app_id, "name": name, "icon_url": "", "owner_org": ORG, "user_id": "u1",
           "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "retention": 2592000,
           "default_upload_channel": "dev", "expose_metadata": False, "allow_device_custom_id": True,
           "block_provider_infra_requests": False, "ios_store_url": None, "android_store_url": None}
    row.update(over)
    return row


def channel_obj(app_id, ident, name, **over):
    data = {"id": ident, "name": name, "app_id": app_id, "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-02T00:00:00Z", "created_by": "u1", "public": False,
            "disableAutoUpdateUnderNative": True, "disableAutoUpdate": "major", "allow_device_self_set": False,
            "allow_emulator": True, "allow_device": True, "allow_dev": True, "allow_prod": True,
            "version": {"name": "1.0.3", "id": 3}, "rollout_version": 2,
            "rollout_version_info": {"name": "1.0.2", "id": 2}, "rolloutPercentageBps": 2550,
            "rolloutEnabled": True, "rolloutPausedAt": None, "rolloutPauseReason": None,
            "rolloutCacheTtlSeconds": 600, "autoPauseEnabled": True, "autoPauseWindowMinutes": 60,
            "autoPauseFailureRateBps": 500, "autoPauseConfidence": 0.95, "autoPauseMinAttempts": 10,
            "autoPauseMinFailures": 2, "autoPauseAction": "pause", "autoPauseCooldownMinutes": 60,
            "autoPauseLastTriggeredAt": None, "autoPauseLastCheckedAt": "2026-11-02T00:00:00Z"}
    data.update(over)
    return data


def device_obj(device_id, channel=None, **over):
    data = {"updated_at": "2026-11-02T00:00:00Z", "device_id": device_id, "custom_id": "", "is_prod": True,
            "is_emulator": False, "install_source": None, "version_name": "1.0.0", "version": 11, "app_id": APP,
            "platform": "ios", "plugin_version": "6.0.0", "os_version": "17.0", "version_build": "1.0",
            "key_id": None, "country_code": None}
    if channel is not None:
        data["channel"] = channel
    data.update(over)
    return data


BUNDLES = [
    {"id": 5, "app_id": APP, "name": "1.0.5", "created_at": "2026-11-05T00:00:00Z", "updated_at": None,
     "deleted": False, "external_url": "https://cdn.example.com/1.0.5.zip", "checksum": "c5", "session_key": None,
     "key_id": None, "storage_provider": "external", "min_update_version": None, "native_packages": None,
     "owner_org": ORG, "user_id": "u1", "link": None, "comment": "five", "manifest_count": 0, "cli_version": None},
    {"id": 4, "app_id": APP, "name": "1.0.4", "created_at": "2026-11-04T00:00:00Z", "updated_at": None,
     "deleted": False, "external_url": "https://cdn.example.com/1.0.4.zip", "checksum": "c4",
     "session_key": "iv:key", "key_id": "k", "storage_provider": "external", "min_update_version": None,
     "native_packages": None, "owner_org": ORG, "user_id": "u1", "link": "https://x", "comment": None,
     "manifest_count": 0, "cli_version": "7.0.0"},
]


# -- list_all's state is read()'s state ----------------------------------------------------

@responses.activate
@pytest.mark.parametrize("given", [{"org_id": ORG}, {"name": "Demo org"}])
def test_organization_listed_as_read(given):
    def organization(request):
        if query(request).get("orgId"):
            return reply(ORGANIZATION)
        return reply([ORGANIZATION, dict(ORGANIZATION, id="5d2f1c1e-0000-4000-8000-000000000001", name="Other")])
    route("GET", "/organization", organization)
    read, listed = same_state(Organization, **given)
    assert read is not None and listed == read
    assert listed["org_id"] == ORG


@responses.activate
def test_members_listed_as_read_one_state_per_person():
    route("GET", "/organization/members", lambda request: reply(MEMBERS))
    read, listed = same_state(Member, org_id=ORG, email="dev@example.com")
    assert listed == read and read["role"] == "org_admin"  # the organization role wins over the app role
    states = Member.list_all(Member(new_engine(), params_of(Member, org_id=ORG, email="x@example.com")),
                             {"org_id": ORG})
    assert sorted(s["email"].lower() for s in states) == ["boss@example.com", "dev@example.com"]
    assert len(gets("/organization/members")) == 3  # one request per read, one per listing


@responses.activate
@pytest.mark.parametrize("given", [{"name": "audit"}, {"name": "audit", "id": HOOK}])
def test_webhooks_listed_as_read(given):
    def webhooks(request):
        if query(request).get("webhookId"):
            return reply(WEBHOOK)
        return reply([WEBHOOK, dict(WEBHOOK, id="7d3c1a52-51b5-4c39-9d6f-2b9f1b0c0a02", name="other")])
    route("GET", "/webhooks", webhooks)
    read, listed = same_state(Webhook, org_id=ORG, **given)
    assert read is not None and listed == read


@responses.activate
@pytest.mark.parametrize("given", [{"name": "ci"}, {"id": 12}])
def test_apikeys_listed_as_read(given):
    responses.get(URL + "/apikey/12", json=APIKEY)
    responses.get(URL + "/apikey", json=[APIKEY, dict(APIKEY, id=13, name="other")])
    read, listed = same_state(ApiKey, **given)
    assert read is not None and listed == read
    assert read["expires_at"] == "2027-01-31T18:00:00Z"


@responses.activate
def test_apps_listed_as_read():
    responses.get(URL + "/app/" + APP, json=app_row(APP, retention=129600))
    responses.get(URL + "/app", json=[app_row(APP, retention=129600), app_row(APP2)])
    read, listed = same_state(App, app_id=APP)
    assert read is not None and listed == read and read["retention_days"] == 1.5
    assert gets("/app") == [{"limit": "100", "page": "0"}]


@responses.activate
def test_channels_listed_as_read():
    beta = channel_obj(APP, 7, "beta")

    def channels(request):
        if query(request).get("channel"):
            return reply(beta)
        return reply([channel_obj(APP, 6, "production"), beta])
    route("GET", "/channel", channels)
    read, listed = same_state(Channel, app_id=APP, channel="beta")
    assert read is not None and listed == read
    assert read["rollout"]["percentage"] == 25.5 and read["auto_pause"]["failure_rate_bps"] == 500


@responses.activate
@pytest.mark.parametrize("version", ["1.0.4", "1.0.5"])
def test_bundles_listed_as_read(version):
    responses.get(URL + "/bundle", json=BUNDLES)
    read, listed = same_state(Bundle, app_id=APP, version=version)
    assert read is not None and listed == read


@responses.activate
def test_bundles_of_an_unknown_app_fail_in_a_listing_as_in_a_read():
    responses.get(URL + "/bundle", status=400, json={"error": "cannot_get_bundle", "message": "Cannot get bundle"})
    responses.get(URL + "/channel", status=400, json={"error": "cannot_access_app", "message": "No access"})
    engine = new_engine()
    with pytest.raises(Exception, match="cannot_access_app"):
        Bundle.list_all(Bundle(engine, params_of(Bundle, app_id=APP, version="1.0.0")), {"app_id": APP})


@responses.activate
@pytest.mark.parametrize("device_id", [DEV, DEV2.upper(), NEVER_SEEN])
def test_devices_listed_as_read(device_id):
    known = {DEV: device_obj(DEV, channel="qa"), DEV2: device_obj(DEV2)}

    def devices(request):
        wanted = query(request).get("device_id")
        if wanted is None:
            return reply({"data": list(known.values()), "hasMore": False})
        if wanted in known:
            return reply(known[wanted])
        return reply({"error": "device_not_found", "message": "Device not found"}, 404)
    route("GET", "/device", devices)
    read, listed = same_state(Device, app_id=APP, device_id=device_id, channel="qa")
    assert listed == read
    assert read["seen"] is (device_id != NEVER_SEEN)
    assert [q for q in gets("/device") if "device_id" not in q] == [{"app_id": APP, "limit": "1000"}]


# -- many resources, one engine, one client -------------------------------------------------

class FakeCapgo:
    """Two apps, three channels, two devices; answers reads and records writes."""

    def __init__(self):
        self.apps = {APP: app_row(APP), APP2: app_row(APP2, name="Old name")}
        self.channels = {APP: [channel_obj(APP, 1, "production"), channel_obj(APP, 2, "qa", public=False)],
                         APP2: [channel_obj(APP2, 3, "production")]}
        self.devices = {DEV: device_obj(DEV, channel="qa"), DEV2: device_obj(DEV2)}
        route("GET", "/app", lambda r: reply(list(self.apps.values())))
        for app_id in self.apps:
            route("GET", "/app/" + app_id, lambda r, a=app_id: reply(self.apps[a]))
        route("PUT", "/app/" + APP2, self.put_app)
        route("GET", "/channel", self.get_channel)
        route("POST", "/channel", self.post_channel)
        route("GET", "/device", self.get_device)
        route("POST", "/device", self.post_device)

    def put_app(self, request):
        self.apps[APP2].update(json.loads(request.body))
        return reply(self.apps[APP2])

    def get_channel(self, request):
        q = query(request)
        rows = self.channels[q["app_id"]]
        if "channel" not in q:
            return reply(rows)
        hit = [c for c in rows if c["name"] == q["channel"]]
        return reply(hit[0]) if hit else reply({"error": "cannot_find_version", "message": "Not found"}, 400)

    def post_channel(self, request):
        body = json.loads(request.body)
        app_id, name = body.pop("app_id"), body.pop("channel")
        row = [c for c in self.channels[app_id] if c["name"] == name][0]
        row.update(body)
        return reply({"status": "ok"})

    def get_device(self, request):
        q = query(request)
        if "device_id" not in q:
            return reply({"data": list(self.devices.values()), "hasMore": False})
        return reply(self.devices[q["device_id"]])

    def post_device(self, request):
        body = json.loads(request.body)
        self.devices[body["device_id"]]["channel"] = body["channel"]
        return reply({"status": "ok"})


ITEMS = [
    (App, {"app_id": APP, "name": "Demo", "owner_org": ORG}),
    (App, {"app_id": APP2, "name": "New name"}),
    (Channel, {"app_id": APP, "channel": "production", "allow_dev": True}),
    (Channel, {"app_id": APP, "channel": "qa", "allow_dev": False}),
    (Channel, {"app_id": APP2, "channel": "production", "public": False}),
    (Device, {"app_id": APP, "device_id": DEV, "channel": "qa"}),
    (Device, {"app_id": APP, "device_id": DEV2, "channel": "qa"}),
]


def converge(check_mode=False):
    """Run every item through one Engine; returns (requests sent through its one session, results)."""
    engine = Engine(CapgoClient(api_key=KEY, api_url=URL, timeout=5, retries=0), check_mode=check_mode)
    engine.prefer_listings = True
    session = engine.client.session
    sent = []
    send = session.request

    def counted(method, url, **kwargs):
        sent.append((method, url))
        return send(method, url, **kwargs)
    session.request = counted
    return sent, [engine.run(cls, params_of(cls, **given)) for cls, given in ITEMS]


def listings():
    """(path, scope) of every listing request: a GET without the one-object parameter."""
    out = []
    for call in responses.calls:
        path, q = urlsplit(call.request.url).path, query(call.request)
        if call.request.method == "GET" and path in ("/app", "/channel", "/device") and not (
                "channel" in q or "device_id" in q):
            out.append((path, q.get("app_id")))
    return sorted(out, key=str)


@responses.activate
def test_one_engine_one_client_converges_many_resources_with_one_listing_per_kind_and_scope():
    FakeCapgo()
    sent, results = converge()
    assert [r["changed"] for r in results] == [False, True, False, True, False, False, True]
    assert listings() == sorted([("/app", None), ("/channel", APP), ("/channel", APP2), ("/device", APP)], key=str)
    assert writes() == [("PUT", "/app/" + APP2), ("POST", "/channel"), ("POST", "/device")]
    # every request of the run went through the engine's one client and its one HTTP session
    assert len(sent) == len(responses.calls)
    assert results[1]["app"]["name"] == "New name" and results[3]["channel"]["allow_dev"] is False
    assert results[6]["device"]["channel"] == "qa"

    # a second run is converged: the four listings and nothing else
    responses.calls.reset()
    sent, results = converge()
    assert not any(r["changed"] for r in results)
    assert writes() == []
    assert len(sent) == len(responses.calls) == 4 and len(listings()) == 4


@responses.activate
def test_many_resources_in_check_mode_predict_the_same_changes_without_writing():
    FakeCapgo()
    engine, results = converge(check_mode=True)
    assert [r["changed"] for r in results] == [False, True, False, True, False, False, True]
    assert writes() == []
