"""/channel: GET one/list, POST upsert, DELETE (capgo-api.md §2.4)."""

import pytest

from emu_seed import (APP, APP_OUT, DEVICE2, KEY_APP_ADMIN, KEY_APP_DEV, KEY_CHANNEL_ADMIN,
                      KEY_MEMBER, KEY_ORG_ADMIN, KEY_READER, KEY_SUPER, KEY_UPLOADER)

GET_FIELDS = {
    "id", "created_at", "name", "app_id", "created_by", "updated_at", "public",
    "disableAutoUpdateUnderNative", "disableAutoUpdate", "allow_device_self_set",
    "allow_emulator", "allow_device", "allow_dev", "allow_prod", "version", "rollout_version",
    "rollout_version_info", "rollout_id", "rolloutPercentageBps", "rolloutEnabled",
    "rolloutPausedAt", "rolloutPauseReason", "rolloutCacheTtlSeconds", "autoPauseEnabled",
    "autoPauseWindowMinutes", "autoPauseFailureRateBps", "autoPauseConfidence",
    "autoPauseMinAttempts", "autoPauseMinFailures", "autoPauseAction",
    "autoPauseCooldownMinutes", "autoPauseLastTriggeredAt", "autoPauseLastCheckedAt",
}


def err(r, status, code):
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert body["error"] == code, body
    assert set(body) == {"error", "message", "moreInfo"}
    return body


def get_one(emu, name, app=APP, key=KEY_SUPER):
    return emu.call("GET", "/channel", key=key, params={"app_id": app, "channel": name})


def post(emu, body, key=KEY_SUPER):
    return emu.call("POST", "/channel", key=key, json=body)


def state_channel(emu, name, app=APP):
    return next(c for c in emu.state()["channels"] if c["app_id"] == app and c["name"] == name)


# ------------------------------------------------------------------ GET

def test_get_one_shape(emu):
    r = get_one(emu, "production")
    assert r.status_code == 200, r.text
    ch = r.json()
    assert set(ch) == GET_FIELDS
    assert not {"ios", "android", "electron"} & set(ch)
    assert ch["version"]["name"] == "1.0.0" and isinstance(ch["version"]["id"], int)
    assert ch["public"] is True and ch["name"] == "production" and ch["app_id"] == APP
    assert ch["disableAutoUpdate"] == "major" and ch["disableAutoUpdateUnderNative"] is True
    assert ch["rollout_version"] is None and ch["rollout_version_info"] is None
    assert ch["rolloutPercentageBps"] == 0 and ch["rolloutCacheTtlSeconds"] == 2592000


def test_get_one_missing_is_cannot_find_version(emu):
    err(get_one(emu, "nope"), 400, "cannot_find_version")


def test_get_version_null(emu):
    assert post(emu, {"app_id": APP, "channel": "empty"}).status_code == 200
    assert get_one(emu, "empty").json()["version"] is None


def test_get_list_order_and_shape(emu):
    r = emu.call("GET", "/channel", key=KEY_SUPER, params={"app_id": APP})
    assert r.status_code == 200
    names = [c["name"] for c in r.json()]
    assert names == ["production", "beta"]
    assert all("ios" not in c for c in r.json())


def test_get_json_body_on_get(emu):
    r = emu.call("GET", "/channel", key=KEY_SUPER, json={"app_id": APP, "channel": "beta"})
    assert r.status_code == 200 and r.json()["name"] == "beta"


def test_get_permissions(emu):
    err(get_one(emu, "production", key=KEY_MEMBER), 400, "cannot_access_app")
    err(get_one(emu, "production", app="com.unknown.app"), 400, "cannot_access_app")
    err(get_one(emu, "production", app=APP_OUT), 400, "cannot_access_app")
    assert get_one(emu, "production", key=KEY_READER).status_code == 200


def test_get_app_id_validation(emu):
    err(emu.call("GET", "/channel", key=KEY_SUPER, params={}), 400, "missing_app_id")
    err(emu.call("GET", "/channel", key=KEY_SUPER, params={"app_id": "noDots"}), 400, "invalid_app_id")


def test_get_requires_key(emu):
    err(emu.call("GET", "/channel", params={"app_id": APP}), 401, "no_key_provided")


def _many_channels(n):
    from emu_seed import DEFAULT_SEED
    import copy
    seed = copy.deepcopy(DEFAULT_SEED)
    seed["channels"] = [{"app_id": APP, "name": "c%04d" % i} for i in range(n)]
    seed["device_overrides"] = []
    seed["apikeys"] = [k for k in seed["apikeys"] if k["name"] != "channel-admin"]
    return seed


def test_page_quirk_query_string(emu):
    emu.reset(_many_channels(1200))

    def page(p, **kw):
        r = emu.call("GET", "/channel", key=KEY_SUPER, params={"app_id": APP, "page": p}, **kw)
        assert r.status_code == 200, r.text
        return [c["name"] for c in r.json()]
    p0 = page("0")
    assert p0 == ["c%04d" % i for i in range(50)]
    p1 = page("1")  # "1" + 1 == "11": rows 50..549
    assert len(p1) == 500 and p1[0] == "c0050" and p1[-1] == "c0549"
    p2 = page("2")  # rows 100..1049
    assert len(p2) == 950 and p2[0] == "c0100"
    p3 = page("3")  # rows 150..1549, capped at 1000 rows by PostgREST
    assert len(p3) == 1000 and p3[0] == "c0150"
    assert page("30") == []
    # JSON number page (GET with a body) is computed correctly
    r = emu.call("GET", "/channel", key=KEY_SUPER, json={"app_id": APP, "page": 1})
    assert [c["name"] for c in r.json()] == ["c%04d" % i for i in range(50, 100)]


# ------------------------------------------------------------------ POST create

def test_post_create_without_version(emu):
    r = post(emu, {"app_id": APP, "channel": "dev"})
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    ch = get_one(emu, "dev").json()
    assert ch["public"] is False and ch["version"] is None and ch["allow_emulator"] is True
    st = state_channel(emu, "dev")
    assert st["ios"] is True and st["android"] is True and st["electron"] is True


def test_post_create_with_version(emu):
    r = post(emu, {"app_id": APP, "channel": "dev", "version": "1.0.1"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"status", "id", "public"} and body["status"] == "ok"
    assert body["public"] is False
    ch = get_one(emu, "dev").json()
    assert ch["id"] == body["id"] and ch["version"]["name"] == "1.0.1"


def test_post_create_unknown_version_not_created(emu):
    err(post(emu, {"app_id": APP, "channel": "dev", "version": "9.9.9"}), 400, "cannot_find_version")
    err(get_one(emu, "dev"), 400, "cannot_find_version")


def test_post_create_deleted_bundle_is_unknown(emu):
    err(post(emu, {"app_id": APP, "channel": "dev", "version": "0.9.0"}), 400, "cannot_find_version")


def test_post_json_only(emu):
    err(emu.call("POST", "/channel", key=KEY_SUPER, params={"app_id": APP, "channel": "x"}),
        400, "invalid_json_parse_body")
    err(emu.call("POST", "/channel", key=KEY_SUPER, data="{not json"), 400, "invalid_json_parse_body")


def test_post_missing_channel_is_500(emu):
    err(post(emu, {"app_id": APP}), 500, "unknown_error")


def test_post_app_checks(emu):
    err(post(emu, {"channel": "x"}), 400, "missing_app_id")
    err(post(emu, {"app_id": "bad", "channel": "x"}), 400, "invalid_app_id")
    err(post(emu, {"app_id": "com.unknown.app", "channel": "x"}), 400, "cannot_access_app")


# ------------------------------------------------------------------ POST update

def test_post_partial_update_keeps_version(emu):
    assert post(emu, {"app_id": APP, "channel": "beta", "allow_emulator": False}).json() == {"status": "ok"}
    ch = get_one(emu, "beta").json()
    assert ch["version"]["name"] == "1.0.1"
    assert ch["allow_emulator"] is False and ch["allow_dev"] is True


def test_post_update_version(emu):
    r = post(emu, {"app_id": APP, "channel": "beta", "version": "1.0.0"})
    assert r.json() == {"status": "ok"}
    assert get_one(emu, "beta").json()["version"]["name"] == "1.0.0"


@pytest.mark.parametrize("value", [None, "", "builtin", "unknown"])
def test_post_clear_version(emu, value):
    assert post(emu, {"app_id": APP, "channel": "beta", "version": value}).status_code == 200
    assert get_one(emu, "beta").json()["version"] is None


def test_post_existing_unknown_version_is_500(emu):
    err(post(emu, {"app_id": APP, "channel": "beta", "version": "9.9.9"}), 500, "unknown_error")
    assert get_one(emu, "beta").json()["version"]["name"] == "1.0.1"


def test_post_null_field_is_absent(emu):
    post(emu, {"app_id": APP, "channel": "beta", "allow_dev": False})
    post(emu, {"app_id": APP, "channel": "beta", "allow_dev": None})
    assert get_one(emu, "beta").json()["allow_dev"] is False


def test_post_disable_auto_update(emu):
    post(emu, {"app_id": APP, "channel": "beta", "disableAutoUpdate": "patch",
               "disableAutoUpdateUnderNative": False})
    ch = get_one(emu, "beta").json()
    assert ch["disableAutoUpdate"] == "patch" and ch["disableAutoUpdateUnderNative"] is False
    err(post(emu, {"app_id": APP, "channel": "beta", "disableAutoUpdate": "bogus"}), 500, "unknown_error")
    err(post(emu, {"app_id": APP, "channel": "new1", "disableAutoUpdate": "bogus", "version": "1.0.0"}),
        400, "cannot_set_bundle_to_channel")


def test_post_updated_at_moves(emu):
    before = get_one(emu, "beta").json()["updated_at"]
    post(emu, {"app_id": APP, "channel": "beta", "allow_dev": True})
    assert get_one(emu, "beta").json()["updated_at"] != before


# ------------------------------------------------------------------ permissions

def test_rbac_update_needs_update_settings(emu):
    # app_developer / app_uploader: no channel.update_settings → cannot touch existing channels
    for key in (KEY_APP_DEV, KEY_UPLOADER, KEY_READER, KEY_MEMBER):
        err(post(emu, {"app_id": APP, "channel": "beta", "allow_dev": False}, key=key), 400, "cannot_access_app")
        err(post(emu, {"app_id": APP, "channel": "beta", "version": "1.0.0"}, key=key), 400, "cannot_access_app")
    assert post(emu, {"app_id": APP, "channel": "beta", "allow_dev": False}, key=KEY_ORG_ADMIN).status_code == 200
    assert post(emu, {"app_id": APP, "channel": "beta", "version": "1.0.0"}, key=KEY_APP_ADMIN).status_code == 200


def test_rbac_create_needs_create_channel(emu):
    assert post(emu, {"app_id": APP, "channel": "devx"}, key=KEY_APP_DEV).status_code == 200
    err(post(emu, {"app_id": APP, "channel": "devy"}, key=KEY_UPLOADER), 400, "cannot_access_app")
    err(post(emu, {"app_id": APP, "channel": "devy"}, key=KEY_READER), 400, "cannot_access_app")
    # channel-scoped admin on beta: may update beta, may not create channels
    assert post(emu, {"app_id": APP, "channel": "beta", "allow_dev": False}, key=KEY_CHANNEL_ADMIN).status_code == 200
    err(post(emu, {"app_id": APP, "channel": "production", "allow_dev": False}, key=KEY_CHANNEL_ADMIN),
        400, "cannot_access_app")
    err(post(emu, {"app_id": APP, "channel": "devz"}, key=KEY_CHANNEL_ADMIN), 400, "cannot_access_app")


# ------------------------------------------------------------------ public exclusivity / electron

def test_public_exclusivity_side_effect(emu):
    assert get_one(emu, "production").json()["public"] is True
    assert post(emu, {"app_id": APP, "channel": "beta", "public": True}).status_code == 200
    assert get_one(emu, "beta").json()["public"] is True
    assert get_one(emu, "production").json()["public"] is False
    # the other app is untouched
    assert get_one(emu, "production", app=APP_OUT, key="5d3a3e5b-51b5-4f6e-9a2c-6a1f0b1e2d07").json()["public"] is True


def test_public_no_side_effect_without_shared_platform(emu):
    # production -> iOS only (android off), then an android-only public channel
    post(emu, {"app_id": APP, "channel": "production", "android": False, "electron": False})
    r = post(emu, {"app_id": APP, "channel": "droid", "public": True, "ios": False, "android": True})
    assert r.status_code == 200
    assert get_one(emu, "production").json()["public"] is True
    assert get_one(emu, "droid").json()["public"] is True
    st = state_channel(emu, "droid")
    assert st["electron"] is False  # inferred: public and ios != android


def test_electron_inference(emu):
    post(emu, {"app_id": APP, "channel": "ios-only", "public": True, "ios": True, "android": False})
    assert state_channel(emu, "ios-only")["electron"] is False
    post(emu, {"app_id": APP, "channel": "both", "public": True, "ios": True, "android": True})
    assert state_channel(emu, "both")["electron"] is True
    post(emu, {"app_id": APP, "channel": "explicit", "public": True, "ios": True, "android": False,
               "electron": True})
    assert state_channel(emu, "explicit")["electron"] is True
    post(emu, {"app_id": APP, "channel": "private", "public": False, "ios": True, "android": False})
    assert state_channel(emu, "private")["electron"] is True


def test_create_public_with_version_response(emu):
    r = post(emu, {"app_id": APP, "channel": "stable2", "version": "1.0.0", "public": True})
    assert r.json()["public"] is True
    assert get_one(emu, "production").json()["public"] is False


# ------------------------------------------------------------------ rollout / auto-pause

def test_rollout_fields(emu):
    r = post(emu, {"app_id": APP, "channel": "production", "rolloutVersion": "1.0.1",
                   "rolloutPercentage": 12.5, "rolloutEnabled": True,
                   "rolloutCacheTtlSeconds": 600})
    assert r.status_code == 200, r.text
    ch = get_one(emu, "production").json()
    assert ch["rolloutPercentageBps"] == 1250 and ch["rolloutEnabled"] is True
    assert ch["rollout_version_info"]["name"] == "1.0.1"
    assert ch["rollout_version"] == ch["rollout_version_info"]["id"]
    assert ch["rolloutCacheTtlSeconds"] == 600 and ch["rollout_id"]
    # pause / unpause
    post(emu, {"app_id": APP, "channel": "production", "rolloutPaused": True, "rolloutPauseReason": "bad"})
    ch = get_one(emu, "production").json()
    assert ch["rolloutPausedAt"] and ch["rolloutPauseReason"] == "bad"
    post(emu, {"app_id": APP, "channel": "production", "rollout_paused": False})
    assert get_one(emu, "production").json()["rolloutPausedAt"] is None
    # promote to stable
    assert post(emu, {"app_id": APP, "channel": "production", "promoteToStable": True}).status_code == 200
    ch = get_one(emu, "production").json()
    assert ch["version"]["name"] == "1.0.1" and ch["rollout_version"] is None
    assert ch["rolloutEnabled"] is False and ch["rolloutPercentageBps"] == 0


def test_rollout_snake_case_and_bps(emu):
    r = post(emu, {"app_id": APP, "channel": "production", "rollout_version": "1.0.1",
                   "rollout_percentage_bps": 300, "rollout_enabled": True})
    assert r.status_code == 200, r.text
    ch = get_one(emu, "production").json()
    assert ch["rolloutPercentageBps"] == 300 and ch["rolloutEnabled"] is True
    assert post(emu, {"app_id": APP, "channel": "production", "rollback": True}).status_code == 200
    ch = get_one(emu, "production").json()
    assert ch["rollout_version"] is None and ch["rolloutEnabled"] is False
    assert ch["version"]["name"] == "1.0.0"


@pytest.mark.parametrize("body,code", [
    ({"rolloutPercentage": 101}, "invalid_rollout_percentage"),
    ({"rolloutPercentage": -1}, "invalid_rollout_percentage"),
    ({"rolloutPercentageBps": 10001}, "invalid_rollout_percentage"),
    ({"rolloutCacheTtlSeconds": 59}, "invalid_rollout_config"),
    ({"rolloutCacheTtlSeconds": 31536001}, "invalid_rollout_config"),
    ({"autoPauseWindowMinutes": 0}, "invalid_rollout_config"),
    ({"autoPauseWindowMinutes": 10081}, "invalid_rollout_config"),
    ({"autoPauseFailureRateBps": 10001}, "invalid_rollout_config"),
    ({"autoPauseMinAttempts": -1}, "invalid_rollout_config"),
    ({"autoPauseCooldownMinutes": 10081}, "invalid_rollout_config"),
    ({"autoPauseConfidence": 1}, "invalid_auto_pause_confidence"),
    ({"autoPauseConfidence": 0}, "invalid_auto_pause_confidence"),
    ({"autoPauseAction": "explode"}, "invalid_auto_pause_action"),
    ({"promoteToStable": True}, "missing_rollout_version"),
    ({"rolloutEnabled": True}, "missing_rollout_version"),
])
def test_rollout_validation(emu, body, code):
    body.update({"app_id": APP, "channel": "production"})
    err(post(emu, body), 400, code)


def test_rollout_needs_stable_version(emu):
    post(emu, {"app_id": APP, "channel": "beta", "version": None})
    err(post(emu, {"app_id": APP, "channel": "beta", "rolloutVersion": "1.0.0", "rolloutEnabled": True}),
        400, "missing_stable_version")


def test_auto_pause_fields(emu):
    r = post(emu, {"app_id": APP, "channel": "beta", "autoPauseEnabled": True,
                   "autoPauseWindowMinutes": 30, "autoPauseFailureRateBps": 500,
                   "auto_pause_confidence": 0.9, "autoPauseMinAttempts": 10,
                   "autoPauseMinFailures": 2, "autoPauseAction": "rollback",
                   "autoPauseCooldownMinutes": 0})
    assert r.status_code == 200, r.text
    ch = get_one(emu, "beta").json()
    assert ch["autoPauseEnabled"] is True and ch["autoPauseWindowMinutes"] == 30
    assert ch["autoPauseFailureRateBps"] == 500 and ch["autoPauseConfidence"] == 0.9
    assert ch["autoPauseMinAttempts"] == 10 and ch["autoPauseMinFailures"] == 2
    assert ch["autoPauseAction"] == "rollback" and ch["autoPauseCooldownMinutes"] == 0


def test_rollout_on_new_channel_is_cannot_find_channel(emu):
    err(post(emu, {"app_id": APP, "channel": "fresh", "rolloutPercentage": 10}), 400, "cannot_find_channel")
    err(get_one(emu, "fresh"), 400, "cannot_find_version")


# ------------------------------------------------------------------ DELETE

def test_delete_channel_query_and_cascade(emu):
    r = emu.call("DELETE", "/channel", key=KEY_SUPER, params={"app_id": APP, "channel": "beta"})
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    err(get_one(emu, "beta"), 400, "cannot_find_version")
    assert not [o for o in emu.state()["device_overrides"] if o["device_id"] == DEVICE2]
    # not idempotent
    err(emu.call("DELETE", "/channel", key=KEY_SUPER, json={"app_id": APP, "channel": "beta"}),
        400, "cannot_find_channel")


def test_delete_channel_json_body(emu):
    r = emu.call("DELETE", "/channel", key=KEY_SUPER, json={"app_id": APP, "channel": "production"})
    assert r.status_code == 200


def test_delete_channel_errors(emu):
    err(emu.call("DELETE", "/channel", key=KEY_SUPER), 400, "invalid_json_parse_body")
    err(emu.call("DELETE", "/channel", key=KEY_SUPER, params={"app_id": APP}), 400, "missing_channel_name")
    err(emu.call("DELETE", "/channel", key=KEY_SUPER, params={"channel": "beta"}), 400, "missing_app_id")
    for key in (KEY_ORG_ADMIN, KEY_APP_DEV, KEY_READER):
        err(emu.call("DELETE", "/channel", key=key, params={"app_id": APP, "channel": "beta"}),
            400, "cannot_access_app")
    assert emu.call("DELETE", "/channel", key=KEY_APP_ADMIN,
                    params={"app_id": APP, "channel": "beta"}).status_code == 200


def test_delete_channel_scoped_admin(emu):
    err(emu.call("DELETE", "/channel", key=KEY_CHANNEL_ADMIN, params={"app_id": APP, "channel": "production"}),
        400, "cannot_access_app")
    assert emu.call("DELETE", "/channel", key=KEY_CHANNEL_ADMIN,
                    params={"app_id": APP, "channel": "beta"}).status_code == 200


def test_audit_log_records_channel_changes(emu):
    from emu_seed import ORG1
    post(emu, {"app_id": APP, "channel": "audited"})
    post(emu, {"app_id": APP, "channel": "audited", "public": True})  # un-publics production
    emu.call("DELETE", "/channel", key=KEY_SUPER, params={"app_id": APP, "channel": "audited"})
    r = emu.call("GET", "/organization/audit", key=KEY_SUPER, params={"orgId": ORG1, "tableName": "channels"})
    assert r.status_code == 200, r.text
    ops = sorted((e["operation"], e["new_record"]["name"] if e["new_record"] else e["old_record"]["name"])
                 for e in r.json()["data"])
    assert ops == sorted([("INSERT", "audited"), ("UPDATE", "audited"), ("UPDATE", "production"),
                          ("DELETE", "audited")])


def test_list_bad_page(emu):
    err(emu.call("GET", "/channel", key=KEY_SUPER, params={"app_id": APP, "page": "abc"}),
        400, "cannot_find_channels")


def test_rollout_version_by_numeric_id(emu):
    bid = get_one(emu, "beta").json()["version"]["id"]
    r = post(emu, {"app_id": APP, "channel": "production", "rolloutVersion": bid})
    assert r.status_code == 200, r.text
    assert get_one(emu, "production").json()["rollout_version"] == bid
    err(post(emu, {"app_id": APP, "channel": "production", "rolloutVersion": "7.7.7"}), 400, "cannot_find_version")
    assert post(emu, {"app_id": APP, "channel": "production", "rolloutVersion": None}).status_code == 200
    assert get_one(emu, "production").json()["rollout_version"] is None
