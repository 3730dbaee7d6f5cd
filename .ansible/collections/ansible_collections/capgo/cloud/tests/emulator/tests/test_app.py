"""/app (capgo-api.md §2.7) and the RBAC role table as seen through it (§1.5)."""

import pytest

from emu_seed import (APP, APP2, APP_OUT, APP_UUID, KEY_APP_ADMIN, KEY_APP_DEV,
                      KEY_CHANNEL_ADMIN, KEY_MEMBER, KEY_NONE, KEY_ORG_ADMIN, KEY_OUTSIDER,
                      KEY_READER, KEY_SUPER, KEY_UPLOADER, ORG1, ORG2, SESSION_ADMIN,
                      SESSION_MEMBER, SESSION_OUTSIDER)

APP_FIELDS = {
    "app_id", "id", "name", "icon_url", "owner_org", "user_id", "created_at", "updated_at",
    "last_version", "retention", "default_upload_channel", "transfer_history",
    "channel_device_count", "manifest_bundle_count", "expose_metadata", "allow_preview",
    "allow_device_custom_id", "need_onboarding", "existing_app", "ios_store_url",
    "android_store_url", "stats_updated_at", "stats_refresh_requested_at",
    "build_timeout_seconds", "build_timeout_updated_at", "block_provider_infra_requests",
    "rollout_channel_count", "rollout_paused_version_names", "created_from_onboarding",
    "onboarding_completed_at",
}


def err(resp):
    return resp.status_code, resp.json().get("error")


def ids(resp):
    assert resp.status_code == 200, resp.text
    return [a["app_id"] for a in resp.json()]


# ------------------------------------------------------------------ GET list
def test_list_by_key_scope(emu):
    assert ids(emu.call("GET", "/app", key=KEY_SUPER)) == [APP, APP2]
    assert ids(emu.call("GET", "/app", key=KEY_APP_DEV)) == [APP]
    assert ids(emu.call("GET", "/app", key=KEY_OUTSIDER)) == [APP_OUT]
    assert ids(emu.call("GET", "/app", key=KEY_MEMBER)) == []   # org_member: no app.read
    assert ids(emu.call("GET", "/app", key=KEY_NONE)) == []


def test_list_org_filter(emu):
    assert ids(emu.call("GET", "/app", key=KEY_SUPER, params={"org_id": ORG1})) == [APP, APP2]
    assert err(emu.call("GET", "/app", key=KEY_SUPER, params={"org_id": ORG2})) == \
        (400, "user_does_not_have_access_to_this_organization")
    # query only: a JSON body is ignored
    assert ids(emu.call("GET", "/app", key=KEY_SUPER, json={"org_id": ORG2})) == [APP, APP2]


def test_list_page_and_limit(emu):
    assert ids(emu.call("GET", "/app", key=KEY_SUPER, params={"limit": "1"})) == [APP]
    assert ids(emu.call("GET", "/app", key=KEY_SUPER, params={"limit": "1", "page": "1"})) == \
        [APP2]
    assert ids(emu.call("GET", "/app", key=KEY_SUPER, params={"page": "5"})) == []
    assert ids(emu.call("GET", "/app", key=KEY_SUPER, params={"limit": "abc"})) == [APP, APP2]


# ------------------------------------------------------------------ GET one
def test_get_one(emu):
    r = emu.call("GET", "/app/" + APP, key=KEY_SUPER)
    assert r.status_code == 200
    app = r.json()
    assert set(app) == APP_FIELDS
    assert app["id"] == APP_UUID and app["owner_org"] == ORG1 and app["retention"] == 2592000


def test_get_one_errors(emu):
    body = emu.call("GET", "/app/com.unknown.app", key=KEY_SUPER).json()
    assert body["error"] == "cannot_access_app"
    assert err(emu.call("GET", "/app/com.unknown.app", key=KEY_SUPER)) == \
        (401, "cannot_access_app")
    assert err(emu.call("GET", "/app/" + APP_OUT, key=KEY_SUPER)) == (401, "cannot_access_app")
    assert err(emu.call("GET", "/app/nodots", key=KEY_SUPER)) == (400, "invalid_app_id")
    assert err(emu.call("GET", "/app/-bad.id", key=KEY_SUPER)) == (400, "invalid_app_id")


# ------------------------------------------------------------------ RBAC matrix
ROLE_KEYS = {
    "org_super_admin": KEY_SUPER, "org_admin": KEY_ORG_ADMIN, "org_member": KEY_MEMBER,
    "app_admin": KEY_APP_ADMIN, "app_developer": KEY_APP_DEV, "app_uploader": KEY_UPLOADER,
    "app_reader": KEY_READER, "channel_admin": KEY_CHANNEL_ADMIN,
    "other_org_super_admin": KEY_OUTSIDER, "no_bindings": KEY_NONE,
}
CAN_READ = {"org_super_admin", "org_admin", "app_admin", "app_developer", "app_uploader",
            "app_reader"}
CAN_UPDATE = {"org_super_admin", "org_admin", "app_admin"}
CAN_DELETE = {"org_super_admin"}


@pytest.mark.parametrize("role", sorted(ROLE_KEYS))
def test_rbac_get(emu, role):
    r = emu.call("GET", "/app/" + APP, key=ROLE_KEYS[role])
    if role in CAN_READ:
        assert r.status_code == 200
    else:
        assert err(r) == (401, "cannot_access_app")


@pytest.mark.parametrize("role", sorted(ROLE_KEYS))
def test_rbac_put(emu, role):
    r = emu.call("PUT", "/app/" + APP, key=ROLE_KEYS[role], json={"name": "by " + role})
    if role in CAN_UPDATE:
        assert r.status_code == 200 and r.json()["name"] == "by " + role
    else:
        assert err(r) == (401, "cannot_access_app")


@pytest.mark.parametrize("role", sorted(ROLE_KEYS))
def test_rbac_delete(emu, role):
    r = emu.call("DELETE", "/app/" + APP, key=ROLE_KEYS[role])
    if role in CAN_DELETE:
        assert r.status_code == 200 and r.json() == {"status": "ok"}
    else:
        assert err(r) == (400, "cannot_delete_app")


# ------------------------------------------------------------------ POST
def test_create(emu):
    r = emu.call("POST", "/app", key=SESSION_ADMIN,
                 json={"app_id": "com.new.app", "name": "New", "owner_org": ORG1,
                       "icon": "https://cdn.example.com/icon.png", "existing_app": True})
    assert r.status_code == 200
    app = r.json()
    assert set(app) == APP_FIELDS
    assert app["app_id"] == "com.new.app" and app["owner_org"] == ORG1
    assert app["retention"] == 2592000 and app["default_upload_channel"] == "dev"
    assert app["icon_url"] == "https://cdn.example.com/icon.png" and app["existing_app"] is True
    assert emu.call("GET", "/app/com.new.app", key=KEY_SUPER).json()["id"] == app["id"]


def test_create_with_api_key_headers_and_query(emu):
    assert emu.call("POST", "/app", key=KEY_SUPER, header="x-api-key",
                    json={"app_id": "com.k.a", "name": "K", "owner_org": ORG1}).status_code == 200
    assert emu.call("POST", "/app", key=KEY_SUPER,
                    params={"app_id": "com.k.b", "name": "Q",
                            "owner_org": ORG1}).status_code == 200


def test_create_duplicate_409(emu):
    for app_id in (APP, APP_OUT):
        r = emu.call("POST", "/app", key=KEY_SUPER,
                     json={"app_id": app_id, "name": "Dup", "owner_org": ORG1})
        assert err(r) == (409, "app_id_already_exists")
        assert r.json()["moreInfo"]["app_id"] == app_id
        assert "constraint" in r.json()["moreInfo"] and "detail" in r.json()["moreInfo"]


def test_create_validation(emu):
    cases = [
        ({"name": "x", "owner_org": ORG1}, "missing_app_id"),
        ({"app_id": "invalid", "name": "x", "owner_org": ORG1}, "invalid_app_id"),
        ({"app_id": "com.x.y", "owner_org": ORG1}, "missing_name"),
        ({"app_id": "com.x.y", "name": "x"}, "missing_owner_org"),
    ]
    for body, code in cases:
        assert err(emu.call("POST", "/app", key=KEY_SUPER, json=body)) == (400, code), body
    assert err(emu.call("POST", "/app", key=KEY_SUPER)) == (400, "invalid_json_parse_body")


def test_create_permission(emu):
    body = {"app_id": "com.perm.app", "name": "x", "owner_org": ORG1}
    for key in (SESSION_OUTSIDER, KEY_OUTSIDER, KEY_APP_ADMIN, KEY_NONE):
        assert err(emu.call("POST", "/app", key=key, json=body)) == \
            (403, "cannot_access_organization"), key
    body["owner_org"] = "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"
    assert err(emu.call("POST", "/app", key=KEY_SUPER, json=body)) == \
        (403, "cannot_access_organization")
    # org_member holds org.create_app
    body["owner_org"] = ORG1
    assert emu.call("POST", "/app", key=KEY_MEMBER, json=body).status_code == 200
    assert emu.call("POST", "/app", key=SESSION_MEMBER,
                    json=dict(body, app_id="com.perm.two")).status_code == 200


# ------------------------------------------------------------------ PUT
def test_update_partial(emu):
    r = emu.call("PUT", "/app/" + APP, key=KEY_SUPER,
                 json={"retention": 86400, "expose_metadata": True, "ios_store_url": None})
    assert r.status_code == 200
    app = r.json()
    assert app["retention"] == 86400 and app["expose_metadata"] is True
    assert app["name"] == "Demo app"  # absent fields unchanged
    r = emu.call("PUT", "/app/" + APP, key=KEY_SUPER, params={"name": "From query"})
    assert r.status_code == 200 and r.json()["name"] == "From query"
    assert r.json()["retention"] == 86400


def test_update_retention_bounds(emu):
    assert err(emu.call("PUT", "/app/" + APP, key=KEY_SUPER, json={"retention": 63113904})) == \
        (400, "retention_to_big")
    assert err(emu.call("PUT", "/app/" + APP, key=KEY_SUPER, json={"retention": -1})) == \
        (400, "retention_to_small")
    assert emu.call("PUT", "/app/" + APP, key=KEY_SUPER,
                    json={"retention": 63113903}).status_code == 200
    assert emu.call("PUT", "/app/" + APP, key=KEY_SUPER, json={"retention": 0}).status_code == 200


def test_update_errors(emu):
    assert err(emu.call("PUT", "/app/" + APP, key=KEY_SUPER)) == (400, "invalid_json_parse_body")
    assert err(emu.call("PUT", "/app/com.unknown.app", key=KEY_SUPER, json={"name": "x"})) == \
        (401, "cannot_access_app")


@pytest.mark.parametrize("body", [{"owner_org": ORG1}, {"app_id": "com.other.id"},
                                  {"unknown": 1}, {"name": None}])
def test_update_without_an_updatable_field(emu, body):
    # app/put.ts updates nothing and `.single()` fails (tests/app-error-cases.test.ts)
    before = emu.call("GET", "/app/" + APP, key=KEY_SUPER).json()
    assert err(emu.call("PUT", "/app/" + APP, key=KEY_SUPER, json=body)) == \
        (400, "cannot_update_app")
    assert emu.call("GET", "/app/" + APP, key=KEY_SUPER).json() == before
    # the permission is still checked first
    assert err(emu.call("PUT", "/app/" + APP, key=KEY_READER, json=body)) == \
        (401, "cannot_access_app")


# ------------------------------------------------------------------ DELETE
def test_delete_cascades_and_not_idempotent(emu):
    r = emu.call("DELETE", "/app/" + APP, key=KEY_SUPER)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    state = emu.state()
    assert APP not in [a["app_id"] for a in state["apps"]]
    for table in ("bundles", "channels", "devices", "device_overrides", "stats"):
        assert all(row["app_id"] != APP for row in state[table]), table
    dev = next(k for k in state["apikeys"] if k["key"] == KEY_APP_DEV)
    assert dev["bindings"] == []
    assert err(emu.call("DELETE", "/app/" + APP, key=KEY_SUPER)) == (400, "cannot_delete_app")
    assert err(emu.call("GET", "/app/" + APP, key=KEY_SUPER)) == (401, "cannot_access_app")
    # the app id is free again
    assert emu.call("POST", "/app", key=KEY_SUPER,
                    json={"app_id": APP, "name": "Again", "owner_org": ORG1}).status_code == 200
