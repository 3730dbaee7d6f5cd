# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin capgo.cloud.capgo, with HTTP mocked by ``responses``: hosts, groups,
host vars, filters, include, constructed features, caching, bounded pool, errors."""


import json
import os
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
import yaml

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader
from ansible.release import __version__ as ANSIBLE_VERSION

from ansible_collections.capgo.cloud.plugins.module_utils._inventory import org_group

URL = "https://capgo.test"
CORE = tuple(int(part) for part in ANSIBLE_VERSION.split(".")[:2])
KEY = "0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c"
ORG1 = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
ORG2 = "34a8c55d-2d0f-4652-a43f-684c7a9403ac"
APPS = [
    {"app_id": "com.demo.app", "name": "Demo app", "owner_org": ORG1, "retention": 2592000, "icon_url": ""},
    {"app_id": "com.demo.two", "name": "Demo two", "owner_org": ORG1, "retention": 86400, "icon_url": ""},
    {"app_id": "com.other.app", "name": "Other app", "owner_org": ORG2, "retention": 0, "icon_url": ""},
]
ENV = ("CAPGO_API_KEY", "CAPGO_TOKEN", "CAPGO_API_URL", "CAPGO_TIMEOUT", "CAPGO_RETRIES", "CAPGO_VALIDATE_CERTS",
       "CAPGO_CA_PATH", "ANSIBLE_INVENTORY_CACHE", "ANSIBLE_CACHE_PLUGIN", "ANSIBLE_INVENTORY_CACHE_PLUGIN",
       "ANSIBLE_CACHE_PLUGIN_CONNECTION", "ANSIBLE_INVENTORY_CACHE_CONNECTION")


def channel_row(app_id, name, version_id, version_name):
    return {"id": abs(hash((app_id, name))) % 10000, "name": name, "app_id": app_id, "public": name == "production",
            "version": {"id": version_id, "name": version_name}, "ios": True, "android": True,
            "allow_device_self_set": False, "allow_emulator": True, "allow_dev": True, "allow_prod": True,
            "allow_device": True, "disable_auto_update_under_native": True, "disable_auto_update": "major"}


def bundle_row(app_id, bundle_id, name):
    return {"id": bundle_id, "app_id": app_id, "name": name, "checksum": "ab" * 32, "deleted": False,
            "external_url": "https://cdn.example.com/%s/%s.zip" % (app_id, name), "session_key": "secret-session",
            "created_at": "2026-11-01T00:00:00Z"}


CHANNELS = {
    "com.demo.app": [channel_row("com.demo.app", "production", 1, "1.0.0"), channel_row("com.demo.app", "beta", 2, "1.1.0")],
    "com.demo.two": [channel_row("com.demo.two", "production", 3, "2.0.0")],
    "com.other.app": [],
}
BUNDLES = {
    "com.demo.app": [bundle_row("com.demo.app", 1, "1.0.0"), bundle_row("com.demo.app", 2, "1.1.0")],
    "com.demo.two": [bundle_row("com.demo.two", 3, "2.0.0")],
    "com.other.app": [],
}


def query(request):
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def reply(body, status=200):
    return (status, {"Content-Type": "application/json"}, json.dumps(body))


def error(status, code, message=""):
    return reply({"error": code, "message": message, "moreInfo": {}}, status)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def api():
    """The three apps, their channels and bundles; org_id filters GET /app as Capgo does."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        def apps(request):
            q = query(request)
            if int(q.get("page", 0)) > 0:
                return reply([])
            rows = [a for a in APPS if q.get("org_id") in (None, a["owner_org"])]
            return reply(rows)

        def listing(rows_of, empty_error=None):
            def answer(request):
                q = query(request)
                rows = rows_of.get(q["app_id"])
                if rows is None:
                    return error(400, "cannot_access_app")
                if int(q.get("page", 0)) > 0 or not rows:
                    return error(400, empty_error) if empty_error else reply([])
                return reply(rows)
            return answer

        rsps.add_callback(responses.GET, URL + "/app", callback=apps)
        rsps.add_callback(responses.GET, URL + "/channel", callback=listing(CHANNELS))
        rsps.add_callback(responses.GET, URL + "/bundle", callback=listing(BUNDLES, "cannot_get_bundle"))
        yield rsps


def run(tmp_path, config, cache=True, name="capgo.yml"):
    """Parse ``config`` (plus plugin, api_url and api_key unless given) as the inventory file ``name``."""
    full = {"plugin": "capgo.cloud.capgo", "api_url": URL, "api_key": KEY}
    full.update(config)
    full = {k: v for k, v in full.items() if v is not None}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(full))
    inventory = InventoryData()
    plugin = inventory_loader.get("capgo.cloud.capgo")
    assert plugin.verify_file(str(path))
    plugin.parse(inventory, DataLoader(), str(path), cache=cache)
    if getattr(plugin, "_cache", None) is not None:  # as InventoryManager does after a parse
        plugin.update_cache_if_changed()
    return inventory


def hostvars(inventory, host):
    return inventory.get_host(host).get_vars()


def group_hosts(inventory, group):
    return sorted(h.name for h in inventory.groups[group].get_hosts())


def sent(rsps):
    return [(c.request.method, urlsplit(c.request.url).path, query(c.request).get("app_id")) for c in rsps.calls]


# -- hosts, groups, host vars --------------------------------------------------------

def test_one_host_per_app_with_groups_and_host_vars(tmp_path, api):
    inv = run(tmp_path, {})
    assert sorted(inv.hosts) == ["com.demo.app", "com.demo.two", "com.other.app"]
    assert group_hosts(inv, "capgo") == ["com.demo.app", "com.demo.two", "com.other.app"]
    assert group_hosts(inv, "capgo_org_046a36ac_e03c_4590_9257_bd6c9dba9ee8") == ["com.demo.app", "com.demo.two"]
    assert group_hosts(inv, "capgo_org_34a8c55d_2d0f_4652_a43f_684c7a9403ac") == ["com.other.app"]
    hv = hostvars(inv, "com.demo.app")
    assert hv["ansible_connection"] == "local"
    assert hv["ansible_python_interpreter"] == sys.executable
    assert hv["capgo_org_id"] == ORG1
    # the app as capgo_app returns it: icon_url as icon, retention as retention_days
    assert hv["capgo_app"]["app_id"] == "com.demo.app"
    assert hv["capgo_app"]["retention_days"] == 30 and "retention" not in hv["capgo_app"]
    assert hv["capgo_app"]["icon"] == "" and "icon_url" not in hv["capgo_app"]
    # each channel as capgo_channel returns it
    chans = {c["channel"]: c for c in hv["capgo_channels"]}
    assert sorted(chans) == ["beta", "production"]
    assert chans["production"]["bundle"] == "1.0.0" and chans["production"]["public"] is True
    assert chans["beta"]["bundle"] == "1.1.0"
    assert hostvars(inv, "com.other.app")["capgo_channels"] == []
    assert "capgo_bundles" not in hv  # include defaults to channels only
    # one listing per kind and scope
    assert sorted(sent(api)) == sorted([("GET", "/app", None)] + [("GET", "/channel", a) for a in CHANNELS])


def test_org_group_names():
    assert org_group(ORG1) == "capgo_org_046a36ac_e03c_4590_9257_bd6c9dba9ee8"
    assert org_group("Demo org") == "capgo_org_Demo_org"


def test_app_without_owner_org_is_in_capgo_only(tmp_path):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL + "/app", json=[{"app_id": "com.lone.app", "name": "Lone"}])
        inv = run(tmp_path, {"include": []})
    assert sorted(inv.groups) == ["all", "capgo", "ungrouped"]
    assert hostvars(inv, "com.lone.app")["capgo_org_id"] is None


def test_include_bundles_without_secrets(tmp_path, api):
    inv = run(tmp_path, {"include": ["channels", "bundles"]})
    hv = hostvars(inv, "com.demo.app")
    bundles = {b["version"]: b for b in hv["capgo_bundles"]}
    assert sorted(bundles) == ["1.0.0", "1.1.0"]
    assert bundles["1.0.0"]["external_url"] == "https://cdn.example.com/com.demo.app/1.0.0.zip"
    assert all("session_key" not in b for b in hv["capgo_bundles"])
    assert "secret-session" not in json.dumps({h: hostvars(inv, h) for h in inv.hosts})
    # an app with no bundle: one GET /channel tells it apart from an unknown app, as capgo_bundle does
    assert hostvars(inv, "com.other.app")["capgo_bundles"] == []


def test_include_nothing_reads_the_apps_only(tmp_path, api):
    inv = run(tmp_path, {"include": []})
    assert sent(api) == [("GET", "/app", None)]
    hv = hostvars(inv, "com.demo.app")
    assert "capgo_channels" not in hv and "capgo_bundles" not in hv


# -- filters -------------------------------------------------------------------------

def test_org_ids_list_apps_once_per_organization(tmp_path, api):
    inv = run(tmp_path, {"org_ids": [ORG2], "include": []})
    assert sorted(inv.hosts) == ["com.other.app"]
    assert [query(c.request).get("org_id") for c in api.calls] == [ORG2]


def test_org_ids_keep_only_their_apps_even_when_capgo_does_not_filter(tmp_path):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL + "/app", json=APPS)
        inv = run(tmp_path, {"org_ids": [ORG2], "include": []})
    assert sorted(inv.hosts) == ["com.other.app"]


def test_app_ids_filter(tmp_path, api):
    inv = run(tmp_path, {"app_ids": ["com.demo.two", "com.unknown.app"]})
    assert sorted(inv.hosts) == ["com.demo.two"]
    assert sorted(sent(api)) == [("GET", "/app", None), ("GET", "/channel", "com.demo.two")]


# -- constructed ---------------------------------------------------------------------

def test_compose_groups_keyed_groups(tmp_path, api):
    inv = run(tmp_path, {
        "compose": {"app_name": "capgo_app.name", "channel_count": "capgo_channels | length"},
        "groups": {"with_beta": "capgo_channels | selectattr('channel', 'equalto', 'beta') | list | length > 0"},
        "keyed_groups": [{"key": "capgo_app.retention_days | string", "prefix": "retention"}],
    })
    hv = hostvars(inv, "com.demo.app")
    assert hv["app_name"] == "Demo app"
    # ansible-core 2.19 and later keep the template's native type; older cores render it as text
    assert hv["channel_count"] == (2 if CORE >= (2, 19) else "2")
    assert group_hosts(inv, "with_beta") == ["com.demo.app"]
    assert group_hosts(inv, "retention_30") == ["com.demo.app"]
    assert group_hosts(inv, "retention_1") == ["com.demo.two"]
    assert group_hosts(inv, "retention_0") == ["com.other.app"]


def test_strict_fails_on_an_undefined_variable(tmp_path, api):
    config = {"compose": {"x": "capgo_app.no_such_field.deeper"}}
    inv = run(tmp_path, dict(config, strict=False))
    assert "x" not in hostvars(inv, "com.demo.app")
    with pytest.raises(AnsibleError, match="Could not set x for host com.demo.app"):
        run(tmp_path, dict(config, strict=True))


# -- connection options from the environment -----------------------------------------

def test_connection_options_from_the_modules_environment_variables(tmp_path, api, monkeypatch):
    monkeypatch.setenv("CAPGO_API_URL", URL)
    monkeypatch.setenv("CAPGO_TOKEN", "ignored-when-capgo-api-key-is-set")
    monkeypatch.setenv("CAPGO_API_KEY", KEY)
    monkeypatch.setenv("CAPGO_RETRIES", "0")
    inv = run(tmp_path, {"api_url": None, "api_key": None, "include": []})
    assert sorted(inv.hosts) == ["com.demo.app", "com.demo.two", "com.other.app"]
    assert api.calls[0].request.headers["authorization"] == KEY


def test_capgo_token_when_capgo_api_key_is_not_set(tmp_path, api, monkeypatch):
    monkeypatch.setenv("CAPGO_TOKEN", KEY)
    run(tmp_path, {"api_key": None, "include": []})
    assert api.calls[0].request.headers["authorization"] == KEY


# -- caching -------------------------------------------------------------------------

def test_second_run_with_cache_sends_no_request_and_the_cache_holds_no_key(tmp_path, api):
    cache_dir = tmp_path / "cache"
    config = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(cache_dir),
              "include": ["channels", "bundles"]}
    first = run(tmp_path, config)
    count = len(api.calls)
    # GET /app, GET /channel and GET /bundle per app, and one more GET /channel for the app without
    # bundles (it tells an empty app from an unknown one, as capgo_bundle does)
    assert count == 1 + 2 * len(CHANNELS) + 1
    second = run(tmp_path, config)
    assert len(api.calls) == count  # nothing sent
    assert sorted(second.hosts) == sorted(first.hosts)
    for host in first.hosts:
        assert hostvars(second, host) == hostvars(first, host)
    files = list(cache_dir.iterdir())
    assert files
    for path in files:
        text = path.read_text()
        assert KEY not in text and "secret-session" not in text
        assert KEY not in path.name
    # refreshing (--flush-cache: parse with cache=False) reads again and rewrites the cache
    run(tmp_path, config, cache=False)
    assert len(api.calls) == 2 * count


def test_cache_is_per_key_and_endpoint(tmp_path, api):
    cache_dir = tmp_path / "cache"
    config = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(cache_dir),
              "include": []}
    run(tmp_path, config)
    run(tmp_path, dict(config, api_key="another-key-0000"))
    assert len(api.calls) == 2  # another key may see other apps: not served from the first one's cache


def test_without_cache_every_run_reads(tmp_path, api):
    run(tmp_path, {"include": []})
    run(tmp_path, {"include": []})
    assert len(api.calls) == 2


# -- the bounded pool ----------------------------------------------------------------

def test_per_app_listings_run_at_most_parallel_at_a_time(tmp_path):
    apps = [{"app_id": "com.pool.app%d" % n, "owner_org": ORG1} for n in range(8)]
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def channels(request):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return reply([])

    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL + "/app", json=apps)
        rsps.add_callback(responses.GET, URL + "/channel", callback=channels)
        inv = run(tmp_path, {"parallel": 3})
        assert len(inv.hosts) == 8
        assert state["peak"] == 3
        state["peak"] = 0
        run(tmp_path, {"parallel": 1})
        assert state["peak"] == 1


# -- errors --------------------------------------------------------------------------

def failure(tmp_path, config, name="capgo.yml"):
    with pytest.raises(AnsibleParserError) as info:
        run(tmp_path, config, name=name)
    msg = str(info.value.message)
    assert "\n" not in msg and "Traceback" not in msg
    assert KEY not in msg
    return msg


@pytest.mark.parametrize("config, expected", [
    ({"bogus": 1}, "unknown option bogus"),
    ({"api_key": None}, "api_key is empty: set it, or CAPGO_API_KEY / CAPGO_TOKEN in the environment"),
    ({"api_key": KEY + "\n"}, "api_key contains whitespace or control characters"),
    ({"api_url": "capgo.test"}, "api_url must be an http(s) URL"),
    ({"org_ids": ["Demo org"]}, "org_ids must hold organization ids (UUIDs), got 'Demo org'"),
    ({"app_ids": ["demo"]}, "app_ids must hold app ids"),
    ({"parallel": 0}, "parallel must be at least 1, got 0"),
])
def test_bad_configuration_fails_in_one_line_before_any_request(tmp_path, config, expected):
    with responses.RequestsMock() as rsps:
        msg = failure(tmp_path, config)
        assert not rsps.calls
    assert msg.startswith("capgo.cloud.capgo: ")
    assert expected in msg


def test_include_choices_are_checked(tmp_path):
    with responses.RequestsMock() as rsps:
        with pytest.raises(AnsibleError) as info:
            run(tmp_path, {"include": ["devices"]})
        assert not rsps.calls
    assert "devices" in str(info.value)


def test_other_file_names_are_not_this_plugins(tmp_path):
    path = tmp_path / "inventory.yml"
    path.write_text("plugin: capgo.cloud.capgo\n")
    assert not inventory_loader.get("capgo.cloud.capgo").verify_file(str(path))
    assert inventory_loader.get("capgo.cloud.capgo").verify_file(str(tmp_path / "prod.capgo.yaml")) is False
    (tmp_path / "prod.capgo.yaml").write_text("plugin: capgo.cloud.capgo\n")
    assert inventory_loader.get("capgo.cloud.capgo").verify_file(str(tmp_path / "prod.capgo.yaml"))


def test_refused_key_fails_in_one_line_without_the_key(tmp_path):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL + "/app", status=401, json={"error": "invalid_apikey", "message": "Invalid apikey"})
        msg = failure(tmp_path, {"retries": 0})
    assert msg == ("capgo.cloud.capgo: Capgo refused the credentials: api_key is unknown, expired or missing "
                   "(GET /app failed: HTTP 401 invalid_apikey: Invalid apikey)")


def test_unreachable_api_fails_in_one_line(tmp_path):
    with responses.RequestsMock() as rsps:
        import requests
        rsps.add(responses.GET, URL + "/app", body=requests.exceptions.ConnectionError("refused %s" % KEY))
        msg = failure(tmp_path, {"retries": 0})
    assert "GET /app failed: no answer from https://capgo.test: ConnectionError: refused ********" in msg


def test_a_failing_per_app_listing_fails_the_inventory(tmp_path):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL + "/app", json=APPS[:1])
        rsps.add(responses.GET, URL + "/channel", status=400, json={"error": "cannot_access_app", "message": "no"})
        msg = failure(tmp_path, {"retries": 0})
    assert "GET /channel failed: HTTP 400 cannot_access_app" in msg


def test_retry_warnings_never_show_the_key(tmp_path, capsys):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL + "/app", status=503, json={"error": "unavailable", "message": KEY})
        rsps.add(responses.GET, URL + "/app", json=[])
        run(tmp_path, {"retries": 1, "include": []})
    out = capsys.readouterr()
    assert KEY not in out.out + out.err
    assert os.environ.get("CAPGO_API_KEY") is None
