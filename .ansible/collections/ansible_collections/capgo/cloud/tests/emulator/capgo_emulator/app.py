"""The WSGI application: routing, Capgo's envelope, request log, fault rules, control endpoints."""

import ipaddress
import json
import re
import socket
import sys
import threading
import time
import traceback
import uuid

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import auth
from .errors import ApiError, SeedError
from .jsvalues import js_json_loads, js_object_keys_count, js_truthy, json_dumps
from .routes import load_routes

NOT_FOUND_BODY = {"error": "not_found", "message": "Not found"}
UNKNOWN_ERROR_BODY = {"error": "unknown_error", "message": "Unknown error", "moreInfo": {}}
FAULT_CODES = {
    400: ("bad_request", "Bad request"), 401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"), 404: ("not_found", "Not found"),
    429: ("too_many_requests", "Too many requests"), 500: ("unknown_error", "Unknown error"),
    502: ("bad_gateway", "Bad gateway"), 503: ("service_unavailable", "Service unavailable"),
    504: ("gateway_timeout", "Gateway timeout"),
}


def json_response(status, body, headers=None):
    resp = Response(json_dumps(body), status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        resp.headers[key] = str(value)
    return resp


def is_loopback_host(host):
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Ctx:
    """Per-request context handed to route handlers (see DESIGN.md)."""

    def __init__(self, state, request, environ):
        self.state = state
        self.request = request
        self.environ = environ
        self.method = request.method
        self.path = request.path
        self.query = {k: v[-1] for k, v in request.args.lists()}
        self.headers = request.headers
        self.raw_body = request.get_data(cache=True, as_text=True)
        self.ip = self._client_ip()
        self._principal = None
        self._json = None
        self._json_tried = False

    def _client_ip(self):
        ip = self.headers.get("cf-connecting-ip")
        if not ip:
            fwd = self.headers.get("x-forwarded-for")
            ip = fwd.split(",")[0].strip() if fwd else None
        return ip or self.environ.get("REMOTE_ADDR") or "unknown"

    def now(self):
        return self.state.now()

    def iso_now(self):
        return self.state.iso_now()

    # -------------------------------------------------------------- inputs
    def _try_json(self):
        """(ok, value) for the raw body parsed as JSON."""
        if not self._json_tried:
            self._json_tried = True
            try:
                self._json = (True, js_json_loads(self.raw_body)) if self.raw_body.strip() \
                    else (False, None)
            except (ValueError, RecursionError):
                self._json = (False, None)
        return self._json

    @staticmethod
    def _lower_device_id(data):
        """Both helpers run `if (body.device_id) body.device_id = body.device_id.toLowerCase()`
        on the parsed value: a truthy non-string throws (500), a value without fields (an
        array, string, number, boolean) simply has none."""
        if not isinstance(data, dict):
            return {}
        device_id = data.get("device_id")
        if isinstance(device_id, str):
            data = dict(data)
            data["device_id"] = device_id.lower()
        elif js_truthy(device_id):
            raise TypeError("body.device_id.toLowerCase is not a function")
        return data

    def parse_body(self):
        """JSON-only input (parseBody): 400 invalid_json_parse_body unless valid JSON."""
        ok, value = self._try_json()
        if not ok:
            raise ApiError("invalid_json_parse_body", "Invalid JSON body")
        if value is None:  # `null.device_id` throws in the real helper
            raise TypeError("Cannot read properties of null (reading 'device_id')")
        return self._lower_device_id(value)

    def body_or_query(self):
        """JSON-or-query input (getBodyOrQuery) of capgo-api.md §1.2: the query string is
        used only when the body is not JSON; a parsed body without keys (also `null`, `[]`,
        numbers, booleans) is 400 invalid_json_parse_body, for GET too."""
        ok, value = self._try_json()
        if not ok:
            data = dict(self.query)
            if self.method in ("GET", "HEAD"):
                return data
            if not data:
                raise ApiError("invalid_json_parse_body", "Invalid JSON body")
            return self._lower_device_id(data)
        if not js_object_keys_count(value):
            raise ApiError("invalid_json_parse_body", "Invalid JSON body")
        return self._lower_device_id(value)

    # -------------------------------------------------------------- auth
    def auth_key(self):
        if self._principal is None:
            self._principal = auth.middleware_key(self)
        return self._principal

    def auth_any(self):
        if self._principal is None:
            self._principal = auth.middleware_auth(self)
        return self._principal


class EmulatorApp:
    def __init__(self, state, control_allowed=True):
        self.state = state
        self.control_allowed = control_allowed
        self.url_map = Map(strict_slashes=True, merge_slashes=False, redirect_defaults=False)
        self.handlers = {}
        for index, (method, pattern, handler) in enumerate(load_routes()):
            endpoint = "r%d" % index
            self.handlers[endpoint] = handler
            self.url_map.add(Rule(pattern, methods=[method], endpoint=endpoint,
                                  strict_slashes=True))
        self.log = []
        self.faults = []
        self._fault_seq = 0
        self.meta_lock = threading.Lock()

    # ------------------------------------------------------------ plumbing
    def __call__(self, environ, start_response):
        request = Request(environ)
        path = request.path
        if path == "/_emulator" or path.startswith("/_emulator/"):
            if self.control_allowed:
                response = self.control(request)
            else:
                response = json_response(404, NOT_FOUND_BODY)
        else:
            response = self.serve_api(request, environ)
            if response is None:  # dropped connection
                raise ConnectionAbortedError("connection dropped by an emulator fault rule")
        response.headers["X-Request-Id"] = str(uuid.uuid4())
        return response(environ, start_response)

    def _log(self, request, status, body):
        error = None
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            error = body["error"]
        entry = {"method": request.method, "path": request.path,
                 "query": {k: v[-1] for k, v in request.args.lists()},
                 "status": status, "error": error}
        with self.meta_lock:
            self.log.append(entry)

    # ------------------------------------------------------------ faults
    def _take_fault(self, method, path):
        with self.meta_lock:
            for rule in self.faults:
                if rule["remaining"] <= 0:
                    continue
                if rule["method"] and rule["method"].upper() != method:
                    continue
                if not rule["regex"].search(path):
                    continue
                rule["remaining"] -= 1
                return rule
        return None

    @staticmethod
    def _drop(environ):
        """Close the client's connection without an answer."""
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @staticmethod
    def _fault_answer(rule):
        """(status, logged body, Response) of a rule's status answer."""
        status = rule["status"]
        if rule["body"] is not None:
            raw = rule["body"]
            try:
                parsed = json.loads(raw)
                mimetype = "application/json"
            except ValueError:
                parsed, mimetype = None, "text/plain"
            resp = Response(raw, status=status, mimetype=mimetype)
        else:
            code, message = FAULT_CODES.get(status, ("emulated_fault", "Emulated fault"))
            parsed = {"error": code, "message": message, "moreInfo": {}}
            resp = Response(json_dumps(parsed), status=status, mimetype="application/json")
        if rule["retry_after"] is not None:
            resp.headers["Retry-After"] = str(rule["retry_after"])
        return status, parsed, resp

    def _apply_fault(self, request, environ, rule, served=None):
        """The rule's answer: None for a dropped connection, a Response otherwise. ``served``
        (status, body, Response) is the real answer of an ``after`` rule, sent when the rule
        only delays."""
        if rule["delay_ms"]:
            time.sleep(rule["delay_ms"] / 1000.0)
        if rule["drop"]:
            self._log(request, rule["status"], None)
            self._drop(environ)
            return None
        if rule["status"] is None:
            answer = served
        else:
            answer = self._fault_answer(rule)
        self._log(request, answer[0], answer[1])
        return answer[2]

    # ------------------------------------------------------------ API
    def serve_api(self, request, environ):
        rule = self._take_fault(request.method, request.path)
        if rule is not None and not rule["after"]:
            if rule["drop"] or rule["status"] is not None:
                return self._apply_fault(request, environ, rule)
            time.sleep(rule["delay_ms"] / 1000.0)  # only a delay: then served normally
        served = self._serve(request, environ)
        if rule is not None and rule["after"]:
            return self._apply_fault(request, environ, rule, served)
        self._log(request, served[0], served[1])
        return served[2]

    def _serve(self, request, environ):
        """Route and run the request (its change applied and saved): (status, body, Response)."""
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
        except Exception:  # werkzeug's NotFound/MethodNotAllowed, or a malformed path
            return 404, NOT_FOUND_BODY, json_response(404, NOT_FOUND_BODY)
        handler = self.handlers[endpoint]
        state = self.state
        with state.lock:
            headers = {}
            try:
                ctx = Ctx(state, request, environ)
                result = handler(ctx, **args)
                status, body = 200, result
                if isinstance(result, tuple):
                    if len(result) == 3:
                        status, body, headers = result
                    else:
                        status, body = result
            except ApiError as exc:
                status, body, headers = exc.status, exc.body(), exc.headers
            except Exception:
                sys.stderr.write("capgo-emulator: unhandled error in %s %s\n%s"
                                 % (request.method, request.path, traceback.format_exc()))
                sys.stderr.flush()
                status, body, headers = 500, dict(UNKNOWN_ERROR_BODY), {}
            try:
                payload = json_dumps(body)
            except (TypeError, ValueError):
                sys.stderr.write("capgo-emulator: unserializable body for %s %s\n"
                                 % (request.method, request.path))
                status, body, headers = 500, dict(UNKNOWN_ERROR_BODY), {}
                payload = json_dumps(body)
            if request.method not in ("GET", "HEAD"):
                try:
                    state.save()
                except Exception:  # pragma: no cover - disk trouble must not kill requests
                    sys.stderr.write("capgo-emulator: cannot save state\n%s"
                                     % traceback.format_exc())
        resp = Response(payload, status=status, mimetype="application/json")
        for key, value in (headers or {}).items():
            resp.headers[key] = str(value)
        return status, body, resp

    # ------------------------------------------------------------ control
    def control(self, request):
        path = request.path.rstrip("/")
        method = request.method
        raw = request.get_data(as_text=True)
        try:
            data = json.loads(raw) if raw.strip() else None
        except ValueError:
            return json_response(400, {"error": "invalid_json_parse_body",
                                       "message": "Invalid JSON body", "moreInfo": {}})
        state = self.state
        if path == "/_emulator/reset" and method == "POST":
            with state.lock:
                try:
                    state.load_seed(data)
                except SeedError as exc:
                    return json_response(400, {"error": "invalid_seed", "message": str(exc),
                                               "moreInfo": {}})
                state.clock_offset = 0.0
                state.save()
            return json_response(200, {"status": "ok"})
        if path == "/_emulator/requests":
            if method == "GET":
                with self.meta_lock:
                    return json_response(200, list(self.log))
            if method == "DELETE":
                with self.meta_lock:
                    self.log = []
                return json_response(200, {"status": "ok"})
        if path == "/_emulator/faults":
            if method == "POST":
                return self._add_fault(data)
            if method == "DELETE":
                with self.meta_lock:
                    self.faults = []
                return json_response(200, {"status": "ok"})
            if method == "GET":
                with self.meta_lock:
                    return json_response(200, [{k: v for k, v in r.items() if k != "regex"}
                                               for r in self.faults])
        if path == "/_emulator/clock":
            if method == "POST":
                seconds = (data or {}).get("advance_seconds") if isinstance(data, dict) else None
                if (not isinstance(seconds, (int, float)) or isinstance(seconds, bool)
                        or seconds < 0):
                    return json_response(400, {
                        "error": "invalid_body", "moreInfo": {},
                        "message": "advance_seconds must be a non-negative number"})
                with state.lock:
                    state.advance(seconds)
                    state.save()
            if method in ("POST", "GET"):
                return json_response(200, {"status": "ok", "now": state.iso_now(),
                                           "offset_seconds": state.clock_offset})
        if path == "/_emulator/state" and method == "GET":
            with state.lock:
                return json_response(200, state.export())
        return json_response(404, NOT_FOUND_BODY)

    def _add_fault(self, data):
        def bad(message):
            return json_response(400, {"error": "invalid_fault", "message": message,
                                       "moreInfo": {}})
        if not isinstance(data, dict):
            return bad("fault rule must be a JSON object")
        pattern = data.get("path")
        if not isinstance(pattern, str):
            return bad("path (a regular expression) is required")
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            return bad("path is not a valid regular expression: %s" % exc)
        method = data.get("method")
        if method is not None and not isinstance(method, str):
            return bad("method must be a string or null")
        status = data.get("status")
        if status is not None and (not isinstance(status, int) or isinstance(status, bool)
                                   or not 100 <= status <= 599):
            return bad("status must be an HTTP status code or null")
        times = data.get("times", 1)
        if times is None:
            times = 1
        if not isinstance(times, int) or isinstance(times, bool) or times < 1:
            return bad("times must be a positive integer")
        retry_after = data.get("retry_after")
        if retry_after is not None and (not isinstance(retry_after, (int, float))
                                        or isinstance(retry_after, bool) or retry_after < 0):
            return bad("retry_after must be a non-negative number or null")
        delay_ms = data.get("delay_ms") or 0
        if not isinstance(delay_ms, (int, float)) or isinstance(delay_ms, bool) or delay_ms < 0:
            return bad("delay_ms must be a non-negative number")
        body = data.get("body")
        if body is not None and not isinstance(body, str):
            body = json_dumps(body)
        drop = bool(data.get("drop"))
        after = data.get("after", False)
        if not isinstance(after, bool):
            return bad("after must be true or false")
        if status is None and not drop and not delay_ms:
            status = 503
        if isinstance(retry_after, float) and retry_after.is_integer():
            retry_after = int(retry_after)
        with self.meta_lock:
            self._fault_seq += 1
            rule = {"id": self._fault_seq, "method": method, "path": pattern, "regex": regex,
                    "status": status, "times": times, "remaining": times,
                    "retry_after": retry_after, "delay_ms": delay_ms, "body": body,
                    "drop": drop, "after": after}
            self.faults.append(rule)
        return json_response(200, {"status": "ok", "id": rule["id"]})
