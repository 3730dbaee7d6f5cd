"""The WSGI application: one prefix dispatcher in front of the services (services.py) that
applies fault rules and the request log to every one of them; the control endpoints."""

import ipaddress
import json
import re
import socket
import threading
import time
import uuid

from werkzeug.wrappers import Request, Response

from . import auth
from .errors import ApiError, SeedError
from .jsvalues import js_json_loads, js_object_keys_count, js_truthy, json_dumps
from .services import SERVICE_CLASSES, json_response

NOT_FOUND_BODY = {"error": "not_found", "message": "Not found"}


def is_loopback_host(host):
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Ctx:
    """Per-request context handed to route handlers (see DESIGN.md)."""

    def __init__(self, state, request, environ, service=None):
        self.state = state
        self.service = service
        self.request = request
        self.environ = environ
        self.method = request.method
        self.path = request.path
        self.query = {k: v[-1] for k, v in request.args.lists()}
        self.headers = request.headers
        self._raw_text = None
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

    @property
    def raw_bytes(self):
        """The whole request body as bytes (read on first use; streaming handlers such as
        TUS PATCH read ``ctx.request.stream`` instead)."""
        return self.request.get_data(cache=True)

    @property
    def raw_body(self):
        """The body as text (UTF-8, undecodable bytes replaced), for the JSON services."""
        if self._raw_text is None:
            self._raw_text = self.raw_bytes.decode("utf-8", "replace")
        return self._raw_text

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
    """The dispatcher: control endpoints under ``/_emulator/``, every other path goes to the
    first service (services.py) that owns its prefix, with fault rules and the request log
    applied the same way to all of them."""

    def __init__(self, state, control_allowed=True):
        self.state = state
        self.control_allowed = control_allowed
        self.services = [cls(self) for cls in SERVICE_CLASSES]
        self.log = []
        self.faults = []
        self._fault_seq = 0
        self.meta_lock = threading.Lock()

    def service_for(self, path):
        for service in self.services:
            if service.owns(path):
                return service
        raise LookupError(path)  # pragma: no cover - the API owns every path

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
            response = self.dispatch(self.service_for(path), request, environ)
            if response is None:  # dropped connection
                raise ConnectionAbortedError("connection dropped by an emulator fault rule")
        response.headers["X-Request-Id"] = str(uuid.uuid4())
        return response(environ, start_response)

    def _log(self, request, status, error, service):
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
    def _fault_answer(rule, service):
        """(status, logged error code, Response) of a rule's status answer, in the service's
        error envelope unless the rule gives a body."""
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
            parsed = service.fault_body(status)
            resp = Response(json_dumps(parsed), status=status, mimetype="application/json")
        if rule["retry_after"] is not None:
            resp.headers["Retry-After"] = str(rule["retry_after"])
        return status, service.error_code(parsed), resp

    @staticmethod
    def _discard_body(request):
        """Read what the client sent, so that a fault answer is not cut short by the server
        closing a connection that still has unread body bytes."""
        try:
            stream = request.stream
            while stream.read(1 << 16):
                pass
        except Exception:  # pylint: disable=broad-except
            pass

    def _apply_fault(self, request, environ, rule, service, served=None):
        """The rule's answer: None for a dropped connection, a Response otherwise. ``served``
        (status, error code, Response) is the real answer of an ``after`` rule, sent when the
        rule only delays."""
        if rule["delay_ms"]:
            time.sleep(rule["delay_ms"] / 1000.0)
        if rule["drop"]:
            self._log(request, rule["status"], None, service)
            self._drop(environ)
            return None
        if rule["status"] is None:
            answer = served
        else:
            answer = self._fault_answer(rule, service)
        self._log(request, answer[0], answer[1], service)
        return answer[2]

    def dispatch(self, service, request, environ):
        rule = self._take_fault(request.method, request.path)
        if rule is not None and not rule["after"]:
            if rule["drop"] or rule["status"] is not None:
                if not rule["drop"]:
                    self._discard_body(request)
                return self._apply_fault(request, environ, rule, service)
            time.sleep(rule["delay_ms"] / 1000.0)  # only a delay: then served normally
        served = service.serve(request, environ)
        if rule is not None and rule["after"]:
            return self._apply_fault(request, environ, rule, service, served)
        self._log(request, served[0], served[1], service)
        return served[2]

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
