# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import pytest
import responses

from ansible_collections.capgo.cloud.plugins.modules import capgo_app
from ansible_collections.capgo.cloud.plugins.module_utils._app import (
    check_retention_days,
    days_to_seconds,
    icon_key,
    seconds_to_days,
)
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
KEY = "11111111-2222-3333-4444-555555555555"
APP = "com.new.app"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
OTHER_ORG = "34a8c55d-2d0f-4652-a43f-684c7a9403ac"
APP_URL = URL + "/app/" + APP


def app_row(**over):
    data = {
        "app_id": APP, "id": "9b2f0a8e-3c1d-4e5f-8a7b-6c5d4e3f2a1b", "name": "New app", "icon_url": "",
        "owner_org": ORG, "user_id": "u1", "created_at": "2026-11-01T00:00:00Z",
        "updated_at": "2026-11-02T00:00:00Z", "last_version": None, "retention": 2592000,
        "default_upload_channel": "dev", "channel_device_count": 0, "manifest_bundle_count": 0,
        "expose_metadata": False, "allow_preview": False, "allow_device_custom_id": True,
        "need_onboarding": False, "existing_app": False, "ios_store_url": None, "android_store_url": None,
        "block_provider_infra_requests": False,
    }
    data.update(over)
    return data


def missing(method="GET", url=APP_URL):
    responses.add(method, url, status=401,
                  json={"error": "cannot_access_app", "message": "You can't access this app",
                        "moreInfo": {"app_id": APP}})


def writes():
    return [c.request for c in responses.calls if c.request.method in ("POST", "PUT", "DELETE")]


def run(monkeypatch, check_mode=False, diff=False, **args):
    args.setdefault("app_id", APP)
    return run_module(monkeypatch, capgo_app.main, args, check_mode=check_mode, diff=diff)


# -- conversions ------------------------------------------------------------------

@pytest.mark.parametrize("days, seconds", [(0, 0), (1, 86400), (30, 2592000), (90, 7776000), (730, 63072000)])
def test_retention_days_to_seconds_and_back(days, seconds):
    assert days_to_seconds(days) == seconds
    assert seconds_to_days(seconds) == days
    assert isinstance(seconds_to_days(seconds), int)


def test_retention_not_whole_days_is_a_float():
    assert seconds_to_days(129600) == 1.5
    assert seconds_to_days(100000) == 1.1574
    assert seconds_to_days(None) is None and days_to_seconds(None) is None


@pytest.mark.parametrize("days, ok", [(0, True), (1, True), (730, True), (731, False), (-1, False), (10000, False)])
def test_retention_bounds_follow_the_api(days, ok):
    # PUT /app refuses retention >= 63113904 s and < 0; 730 days = 63072000 s, 731 days = 63158400 s.
    assert (check_retention_days(days) is None) is ok
    if not ok:
        assert "between 0 and 730" in check_retention_days(days)


def test_icon_key_matches_capgo_normalization():
    signed = ("https://xyz.supabase.co/storage/v1/object/sign/images/org/%s/com.new.app/icon?token=abc" % ORG)
    public = "https://xyz.supabase.co/storage/v1/object/public/images/org/%s/com.new.app/icon" % ORG
    path = "org/%s/com.new.app/icon" % ORG
    assert icon_key(signed) == icon_key(public) == icon_key(path) == icon_key("images/" + path) == path
    assert icon_key("/" + path) == path
    assert icon_key("https://cdn.example.com/icon.png") == "https://cdn.example.com/icon.png"
    assert icon_key("") == icon_key(None) == ""


# -- present ------------------------------------------------------------------------

@responses.activate
def test_converged_run_sends_one_get_and_no_write(monkeypatch):
    responses.get(APP_URL, json=app_row(retention=7776000, icon_url="https://cdn.example.com/i.png"))
    result, _warnings = run(monkeypatch, name="New app", owner_org=ORG, retention_days=90,
                            icon="https://cdn.example.com/i.png", expose_metadata=False)
    assert result["changed"] is False
    assert len(responses.calls) == 1
    assert result["app"]["retention_days"] == 90 and "retention" not in result["app"]
    assert result["app"]["icon"] == "https://cdn.example.com/i.png" and "icon_url" not in result["app"]


@responses.activate
def test_stored_icon_returned_as_signed_url_is_converged(monkeypatch):
    signed = "https://xyz.supabase.co/storage/v1/object/sign/images/org/%s/%s/icon?token=t2" % (ORG, APP)
    responses.get(APP_URL, json=app_row(icon_url=signed))
    result, _warnings = run(monkeypatch, icon="org/%s/%s/icon" % (ORG, APP))
    assert result["changed"] is False


@responses.activate
def test_update_puts_only_the_changed_fields(monkeypatch):
    responses.get(APP_URL, json=app_row())
    responses.put(APP_URL, json=app_row(retention=7776000, expose_metadata=True))
    result, _warnings = run(monkeypatch, diff=True, name="New app", retention_days=90, expose_metadata=True)
    assert result["changed"] is True
    (put,) = writes()
    assert json.loads(put.body) == {"retention": 7776000, "expose_metadata": True}
    assert result["app"]["retention_days"] == 90
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k)) == \
        ["expose_metadata", "retention_days"]
    assert "updated_at" not in after


@responses.activate
def test_update_check_mode_predicts_without_writing(monkeypatch):
    responses.get(APP_URL, json=app_row())
    result, _warnings = run(monkeypatch, check_mode=True, diff=True, retention_days=0)
    assert result["changed"] is True and writes() == []
    assert result["app"]["retention_days"] == 0
    assert result["diff"]["before"]["retention_days"] == 30 and result["diff"]["after"]["retention_days"] == 0


@responses.activate
def test_clearing_a_store_url(monkeypatch):
    responses.get(APP_URL, json=app_row(ios_store_url="https://apps.apple.com/app/id1"))
    responses.put(APP_URL, json=app_row())
    result, _warnings = run(monkeypatch, ios_store_url="")
    assert json.loads(writes()[0].body) == {"ios_store_url": None}
    assert result["app"]["ios_store_url"] is None
    responses.calls.reset()
    responses.replace(responses.GET, APP_URL, json=app_row())
    result, _warnings = run(monkeypatch, ios_store_url="")
    assert result["changed"] is False


def test_retention_out_of_bounds_fails_before_any_request(monkeypatch):
    with responses.RequestsMock() as mock:
        result, _warnings = run(monkeypatch, retention_days=731)
        assert len(mock.calls) == 0
    assert result["failed"] is True and "retention_days must be between 0 and 730" in result["msg"]
    with responses.RequestsMock() as mock:
        result, _warnings = run(monkeypatch, retention_days=-1)
        assert len(mock.calls) == 0
    assert result["failed"] is True


@responses.activate
def test_create_posts_then_puts_what_post_cannot_set(monkeypatch):
    missing()
    responses.post(URL + "/app", json=app_row(icon_url="https://cdn.example.com/i.png"))
    responses.put(APP_URL, json=app_row(icon_url="https://cdn.example.com/i.png", retention=0,
                                        allow_device_custom_id=False))
    result, _warnings = run(monkeypatch, name="New app", owner_org=ORG, icon="https://cdn.example.com/i.png",
                            retention_days=0, allow_device_custom_id=False)
    assert result["changed"] is True
    post, put = writes()
    assert json.loads(post.body) == {"app_id": APP, "name": "New app", "owner_org": ORG,
                                     "icon": "https://cdn.example.com/i.png"}
    assert json.loads(put.body) == {"retention": 0, "allow_device_custom_id": False}
    assert result["app"]["retention_days"] == 0 and result["app"]["id"]


@responses.activate
def test_create_without_extra_fields_is_one_post(monkeypatch):
    missing()
    responses.post(URL + "/app", json=app_row())
    result, _warnings = run(monkeypatch, name="New app", owner_org=ORG, retention_days=30)
    assert result["changed"] is True and len(writes()) == 1


@responses.activate
def test_create_check_mode_predicts_capgo_defaults(monkeypatch):
    missing()
    result, _warnings = run(monkeypatch, check_mode=True, diff=True, name="New app", owner_org=ORG)
    assert result["changed"] is True and writes() == []
    assert result["app"]["retention_days"] == 30 and result["app"]["app_id"] == APP
    assert result["diff"]["before"] == {} and result["diff"]["after"]["owner_org"] == ORG


@responses.activate
def test_create_needs_name_and_owner_org(monkeypatch):
    missing()
    result, _warnings = run(monkeypatch, retention_days=10)
    assert result["failed"] is True and writes() == []
    assert "does not exist, or this API key cannot read it" in result["msg"]
    assert "name and owner_org" in result["msg"]


@responses.activate
def test_app_id_taken_by_someone_else(monkeypatch):
    missing()
    responses.post(URL + "/app", status=409,
                   json={"error": "app_id_already_exists", "message": "App ID already exists",
                         "moreInfo": {"app_id": APP}})
    result, _warnings = run(monkeypatch, name="Mine", owner_org=ORG)
    assert result["failed"] is True
    assert "app id com.new.app is taken" in result["msg"] and "cannot see it" in result["msg"]
    assert "HTTP 409 app_id_already_exists" in result["msg"]
    assert KEY not in json.dumps(result)


@responses.activate
def test_create_in_a_forbidden_org(monkeypatch):
    missing()
    responses.post(URL + "/app", status=403,
                   json={"error": "cannot_access_organization", "message": "You can't access this organization",
                         "moreInfo": {"org_id": OTHER_ORG}})
    result, _warnings = run(monkeypatch, name="Mine", owner_org=OTHER_ORG)
    assert result["failed"] is True
    assert "may not create apps in organization %s" % OTHER_ORG in result["msg"]


def org(ident, name):
    return {"id": ident, "name": name, "created_by": "u1", "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z", "logo": None, "management_email": "a@example.com",
            "customer_id": None, "website": None}


def serve_orgs(orgs, one=None, one_error=None):
    """GET /organization: the pages of ``orgs`` (page as a JSON number in the body), or ``one`` for an orgId."""
    def callback(request):
        if "orgId=" in request.url:
            if one_error:
                return 400, {}, json.dumps({"error": one_error, "message": "You can't access this organization"})
            return 200, {}, json.dumps(one)
        page = json.loads(request.body)["page"]
        assert isinstance(page, int)
        return 200, {}, json.dumps(orgs[page * 50:(page + 1) * 50])
    responses.add_callback(responses.GET, URL + "/organization", callback=callback)


def org_requests():
    return [c.request for c in responses.calls if c.request.path_url.startswith("/organization")]


def crowd():
    return [org("00000000-0000-4000-8000-%012d" % i, "Org %d" % i) for i in range(60)]


@pytest.mark.parametrize("check_mode", [False, True])
@responses.activate
def test_owner_org_by_name_is_resolved_across_every_page(monkeypatch, check_mode):
    missing()
    serve_orgs(crowd()[:55] + [org(ORG, "Demo org")] + crowd()[55:])
    responses.post(URL + "/app", json=app_row())
    result, _warnings = run(monkeypatch, check_mode=check_mode, name="New app", owner_org="Demo org")
    assert result["changed"] is True and result["app"]["owner_org"] == ORG
    assert [json.loads(r.body)["page"] for r in org_requests()] == [0, 1]
    if not check_mode:
        assert json.loads(writes()[0].body)["owner_org"] == ORG


@responses.activate
def test_owner_org_by_id_converged_is_one_get(monkeypatch):
    responses.get(APP_URL, json=app_row())
    serve_orgs([org(ORG, "Demo org")], one=org(ORG, "Demo org"))
    result, _warnings = run(monkeypatch, owner_org=ORG.upper(), name="New app")
    assert result["changed"] is False and [c.request.url for c in responses.calls] == [APP_URL]


@responses.activate
def test_owner_org_by_name_converged_reads_only_the_apps_organization(monkeypatch):
    responses.get(APP_URL, json=app_row())
    serve_orgs(crowd() + [org(ORG, "Demo org")], one=org(ORG, "Demo org"))
    result, _warnings = run(monkeypatch, owner_org="Demo org", name="New app")
    assert result["changed"] is False and writes() == []
    assert len(responses.calls) == 2
    assert [r.url for r in org_requests()] == [URL + "/organization?orgId=" + ORG]


@responses.activate
def test_owner_org_by_name_when_the_apps_organization_cannot_be_read(monkeypatch):
    responses.get(APP_URL, json=app_row())
    serve_orgs(crowd() + [org(ORG, "Demo org")], one_error="invalid_org_id")
    result, _warnings = run(monkeypatch, owner_org="Demo org")
    assert result["changed"] is False and writes() == []
    assert len(org_requests()) == 3  # the organization, then pages 0 and 1


@responses.activate
def test_owner_org_by_name_of_another_organization_fails_before_any_write(monkeypatch):
    responses.get(APP_URL, json=app_row())
    serve_orgs([org(ORG, "Demo org"), org(OTHER_ORG, "Other org")], one=org(ORG, "Demo org"))
    result, _warnings = run(monkeypatch, owner_org="Other org")
    assert result["failed"] is True and writes() == []
    assert "cannot move an app to another organization" in result["msg"]
    assert "%s (Other org)" % OTHER_ORG in result["msg"]


@responses.activate
def test_owner_org_name_ambiguous_or_unknown_fails(monkeypatch):
    missing()
    serve_orgs([org(ORG, "Twin"), org(OTHER_ORG, "Twin")])
    result, _warnings = run(monkeypatch, name="x", owner_org="Twin")
    assert result["failed"] is True and "2 organizations are named 'Twin'" in result["msg"]
    result, _warnings = run(monkeypatch, name="x", owner_org="Nope")
    assert result["failed"] is True and "no organization named 'Nope'" in result["msg"]
    assert writes() == []


@responses.activate
def test_other_owner_org_fails_before_any_write(monkeypatch):
    responses.get(APP_URL, json=app_row())
    result, _warnings = run(monkeypatch, owner_org=OTHER_ORG, name="Renamed")
    assert result["failed"] is True and writes() == []
    assert "cannot move an app to another organization" in result["msg"]


# -- absent -------------------------------------------------------------------------

@responses.activate
def test_delete_and_delete_again(monkeypatch):
    responses.get(APP_URL, json=app_row())
    responses.delete(APP_URL, json={"status": "ok"})
    result, _warnings = run(monkeypatch, state="absent", diff=True)
    assert result["changed"] is True and result["app"] == {}
    assert result["diff"]["after"] == {} and result["diff"]["before"]["name"] == "New app"
    assert len(writes()) == 1
    responses.calls.reset()
    responses.replace(responses.GET, APP_URL, status=401,
                      json={"error": "cannot_access_app", "message": "You can't access this app", "moreInfo": {}})
    result, _warnings = run(monkeypatch, state="absent")
    assert result["changed"] is False and writes() == [] and len(responses.calls) == 1


@responses.activate
def test_delete_check_mode(monkeypatch):
    responses.get(APP_URL, json=app_row())
    result, _warnings = run(monkeypatch, state="absent", check_mode=True)
    assert result["changed"] is True and writes() == []


@responses.activate
def test_absent_ignores_owner_org_name(monkeypatch):
    missing()
    result, _warnings = run(monkeypatch, state="absent", owner_org="Some org name")
    assert result["changed"] is False and len(responses.calls) == 1


@responses.activate
def test_delete_without_permission_is_explained(monkeypatch):
    responses.get(APP_URL, json=app_row())
    responses.delete(APP_URL, status=400,
                     json={"error": "cannot_delete_app", "message": "Cannot delete app", "moreInfo": {}})
    result, _warnings = run(monkeypatch, state="absent")
    assert result["failed"] is True
    assert "needs app.delete" in result["msg"] and "DELETE /app/com.new.app failed: HTTP 400" in result["msg"]


@responses.activate
def test_update_without_permission_is_explained(monkeypatch):
    responses.get(APP_URL, json=app_row())
    missing("PUT")
    result, _warnings = run(monkeypatch, name="Renamed")
    assert result["failed"] is True and "app.update_settings" in result["msg"]


def test_missing_app_id_fails_before_any_request(monkeypatch):
    with responses.RequestsMock() as mock:
        result, _warnings = run_module(monkeypatch, capgo_app.main, {"name": "x"})
        assert len(mock.calls) == 0
    assert result["failed"] is True and "app_id" in result["msg"]
