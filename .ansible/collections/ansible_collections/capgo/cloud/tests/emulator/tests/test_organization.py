"""/organization, /organization/members, /organization/audit (capgo-api.md §2.2)."""

import copy

import pytest

from emu_seed import (ADMIN, DEFAULT_SEED, DEV, KEY_APP_DEV, KEY_MEMBER,
                      KEY_ORG_ADMIN, KEY_OUTSIDER, KEY_SUPER, MEMBER, NOBODY, ORG1, ORG2,
                      OUTSIDER, PENDING, SESSION_ADMIN, SESSION_DEV, SESSION_MEMBER)

ORG_KEYS = {"id", "created_by", "created_at", "updated_at", "logo", "name",
            "management_email", "customer_id", "website"}
UNKNOWN_ORG = "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"


def err(resp):
    return resp.status_code, resp.json().get("error")


# ------------------------------------------------------------------ GET
def test_get_one(emu):
    r = emu.call("GET", "/organization", key=KEY_SUPER, params={"orgId": ORG1})
    assert r.status_code == 200
    org = r.json()
    assert set(org) == ORG_KEYS
    assert org["id"] == ORG1 and org["name"] == "Demo org" and org["management_email"] == ADMIN


def test_get_one_no_access_or_missing(emu):
    assert err(emu.call("GET", "/organization", key=KEY_SUPER, params={"orgId": ORG2})) == \
        (400, "invalid_org_id")
    assert err(emu.call("GET", "/organization", key=KEY_SUPER,
                        params={"orgId": UNKNOWN_ORG})) == (400, "invalid_org_id")


def test_get_list_visible_orgs(emu):
    names = [o["name"] for o in emu.call("GET", "/organization", key=KEY_SUPER).json()]
    assert names == ["Demo org"]
    names = [o["name"] for o in emu.call("GET", "/organization", key=KEY_OUTSIDER).json()]
    assert names == ["Other org"]
    # an app-scoped key sees the org of its app
    orgs = emu.call("GET", "/organization", key=KEY_APP_DEV).json()
    assert [o["id"] for o in orgs] == [ORG1]


def test_get_list_page_json_number_only(emu):
    assert err(emu.call("GET", "/organization", key=KEY_SUPER, params={"page": "0"})) == \
        (400, "invalid_body")
    assert err(emu.call("GET", "/organization", key=KEY_SUPER, json={"page": "1"})) == \
        (400, "invalid_body")
    assert len(emu.call("GET", "/organization", key=KEY_SUPER, json={"page": 0}).json()) == 1
    assert emu.call("GET", "/organization", key=KEY_SUPER, json={"page": 1}).json() == []


def test_get_list_pagination_50(emu):
    for i in range(55):
        assert emu.call("POST", "/organization", key=SESSION_ADMIN,
                        json={"name": "Org %02d" % i}).status_code == 200
    # GET /organization is middlewareKey: bind the super key to every org of admin
    seed = emu.state()
    key = next(k for k in seed["apikeys"] if k["name"] == "super")
    key["bindings"] = [{"role_name": "org_super_admin", "scope_type": "org", "org_id": o["id"]}
                       for o in seed["orgs"] if o["created_by"] == ADMIN]
    emu.reset(seed)
    page0 = emu.call("GET", "/organization", key=KEY_SUPER).json()
    page1 = emu.call("GET", "/organization", key=KEY_SUPER, json={"page": 1}).json()
    assert len(page0) == 50 and len(page1) == 6
    assert not {o["id"] for o in page0} & {o["id"] for o in page1}


def test_get_one_expiration_policy(emu):
    r = emu.call("PUT", "/organization", key=SESSION_ADMIN,
                 json={"orgId": ORG1, "require_apikey_expiration": True})
    assert r.status_code == 200
    assert err(emu.call("GET", "/organization", key=KEY_SUPER, params={"orgId": ORG1})) == \
        (401, "org_requires_expiring_key")
    assert err(emu.call("GET", "/organization/members", key=KEY_SUPER,
                        params={"orgId": ORG1})) == (401, "org_requires_expiring_key")


# ------------------------------------------------------------------ POST
def test_post_creates_org_names_not_unique(emu):
    r1 = emu.call("POST", "/organization", key=SESSION_ADMIN, json={"name": "Dup org"})
    r2 = emu.call("POST", "/organization", key=SESSION_ADMIN, json={"name": "Dup org"})
    assert r1.status_code == r2.status_code == 200
    assert set(r1.json()) == {"id"} and r1.json()["id"] != r2.json()["id"]
    orgs = [o for o in emu.state()["orgs"] if o["name"] == "Dup org"]
    assert len(orgs) == 2
    assert orgs[0]["management_email"] == ADMIN
    assert {"email": ADMIN, "role": "org_super_admin"}.items() <= orgs[0]["members"][0].items()


def test_post_json_or_query(emu):
    r = emu.call("POST", "/organization", key=SESSION_ADMIN,
                 params={"name": "Query org", "email": "billing@example.com"})
    assert r.status_code == 200
    org = next(o for o in emu.state()["orgs"] if o["id"] == r.json()["id"])
    assert org["management_email"] == "billing@example.com"


def test_post_validation(emu):
    for body in ({"name": "ab"}, {}, {"name": 123}, {"name": "Good", "email": "nope"},
                 {"name": "Good", "estimatedMau": -1}, {"name": "Good", "estimatedMau": "5"},
                 {"name": "Good", "website": "ftp://example.com"},
                 {"name": "Good", "intent": "maybe"}):
        r = emu.call("POST", "/organization", key=SESSION_ADMIN, json=body)
        expected = "invalid_json_parse_body" if body == {} else "invalid_body"
        assert err(r) == (400, expected), body


def test_post_website_normalized(emu):
    r = emu.call("POST", "/organization", key=SESSION_ADMIN,
                 json={"name": "Web org", "website": "example.com", "intent": "ota",
                       "estimatedMau": 100})
    assert r.status_code == 200
    assert next(o for o in emu.state()["orgs"]
                if o["id"] == r.json()["id"])["website"] == "https://example.com"


def test_post_api_key_needs_global_permission(emu):
    r = emu.call("POST", "/organization", key=KEY_SUPER, json={"name": "Key org"})
    assert err(r) == (403, "permission_denied")
    seed = copy.deepcopy(DEFAULT_SEED)
    seed["apikeys"][0]["global_permissions"] = ["org.create"]
    emu.reset(seed)
    r = emu.call("POST", "/organization", key=KEY_SUPER, json={"name": "Key org"})
    assert r.status_code == 200
    new_id = r.json()["id"]
    # the key is auto-bound as org_super_admin of the new org
    assert emu.call("GET", "/organization", key=KEY_SUPER,
                    params={"orgId": new_id}).status_code == 200


def test_post_app_scoped_key_with_global_permission_refused(emu):
    seed = copy.deepcopy(DEFAULT_SEED)
    next(k for k in seed["apikeys"] if k["key"] == KEY_APP_DEV)["global_permissions"] = \
        ["org.create"]
    emu.reset(seed)
    assert err(emu.call("POST", "/organization", key=KEY_APP_DEV, json={"name": "Nope"})) == \
        (403, "permission_denied")


# ------------------------------------------------------------------ PUT
def test_put_updates_and_returns_full_row(emu):
    r = emu.call("PUT", "/organization", key=KEY_SUPER,
                 json={"orgId": ORG1, "name": "<b>New</b> name", "management_email":
                       "ops@example.com", "max_apikey_expiration_days": 30,
                       "enforce_hashed_api_keys": False, "website": "capgo.app"})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "Organization updated" and body["id"] == ORG1
    data = body["data"]
    assert data["name"] == "New name" and data["management_email"] == "ops@example.com"
    assert data["max_apikey_expiration_days"] == 30 and data["website"] == "https://capgo.app"
    assert "require_apikey_expiration" in data  # the whole DB row, not the GET shape
    got = emu.call("GET", "/organization", key=KEY_SUPER, params={"orgId": ORG1}).json()
    assert got["name"] == "New name"


def test_put_only_org_id_is_noop(emu):
    before = emu.call("GET", "/organization", key=KEY_SUPER, params={"orgId": ORG1}).json()
    r = emu.call("PUT", "/organization", key=KEY_SUPER, json={"orgId": ORG1})
    assert r.status_code == 200 and r.json()["data"]["updated_at"] == before["updated_at"]


def test_put_validation(emu):
    cases = [
        ({"name": "x"}, (400, "invalid_body")),
        ({"orgId": ORG1, "name": "<i></i>"}, (400, "invalid_body")),
        ({"orgId": ORG1, "management_email": "nope"}, (400, "invalid_body")),
        ({"orgId": ORG1, "require_apikey_expiration": "yes"}, (400, "invalid_body")),
        ({"orgId": ORG1, "max_apikey_expiration_days": 0},
         (400, "invalid_max_expiration_days")),
        ({"orgId": ORG1, "max_apikey_expiration_days": 366},
         (400, "invalid_max_expiration_days")),
        ({"orgId": ORG1, "required_encryption_key": "short"},
         (400, "invalid_required_encryption_key")),
        ({"orgId": ORG1, "enforcing_2fa": True}, (400, "requires_2fa_to_enforce_2fa")),
        ({"orgId": ORG1, "password_policy_config": {"enabled": True, "min_length": 3}},
         (400, "invalid_body")),
    ]
    for body, expected in cases:
        assert err(emu.call("PUT", "/organization", key=KEY_SUPER, json=body)) == expected, body


@pytest.mark.parametrize("change,code", [
    ({"max_apikey_expiration_days": 0}, "invalid_max_expiration_days"),
    ({"required_encryption_key": "short"}, "invalid_required_encryption_key"),
    ({"enforcing_2fa": True}, "requires_2fa_to_enforce_2fa"),
    ({"name": "<b></b>"}, "invalid_body"),
    ({"website": "ftp://example.com"}, "invalid_body"),
])
def test_put_finer_rules_come_after_the_permission(emu, change, code):
    # organization/put.ts: schema, ensureOrgAccess, then 2FA, expiry days, key, name, website
    body = dict({"orgId": ORG1}, **change)
    assert err(emu.call("PUT", "/organization", key=KEY_SUPER, json=body)) == (400, code)
    assert err(emu.call("PUT", "/organization", key=KEY_MEMBER, json=body)) == \
        (400, "cannot_access_organization")


@pytest.mark.parametrize("change", [{"name": 5}, {"website": 5}, {"enforcing_2fa": "yes"},
                                    {"management_email": "nope"},
                                    {"max_apikey_expiration_days": "x"}])
def test_put_schema_comes_before_the_permission(emu, change):
    body = dict({"orgId": ORG1}, **change)
    assert err(emu.call("PUT", "/organization", key=KEY_MEMBER, json=body)) == \
        (400, "invalid_body")


def test_put_encryption_key_and_password_policy(emu):
    r = emu.call("PUT", "/organization", key=KEY_SUPER, json={
        "orgId": ORG1, "required_encryption_key": "  " + "k" * 21 + " ",
        "password_policy_config": {"enabled": True, "min_length": 10,
                                   "require_number": True}})
    assert r.status_code == 200
    assert r.json()["data"]["required_encryption_key"] == "k" * 21
    r = emu.call("PUT", "/organization", key=KEY_SUPER,
                 json={"orgId": ORG1, "required_encryption_key": "   "})
    assert r.json()["data"]["required_encryption_key"] is None


def test_put_permissions(emu):
    assert emu.call("PUT", "/organization", key=KEY_ORG_ADMIN,
                    json={"orgId": ORG1, "name": "By admin"}).status_code == 200
    assert emu.call("PUT", "/organization", key=SESSION_DEV,
                    json={"orgId": ORG1, "name": "By dev jwt"}).status_code == 200
    for key in (KEY_MEMBER, KEY_APP_DEV, SESSION_MEMBER, KEY_OUTSIDER):
        assert err(emu.call("PUT", "/organization", key=key,
                            json={"orgId": ORG1, "name": "Nope"})) == \
            (400, "cannot_access_organization"), key
    assert err(emu.call("PUT", "/organization", key=KEY_SUPER,
                        json={"orgId": UNKNOWN_ORG, "name": "Nope"})) == \
        (400, "cannot_access_organization")


# ------------------------------------------------------------------ DELETE
def test_delete_org(emu):
    assert err(emu.call("DELETE", "/organization", key=KEY_SUPER, json={"x": 1})) == \
        (400, "missing_org_id")
    assert err(emu.call("DELETE", "/organization", key=KEY_ORG_ADMIN,
                        params={"orgId": ORG1})) == (403, "invalid_org_id")
    r = emu.call("DELETE", "/organization", key=KEY_SUPER, params={"orgId": ORG1})
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    # not idempotent
    assert err(emu.call("DELETE", "/organization", key=KEY_SUPER, params={"orgId": ORG1})) == \
        (403, "invalid_org_id")
    state = emu.state()
    assert [o["id"] for o in state["orgs"]] == [ORG2]
    assert {a["app_id"] for a in state["apps"]} == {"com.other.app"}
    assert all(c["app_id"] == "com.other.app" for c in state["channels"])
    assert all(b["org_id"] != ORG1 for k in state["apikeys"] for b in k["bindings"])


# ------------------------------------------------------------------ members
def test_members_list(emu):
    r = emu.call("GET", "/organization/members", key=KEY_SUPER, params={"orgId": ORG1})
    assert r.status_code == 200
    members = {m["email"]: m for m in r.json()}
    assert set(members) == {ADMIN, DEV, MEMBER, PENDING}
    assert set(members[ADMIN]) == {"uid", "email", "image_url", "role", "is_tmp"}
    assert members[ADMIN]["role"] == "org_super_admin" and members[ADMIN]["is_tmp"] is False
    assert members[ADMIN]["uid"] == "6aa76066-55ef-4238-ade6-0b32334a4097"
    assert members[ADMIN]["image_url"] == ""
    assert members[PENDING]["is_tmp"] is True
    # org_member has org.read_members
    assert emu.call("GET", "/organization/members", key=KEY_MEMBER,
                    params={"orgId": ORG1}).status_code == 200


def test_members_list_errors(emu):
    assert err(emu.call("GET", "/organization/members", key=KEY_SUPER)) == \
        (400, "invalid_body")
    assert err(emu.call("GET", "/organization/members", key=KEY_APP_DEV,
                        params={"orgId": ORG1})) == (400, "cannot_access_organization")
    assert err(emu.call("GET", "/organization/members", key=KEY_SUPER,
                        params={"orgId": ORG2})) == (400, "cannot_access_organization")


def test_members_tmp_invite_of_non_user_expires_after_7_days(emu):
    seed = copy.deepcopy(DEFAULT_SEED)
    seed["orgs"][0]["members"].append({"email": "stranger@example.com", "role": "org_member",
                                       "pending": True})
    emu.reset(seed)
    emails = [m["email"] for m in emu.call("GET", "/organization/members", key=KEY_SUPER,
                                           params={"orgId": ORG1}).json()]
    assert "stranger@example.com" in emails
    emu.advance(8 * 86400)
    emails = [m["email"] for m in emu.call("GET", "/organization/members", key=KEY_SUPER,
                                           params={"orgId": ORG1}).json()]
    assert "stranger@example.com" not in emails and PENDING in emails


def test_invite_existing_user(emu):
    r = emu.call("POST", "/organization/members", key=KEY_SUPER,
                 json={"orgId": ORG1, "email": NOBODY, "invite_type": "org_admin"})
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    members = {m["email"]: m for m in emu.call("GET", "/organization/members", key=KEY_SUPER,
                                               params={"orgId": ORG1}).json()}
    assert members[NOBODY]["is_tmp"] is True and members[NOBODY]["role"] == "org_admin"
    # re-inviting is an error
    r = emu.call("POST", "/organization/members", key=KEY_SUPER,
                 json={"orgId": ORG1, "email": NOBODY, "invite_type": "org_member"})
    assert err(r) == (400, "error_inviting_user_to_organization")
    assert r.json()["moreInfo"] == {"data": "ALREADY_INVITED"}
    # existing (accepted) members too
    r = emu.call("POST", "/organization/members", key=KEY_SUPER,
                 json={"orgId": ORG1, "email": DEV, "invite_type": "read"})
    assert r.json()["moreInfo"] == {"data": "ALREADY_INVITED"}


def test_invite_pending_user_gets_no_rights(emu):
    emu.call("POST", "/organization/members", key=KEY_SUPER,
             json={"orgId": ORG1, "email": NOBODY, "invite_type": "org_super_admin"})
    # an invitation not accepted yet grants nothing to the user's session
    r = emu.call("PUT", "/organization", key="session-nobody",
                 json={"orgId": ORG1, "name": "Hijack"})
    assert err(r) == (400, "cannot_access_organization")


def test_invite_non_user_no_email(emu):
    r = emu.call("POST", "/organization/members", key=KEY_SUPER,
                 json={"orgId": ORG1, "email": "new.person@example.com",
                       "invite_type": "org_member"})
    assert err(r) == (400, "error_inviting_user_to_organization")
    assert r.json()["moreInfo"] == {"data": "NO_EMAIL"}


def test_invite_type_aliases(emu):
    for invite_type, role in (("write", "org_member"), ("invite_admin", "org_admin"),
                              ("invite_upload", "org_member")):
        emu.reset()
        r = emu.call("POST", "/organization/members", key=KEY_SUPER,
                     params={"orgId": ORG1, "email": NOBODY, "invite_type": invite_type})
        assert r.status_code == 200, invite_type
        members = {m["email"]: m for m in emu.call("GET", "/organization/members",
                                                   key=KEY_SUPER,
                                                   params={"orgId": ORG1}).json()}
        assert members[NOBODY]["role"] == role


def test_invite_validation_and_permissions(emu):
    for body in ({"orgId": ORG1, "email": NOBODY}, {"orgId": ORG1, "email": "x",
                                                    "invite_type": "read"},
                 {"email": NOBODY, "invite_type": "read"},
                 {"orgId": ORG1, "email": NOBODY, "invite_type": "owner"}):
        assert err(emu.call("POST", "/organization/members", key=KEY_SUPER, json=body)) == \
            (400, "invalid_body"), body
    assert err(emu.call("POST", "/organization/members", key=KEY_SUPER)) == \
        (400, "invalid_json_parse_body")
    for key in (KEY_MEMBER, KEY_APP_DEV, KEY_OUTSIDER):
        assert err(emu.call("POST", "/organization/members", key=key,
                            json={"orgId": ORG1, "email": NOBODY, "invite_type": "read"})) == \
            (400, "cannot_access_organization")
    # org_admin may invite, but not above its own rank
    r = emu.call("POST", "/organization/members", key=KEY_ORG_ADMIN,
                 json={"orgId": ORG1, "email": NOBODY, "invite_type": "super_admin"})
    assert err(r) == (400, "error_inviting_user_to_organization")
    assert r.json()["moreInfo"] == {"data": "NO_RIGHTS"}
    assert emu.call("POST", "/organization/members", key=KEY_ORG_ADMIN,
                    json={"orgId": ORG1, "email": NOBODY,
                          "invite_type": "admin"}).status_code == 200


def test_delete_member(emu):
    r = emu.call("DELETE", "/organization/members", key=KEY_SUPER,
                 json={"orgId": ORG1, "email": MEMBER})
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    emails = [m["email"] for m in emu.call("GET", "/organization/members", key=KEY_SUPER,
                                           params={"orgId": ORG1}).json()]
    assert MEMBER not in emails
    # not idempotent
    assert err(emu.call("DELETE", "/organization/members", key=KEY_SUPER,
                        json={"orgId": ORG1, "email": MEMBER})) == \
        (404, "organization_member_not_found")
    # the removed user's session lost its rights
    assert err(emu.call("POST", "/app", key=SESSION_MEMBER,
                        json={"app_id": "com.x.y", "name": "x", "owner_org": ORG1})) == \
        (403, "cannot_access_organization")


def test_delete_member_errors(emu):
    assert err(emu.call("DELETE", "/organization/members", key=KEY_SUPER,
                        json={"orgId": ORG1, "email": "ghost@example.com"})) == \
        (404, "user_not_found")
    assert err(emu.call("DELETE", "/organization/members", key=KEY_SUPER,
                        json={"orgId": ORG1, "email": OUTSIDER})) == \
        (404, "organization_member_not_found")
    assert err(emu.call("DELETE", "/organization/members", key=KEY_SUPER,
                        json={"orgId": ORG1})) == (400, "invalid_body")
    assert err(emu.call("DELETE", "/organization/members", key=KEY_SUPER)) == \
        (400, "invalid_json_parse_body")
    assert err(emu.call("DELETE", "/organization/members", key=KEY_MEMBER,
                        json={"orgId": ORG1, "email": DEV})) == \
        (400, "cannot_access_organization")
    assert err(emu.call("DELETE", "/organization/members", key=KEY_ORG_ADMIN,
                        json={"orgId": ORG1, "email": ADMIN})) == \
        (403, "cannot_delete_higher_priority_role")
    assert err(emu.call("DELETE", "/organization/members", key=KEY_SUPER,
                        json={"orgId": ORG1, "email": ADMIN})) == \
        (400, "CANNOT_REMOVE_LAST_SUPER_ADMIN")


def test_delete_member_self_by_jwt(emu):
    r = emu.call("DELETE", "/organization/members", key=SESSION_MEMBER,
                 params={"orgId": ORG1, "email": MEMBER})
    assert r.status_code == 200


def test_delete_pending_member(emu):
    r = emu.call("DELETE", "/organization/members", key=KEY_SUPER,
                 json={"orgId": ORG1, "email": PENDING})
    assert r.status_code == 200


def test_second_super_admin_can_be_removed(emu):
    emu.call("POST", "/organization/members", key=KEY_SUPER,
             json={"orgId": ORG1, "email": NOBODY, "invite_type": "super_admin"})
    # a pending super admin does not count: admin is still the last one
    assert err(emu.call("DELETE", "/organization/members", key=KEY_SUPER,
                        json={"orgId": ORG1, "email": ADMIN})) == \
        (400, "CANNOT_REMOVE_LAST_SUPER_ADMIN")
    seed = emu.state()
    for m in seed["orgs"][0]["members"]:
        m.pop("pending", None)
    emu.reset(seed)
    assert emu.call("DELETE", "/organization/members", key=KEY_SUPER,
                    json={"orgId": ORG1, "email": ADMIN}).status_code == 200


# ------------------------------------------------------------------ audit
def test_audit_records_writes(emu):
    emu.call("PUT", "/organization", key=KEY_SUPER, json={"orgId": ORG1, "name": "Audited"})
    emu.call("POST", "/app", key=KEY_SUPER,
             json={"app_id": "com.audit.app", "name": "A", "owner_org": ORG1})
    r = emu.call("GET", "/organization/audit", key=SESSION_ADMIN, params={"orgId": ORG1})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"data", "total", "page", "limit"}
    assert body["total"] == 2 and body["page"] == 0 and body["limit"] == 50
    newest, oldest = body["data"]
    assert newest["table_name"] == "apps" and newest["operation"] == "INSERT"
    assert oldest["table_name"] == "orgs" and oldest["operation"] == "UPDATE"
    assert "name" in oldest["changed_fields"]
    assert oldest["actor_type"] == "apikey" and oldest["actor_apikey_name"] == "super"
    assert oldest["actor_user_email"] == ADMIN
    assert set(oldest) >= {"id", "created_at", "table_name", "record_id", "operation",
                           "user_id", "org_id", "old_record", "new_record", "changed_fields",
                           "actor_type", "actor_user_id", "actor_user_email",
                           "actor_apikey_id", "actor_apikey_name"}
    only = emu.call("GET", "/organization/audit", key=KEY_SUPER,
                    params={"orgId": ORG1, "tableName": "orgs"}).json()
    assert [d["table_name"] for d in only["data"]] == ["orgs"]
    paged = emu.call("GET", "/organization/audit", key=KEY_SUPER,
                     params={"orgId": ORG1, "page": "1", "limit": "1"}).json()
    assert paged["page"] == 1 and paged["limit"] == 1 and len(paged["data"]) == 1
    assert paged["data"][0]["table_name"] == "orgs"
    capped = emu.call("GET", "/organization/audit", key=KEY_SUPER,
                      json={"orgId": ORG1, "limit": 1000}).json()
    assert capped["limit"] == 100
    assert emu.call("GET", "/organization/audit", key=KEY_SUPER,
                    params={"orgId": ORG1, "page": "9"}).json()["data"] == []


def test_audit_errors(emu):
    assert err(emu.call("GET", "/organization/audit", key=KEY_SUPER)) == (400, "invalid_body")
    assert err(emu.call("GET", "/organization/audit", key=KEY_SUPER,
                        params={"orgId": ORG1, "limit": "abc"})) == (400, "invalid_body")
    assert err(emu.call("GET", "/organization/audit", key=KEY_MEMBER,
                        params={"orgId": ORG1})) == (400, "invalid_org_id")
    assert err(emu.call("GET", "/organization/audit", key=KEY_SUPER,
                        params={"orgId": ORG2})) == (400, "invalid_org_id")
    assert emu.call("GET", "/organization/audit", key=SESSION_DEV,
                    params={"orgId": ORG1}).status_code == 200
