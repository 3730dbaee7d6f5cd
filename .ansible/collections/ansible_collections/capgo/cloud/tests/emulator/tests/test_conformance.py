"""Conformance findings of an independent black-box review (capgo-api.md §1–3, §6).

Each test pins a place where the emulator used to differ from the live service.
"""

import pytest

from emu_seed import (APP, APP_OUT, DEVICE1, KEY_APP_DEV, KEY_HASHED, KEY_OUTSIDER, KEY_SUPER,
                      ORG1, SESSION_ADMIN)


def assert_error(resp, status, code):
    assert resp.status_code == status, (resp.status_code, resp.text)
    body = resp.json()
    assert body["error"] == code, body
    assert "Traceback" not in resp.text
    return body


def channel_names(emu, app_id=APP):
    r = emu.call("GET", "/channel", key=KEY_SUPER, params={"app_id": app_id})
    assert r.status_code == 200, r.text
    return [c["name"] for c in r.json()]


# ------------------------------------------------------------------ §1.2 getBodyOrQuery
@pytest.mark.parametrize("raw", ["[]", "null", "0", "123", "true", "false", "\"\"", "{}"])
def test_json_or_query_parsed_empty_body_does_not_fall_back_to_query(emu, raw):
    # The query string is used only when the body is not JSON at all. A body that parses
    # but is empty/falsy is "Invalid JSON body" -- the DELETE must not act on the query.
    r = emu.call("DELETE", "/channel", key=KEY_SUPER, data=raw,
                 params={"app_id": APP, "channel": "beta"})
    assert_error(r, 400, "invalid_json_parse_body")
    assert "beta" in channel_names(emu)


@pytest.mark.parametrize("raw", ["[]", "null", "{}", "0"])
def test_json_or_query_get_with_empty_json_body_is_invalid(emu, raw):
    # GET skips the emptiness check only when it fell back to the query string.
    r = emu.call("GET", "/channel", key=KEY_SUPER, data=raw,
                 params={"app_id": APP, "channel": "beta"})
    assert_error(r, 400, "invalid_json_parse_body")


@pytest.mark.parametrize("raw", ["[1]", "\"str\""])
def test_json_or_query_non_object_json_has_no_fields(emu, raw):
    r = emu.call("DELETE", "/channel", key=KEY_SUPER, data=raw,
                 params={"app_id": APP, "channel": "beta"})
    assert_error(r, 400, "missing_app_id")
    assert "beta" in channel_names(emu)


def test_json_or_query_js_invalid_literals_fall_back_to_query(emu):
    # NaN / Infinity are not JSON for JavaScript's JSON.parse: the body is "not JSON".
    r = emu.call("DELETE", "/channel", key=KEY_SUPER, data='{"app_id": NaN}',
                 params={"app_id": APP, "channel": "beta"})
    assert r.status_code == 200, r.text
    assert "beta" not in channel_names(emu)


# ------------------------------------------------------------------ §1.2 parseBody
@pytest.mark.parametrize("raw", ["[1, 2]", "\"str\"", "7", "true"])
def test_json_only_non_object_json_is_parsed_as_no_fields(emu, raw):
    r = emu.call("POST", "/channel", key=KEY_SUPER, data=raw)
    assert_error(r, 400, "missing_app_id")


def test_json_only_js_invalid_literals_are_invalid_json(emu):
    r = emu.call("POST", "/channel", key=KEY_SUPER,
                 data='{"app_id": "com.demo.app", "channel": "n", "public": NaN}')
    assert_error(r, 400, "invalid_json_parse_body")
    assert "n" not in channel_names(emu)


def test_json_only_null_body_throws(emu):
    # parseBody reads `body.device_id` of the parsed value: null throws -> 500.
    r = emu.call("POST", "/channel", key=KEY_SUPER, data="null")
    assert r.status_code == 500
    assert r.json() == {"error": "unknown_error", "message": "Unknown error", "moreInfo": {}}


@pytest.mark.parametrize("method,body", [
    ("POST", {"app_id": APP, "device_id": 123, "channel": "beta"}),
    ("DELETE", {"app_id": APP, "device_id": ["A"]}),
    ("GET", {"app_id": APP, "device_id": {"x": 1}}),
])
def test_non_string_device_id_throws(emu, method, body):
    # Both helpers call device_id.toLowerCase() on a truthy device_id.
    r = emu.call(method, "/device", key=KEY_SUPER, json=body)
    assert r.status_code == 500, r.text
    assert r.json()["error"] == "unknown_error"


# ------------------------------------------------------------------ §2.7 DELETE /app/:id
def test_delete_app_checks_app_id_pattern_first(emu):
    assert_error(emu.call("DELETE", "/app/notreverse", key=KEY_SUPER), 400, "invalid_app_id")


# ------------------------------------------------------------------ §1.5 org key policy
def test_enforce_hashed_api_keys_rejects_plain_keys(emu):
    r = emu.call("PUT", "/organization", key=SESSION_ADMIN,
                 json={"orgId": ORG1, "enforce_hashed_api_keys": True})
    assert r.status_code == 200, r.text
    params = {"app_id": APP, "channel": "beta"}
    # plain keys bound to the enforcing org (org- or app-scoped) are unknown keys now
    assert_error(emu.call("GET", "/channel", key=KEY_SUPER, params=params), 401,
                 "invalid_apikey")
    assert_error(emu.call("GET", "/channel", key=KEY_APP_DEV, params=params), 401,
                 "invalid_apikey")
    assert_error(emu.call("GET", "/apikey", key=KEY_SUPER), 401, "invalid_apikey")
    # hashed keys and keys of other orgs keep working
    assert emu.call("GET", "/channel", key=KEY_HASHED, params=params).status_code == 200
    r = emu.call("GET", "/channel", key=KEY_OUTSIDER, params={"app_id": APP_OUT})
    assert r.status_code == 200, r.text


# ------------------------------------------------------------------ huge numbers
@pytest.mark.parametrize("method,path,raw,status,code", [
    ("GET", "/channel", '{"app_id": "com.demo.app", "page": 1e308}', 400,
     "cannot_find_channels"),
    ("GET", "/channel", '{"app_id": "com.demo.app", "page": 1e400}', 400,
     "cannot_find_channels"),
    ("GET", "/channel", '{"app_id": "com.demo.app", "page": 1%s}' % ("0" * 400), 400,
     "cannot_find_channels"),
    ("GET", "/bundle", '{"app_id": "com.demo.app", "page": 1e308}', 400, "cannot_get_bundle"),
    ("GET", "/bundle", '{"app_id": "com.demo.app", "page": 1%s}' % ("0" * 400), 400,
     "cannot_get_bundle"),
    ("GET", "/webhooks", '{"orgId": "%s", "page": 1%s}' % (ORG1, "0" * 400), 400,
     "invalid_body"),
    ("GET", "/device", '{"app_id": "com.demo.app", "limit": 1%s}' % ("0" * 400), 400,
     "invalid_limit"),
])
def test_huge_numbers_are_not_500(emu, method, path, raw, status, code):
    assert_error(emu.call(method, path, key=KEY_SUPER, data=raw), status, code)


# ------------------------------------------------------------------ §2.3 statistics
def test_statistics_native_usage_route_exists(emu):
    params = {"from": "2026-11-01", "to": "2026-11-04"}
    r = emu.call("GET", "/statistics/app/%s/native_usage" % APP, key=KEY_SUPER, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["labels"] == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
    assert body["datasets"] == []
    assert_error(emu.call("GET", "/statistics/app/%s/native_usage" % APP, key=KEY_SUPER,
                          params={"from": "2026-11-01"}), 400, "invalid_body")
    assert_error(emu.call("GET", "/statistics/app/com.unknown.app/native_usage",
                          key=KEY_SUPER, params=params), 401, "no_access_to_app")


def test_statistics_bundle_usage_omits_versions_without_usage(emu):
    # Devices of the seed were seen "now"; a window long before has no usage at all,
    # and the live service drops versions whose counts are all zero.
    params = {"from": "2020-01-01", "to": "2020-01-03"}
    r = emu.call("GET", "/statistics/app/%s/bundle_usage" % APP, key=KEY_SUPER, params=params)
    assert r.status_code == 200, r.text
    assert r.json() == {"labels": ["2020-01-01", "2020-01-02", "2020-01-03"], "datasets": []}


def test_statistics_usage_labels_include_to_and_empty_when_reversed(emu):
    # generateDateLabels: from..to inclusive; from after to -> no labels at all
    url = "/statistics/app/%s/bundle_usage" % APP
    r = emu.call("GET", url, key=KEY_SUPER, params={"from": "2026-11-01", "to": "2026-11-01"})
    assert r.json()["labels"] == ["2026-11-01"]
    r = emu.call("GET", url, key=KEY_SUPER, params={"from": "2026-11-03", "to": "2026-11-01"})
    assert r.json() == {"labels": [], "datasets": []}


def test_device_fixture_sanity(emu):
    r = emu.call("GET", "/device", key=KEY_SUPER, params={"app_id": APP, "device_id": DEVICE1})
    assert r.status_code == 200
