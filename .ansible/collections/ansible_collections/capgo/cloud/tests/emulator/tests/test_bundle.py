"""/bundle: GET, POST (external), PUT (set channel), DELETE (one/all), POST /bundle/metadata
(capgo-api.md §2.6)."""

import copy

import pytest

from emu_seed import (APP, APP2, APP_OUT, DEFAULT_SEED, KEY_APP_ADMIN, KEY_APP_DEV, KEY_MEMBER,
                      KEY_ORG_ADMIN, KEY_READER, KEY_SUPER, KEY_UPLOADER, ORG1)
from helpers import err

BUNDLE_FIELDS = {"id", "created_at", "app_id", "name", "updated_at", "deleted", "deleted_at",
                 "external_url", "checksum", "session_key", "storage_provider",
                 "min_update_version", "native_packages", "owner_org", "user_id", "r2_path",
                 "manifest", "manifest_count", "link", "comment", "key_id", "cli_version",
                 "created_by_apikey_rbac_id"}


def get(emu, key=KEY_SUPER, **params):
    params.setdefault("app_id", APP)
    return emu.call("GET", "/bundle", key=key, params=params)


def create(emu, version="2.0.0", key=KEY_SUPER, **extra):
    body = {"app_id": APP, "version": version, "external_url": "https://cdn.example.com/%s.zip" % version,
            "checksum": "e" * 64}
    body.update(extra)
    return emu.call("POST", "/bundle", key=key, json=body)


def bundles(emu, app=APP):
    return {b["name"]: b for b in emu.state()["bundles"] if b["app_id"] == app}


def channel(emu, name):
    return emu.call("GET", "/channel", key=KEY_SUPER, params={"app_id": APP, "channel": name}).json()


# ------------------------------------------------------------------ GET

def test_get_lists_live_bundles_newest_first(emu):
    r = get(emu)
    assert r.status_code == 200, r.text
    rows = r.json()
    assert [b["name"] for b in rows] == ["1.0.1", "1.0.0"]  # 0.9.0 is soft-deleted
    assert set(rows[0]) == BUNDLE_FIELDS


def test_get_ignores_version(emu):
    assert len(get(emu, version="1.0.0").json()) == 2


def test_get_empty_is_400(emu):
    err(get(emu, app_id=APP2), 400, "cannot_get_bundle")
    err(get(emu, page="5"), 400, "cannot_get_bundle")


def test_get_permissions(emu):
    err(get(emu, key=KEY_MEMBER), 400, "cannot_get_bundle")
    err(get(emu, app_id=APP_OUT), 400, "cannot_get_bundle")
    err(get(emu, app_id="com.nope.app"), 400, "cannot_get_bundle")
    err(get(emu, app_id="bad"), 400, "invalid_app_id")
    assert get(emu, key=KEY_READER).status_code == 200


def test_get_page_quirk(emu):
    seed = copy.deepcopy(DEFAULT_SEED)
    seed["bundles"] = [b for b in seed["bundles"] if b["app_id"] != APP]
    seed["bundles"] += [{"app_id": APP, "name": "1.0.%d" % i, "checksum": "x"} for i in range(700)]
    seed["channels"] = [c for c in seed["channels"] if c["app_id"] != APP]
    seed["device_overrides"] = []
    seed["apikeys"] = [k for k in seed["apikeys"] if k["name"] != "channel-admin"]
    emu.reset(seed)
    p0 = [b["name"] for b in get(emu).json()]
    assert p0 == ["1.0.%d" % i for i in range(699, 649, -1)]
    p1 = [b["name"] for b in get(emu, page="1").json()]  # rows 50..549
    assert len(p1) == 500 and p1[0] == "1.0.649"
    r = emu.call("GET", "/bundle", key=KEY_SUPER, json={"app_id": APP, "page": 1})
    assert len(r.json()) == 50


# ------------------------------------------------------------------ POST

def test_post_creates_external_bundle(emu):
    r = create(emu, "2.0.0-beta.1+build.5")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "success" and set(body["bundle"]) == BUNDLE_FIELDS
    b = body["bundle"]
    assert b["name"] == "2.0.0-beta.1+build.5" and b["storage_provider"] == "external"
    assert b["deleted"] is False and b["owner_org"] == ORG1 and b["app_id"] == APP
    assert get(emu).json()[0]["name"] == "2.0.0-beta.1+build.5"


def test_post_query_string_input(emu):
    r = emu.call("POST", "/bundle", key=KEY_SUPER, params={
        "app_id": APP, "version": "3.0.0", "external_url": "https://x.example/a.zip", "checksum": "abc"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("missing", ["app_id", "version", "external_url", "checksum"])
def test_post_missing_fields(emu, missing):
    body = {"app_id": APP, "version": "2.0.0", "external_url": "https://a.example/b.zip", "checksum": "c"}
    del body[missing]
    err(emu.call("POST", "/bundle", key=KEY_SUPER, json=body), 400, "missing_" + missing)


@pytest.mark.parametrize("version", ["v1.0.0", "1.0", "1.0.0.0", "01.0.0", "1.0.0-", "latest", "1.0.0-01"])
def test_post_strict_semver(emu, version):
    err(create(emu, version), 400, "invalid_version_format")


@pytest.mark.parametrize("url", ["http://cdn.example.com/a.zip", "ftp://cdn.example.com/a.zip", "cdn.example.com/a.zip"])
def test_post_https_only(emu, url):
    err(create(emu, external_url=url), 400, "invalid_protocol")


def test_post_existing_and_deleted_names(emu):
    err(create(emu, "1.0.0"), 400, "version_already_exists")
    err(create(emu, "0.9.0"), 400, "cannot_create_bundle")  # soft-deleted: name reserved forever


def test_post_permissions(emu):
    err(create(emu, key=KEY_READER), 400, "cannot_create_bundle")
    err(create(emu, key=KEY_MEMBER), 400, "cannot_create_bundle")
    err(create(emu, app_id="com.nope.app"), 400, "cannot_create_bundle")
    assert create(emu, "2.0.1", key=KEY_UPLOADER).status_code == 200
    assert create(emu, "2.0.2", key=KEY_APP_DEV).status_code == 200


def test_post_encryption_policy(emu):
    seed = copy.deepcopy(DEFAULT_SEED)
    seed["orgs"][0]["enforce_encrypted_bundles"] = True
    seed["orgs"][0]["required_encryption_key"] = "abcdefghijklmnopqrst"
    emu.reset(seed)
    err(create(emu, "2.0.0"), 400, "encryption_required")
    err(create(emu, "2.0.0", session_key="iv:key"), 400, "encryption_key_required")
    err(create(emu, "2.0.0", session_key="iv:key", key_id="zzzzzzzzzzzzzzzzzzzz"), 400, "encryption_key_mismatch")
    r = create(emu, "2.0.0", session_key="iv:key", key_id="abcdefghijklmnopqrst")
    assert r.status_code == 200, r.text
    assert r.json()["bundle"]["session_key"] == "iv:key"


# ------------------------------------------------------------------ PUT (set channel)

def test_put_sets_channel_version(emu):
    ids = {n: b["id"] for n, b in bundles(emu).items()}
    beta = channel(emu, "beta")
    r = emu.call("PUT", "/bundle", key=KEY_SUPER, json={"app_id": APP, "version_id": ids["1.0.0"],
                                                        "channel_id": beta["id"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "success", "message": "Bundle 1.0.0 set to channel beta"}
    assert channel(emu, "beta")["version"]["name"] == "1.0.0"


def test_put_query_strings_and_uploader(emu):
    ids = {n: b["id"] for n, b in bundles(emu).items()}
    beta = channel(emu, "beta")
    r = emu.call("PUT", "/bundle", key=KEY_UPLOADER, params={
        "app_id": APP, "version_id": str(ids["1.0.0"]), "channel_id": str(beta["id"])})
    assert r.status_code == 200, r.text


def test_put_errors(emu):
    ids = {n: b["id"] for n, b in bundles(emu).items()}
    beta = channel(emu, "beta")["id"]

    def call(body, key=KEY_SUPER):
        return emu.call("PUT", "/bundle", key=key, json=body)

    err(call({"app_id": APP, "version_id": ids["1.0.0"]}), 400, "missing_required_fields")
    err(call({"app_id": APP, "version_id": 99999, "channel_id": beta}), 400, "cannot_find_version")
    err(call({"app_id": APP, "version_id": ids["0.9.0"], "channel_id": beta}), 400, "cannot_find_version")
    err(call({"app_id": APP, "version_id": ids["1.0.0"], "channel_id": 99999}), 400, "cannot_find_channel")
    err(call({"app_id": APP, "version_id": ids["1.0.0"], "channel_id": beta}, KEY_READER), 400, "cannot_access_app")
    err(call({"app_id": "com.nope.app", "version_id": 1, "channel_id": 1}), 400, "cannot_access_app")


# ------------------------------------------------------------------ DELETE

def test_delete_one_soft(emu):
    assert create(emu, "2.0.0").status_code == 200
    r = emu.call("DELETE", "/bundle", key=KEY_SUPER, params={"app_id": APP, "version": "2.0.0"})
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    b = bundles(emu)["2.0.0"]
    assert b["deleted"] is True and b["deleted_at"]
    assert "2.0.0" not in [x["name"] for x in get(emu).json()]
    # not idempotent
    err(emu.call("DELETE", "/bundle", key=KEY_SUPER, params={"app_id": APP, "version": "2.0.0"}),
        400, "cannot_delete_version")
    err(emu.call("DELETE", "/bundle", key=KEY_SUPER, params={"app_id": APP, "version": "7.7.7"}),
        400, "cannot_delete_version")
    # name stays reserved
    err(create(emu, "2.0.0"), 400, "cannot_create_bundle")


def test_delete_linked_refused(emu):
    err(emu.call("DELETE", "/bundle", key=KEY_SUPER, json={"app_id": APP, "version": "1.0.0"}),
        400, "cannot_delete_linked_version")
    # linked through rollout_version
    assert create(emu, "2.0.0").status_code == 200
    assert emu.call("POST", "/channel", key=KEY_SUPER, json={
        "app_id": APP, "channel": "beta", "rolloutVersion": "2.0.0"}).status_code == 200
    err(emu.call("DELETE", "/bundle", key=KEY_SUPER, json={"app_id": APP, "version": "2.0.0"}),
        400, "cannot_delete_linked_version")


def test_delete_all_skips_linked(emu):
    assert create(emu, "2.0.0").status_code == 200
    assert create(emu, "2.0.1").status_code == 200
    r = emu.call("DELETE", "/bundle", key=KEY_SUPER, params={"app_id": APP})
    assert r.status_code == 200
    bs = bundles(emu)
    assert bs["2.0.0"]["deleted"] and bs["2.0.1"]["deleted"]
    assert not bs["1.0.0"]["deleted"] and not bs["1.0.1"]["deleted"]
    assert [b["name"] for b in get(emu).json()] == ["1.0.1", "1.0.0"]


def test_delete_permissions(emu):
    for key in (KEY_ORG_ADMIN, KEY_APP_DEV, KEY_UPLOADER, KEY_READER):
        err(emu.call("DELETE", "/bundle", key=key, params={"app_id": APP, "version": "1.0.0"}),
            400, "cannot_delete_bundle")
    err(emu.call("DELETE", "/bundle", key=KEY_SUPER, params={"app_id": "com.nope.app"}), 400, "cannot_delete_bundle")
    assert create(emu, "2.0.0").status_code == 200
    assert emu.call("DELETE", "/bundle", key=KEY_APP_ADMIN,
                    params={"app_id": APP, "version": "2.0.0"}).status_code == 200
    err(emu.call("DELETE", "/bundle", key=KEY_SUPER), 400, "invalid_json_parse_body")


# ------------------------------------------------------------------ POST /bundle/metadata

def test_metadata(emu):
    vid = bundles(emu)["1.0.0"]["id"]
    r = emu.call("POST", "/bundle/metadata", key=KEY_SUPER,
                 json={"app_id": APP, "version_id": vid, "link": "https://example.com/notes", "comment": "hi"})
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    b = bundles(emu)["1.0.0"]
    assert b["link"] == "https://example.com/notes" and b["comment"] == "hi"
    r = emu.call("POST", "/bundle/metadata", key=KEY_UPLOADER,
                 params={"app_id": APP, "version_id": str(vid), "comment": "again"})
    assert r.status_code == 200 and bundles(emu)["1.0.0"]["comment"] == "again"


def test_metadata_errors(emu):
    vid = bundles(emu)["1.0.0"]["id"]

    def call(body, key=KEY_SUPER):
        return emu.call("POST", "/bundle/metadata", key=key, json=body)

    err(call({"app_id": APP, "link": "x"}), 400, "missing_required_fields")
    err(call({"app_id": APP, "version_id": vid}), 400, "no_fields_to_update")
    err(call({"app_id": APP, "version_id": 99999, "link": "x"}), 400, "cannot_find_version")
    err(call({"app_id": APP, "version_id": vid, "link": "x"}, KEY_READER), 400, "cannot_update_bundle_metadata")


def test_audit_log_records_bundle_changes(emu):
    assert create(emu, "2.0.0").status_code == 200
    emu.call("DELETE", "/bundle", key=KEY_SUPER, params={"app_id": APP, "version": "2.0.0"})
    r = emu.call("GET", "/organization/audit", key=KEY_SUPER, params={"orgId": ORG1, "tableName": "app_versions"})
    assert r.status_code == 200, r.text
    ops = [(e["operation"], e["actor_type"]) for e in r.json()["data"]]
    assert sorted(ops) == [("INSERT", "apikey"), ("UPDATE", "apikey")]
