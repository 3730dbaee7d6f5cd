# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Requests that get no answer: a connection never opened is not an answer lost.

Real sockets on 127.0.0.1 (a refused port, a server that reads the request and hangs up, one
that never answers) show how ``requests`` really fails; ``responses`` then covers each method.
"""

import http.client
import socket
import threading

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError, CapgoClient

KEY = "ae6e7458-c46d-4c00-aa3b-153b0b8520ea"
URL = "https://capgo.test"


class RawServer:
    """Accepts connections on 127.0.0.1, reads each request, then hangs up or stays silent."""

    def __init__(self, behaviour):
        self.behaviour = behaviour  # "hangup" or "silent"
        self.requests = []  # the request lines it received
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.open = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve)
        self.thread.daemon = True
        self.thread.start()

    def serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, addr = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _sep, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _colon, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
            self.requests.append(head.split(b"\r\n")[0].decode())
            if self.behaviour == "hangup":
                conn.close()
            else:
                self.open.append(conn)

    def close(self):
        self.stop.set()
        self.thread.join(5)
        for conn in self.open:
            conn.close()
        self.sock.close()


@pytest.fixture
def hangup():
    server = RawServer("hangup")
    yield server
    server.close()


@pytest.fixture
def silent():
    server = RawServer("silent")
    yield server
    server.close()


def closed_port_url():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return "http://127.0.0.1:%d" % port


def make_client(url, retries=0, timeout=30.0):
    sleeps = []
    client = CapgoClient(KEY, api_url=url, retries=retries, timeout=timeout, sleep=sleeps.append)
    client.sleeps = sleeps
    return client


def fail(client, method, path="/app"):
    with pytest.raises(CapgoAPIError) as info:
        client.request(method, path, body={"app_id": "com.demo.app"} if method != "GET" else None)
    return info.value


# -- real sockets ---------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_refused_connection_is_cannot_connect_and_retried_for_every_method(method):
    url = closed_port_url()
    client = make_client(url, retries=2)
    err = fail(client, method)
    assert err.error == "connection_error" and err.status is None
    assert err.hint == "cannot connect to api_url %s" % url
    # nothing reached a server, so even a POST is repeated
    assert len(client.sleeps) == 2 and client.request_count == 3


def test_post_answer_lost_after_the_server_read_it(hangup):
    client = make_client(hangup.url, retries=3)
    err = fail(client, "POST")
    assert hangup.requests == ["POST /app HTTP/1.1"], "sent once: a POST is not repeated"
    assert err.error == "write_answer_lost" and client.sleeps == []
    assert "was reached" in err.hint and "the write may have been applied" in err.hint
    assert "run the task again" in err.hint and "cannot connect" not in err.hint
    assert "the connection was lost before the answer" in err.hint


def test_post_read_timeout_says_the_write_may_have_been_applied(silent):
    client = make_client(silent.url, retries=3, timeout=0.3)
    err = fail(client, "POST")
    assert silent.requests == ["POST /app HTTP/1.1"]
    assert err.error == "write_answer_lost"
    assert "no answer within the timeout of 0.3 s" in err.hint and "may have been applied" in err.hint
    assert "cannot connect" not in err.hint and "cannot connect" not in str(err)


def test_get_read_timeout_is_retried_and_not_reported_as_cannot_connect(silent):
    client = make_client(silent.url, retries=1, timeout=0.3)
    err = fail(client, "GET")
    assert silent.requests == ["GET /app HTTP/1.1", "GET /app HTTP/1.1"]
    assert err.error == "no_answer" and len(client.sleeps) == 1
    assert err.hint == ("Capgo at api_url %s was reached but did not answer GET /app (no answer within the timeout "
                        "of 0.3 s)" % silent.url)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_idempotent_write_retried_then_may_have_been_applied(hangup, method):
    client = make_client(hangup.url, retries=1)
    err = fail(client, method)
    assert len(hangup.requests) == 2 and err.error == "write_answer_lost"
    assert "may have been applied" in err.hint


# -- each kind of failure requests raises ----------------------------------

REFUSED = requests.exceptions.ConnectionError(MaxRetryError(
    None, URL + "/app", NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")))
DROPPED = requests.exceptions.ConnectionError(ProtocolError(
    "Connection aborted.", http.client.RemoteDisconnected("Remote end closed connection without response")))
NOT_SENT = [
    ("refused", REFUSED),
    ("connect timeout", requests.exceptions.ConnectTimeout("connect timeout=30")),
    ("tls", requests.exceptions.SSLError("certificate verify failed")),
    ("proxy", requests.exceptions.ProxyError("Cannot connect to proxy")),
]
SENT = [
    ("dropped", DROPPED),
    ("read timeout", requests.exceptions.ReadTimeout("Read timed out. (read timeout=30)")),
    ("broken body", requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead")),
    ("unknown connection error", requests.exceptions.ConnectionError("boom")),
]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
@pytest.mark.parametrize("name, exc", SENT, ids=[c[0] for c in SENT])
@responses.activate
def test_every_write_whose_answer_is_lost_may_have_been_applied(method, name, exc):
    responses.add(method, URL + "/app", body=exc)
    err = fail(make_client(URL), method)
    assert err.error == "write_answer_lost", name
    assert "was reached" in err.hint and "may have been applied" in err.hint and "converges" in err.hint
    assert "%s /app" % method in err.hint


@pytest.mark.parametrize("name, exc", SENT, ids=[c[0] for c in SENT])
@responses.activate
def test_a_read_without_answer_is_no_answer(name, exc):
    responses.get(URL + "/app", body=exc)
    err = fail(make_client(URL), "GET")
    assert err.error == "no_answer" and "did not answer GET /app" in err.hint
    assert "cannot connect" not in err.hint


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name, exc", NOT_SENT, ids=[c[0] for c in NOT_SENT])
@responses.activate
def test_a_request_that_never_left_is_cannot_connect(method, name, exc):
    responses.add(method, URL + "/app", body=exc)
    err = fail(make_client(URL), method)
    assert err.error == "connection_error" and err.hint.startswith("cannot connect to api_url %s" % URL)
    assert "may have been applied" not in err.hint


@responses.activate
def test_post_is_retried_after_a_refused_connection_but_not_after_a_lost_answer():
    responses.post(URL + "/webhooks", body=REFUSED)
    responses.post(URL + "/webhooks", json={"id": "w1"})
    client = make_client(URL, retries=2)
    assert client.post("/webhooks", body={"name": "bot"}) == {"id": "w1"}
    assert len(responses.calls) == 2

    responses.reset()
    responses.post(URL + "/webhooks", body=DROPPED)
    responses.post(URL + "/webhooks", json={"id": "w2"})
    with pytest.raises(CapgoAPIError) as info:
        client.post("/webhooks", body={"name": "bot"})
    assert info.value.error == "write_answer_lost" and len(responses.calls) == 1


@responses.activate
def test_tls_failure_explains_ca_path_and_validate_certs():
    responses.get(URL + "/app", body=requests.exceptions.SSLError("certificate verify failed"))
    err = fail(make_client(URL), "GET")
    assert "TLS certificate was not accepted" in err.hint and "ca_path" in err.hint and "validate_certs" in err.hint
