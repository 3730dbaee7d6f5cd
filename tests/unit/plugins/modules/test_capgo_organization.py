# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import responses
from responses import matchers

from ansible_collections.capgo.cloud.plugins.modules import capgo_organization
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
KEY = "11111111-2222-3333-4444-555555555555"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
NEW = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"


def org(**over):
    data = {"id": ORG, "created_by": "u1", "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-02T00:00:00Z", "logo": None, "name": "Demo org",
            "management_email": "admin@example.com", "customer_id": None, "website": None}
    data.update(over)
    return data


def row(**over):
    """The whole DB row PUT /organization returns in ``data``."""
    data = org(require_apikey_expiration=False, max_apikey_expiration_days=None, enforce_hashed_api_keys=False,
               enforce_encrypted_bundles=False, enforcing_2fa=False)
    data.update(over)
    return data


def get_org(body=None, org_id=ORG):
    match = [matchers.query_param_matcher({"orgId": org_id})]
    if body is None:
        responses.get(URL + "/organization", match=match, status=400,
                      json={"error": "invalid_org_id", "message": "You can't access this organization",
                            "moreInfo": {"orgId": org_id}})
    else:
        responses.get(URL + "/organization", match=match, json=body)


def list_orgs(rows, page=0):
    responses.get(URL + "/organization", match=[matchers.json_params_matcher({"page": page})], json=rows)


def put_ok(data):
    responses.put(URL + "/organization", json={"status": "Organization updated", "id": data["id"], "data": data})


def writes():
    return [c.request for c in responses.calls if c.request.method in ("POST", "PUT", "DELETE")]


def body(request):
    return json.loads(request.body)


def run(monkeypatch, check_mode=False, diff=False, **args):
    return run_module(monkeypatch, capgo_organization.main, args, check_mode=check_mode, diff=diff)[0]


# -- identification -------------------------------------------------------

@responses.activate
def test_converged_by_id_sends_one_get_and_no_write(monkeypatch):
    get_org(org(website="https://example.com"))
    result = run(monkeypatch, org_id=ORG, name="Demo org", management_email="ADMIN@example.com",
                 website="example.com")
    assert result["changed"] is False
    assert len(responses.calls) == 1 and writes() == []
    assert result["organization"]["org_id"] == ORG and result["organization"]["id"] == ORG
    assert result["organization"]["name"] == "Demo org"


@responses.activate
def test_converged_by_name_lists_with_page_as_json_number(monkeypatch):
    list_orgs([org(id=NEW, name="Other org"), org()])
    result = run(monkeypatch, name="Demo org", management_email="admin@example.com")
    assert result["changed"] is False
    assert len(responses.calls) == 1
    assert body(responses.calls[0].request) == {"page": 0}
    assert "page=" not in responses.calls[0].request.url
    assert result["organization"]["org_id"] == ORG


@responses.activate
def test_name_found_on_the_second_page(monkeypatch):
    first = [org(id="00000000-0000-4000-8000-%012d" % i, name="org %d" % i) for i in range(50)]
    list_orgs(first, page=0)
    list_orgs([org()], page=1)
    result = run(monkeypatch, name="Demo org")
    assert result["changed"] is False and result["organization"]["org_id"] == ORG
    assert [body(c.request)["page"] for c in responses.calls] == [0, 1]


@responses.activate
def test_ambiguous_name_fails_listing_the_ids(monkeypatch):
    list_orgs([org(), org(id=NEW)])
    result = run(monkeypatch, name="Demo org", website="example.com")
    assert result["failed"] is True
    assert "2 organizations visible to this API key are named 'Demo org'" in result["msg"]
    assert ORG in result["msg"] and NEW in result["msg"] and "org_id" in result["msg"]
    assert writes() == []


@responses.activate
def test_ambiguous_name_fails_for_absent_too(monkeypatch):
    list_orgs([org(), org(id=NEW)])
    result = run(monkeypatch, name="Demo org", state="absent")
    assert result["failed"] is True and NEW in result["msg"]
    assert writes() == []


@responses.activate
def test_unknown_org_id_fails_for_present(monkeypatch):
    get_org(None)
    result = run(monkeypatch, org_id=ORG, name="Demo org")
    assert result["failed"] is True
    assert "organization %s does not exist, or this API key may not read it" % ORG in result["msg"]
    assert writes() == []


# -- create ---------------------------------------------------------------

@responses.activate
def test_create_posts_create_fields_then_puts_logo_and_policy(monkeypatch):
    list_orgs([org(id=NEW, name="Other org")])
    responses.post(URL + "/organization", json={"id": ORG})
    put_ok(row(name="New team", logo="org/x/logo.png", require_apikey_expiration=True))
    get_org(org(name="New team", logo="https://cdn.test/org/x/logo.png?token=abc", website="https://example.com",
                management_email="billing@example.com"))
    result = run(monkeypatch, name="New team", management_email="billing@example.com", website="example.com",
                 estimated_mau=5000, logo="org/x/logo.png", require_apikey_expiration=True)
    assert result["changed"] is True
    post, put = writes()
    assert post.method == "POST" and body(post) == {"name": "New team", "email": "billing@example.com",
                                                    "website": "example.com", "estimatedMau": 5000}
    assert put.method == "PUT" and body(put) == {"orgId": ORG, "logo": "org/x/logo.png",
                                                 "require_apikey_expiration": True}
    out = result["organization"]
    assert out["org_id"] == ORG and out["website"] == "https://example.com"
    assert out["require_apikey_expiration"] is True and out["estimated_mau"] == 5000
    assert out["enforce_hashed_api_keys"] is False  # reported from the row PUT returned


@responses.activate
def test_create_without_extra_fields_sends_only_the_post(monkeypatch):
    list_orgs([])
    responses.post(URL + "/organization", json={"id": ORG})
    get_org(org(name="New team"))
    result = run(monkeypatch, name="New team")
    assert result["changed"] is True
    (post,) = writes()
    assert body(post) == {"name": "New team"}
    assert "require_apikey_expiration" not in result["organization"]


@responses.activate
def test_create_in_check_mode_predicts_without_writing(monkeypatch):
    list_orgs([])
    result = run(monkeypatch, check_mode=True, diff=True, name="New team", website="example.com",
                 estimated_mau=10, enforce_encrypted_bundles=True)
    assert result["changed"] is True and writes() == []
    out = result["organization"]
    assert out["name"] == "New team" and out["org_id"] is None
    assert out["website"] == "https://example.com" and out["enforce_encrypted_bundles"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["name"] == "New team"


@responses.activate
def test_create_needs_a_name(monkeypatch):
    get_org(None)
    result = run(monkeypatch, org_id=ORG, state="present")
    assert result["failed"] is True and writes() == []


@responses.activate
def test_create_refused_for_the_key_says_why(monkeypatch):
    list_orgs([])
    responses.post(URL + "/organization", status=403,
                   json={"error": "permission_denied", "message": "API key is not allowed to create organizations",
                         "moreInfo": {}})
    result = run(monkeypatch, name="New team")
    assert result["failed"] is True
    assert "needs a key with the org.create global permission" in result["msg"]
    assert "POST /organization failed: HTTP 403 permission_denied" in result["msg"]
    assert KEY not in json.dumps(result)


# -- update ---------------------------------------------------------------

@responses.activate
def test_update_puts_only_the_difference_with_a_diff_of_that_field(monkeypatch):
    get_org(org())
    put_ok(row(management_email="ops@example.com"))
    get_org(org(management_email="ops@example.com"))
    result = run(monkeypatch, diff=True, org_id=ORG, name="Demo org", management_email="ops@example.com")
    assert result["changed"] is True
    (put,) = writes()
    assert body(put) == {"orgId": ORG, "management_email": "ops@example.com"}
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert [k for k in after if before.get(k) != after[k]] == ["management_email"]
    assert "updated_at" not in after
    assert result["organization"]["management_email"] == "ops@example.com"


@responses.activate
def test_rename_by_id(monkeypatch):
    get_org(org())
    put_ok(row(name="Renamed org"))
    get_org(org(name="Renamed org"))
    result = run(monkeypatch, org_id=ORG, name="Renamed org")
    assert body(writes()[0]) == {"orgId": ORG, "name": "Renamed org"}
    assert result["organization"]["name"] == "Renamed org"


@responses.activate
def test_update_in_check_mode_predicts_without_writing(monkeypatch):
    get_org(org())
    result = run(monkeypatch, check_mode=True, diff=True, org_id=ORG, website="example.org")
    assert result["changed"] is True and writes() == []
    assert result["organization"]["website"] == "https://example.org"
    assert result["diff"]["before"]["website"] is None
    assert result["diff"]["after"]["website"] == "https://example.org"


@responses.activate
def test_clear_website_with_empty_string(monkeypatch):
    get_org(org(website="https://example.com"))
    put_ok(row())
    get_org(org())
    result = run(monkeypatch, org_id=ORG, website="")
    assert body(writes()[0]) == {"orgId": ORG, "website": None}
    assert result["organization"]["website"] is None


@responses.activate
def test_empty_website_is_converged_when_there_is_none(monkeypatch):
    get_org(org())
    result = run(monkeypatch, org_id=ORG, website="")
    assert result["changed"] is False and writes() == []


@responses.activate
def test_logo_matches_the_signed_url(monkeypatch):
    get_org(org(logo="https://x.supabase.co/storage/v1/object/sign/images/org/%s/logo.png?token=t" % ORG))
    result = run(monkeypatch, org_id=ORG, logo="org/%s/logo.png" % ORG)
    assert result["changed"] is False and writes() == []


@responses.activate
def test_other_logo_is_a_change(monkeypatch):
    get_org(org(logo="https://x.supabase.co/storage/v1/object/sign/images/org/%s/logo.png?token=t" % ORG))
    result = run(monkeypatch, check_mode=True, org_id=ORG, logo="org/%s/new.png" % ORG)
    assert result["changed"] is True and writes() == []


# -- security policy (write-only) -----------------------------------------

@responses.activate
def test_policy_alone_is_not_sent_and_reports_ok(monkeypatch):
    get_org(org())
    result = run(monkeypatch, diff=True, org_id=ORG, require_apikey_expiration=True,
                 max_apikey_expiration_days=90, enforce_hashed_api_keys=True, enforce_encrypted_bundles=True)
    assert result["changed"] is False
    assert len(responses.calls) == 1 and writes() == []
    assert "require_apikey_expiration" not in result["organization"]
    assert result["diff"]["before"] == result["diff"]["after"]


@responses.activate
def test_policy_is_sent_with_another_change(monkeypatch):
    get_org(org())
    put_ok(row(name="Renamed org", enforce_hashed_api_keys=True, max_apikey_expiration_days=30))
    get_org(org(name="Renamed org"))
    result = run(monkeypatch, diff=True, org_id=ORG, name="Renamed org", enforce_hashed_api_keys=True,
                 max_apikey_expiration_days=30)
    assert body(writes()[0]) == {"orgId": ORG, "name": "Renamed org", "enforce_hashed_api_keys": True,
                                 "max_apikey_expiration_days": 30}
    assert result["organization"]["enforce_hashed_api_keys"] is True
    assert result["organization"]["max_apikey_expiration_days"] == 30
    assert "enforce_hashed_api_keys" not in result["diff"]["before"]
    assert result["diff"]["after"]["enforce_hashed_api_keys"] is True


@responses.activate
def test_resend_policy_sends_it_and_reports_changed(monkeypatch):
    get_org(org())
    put_ok(row(enforce_encrypted_bundles=True))
    get_org(org())
    result = run(monkeypatch, org_id=ORG, enforce_encrypted_bundles=True, resend_policy=True)
    assert result["changed"] is True
    assert body(writes()[0]) == {"orgId": ORG, "enforce_encrypted_bundles": True}
    assert result["organization"]["enforce_encrypted_bundles"] is True


@responses.activate
def test_resend_policy_check_mode_predicts_changed_without_writing(monkeypatch):
    get_org(org())
    result = run(monkeypatch, check_mode=True, org_id=ORG, require_apikey_expiration=False, resend_policy=True)
    assert result["changed"] is True and writes() == []
    assert result["organization"]["require_apikey_expiration"] is False


@responses.activate
def test_requiring_expiring_keys_locks_this_key_out_with_a_warning(monkeypatch):
    get_org(org())
    put_ok(row(require_apikey_expiration=True))
    responses.get(URL + "/organization", status=401,
                  json={"error": "org_requires_expiring_key",
                        "message": "This organization requires API keys with an expiration date", "moreInfo": {}})
    result, warnings = run_module(monkeypatch, capgo_organization.main,
                                  dict(org_id=ORG, require_apikey_expiration=True, resend_policy=True))
    assert "failed" not in result and result["changed"] is True
    assert result["organization"]["require_apikey_expiration"] is True
    assert result["organization"]["name"] == "Demo org"
    assert any("this API key has none" in w for w in warnings)


@responses.activate
def test_expiring_key_policy_on_read_is_explained(monkeypatch):
    responses.get(URL + "/organization", status=401,
                  json={"error": "org_requires_expiring_key",
                        "message": "This organization requires API keys with an expiration date", "moreInfo": {}})
    result = run(monkeypatch, org_id=ORG)
    assert result["failed"] is True
    assert "requires API keys with an expiry date and this key has none" in result["msg"]


@responses.activate
def test_zero_max_days_removes_the_limit(monkeypatch):
    get_org(org())
    put_ok(row(name="Renamed org"))
    get_org(org(name="Renamed org"))
    run(monkeypatch, org_id=ORG, name="Renamed org", max_apikey_expiration_days=0)
    assert body(writes()[0])["max_apikey_expiration_days"] is None


# -- delete ---------------------------------------------------------------

@responses.activate
def test_delete_then_delete_again(monkeypatch):
    get_org(org())
    responses.delete(URL + "/organization", match=[matchers.query_param_matcher({"orgId": ORG})],
                     json={"status": "ok"})
    result = run(monkeypatch, diff=True, org_id=ORG, state="absent")
    assert result["changed"] is True and result["organization"] == {}
    assert result["diff"]["before"]["name"] == "Demo org" and result["diff"]["after"] == {}
    assert [w.method for w in writes()] == ["DELETE"]
    responses.calls.reset()
    responses.replace(responses.GET, URL + "/organization", status=400,
                      json={"error": "invalid_org_id", "message": "You can't access this organization",
                            "moreInfo": {}})
    result = run(monkeypatch, org_id=ORG, state="absent")
    assert result["changed"] is False and writes() == []


@responses.activate
def test_delete_by_name_when_missing_is_ok(monkeypatch):
    list_orgs([org(id=NEW, name="Other org")])
    result = run(monkeypatch, name="Demo org", state="absent")
    assert result["changed"] is False and writes() == []


@responses.activate
def test_delete_in_check_mode(monkeypatch):
    get_org(org())
    result = run(monkeypatch, check_mode=True, org_id=ORG, state="absent")
    assert result["changed"] is True and writes() == []


@responses.activate
def test_delete_refused_names_the_permission(monkeypatch):
    get_org(org())
    responses.delete(URL + "/organization", status=403,
                     json={"error": "invalid_org_id", "message": "You can't delete this organization",
                           "moreInfo": {}})
    result = run(monkeypatch, org_id=ORG, state="absent")
    assert result["failed"] is True
    assert "may not delete organization %s (needs org.delete: org_super_admin)" % ORG in result["msg"]
    assert "DELETE /organization failed: HTTP 403 invalid_org_id" in result["msg"]
    assert "\n" not in result["msg"] and KEY not in json.dumps(result)


@responses.activate
def test_delete_race_gone_in_between_is_ok(monkeypatch):
    get_org(org())
    responses.delete(URL + "/organization", status=403,
                     json={"error": "invalid_org_id", "message": "You can't delete this organization",
                           "moreInfo": {}})
    get_org(None)
    result = run(monkeypatch, org_id=ORG, state="absent")
    assert "failed" not in result and result["organization"] == {}


# -- input validation -----------------------------------------------------

@responses.activate
def test_bad_input_fails_before_any_request(monkeypatch):
    cases = [
        (dict(name="ab"), "name must be at least 3 characters"),
        (dict(org_id="not-a-uuid"), "org_id must be the organization's id"),
        (dict(org_id=ORG, max_apikey_expiration_days=400), "max_apikey_expiration_days must be between 1 and 365"),
        (dict(org_id=ORG, estimated_mau=-1), "estimated_mau must be between 0 and 1000000"),
        (dict(org_id=ORG, management_email="nobody"), "management_email must be an email address"),
        (dict(org_id=ORG, website="ftp://example.com"), "website must be an http(s) URL"),
        (dict(org_id=ORG, logo=""), "logo cannot be removed"),
        (dict(), "one of the following is required: org_id, name"),
    ]
    for args, message in cases:
        result = run(monkeypatch, **args)
        assert result["failed"] is True, args
        assert message in result["msg"], (args, result["msg"])
    assert len(responses.calls) == 0


@responses.activate
def test_bad_key_error_is_one_line_without_the_key(monkeypatch):
    responses.get(URL + "/organization", status=401,
                  json={"error": "invalid_apikey", "message": "Invalid apikey", "moreInfo": {}})
    result = run(monkeypatch, org_id=ORG)
    assert result["failed"] is True
    assert "Capgo refused the credentials" in result["msg"]
    assert "GET /organization failed: HTTP 401 invalid_apikey: Invalid apikey" in result["msg"]
    assert "\n" not in result["msg"]
    assert KEY not in json.dumps(result)
