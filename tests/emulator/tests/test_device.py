"""/device: GET one / cursor list, POST override, DELETE, rate limits (capgo-api.md §2.5, §1.6)."""

import copy

import pytest

from capgo_emulator import ratelimit
from conftest import start_emulator
from emu_seed import (APP, APP2, APP_OUT, DEFAULT_SEED, DEVICE1, DEVICE2, KEY_APP_DEV,
                      KEY_CHANNEL_ADMIN, KEY_MEMBER, KEY_READER, KEY_SUPER, KEY_UPLOADER)
from helpers import err

DEVICE_FIELDS = {"updated_at", "device_id", "custom_id", "is_prod", "is_emulator", "install_source",
                 "version_name", "version", "app_id", "platform", "plugin_version", "os_version",
                 "version_build", "key_id", "country_code"}
NEW_DEVICE = "aaaaaaaa-0000-0000-0000-00000000000a"


def get(emu, key=KEY_SUPER, **params):
    params.setdefault("app_id", APP)
    return emu.call("GET", "/device", key=key, params=params)


def post(emu, body, key=KEY_SUPER):
    return emu.call("POST", "/device", key=key, json=body)


def overrides(emu):
    return [o for o in emu.state()["device_overrides"] if o["app_id"] == APP]


# ------------------------------------------------------------------ GET one

def test_get_one_without_override(emu):
    r = get(emu, device_id=DEVICE1)
    assert r.status_code == 200, r.text
    d = r.json()
    assert set(d) == DEVICE_FIELDS
    assert d["device_id"] == DEVICE1 and d["platform"] == "ios" and d["version_name"] == "1.0.0"
    assert isinstance(d["version"], int)


def test_get_one_with_override_has_channel(emu):
    d = get(emu, device_id=DEVICE2).json()
    assert set(d) == DEVICE_FIELDS | {"channel"} and d["channel"] == "beta"


def test_get_one_lowercases_device_id(emu):
    assert get(emu, device_id=DEVICE2.upper().replace("0", "0")).status_code == 200
    assert get(emu, device_id="AAAAAAAA-0000-0000-0000-00000000000B").status_code == 404


def test_get_never_seen_device_404_even_with_override(emu):
    assert post(emu, {"app_id": APP, "device_id": NEW_DEVICE, "channel": "beta"}).status_code == 200
    err(get(emu, device_id=NEW_DEVICE), 404, "device_not_found")
    assert any(o["device_id"] == NEW_DEVICE for o in overrides(emu))


def test_get_permissions(emu):
    err(get(emu, key=KEY_MEMBER), 400, "cannot_access_app")
    err(get(emu, app_id=APP_OUT), 400, "cannot_access_app")
    err(get(emu, app_id="com.nope.app"), 400, "cannot_access_app")
    err(get(emu, app_id="nodot"), 400, "invalid_app_id")
    err(emu.call("GET", "/device", key=KEY_SUPER), 400, "missing_app_id")
    assert get(emu, key=KEY_READER).status_code == 200
    assert get(emu, key=KEY_UPLOADER).status_code == 200


# ------------------------------------------------------------------ GET list (cursor)

def seed_devices(n, app=APP):
    seed = copy.deepcopy(DEFAULT_SEED)
    seed["devices"] = [
        {"app_id": app, "device_id": "dev-%03d" % i, "platform": "android",
         # updated_at decreasing with the id so device_id order != updated_at order
         "updated_at": "2026-01-01T00:%02d:%02dZ" % ((n - i) // 60, (n - i) % 60)}
        for i in range(n)]
    seed["device_overrides"] = []
    return seed


def test_list_default(emu):
    r = get(emu)
    assert r.status_code == 200
    body = r.json()
    assert body["hasMore"] is False and "nextCursor" not in body
    assert [d["device_id"] for d in body["data"]] == [DEVICE1, DEVICE2]
    assert body["data"][1]["channel"] == "beta" and "channel" not in body["data"][0]


def test_list_shows_each_devices_override_as_get_one_does(emu):
    """A listing reads the overrides once per page: the same channels as reading each device alone."""
    assert emu.call("POST", "/channel", key=KEY_SUPER, json={"app_id": APP, "channel": "qa"}).status_code == 200
    assert post(emu, {"app_id": APP, "device_id": DEVICE1, "channel": "qa"}).status_code == 200
    listed = get(emu).json()["data"]
    assert [d.get("channel") for d in listed] == ["qa", "beta"]
    assert listed == [get(emu, device_id=d["device_id"]).json() for d in listed]


def test_list_default_limit_50_and_cursor_walk(emu):
    emu.reset(seed_devices(120))
    seen = []
    cursor = None
    pages = 0
    while True:
        params = {"cursor": cursor} if cursor else {}
        body = get(emu, **params).json()
        pages += 1
        seen += [d["device_id"] for d in body["data"]]
        if not body["hasMore"]:
            assert "nextCursor" not in body
            break
        assert len(body["data"]) == 50
        last = body["data"][-1]
        assert body["nextCursor"] == "%s|%s" % (last["updated_at"], last["device_id"])
        cursor = body["nextCursor"]
    assert pages == 3
    assert seen == ["dev-%03d" % i for i in range(120)]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_list_order_updated_at(emu, order):
    emu.reset(seed_devices(30))
    seen, cursor = [], None
    while True:
        params = {"order": order, "limit": "7"}
        if cursor:
            params["cursor"] = cursor
        body = get(emu, **params).json()
        seen += [d["device_id"] for d in body["data"]]
        if not body["hasMore"]:
            break
        cursor = body["nextCursor"]
    expected = ["dev-%03d" % i for i in range(30)]
    if order == "asc":
        expected.reverse()  # older updated_at first = higher index first
    assert seen == expected


def test_list_updated_at_filter_strictly_after(emu):
    emu.reset(seed_devices(10))
    # dev-i has updated_at 00:00:(10-i); strictly after 00:00:05 → i < 5
    body = get(emu, updated_at="2026-01-01T00:00:05Z").json()
    assert [d["device_id"] for d in body["data"]] == ["dev-%03d" % i for i in range(5)]
    body = get(emu, updated_at="2026-01-01 00:00:05").json()
    assert len(body["data"]) == 5
    body = get(emu, updated_at="2026-01-01T00:00:05.000Z").json()
    assert len(body["data"]) == 5


def test_list_large_limit_accepted(emu):
    emu.reset(seed_devices(60))
    body = get(emu, limit="50000").json()
    assert len(body["data"]) == 60 and body["hasMore"] is False
    body = get(emu, limit="1000000").json()
    assert len(body["data"]) == 60


def test_list_empty(emu):
    body = get(emu, app_id=APP2).json()
    assert body == {"data": [], "hasMore": False}


@pytest.mark.parametrize("params,code", [
    ({"limit": "0"}, "invalid_limit"),
    ({"limit": "-3"}, "invalid_limit"),
    ({"limit": "abc"}, "invalid_limit"),
    ({"limit": "1.5"}, "invalid_limit"),
    ({"updated_at": "yesterday"}, "invalid_updated_at"),
    ({"updated_at": "2026-01-01T00:00:00+02:00"}, "invalid_updated_at"),
    ({"updated_at": "2026-01-01"}, "invalid_updated_at"),
    ({"order": "up"}, "invalid_order"),
])
def test_list_validation(emu, params, code):
    err(get(emu, **params), 400, code)


# ------------------------------------------------------------------ POST

def test_post_sets_and_replaces_override(emu):
    assert post(emu, {"app_id": APP, "device_id": DEVICE1, "channel": "beta"}).json() == {"status": "ok"}
    assert get(emu, device_id=DEVICE1).json()["channel"] == "beta"
    # a new private channel replaces the override (one per app/device)
    assert emu.call("POST", "/channel", key=KEY_SUPER, json={"app_id": APP, "channel": "qa"}).status_code == 200
    assert post(emu, {"app_id": APP, "device_id": DEVICE1, "channel": "qa"}).status_code == 200
    assert get(emu, device_id=DEVICE1).json()["channel"] == "qa"
    assert len([o for o in overrides(emu) if o["device_id"] == DEVICE1]) == 1


def test_post_lowercases_device_id(emu):
    assert post(emu, {"app_id": APP, "device_id": DEVICE1.upper(), "channel": "beta"}).status_code == 200
    assert get(emu, device_id=DEVICE1).json()["channel"] == "beta"


def test_post_errors(emu):
    err(post(emu, {"app_id": APP}), 400, "missing_device_id_or_app_id")
    err(post(emu, {"device_id": DEVICE1}), 400, "missing_device_id_or_app_id")
    err(post(emu, {"app_id": APP, "device_id": DEVICE1, "version_id": 1}), 400, "invalid_version_id")
    err(post(emu, {"app_id": APP, "device_id": DEVICE1, "channel": "nope"}), 404, "channel_not_found")
    err(post(emu, {"app_id": APP, "device_id": "d-pub", "channel": "production"}), 400, "public_channel_override")
    err(emu.call("POST", "/device", key=KEY_SUPER, params={"app_id": APP, "device_id": "x"}),
        400, "invalid_json_parse_body")


def test_post_permissions(emu):
    err(post(emu, {"app_id": APP, "device_id": "p1", "channel": "beta"}, key=KEY_READER), 400, "cannot_access_channel")
    err(post(emu, {"app_id": APP, "device_id": "p2", "channel": "beta"}, key=KEY_UPLOADER), 400, "cannot_access_channel")
    # a channel the key cannot even read is "not found"
    err(post(emu, {"app_id": APP, "device_id": "p3", "channel": "beta"}, key=KEY_MEMBER), 404, "channel_not_found")
    err(post(emu, {"app_id": APP_OUT, "device_id": "p3", "channel": "production"}), 404, "channel_not_found")
    assert post(emu, {"app_id": APP, "device_id": "p4", "channel": "beta"}, key=KEY_APP_DEV).status_code == 200
    assert post(emu, {"app_id": APP, "device_id": "p5", "channel": "beta"}, key=KEY_CHANNEL_ADMIN).status_code == 200
    err(post(emu, {"app_id": APP_OUT, "device_id": "p6", "channel": "nope"}), 404, "channel_not_found")


def test_post_without_channel_is_noop(emu):
    before = overrides(emu)
    assert post(emu, {"app_id": APP, "device_id": DEVICE2}).json() == {"status": "ok"}
    assert overrides(emu) == before
    err(post(emu, {"app_id": APP, "device_id": DEVICE2}, key=KEY_READER), 400, "cannot_access_app")


def test_post_same_channel_within_60s_is_429(emu):
    body = {"app_id": APP, "device_id": DEVICE1, "channel": "beta"}
    assert post(emu, body).status_code == 200
    r = post(emu, body)
    e = err(r, 429, "too_many_requests")
    assert e["moreInfo"]["retryAfterSeconds"] >= 1 and e["moreInfo"]["rateLimitResetAt"] > 0
    assert int(r.headers["Retry-After"]) >= 1 and r.headers["X-RateLimit-Reset"]
    # another device or channel is fine
    assert post(emu, {"app_id": APP, "device_id": "other-dev", "channel": "beta"}).status_code == 200
    emu.advance(61)
    assert post(emu, body).status_code == 200


def test_post_same_channel_429_even_if_first_failed(emu):
    body = {"app_id": APP, "device_id": DEVICE1, "channel": "production"}
    err(post(emu, body), 400, "public_channel_override")
    err(post(emu, body), 429, "too_many_requests")
    body = {"app_id": APP, "device_id": DEVICE1, "channel": "ghost"}
    err(post(emu, body), 404, "channel_not_found")
    err(post(emu, body), 429, "too_many_requests")


def test_device_ops_5_per_second(emu):
    for _request in range(5):
        assert get(emu, device_id=DEVICE1).status_code == 200
    r = get(emu, device_id=DEVICE1)
    e = err(r, 429, "too_many_requests")
    assert "Retry-After" in r.headers and "retryAfterSeconds" in e["moreInfo"]
    # other operations and other devices have their own budget
    assert get(emu, device_id=DEVICE2).status_code == 200
    assert emu.call("DELETE", "/device", key=KEY_SUPER,
                    params={"app_id": APP, "device_id": DEVICE1}).status_code == 200
    emu.advance(1.5)
    assert get(emu, device_id=DEVICE1).status_code == 200


@pytest.mark.parametrize("method,make", [
    ("POST", lambda i: {"json": {"app_id": "not a valid id", "device_id": "d-x", "channel": "c%d" % i}}),
    ("GET", lambda i: {"params": {"app_id": "not a valid id", "device_id": "d-x"}}),
    ("DELETE", lambda i: {"params": {"app_id": "not a valid id", "device_id": "d-x"}}),
])
def test_rate_limit_comes_before_validation_and_refused_requests_count(emu, method, make):
    # device/index.ts: the limit is checked on the raw input before the handler validates it,
    # and every request the handler saw is recorded, also the ones it refused
    for i in range(5):
        r = emu.call(method, "/device", key=KEY_SUPER, **make(i))
        assert r.status_code == 400 and r.json()["error"] == "invalid_app_id", r.text
    r = emu.call(method, "/device", key=KEY_SUPER, **make(5))
    body = err(r, 429, "too_many_requests")
    assert set(body["moreInfo"]) == {"app_id", "device_id", "rateLimitResetAt", "retryAfterSeconds"}
    assert body["moreInfo"]["device_id"] == "d-x"


def test_rate_limit_also_refuses_a_caller_without_rights(emu):
    for _request in range(5):
        err(get(emu, key=KEY_MEMBER, device_id=DEVICE1), 400, "cannot_access_app")
    err(get(emu, key=KEY_MEMBER, device_id=DEVICE1), 429, "too_many_requests")


def test_same_set_answer_has_no_reason_and_a_429_does_not_restart_the_window(emu):
    body = {"app_id": APP, "device_id": DEVICE1, "channel": "beta"}
    assert post(emu, body).status_code == 200
    emu.advance(30)
    r = post(emu, body)
    e = err(r, 429, "too_many_requests")
    assert "reason" not in e["moreInfo"]
    assert e["moreInfo"]["app_id"] == APP and e["moreInfo"]["device_id"] == DEVICE1
    assert r.headers["Retry-After"] == str(e["moreInfo"]["retryAfterSeconds"]) == "30"
    emu.advance(31)  # 61 s after the first set, 31 s after the refused one
    assert post(emu, body).status_code == 200


def test_op_limit_answer_has_no_reason(emu):
    for _request in range(5):
        get(emu, device_id=DEVICE1)
    e = err(get(emu, device_id=DEVICE1), 429, "too_many_requests")
    assert "reason" not in e["moreInfo"]


def test_retry_after_may_be_zero():
    exc = ratelimit.too_many(None, 100.0, 100.0, app_id=APP)
    assert exc.headers["Retry-After"] == "0" and exc.body()["moreInfo"] == {
        "app_id": APP, "rateLimitResetAt": 100000, "retryAfterSeconds": 0}


def test_ip_rate_limit_per_app(tmp_path):
    server = start_emulator(seed=DEFAULT_SEED, tmp_path=tmp_path,
                            env={"RATE_LIMIT_CHANNEL_SELF_IP": "3"})
    try:
        ip = {"cf-connecting-ip": "203.0.113.9"}
        for i in range(3):
            r = server.call("GET", "/device", key=KEY_SUPER, headers=ip,
                            params={"app_id": APP, "device_id": "ip-%d" % i})
            assert r.status_code in (200, 404), r.text
        r = server.call("GET", "/device", key=KEY_SUPER, headers=ip, params={"app_id": APP})
        e = err(r, 429, "too_many_requests")
        assert e["moreInfo"]["reason"] == "ip_rate_limit_exceeded" and e["moreInfo"]["app_id"] == APP
        # another app, or another address, has its own budget
        assert server.call("GET", "/device", key=KEY_SUPER, headers=ip,
                           params={"app_id": APP2}).status_code == 200
        assert server.call("GET", "/device", key=KEY_SUPER,
                           headers={"cf-connecting-ip": "203.0.113.10"},
                           params={"app_id": APP}).status_code == 200
    finally:
        server.stop()


# ------------------------------------------------------------------ DELETE

def test_delete_idempotent(emu):
    for _attempt in range(2):
        r = emu.call("DELETE", "/device", key=KEY_SUPER, params={"app_id": APP, "device_id": DEVICE2})
        assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert "channel" not in get(emu, device_id=DEVICE2).json()
    # the device record itself stays
    assert get(emu, device_id=DEVICE2).status_code == 200


def test_delete_json_body_and_lowercase(emu):
    r = emu.call("DELETE", "/device", key=KEY_SUPER, json={"app_id": APP, "device_id": DEVICE2.upper()})
    assert r.status_code == 200
    assert not [o for o in overrides(emu) if o["device_id"] == DEVICE2]


def test_delete_errors(emu):
    err(emu.call("DELETE", "/device", key=KEY_SUPER), 400, "invalid_json_parse_body")
    err(emu.call("DELETE", "/device", key=KEY_SUPER, params={"device_id": DEVICE1}), 400, "missing_app_id")
    err(emu.call("DELETE", "/device", key=KEY_SUPER, params={"app_id": APP}), 400, "missing_device_id")
    err(emu.call("DELETE", "/device", key=KEY_READER, params={"app_id": APP, "device_id": DEVICE2}),
        400, "cannot_access_app")


def test_custom_id_mode(emu):
    seed = copy.deepcopy(DEFAULT_SEED)
    seed["devices"][0]["custom_id"] = "user-42"
    emu.reset(seed)
    err(get(emu, device_id="user-42"), 404, "device_not_found")
    d = get(emu, device_id="user-42", customIdMode="true").json()
    assert d["device_id"] == DEVICE1 and d["custom_id"] == "user-42"
    body = get(emu, customIdMode="false").json()  # any non-empty query value enables it
    assert [x["device_id"] for x in body["data"]] == [DEVICE1]


def test_cursor_with_pipe_in_device_id(emu):
    seed = copy.deepcopy(DEFAULT_SEED)
    seed["devices"] = [{"app_id": APP, "device_id": "a|%d" % i, "updated_at": "2026-01-01T00:00:00Z"}
                       for i in range(3)]
    seed["device_overrides"] = []
    emu.reset(seed)
    first = get(emu, limit="2").json()
    assert first["hasMore"] is True
    rest = get(emu, limit="2", cursor=first["nextCursor"]).json()
    assert [d["device_id"] for d in first["data"] + rest["data"]] == ["a|0", "a|1", "a|2"]
