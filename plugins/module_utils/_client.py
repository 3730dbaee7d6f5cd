# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP client for the Capgo Cloud public API.

Private to the collection (the leading underscore): no compatibility promise.
It has no Ansible imports, so it can be used and tested on its own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import email.utils
import json
import random
import time

try:
    import requests

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised only without requests
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

COLLECTION_VERSION = "0.1.0"
DEFAULT_API_URL = "https://api.capgo.app"

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
        super(CapgoAPIError, self).__init__(self.__str__())

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
                 ca_path=None, warn=None, sleep=None, user_agent_extra=None):
        if not HAS_REQUESTS:
            raise RuntimeError("the python 'requests' library is required")
        self.api_key = api_key or ""
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.timeout = float(timeout) if timeout is not None else 30.0
        self.retries = max(0, int(retries if retries is not None else 5))
        self.warn = warn or (lambda msg: None)
        self.sleep = sleep or time.sleep
        self.session = requests.Session()
        if ca_path:
            self.session.verify = ca_path
        else:
            self.session.verify = bool(validate_certs)
        agent = "capgo.cloud-ansible/%s" % COLLECTION_VERSION
        if user_agent_extra:
            agent += " %s" % user_agent_extra
        self.session.headers.update({
            "authorization": self.api_key,
            "user-agent": agent,
            "accept": "application/json",
        })
        self.request_count = 0
        self.last_request = (None, None)

    # -- helpers ---------------------------------------------------------

    def scrub(self, text):
        """Remove the API key (also as Python would quote it) from any text that could reach the user."""
        text = "%s" % (text,)
        if self.api_key and len(self.api_key) >= 4:
            for form in (self.api_key, repr(self.api_key)[1:-1]):
                text = text.replace(form, MASK)
        return text

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

    # -- requests --------------------------------------------------------

    def request(self, method, path, params=None, body=None, idempotent=None):
        """Send one API request, retrying what may be retried; return the decoded JSON body.

        ``idempotent`` overrides the default per method (GET/PUT/DELETE are, POST is not).
        A 429 is retried for every method (Capgo refused it before doing anything).
        401 is never retried: Capgo locks an address out after 20 failed authentications.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        url = self.api_url + path
        self.last_request = (method, path)
        data = None
        headers = {}
        if body is not None:
            data = json.dumps(body)
            headers["content-type"] = "application/json"
        waited = 0.0
        attempt = 0
        while True:
            self.request_count += 1
            try:
                response = self.session.request(method, url, params=params, data=data, headers=headers,
                                                timeout=self.timeout)
            except requests.exceptions.RequestException as exc:
                safe = isinstance(exc, requests.exceptions.ConnectTimeout)
                # Only a network that may recover is worth a retry (not a bad URL, header or certificate).
                transient = (isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout))
                             and not isinstance(exc, requests.exceptions.SSLError))
                reason = self.scrub(exc.__class__.__name__ + ": " + str(exc))
                if transient and (idempotent or safe) and attempt < self.retries:
                    delay = self._backoff(attempt)
                    if waited + delay <= RETRY_WAIT_BUDGET:
                        attempt += 1
                        waited += delay
                        self.warn("Retrying %s %s after a connection error (attempt %d of %d, waiting %.1f s): %s"
                                  % (method, path, attempt, self.retries, delay, reason))
                        self.sleep(delay)
                        continue
                raise CapgoAPIError(None, "connection_error", "cannot reach %s: %s" % (self.api_url, reason),
                                    None, method, path)
            body_out = self._parse(response)
            status = response.status_code
            if status < 400:
                return body_out
            err = self._error(response, body_out, method, path)
            if status in RETRY_STATUSES and (idempotent or status == 429) and attempt < self.retries:
                delay = err.retry_after if err.retry_after is not None else _retry_after_seconds(response, body_out)
                if delay is None:
                    delay = self._backoff(attempt)
                else:
                    delay = delay + random.random() * 0.1
                if waited + delay <= RETRY_WAIT_BUDGET:
                    attempt += 1
                    waited += delay
                    self.warn("Retrying %s %s after HTTP %d %s (attempt %d of %d, waiting %.1f s)"
                              % (method, path, status, err.error, attempt, self.retries, delay))
                    self.sleep(delay)
                    continue
            raise err

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
                raise TypeError("expected a list, got %s" % type(data).__name__)
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
                raise TypeError("expected {data, nextCursor, hasMore}, got %s" % type(data).__name__)
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
