"""/apikey (capgo-api.md §2.1)."""

import copy
import hashlib
import re
from datetime import datetime, timedelta, timezone

from emu_seed import (APP, APP2, APP_OUT_UUID, APP_UUID, DEFAULT_SEED, KEY_APIKEY_MANAGER,
                      KEY_APP_DEV, KEY_HASHED, KEY_MEMBER, KEY_NONE,
                      KEY_SUPER, ORG1, ORG2, SESSION_ADMIN, SESSION_DEV,
                      SESSION_MEMBER, SESSION_NOBODY)

PUBLIC_KEYS = {"id", "name", "user_id", "rbac_id", "created_at", "updated_at", "expires_at",
               "is_hashed_key", "global_permissions"}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ORG_SUPER = {"role_name": "org_super_admin", "scope_type": "org", "org_id": ORG1}


def err(resp):
    return resp.status_code, resp.json().get("error")


def future(days):
    return (datetime.now(timezone.utc) + timedelta(days=days)).isoformat()


def key_id(emu, name):
    return next(k["id"] for k in emu.state()["apikeys"] if k["name"] == name)


def create(emu, session=SESSION_ADMIN, **body):
    body.setdefault("name", "new key")
    body.setdefault("bindings", [ORG_SUPER])
    return emu.call("POST", "/apikey", key=session, json=body)


# ------------------------------------------------------------------ GET
def test_list_with_jwt_has_no_secrets(emu):
    r = emu.call("GET", "/apikey", key=SESSION_ADMIN)
    assert r.status_code == 200
    keys = r.json()
    names = [k["name"] for k in keys]
    assert "super" in names and "hashed" in names and "outsider" not in names
    for k in keys:
        assert set(k) == PUBLIC_KEYS
    assert KEY_SUPER not in r.text
    by_name = {k["name"]: k for k in keys}
    assert by_name["hashed"]["is_hashed_key"] is True
    assert by_name["super"]["is_hashed_key"] is False
    assert by_name["super"]["global_permissions"] == []


def test_list_with_key_needs_management(emu):
    assert emu.call("GET", "/apikey", key=KEY_SUPER).status_code == 200
    assert emu.call("GET", "/apikey", key=KEY_APIKEY_MANAGER).status_code == 200
    assert err(emu.call("GET", "/apikey", key=KEY_MEMBER)) == (401, "cannot_list_apikeys")
    assert err(emu.call("GET", "/apikey", key=KEY_APP_DEV)) == (401, "cannot_list_apikeys")


def test_list_with_key_only_manageable_keys(emu):
    # give admin a key bound to ORG2 as well: KEY_SUPER (ORG1 only) must not see it
    seed = copy.deepcopy(DEFAULT_SEED)
    seed["orgs"][1]["members"].append({"email": "admin@example.com", "role": "org_admin"})
    seed["apikeys"].append({"name": "org2-key", "user": "admin@example.com", "bindings": [
        {"role_name": "org_admin", "scope_type": "org", "org_id": ORG2}]})
    emu.reset(seed)
    names = [k["name"] for k in emu.call("GET", "/apikey", key=KEY_SUPER).json()]
    assert "org2-key" not in names and "app-dev" in names
    names = [k["name"] for k in emu.call("GET", "/apikey", key=SESSION_ADMIN).json()]
    assert "org2-key" in names


def test_get_one(emu):
    kid = key_id(emu, "super")
    r = emu.call("GET", "/apikey/%d" % kid, key=SESSION_ADMIN)
    assert r.status_code == 200 and set(r.json()) == PUBLIC_KEYS and r.json()["id"] == kid
    # by plain key value
    r = emu.call("GET", "/apikey/" + KEY_APP_DEV, key=SESSION_ADMIN)
    assert r.status_code == 200 and r.json()["name"] == "app-dev"
    # hashed keys cannot be looked up by value
    assert err(emu.call("GET", "/apikey/" + KEY_HASHED, key=SESSION_ADMIN)) == \
        (404, "failed_to_get_apikey")


def test_get_one_errors(emu):
    assert err(emu.call("GET", "/apikey/99999", key=SESSION_ADMIN)) == \
        (404, "failed_to_get_apikey")
    assert err(emu.call("GET", "/apikey/%d" % key_id(emu, "outsider"), key=SESSION_ADMIN)) == \
        (404, "failed_to_get_apikey")
    assert err(emu.call("GET", "/apikey/bad id!", key=SESSION_ADMIN)) == \
        (400, "invalid_id_format")
    assert err(emu.call("GET", "/apikey/short", key=SESSION_ADMIN)) == \
        (400, "invalid_id_format")
    assert err(emu.call("GET", "/apikey/1", key=KEY_MEMBER)) == (401, "cannot_get_apikey")


# ------------------------------------------------------------------ POST
def test_create_plain_key(emu):
    r = create(emu, name="ci")
    assert r.status_code == 200
    body = r.json()
    assert UUID_RE.match(body["key"]) and body["key_hash"] is None
    assert body["name"] == "ci" and body["global_permissions"] == []
    assert {"id", "rbac_id", "user_id", "created_at", "updated_at", "expires_at"} <= set(body)
    assert emu.call("GET", "/app/" + APP, key=body["key"]).status_code == 200
    listed = emu.call("GET", "/apikey/%d" % body["id"], key=SESSION_ADMIN).json()
    assert "key" not in listed and listed["is_hashed_key"] is False


def test_create_hashed_key(emu):
    r = create(emu, name="hashed ci", hashed=True)
    body = r.json()
    assert r.status_code == 200 and UUID_RE.match(body["key"])
    assert body["key_hash"] == hashlib.sha256(body["key"].encode()).hexdigest()
    assert emu.call("GET", "/apikey/%d" % body["id"], key=SESSION_ADMIN).json()[
        "is_hashed_key"] is True
    assert emu.call("GET", "/app/" + APP, key=body["key"]).status_code == 200
    assert body["key"] not in emu.call("GET", "/apikey", key=SESSION_ADMIN).text


def test_create_not_idempotent(emu):
    a = create(emu, name="same").json()
    b = create(emu, name="same").json()
    assert a["id"] != b["id"] and a["key"] != b["key"]


def test_api_keys_cannot_create_keys(emu):
    for key in (KEY_SUPER, KEY_APIKEY_MANAGER):
        r = emu.call("POST", "/apikey", key=key, json={"name": "x", "bindings": [ORG_SUPER]})
        assert err(r) == (400, "cannot_create_apikey")
        assert r.json()["message"] == "API keys cannot create other API keys"


def test_create_app_and_channel_bindings(emu):
    r = create(emu, name="app only", bindings=[
        {"role_name": "app_developer", "scope_type": "app", "org_id": ORG1, "app_id": APP_UUID}])
    key = r.json()["key"]
    assert emu.call("GET", "/app/" + APP, key=key).status_code == 200
    assert emu.call("GET", "/app/" + APP2, key=key).status_code == 401
    beta = next(c for c in emu.state()["channels"] if c["name"] == "beta")
    r = create(emu, name="chan", bindings=[
        {"role_name": "channel_admin", "scope_type": "channel", "org_id": ORG1,
         "app_id": APP_UUID, "channel_id": beta["id"]}])
    assert r.status_code == 200
    r = create(emu, name="chan str", bindings=[
        {"role_name": "channel_reader", "scope_type": "channel", "org_id": ORG1,
         "app_id": APP_UUID, "channel_id": str(beta["id"]), "reason": "ci"}])
    assert r.status_code == 200


def test_create_validation(emu):
    cases = [
        ({"bindings": [ORG_SUPER]}, "name_is_required"),
        ({"name": "", "bindings": [ORG_SUPER]}, "name_is_required"),
        ({"name": "x"}, "bindings_required"),
        ({"name": "x", "bindings": []}, "bindings_required"),
        ({"name": "x", "bindings": "org_admin"}, "invalid_bindings"),
        ({"name": "x", "bindings": [{"role_name": "owner", "scope_type": "org",
                                     "org_id": ORG1}]}, "invalid_bindings"),
        ({"name": "x", "bindings": [{"role_name": "app_admin", "scope_type": "org",
                                     "org_id": ORG1}]}, "invalid_bindings"),
        ({"name": "x", "bindings": [{"role_name": "app_admin", "scope_type": "app",
                                     "org_id": ORG1}]}, "invalid_bindings"),
        ({"name": "x", "bindings": [{"role_name": "app_admin", "scope_type": "app",
                                     "org_id": ORG1, "app_id": APP}]}, "invalid_bindings"),
        ({"name": "x", "bindings": [{"role_name": "org_admin", "scope_type": "org",
                                     "org_id": "Demo org"}]}, "invalid_bindings"),
        ({"name": "x", "bindings": [{"role_name": "apikey_org_reader", "scope_type": "org",
                                     "org_id": ORG1}]}, "invalid_bindings"),
        ({"name": "x", "bindings": [{"role_name": "channel_admin", "scope_type": "channel",
                                     "org_id": ORG1, "app_id": APP_UUID}]},
         "invalid_bindings"),
        ({"name": "x", "bindings": [ORG_SUPER], "expires_at": "2001-01-01T00:00:00Z"},
         "invalid_expiration_date"),
        ({"name": "x", "bindings": [ORG_SUPER], "expires_at": "tomorrow"},
         "invalid_expiration_date"),
        ({"name": "x", "bindings": [ORG_SUPER], "global_permissions": ["org.delete"]},
         "invalid_global_permissions"),
        ({"name": "x", "bindings": [{"role_name": "app_admin", "scope_type": "app",
                                     "org_id": ORG1, "app_id": APP_UUID}],
          "global_permissions": ["org.create"]}, "invalid_global_permissions"),
    ]
    for body, code in cases:
        assert err(emu.call("POST", "/apikey", key=SESSION_ADMIN, json=body)) == (400, code), body
    assert err(emu.call("POST", "/apikey", key=SESSION_ADMIN)) == (400, "invalid_json_parse_body")


def test_create_global_permission(emu):
    r = create(emu, name="creator", global_permissions=["org.create"])
    assert r.status_code == 200 and r.json()["global_permissions"] == ["org.create"]
    assert emu.call("POST", "/organization", key=r.json()["key"],
                    json={"name": "From key"}).status_code == 200


def test_create_forbidden_bindings(emu):
    r = create(emu, bindings=[{"role_name": "org_admin", "scope_type": "org", "org_id": ORG2}])
    assert err(r) == (403, "forbidden_binding")
    r = create(emu, session=SESSION_MEMBER,
               bindings=[{"role_name": "org_member", "scope_type": "org", "org_id": ORG1}])
    assert err(r) == (403, "forbidden_binding")
    # org_admin holds org.update_user_roles, so it may hand out privileged roles
    assert create(emu, session=SESSION_DEV).status_code == 200
    r = create(emu, bindings=[{"role_name": "app_admin", "scope_type": "app", "org_id": ORG1,
                               "app_id": APP_OUT_UUID}])
    assert err(r) == (404, "binding_failed")


def test_create_org_expiration_policy(emu):
    emu.call("PUT", "/organization", key=SESSION_ADMIN,
             json={"orgId": ORG1, "require_apikey_expiration": True,
                   "max_apikey_expiration_days": 30})
    assert err(create(emu)) == (400, "expiration_required")
    assert err(create(emu, expires_at=future(60))) == (400, "expiration_exceeds_max")
    r = create(emu, expires_at=future(10))
    assert r.status_code == 200 and r.json()["expires_at"]


def test_created_key_expires_on_emulator_clock(emu):
    key = create(emu, expires_at=future(1)).json()["key"]
    assert emu.call("GET", "/app/" + APP, key=key).status_code == 200
    emu.advance(2 * 86400)
    assert err(emu.call("GET", "/app/" + APP, key=key)) == (401, "invalid_apikey")


# ------------------------------------------------------------------ PUT
def test_update_name_and_expiry(emu):
    kid = key_id(emu, "app-dev")
    before = emu.call("GET", "/apikey/%d" % kid, key=SESSION_ADMIN).json()
    exp = future(5)
    r = emu.call("PUT", "/apikey/%d" % kid, key=SESSION_ADMIN,
                 json={"name": "renamed", "expires_at": exp})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == PUBLIC_KEYS and body["name"] == "renamed"
    assert body["expires_at"] and body["updated_at"] > before["updated_at"]
    r = emu.call("PUT", "/apikey/%d" % kid, key=SESSION_ADMIN, json={"expires_at": None})
    assert r.json()["expires_at"] is None
    # same values again: harmless re-write
    again = emu.call("PUT", "/apikey/%d" % kid, key=SESSION_ADMIN, json={"name": "renamed"})
    assert again.status_code == 200 and again.json()["updated_at"] > body["updated_at"]


def test_update_with_id_in_body(emu):
    kid = key_id(emu, "reader")
    r = emu.call("PUT", "/apikey", key=SESSION_ADMIN, json={"id": kid, "name": "body id"})
    assert r.status_code == 200 and r.json()["name"] == "body id"
    assert err(emu.call("PUT", "/apikey", key=SESSION_ADMIN, json={"name": "x"})) == \
        (400, "api_key_id_required")


def test_update_regenerate(emu):
    kid = key_id(emu, "app-dev")
    r = emu.call("PUT", "/apikey/%d" % kid, key=SESSION_ADMIN, json={"regenerate": True})
    assert r.status_code == 200
    body = r.json()
    assert UUID_RE.match(body["key"]) and body["key"] != KEY_APP_DEV
    assert body["is_hashed_key"] is False
    assert err(emu.call("GET", "/app/" + APP, key=KEY_APP_DEV)) == (401, "invalid_apikey")
    assert emu.call("GET", "/app/" + APP, key=body["key"]).status_code == 200


def test_update_regenerate_hashed(emu):
    kid = key_id(emu, "hashed")
    body = emu.call("PUT", "/apikey/%d" % kid, key=KEY_SUPER, json={"regenerate": True}).json()
    assert body["is_hashed_key"] is True
    assert body["key_hash"] == hashlib.sha256(body["key"].encode()).hexdigest()
    assert emu.call("GET", "/app/" + APP, key=body["key"]).status_code == 200
    assert emu.call("GET", "/app/" + APP, key=KEY_HASHED).status_code == 401


def test_update_bindings_replaces_all(emu):
    kid = key_id(emu, "app-dev")
    r = emu.call("PUT", "/apikey/%d" % kid, key=SESSION_ADMIN, json={"bindings": [
        {"role_name": "app_reader", "scope_type": "app", "org_id": ORG1,
         "app_id": "22222222-2222-4222-8222-222222222222"}]})
    assert r.status_code == 200
    assert emu.call("GET", "/app/" + APP, key=KEY_APP_DEV).status_code == 401
    assert emu.call("GET", "/app/" + APP2, key=KEY_APP_DEV).status_code == 200
    exported = next(k for k in emu.state()["apikeys"] if k["id"] == kid)
    assert exported["bindings"] == [{"role_name": "app_reader", "scope_type": "app",
                                     "org_id": ORG1, "app_id": APP2}]


def test_update_by_api_key(emu):
    kid = key_id(emu, "app-dev")
    r = emu.call("PUT", "/apikey/%d" % kid, key=KEY_SUPER, json={"name": "by key"})
    assert r.status_code == 200 and r.json()["name"] == "by key"
    # a key cannot update itself
    assert err(emu.call("PUT", "/apikey/%d" % key_id(emu, "super"), key=KEY_SUPER,
                        json={"name": "me"})) == (401, "cannot_update_apikey")
    assert err(emu.call("PUT", "/apikey/" + KEY_SUPER, key=KEY_SUPER,
                        json={"name": "me"})) == (401, "cannot_update_apikey")
    # keys cannot change bindings or global permissions
    assert err(emu.call("PUT", "/apikey/%d" % kid, key=KEY_SUPER,
                        json={"bindings": [ORG_SUPER]})) == (401, "cannot_update_apikey")
    assert err(emu.call("PUT", "/apikey/%d" % kid, key=KEY_SUPER,
                        json={"global_permissions": []})) == (401, "cannot_update_apikey")
    # keys without management
    assert err(emu.call("PUT", "/apikey/%d" % kid, key=KEY_MEMBER,
                        json={"name": "x"})) == (401, "cannot_update_apikey")


def test_update_validation(emu):
    kid = key_id(emu, "app-dev")
    path = "/apikey/%d" % kid
    cases = [
        ({}, (400, "invalid_json_parse_body")),
        ({"mode": "all", "limited_to_apps": []}, (400, "no_valid_fields_provided_for_update")),
        ({"name": 5}, (400, "name_must_be_a_string")),
        ({"regenerate": "yes"}, (400, "regenerate_must_be_boolean")),
        ({"bindings": []}, (400, "bindings_required")),
        ({"expires_at": "2000-01-01"}, (400, "invalid_expiration_date")),
        ({"bindings": [ORG_SUPER, ORG_SUPER]}, (409, "duplicate_binding")),
    ]
    for body, expected in cases:
        kwargs = {"json": body} if body else {}
        assert err(emu.call("PUT", path, key=SESSION_ADMIN, **kwargs)) == expected, body
    assert err(emu.call("PUT", "/apikey/99999", key=SESSION_ADMIN, json={"name": "x"})) == \
        (404, "api_key_not_found_or_access_denied")
    assert err(emu.call("PUT", "/apikey/%d" % key_id(emu, "outsider"), key=SESSION_ADMIN,
                        json={"name": "x"})) == (404, "api_key_not_found_or_access_denied")
    assert err(emu.call("PUT", "/apikey/bad id", key=SESSION_ADMIN, json={"name": "x"})) == \
        (400, "invalid_id_format")


def test_update_bindings_needs_update_user_roles(emu):
    seed = copy.deepcopy(DEFAULT_SEED)
    seed["apikeys"].append({"name": "members key", "user": "member@example.com", "bindings": [
        {"role_name": "org_member", "scope_type": "org", "org_id": ORG1}]})
    emu.reset(seed)
    kid = key_id(emu, "members key")
    r = emu.call("PUT", "/apikey/%d" % kid, key=SESSION_MEMBER, json={"bindings": [
        {"role_name": "org_member", "scope_type": "org", "org_id": ORG1}]})
    assert err(r) == (403, "forbidden_binding")
    assert emu.call("PUT", "/apikey/%d" % kid, key=SESSION_MEMBER,
                    json={"name": "ok"}).status_code == 200


def test_update_key_without_bindings(emu):
    kid = key_id(emu, "no-bindings")
    assert err(emu.call("PUT", "/apikey/%d" % kid, key=SESSION_NOBODY,
                        json={"name": "x"})) == (409, "apikey_missing_rbac_bindings")
    # the key itself authenticates but can do nothing
    assert emu.call("GET", "/app/" + APP, key=KEY_NONE).status_code == 401


def test_update_expiration_policy(emu):
    emu.call("PUT", "/organization", key=SESSION_ADMIN,
             json={"orgId": ORG1, "max_apikey_expiration_days": 7})
    kid = key_id(emu, "app-dev")
    assert err(emu.call("PUT", "/apikey/%d" % kid, key=SESSION_ADMIN,
                        json={"expires_at": future(30)})) == (400, "expiration_exceeds_max")
    assert emu.call("PUT", "/apikey/%d" % kid, key=SESSION_ADMIN,
                    json={"expires_at": future(3)}).status_code == 200


# ------------------------------------------------------------------ DELETE
def test_delete_by_id_not_idempotent(emu):
    kid = key_id(emu, "reader")
    r = emu.call("DELETE", "/apikey/%d" % kid, key=SESSION_ADMIN)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert err(emu.call("DELETE", "/apikey/%d" % kid, key=SESSION_ADMIN)) == \
        (404, "api_key_not_found")
    assert all(k["id"] != kid for k in emu.state()["apikeys"])


def test_delete_by_value_and_key_stops_working(emu):
    r = emu.call("DELETE", "/apikey/" + KEY_APP_DEV, key=KEY_SUPER)
    assert r.status_code == 200
    assert err(emu.call("GET", "/app/" + APP, key=KEY_APP_DEV)) == (401, "invalid_apikey")


def test_delete_errors(emu):
    assert err(emu.call("DELETE", "/apikey/%d" % key_id(emu, "super"), key=KEY_SUPER)) == \
        (401, "cannot_delete_apikey")
    assert err(emu.call("DELETE", "/apikey/" + KEY_SUPER, key=KEY_SUPER)) == \
        (401, "cannot_delete_apikey")
    assert err(emu.call("DELETE", "/apikey/%d" % key_id(emu, "app-dev"), key=KEY_MEMBER)) == \
        (401, "cannot_delete_apikey")
    assert err(emu.call("DELETE", "/apikey/x y", key=SESSION_ADMIN)) == \
        (400, "invalid_id_format")
    assert err(emu.call("DELETE", "/apikey/%d" % key_id(emu, "outsider"),
                        key=SESSION_ADMIN)) == (404, "api_key_not_found")
