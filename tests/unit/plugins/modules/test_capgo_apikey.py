# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import copy
import json

import pytest
import responses
from responses import matchers

from ansible.module_utils import basic

from ansible_collections.capgo.cloud.plugins.modules import capgo_apikey
from ansible_collections.capgo.cloud.plugins.module_utils import _apikey
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
KEY = "11111111-2222-3333-4444-555555555555"
LOOKUP = "99999999-8888-7777-6666-555555555555"
SESSION = "session-token-of-admin"
NEW_SECRET = "5f0e2b8c-0d9f-4d6b-a1a4-6b8f1f7f3c2e"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
APP_UUID = "a0a0a0a0-1111-2222-3333-444444444444"
APP2_UUID = "b0b0b0b0-1111-2222-3333-444444444444"
CREATE_REFUSED = "Capgo refuses API keys creating API keys: use a dashboard session token as api_key"


def key(**over):
    data = {"id": 7, "name": "ci", "user_id": "u1", "rbac_id": "c0c0c0c0-1111-2222-3333-444444444444",
            "created_at": "2026-11-01T00:00:00+00:00", "updated_at": "2026-11-01T00:00:00+00:00",
            "expires_at": None, "is_hashed_key": False, "global_permissions": []}
    data.update(over)
    return data


def list_keys(items):
    responses.get(URL + "/apikey", json=items)


def app(app_id="com.demo.app", uuid=APP_UUID, org=ORG):
    return {"app_id": app_id, "id": uuid, "owner_org": org, "name": app_id}


def writes():
    return [c.request for c in responses.calls if c.request.method in ("POST", "PUT", "DELETE")]


def body_of(request):
    return json.loads(request.body)


def without_secret(result):
    """The result with apikey.key removed: where the secret must never be."""
    out = copy.deepcopy(result)
    out.get("apikey", {}).pop("key", None)
    return json.dumps(out)


def run(monkeypatch, check_mode=False, diff=False, **args):
    return run_with_warnings(monkeypatch, check_mode, diff, **args)[0]


def run_with_warnings(monkeypatch, check_mode=False, diff=False, **args):
    args.setdefault("name", "ci")
    return run_module(monkeypatch, capgo_apikey.main, args, check_mode=check_mode, diff=diff)


def session(**args):
    args.setdefault("api_key", SESSION)
    args.setdefault("lookup_api_key", LOOKUP)
    return args


# -- converged / identity ---------------------------------------------------

@responses.activate
def test_converged_run_sends_one_get_and_returns_no_secret(monkeypatch):
    list_keys([key(expires_at="2027-01-31T00:00:00+00:00"), key(id=8, name="other")])
    result = run(monkeypatch, expires_at="2027-01-31", bindings=[{"role": "app_uploader", "app_id": "com.demo.app"}])
    assert result["changed"] is False
    assert len(responses.calls) == 1 and writes() == []
    assert result["apikey"]["id"] == 7 and "key" not in result["apikey"]
    assert result["apikey"]["expires_at"] == "2027-01-31T00:00:00Z"


@responses.activate
def test_same_instant_in_another_spelling_is_no_change(monkeypatch):
    list_keys([key(expires_at="2027-01-31T18:30:00.000+00:00")])
    result = run(monkeypatch, expires_at="2027-01-31T20:30:00+02:00")
    assert result["changed"] is False and writes() == []


@responses.activate
def test_ambiguous_name_fails_with_the_ids(monkeypatch):
    list_keys([key(id=12), key(id=3)])
    result = run(monkeypatch, state="absent")
    assert result["failed"] is True
    assert "2 API keys are named ci (ids 3, 12): pass id to pick one" in result["msg"]
    assert writes() == []


@responses.activate
def test_id_identifies_and_renames(monkeypatch):
    responses.get(URL + "/apikey/7", json=key())
    responses.put(URL + "/apikey/7", json=key(name="ci-renamed"))
    result = run(monkeypatch, id=7, name="ci-renamed", diff=True)
    assert result["changed"] is True
    assert body_of(writes()[0]) == {"name": "ci-renamed"}
    assert result["diff"]["before"]["name"] == "ci" and result["diff"]["after"]["name"] == "ci-renamed"


@responses.activate
def test_unknown_id_cannot_be_created(monkeypatch):
    responses.get(URL + "/apikey/7", status=404, json={"error": "failed_to_get_apikey", "message": "not found"})
    result = run(monkeypatch, id=7, api_key=SESSION, bindings=[{"role": "org_member", "org_id": ORG}])
    assert result["failed"] is True and "a key cannot be created with a given id" in result["msg"]
    assert writes() == []


# -- create -------------------------------------------------------------------

@responses.activate
def test_create_with_session_token_resolves_app_with_the_lookup_key(monkeypatch):
    list_keys([])
    responses.get(URL + "/app/com.demo.app", json=app(),
                  match=[matchers.header_matcher({"authorization": LOOKUP})])
    responses.post(URL + "/apikey", json=dict(key(expires_at="2027-06-30T00:00:00+00:00"), key=NEW_SECRET,
                                              key_hash=None),
                   match=[matchers.header_matcher({"authorization": SESSION})])
    bindings = [{"role": "app_uploader", "app_id": "com.demo.app"}, {"role": "org_member", "org_id": ORG}]
    result, warnings = run_with_warnings(monkeypatch, diff=True, expires_at="2027-06-30", **session(bindings=bindings))
    assert result["changed"] is True
    (post,) = writes()
    assert body_of(post) == {
        "name": "ci", "expires_at": "2027-06-30T00:00:00Z",
        "bindings": [{"role_name": "app_uploader", "scope_type": "app", "app_id": APP_UUID, "org_id": ORG},
                     {"role_name": "org_member", "scope_type": "org", "org_id": ORG}]}
    assert result["apikey"]["key"] == NEW_SECRET
    assert result["apikey"]["bindings"] == [
        {"role": "app_uploader", "org_id": ORG, "app_id": "com.demo.app", "channel_id": None},
        {"role": "org_member", "org_id": ORG, "app_id": None, "channel_id": None}]
    assert result["diff"]["before"] == {} and result["diff"]["after"]["name"] == "ci"
    assert NEW_SECRET not in without_secret(result) and NEW_SECRET not in json.dumps(warnings)
    assert LOOKUP not in json.dumps(result)


@responses.activate
def test_create_hashed_channel_binding(monkeypatch):
    list_keys([])
    responses.get(URL + "/app/com.demo.app", json=app())
    responses.post(URL + "/apikey", json=dict(key(is_hashed_key=None), key=NEW_SECRET, key_hash="ab" * 32))
    result = run(monkeypatch, hashed=True,
                 **session(bindings=[{"role": "channel_reader", "app_id": "com.demo.app", "channel_id": 4}]))
    post = body_of(writes()[0])
    assert post["hashed"] is True
    assert post["bindings"] == [{"role_name": "channel_reader", "scope_type": "channel", "app_id": APP_UUID,
                                 "org_id": ORG, "channel_id": 4}]
    assert result["apikey"]["hashed"] is True and result["apikey"]["key"] == NEW_SECRET


@responses.activate
def test_create_with_an_api_key_fails_before_any_write_also_in_check_mode(monkeypatch):
    for check_mode in (False, True):
        responses.calls.reset()
        list_keys([])
        result = run(monkeypatch, check_mode=check_mode, bindings=[{"role": "org_member", "org_id": ORG}])
        assert result["failed"] is True
        assert result["msg"] == CREATE_REFUSED
        assert writes() == []


@responses.activate
def test_server_refusal_of_creation_is_explained(monkeypatch):
    list_keys([])
    responses.post(URL + "/apikey", status=400,
                   json={"error": "cannot_create_apikey", "message": "API keys cannot create other API keys",
                         "moreInfo": {}})
    result = run(monkeypatch, **session(bindings=[{"role": "org_member", "org_id": ORG}]))
    assert result["failed"] is True
    assert result["msg"].startswith(CREATE_REFUSED + " (POST /apikey failed: HTTP 400 cannot_create_apikey")
    assert SESSION not in json.dumps(result)


@responses.activate
def test_create_in_check_mode_predicts_without_writing_and_without_secret(monkeypatch):
    list_keys([])
    responses.get(URL + "/app/com.demo.app", json=app())
    result = run(monkeypatch, check_mode=True, diff=True,
                 **session(bindings=[{"role": "app_reader", "app_id": "com.demo.app"}]))
    assert result["changed"] is True and writes() == []
    assert result["apikey"] == {"name": "ci", "expires_at": None, "hashed": False, "global_permissions": [],
                                "bindings": [{"role": "app_reader", "org_id": ORG, "app_id": "com.demo.app",
                                              "channel_id": None}]}


@responses.activate
def test_create_needs_bindings(monkeypatch):
    list_keys([])
    result = run(monkeypatch, api_key=SESSION)
    assert result["failed"] is True and "bindings (or mode) is required to create API key ci" in result["msg"]
    assert writes() == []


@responses.activate
def test_session_token_without_lookup_key_fails_before_writing(monkeypatch):
    list_keys([])
    result = run(monkeypatch, api_key=SESSION, bindings=[{"role": "app_reader", "app_id": "com.demo.app"}])
    assert result["failed"] is True
    assert "Capgo answers this lookup only to API keys, not to session tokens; set lookup_api_key" in result["msg"]
    assert writes() == [] and len(responses.calls) == 1


@responses.activate
def test_app_uuid_needs_no_lookup(monkeypatch):
    list_keys([])
    responses.post(URL + "/apikey", json=dict(key(), key=NEW_SECRET))
    run(monkeypatch, api_key=SESSION, bindings=[{"role": "app_reader", "app_id": APP_UUID, "org_id": ORG}])
    assert [c.request.method for c in responses.calls] == ["GET", "POST"]
    assert body_of(writes()[0])["bindings"] == [{"role_name": "app_reader", "scope_type": "app", "app_id": APP_UUID,
                                                 "org_id": ORG}]


@responses.activate
def test_unknown_app_fails_before_writing(monkeypatch):
    list_keys([])
    responses.get(URL + "/app/com.nope.app", status=401,
                  json={"error": "cannot_access_app", "message": "You can't access this app"})
    result = run(monkeypatch, **session(bindings=[{"role": "app_reader", "app_id": "com.nope.app"}]))
    assert result["failed"] is True
    assert "bindings[0]: app com.nope.app does not exist, or the key used for lookups cannot read it" in result["msg"]
    assert writes() == [] and LOOKUP not in json.dumps(result)


@responses.activate
def test_app_of_another_org_fails(monkeypatch):
    list_keys([])
    responses.get(URL + "/app/com.demo.app", json=app())
    other = "34a8c55d-2d0f-4652-a43f-684c7a9403ac"
    binding = {"role": "app_reader", "app_id": "com.demo.app", "org_id": other}
    result = run(monkeypatch, **session(bindings=[binding]))
    assert result["failed"] is True
    assert "app com.demo.app belongs to organization %s, not %s" % (ORG, other) in result["msg"]


@responses.activate
def test_past_expiry_fails_before_writing(monkeypatch):
    list_keys([])
    result = run(monkeypatch, expires_at="2001-01-01", **session(bindings=[{"role": "org_member", "org_id": ORG}]))
    assert result["failed"] is True and "expires_at 2001-01-01T00:00:00Z is not in the future" in result["msg"]
    assert writes() == []


# -- mode shorthand -----------------------------------------------------------

@responses.activate
def test_mode_read_with_org_is_org_member_plus_app_reader_on_every_app(monkeypatch):
    list_keys([])
    responses.get(URL + "/app", match=[matchers.query_param_matcher({"org_id": ORG, "limit": "50", "page": "0"})],
                  json=[app(), app("com.demo.second", APP2_UUID)])
    responses.post(URL + "/apikey", json=dict(key(), key=NEW_SECRET))
    result = run(monkeypatch, **session(mode="read", org_id=ORG))
    assert body_of(writes()[0])["bindings"] == [
        {"role_name": "org_member", "scope_type": "org", "org_id": ORG},
        {"role_name": "app_reader", "scope_type": "app", "app_id": APP_UUID, "org_id": ORG},
        {"role_name": "app_reader", "scope_type": "app", "app_id": APP2_UUID, "org_id": ORG}]
    # the apps came with the list: no GET /app/:id
    assert [c.request.url.split("?")[0] for c in responses.calls] == [URL + "/apikey", URL + "/app", URL + "/apikey"]
    assert [b["role"] for b in result["apikey"]["bindings"]] == ["org_member", "app_reader", "app_reader"]


@pytest.mark.parametrize("mode, role", [("write", "app_developer"), ("upload", "app_uploader"),
                                        ("all", "app_admin"), ("read", "app_reader")])
@responses.activate
def test_mode_with_app_is_the_app_role_only(monkeypatch, mode, role):
    list_keys([])
    responses.get(URL + "/app/com.demo.app", json=app())
    responses.post(URL + "/apikey", json=dict(key(), key=NEW_SECRET))
    run(monkeypatch, **session(mode=mode, app_id="com.demo.app"))
    assert body_of(writes()[0])["bindings"] == [{"role_name": role, "scope_type": "app", "app_id": APP_UUID,
                                                 "org_id": ORG}]


@responses.activate
def test_mode_all_with_org_is_org_super_admin(monkeypatch):
    list_keys([])
    responses.post(URL + "/apikey", json=dict(key(), key=NEW_SECRET))
    run(monkeypatch, **session(mode="all", org_id=ORG))
    assert body_of(writes()[0])["bindings"] == [{"role_name": "org_super_admin", "scope_type": "org", "org_id": ORG}]


# -- update -------------------------------------------------------------------

@responses.activate
def test_update_expiry_puts_only_the_difference(monkeypatch):
    list_keys([key(expires_at="2027-01-31T00:00:00+00:00")])
    responses.put(URL + "/apikey/7", json=key(expires_at="2027-03-01T12:00:00+00:00"))
    result = run(monkeypatch, diff=True, name="ci", expires_at="2027-03-01T12:00:00Z")
    assert result["changed"] is True
    assert body_of(writes()[0]) == {"expires_at": "2027-03-01T12:00:00Z"}
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert [k for k in before if before[k] != after[k]] == ["expires_at"]
    assert "key" not in result["apikey"]


@pytest.mark.parametrize("value", [None, "never", ""])
@responses.activate
def test_null_removes_the_expiry(monkeypatch, value):
    list_keys([key(expires_at="2027-01-31T00:00:00+00:00")])
    responses.put(URL + "/apikey/7", json=key())
    result = run(monkeypatch, expires_at=value)
    assert result["changed"] is True
    assert body_of(writes()[0]) == {"expires_at": None}
    assert result["apikey"]["expires_at"] is None


@responses.activate
def test_unset_expiry_is_not_managed(monkeypatch):
    list_keys([key(expires_at="2027-01-31T00:00:00+00:00")])
    result = run(monkeypatch)
    assert result["changed"] is False and writes() == []


@responses.activate
def test_update_check_mode_predicts(monkeypatch):
    list_keys([key()])
    result = run(monkeypatch, check_mode=True, expires_at="2030-01-01")
    assert result["changed"] is True and writes() == []
    assert result["apikey"]["expires_at"] == "2030-01-01T00:00:00Z"


@responses.activate
def test_update_bindings_with_session_token_always_sends_them(monkeypatch):
    list_keys([key()])
    responses.get(URL + "/app/com.demo.app", json=app())
    responses.put(URL + "/apikey/7", json=key())
    result = run(monkeypatch, diff=True,
                 **session(update_bindings=True, bindings=[{"role": "app_developer", "app_id": "com.demo.app"}]))
    assert result["changed"] is True
    assert body_of(writes()[0]) == {"bindings": [{"role_name": "app_developer", "scope_type": "app",
                                                  "app_id": APP_UUID, "org_id": ORG}]}
    assert result["diff"]["after"]["bindings"][0]["role"] == "app_developer"
    assert "bindings" not in result["diff"]["before"]


@responses.activate
def test_update_bindings_with_an_api_key_fails_before_writing(monkeypatch):
    list_keys([key()])
    result = run(monkeypatch, update_bindings=True, bindings=[{"role": "org_member", "org_id": ORG}])
    assert result["failed"] is True
    assert "Capgo lets only a dashboard session token change a key's bindings" in result["msg"]
    assert writes() == []


@responses.activate
def test_bindings_without_update_bindings_are_not_sent_to_an_existing_key(monkeypatch):
    list_keys([key()])
    result = run(monkeypatch, **session(bindings=[{"role": "app_developer", "app_id": "com.demo.app"}]))
    assert result["changed"] is False and len(responses.calls) == 1


@responses.activate
def test_hashed_differs_warns_without_change(monkeypatch):
    list_keys([key()])
    result, warnings = run_with_warnings(monkeypatch, hashed=True)
    assert result["changed"] is False and writes() == []
    assert any("Capgo sets hashing only when a key is created" in w for w in warnings)


# -- regenerate ---------------------------------------------------------------

@responses.activate
def test_regenerate_returns_the_new_secret_only_there(monkeypatch):
    list_keys([key()])
    responses.put(URL + "/apikey/7", json=dict(key(), key=NEW_SECRET, key_hash=None))
    result, warnings = run_with_warnings(monkeypatch, diff=True, regenerate=True)
    assert result["changed"] is True
    assert body_of(writes()[0]) == {"regenerate": True}
    assert result["apikey"]["key"] == NEW_SECRET
    assert NEW_SECRET not in without_secret(result) and NEW_SECRET not in json.dumps(warnings)


@responses.activate
def test_regenerate_check_mode(monkeypatch):
    list_keys([key()])
    result = run(monkeypatch, check_mode=True, regenerate=True)
    assert result["changed"] is True and writes() == [] and "key" not in result["apikey"]


@responses.activate
def test_regenerate_itself_is_explained(monkeypatch):
    list_keys([key()])
    responses.put(URL + "/apikey/7", status=401,
                  json={"error": "cannot_update_apikey", "message": "Cannot update apikey", "moreInfo": {}})
    result = run(monkeypatch, regenerate=True)
    assert result["failed"] is True
    assert result["msg"].startswith("Capgo refused to change API key ci: an API key cannot change (or rotate) itself")
    assert "PUT /apikey/7 failed: HTTP 401 cannot_update_apikey: Cannot update apikey" in result["msg"]


# -- delete -------------------------------------------------------------------

@responses.activate
def test_delete_and_delete_again(monkeypatch):
    list_keys([key()])
    responses.delete(URL + "/apikey/7", json={"status": "ok"})
    result = run(monkeypatch, state="absent", diff=True)
    assert result["changed"] is True and result["apikey"] == {}
    assert [w.url for w in writes()] == [URL + "/apikey/7"]
    assert result["diff"]["after"] == {} and result["diff"]["before"]["name"] == "ci"
    responses.calls.reset()
    responses.replace(responses.GET, URL + "/apikey", json=[])
    result = run(monkeypatch, state="absent")
    assert result["changed"] is False and writes() == []


@responses.activate
def test_delete_of_a_key_gone_meanwhile_is_ok(monkeypatch):
    list_keys([key()])
    responses.delete(URL + "/apikey/7", status=404, json={"error": "api_key_not_found", "message": "not found"})
    list_keys([])  # the re-read confirms it is gone
    result = run(monkeypatch, state="absent")
    assert result["changed"] is True and "failed" not in result


@responses.activate
def test_delete_not_found_but_still_listed_fails(monkeypatch):
    list_keys([key()])
    responses.delete(URL + "/apikey/7", status=404, json={"error": "api_key_not_found", "message": "not found"})
    list_keys([key()])
    result = run(monkeypatch, state="absent")
    assert result["failed"] is True and "HTTP 404 api_key_not_found" in result["msg"]


@responses.activate
def test_delete_check_mode(monkeypatch):
    list_keys([key()])
    result = run(monkeypatch, state="absent", check_mode=True)
    assert result["changed"] is True and writes() == []


@responses.activate
def test_key_deleting_itself_fails_with_the_api_reason(monkeypatch):
    list_keys([key()])
    responses.delete(URL + "/apikey/7", status=401,
                     json={"error": "cannot_delete_apikey", "message": "You cannot delete your own API key",
                           "moreInfo": {}})
    result = run(monkeypatch, state="absent")
    assert result["failed"] is True
    assert "an API key cannot delete itself" in result["msg"]
    assert "DELETE /apikey/7 failed: HTTP 401 cannot_delete_apikey: You cannot delete your own API key" in result["msg"]
    assert KEY not in json.dumps(result) and "\n" not in result["msg"]


@responses.activate
def test_key_without_management_right_is_explained(monkeypatch):
    responses.get(URL + "/apikey", status=401, json={"error": "cannot_list_apikeys", "message": "Cannot list"})
    result = run(monkeypatch)
    assert result["failed"] is True and "it needs org.manage_apikeys" in result["msg"]


# -- bad input ----------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    ({"expires_at": "next tuesday"}, "expires_at must be a date (2027-01-31) or an ISO 8601 date and time"),
    ({"expires_at": "2027-02-30"}, "expires_at must be a date"),
    ({"org_id": ORG}, "org_id and app_id belong to the mode shorthand"),
    ({"mode": "read"}, "mode needs org_id or app_id"),
    ({"mode": "read", "org_id": "demo"}, "org_id must be the organization's id (a UUID)"),
    ({"mode": "read", "app_id": APP_UUID}, "with an app UUID as app_id, org_id is required too"),
    ({"bindings": []}, "bindings needs at least one binding"),
    ({"bindings": [{"role": "org_member", "org_id": ORG, "app_id": "com.demo.app"}]},
     "bindings[0]: role org_member is an organization role; drop app_id"),
    ({"bindings": [{"role": "org_admin"}]}, "bindings[0]: role org_admin is an organization role and needs org_id"),
    ({"bindings": [{"role": "app_reader", "org_id": ORG}]}, "bindings[0]: role app_reader is an app role and needs app_id"),
    ({"bindings": [{"role": "app_reader", "app_id": "com.demo.app", "channel_id": 3}]},
     "bindings[0]: role app_reader is an app role; drop channel_id"),
    ({"bindings": [{"role": "channel_admin", "app_id": "com.demo.app"}]},
     "bindings[0]: role channel_admin is a channel role and needs app_id and channel_id"),
    ({"bindings": [{"role": "app_reader", "app_id": APP_UUID}]}, "bindings[0]: with an app UUID as app_id, org_id"),
    ({"bindings": [{"role": "apikey_org_reader", "org_id": ORG}]}, "value of role must be one of"),
    ({"update_bindings": True}, "update_bindings needs bindings or mode"),
    ({"bindings": [{"role": "app_reader", "app_id": "not an app"}]}, "bindings[0]: app_id must be an app id"),
    ({"mode": "read", "app_id": "not an app"}, "app_id must be an app id (com.example.app) or the app's UUID"),
    ({"name": "ci", "lookup_api_key": "ae6e7458-c46d-4c00-aa3b-153b0b8520ea\n"}, "lookup_api_key contains whitespace"),
    ({"bindings": [{"role": "org_member", "org_id": ORG}], "mode": "read", "org_id": ORG}, "mutually exclusive"),
])
def test_bad_input_fails_before_any_request(monkeypatch, args, message):
    with responses.RequestsMock() as mock:
        result = run(monkeypatch, **args)
        assert result["failed"] is True
        assert message in result["msg"]
        assert len(mock.calls) == 0


def test_id_or_name_is_required(monkeypatch):
    result = run_module(monkeypatch, capgo_apikey.main, {"state": "absent"})[0]
    assert result["failed"] is True and "id, name" in result["msg"]


def test_expiry_parsing():
    parse, fmt = _apikey.parse_expiry, _apikey.format_expiry
    assert fmt(parse("2027-01-31")) == "2027-01-31T00:00:00Z"
    assert fmt(parse("2027-01-31 10:00:00")) == "2027-01-31T10:00:00Z"
    assert fmt(parse("2027-01-31T10:00:00.123456+00:00")) == "2027-01-31T10:00:00.123Z"
    assert fmt(parse("2027-01-31T01:00:00-0230")) == "2027-01-31T03:30:00Z"
    assert fmt(parse("2027-01-31T10:00Z")) == "2027-01-31T10:00:00Z"
    assert parse("2027-13-01") is None and parse("31.01.2027") is None


@responses.activate
def test_explicit_unchanged_is_not_managed(monkeypatch):
    list_keys([key(expires_at="2027-01-31T00:00:00+00:00")])
    result = run(monkeypatch, expires_at="unchanged")
    assert result["changed"] is False and writes() == []
    assert result["apikey"]["expires_at"] == "2027-01-31T00:00:00Z"


@responses.activate
def test_null_expiry_without_the_private_load_params(monkeypatch):
    """An explicit null is told from an unset option through public API only."""
    loads = []
    original = basic._load_params

    def counted():
        loads.append(1)
        return original()
    monkeypatch.setattr(basic, "_load_params", counted)
    list_keys([key(expires_at="2027-01-31T00:00:00+00:00")])
    responses.put(URL + "/apikey/7", json=key())
    result = run(monkeypatch, expires_at=None)
    assert result["changed"] is True and body_of(writes()[0]) == {"expires_at": None}
    assert len(loads) == 1  # AnsibleModule's own read of the arguments, nothing more


def test_argument_spec_keeps_secrets_out_of_logs_and_has_the_expiry_sentinel(monkeypatch):
    captured = {}
    original = basic.AnsibleModule.__init__

    def init(self, argument_spec, **kwargs):
        captured.update(argument_spec)
        original(self, argument_spec=argument_spec, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "__init__", init)
    with responses.RequestsMock() as mock:
        result = run(monkeypatch, name=" ")
        assert result["failed"] is True and len(mock.calls) == 0
    assert captured["lookup_api_key"]["no_log"] is True
    assert captured["api_key"]["no_log"] is True
    assert captured["expires_at"] == {"type": "raw", "default": "unchanged"}


@responses.activate
def test_expiry_of_another_type_is_checked_as_text(monkeypatch):
    list_keys([key(expires_at="2027-01-31T00:00:00+00:00")])
    result = run(monkeypatch, expires_at=20270131)
    assert result["failed"] is True and "got '20270131'" in result["msg"] and writes() == []
