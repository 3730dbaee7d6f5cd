"""/webhooks: CRUD, test delivery, deliveries list (capgo-api.md §2.8)."""

import copy

import pytest

from emu_seed import (DEFAULT_SEED, KEY_APP_ADMIN, KEY_CHANNEL_ADMIN, KEY_MEMBER, KEY_ORG_ADMIN,
                      KEY_OUTSIDER, KEY_SUPER, ORG1, ORG2, SESSION_ADMIN, SESSION_MEMBER)
from helpers import err

WEBHOOK_KEYS = {"id", "org_id", "name", "url", "enabled", "events", "delivery_version",
                "created_at", "updated_at", "created_by"}


def create(emu, key=KEY_SUPER, **extra):
    body = {"orgId": ORG1, "name": "ci hook", "url": "https://hooks.example.com/capgo",
            "events": ["apps", "channels"]}
    body.update(extra)
    return emu.call("POST", "/webhooks", key=key, json=body)


def hook_id(emu, **extra):
    r = create(emu, **extra)
    assert r.status_code == 201, r.text
    return r.json()["webhook"]["id"]


def test_create(emu):
    r = create(emu)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "Webhook created"
    w = body["webhook"]
    assert set(w) == WEBHOOK_KEYS | {"secret"}
    assert w["secret"].startswith("whsec_") and len(w["secret"]) > 10
    assert w["enabled"] is True and w["delivery_version"] == "legacy"
    assert w["events"] == ["apps", "channels"] and w["org_id"] == ORG1


def test_create_not_idempotent_and_list(emu):
    a = hook_id(emu, name="a")
    b = hook_id(emu, name="a")
    assert a != b
    r = emu.call("GET", "/webhooks", key=KEY_SUPER, params={"orgId": ORG1})
    assert r.status_code == 200
    rows = r.json()
    assert [w["id"] for w in rows] == [b, a]  # newest first
    assert all("secret" not in w for w in rows)


def test_get_one_with_stats(emu):
    wid = hook_id(emu)
    r = emu.call("GET", "/webhooks", key=KEY_SUPER, params={"orgId": ORG1, "webhookId": wid})
    assert r.status_code == 200
    w = r.json()
    assert "secret" not in w and w["stats_24h"] == {"success": 0, "failed": 0, "pending": 0}
    err(emu.call("GET", "/webhooks", key=KEY_SUPER,
                 params={"orgId": ORG1, "webhookId": "00000000-0000-4000-8000-000000000000"}),
        400, "webhook_not_found")


@pytest.mark.parametrize("url", [
    "http://localhost/x", "https://localhost:8443/x", "http://127.0.0.1/x", "http://10.1.2.3/",
    "http://192.168.0.10/", "http://172.16.5.4/", "http://169.254.169.254/latest",
    "http://[::1]/", "http://[fd00::1]/", "http://0.0.0.0/", "http://2130706433/",
    "http://app.localhost/", "http://intranet/", "ftp://hooks.example.com/",
    "https://100.64.1.1/",
])
def test_create_rejects_non_public_url(emu, url):
    err(create(emu, url=url), 400, "invalid_url")


@pytest.mark.parametrize("url", ["not a url", "", "https://", "hooks.example.com/x", 42, None])
def test_create_url_that_is_not_a_url_is_invalid_body(emu, url):
    # z.url() in the body schema: not a URL at all is invalid_body, before the permission check
    err(create(emu, url=url), 400, "invalid_body")
    err(create(emu, key=KEY_MEMBER, url=url), 400, "invalid_body")


@pytest.mark.parametrize("url", ["https://hooks.example.com/x", "https://hooks.example.com:8443/x"])
def test_create_accepts_public_url(emu, url):
    assert create(emu, url=url).status_code == 201


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "https://8.8.8.8/hook",
                                 "https://[2001:4860:4860::8888]/h"])
def test_create_refuses_plain_http_and_ip_literals(emu, url):
    # The live service requires https and a host name, even for public addresses.
    err(create(emu, url=url), 400, "invalid_url")


def test_create_validation(emu):
    body = err(create(emu, events=["bogus"]), 400, "invalid_events")
    assert "orgs" in body["message"]
    err(create(emu, events=["apps", "bogus"]), 400, "invalid_events")
    err(create(emu, deliveryVersion="v2"), 400, "invalid_delivery_version")
    err(create(emu, delivery_version="v3"), 400, "invalid_delivery_version")
    assert create(emu, deliveryVersion="standard").json()["webhook"]["delivery_version"] == "standard"
    assert create(emu, delivery_version="standard", enabled=False).json()["webhook"]["enabled"] is False
    err(create(emu, name=""), 400, "invalid_body")
    err(emu.call("POST", "/webhooks", key=KEY_SUPER), 400, "invalid_json_parse_body")


@pytest.mark.parametrize("change", [
    {"events": []}, {"events": "apps"}, {"events": None}, {"events": [1]}, {"name": ""},
    {"name": None}, {"enabled": "yes"}, {"orgId": 7}, {"deliveryVersion": 2},
])
def test_create_body_schema_comes_first(emu, change):
    # webhooks/post.ts: zod schema (invalid_body) before permissions and the finer rules
    for key in (KEY_SUPER, KEY_MEMBER, KEY_APP_ADMIN, KEY_OUTSIDER):
        err(create(emu, key=key, **change), 400, "invalid_body")


@pytest.mark.parametrize("field", ["events", "name", "url", "orgId"])
def test_create_missing_field_is_invalid_body(emu, field):
    body = {"orgId": ORG1, "name": "n", "url": "https://hooks.example.com/x", "events": ["apps"]}
    del body[field]
    err(emu.call("POST", "/webhooks", key=KEY_MEMBER, json=body), 400, "invalid_body")


def test_update_body_schema_comes_first(emu):
    wid = hook_id(emu)
    for change in ({"events": []}, {"name": ""}, {"url": "not a url"}, {"enabled": 1}):
        body = dict({"orgId": ORG1, "webhookId": wid}, **change)
        err(emu.call("PUT", "/webhooks", key=KEY_MEMBER, json=body), 400, "invalid_body")
        err(emu.call("PUT", "/webhooks", key=KEY_SUPER, json=body), 400, "invalid_body")
    err(emu.call("PUT", "/webhooks", key=KEY_MEMBER, json={"orgId": ORG1, "name": "x"}),
        400, "invalid_body")  # webhookId is required
    err(emu.call("PUT", "/webhooks", key=KEY_SUPER,
                 json={"orgId": ORG1, "webhookId": wid, "events": ["bogus"]}), 400, "invalid_events")
    # the finer rules come after the permission check
    err(emu.call("PUT", "/webhooks", key=KEY_MEMBER,
                 json={"orgId": ORG1, "webhookId": wid, "events": ["bogus"]}), 400, "no_permission")
    # the delivery version is checked before the webhook is looked up
    err(emu.call("PUT", "/webhooks", key=KEY_SUPER, json={
        "orgId": ORG1, "webhookId": "00000000-0000-4000-8000-000000000000",
        "deliveryVersion": "v9"}), 400, "invalid_delivery_version")


def test_other_routes_validate_the_body_first(emu):
    for method, path in (("DELETE", "/webhooks"), ("POST", "/webhooks/test"),
                         ("GET", "/webhooks/deliveries")):
        err(emu.call(method, path, key=KEY_MEMBER, json={"orgId": ORG1}), 400, "invalid_body")
    err(emu.call("POST", "/webhooks/deliveries/retry", key=KEY_MEMBER, json={"orgId": ORG1}),
        400, "invalid_body")
    err(emu.call("GET", "/webhooks", key=KEY_MEMBER, json={"orgId": ORG1, "page": "x"}),
        400, "invalid_body")


def test_get_another_orgs_webhook_is_not_found(emu):
    other = create(emu, key=KEY_OUTSIDER, orgId=ORG2).json()["webhook"]["id"]
    body = err(emu.call("GET", "/webhooks", key=KEY_SUPER, params={"orgId": ORG1, "webhookId": other}),
               400, "webhook_not_found")
    assert body["message"] == "Webhook not found"
    # PUT, DELETE and test keep no_permission for that case
    for method, path in (("PUT", "/webhooks"), ("DELETE", "/webhooks"), ("POST", "/webhooks/test")):
        err(emu.call(method, path, key=KEY_SUPER, json={"orgId": ORG1, "webhookId": other, "name": "x"}),
            400, "no_permission")


def test_session_without_rights_gets_no_permission(emu):
    # a JWT has no key chain: an org it cannot manage (or that does not exist) is no_permission
    err(create(emu, key=SESSION_MEMBER), 400, "no_permission")
    err(create(emu, key=SESSION_ADMIN, orgId=ORG2), 400, "no_permission")
    err(create(emu, key=SESSION_ADMIN, orgId="00000000-0000-4000-8000-000000000000"), 400, "no_permission")


def test_unknown_delivery_status_matches_nothing(emu):
    wid = hook_id(emu)
    r = emu.call("GET", "/webhooks/deliveries", key=KEY_SUPER,
                 params={"orgId": ORG1, "webhookId": wid, "status": "bogus"})
    assert r.status_code == 200 and r.json()["deliveries"] == []


def test_permissions(emu):
    err(create(emu, key=KEY_APP_ADMIN), 400, "no_permission")
    err(create(emu, key=KEY_CHANNEL_ADMIN), 400, "no_permission")
    err(create(emu, key=KEY_MEMBER), 400, "no_permission")
    err(create(emu, key=KEY_OUTSIDER), 400, "invalid_org_id")
    err(create(emu, orgId="00000000-0000-4000-8000-000000000000"), 400, "invalid_org_id")
    assert create(emu, key=KEY_ORG_ADMIN).status_code == 201
    assert create(emu, key="Bearer " + SESSION_ADMIN).status_code == 201
    err(create(emu, key=SESSION_MEMBER), 400, "no_permission")
    r = emu.call("GET", "/webhooks", key=KEY_APP_ADMIN, params={"orgId": ORG1})
    err(r, 400, "no_permission")


def test_expiring_key_policy(emu):
    seed = copy.deepcopy(DEFAULT_SEED)
    seed["orgs"][0]["require_apikey_expiration"] = True
    emu.reset(seed)
    err(create(emu), 401, "org_requires_expiring_key")
    assert create(emu, key=SESSION_ADMIN).status_code == 201


def test_update(emu):
    wid = hook_id(emu)
    r = emu.call("PUT", "/webhooks", key=KEY_SUPER, json={
        "orgId": ORG1, "webhookId": wid, "name": "renamed", "enabled": False,
        "events": ["orgs"], "deliveryVersion": "standard", "url": "https://other.example.org/h"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "Webhook updated" and "secret" not in body["webhook"]
    w = body["webhook"]
    assert (w["name"], w["enabled"], w["events"], w["delivery_version"], w["url"]) == (
        "renamed", False, ["orgs"], "standard", "https://other.example.org/h")
    err(emu.call("PUT", "/webhooks", key=KEY_SUPER, json={"orgId": ORG1, "webhookId": wid}), 400, "no_updates")
    err(emu.call("PUT", "/webhooks", key=KEY_SUPER, json={"orgId": ORG1, "webhookId": wid, "url": "http://10.0.0.1"}),
        400, "invalid_url")
    err(emu.call("PUT", "/webhooks", key=KEY_SUPER, json={
        "orgId": ORG1, "webhookId": "00000000-0000-4000-8000-000000000000", "name": "x"}), 400, "webhook_not_found")


def test_update_other_org_webhook(emu):
    other = create(emu, key=KEY_OUTSIDER, orgId=ORG2).json()["webhook"]["id"]
    err(emu.call("PUT", "/webhooks", key=KEY_SUPER, json={"orgId": ORG1, "webhookId": other, "name": "x"}),
        400, "no_permission")


def test_delete(emu):
    wid = hook_id(emu)
    r = emu.call("DELETE", "/webhooks", key=KEY_SUPER, params={"orgId": ORG1, "webhookId": wid})
    assert r.status_code == 200 and r.json() == {"status": "Webhook deleted", "webhookId": wid}
    err(emu.call("DELETE", "/webhooks", key=KEY_SUPER, json={"orgId": ORG1, "webhookId": wid}),
        400, "webhook_not_found")
    assert emu.call("GET", "/webhooks", key=KEY_SUPER, params={"orgId": ORG1}).json() == []


def test_test_delivery_and_deliveries(emu):
    wid = hook_id(emu)
    emu.clear_log()
    r = emu.call("POST", "/webhooks/test", key=KEY_SUPER, json={"orgId": ORG1, "webhookId": wid})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"success", "status", "duration_ms", "response_preview", "delivery_id", "message"}
    assert body["success"] is True and body["status"] == 200
    r = emu.call("GET", "/webhooks/deliveries", key=KEY_SUPER, params={"orgId": ORG1, "webhookId": wid})
    assert r.status_code == 200
    d = r.json()
    assert d["pagination"] == {"page": 0, "per_page": 50, "total": 1, "has_more": False}
    assert d["deliveries"][0]["id"] == body["delivery_id"] and d["deliveries"][0]["status"] == "success"
    w = emu.call("GET", "/webhooks", key=KEY_SUPER, params={"orgId": ORG1, "webhookId": wid}).json()
    assert w["stats_24h"]["success"] == 1
    r = emu.call("GET", "/webhooks/deliveries", key=KEY_SUPER,
                 params={"orgId": ORG1, "webhookId": wid, "status": "failed"})
    assert r.json()["deliveries"] == [] and r.json()["pagination"]["total"] == 0
    err(emu.call("POST", "/webhooks/deliveries/retry", key=KEY_SUPER,
                 json={"orgId": ORG1, "deliveryId": body["delivery_id"]}), 400, "delivery_not_failed")
    err(emu.call("POST", "/webhooks/test", key=KEY_SUPER,
                 json={"orgId": ORG1, "webhookId": "00000000-0000-4000-8000-000000000000"}), 400, "webhook_not_found")
    # only API calls are logged; the emulator made no outbound request
    assert [e["path"] for e in emu.requests_log()][:1] == ["/webhooks/test"]


def test_seeded_webhook(emu):
    seed = copy.deepcopy(DEFAULT_SEED)
    seed["webhooks"] = [{"org_id": ORG1, "name": "seeded", "url": "https://h.example.com",
                         "events": ["orgs"]}]
    emu.reset(seed)
    rows = emu.call("GET", "/webhooks", key=KEY_SUPER, params={"orgId": ORG1}).json()
    assert [w["name"] for w in rows] == ["seeded"] and "secret" not in rows[0]
