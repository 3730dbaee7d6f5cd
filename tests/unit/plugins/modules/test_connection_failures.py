# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module: connection options out of range fail before any request, naming the option;
a write whose answer is lost says the write may have been applied; a read timeout is not
"cannot connect"."""

import http.client
import re

import pytest
import requests
import responses
from urllib3.exceptions import ProtocolError

from ansible_collections.capgo.cloud.plugins.modules import (
    capgo_apikey,
    capgo_app,
    capgo_bundle,
    capgo_channel,
    capgo_device,
    capgo_info,
    capgo_member,
    capgo_organization,
    capgo_webhook,
)
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
ANY = re.compile(r"https://capgo\.test/.*")

CASES = [
    (capgo_apikey, {"name": "ci"}),
    (capgo_app, {"app_id": "com.demo.app", "name": "Demo"}),
    (capgo_bundle, {"app_id": "com.demo.app", "version": "1.0.0"}),
    (capgo_channel, {"app_id": "com.demo.app", "channel": "beta"}),
    (capgo_device, {"app_id": "com.demo.app", "device_id": "dev-1", "channel": "beta"}),
    (capgo_info, {"resource": "channels", "app_id": "com.demo.app"}),
    (capgo_member, {"org_id": ORG, "email": "dev@example.com"}),
    (capgo_organization, {"org_id": ORG}),
    (capgo_webhook, {"org_id": ORG, "name": "bot"}),
]
IDS = [case[0].__name__.rsplit(".", 1)[-1] for case in CASES]

BAD_CONNECTION = [
    ({"timeout": 0}, "timeout must be a number of seconds greater than 0, got 0.0"),
    ({"timeout": -5}, "timeout must be a number of seconds greater than 0, got -5.0"),
    ({"timeout": "nan"}, "timeout must be a number of seconds greater than 0, got nan"),
    ({"retries": -1}, "retries must be 0 (no retry) or more, got -1"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path /nonexistent/ca.pem does not exist"),
    ({"api_url": "ftp://capgo.test"}, "api_url must be an http(s) URL"),
    ({"api_key": "ae6e7458-c46d-4c00-aa3b-153b0b8520ea\n"}, "api_key contains whitespace"),
]


BAD_CONNECTION_IDS = ["%s=%r" % list(c[0].items())[0] for c in BAD_CONNECTION]


@pytest.mark.parametrize("options, message", BAD_CONNECTION, ids=BAD_CONNECTION_IDS)
@pytest.mark.parametrize("module, args", CASES, ids=IDS)
@responses.activate
def test_connection_option_out_of_range_fails_before_any_request(monkeypatch, module, args, options, message):
    for method in (responses.GET, responses.POST, responses.PUT, responses.DELETE):
        responses.add(method, ANY, json={})
    result, warnings = run_module(monkeypatch, module.main, dict(args, **options))
    assert result["failed"] is True and result["msg"].startswith(message), result["msg"]
    assert "unexpected answer" not in result["msg"]
    assert len(responses.calls) == 0


@pytest.mark.parametrize("value", ["0", "-1"])
@responses.activate
def test_out_of_range_timeout_from_the_environment_fails_too(monkeypatch, value):
    monkeypatch.setenv("CAPGO_TIMEOUT", value)
    result, warnings = run_module(monkeypatch, capgo_app.main, {"app_id": "com.demo.app", "name": "Demo"})
    assert result["failed"] is True and result["msg"].startswith("timeout must be"), result["msg"]
    assert len(responses.calls) == 0


def test_validate_certs_false_ignores_ca_path_even_if_missing(monkeypatch):
    with responses.RequestsMock() as mock:
        mock.get(URL + "/app/com.demo.app", json={"app_id": "com.demo.app", "name": "Demo", "owner_org": ORG})
        result, warnings = run_module(monkeypatch, capgo_app.main,
                                      {"app_id": "com.demo.app", "name": "Demo", "validate_certs": False,
                                       "ca_path": "/nonexistent/ca.pem"})
    assert result.get("failed") is not True, result
    assert result["changed"] is False


DROPPED = requests.exceptions.ConnectionError(ProtocolError(
    "Connection aborted.", http.client.RemoteDisconnected("Remote end closed connection without response")))


@responses.activate
def test_app_created_but_answer_lost(monkeypatch):
    responses.get(URL + "/app/com.demo.lost", status=404, json={"error": "cannot_find_app", "message": "Not found"})
    responses.get(URL + "/organization", json={"id": ORG, "name": "Demo org"})
    responses.post(URL + "/app", body=requests.exceptions.ReadTimeout("Read timed out. (read timeout=30)"))
    result, warnings = run_module(monkeypatch, capgo_app.main,
                                  {"app_id": "com.demo.lost", "name": "Lost", "owner_org": ORG, "retries": 3})
    assert result["failed"] is True
    msg = result["msg"]
    assert msg.startswith("Capgo at api_url https://capgo.test was reached but its answer to POST /app was lost "
                          "(no answer within the timeout of 30 s): the write may have been applied; run the task "
                          "again, it reads the current state and converges")
    assert "cannot connect" not in msg and "\n" not in msg
    assert result["api_error"]["error"] == "write_answer_lost"
    assert [c.request.method for c in responses.calls].count("POST") == 1, "a lost POST is not repeated"


@responses.activate
def test_webhook_created_but_connection_dropped(monkeypatch):
    responses.get(URL + "/webhooks", json=[])
    responses.post(URL + "/webhooks", body=DROPPED)
    result, warnings = run_module(monkeypatch, capgo_webhook.main,
                                  {"org_id": ORG, "name": "bot", "url": "https://hooks.example.com/a",
                                   "events": ["apps"], "retries": 3})
    assert result["failed"] is True
    assert "was reached but its answer to POST /webhooks was lost (the connection was lost before the answer)" \
        in result["msg"]
    assert "may have been applied" in result["msg"]
    assert [c.request.method for c in responses.calls].count("POST") == 1


@responses.activate
def test_read_timeout_of_a_read_is_not_cannot_connect(monkeypatch):
    responses.get(URL + "/channel", body=requests.exceptions.ReadTimeout("Read timed out. (read timeout=2)"))
    result, warnings = run_module(monkeypatch, capgo_info.main,
                                  {"resource": "channels", "app_id": "com.demo.app", "timeout": 2, "retries": 1})
    assert result["failed"] is True
    assert result["msg"].startswith("Capgo at api_url https://capgo.test was reached but did not answer GET /channel "
                                    "(no answer within the timeout of 2 s)")
    assert "cannot connect" not in result["msg"]
    assert len(responses.calls) == 2 and len(warnings) == 1, "a read is retried"
