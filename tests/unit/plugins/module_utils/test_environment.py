# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The environment engine: order, plan (check mode) equal to the real run, failures as values.

The declarations are stand-ins (one small Capgo-like resource per kind, kept in a dict behind
HTTP mocked with ``responses``), so these tests show the environment's own rules; the real
declarations run against the emulator in the capgo_environment integration target.
"""

import json
import threading
import re

import pytest
import responses

from ansible_collections.capgo.cloud.plugins.module_utils import _environment
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoClient
from ansible_collections.capgo.cloud.plugins.module_utils._engine import Engine, Resource
from ansible_collections.capgo.cloud.plugins.modules import capgo_environment
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
KEY = "11111111-2222-3333-4444-555555555555"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
CONNECTION = {"api_key": KEY, "api_url": URL, "timeout": 5.0, "retries": 0, "validate_certs": True,
              "ca_path": None}


def fake(kind_name, identity, parent=None):
    """A declaration of ``kind_name``: one object per identity at /fake/<kind>/<identity>."""

    class Fake(Resource):
        resource_key = kind_name
        kind = kind_name
        identity_options = identity
        scope_options = (parent,) if parent else ()
        managed = ("size", "secret")
        secret_fields = ("secret",)
        create_defaults = {"size": 1}
        checked_identifiers = ()
        argument_spec = dict(state=dict(type="str", default="present"), size=dict(type="int"),
                             keep=dict(type="int"), promote_from=dict(type="str"), secret=dict(type="str"))
        argument_spec.update((o, dict(type="str")) for o in identity + ((parent,) if parent else ()))

        def path(self):
            return "/fake/%s/%s" % (kind_name, "/".join(self.params[o] for o in identity))

        def validate(self):
            if self.params.get("size") is not None and self.params["size"] < 0:
                self.fail("size must be at least 0")

        def read(self):
            return self.get_or_none(self.path(), ("not_found",))

        def create(self, desired):
            names = identity + ((parent,) if parent else ())
            data = self.write("POST", self.path(), body=dict(desired, **{o: self.params[o] for o in names}))
            if data.get("secret"):
                self.reveal.add("secret")
            return data

        def update(self, before, changes):
            return self.write("PUT", self.path(), body=changes)

        def delete(self, before):
            self.write("DELETE", self.path())

        @classmethod
        def purge_options(cls, state, scope):
            options = {o: state.get(o) for o in identity}
            if parent:
                options[parent] = scope.get(parent)
            return options

        @classmethod
        def list_all(cls, op, scope):
            prefix = "/fake/%s/" % kind_name
            data = op.api("GET", prefix.rstrip("/"))
            return [dict(v) for v in data if not parent or v.get(parent) == scope.get(parent)]

    Fake.__name__ = "Fake_%s" % kind_name
    return Fake


KINDS = {
    "organization": fake("organization", ("org_id",)),
    "apps": fake("apps", ("app_id",), "owner_org"),
    "bundles": fake("bundles", ("app_id", "version"), "app_id"),
    "channels": fake("channels", ("app_id", "channel"), "app_id"),
    "devices": fake("devices", ("app_id", "device_id"), "app_id"),
    "members": fake("members", ("email",), "org_id"),
    "webhooks": fake("webhooks", ("name",), "org_id"),
    "apikeys": fake("apikeys", ("name",)),
}


class Backend:
    """The objects behind /fake/<kind>/<id> (and their listing at /fake/<kind>), and the requests."""

    def __init__(self, refuse=()):
        self.objects = {}
        self.writes = []
        self.calls = []
        self.refuse = set(refuse)
        self.intercept = None  # a test's own answer: intercept(request, answer)
        self.on_listing = None  # called with the kind of every listing (a test's probe)

    def __call__(self, request):
        if self.intercept is not None:
            return self.intercept(request, self.answer)
        return self.answer(request)

    def answer(self, request):
        path = request.path_url.split("?")[0]
        parts = path.split("/")[2:]
        kind, ident = parts[0], "/".join(parts[1:])
        store = self.objects.setdefault(kind, {})
        self.calls.append("%s %s" % (request.method, path))
        if request.method == "GET" and not ident:
            if self.on_listing is not None:
                self.on_listing(kind)
            return 200, {}, json.dumps(list(store.values()))
        if request.method != "GET":
            self.writes.append("%s %s/%s" % (request.method, kind, ident))
            if (kind, ident) in self.refuse:
                return 400, {}, json.dumps({"error": "refused", "message": "Refused by the test"})
        if request.method == "GET":
            if ident not in store:
                return 404, {}, json.dumps({"error": "not_found", "message": "Not found"})
            return 200, {}, json.dumps(store[ident])
        if request.method == "DELETE":
            store.pop(ident, None)
            return 200, {}, json.dumps({"status": "ok"})
        body = json.loads(request.body)
        obj = dict(store.get(ident) or {"size": 1})
        obj.update(body)
        if request.method == "POST" and kind == "webhooks":
            obj["secret"] = "whsec_created"
        store[ident] = obj
        return 200, {}, json.dumps(obj)

    def seed(self, kind, ident, **fields):
        self.objects.setdefault(kind, {})[ident] = fields


@pytest.fixture
def backend(monkeypatch):
    monkeypatch.setattr(_environment, "KINDS", KINDS)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        state = Backend()
        state.mock = mock
        for method in ("GET", "POST", "PUT", "DELETE"):
            mock.add_callback(method, re.compile(re.escape(URL) + r"/fake/.*"), callback=state)
        yield state


def declaration():
    """An organization with an app (two channels, a device, a bundle), a member and a webhook."""
    org = dict(CONNECTION, org_id=ORG, state="present", size=3)
    sections = {
        "apps": [dict(CONNECTION, app_id="com.example.app", owner_org=None, state="present", size=2)],
        "bundles": [dict(CONNECTION, app_id="com.example.app", version="1.0.0", state="present")],
        "channels": [dict(CONNECTION, app_id="com.example.app", channel="production", state="present", size=5),
                     dict(CONNECTION, app_id="com.example.app", channel="beta", state="present",
                          promote_from="production")],
        "devices": [dict(CONNECTION, app_id="com.example.app", device_id="d1", state="present", size=7)],
        "members": [dict(CONNECTION, email="dev@example.com", org_id=None, state="present")],
        "webhooks": [dict(CONNECTION, name="deploys", org_id=None, state="present")],
        "apikeys": [],
    }
    return org, sections


def apply(check_mode=False, diff=False, org=None, sections=None, purge=(), parallel=4):
    if org is None:
        org, sections = declaration()
    engine = Engine(CapgoClient(api_key=KEY, api_url=URL, retries=0), check_mode=check_mode, diff=diff)
    env = _environment.Environment(engine, org, sections, purge=purge, parallel=parallel)
    assert env.validate_all() == []
    return env, env.apply()


def test_writes_follow_the_dependencies(backend):
    backend.seed("organization", ORG, org_id=ORG, size=3)
    env, result = apply(parallel=1)
    order = [w.split(" ")[1].split("/")[0] for w in backend.writes]
    assert order == ["apps", "bundles", "channels", "channels", "devices", "members", "webhooks"]
    # the channel promoted from another one comes after it
    assert backend.writes.index("POST channels/com.example.app/beta") > \
        backend.writes.index("POST channels/com.example.app/production")
    assert result["summary"]["channels"] == {"create": 2, "update": 0, "delete": 0}
    assert result["summary"]["organization"] == {"create": 0, "update": 0, "delete": 0}
    assert env.failures() == []


def test_check_mode_is_a_plan_equal_to_the_real_run(backend):
    backend.seed("organization", ORG, org_id=ORG, size=1)
    backend.seed("apps", "com.example.app", app_id="com.example.app", owner_org=ORG, size=2)
    _env, plan = apply(check_mode=True)
    assert backend.writes == []
    _env, real = apply()
    assert real["changes"] == plan["changes"]
    assert real["summary"] == plan["summary"]
    kinds = ["organization", "bundles", "channels", "channels", "devices", "members", "webhooks"]
    assert [c["kind"] for c in real["changes"]] == kinds
    org_change = real["changes"][0]
    assert org_change == {"kind": "organization", "id": ORG, "action": "update",
                          "before": {"size": 1}, "after": {"size": 3}}


def test_converged_run_writes_nothing(backend):
    backend.seed("organization", ORG, org_id=ORG, size=3)
    apply()
    writes = len(backend.writes)
    _env, again = apply()
    assert len(backend.writes) == writes
    assert again["changed"] is False and again["changes"] == []


def test_children_of_a_predicted_parent_are_planned_without_reads(backend):
    backend.seed("organization", ORG, org_id=ORG, size=3)
    env, plan = apply(check_mode=True)
    children = [i for i in env.items if i.kind in ("channels", "devices", "bundles")]
    assert all(i.resource.before is None for i in children)
    # the organization and the (new) app are read; nothing of the app that does not exist yet
    # (members and webhooks are of one level: read concurrently, in any order)
    assert sorted(backend.calls) == ["GET /fake/apps", "GET /fake/members", "GET /fake/organization",
                                     "GET /fake/webhooks"]
    assert [c["action"] for c in plan["changes"] if c["kind"] == "channels"] == ["create", "create"]


def test_a_failed_item_does_not_stop_the_independent_ones(backend):
    backend.seed("organization", ORG, org_id=ORG, size=3)
    backend.refuse = {("apps", "com.example.app"), ("members", "dev@example.com")}
    env, result = apply()
    lines = env.failures()
    assert lines[0] == "apps com.example.app: POST /fake/apps/com.example.app failed: HTTP 400 refused: Refused by the test"
    assert lines[1].startswith("bundles com.example.app/1.0.0: not attempted: apps com.example.app failed")
    assert "members dev@example.com: POST /fake/members/dev@example.com failed" in lines[-1]
    # the webhook does not depend on the app nor on the member: it converged
    assert [c["id"] for c in result["changes"]] == ["deploys"]
    assert "POST webhooks/deploys" in backend.writes
    assert not any(w.startswith("POST channels") for w in backend.writes)


def test_removals_run_in_reverse_and_purge_only_the_undeclared(backend):
    backend.seed("organization", ORG, org_id=ORG, size=3)
    org, sections = declaration()
    apply(org=org, sections=sections)
    backend.seed("channels", "com.example.app/old", app_id="com.example.app", channel="old", size=1)
    backend.seed("webhooks", "stale", name="stale", org_id=ORG, size=1)
    backend.seed("apps", "com.example.gone", app_id="com.example.gone", owner_org=ORG, size=1)
    sections["apps"].append(dict(CONNECTION, app_id="com.example.gone", owner_org=None, state="absent"))
    sections["channels"].append(dict(CONNECTION, app_id="com.example.gone", channel="x", state="absent"))
    del backend.writes[:]
    _env, plan = apply(org=org, sections=sections, purge=("channels", "webhooks"), check_mode=True)
    assert backend.writes == []
    _env, result = apply(org=org, sections=sections, purge=("channels", "webhooks"))
    assert result["changes"] == plan["changes"]
    assert backend.writes == ["DELETE webhooks/stale", "DELETE channels/com.example.app/old",
                              "DELETE apps/com.example.gone"]
    assert [(c["kind"], c["id"], c["action"]) for c in result["changes"]] == [
        ("apps", "com.example.gone", "delete"), ("channels", "com.example.app/old", "delete"),
        ("webhooks", "stale", "delete")]


def test_created_secrets_only_under_secrets(backend):
    backend.seed("organization", ORG, org_id=ORG, size=3)
    _env, result = apply(diff=True)
    assert result["secrets"] == {"webhooks/deploys": "whsec_created"}
    text = json.dumps([result["changes"], result["environment"], result["diff"]])
    assert "whsec_created" not in text


def test_parallel_levels_converge_the_same(backend):
    backend.seed("organization", ORG, org_id=ORG, size=3)
    _env, result = apply(parallel=8)
    assert sorted(backend.writes) == sorted([
        "POST apps/com.example.app", "POST bundles/com.example.app/1.0.0", "POST channels/com.example.app/production",
        "POST channels/com.example.app/beta", "POST devices/com.example.app/d1", "POST members/dev@example.com",
        "POST webhooks/deploys"])
    assert result["summary"]["devices"]["create"] == 1


def test_item_checks_run_before_any_request(backend):
    org, sections = declaration()
    sections["devices"][0]["size"] = -1
    engine = Engine(CapgoClient(api_key=KEY, api_url=URL, retries=0))
    env = _environment.Environment(engine, org, sections)
    assert env.validate_all() == ["devices com.example.app/d1: size must be at least 0"]
    assert backend.calls == []


@responses.activate
def test_bad_items_fail_at_validation_with_the_modules_messages(monkeypatch):
    result, _warnings = run_module(monkeypatch, capgo_environment.main, {
        "organization": {"org_id": ORG},
        "members": [{"email": "dev@example.com", "role": "boss"}],
        "apps": [{"app_id": "com.example.app", "channels": [{"channel": "beta", "rollout": {"percentage": 150}}],
                  "devices": [{"device_id": "d1"}]}],
        "webhooks": [{"name": "w", "org_id": ORG}],
    })
    assert result["failed"] is True and result["changed"] is False
    lines = result["msg"].split("\n")
    assert lines[0].startswith("members[0]: value of role must be one of: org_member")
    assert "webhooks[0]: org_id is given by the environment, not by the item" in lines
    assert "apps[0].devices[0]: state is present but all of the following are missing: channel" in lines
    assert len(responses.calls) == 0


@responses.activate
def test_module_checks_of_items_run_before_any_request(monkeypatch):
    result, _warnings = run_module(monkeypatch, capgo_environment.main, {
        "organization": {"org_id": ORG},
        "apps": [{"app_id": "com.example.app", "channels": [{"channel": "beta", "rollout": {"percentage": 150}}]}],
    })
    assert result["failed"] is True
    assert result["msg"] == "channels com.example.app/beta: rollout.percentage must be between 0 and 100, got 150.0"
    assert len(responses.calls) == 0


def test_an_unexpected_answer_names_the_request_of_its_own_item(backend):
    """Items of one level run in threads sharing one client: a failed item names its own request.

    The webhook's answer is of a shape the resource does not expect (a list); before the webhook's
    thread reports it, the member's thread sends its own request. The webhook's line names the
    webhook's request, never the member's.
    """
    backend.seed("organization", ORG, org_id=ORG, size=3)
    backend.seed("apps", "com.example.app", app_id="com.example.app", owner_org=ORG, size=2)
    webhook_sent, member_sent = threading.Event(), threading.Event()

    def interleaved(request, answer):
        path = request.path_url
        if request.method == "POST" and path.startswith("/fake/webhooks/"):
            webhook_sent.set()
            assert member_sent.wait(10)  # the member's requests are sent while this one is pending
            answer(request)
            return 200, {}, json.dumps([])  # not the object a create answers
        if request.method == "POST" and path.startswith("/fake/members/"):
            assert webhook_sent.wait(10)  # the member's write is sent once the webhook's is sent
        try:
            return answer(request)
        finally:
            if request.method == "POST" and path.startswith("/fake/members/"):
                member_sent.set()

    backend.intercept = interleaved
    org, sections = declaration()
    sections.update(apps=[], bundles=[], channels=[], devices=[])
    env, result = apply(org=org, sections=sections, parallel=4)
    assert env.failures() == [
        "webhooks deploys: unexpected answer from Capgo to POST /fake/webhooks/deploys "
        "(AttributeError: 'list' object has no attribute 'get'); is api_url a Capgo API?"]
    # the webhook was written (its answer was not understood): reported as done
    assert sorted(c["id"] for c in result["changes"]) == ["deploys", "dev@example.com"]


@responses.activate
def test_no_log_values_of_items_are_masked_like_their_modules_options(monkeypatch):
    """Each item's no_log options (suboptions too) join the module's no_log values, before any request."""
    from ansible_collections.capgo.cloud.plugins.module_utils import _ansible_environment

    seen = {}
    validate = _ansible_environment.environment_items

    def spy(module, params=None):
        out = validate(module, params)
        seen["values"] = set(module.no_log_values)
        return out

    monkeypatch.setattr(_ansible_environment, "environment_items", spy)
    monkeypatch.setenv("CAPGO_SESSION_TOKEN", "session-from-the-environment")
    result, _warnings = run_module(monkeypatch, capgo_environment.main, {
        "organization": {"org_id": ORG},
        "apikeys": [{"name": "ci", "lookup_api_key": "lookup-key-of-the-item"}],
        "apps": [{"app_id": "com.example.app",
                  "bundles": [{"version": "1.0.0", "external_url": "https://cdn.example.com/1.zip",
                               "session_key": "session-key-of-the-bundle"}]}],
        "parallel": 0,
    })
    assert result["failed"] is True and result["msg"] == "parallel must be at least 1, got 0"
    assert {"lookup-key-of-the-item", "session-key-of-the-bundle", "session-from-the-environment",
            "11111111-2222-3333-4444-555555555555"} <= seen["values"]
    assert not seen["values"] & {"ci", "1.0.0", "com.example.app", ORG}
    assert len(responses.calls) == 0


def test_no_log_values_walk_suboptions_and_structures():
    from ansible_collections.capgo.cloud.plugins.module_utils._ansible_environment import no_log_values

    spec = dict(token=dict(type="str", no_log=True), name=dict(type="str"), empty=dict(type="str", no_log=True),
                nested=dict(type="list", elements="dict",
                            options=dict(pin=dict(type="int", no_log=True), label=dict(type="str"))),
                blob=dict(type="dict", no_log=True), zero=dict(type="int", no_log=True))
    params = dict(token="t0ken", name="visible", empty="", nested=[dict(pin=1234, label="shown"), dict(pin=None)],
                  blob=dict(a="x1", b=["y2", True, None]), zero=0)
    assert no_log_values(spec, params) == {"t0ken", "1234", "x1", "y2"}


def test_the_api_key_goes_into_a_url_path_only_for_a_purge_of_keys_or_members(backend):
    """GET /apikey/<key> (the only way Capgo tells the caller's key) is sent for purge: [apikeys] or
    [members] alone: proxies and CDNs log paths."""
    backend.seed("organization", ORG, org_id=ORG, size=3)
    backend.seed("webhooks", "stale", name="stale", org_id=ORG, size=1)
    apply(purge=("channels", "webhooks", "apps", "devices"))
    assert "DELETE webhooks/stale" in backend.writes
    assert not [c for c in backend.mock.calls if "/apikey/" in c.request.url]
    backend.seed("members", "old@example.com", email="old@example.com", org_id=ORG)
    apply(purge=("members",))
    assert "DELETE members/old@example.com" not in backend.writes  # the caller is unknown: none removed
    assert [c.request.method for c in backend.mock.calls if "/apikey/" in c.request.url] == ["GET"]


@responses.activate
def test_the_module_says_whether_its_result_is_a_plan(monkeypatch):
    """``check_mode`` in the result: what the environment role reads (ansible_check_mode misses the task keyword)."""
    org = {"id": ORG, "name": "Demo org", "management_email": "admin@example.com", "logo": None, "website": None}
    responses.get(URL + "/organization", json=[org])
    for check_mode in (True, False):
        result, _warnings = run_module(monkeypatch, capgo_environment.main, {"organization": {"org_id": ORG}},
                                       check_mode=check_mode)
        assert result.get("failed") is None and result["changed"] is False
        assert result["check_mode"] is check_mode


def test_listings_of_a_levels_scopes_run_in_the_pool(backend):
    """Four apps of five channels each, parallel=4: the four channel listings run at once, not one
    scope after the other while the level's workers wait on the same scope."""
    import threading
    import time

    org, sections = declaration()
    apps = ["com.example.app%d" % n for n in range(4)]
    sections = dict(sections, apps=[dict(CONNECTION, app_id=a, owner_org=None, state="present") for a in apps],
                    bundles=[], devices=[], members=[], webhooks=[],
                    channels=[dict(CONNECTION, app_id=a, channel="c%d" % n, state="present")
                              for a in apps for n in range(5)])
    for a in apps:
        backend.seed("apps", a, app_id=a, owner_org=ORG, size=1)
        for n in range(5):
            backend.seed("channels", "%s/c%d" % (a, n), app_id=a, channel="c%d" % n, size=1)
    backend.seed("organization", ORG, org_id=ORG, size=3)
    lock = threading.Lock()
    probe = {"now": 0, "peak": 0}

    def slow_listing(kind):
        if kind != "channels":
            return
        with lock:
            probe["now"] += 1
            probe["peak"] = max(probe["peak"], probe["now"])
        time.sleep(0.1)
        with lock:
            probe["now"] -= 1

    backend.on_listing = slow_listing
    env, result = apply(org=org, sections=sections, parallel=4)
    assert not result["changed"] and backend.writes == []
    assert backend.calls.count("GET /fake/channels") == 4  # one listing per scope
    assert probe["peak"] == 4
    probe["peak"] = 0
    backend.calls[:] = []
    apply(org=org, sections=sections, parallel=1)
    assert probe["peak"] == 1 and backend.calls.count("GET /fake/channels") == 4


def test_an_encrypted_hosted_bundle_item_without_cryptography_fails_before_any_request(monkeypatch, tmp_path):
    """The item goes through the environment, not capgo_bundle's main(): the same missing-library message."""
    from ansible_collections.capgo.cloud.plugins.module_utils import _upload

    def missing():
        raise ImportError("No module named 'cryptography'")
    monkeypatch.setattr(_upload, "import_cryptography", missing)
    (tmp_path / "index.html").write_text(u"<html></html>")
    (tmp_path / "app.js").write_text(u"CapacitorUpdater.notifyAppReady();")
    key = tmp_path / "key.pem"
    key.write_text(u"not read: the library check comes first")
    bundles = [{"version": "1.0.0", "src": str(tmp_path)},
               {"version": "1.0.1", "src": str(tmp_path), "encryption_key": str(key), "min_update_version": "1.0.0"}]
    with responses.RequestsMock() as rsps:  # any request fails the test
        result, _warnings = run_module(monkeypatch, capgo_environment.main, {
            "organization": {"org_id": ORG}, "apps": [{"app_id": "com.example.app", "bundles": bundles}]})
        assert len(rsps.calls) == 0
    assert result["failed"] is True and result["changed"] is False
    assert "Failed to import the required Python library (cryptography)" in result["msg"]
