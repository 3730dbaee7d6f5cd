# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import datetime
import email.utils
import json
import os
import re
import threading

import pytest
import requests
import responses
import yaml
from urllib3.exceptions import MaxRetryError, NewConnectionError

from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError, CapgoClient, request_of

URL = "https://capgo.test"
KEY = "ae6e7458-c46d-4c00-aa3b-153b0b8520ea"


def make_client(retries=5):
    """A client whose sleeps and warnings are recorded on it (``client.sleeps``, ``client.warnings``)."""
    sleeps = []
    warnings = []
    client = CapgoClient(KEY, api_url=URL, retries=retries, warn=warnings.append, sleep=sleeps.append)
    client.sleeps = sleeps
    client.warnings = warnings
    return client


def err(code, message="", status=400, **more):
    return dict(status=status, json={"error": code, "message": message, "moreInfo": more})


def galaxy_version():
    """The collection's version as galaxy.yml says (the user agent must name the same)."""
    root = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
    with open(os.path.join(root, "galaxy.yml")) as handle:
        return yaml.safe_load(handle)["version"]


@responses.activate
def test_sends_raw_key_user_agent_and_timeout():
    responses.get(URL + "/ok", json={"status": "ok"})
    client = make_client()
    assert client.get("/ok") == {"status": "ok"}
    sent = responses.calls[0].request
    assert sent.headers["authorization"] == KEY
    assert sent.headers["user-agent"].startswith("capgo.cloud-ansible/%s" % galaxy_version())
    assert client.timeout == 30.0


@responses.activate
def test_retries_503_then_succeeds_with_warnings():
    responses.get(URL + "/channel", **err("unavailable", status=503))
    responses.get(URL + "/channel", **err("unavailable", status=503))
    responses.get(URL + "/channel", json=[{"id": 1}])
    client = make_client()
    sleeps, warnings = client.sleeps, client.warnings
    assert client.get("/channel") == [{"id": 1}]
    assert len(responses.calls) == 3
    assert len(sleeps) == 2 and all(0 < s <= 20 for s in sleeps)
    assert len(warnings) == 2
    assert "Retrying GET /channel after HTTP 503" in warnings[0]


@responses.activate
def test_429_honours_retry_after_header():
    responses.get(URL + "/device", status=429, headers={"Retry-After": "7"},
                  json={"error": "too_many_requests", "message": "Too many requests", "moreInfo": {}})
    responses.get(URL + "/device", json={"data": []})
    client = make_client()
    sleeps = client.sleeps
    client.get("/device")
    assert 7 <= sleeps[0] < 7.2


@responses.activate
def test_429_honours_more_info_retry_after_seconds_and_is_retried_for_post():
    responses.post(URL + "/device", **err("too_many_requests", status=429, retryAfterSeconds=3))
    responses.post(URL + "/device", json={"status": "ok"})
    client = make_client()
    sleeps = client.sleeps
    assert client.post("/device", body={"a": 1}) == {"status": "ok"}
    assert 3 <= sleeps[0] < 3.2


@responses.activate
def test_429_beyond_wait_budget_fails_with_retry_after():
    responses.post(URL + "/device", status=429, headers={"Retry-After": "500"},
                   json={"error": "too_many_requests", "message": "Too many requests"})
    client = make_client()
    sleeps = client.sleeps
    with pytest.raises(CapgoAPIError) as info:
        client.post("/device", body={"a": 1})
    assert sleeps == []
    assert "retry after 500 s" in str(info.value)
    assert len(responses.calls) == 1


@responses.activate
def test_no_retry_on_401():
    responses.get(URL + "/app", **err("invalid_apikey", "Invalid apikey", status=401))
    client = make_client()
    sleeps = client.sleeps
    with pytest.raises(CapgoAPIError) as info:
        client.get("/app")
    assert len(responses.calls) == 1 and sleeps == []
    assert info.value.status == 401 and info.value.error == "invalid_apikey"


@responses.activate
def test_non_idempotent_post_not_retried_on_503_or_500():
    responses.post(URL + "/bundle", **err("unavailable", status=503))
    client = make_client()
    with pytest.raises(CapgoAPIError):
        client.post("/bundle", body={"x": 1})
    assert len(responses.calls) == 1


@responses.activate
def test_500_never_retried():
    responses.get(URL + "/channel", **err("unknown_error", "Unknown error", status=500))
    client = make_client()
    with pytest.raises(CapgoAPIError):
        client.get("/channel")
    assert len(responses.calls) == 1


@responses.activate
def test_idempotent_post_retried_on_502():
    responses.post(URL + "/channel", **err("bad_gateway", status=502))
    responses.post(URL + "/channel", json={"status": "ok"})
    client = make_client()
    assert client.post("/channel", body={"app_id": "a.b"}, idempotent=True) == {"status": "ok"}


@responses.activate
def test_retries_exhausted_raise_last_error():
    unavailable = err("unavailable", status=503)
    responses.get(URL + "/app", **unavailable)
    responses.get(URL + "/app", **unavailable)
    responses.get(URL + "/app", **unavailable)
    client = make_client(retries=2)
    sleeps = client.sleeps
    with pytest.raises(CapgoAPIError) as info:
        client.get("/app")
    assert len(responses.calls) == 3 and len(sleeps) == 2
    assert info.value.status == 503


@responses.activate
def test_zero_retries_disables_retry():
    responses.get(URL + "/app", **err("unavailable", status=503))
    client = make_client(retries=0)
    with pytest.raises(CapgoAPIError):
        client.get("/app")
    assert len(responses.calls) == 1


@responses.activate
def test_connection_error_retried_for_get_then_typed_error():
    refused = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    boom = requests.exceptions.ConnectionError(MaxRetryError(None, URL + "/app", refused))
    responses.get(URL + "/app", body=boom)
    responses.get(URL + "/app", body=boom)
    client = make_client(retries=1)
    sleeps, warnings = client.sleeps, client.warnings
    with pytest.raises(CapgoAPIError) as info:
        client.get("/app")
    assert info.value.status is None and info.value.error == "connection_error"
    assert len(sleeps) == 1 and "connection error" in warnings[0]


@responses.activate
def test_error_line_has_code_message_status_method_path_and_no_key():
    responses.get(URL + "/channel", **err("cannot_access_app", "You can't access this app " + KEY))
    client = make_client()
    with pytest.raises(CapgoAPIError) as info:
        client.get("/channel", params={"app_id": "com.demo.app"})
    line = str(info.value)
    assert line == "GET /channel failed: HTTP 400 cannot_access_app: You can't access this app ********"
    assert KEY not in line and "\n" not in line


@responses.activate
def test_non_json_error_body():
    responses.get(URL + "/channel", status=502, body="<html>Bad gateway</html>")
    client = make_client(retries=0)
    with pytest.raises(CapgoAPIError) as info:
        client.get("/channel")
    assert info.value.error == "http_502"
    assert "Bad gateway" in str(info.value)


@responses.activate
def test_pages_survive_the_page_quirk():
    rows = [{"id": i, "name": "1.0.%d" % i} for i in range(120)]
    # page 0 is right; page "1" returns rows 50..549 (string concatenation), page 2 rows 100..
    responses.get(URL + "/bundle", match=[responses.matchers.query_param_matcher({"app_id": "a.b", "page": "0"})],
                  json=rows[0:50])
    responses.get(URL + "/bundle", match=[responses.matchers.query_param_matcher({"app_id": "a.b", "page": "1"})],
                  json=rows[50:550])
    responses.get(URL + "/bundle", match=[responses.matchers.query_param_matcher({"app_id": "a.b", "page": "2"})],
                  json=rows[100:1050])
    client = make_client()
    got = list(client.iter_pages("/bundle", params={"app_id": "a.b"}, empty_errors=("cannot_get_bundle",)))
    assert [r["id"] for r in got] == list(range(120))
    assert len(responses.calls) == 3


@responses.activate
def test_pages_stop_on_empty_error_code():
    responses.get(URL + "/bundle", json=[{"id": i} for i in range(50)])
    responses.get(URL + "/bundle", **err("cannot_get_bundle", "Cannot get bundle"))
    client = make_client()
    assert len(list(client.iter_pages("/bundle", empty_errors=("cannot_get_bundle",)))) == 50
    assert len(responses.calls) == 2


@responses.activate
def test_pages_stop_early_when_consumer_stops():
    responses.get(URL + "/channel", json=[{"id": i} for i in range(50)])
    client = make_client()
    it = client.iter_pages("/channel")
    assert next(it)["id"] == 0
    assert len(responses.calls) == 1


@responses.activate
def test_pages_in_json_body_send_page_as_a_number():
    rows = [{"id": "org-%d" % i} for i in range(60)]
    matcher = responses.matchers.json_params_matcher
    responses.get(URL + "/organization", match=[matcher({"page": 0})], json=rows[0:50])
    responses.get(URL + "/organization", match=[matcher({"page": 1})], json=rows[50:])
    client = make_client()
    got = list(client.iter_pages("/organization", page_in_body=True))
    assert [r["id"] for r in got] == [r["id"] for r in rows]
    assert [json.loads(c.request.body)["page"] for c in responses.calls] == [0, 1]
    assert all("page=" not in c.request.url for c in responses.calls)


@responses.activate
def test_cursor_pagination():
    responses.get(URL + "/device", json={"data": [{"device_id": "a"}, {"device_id": "b"}], "nextCursor": "t|b",
                                         "hasMore": True})
    responses.get(URL + "/device", json={"data": [{"device_id": "c"}], "hasMore": False})
    client = make_client()
    got = [d["device_id"] for d in client.iter_cursor("/device", params={"app_id": "a.b"}, page_size=2)]
    assert got == ["a", "b", "c"]
    assert "cursor=t%7Cb" in responses.calls[1].request.url
    assert "limit=2" in responses.calls[0].request.url


@responses.activate
def test_json_body_sent():
    responses.post(URL + "/channel", json={"status": "ok"})
    client = make_client()
    client.post("/channel", body={"app_id": "a.b", "channel": "x"})
    assert json.loads(responses.calls[0].request.body) == {"app_id": "a.b", "channel": "x"}


def test_bad_header_is_not_retried_and_the_key_never_shows():
    key = "ae6e7458-c46d-4c00-aa3b-153b0b8520ea\n"
    sleeps = []
    client = CapgoClient(key, api_url=URL, retries=3, sleep=sleeps.append)
    with pytest.raises(CapgoAPIError) as info:
        client.get("/app")
    assert sleeps == []
    assert "ae6e7458" not in str(info.value) and "ae6e7458" not in json.dumps(info.value.to_dict())


@responses.activate
def test_ssl_error_is_not_retried():
    responses.get(URL + "/app", body=requests.exceptions.SSLError("certificate verify failed"))
    client = make_client()
    with pytest.raises(CapgoAPIError) as info:
        client.get("/app")
    assert client.sleeps == [] and info.value.error == "connection_error"
    assert "certificate verify failed" in str(info.value)


@responses.activate
def test_503_beyond_the_wait_budget_says_when_to_retry():
    responses.get(URL + "/app", status=503, headers={"Retry-After": "600"},
                  json={"error": "unavailable", "message": "Maintenance"})
    client = make_client()
    with pytest.raises(CapgoAPIError) as info:
        client.get("/app")
    assert client.sleeps == [] and "(retry after 600 s)" in str(info.value)


@responses.activate
def test_retry_after_as_an_http_date():
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=30)
    responses.get(URL + "/app", status=429, headers={"Retry-After": email.utils.format_datetime(when, usegmt=True)},
                  json={"error": "too_many_requests", "message": "Too many requests"})
    responses.get(URL + "/app", json=[])
    client = make_client()
    client.get("/app")
    assert 25 <= client.sleeps[0] <= 31


@responses.activate
def test_threads_sharing_a_client_count_every_request_and_blame_their_own():
    """The count is exact under threads; each thread's unexpected answer names its own request."""
    responses.add(responses.GET, re.compile(re.escape(URL) + r"/thing/\d+"), json={"ok": True})
    client = make_client(retries=0)
    blamed = {}

    def work(n):
        for dummy in range(20):
            client.get("/thing/%d" % n)
        try:
            {}["id"]  # a caller reading the answer it got
        except KeyError as exc:
            blamed[n] = request_of(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.request_count == 160
    assert blamed == {n: ("GET", "/thing/%d" % n) for n in range(8)}


@responses.activate
def test_a_page_of_the_wrong_shape_carries_its_request():
    responses.add(responses.GET, URL + "/channel", json={"not": "a list"})
    client = make_client(retries=0)
    with pytest.raises(TypeError) as info:
        list(client.iter_pages("/channel", params={"app_id": "com.example.app"}))
    assert request_of(info.value) == ("GET", "/channel")


def test_a_429_pauses_every_thread_of_the_client():
    """A 429 with Retry-After in one thread holds the requests other threads send meanwhile."""
    import threading
    import time

    client = CapgoClient(KEY, api_url=URL, retries=2)
    sent = []
    lock = threading.Lock()
    got_429 = threading.Event()

    def answer(request):
        with lock:
            sent.append((request.path_url, time.monotonic()))
            first = request.path_url.startswith("/limited") and not got_429.is_set()
            if first:
                got_429.set()
        if first:
            return 429, {"Retry-After": "1"}, json.dumps({"error": "too_many_requests", "message": ""})
        return 200, {}, json.dumps({"ok": True})

    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.GET, URL + "/limited", callback=answer)
        rsps.add_callback(responses.GET, URL + "/other", callback=answer)
        limited = threading.Thread(target=client.get, args=("/limited",))
        start = time.monotonic()
        limited.start()
        got_429.wait(5)
        time.sleep(0.1)
        assert client.get("/other") == {"ok": True}  # sent while the pause holds
        limited.join(5)
    other_at = [t for p, t in sent if p.startswith("/other")][0]
    assert other_at - start >= 0.9  # it waited for the pause, it did not hit the limit again
    assert [p for p, t in sent].count("/limited") == 2
