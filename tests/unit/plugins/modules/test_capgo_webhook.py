# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import pytest
import responses
from responses import matchers

from ansible_collections.capgo.cloud.plugins.modules import capgo_webhook
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
KEY = "11111111-2222-3333-4444-555555555555"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
HOOK_ID = "5b0f3c52-2a4e-4a8e-9f4a-6d2f6f1f0a11"
SECRET = "whsec_0123456789abcdef0123456789abcdef"


def hook(**over):
    data = {"id": HOOK_ID, "org_id": ORG, "name": "release-bot", "url": "https://hooks.example.com/a",
            "enabled": True, "events": ["apps", "channels"], "delivery_version": "legacy",
            "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z", "created_by": "u1"}
    data.update(over)
    return data


def list_hooks(items, page=0):
    responses.get(URL + "/webhooks", match=[matchers.query_param_matcher({"orgId": ORG, "page": str(page)})],
                  json=items)


def writes():
    return [c.request for c in responses.calls if c.request.method in ("POST", "PUT", "DELETE")]


def run(monkeypatch, check_mode=False, diff=False, **args):
    return run_with_warnings(monkeypatch, check_mode, diff, **args)[0]


def run_with_warnings(monkeypatch, check_mode=False, diff=False, **args):
    args.setdefault("org_id", ORG)
    args.setdefault("name", "release-bot")
    return run_module(monkeypatch, capgo_webhook.main, args, check_mode=check_mode, diff=diff)


@responses.activate
def test_converged_run_reads_only_and_events_order_does_not_matter(monkeypatch):
    list_hooks([hook(), hook(id="other", name="other")])
    result = run(monkeypatch, url="https://hooks.example.com/a", events=["channels", "apps"], enabled=True)
    assert result["changed"] is False
    assert len(responses.calls) == 1 and writes() == []
    assert result["webhook"]["id"] == HOOK_ID and "secret" not in result["webhook"]


@responses.activate
def test_create_sends_set_fields_and_returns_secret_once(monkeypatch):
    list_hooks([])
    created = dict(hook(events=["channels"], delivery_version="standard"), secret=SECRET)
    responses.post(URL + "/webhooks", status=201, json={"status": "Webhook created", "webhook": created})
    result = run(monkeypatch, diff=True, url="https://hooks.example.com/a", events=["channels", "channels"],
                 delivery_version="standard")
    assert result["changed"] is True
    (post,) = writes()
    assert json.loads(post.body) == {"orgId": ORG, "name": "release-bot", "url": "https://hooks.example.com/a",
                                     "events": ["channels"], "deliveryVersion": "standard"}
    assert result["webhook"]["secret"] == SECRET
    assert result["diff"]["before"] == {}
    assert SECRET not in json.dumps(result["diff"])


@responses.activate
def test_create_in_check_mode_predicts_without_writing(monkeypatch):
    list_hooks([])
    result = run(monkeypatch, check_mode=True, url="https://hooks.example.com/a", events=["orgs"])
    assert result["changed"] is True and writes() == []
    assert result["webhook"] == {"org_id": ORG, "name": "release-bot", "url": "https://hooks.example.com/a",
                                 "events": ["orgs"], "enabled": True, "delivery_version": "legacy"}


@responses.activate
def test_create_needs_url_and_events_before_any_write(monkeypatch):
    list_hooks([])
    result = run(monkeypatch, events=["orgs"])
    assert result["failed"] is True and "url is required to create webhook release-bot" in result["msg"]
    assert writes() == []


@responses.activate
def test_update_puts_only_the_difference_and_shows_it_in_diff(monkeypatch):
    list_hooks([hook()])
    responses.put(URL + "/webhooks", json={"status": "Webhook updated", "webhook": hook(enabled=False)})
    result = run(monkeypatch, diff=True, url="https://hooks.example.com/a", events=["apps", "channels"],
                 enabled=False)
    assert result["changed"] is True
    (put,) = writes()
    assert json.loads(put.body) == {"orgId": ORG, "webhookId": HOOK_ID, "enabled": False}
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert [k for k in before if before[k] != after[k]] == ["enabled"]
    assert result["webhook"]["enabled"] is False


@responses.activate
def test_update_events_set_difference(monkeypatch):
    list_hooks([hook()])
    responses.put(URL + "/webhooks", json={"status": "Webhook updated", "webhook": hook(events=["orgs"])})
    result = run(monkeypatch, events=["orgs"])
    assert json.loads(writes()[0].body) == {"orgId": ORG, "webhookId": HOOK_ID, "events": ["orgs"]}
    assert result["webhook"]["events"] == ["orgs"]


@responses.activate
def test_update_check_mode_predicts(monkeypatch):
    list_hooks([hook()])
    result = run(monkeypatch, check_mode=True, delivery_version="standard")
    assert result["changed"] is True and writes() == []
    assert result["webhook"]["delivery_version"] == "standard"


@responses.activate
def test_ambiguous_name_fails_with_ids(monkeypatch):
    list_hooks([hook(), hook(id="0f0f0f0f-0000-0000-0000-000000000001")])
    result = run(monkeypatch, state="absent")
    assert result["failed"] is True
    assert "2 webhooks of organization %s are named release-bot" % ORG in result["msg"]
    assert HOOK_ID in result["msg"] and "0f0f0f0f-0000-0000-0000-000000000001" in result["msg"]
    assert writes() == []


@responses.activate
def test_id_picks_one_and_renames(monkeypatch):
    responses.get(URL + "/webhooks", match=[matchers.query_param_matcher({"orgId": ORG, "webhookId": HOOK_ID})],
                  json=dict(hook(), stats_24h={"success": 0, "failed": 0, "pending": 0}))
    responses.put(URL + "/webhooks", json={"status": "Webhook updated", "webhook": hook(name="renamed")})
    result = run(monkeypatch, id=HOOK_ID, name="renamed")
    assert json.loads(writes()[0].body) == {"orgId": ORG, "webhookId": HOOK_ID, "name": "renamed"}
    assert result["webhook"]["name"] == "renamed" and "stats_24h" not in result["webhook"]


@responses.activate
def test_unknown_id_cannot_be_created(monkeypatch):
    responses.get(URL + "/webhooks", status=400, json={"error": "webhook_not_found", "message": "Webhook not found"})
    result = run(monkeypatch, id=HOOK_ID, url="https://hooks.example.com/a", events=["apps"])
    assert result["failed"] is True and "cannot be created with a given id" in result["msg"]
    assert writes() == []


@responses.activate
def test_delete_then_missing_is_ok(monkeypatch):
    list_hooks([hook()])
    responses.delete(URL + "/webhooks", json={"status": "Webhook deleted", "webhookId": HOOK_ID})
    result = run(monkeypatch, state="absent", diff=True)
    assert result["changed"] is True and result["webhook"] == {}
    assert json.loads(writes()[0].body) == {"orgId": ORG, "webhookId": HOOK_ID}
    assert result["diff"]["after"] == {} and result["diff"]["before"]["name"] == "release-bot"
    responses.calls.reset()
    responses.replace(responses.GET, URL + "/webhooks", json=[])
    result = run(monkeypatch, state="absent")
    assert result["changed"] is False and writes() == []


@responses.activate
def test_delete_race_gone_is_ok(monkeypatch):
    list_hooks([hook()])
    responses.delete(URL + "/webhooks", status=400, json={"error": "webhook_not_found", "message": "Webhook not found"})
    list_hooks([])
    result = run(monkeypatch, state="absent")
    assert result["changed"] is True and "failed" not in result


@responses.activate
def test_delete_check_mode(monkeypatch):
    list_hooks([hook()])
    result = run(monkeypatch, state="absent", check_mode=True)
    assert result["changed"] is True and writes() == []


@responses.activate
def test_app_scoped_key_refusal_is_explained(monkeypatch):
    responses.get(URL + "/webhooks", status=400,
                  json={"error": "no_permission", "message": "App-scoped API keys cannot manage organization webhooks",
                        "moreInfo": {}})
    result = run(monkeypatch, url="https://hooks.example.com/a", events=["apps"])
    assert result["failed"] is True
    assert result["msg"].startswith("Capgo refuses API keys with app- or channel-scoped bindings for webhooks")
    assert "GET /webhooks failed: HTTP 400 no_permission" in result["msg"]
    assert KEY not in json.dumps(result) and "\n" not in result["msg"]


@responses.activate
def test_private_url_refusal_is_explained(monkeypatch):
    list_hooks([])
    responses.post(URL + "/webhooks", status=400,
                   json={"error": "invalid_url", "message": "URL must resolve to a public host", "moreInfo": {}})
    result = run(monkeypatch, url="https://intranet.example.com/x", events=["apps"])
    assert result["failed"] is True
    assert ("Capgo refuses url https://intranet.example.com/x: it must be an https URL whose host is a public "
            "host name") in result["msg"]
    assert "POST /webhooks failed: HTTP 400 invalid_url" in result["msg"]


def test_bad_input_fails_before_any_request(monkeypatch):
    with responses.RequestsMock() as mock:
        result = run(monkeypatch, url="ftp://hooks.example.com/a")
        assert result["failed"] is True and "the scheme must be https, not ftp" in result["msg"]
        result = run(monkeypatch, events=[])
        assert result["failed"] is True and "events needs at least one event" in result["msg"]
        result = run(monkeypatch, events=["deploys"])
        assert result["failed"] is True and "events" in result["msg"]
        result = run(monkeypatch, id="not-a-uuid")
        assert result["failed"] is True and "id must be the UUID of a webhook" in result["msg"]
        assert len(mock.calls) == 0


def test_missing_required_argument_fails(monkeypatch):
    result = run_module(monkeypatch, capgo_webhook.main, {"name": "x"})[0]
    assert result["failed"] is True and "org_id" in result["msg"]


REFUSED_URLS = [
    ("http://hooks.example.com/a", "the scheme must be https, not http"),
    ("hooks.example.com/a", "the scheme must be https"),
    ("https:///a", "no host"),
    ("https://hooks.example.com:99999/a", "not a URL"),
    ("https://hooks.example .com/a", "not a URL"),
    ("https://10.0.0.5/hook", "is an IP address"),
    ("https://93.184.216.34/hook", "is an IP address"),
    ("https://[2606:4700::1111]/hook", "is an IP address"),
    ("https://[::1]:8443/hook", "is an IP address"),
    ("https://127.1/hook", "is an IP address"),
    ("https://0x7f000001/hook", "is an IP address"),
    ("https://localhost/hook", "is local"),
    ("https://LOCALHOST./hook", "is local"),
    ("https://api.localhost/hook", "is local"),
    ("https://hooks/x", "single label"),
    ("https://printer.local/x", "under .local"),
    ("https://ci.corp.internal/x", "under .internal"),
]


@pytest.mark.parametrize("url,reason", REFUSED_URLS)
@pytest.mark.parametrize("check_mode", [False, True])
def test_urls_capgo_refuses_fail_before_any_request(monkeypatch, url, reason, check_mode):
    with responses.RequestsMock() as mock:
        result = run(monkeypatch, check_mode=check_mode, url=url, events=["apps"])
        assert len(mock.calls) == 0
    assert result["failed"] is True and result["changed"] is False
    assert reason in result["msg"] and "refused by Capgo" in result["msg"]


@pytest.mark.parametrize("url", ["https://hooks.example.com/a", "https://HOOKS.Example.com:8443/a?b=c",
                                 "https://xn--bcher-kva.example/hook", "https://hooks.example.com./a",
                                 "https://deadbeef.io/hook", "https://my-host.localdomain.io/x"])
@responses.activate
def test_public_https_urls_pass_the_check(monkeypatch, url):
    list_hooks([])
    result = run(monkeypatch, check_mode=True, url=url, events=["apps"])
    assert result["changed"] is True and "failed" not in result


@responses.activate
def test_unknown_errors_get_the_shared_explanation(monkeypatch):
    responses.get(URL + "/webhooks", status=429, json={"error": "too_many_requests", "message": "slow down"})
    result = run(monkeypatch, url="https://hooks.example.com/a", events=["apps"])
    assert result["failed"] is True and result["msg"].startswith("Capgo rate-limited the request")
