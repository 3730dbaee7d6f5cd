"""Authentication headers, exact 401 codes, failed-auth lockout, per-key rate limit (§1.3, §1.6)."""

import time

import pytest
import requests

from emu_seed import (APP, KEY_EXPIRED, KEY_HASHED, KEY_MEMBER, KEY_SUPER, ORG1,
                      SESSION_ADMIN, SESSION_MEMBER)

UNKNOWN_UUID = "01234567-89ab-4cde-8f01-234567890abc"
KEY_ROUTE = "/app/" + APP          # middlewareKey
AUTH_ROUTE = "/apikey"             # middlewareAuth


def err(resp):
    return resp.status_code, resp.json().get("error")


# ------------------------------------------------------------------ middlewareKey
def test_key_route_authorization_header(emu):
    assert emu.call("GET", KEY_ROUTE, key=KEY_SUPER).status_code == 200


def test_key_route_capgkey_header(emu):
    assert emu.call("GET", KEY_ROUTE, key=KEY_SUPER, header="capgkey").status_code == 200


def test_key_route_capgkey_takes_precedence(emu):
    r = emu.call("GET", KEY_ROUTE, headers={"capgkey": KEY_SUPER, "authorization": "garbage"})
    assert r.status_code == 200
    r = emu.call("GET", KEY_ROUTE, headers={"capgkey": UNKNOWN_UUID, "authorization": KEY_SUPER})
    assert err(r) == (401, "invalid_apikey")


def test_key_route_x_api_key_not_accepted(emu):
    r = emu.call("GET", KEY_ROUTE, key=KEY_SUPER, header="x-api-key")
    assert err(r) == (401, "no_key_provided")


def test_key_route_no_key(emu):
    r = emu.call("GET", KEY_ROUTE)
    assert err(r) == (401, "no_key_provided")
    assert r.json()["moreInfo"] == {}


def test_key_route_unknown_and_expired_key(emu):
    r = emu.call("GET", KEY_ROUTE, key=UNKNOWN_UUID)
    assert err(r) == (401, "invalid_apikey") and r.json()["message"] == "Invalid apikey"
    assert err(emu.call("GET", KEY_ROUTE, key=KEY_EXPIRED)) == (401, "invalid_apikey")
    assert err(emu.call("GET", KEY_ROUTE, key="not-a-uuid-key")) == (401, "invalid_apikey")


def test_key_route_session_token_is_unknown_key(emu):
    assert err(emu.call("GET", KEY_ROUTE, key=SESSION_ADMIN)) == (401, "invalid_apikey")
    assert err(emu.call("GET", KEY_ROUTE, key="Bearer " + SESSION_ADMIN)) == \
        (401, "invalid_apikey")


def test_hashed_key_authenticates(emu):
    assert emu.call("GET", KEY_ROUTE, key=KEY_HASHED).status_code == 200
    assert emu.call("GET", KEY_ROUTE, key=KEY_HASHED, header="capgkey").status_code == 200


# ------------------------------------------------------------------ middlewareAuth
@pytest.mark.parametrize("headers", [
    {"authorization": KEY_SUPER}, {"capgkey": KEY_SUPER}, {"x-api-key": KEY_SUPER},
    {"authorization": SESSION_ADMIN}, {"authorization": "Bearer " + SESSION_ADMIN},
])
def test_auth_route_accepts(emu, headers):
    assert emu.call("GET", AUTH_ROUTE, headers=headers).status_code == 200


def test_auth_route_no_credentials(emu):
    assert err(emu.call("GET", AUTH_ROUTE)) == (401, "no_jwt_apikey_or_subkey")


def test_auth_route_bad_jwt(emu):
    assert err(emu.call("GET", AUTH_ROUTE, key="not-a-session")) == (401, "invalid_jwt")
    assert err(emu.call("GET", AUTH_ROUTE, key="Bearer nope")) == (401, "invalid_jwt")


def test_auth_route_unknown_uuid_is_apikey(emu):
    assert err(emu.call("GET", AUTH_ROUTE, key=UNKNOWN_UUID)) == (401, "invalid_apikey")
    assert err(emu.call("GET", AUTH_ROUTE, key=KEY_EXPIRED, header="x-api-key")) == \
        (401, "invalid_apikey")


def test_auth_route_authorization_precedence(emu):
    # authorization wins over capgkey / x-api-key even when it is bad
    r = emu.call("GET", AUTH_ROUTE, headers={"authorization": "bogus", "capgkey": KEY_SUPER})
    assert err(r) == (401, "invalid_jwt")
    r = emu.call("GET", AUTH_ROUTE, headers={"capgkey": KEY_SUPER, "x-api-key": UNKNOWN_UUID})
    assert r.status_code == 200


def test_jwt_acts_as_user(emu):
    # the session token stands for the user: org_member may create apps in its org
    r = emu.call("POST", "/app", key=SESSION_MEMBER,
                 json={"app_id": "com.jwt.app", "name": "J", "owner_org": ORG1})
    assert r.status_code == 200


def test_malformed_subkey_header(emu):
    r = emu.call("GET", KEY_ROUTE, key=KEY_SUPER, headers={"x-limited-key-id": "abc"})
    assert err(r) == (401, "invalid_subkey")


# ------------------------------------------------------------------ failed-auth lockout
def _fail(emu, ip, n):
    for _attempt in range(n):
        r = emu.call("GET", KEY_ROUTE, key=UNKNOWN_UUID, headers={"cf-connecting-ip": ip})
        assert r.status_code == 401


def _ok(emu, ip):
    return emu.call("GET", KEY_ROUTE, key=KEY_SUPER, headers={"cf-connecting-ip": ip})


def test_lockout_after_20_failures(emu):
    ip = "203.0.113.1"
    _fail(emu, ip, 20)
    r = _ok(emu, ip)  # even a valid key is refused now
    assert r.status_code == 429
    body = r.json()
    assert body["error"] == "too_many_requests"
    assert body["moreInfo"]["reason"] == "too_many_failed_auth_attempts"
    assert 0 < body["moreInfo"]["retryAfterSeconds"] <= 900
    assert body["moreInfo"]["rateLimitResetAt"] > time.time() * 1000
    assert int(r.headers["Retry-After"]) == body["moreInfo"]["retryAfterSeconds"]
    assert "X-RateLimit-Reset" in r.headers
    # middlewareAuth routes are locked too; other addresses are not
    assert emu.call("GET", AUTH_ROUTE, key=SESSION_ADMIN,
                    headers={"cf-connecting-ip": ip}).status_code == 429
    assert _ok(emu, "203.0.113.2").status_code == 200
    emu.advance(15 * 60 + 1)
    assert _ok(emu, ip).status_code == 200


def test_lockout_19_failures_is_fine(emu):
    ip = "203.0.113.3"
    _fail(emu, ip, 19)
    assert _ok(emu, ip).status_code == 200


def test_lockout_window_counts_from_last_failure(emu):
    ip = "203.0.113.4"
    _fail(emu, ip, 19)
    emu.advance(10 * 60)
    _fail(emu, ip, 1)          # 20th failure, 10 minutes later
    assert _ok(emu, ip).status_code == 429
    emu.advance(10 * 60)       # 10 min after the last failure: still locked
    assert _ok(emu, ip).status_code == 429
    emu.advance(5 * 60 + 1)    # > 15 min after the last failure
    assert _ok(emu, ip).status_code == 200


def test_success_does_not_reset_failure_counter(emu):
    ip = "203.0.113.5"
    _fail(emu, ip, 19)
    assert _ok(emu, ip).status_code == 200
    _fail(emu, ip, 1)
    assert _ok(emu, ip).status_code == 429


def test_all_auth_401s_count(emu):
    ip = "203.0.113.6"
    h = {"cf-connecting-ip": ip}
    for _attempt in range(5):
        assert err(emu.call("GET", KEY_ROUTE, headers=h)) == (401, "no_key_provided")
        assert err(emu.call("GET", AUTH_ROUTE, headers=h)) == (401, "no_jwt_apikey_or_subkey")
        assert err(emu.call("GET", AUTH_ROUTE, key="bad-jwt", headers=h)) == (401, "invalid_jwt")
        assert err(emu.call("GET", KEY_ROUTE, key=KEY_EXPIRED, headers=h)) == \
            (401, "invalid_apikey")
    assert err(_ok(emu, ip)) == (429, "too_many_requests")


def test_failures_without_forwarding_header_use_peer_address(emu):
    _fail(emu, "198.51.100.9", 0)
    for _attempt in range(20):
        emu.call("GET", KEY_ROUTE, key=UNKNOWN_UUID)
    assert emu.call("GET", KEY_ROUTE, key=KEY_SUPER).status_code == 429
    emu.reset()  # reset drops rate-limit state as well
    assert emu.call("GET", KEY_ROUTE, key=KEY_SUPER).status_code == 200


# ------------------------------------------------------------------ per-key limit
def test_per_key_limit_2000_per_minute(emu):
    session = requests.Session()
    url = emu.base_url + KEY_ROUTE
    statuses = [session.get(url, headers={"authorization": KEY_MEMBER}).status_code
                for _request in range(2000)]
    assert set(statuses) == {401}  # org_member cannot read apps, but is authenticated
    r = session.get(url, headers={"authorization": KEY_MEMBER})
    assert r.status_code == 429
    body = r.json()
    assert body["error"] == "too_many_requests"
    assert body["moreInfo"]["reason"] == "api_key_rate_limit_exceeded"
    assert body["moreInfo"]["retryAfterSeconds"] >= 1
    assert "Retry-After" in r.headers and "X-RateLimit-Reset" in r.headers
    # other keys are unaffected; the window ends 60 s after the last call
    assert session.get(url, headers={"authorization": KEY_SUPER}).status_code == 200
    emu.advance(61)
    assert session.get(url, headers={"authorization": KEY_MEMBER}).status_code == 401
    session.close()
