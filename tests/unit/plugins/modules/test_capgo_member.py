# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import pytest
import yaml
import responses
from responses import matchers

from ansible_collections.capgo.cloud.plugins.modules import capgo_member
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
KEY = "11111111-2222-3333-4444-555555555555"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
ADMIN = {"uid": "u-admin", "email": "admin@example.com", "image_url": "", "role": "org_super_admin",
         "is_tmp": False}


def member(email="dev@example.com", role="org_member", is_tmp=False, uid="u-dev"):
    return {"uid": uid, "email": email, "image_url": "", "role": role, "is_tmp": is_tmp}


def members(*rows):
    responses.get(URL + "/organization/members", match=[matchers.query_param_matcher({"orgId": ORG})],
                  json=list(rows))


def invite_error(code):
    responses.post(URL + "/organization/members", status=400,
                   json={"error": "error_inviting_user_to_organization",
                         "message": "Error inviting user to organization", "moreInfo": {"data": code}})


def writes():
    return [c.request for c in responses.calls if c.request.method in ("POST", "PUT", "DELETE")]


def body(request):
    return json.loads(request.body)


def run(monkeypatch, check_mode=False, diff=False, **args):
    args.setdefault("org_id", ORG)
    args.setdefault("email", "dev@example.com")
    return run_module(monkeypatch, capgo_member.main, args, check_mode=check_mode, diff=diff)[0]


# -- present --------------------------------------------------------------

@responses.activate
def test_converged_member_sends_one_get_and_no_write(monkeypatch):
    members(ADMIN, member())
    result = run(monkeypatch, email="Dev@Example.com", role="org_member")
    assert result["changed"] is False
    assert len(responses.calls) == 1
    assert result["member"] == {"org_id": ORG, "uid": "u-dev", "email": "dev@example.com", "role": "org_member",
                                "pending": False, "image_url": ""}


@pytest.mark.parametrize("older,current", [("read", "org_member"), ("upload", "org_member"),
                                           ("write", "org_member"), ("admin", "org_admin"),
                                           ("super_admin", "org_super_admin")])
@responses.activate
def test_older_role_names_are_mapped(monkeypatch, older, current):
    members(ADMIN, member(role=current))
    result = run(monkeypatch, role=older)
    assert result["changed"] is False and writes() == []
    assert result["member"]["role"] == current


@responses.activate
def test_older_role_names_in_the_member_list_are_mapped(monkeypatch):
    members(ADMIN, member(role="invite_admin"))
    result = run(monkeypatch, role="org_admin")
    assert result["changed"] is False
    assert result["member"]["role"] == "org_admin" and result["member"]["pending"] is True


@responses.activate
def test_no_role_leaves_an_existing_member_alone(monkeypatch):
    members(ADMIN, member(role="org_admin"))
    result = run(monkeypatch)
    assert result["changed"] is False and writes() == []
    assert result["member"]["role"] == "org_admin"


@responses.activate
def test_pending_invitation_counts_as_present(monkeypatch):
    members(ADMIN, member(is_tmp=True))
    result = run(monkeypatch, role="org_member")
    assert result["changed"] is False and writes() == []
    assert result["member"]["pending"] is True


@responses.activate
def test_invite_sends_the_current_role_name_and_returns_pending(monkeypatch):
    members(ADMIN)
    responses.post(URL + "/organization/members", json={"status": "ok"})
    members(ADMIN, member(role="org_admin", is_tmp=True))
    result = run(monkeypatch, diff=True, role="admin", email="Dev@Example.COM")
    assert result["changed"] is True
    (post,) = writes()
    assert body(post) == {"orgId": ORG, "email": "dev@example.com", "invite_type": "org_admin"}
    assert result["member"]["pending"] is True and result["member"]["role"] == "org_admin"
    assert result["diff"] == {"before": {}, "after": {"role": "org_admin", "pending": True}}


@responses.activate
def test_invite_without_role_uses_org_member(monkeypatch):
    members(ADMIN)
    responses.post(URL + "/organization/members", json={"status": "ok"})
    members(ADMIN, member(is_tmp=True))
    run(monkeypatch)
    assert body(writes()[0])["invite_type"] == "org_member"


@responses.activate
def test_invite_in_check_mode_predicts_without_writing(monkeypatch):
    members(ADMIN)
    result = run(monkeypatch, check_mode=True, role="org_billing_admin")
    assert result["changed"] is True and writes() == []
    assert result["member"]["role"] == "org_billing_admin" and result["member"]["pending"] is True
    assert result["member"]["email"] == "dev@example.com"


@responses.activate
def test_no_capgo_account_says_invites_need_one(monkeypatch):
    members(ADMIN)
    invite_error("NO_EMAIL")
    result = run(monkeypatch, email="new@example.com", role="org_member")
    assert result["failed"] is True
    assert "new@example.com has no Capgo account" in result["msg"]
    assert "can only invite people who already have a Capgo account" in result["msg"]
    assert "POST /organization/members failed: HTTP 400 error_inviting_user_to_organization" in result["msg"]
    assert KEY not in json.dumps(result) and "\n" not in result["msg"]


@responses.activate
def test_already_invited_race_is_ok(monkeypatch):
    members(ADMIN)
    invite_error("ALREADY_INVITED")
    members(ADMIN, member(is_tmp=True))
    result = run(monkeypatch, role="org_member")
    assert "failed" not in result
    assert result["changed"] is False
    assert result["member"]["pending"] is True
    assert [w.method for w in writes()] == ["POST"]


@responses.activate
def test_already_invited_race_with_another_role_needs_reinvite(monkeypatch):
    members(ADMIN)
    invite_error("ALREADY_INVITED")
    members(ADMIN, member(role="org_admin", is_tmp=True))
    result = run(monkeypatch, role="org_member")
    assert result["failed"] is True and "reinvite: true" in result["msg"]


@responses.activate
def test_no_rights_explained(monkeypatch):
    members(ADMIN)
    invite_error("NO_RIGHTS")
    result = run(monkeypatch, role="org_super_admin")
    assert result["failed"] is True
    assert "may not grant role org_super_admin" in result["msg"]


# -- role change ----------------------------------------------------------

@responses.activate
def test_role_change_without_reinvite_fails_before_any_write(monkeypatch):
    members(ADMIN, member())
    for check_mode in (False, True):
        result = run(monkeypatch, check_mode=check_mode, role="org_admin")
        assert result["failed"] is True
        assert "has role org_member, not org_admin" in result["msg"]
        assert "Capgo has no call to change a member's role; set reinvite: true" in result["msg"]
    assert writes() == []


@responses.activate
def test_role_change_with_reinvite_removes_and_invites_again(monkeypatch):
    members(ADMIN, member())
    responses.delete(URL + "/organization/members", json={"status": "ok"})
    responses.post(URL + "/organization/members", json={"status": "ok"})
    members(ADMIN, member(role="org_admin", is_tmp=True))
    result = run(monkeypatch, diff=True, role="org_admin", reinvite=True)
    assert result["changed"] is True
    delete, post = writes()
    assert delete.method == "DELETE" and body(delete) == {"orgId": ORG, "email": "dev@example.com"}
    assert post.method == "POST" and body(post)["invite_type"] == "org_admin"
    assert result["member"]["role"] == "org_admin" and result["member"]["pending"] is True
    assert result["diff"] == {"before": {"role": "org_member", "pending": False},
                              "after": {"role": "org_admin", "pending": True}}


@responses.activate
def test_role_change_with_reinvite_in_check_mode(monkeypatch):
    members(ADMIN, member())
    result = run(monkeypatch, check_mode=True, role="org_admin", reinvite=True)
    assert result["changed"] is True and writes() == []
    assert result["member"]["role"] == "org_admin" and result["member"]["pending"] is True


@responses.activate
def test_reinvite_without_role_change_does_nothing(monkeypatch):
    members(ADMIN, member(role="org_admin"))
    result = run(monkeypatch, role="admin", reinvite=True)
    assert result["changed"] is False and writes() == []


@responses.activate
def test_reinvite_failing_after_the_removal_says_the_member_was_removed(monkeypatch):
    members(ADMIN, member())
    responses.delete(URL + "/organization/members", json={"status": "ok"})
    invite_error("TOO_RECENT_INVITATION_CANCELATION")
    result = run(monkeypatch, role="org_admin", reinvite=True)
    assert result["failed"] is True and result["changed"] is True
    assert "was removed to change its role, but inviting it again failed" in result["msg"]
    assert "cancelled recently" in result["msg"]


@responses.activate
def test_demoting_the_last_super_admin_fails_before_any_write(monkeypatch):
    members(ADMIN, member())
    result = run(monkeypatch, email="admin@example.com", role="org_admin", reinvite=True)
    assert result["failed"] is True
    assert "last org_super_admin" in result["msg"] and writes() == []


# -- absent ---------------------------------------------------------------

@responses.activate
def test_remove_then_remove_again(monkeypatch):
    members(ADMIN, member())
    responses.delete(URL + "/organization/members", json={"status": "ok"})
    result = run(monkeypatch, diff=True, state="absent")
    assert result["changed"] is True and result["member"] == {}
    assert result["diff"] == {"before": {"role": "org_member", "pending": False}, "after": {}}
    assert body(writes()[0]) == {"orgId": ORG, "email": "dev@example.com"}
    responses.calls.reset()
    responses.replace(responses.GET, URL + "/organization/members", json=[ADMIN])
    result = run(monkeypatch, state="absent")
    assert result["changed"] is False and writes() == []


@responses.activate
def test_remove_in_check_mode(monkeypatch):
    members(ADMIN, member(is_tmp=True))
    result = run(monkeypatch, check_mode=True, state="absent")
    assert result["changed"] is True and writes() == []


@responses.activate
def test_remove_race_not_a_member_any_more_is_ok(monkeypatch):
    members(ADMIN, member())
    responses.delete(URL + "/organization/members", status=404,
                     json={"error": "organization_member_not_found",
                           "message": "User is not a member of this organization", "moreInfo": {}})
    members(ADMIN)  # the re-read confirms the member is gone (our retried DELETE, or someone else)
    result = run(monkeypatch, state="absent")
    assert "failed" not in result and result["changed"] is True


@responses.activate
def test_removing_the_last_super_admin_fails_before_any_write(monkeypatch):
    members(ADMIN, member())
    for check_mode in (False, True):
        result = run(monkeypatch, check_mode=check_mode, email="admin@example.com", state="absent")
        assert result["failed"] is True
        assert "admin@example.com is the last org_super_admin of organization %s" % ORG in result["msg"]
    assert writes() == []


@responses.activate
def test_last_super_admin_refused_by_capgo_is_explained(monkeypatch):
    # The list shows a second super admin (pending rows do not count for Capgo, say): Capgo refuses.
    members(ADMIN, member(email="other@example.com", role="org_super_admin"))
    responses.delete(URL + "/organization/members", status=400,
                     json={"error": "CANNOT_REMOVE_LAST_SUPER_ADMIN",
                           "message": "Cannot remove the last super admin", "moreInfo": {}})
    result = run(monkeypatch, email="admin@example.com", state="absent")
    assert result["failed"] is True
    assert "is the last org_super_admin of organization" in result["msg"]
    assert "HTTP 400 CANNOT_REMOVE_LAST_SUPER_ADMIN" in result["msg"]


@responses.activate
def test_higher_role_refusal_explained(monkeypatch):
    members(ADMIN, member(email="boss@example.com", role="org_super_admin"))
    responses.delete(URL + "/organization/members", status=403,
                     json={"error": "cannot_delete_higher_priority_role",
                           "message": "Cannot remove a member with a higher role than yours", "moreInfo": {}})
    result = run(monkeypatch, email="boss@example.com", state="absent")
    assert result["failed"] is True and "ranks below the role of boss@example.com" in result["msg"]


# -- errors and input -----------------------------------------------------

@responses.activate
def test_unknown_org_is_one_readable_line_without_the_key(monkeypatch):
    responses.get(URL + "/organization/members", status=400,
                  json={"error": "cannot_access_organization", "message": "You can't access this organization",
                        "moreInfo": {"orgId": ORG}})
    result = run(monkeypatch, role="org_member")
    assert result["failed"] is True
    assert "organization %s does not exist, or this API key lacks org.read_members" % ORG in result["msg"]
    assert "GET /organization/members failed: HTTP 400 cannot_access_organization" in result["msg"]
    assert KEY not in json.dumps(result) and "\n" not in result["msg"]


@responses.activate
def test_bad_input_fails_before_any_request(monkeypatch):
    cases = [
        (dict(email="nobody"), "email must be an email address"),
        (dict(org_id="Demo org"), "org_id must be the organization's id"),
        (dict(role="owner"), "value of role must be one of"),
    ]
    for args, message in cases:
        result = run(monkeypatch, **args)
        assert result["failed"] is True and message in result["msg"], (args, result["msg"])
    result = run_module(monkeypatch, capgo_member.main, {"org_id": ORG})[0]
    assert result["failed"] is True and "email" in result["msg"]
    assert len(responses.calls) == 0


@responses.activate
def test_check_mode_predicts_an_invite_that_no_email_then_refuses_and_the_docs_say_so(monkeypatch):
    members(ADMIN)
    invite_error("NO_EMAIL")
    predicted = run(monkeypatch, check_mode=True, email="new@example.com", role="org_member")
    assert predicted["changed"] is True and predicted["member"]["pending"] is True and writes() == []
    real = run(monkeypatch, email="new@example.com", role="org_member")
    assert real["failed"] is True and "has no Capgo account" in real["msg"]
    doc = yaml.safe_load(capgo_member.DOCUMENTATION)
    email_doc = " ".join(doc["options"]["email"]["description"])
    assert "in check mode an email without a Capgo account is predicted as an invitation" in email_doc
    assert "NO_EMAIL" in email_doc and any("NO_EMAIL" in note for note in doc["notes"])
