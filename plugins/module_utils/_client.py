# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP client for the Capgo Cloud public API.

Private to the collection (the leading underscore): no compatibility promise.
It has no Ansible imports, so it can be used and tested on its own.
"""

import datetime
import email.utils
import json
import math
import os
import random
import re
import threading
import time
from urllib.parse import urlsplit

try:
    import requests

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised only without requests
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

try:  # requests' own HTTP library, to tell a connection never opened from an answer lost
    from urllib3.exceptions import MaxRetryError, NewConnectionError, ConnectTimeoutError
except ImportError:  # pragma: no cover - urllib3 comes with requests
    MaxRetryError = NewConnectionError = ConnectTimeoutError = None

COLLECTION_VERSION = "0.2.0"
DEFAULT_API_URL = "https://api.capgo.app"
DEFAULT_FILES_URL = "https://files.capgo.app"

# The options every capgo.cloud module takes (documented in the ``capgo.cloud.capgo`` fragment);
# ``env``: the environment variables read when the option is not set.
CONNECTION_SPEC = dict(
    api_key=dict(type="str", required=True, no_log=True, env=["CAPGO_API_KEY", "CAPGO_TOKEN"]),
    api_url=dict(type="str", default=DEFAULT_API_URL, env=["CAPGO_API_URL"]),
    timeout=dict(type="float", default=30.0, env=["CAPGO_TIMEOUT"]),
    retries=dict(type="int", default=5, env=["CAPGO_RETRIES"]),
    validate_certs=dict(type="bool", default=True, env=["CAPGO_VALIDATE_CERTS"]),
    ca_path=dict(type="path", env=["CAPGO_CA_PATH"]),
    files_url=dict(type="str", default=DEFAULT_FILES_URL, env=["CAPGO_FILES_URL"]),
)
CONNECTION_OPTIONS = tuple(CONNECTION_SPEC)

# Statuses that mean "not processed, try again later".
RETRY_STATUSES = (429, 502, 503, 504)
# Methods Capgo treats as repeatable; POST is only repeatable where the caller says so
# (the POST /channel upsert, for example).
IDEMPOTENT_METHODS = ("GET", "HEAD", "PUT", "DELETE")
# Total seconds the client may sleep between retries of one request.
RETRY_WAIT_BUDGET = 90.0
BACKOFF_BASE = 0.5
BACKOFF_MAX = 20.0
PAGE_SIZE = 50
MASK = "********"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# The request each thread sent last (threads of one run share a client): what an answer of an
# unexpected shape is blamed on, when the exception does not carry its request (``request_of``).
_THIS_THREAD = threading.local()

CREDENTIAL_RE = re.compile(r"^(Bearer )?[\x21-\x7e]+\Z")
URL_RE = re.compile(r"^https?://[^/\s?#]+(/\S*)?\Z", re.IGNORECASE)


def connection_problems(params):
    """The first problem with the connection options (a sentence naming the option), or None.

    Pure: checks values only, sends nothing, so a module can fail before its first request.
    ``params`` holds ``api_key``, ``api_url``, ``timeout``, ``retries``, ``validate_certs``
    and ``ca_path`` (missing ones are not checked).
    """
    api_key = params.get("api_key")
    if "api_key" in params:
        if not api_key:
            return "api_key is empty: set it, or CAPGO_API_KEY / CAPGO_TOKEN in the environment"
        if not CREDENTIAL_RE.match(api_key):
            # e.g. a trailing newline from `echo KEY | ansible-vault encrypt_string`; never echo the value
            return "api_key contains whitespace or control characters (a trailing newline?)"
    if "api_url" in params and not URL_RE.match(params.get("api_url") or ""):
        return ("api_url must be an http(s) URL with a host, like https://api.capgo.app, got %r"
                % (params.get("api_url"),))
    if params.get("files_url") is not None and not URL_RE.match(params["files_url"]):
        return ("files_url must be an http(s) URL with a host, like https://files.capgo.app, got %r"
                % (params["files_url"],))
    timeout = params.get("timeout")
    number = isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
    if timeout is not None and not (number and math.isfinite(timeout) and timeout > 0):
        return "timeout must be a number of seconds greater than 0, got %r" % (timeout,)
    retries = params.get("retries")
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int) or retries < 0):
        return "retries must be 0 (no retry) or more, got %r" % (retries,)
    ca_path = params.get("ca_path")
    if ca_path is not None:
        if not ca_path:
            return "ca_path is empty: give the path of a CA bundle (PEM file) or of a directory of CA certificates"
        if params.get("validate_certs", True) and not os.path.exists(ca_path):
            return "ca_path %s does not exist (it must be a CA bundle, PEM, or a directory of CA certificates)" % ca_path
    return None


def request_of(exc):
    """``(method, path)`` of the request whose answer ``exc`` was raised on, or ``(None, None)``.

    The request travels on the exception (``exc.request``); an exception raised while a caller
    reads an answer (a KeyError, say) gets the last request sent by the same thread.
    """
    request = getattr(exc, "request", None)
    if request is None:
        request = getattr(_THIS_THREAD, "request", None) or (None, None)
    return request


def unexpected_answer(method, path, msg):
    """A ``TypeError`` for an answer of the wrong shape, carrying its request."""
    exc = TypeError(msg)
    exc.request = (method, path)
    return exc


def _sent(exc):
    """Whether a failed request may have reached the server (False: no connection was ever made).

    A refused or timed-out connection, a TLS handshake or proxy failure, or a request that could
    not even be built was never seen by Capgo. A read timeout, a connection dropped while waiting
    for the answer, a broken answer, or a failure of an unknown kind: the server may have acted.
    """
    exceptions = requests.exceptions
    if isinstance(exc, (exceptions.ConnectTimeout, exceptions.SSLError, exceptions.ProxyError)):
        return False
    if isinstance(exc, (exceptions.Timeout, exceptions.ChunkedEncodingError, exceptions.ContentDecodingError,
                        exceptions.TooManyRedirects)):
        return True
    if isinstance(exc, exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        if MaxRetryError is not None and isinstance(reason, MaxRetryError):
            reason = reason.reason
        return not (ConnectTimeoutError is not None and isinstance(reason, (ConnectTimeoutError, NewConnectionError)))
    # InvalidURL, InvalidHeader, MissingSchema...: refused by requests before sending
    return False


def transport_hint(error, method, path, api_url, timed_out=False, timeout=None, tls=False):
    """The sentence that explains a request that got no answer (API error code ``error``), or None."""
    if error == "connection_error":
        if tls:
            return ("cannot connect to api_url %s: its TLS certificate was not accepted (for a private CA set "
                    "ca_path to its bundle; validate_certs: false skips the check)" % api_url)
        return "cannot connect to api_url %s" % api_url
    why = ("no answer within the timeout of %g s" % timeout) if timed_out and timeout \
        else "the connection was lost before the answer"
    if error == "write_answer_lost":
        return ("Capgo at api_url %s was reached but its answer to %s %s was lost (%s): the write may have been "
                "applied; run the task again, it reads the current state and converges" % (api_url, method, path, why))
    if error == "no_answer":
        return "Capgo at api_url %s was reached but did not answer %s %s (%s)" % (api_url, method, path, why)
    return None


class CapgoAPIError(Exception):
    """An error answer of the Capgo API, or a request that never got one.

    ``status`` is the HTTP status (None when no answer arrived), ``error`` the API's
    error code (``error`` field of the envelope), ``message`` its message, ``more_info``
    its ``moreInfo`` object, ``method`` and ``path`` the request.
    """

    def __init__(self, status, error, message, more_info=None, method=None, path=None, retry_after=None):
        self.status = status
        self.error = error or "unknown_error"
        self.message = message or ""
        self.more_info = more_info if isinstance(more_info, dict) else {}
        self.method = method
        self.path = path
        self.retry_after = retry_after
        # For a request that got no answer: the sentence explaining what that means (transport_hint).
        self.hint = None
        super().__init__(self.__str__())

    def __str__(self):
        where = "%s %s" % (self.method or "?", self.path or "?")
        if self.status is None:
            return "%s failed: %s (%s)" % (where, self.message, self.error)
        text = "%s failed: HTTP %s %s" % (where, self.status, self.error)
        if self.message:
            text += ": %s" % self.message
        if self.retry_after is not None:
            text += " (retry after %d s)" % int(round(self.retry_after))
        return text

    def to_dict(self):
        return {
            "status": self.status,
            "error": self.error,
            "message": self.message,
            "more_info": self.more_info,
            "method": self.method,
            "path": self.path,
        }


def _retry_after_seconds(response, body):
    """Seconds the server asked us to wait, from the header or ``moreInfo``."""
    value = response.headers.get("Retry-After")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:  # an HTTP date
                when = email.utils.parsedate_to_datetime(value)
                return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())
            except (TypeError, ValueError, IndexError):
                pass
    if isinstance(body, dict) and isinstance(body.get("moreInfo"), dict):
        value = body["moreInfo"].get("retryAfterSeconds")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return max(0.0, float(value))
    return None


class CapgoClient:
    """One ``requests.Session`` per module run, talking to one Capgo endpoint."""

    def __init__(self, api_key, api_url=DEFAULT_API_URL, timeout=30.0, retries=5, validate_certs=True,
                 ca_path=None, warn=None, sleep=None, user_agent_extra=None, files_url=None):
        if not HAS_REQUESTS:
            raise RuntimeError("the python 'requests' library is required")
        self.api_key = api_key or ""
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        # The files service that receives hosted bundles (TUS).
        self.files_url = (files_url or DEFAULT_FILES_URL).rstrip("/")
        self.timeout = float(timeout) if timeout is not None else 30.0
        self.retries = max(0, int(retries if retries is not None else 5))
        self.warn = warn or (lambda msg: None)
        self.sleep = sleep or time.sleep
        self.session = requests.Session()
        # validate_certs false: no check at all; else ca_path, else the default bundle (which
        # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE may name). Passed with every request, because requests
        # lets those variables override Session.verify (proxies from the environment still apply).
        if not validate_certs:
            self.verify = False
        elif ca_path:
            self.verify = ca_path
        else:
            self.verify = True
        self.session.verify = self.verify
        self.user_agent_extra = user_agent_extra
        agent = "capgo.cloud-ansible/%s" % COLLECTION_VERSION
        if user_agent_extra:
            agent += " %s" % user_agent_extra
        self.session.headers.update({
            "authorization": self.api_key,
            "user-agent": agent,
            "accept": "application/json",
        })
        # Threads of one run share the client: the count is kept behind a lock, and the request
        # in flight is the caller's own (``request_of``), never a shared attribute.
        self._count_lock = threading.Lock()
        self._request_count = 0
        # A 429's wait (Retry-After) holds every request of this client, from every thread of a
        # pool: the listings of a pool pause together instead of each meeting the limit again.
        self.paused_until = 0.0
        self.pause_lock = threading.Lock()
        self.held = threading.local()  # per thread: the pause it has waited out

    @property
    def request_count(self):
        """Requests sent so far (every attempt counts)."""
        with self._count_lock:
            return self._request_count

    def with_key(self, api_key):
        """A client like this one (endpoint, timeout, retries, TLS, warnings) for another credential."""
        return CapgoClient(api_key, api_url=self.api_url, timeout=self.timeout, retries=self.retries,
                           validate_certs=self.verify is not False,
                           ca_path=self.verify if isinstance(self.verify, str) else None,
                           warn=self.warn, sleep=self.sleep, user_agent_extra=self.user_agent_extra,
                           files_url=self.files_url)

    # -- helpers ---------------------------------------------------------

    def scrub(self, text):
        """Remove the API key (also as Python would quote it) from any text that could reach the user."""
        text = "%s" % (text,)
        if self.api_key and len(self.api_key) >= 4:
            for form in (self.api_key, repr(self.api_key)[1:-1]):
                text = text.replace(form, MASK)
        return text

    def pause(self, seconds):
        """Hold every request of this client for ``seconds`` from now (a 429's Retry-After); the
        calling thread waits them out itself."""
        with self.pause_lock:
            self.paused_until = max(self.paused_until, time.monotonic() + seconds)
            until = self.paused_until
        self.sleep(seconds)
        self.held.until = until

    def hold(self):
        """Wait out what is left of a pause another thread's request started."""
        with self.pause_lock:
            until = self.paused_until
        if until <= getattr(self.held, "until", 0.0):
            return
        wait = until - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self.held.until = until

    def _backoff(self, attempt):
        delay = min(BACKOFF_MAX, BACKOFF_BASE * (2 ** attempt))
        return delay * (0.5 + random.random() / 2)

    @staticmethod
    def _parse(response):
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    def _error(self, response, body, method, path):
        retry_after = _retry_after_seconds(response, body) if response.status_code in RETRY_STATUSES else None
        if isinstance(body, dict) and body.get("error"):
            return CapgoAPIError(response.status_code, self.scrub(body.get("error")),
                                 self.scrub(body.get("message") or ""), body.get("moreInfo"),
                                 method, path, retry_after)
        text = self.scrub((response.text or "").strip().replace("\n", " "))[:200]
        return CapgoAPIError(response.status_code, "http_%d" % response.status_code,
                             text or (response.reason or ""), None, method, path, retry_after)

    def _transport_error(self, exc, sent, reason, method, path, base=None):
        """The CapgoAPIError of a request to ``base`` (default: api_url) that got no answer, with its
        explaining ``hint``."""
        base = base or self.api_url
        if not sent:
            code, text = "connection_error", "cannot reach %s: %s" % (base, reason)
        else:
            code = "write_answer_lost" if method in WRITE_METHODS else "no_answer"
            text = "no answer from %s: %s" % (base, reason)
        err = CapgoAPIError(None, code, text, None, method, path)
        err.hint = transport_hint(code, method, path, base, timeout=self.timeout,
                                  timed_out=isinstance(exc, requests.exceptions.Timeout),
                                  tls=isinstance(exc, requests.exceptions.SSLError))
        return err

    # -- requests --------------------------------------------------------

    def exchange(self, method, url, path, idempotent, params=None, data=None, headers=None, ok=None,
                 allow_redirects=True):
        """One HTTP exchange with this client's session, timeout, TLS settings and retries: the
        response once it is an answer in ``ok`` (default: any status below 400), or the last refused
        one when retrying no longer helps. Every caller (the API, and an upload's PostgREST and files
        service requests) shares the retry rules, ``Retry-After`` and a 429's pause of every thread.

        ``path`` names the request in errors; ``data`` may be a callable that makes the body anew for
        each attempt (a chunk of a file). A request that got no answer raises ``CapgoAPIError``
        (``connection_error``, ``no_answer`` or ``write_answer_lost``, with its ``hint``).
        """
        _THIS_THREAD.request = (method, path)
        base = "%s://%s" % tuple(urlsplit(url)[:2])
        waited = 0.0
        attempt = 0
        while True:
            self.hold()
            with self._count_lock:
                self._request_count += 1
            payload = data() if callable(data) else data
            try:
                response = self.session.request(method, url, params=params, data=payload, headers=headers,
                                                timeout=self.timeout, verify=self.verify,
                                                allow_redirects=allow_redirects)
            except requests.exceptions.RequestException as exc:
                sent = _sent(exc)
                # Only a network that may recover is worth a retry (not a bad URL, header or certificate);
                # a request that never reached the server may be repeated whatever its method.
                network = (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                           requests.exceptions.ChunkedEncodingError)
                transient = isinstance(exc, network) and not isinstance(exc, requests.exceptions.SSLError)
                reason = self.scrub(exc.__class__.__name__ + ": " + str(exc))
                if transient and (idempotent or not sent) and attempt < self.retries:
                    delay = self._backoff(attempt)
                    if waited + delay <= RETRY_WAIT_BUDGET:
                        attempt += 1
                        waited += delay
                        self.warn("Retrying %s %s after a connection error (attempt %d of %d, waiting %.1f s): %s"
                                  % (method, path, attempt, self.retries, delay, reason))
                        self.sleep(delay)
                        continue
                raise self._transport_error(exc, sent, reason, method, path, base)
            finally:
                if hasattr(payload, "close"):
                    payload.close()
            status = response.status_code
            if (ok is None and status < 400) or (ok is not None and status in ok):
                return response
            if status in RETRY_STATUSES and (idempotent or status == 429) and attempt < self.retries:
                body = self._parse(response)
                delay = _retry_after_seconds(response, body)
                if delay is None:
                    delay = self._backoff(attempt)
                else:
                    delay = delay + random.random() * 0.1
                if waited + delay <= RETRY_WAIT_BUDGET:
                    attempt += 1
                    waited += delay
                    code = body.get("error") if isinstance(body, dict) and body.get("error") else "http_%d" % status
                    self.warn("Retrying %s %s after HTTP %d %s (attempt %d of %d, waiting %.1f s)"
                              % (method, path, status, self.scrub("%s" % code), attempt, self.retries, delay))
                    if status == 429:
                        self.pause(delay)  # the other threads' requests wait too (hold)
                    else:
                        self.sleep(delay)
                    continue
            return response

    def request(self, method, path, params=None, body=None, idempotent=None):
        """Send one API request, retrying what may be retried; return the decoded JSON body.

        ``idempotent`` overrides the default per method (GET/PUT/DELETE are, POST is not).
        A 429 is retried for every method (Capgo refused it before doing anything).
        401 is never retried: Capgo locks an address out after 20 failed authentications.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        data = None
        headers = {}
        if body is not None:
            data = json.dumps(body)
            headers["content-type"] = "application/json"
        response = self.exchange(method, self.api_url + path, path, idempotent, params=params, data=data,
                                 headers=headers)
        body_out = self._parse(response)
        if response.status_code < 400:
            return body_out
        raise self._error(response, body_out, method, path)

    def get(self, path, params=None):
        return self.request("GET", path, params=params)

    def post(self, path, body=None, idempotent=None):
        return self.request("POST", path, body=body, idempotent=idempotent)

    def put(self, path, body=None):
        return self.request("PUT", path, body=body)

    def delete(self, path, params=None, body=None):
        return self.request("DELETE", path, params=params, body=body)

    # -- pagination ------------------------------------------------------

    def iter_pages(self, path, params=None, id_key="id", page_size=PAGE_SIZE, empty_errors=(), max_pages=10000,
                   items_key=None, page_in_body=False):
        """Yield every item of a ``page``-paginated list once.

        Survives Capgo's page quirk (``/channel`` and ``/bundle`` compute the range end as a
        string concatenation when ``page`` comes from the query string, so page 1 may return
        hundreds of rows that overlap later pages): items are de-duplicated by ``id_key`` and
        the walk stops at a short page or at a page that adds nothing new.
        ``empty_errors`` are API error codes that mean "no (more) items" (GET /bundle answers
        400 ``cannot_get_bundle`` for an empty page).
        ``page_in_body`` sends ``params`` and ``page`` as the JSON body of the GET instead of the
        query string, for routes whose schema wants ``page`` as a JSON number (GET /organization
        answers 400 ``invalid_body`` to a query-string ``page``).
        """
        seen = set()
        params = dict(params or {})
        for page in range(max_pages):
            params["page"] = page
            try:
                if page_in_body:
                    data = self.request("GET", path, body=dict(params))
                else:
                    data = self.get(path, params=params)
            except CapgoAPIError as err:
                if err.error in empty_errors:
                    return
                raise
            if items_key is not None and isinstance(data, dict):
                data = data.get(items_key)
            if not isinstance(data, list):
                raise unexpected_answer("GET", path, "expected a list, got %s" % type(data).__name__)
            items = data
            new = 0
            for item in items:
                key = item.get(id_key) if isinstance(item, dict) else None
                if key is not None:
                    if key in seen:
                        continue
                    seen.add(key)
                new += 1
                yield item
            if new == 0 or len(items) < page_size:
                return

    def iter_cursor(self, path, params=None, page_size=1000, limit=None):
        """Yield items of a cursor-paginated list (``{data, nextCursor, hasMore}``)."""
        params = dict(params or {})
        count = 0
        cursor = None
        seen_cursors = set()
        while True:
            size = page_size if limit is None else max(1, min(page_size, limit - count))
            params["limit"] = size
            if cursor:
                params["cursor"] = cursor
            data = self.get(path, params=params)
            if not isinstance(data, dict) or not isinstance(data.get("data", []), list):
                raise unexpected_answer("GET", path, "expected {data, nextCursor, hasMore}, got %s"
                                        % type(data).__name__)
            items = data.get("data") or []
            for item in items:
                yield item
                count += 1
                if limit is not None and count >= limit:
                    return
            cursor = data.get("nextCursor")
            if not data.get("hasMore") or not cursor or not items or cursor in seen_cursors:
                return
            seen_cursors.add(cursor)


def client_from_options(params, **kwargs):
    """The client of the connection options ``params`` (``CONNECTION_SPEC``), once
    ``connection_problems(params)`` found none: the one way modules and plugins build one."""
    return CapgoClient(
        api_key=params["api_key"],
        api_url=params["api_url"],
        timeout=params["timeout"],
        retries=params["retries"],
        validate_certs=params["validate_certs"],
        ca_path=params["ca_path"],
        files_url=params.get("files_url"),
        **kwargs
    )
