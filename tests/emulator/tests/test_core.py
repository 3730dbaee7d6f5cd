"""Core: envelope, 404 catch-all, /ok, inputs, control endpoints, faults, clock, CLI, persistence,
concurrency."""

import json
import os
import signal
import subprocess
import threading
import time

import pytest
import requests

from conftest import EMULATOR_DIR, emulator_command, emulator_env, start_emulator
from emu_seed import (ADMIN, APP, DEFAULT_SEED, KEY_EXPIRED, KEY_SUPER, ORG1, SESSION_ADMIN)


def assert_error(resp, status, code):
    assert resp.status_code == status, (resp.status_code, resp.text)
    body = resp.json()
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert "moreInfo" in body
    return body


# ------------------------------------------------------------------ /ok, 404, envelope
def test_get_ok(emu):
    r = emu.call("GET", "/ok")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["Content-Type"].startswith("application/json")


def test_post_ok_requires_json(emu):
    assert emu.call("POST", "/ok", json={}).json() == {"status": "ok"}
    assert_error(emu.call("POST", "/ok"), 400, "invalid_json_parse_body")
    assert_error(emu.call("POST", "/ok", data="not json"), 400, "invalid_json_parse_body")


@pytest.mark.parametrize("method,path", [
    ("GET", "/nope"), ("GET", "/"), ("GET", "/ok/"), ("GET", "/channel/"),
    ("PATCH", "/channel"), ("POST", "/app/com.demo.app/extra"), ("PUT", "/ok"),
    ("GET", "/private/stats"), ("DELETE", "/apikey"),
])
def test_catch_all_404_without_more_info(emu, method, path):
    r = emu.call(method, path, key=KEY_SUPER)
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "message": "Not found"}


def test_unhandled_error_is_500_unknown_error_without_traceback(emu):
    # POST /channel without a channel name throws a plain error in the real handler.
    r = emu.call("POST", "/channel", key=KEY_SUPER, json={"app_id": APP})
    assert r.status_code == 500
    assert r.json() == {"error": "unknown_error", "message": "Unknown error", "moreInfo": {}}
    assert "Traceback" not in r.text


@pytest.mark.parametrize("body", ["{", "[1, 2", "\x00\x01", "{\"a\": }", "null"])
def test_garbage_bodies_never_leak_tracebacks(emu, body):
    for method, path in [("POST", "/app"), ("PUT", "/apikey/1"), ("POST", "/apikey"),
                         ("PUT", "/organization"), ("POST", "/organization/members"),
                         ("POST", "/ok")]:
        r = emu.call(method, path, key=KEY_SUPER, data=body)
        allowed = (400, 401, 404)
        # (POST /apikey refuses key callers before it parses the body)
        if body == "null" and (method, path) in (("PUT", "/apikey/1"), ("POST", "/ok")):
            allowed = (500,)  # parseBody reads `null.device_id` and throws (unknown_error)
        assert r.status_code in allowed, (method, path, r.status_code, r.text)
        assert "Traceback" not in r.text and r.json()["error"]


def test_error_envelope_shape(emu):
    body = assert_error(emu.call("GET", "/app/com.unknown.app", key=KEY_SUPER), 401,
                        "cannot_access_app")
    assert set(body) == {"error", "message", "moreInfo"}


def test_head_on_get_route(emu):
    r = requests.head(emu.base_url + "/ok")
    assert r.status_code == 200 and r.content == b""


# ------------------------------------------------------------------ inputs (§1.2)
def test_json_or_query_get_reads_query(emu):
    r = emu.call("GET", "/organization", key=KEY_SUPER, params={"orgId": ORG1})
    assert r.status_code == 200 and r.json()["id"] == ORG1


def test_json_or_query_body_wins_over_query(emu):
    # JSON body (GET with a body) wins; the query string is ignored entirely.
    r = emu.call("GET", "/organization", key=KEY_SUPER, params={"orgId": "nope"},
                 json={"orgId": ORG1})
    assert r.status_code == 200 and r.json()["id"] == ORG1


def test_json_or_query_non_get_falls_back_to_query(emu):
    r = emu.call("PUT", "/organization", key=KEY_SUPER, params={"orgId": ORG1, "name": "Q org"})
    assert r.status_code == 200 and r.json()["data"]["name"] == "Q org"


def test_json_or_query_empty_non_get_is_invalid_json(emu):
    assert_error(emu.call("PUT", "/organization", key=KEY_SUPER), 400,
                 "invalid_json_parse_body")
    assert_error(emu.call("DELETE", "/organization", key=KEY_SUPER, json={}), 400,
                 "invalid_json_parse_body")
    assert_error(emu.call("POST", "/organization/members", key=KEY_SUPER, data="oops"), 400,
                 "invalid_json_parse_body")


def test_json_only_ignores_query(emu):
    # POST /apikey is JSON-only: a query string does not count as input.
    r = emu.call("POST", "/apikey", key=SESSION_ADMIN, params={"name": "x"})
    assert_error(r, 400, "invalid_json_parse_body")


def test_query_values_are_strings(emu):
    # GET /organization wants a JSON number page; a query-string page fails validation.
    assert_error(emu.call("GET", "/organization", key=KEY_SUPER, params={"page": "0"}), 400,
                 "invalid_body")
    r = emu.call("GET", "/organization", key=KEY_SUPER, json={"page": 0})
    assert r.status_code == 200 and isinstance(r.json(), list)


def test_content_type_is_not_checked(emu):
    r = emu.call("PUT", "/organization", key=KEY_SUPER,
                 data=json.dumps({"orgId": ORG1, "name": "Text org"}),
                 headers={"Content-Type": "text/plain"})
    assert r.status_code == 200 and r.json()["data"]["name"] == "Text org"


# ------------------------------------------------------------------ control endpoints
def test_reset_loads_seed_and_state_exports_it(emu):
    emu.reset({"users": [{"email": "x@example.com", "session_token": "tok-x"}],
               "orgs": [{"name": "X org", "members": [{"email": "x@example.com",
                                                       "role": "org_super_admin"}]}]})
    state = emu.state()
    assert [u["email"] for u in state["users"]] == ["x@example.com"]
    assert state["orgs"][0]["name"] == "X org"
    assert state["apps"] == [] and state["apikeys"] == []
    assert emu.call("GET", "/app", key=KEY_SUPER).json()["error"] == "invalid_apikey"


def test_reset_empty_body_gives_empty_state(emu):
    r = requests.post(emu.base_url + "/_emulator/reset")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert emu.state()["users"] == []


def test_reset_bad_seed_is_refused_naming_entry(emu):
    r = requests.post(emu.base_url + "/_emulator/reset",
                      json={"apps": [{"app_id": "com.a.b", "owner_org": "missing org"}]})
    assert r.status_code == 400
    assert "apps[0]" in r.json()["message"] and "missing org" in r.json()["message"]


def test_state_round_trips_through_reset(emu):
    emu.call("PUT", "/organization", key=KEY_SUPER, json={"orgId": ORG1, "name": "Renamed"})
    before = emu.state()
    emu.reset(before)
    after = emu.state()
    assert after == before
    # secrets survive: the plain key and the hashed key still authenticate
    assert emu.call("GET", "/app", key=KEY_SUPER).status_code == 200
    from emu_seed import KEY_HASHED
    assert emu.call("GET", "/app", key=KEY_HASHED).status_code == 200


def test_state_includes_secrets(emu):
    keys = {k["name"]: k for k in emu.state()["apikeys"]}
    assert keys["super"]["key"] == KEY_SUPER
    assert "key" not in keys["hashed"] and len(keys["hashed"]["key_hash"]) == 64
    assert {"email": ADMIN, "session_token": SESSION_ADMIN}.items() <= \
        next(u for u in emu.state()["users"] if u["email"] == ADMIN).items()


def test_requests_log(emu):
    emu.call("GET", "/ok")
    emu.call("GET", "/app/com.demo.app", key=KEY_SUPER, params={"x": "1"})
    emu.call("GET", "/app/com.nope.app", key=KEY_SUPER)
    emu.call("GET", "/does-not-exist")
    emu.state()  # control calls are not logged
    log = emu.requests_log()
    assert log == [
        {"method": "GET", "path": "/ok", "query": {}, "status": 200, "error": None},
        {"method": "GET", "path": "/app/com.demo.app", "query": {"x": "1"}, "status": 200,
         "error": None},
        {"method": "GET", "path": "/app/com.nope.app", "query": {}, "status": 401,
         "error": "cannot_access_app"},
        {"method": "GET", "path": "/does-not-exist", "query": {}, "status": 404,
         "error": "not_found"},
    ]
    emu.clear_log()
    assert emu.requests_log() == []


def test_clock_advance(emu):
    r1 = requests.post(emu.base_url + "/_emulator/clock", json={"advance_seconds": 0}).json()
    r2 = emu.advance(86400 * 3)
    from datetime import datetime
    t1 = datetime.fromisoformat(r1["now"])
    t2 = datetime.fromisoformat(r2["now"])
    assert 86400 * 3 <= (t2 - t1).total_seconds() < 86400 * 3 + 60
    bad = requests.post(emu.base_url + "/_emulator/clock", json={"advance_seconds": -1})
    assert bad.status_code == 400


def test_clock_expires_keys(emu):
    seed = json.loads(json.dumps(DEFAULT_SEED))
    from datetime import datetime, timedelta, timezone
    soon = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    seed["apikeys"][0]["expires_at"] = soon
    emu.reset(seed)
    assert emu.call("GET", "/app", key=KEY_SUPER).status_code == 200
    emu.advance(3601)
    assert_error(emu.call("GET", "/app", key=KEY_SUPER), 401, "invalid_apikey")


def test_unknown_control_path_is_404(emu):
    r = requests.get(emu.base_url + "/_emulator/nothing")
    assert r.status_code == 404 and r.json() == {"error": "not_found", "message": "Not found"}


# ------------------------------------------------------------------ faults
def test_fault_status_times_and_retry_after(emu):
    emu.add_fault(method="GET", path="^/ok$", status=503, times=2, retry_after=7)
    r1 = emu.call("GET", "/ok")
    r2 = emu.call("GET", "/ok")
    r3 = emu.call("GET", "/ok")
    assert (r1.status_code, r2.status_code, r3.status_code) == (503, 503, 200)
    assert r1.headers["Retry-After"] == "7"
    assert r1.json()["error"] and "moreInfo" in r1.json()
    log = emu.requests_log()
    assert [e["status"] for e in log] == [503, 503, 200]


def test_fault_method_filter_and_regex(emu):
    emu.add_fault(method="POST", path="ok", status=500, times=1)
    assert emu.call("GET", "/ok").status_code == 200
    r = emu.call("POST", "/ok", json={})
    assert r.status_code == 500 and r.json()["error"] == "unknown_error"
    assert emu.call("POST", "/ok", json={}).status_code == 200


def test_fault_raw_body(emu):
    emu.add_fault(method=None, path="^/app", status=502, times=1, body="<html>bad gateway</html>")
    r = emu.call("GET", "/app", key=KEY_SUPER)
    assert r.status_code == 502 and r.text == "<html>bad gateway</html>"
    assert emu.requests_log()[-1] == {"method": "GET", "path": "/app", "query": {},
                                      "status": 502, "error": None}


def test_fault_drop_connection(emu):
    emu.add_fault(path="^/ok$", drop=True, times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(emu.base_url + "/ok", timeout=10)
    assert requests.get(emu.base_url + "/ok", timeout=10).status_code == 200


def test_fault_delay_only(emu):
    emu.add_fault(path="^/ok$", delay_ms=400, status=None, times=1)
    start = time.monotonic()
    r = emu.call("GET", "/ok")
    assert r.status_code == 200 and time.monotonic() - start >= 0.38
    start = time.monotonic()
    emu.call("GET", "/ok")
    assert time.monotonic() - start < 0.3


def test_fault_delay_with_status(emu):
    emu.add_fault(path="^/ok$", delay_ms=200, status=429, times=1, retry_after=1)
    start = time.monotonic()
    r = emu.call("GET", "/ok")
    assert r.status_code == 429 and time.monotonic() - start >= 0.18
    assert r.headers["Retry-After"] == "1"


def _app_ids(emu):
    return [a["app_id"] for a in emu.state().get("apps", [])]


def test_fault_after_drop_applies_the_write_and_loses_the_answer(emu):
    emu.add_fault(method="POST", path="^/app$", drop=True, after=True, times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(emu.base_url + "/app", headers={"authorization": KEY_SUPER}, timeout=10,
                      json={"app_id": "com.lost.answer", "name": "Lost", "owner_org": ORG1})
    assert "com.lost.answer" in _app_ids(emu)
    assert emu.requests_log() == [{"method": "POST", "path": "/app", "query": {},
                                   "status": None, "error": None}]
    # the rule is used up: a retry is served (and finds the app)
    r = emu.call("POST", "/app", key=KEY_SUPER,
                 json={"app_id": "com.lost.answer", "name": "Lost", "owner_org": ORG1})
    assert r.status_code == 409


def test_fault_after_status_applies_the_write(emu):
    emu.add_fault(method="POST", path="^/app$", status=504, after=True, retry_after=2)
    r = emu.call("POST", "/app", key=KEY_SUPER,
                 json={"app_id": "com.after.status", "name": "After", "owner_org": ORG1})
    assert_error(r, 504, "gateway_timeout")
    assert r.headers["Retry-After"] == "2"
    assert "com.after.status" in _app_ids(emu)
    assert [(e["status"], e["error"]) for e in emu.requests_log()] == [(504, "gateway_timeout")]


def test_fault_after_delay_answers_late_with_the_real_answer(emu):
    emu.add_fault(method="POST", path="^/app$", status=None, delay_ms=1500, after=True)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(emu.base_url + "/app", headers={"authorization": KEY_SUPER}, timeout=0.5,
                      json={"app_id": "com.after.delay", "name": "Late", "owner_org": ORG1})
    assert "com.after.delay" in _app_ids(emu)  # applied before the delay started
    time.sleep(1.2)
    assert [(e["status"], e["error"]) for e in emu.requests_log()] == [(200, None)]


def test_fault_before_is_not_applied(emu):
    emu.add_fault(method="POST", path="^/app$", status=503)
    r = emu.call("POST", "/app", key=KEY_SUPER,
                 json={"app_id": "com.before.fault", "name": "Before", "owner_org": ORG1})
    assert_error(r, 503, "service_unavailable")
    assert "com.before.fault" not in _app_ids(emu)


def test_fault_after_must_be_boolean(emu):
    r = requests.post(emu.base_url + "/_emulator/faults",
                      json={"path": "^/app", "status": 503, "after": "yes"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "invalid_fault"


def test_faults_cleared(emu):
    emu.add_fault(path=".*", status=503, times=5)
    emu.clear_faults()
    assert emu.call("GET", "/ok").status_code == 200


def test_bad_fault_rule_rejected(emu):
    r = requests.post(emu.base_url + "/_emulator/faults", json={"path": "(", "status": 503})
    assert r.status_code == 400


# ------------------------------------------------------------------ CLI / process
def test_start_line_port_zero_and_sigterm(tmp_path):
    start = time.monotonic()
    server = start_emulator(seed=DEFAULT_SEED, tmp_path=tmp_path)
    elapsed = time.monotonic() - start
    try:
        assert server.output_line.startswith("capgo-emulator listening on http://127.0.0.1:")
        port = int(server.output_line.rsplit(":", 1)[1])
        assert port > 0
        assert requests.get("http://127.0.0.1:%d/ok" % port).json() == {"status": "ok"}
        assert elapsed < 3  # generous for CI; bench.py measures the real figure
    finally:
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=10) == 0
        err = server.process.stderr()
        assert "Traceback" not in err


def test_sigint_is_clean(tmp_path):
    server = start_emulator(tmp_path=tmp_path)
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(timeout=10) == 0
    assert "Traceback" not in server.process.stderr()


def test_ready_file_holds_the_url_of_the_start_line(tmp_path):
    server = start_emulator(seed=DEFAULT_SEED, tmp_path=tmp_path)  # the launcher passes --ready-file
    try:
        with open(server.process.ready_file, encoding="utf-8") as handle:
            assert handle.read() == server.base_url + "\n"
        assert server.output_line == "capgo-emulator listening on " + server.base_url
        assert not list(tmp_path.glob("*.partial"))
        assert server.call("GET", "/ok").json() == {"status": "ok"}
    finally:
        server.stop()


@pytest.mark.parametrize("seed,needle", [
    ({"apps": [{"app_id": "com.demo.app", "owner_org": "nope"}]}, "apps[0]"),
    ({"users": [{"email": "a@example.com"}, {"email": "a@example.com"}]}, "users[1]"),
    ({"users": [{"email": "a@example.com", "session_token": "11111111-1111-4111-8111-111111111111"}]},
     "users[0]"),
    ({"orgs": [{"name": "O", "members": [{"email": "a@example.com", "role": "boss"}]}]},
     "orgs[0] (O).members[0]"),
    ({"users": [{"email": "a@example.com"}], "orgs": [{"name": "O"}],
      "apps": [{"app_id": "com.a.b", "owner_org": "O"}],
      "channels": [{"app_id": "com.a.b", "name": "prod", "version": "9.9.9"}]},
     "channels[0]"),
    ({"users": [{"email": "a@example.com"}], "orgs": [{"name": "O"}],
      "apikeys": [{"name": "k", "bindings": [{"role_name": "org_super_admin",
                                              "scope_type": "org", "org_id": "Nope"}]}]},
     "apikeys[0] (k).bindings[0]"),
    ({"widgets": []}, "widgets"),
    ({"apps": [{"app_id": "not a valid id", "owner_org": "x"}]}, "apps[0]"),
])
def test_bad_seed_exits_2_naming_entry(tmp_path, seed, needle):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    proc = subprocess.run(emulator_command("--port", "0", "--seed", str(path)),
                          cwd=EMULATOR_DIR, env=emulator_env(), capture_output=True,
                          text=True, timeout=20, check=False)
    assert proc.returncode == 2
    assert needle in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "listening" not in proc.stdout


def test_bad_yaml_seed_exits_2(tmp_path):
    path = tmp_path / "seed.yml"
    path.write_text("users: [\n  - email: {")
    proc = subprocess.run(emulator_command("--port", "0", "--seed", str(path)),
                          cwd=EMULATOR_DIR, env=emulator_env(), capture_output=True,
                          text=True, timeout=20, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_yaml_seed_from_contract_example(tmp_path):
    path = tmp_path / "seed.yml"
    path.write_text("""
users:
  - email: admin@example.com
    id: 6aa76066-55ef-4238-ade6-0b32334a4097
    session_token: session-admin
orgs:
  - id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    name: Demo org
    management_email: admin@example.com
    created_by: admin@example.com
    members:
      - {email: admin@example.com, role: org_super_admin}
      - {email: dev@example.com, role: org_member, pending: true}
apps:
  - app_id: com.demo.app
    name: Demo app
    owner_org: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
apikeys:
  - key: ae6e7458-c46d-4c00-aa3b-153b0b8520ea
    name: ci
    user: admin@example.com
    expires_at: null
    hashed: false
    global_permissions: []
    bindings:
      - {role_name: org_super_admin, scope_type: org, org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8}
      - {role_name: app_developer, scope_type: app, app_id: com.demo.app}
bundles:
  - {app_id: com.demo.app, name: 1.0.0, checksum: "sha256hex", external_url: "https://cdn.example.com/1.0.0.zip", native_packages: [], deleted: false}
channels:
  - {app_id: com.demo.app, name: production, version: 1.0.0, public: true, ios: true, android: true}
devices:
  - {app_id: com.demo.app, device_id: 00000000-0000-0000-0000-000000000001, platform: ios, version_name: 1.0.0,
     plugin_version: 6.0.0, os_version: "17.0", is_prod: true, is_emulator: false}
device_overrides:
  - {app_id: com.demo.app, device_id: 00000000-0000-0000-0000-000000000001, channel: production}
stats:
  - {app_id: com.demo.app, date: 2026-11-01, mau: 120, storage: 1048576, bandwidth: 52428800}
""")
    server = start_emulator(seed_path=path)
    try:
        r = server.call("GET", "/app/com.demo.app", key="ae6e7458-c46d-4c00-aa3b-153b0b8520ea")
        assert r.status_code == 200 and r.json()["owner_org"] == ORG1
        members = server.call("GET", "/organization/members", key=KEY_SUPER,
                              params={"orgId": ORG1}).json()
        assert {"email": "dev@example.com", "is_tmp": True}.items() <= \
            next(m for m in members if m["email"] == "dev@example.com").items()
    finally:
        server.stop()


def test_db_survives_restart(tmp_path):
    db = str(tmp_path / "state.sqlite")
    server = start_emulator(seed=DEFAULT_SEED, tmp_path=tmp_path, extra_args=["--db", db])
    try:
        r = server.call("PUT", "/organization", key=KEY_SUPER,
                        json={"orgId": ORG1, "name": "Persisted org"})
        assert r.status_code == 200
        r = server.call("POST", "/app", key=KEY_SUPER,
                        json={"app_id": "com.persist.app", "name": "P", "owner_org": ORG1})
        assert r.status_code == 200
        server.advance(120)
    finally:
        server.stop()
    assert os.path.getsize(db) > 0
    # restart with the same seed and db: the db wins over the seed
    server = start_emulator(seed=DEFAULT_SEED, tmp_path=tmp_path, extra_args=["--db", db])
    try:
        org = server.call("GET", "/organization", key=KEY_SUPER, params={"orgId": ORG1}).json()
        assert org["name"] == "Persisted org"
        assert server.call("GET", "/app/com.persist.app", key=KEY_SUPER).status_code == 200
    finally:
        server.stop()


def test_without_db_state_is_memory_only(tmp_path):
    server = start_emulator(seed=DEFAULT_SEED, tmp_path=tmp_path)
    try:
        server.call("PUT", "/organization", key=KEY_SUPER, json={"orgId": ORG1, "name": "Gone"})
    finally:
        server.stop()
    server = start_emulator(seed=DEFAULT_SEED, tmp_path=tmp_path)
    try:
        org = server.call("GET", "/organization", key=KEY_SUPER, params={"orgId": ORG1}).json()
        assert org["name"] == "Demo org"
    finally:
        server.stop()


def test_control_only_on_loopback_unless_enabled(tmp_path):
    server = start_emulator(seed=DEFAULT_SEED, tmp_path=tmp_path, host="0.0.0.0")
    try:
        port = server.base_url.rsplit(":", 1)[1]
        base = "http://127.0.0.1:" + port
        r = requests.get(base + "/_emulator/state")
        assert r.status_code == 404 and r.json() == {"error": "not_found", "message": "Not found"}
        assert requests.get(base + "/ok").status_code == 200
    finally:
        server.stop()
    server = start_emulator(seed=DEFAULT_SEED, tmp_path=tmp_path, host="0.0.0.0",
                            extra_args=["--enable-control"])
    try:
        port = server.base_url.rsplit(":", 1)[1]
        assert requests.get("http://127.0.0.1:%s/_emulator/state" % port).status_code == 200
    finally:
        server.stop()


# ------------------------------------------------------------------ concurrency
def test_parallel_clients_no_lost_writes(emu):
    """Many threads each create apps and rename the org; every write must land."""
    errors = []
    n_threads, per_thread = 16, 10

    def worker(t):
        session = requests.Session()
        for i in range(per_thread):
            r = session.post(emu.base_url + "/app", headers={"authorization": KEY_SUPER},
                             json={"app_id": "com.par.t%d.a%d" % (t, i), "name": "x",
                                   "owner_org": ORG1})
            if r.status_code != 200:
                errors.append(r.text)
            r = session.put(emu.base_url + "/organization",
                            headers={"authorization": KEY_SUPER},
                            json={"orgId": ORG1, "name": "org-%d-%d" % (t, i)})
            if r.status_code != 200:
                errors.append(r.text)
        session.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    apps = [a["app_id"] for a in emu.state()["apps"] if a["app_id"].startswith("com.par.")]
    assert len(apps) == len(set(apps)) == n_threads * per_thread
    # same app id from many clients at once: exactly one creation wins, the rest get 409
    results = []

    def racer():
        r = requests.post(emu.base_url + "/app", headers={"authorization": KEY_SUPER},
                          json={"app_id": "com.race.app", "name": "r", "owner_org": ORG1})
        results.append(r.status_code)

    threads = [threading.Thread(target=racer) for _racer in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == [200] + [409] * 11
    assert len(emu.requests_log()) == n_threads * per_thread * 2 + 12


def test_expired_key_fixture_sanity(emu):
    assert emu.call("GET", "/app", key=KEY_EXPIRED).status_code == 401
