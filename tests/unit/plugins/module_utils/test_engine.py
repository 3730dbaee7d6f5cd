# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared resource cycle, on a tiny resource served by a mocked API."""

import json

import pytest
import responses

from ansible_collections.capgo.cloud.plugins.module_utils._ansible import run_module as run_declaration
from ansible_collections.capgo.cloud.plugins.module_utils._engine import Resource
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"


class Thing(Resource):
    resource_key = "thing"
    managed = ("size", "tags", "options", "token")
    unordered = ("tags",)
    secret_fields = ("token",)
    create_defaults = {"size": 1, "tags": [], "options": {"a": 1, "b": 2}}

    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        size=dict(type="int"),
        tags=dict(type="list", elements="str"),
        options=dict(type="dict", options=dict(a=dict(type="int"), b=dict(type="int"))),
        token=dict(type="str", no_log=True),
        note=dict(type="str"),
    )

    def read(self):
        try:
            return self.api("GET", "/thing", params={"name": self.params["name"]})
        except CapgoAPIError as err:
            if err.status == 404:
                return None
            raise

    def create(self, desired):
        self.reveal.add("token")
        return self.write("POST", "/thing", body=desired)

    def update(self, before, changes):
        self.result["msg"] = "updated"
        return self.write("PUT", "/thing", body=changes)

    def delete(self, before):
        self.write("DELETE", "/thing", params={"name": self.params["name"]})


def main():
    run_declaration(Thing)


def thing(**over):
    data = {"name": "x", "size": 1, "tags": ["a", "b"], "options": {"a": 1, "b": 2}, "token": "s3cret",
            "updated_at": "2026-11-01T00:00:00Z"}
    data.update(over)
    return data


def writes():
    return [c.request for c in responses.calls if c.request.method != "GET"]


@responses.activate
def test_only_user_set_fields_are_compared_sets_unordered_dicts_by_subkey(monkeypatch):
    responses.get(URL + "/thing", json=thing())
    result, warnings = run_module(monkeypatch, main, {"name": "x", "tags": ["b", "a"], "options": {"b": 2}})
    assert result["changed"] is False and writes() == []


@responses.activate
def test_update_sends_only_the_difference_and_diff_masks_secrets(monkeypatch):
    responses.get(URL + "/thing", json=thing())
    responses.put(URL + "/thing", json=thing(size=3, options={"a": 5, "b": 2}))
    result, warnings = run_module(monkeypatch, main, {"name": "x", "size": 3, "options": {"a": 5, "b": 2}}, diff=True)
    assert json.loads(writes()[0].body) == {"size": 3, "options": {"a": 5}}
    assert result["diff"]["before"]["token"] == "********" and result["diff"]["after"]["token"] == "********"
    assert "updated_at" not in result["diff"]["before"]
    assert "token" not in result["thing"]
    assert result["msg"] == "updated"


@responses.activate
def test_created_secret_is_revealed_in_the_result_only(monkeypatch):
    responses.get(URL + "/thing", status=404, json={"error": "not_found", "message": "Not found"})
    responses.post(URL + "/thing", json=thing(token="fresh"))
    result, warnings = run_module(monkeypatch, main, {"name": "x", "size": 1}, diff=True)
    assert result["changed"] is True
    assert result["thing"]["token"] == "fresh"
    assert result["diff"]["after"]["token"] == "********" and result["diff"]["before"] == {}


@responses.activate
def test_check_mode_predicts_create_from_defaults_without_writing(monkeypatch):
    responses.get(URL + "/thing", status=404, json={"error": "not_found", "message": "Not found"})
    result, warnings = run_module(monkeypatch, main, {"name": "x", "options": {"a": 9}}, check_mode=True)
    assert result["changed"] is True and writes() == []
    assert result["thing"] == {"size": 1, "tags": [], "options": {"a": 9, "b": 2}}


@responses.activate
def test_absent_deletes_once(monkeypatch):
    responses.get(URL + "/thing", json=thing())
    responses.delete(URL + "/thing", json={"status": "ok"})
    result, warnings = run_module(monkeypatch, main, {"name": "x", "state": "absent"})
    assert result["changed"] is True and result["thing"] == {}
    assert [w.method for w in writes()] == ["DELETE"]


@responses.activate
def test_failed_update_keeps_its_own_message_and_is_not_a_change(monkeypatch):
    responses.get(URL + "/thing", json=thing())
    responses.put(URL + "/thing", status=400, json={"error": "bad_size", "message": "Bad size"})
    result, warnings = run_module(monkeypatch, main, {"name": "x", "size": 3})
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == "PUT /thing failed: HTTP 400 bad_size: Bad size"
    assert result["api_error"]["error"] == "bad_size"


@responses.activate
def test_api_key_from_environment_and_never_in_output(monkeypatch):
    key = "0badc0de-0000-4000-8000-000000000000"
    monkeypatch.setenv("CAPGO_TOKEN", key)
    responses.get(URL + "/thing", status=401, json={"error": "invalid_apikey", "message": "Invalid apikey " + key})
    result, warnings = run_module(monkeypatch, main, {"name": "x", "api_key": None})
    assert responses.calls[0].request.headers["authorization"] == key
    assert key not in json.dumps(result)
    assert "Capgo refused the credentials" in result["msg"]


def test_write_in_check_mode_is_refused(monkeypatch):
    class Broken(Thing):
        def read(self):
            return None

        def predict_create(self, desired):
            return self.create(desired)

    with pytest.raises(AssertionError, match="attempted in check mode"):
        run_module(monkeypatch, lambda: run_declaration(Broken), {"name": "x"}, check_mode=True)


def test_empty_api_key_fails_before_any_request(monkeypatch):
    result, warnings = run_module(monkeypatch, main, {"name": "x", "api_key": ""})
    assert result["failed"] is True and "api_key is empty" in result["msg"]


class RereadThing(Thing):
    def create(self, desired):
        self.write("POST", "/thing", body=desired)
        return self.current_after_write()


@responses.activate
def test_read_written_fails_when_the_write_left_nothing_to_read(monkeypatch):
    responses.get(URL + "/thing", status=404, json={"error": "not_found", "message": "Not found"})
    responses.post(URL + "/thing", json={})
    result = run_module(monkeypatch, lambda: run_declaration(RereadThing), {"name": "x", "size": 1})[0]
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"] == "the thing was written but cannot be read back"


@pytest.mark.parametrize("args, message", [
    ({"api_key": "11111111-2222-3333-4444-555555555555\n"}, "api_key contains whitespace or control characters"),
    ({"api_url": "api.capgo.app"}, "api_url must be an http(s) URL with a host"),
    ({"api_url": "ftp://api.capgo.app"}, "api_url must be an http(s) URL with a host"),
])
@responses.activate
def test_malformed_connection_options_fail_before_any_request(monkeypatch, args, message):
    result, warnings = run_module(monkeypatch, main, dict({"name": "x"}, **args))
    assert result["failed"] is True and message in result["msg"]
    assert "11111111-2222" not in result["msg"]
    assert len(responses.calls) == 0


def test_one_way_to_a_client_of_another_key():
    """Engine.client_for: the run's client for its key; another key gets a client built like it,
    once, after connection_problems; a credential with white space fails (never echoed)."""
    from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoClient
    from ansible_collections.capgo.cloud.plugins.module_utils._engine import Engine, Failure

    main = CapgoClient("11111111-2222-3333-4444-555555555555", api_url=URL, timeout=7, retries=2,
                       ca_path="/etc/ssl/certs", user_agent_extra="awx")
    engine = Engine(main)
    assert engine.client_for(None) is main and engine.client_for(main.api_key) is main
    other = engine.client_for("other-key-0001")
    assert engine.client_for("other-key-0001") is other
    assert (other.api_url, other.timeout, other.retries, other.verify) == (URL, 7.0, 2, "/etc/ssl/certs")
    assert other.session.headers["user-agent"] == main.session.headers["user-agent"]
    assert other.session.headers["authorization"] == "other-key-0001"
    engine.warn("leaked other-key-0001")
    assert engine.warnings == ["leaked ********"]
    with pytest.raises(Failure) as info:
        engine.client_for("bad key\n")
    assert info.value.msg == "api_key contains whitespace or control characters (a trailing newline?)"
