"""The services behind the dispatcher (app.py), each with its own routes, auth and error
envelope, as Capgo runs them on separate hosts (capgo-api.md §8):

- ``api``: the public Capgo API (``routes/`` modules registered with ``service="api"``);
- ``functions``: the API worker's ``/private/*`` and Supabase's ``/functions/v1/*`` edge
  functions the CLI calls (``routes/functions.py``);
- ``files``: the files worker under ``/files/*`` (TUS, read, upload_link; ``routes/files.py``);
- ``rest``: the PostgREST subset under ``/rest/v1/*`` (``routes/rest.py``).

A service answers ``(status, error_code, Response)``; the dispatcher logs and faults.
Handlers run under ``state.lock`` unless registered with ``locked=False`` (they then take the
lock only around their metadata changes, as TUS PATCH does for a long body).
"""

import sys
import traceback

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from .errors import ApiError, PgError
from .jsvalues import json_dumps
from .routes import load_routes


class Raw:
    """A handler's answer that is not JSON: bytes (or None for no body) with headers."""

    def __init__(self, status=200, data=None, headers=None, mimetype=None):
        self.status = status
        self.data = data
        self.headers = dict(headers or {})
        self.mimetype = mimetype


def json_response(status, body, headers=None):
    resp = Response(json_dumps(body), status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        resp.headers[key] = str(value)
    return resp


FAULT_CODES = {
    400: ("bad_request", "Bad request"), 401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"), 404: ("not_found", "Not found"),
    429: ("too_many_requests", "Too many requests"), 500: ("unknown_error", "Unknown error"),
    502: ("bad_gateway", "Bad gateway"), 503: ("service_unavailable", "Service unavailable"),
    504: ("gateway_timeout", "Gateway timeout"),
}


class Service:
    """A set of routes with one error envelope (Capgo's Hono envelope by default)."""

    name = None
    prefixes = ()

    def __init__(self, app):
        self.app = app
        self.state = app.state
        self.url_map = Map(strict_slashes=True, merge_slashes=False, redirect_defaults=False)
        self.handlers = {}
        for index, (service, method, pattern, handler, locked) in enumerate(load_routes()):
            if service != self.name:
                continue
            endpoint = "r%d" % index
            self.handlers[endpoint] = (handler, locked)
            self.url_map.add(Rule(pattern, methods=[method], endpoint=endpoint,
                                  strict_slashes=True))

    def owns(self, path):
        return any(path == p.rstrip("/") or path.startswith(p) for p in self.prefixes)

    # ---------------------------------------------------------------- envelopes
    def error_body(self, status, code, message, more_info=None):
        return {"error": code, "message": message, "moreInfo": more_info or {}}

    @staticmethod
    def error_code(body):
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            return body["error"]
        return None

    def not_found(self):
        return 404, {"error": "not_found", "message": "Not found"}, {}

    def unknown_error(self):
        return 500, self.error_body(500, "unknown_error", "Unknown error"), {}

    def fault_body(self, status):
        code, message = FAULT_CODES.get(status, ("emulated_fault", "Emulated fault"))
        return self.error_body(status, code, message)

    def exception_answer(self, exc):
        """(status, body, headers) of an error a handler raised."""
        if isinstance(exc, ApiError):
            return exc.status, exc.body(), exc.headers
        if isinstance(exc, PgError):
            return exc.status, exc.body(), exc.headers
        return None

    # ---------------------------------------------------------------- serving
    def serve(self, request, environ):
        """Route and run the request (its change applied and saved): (status, code, Response)."""
        from .app import Ctx  # the request context lives with the dispatcher
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
        except Exception:  # werkzeug's NotFound/MethodNotAllowed, or a malformed path
            status, body, headers = self.not_found()
            return status, self.error_code(body), json_response(status, body, headers)
        handler, locked = self.handlers[endpoint]
        state = self.state
        ctx = Ctx(state, request, environ, service=self)
        if locked:
            with state.lock:
                status, body, headers = self._run(handler, ctx, args, request)
                if request.method not in ("GET", "HEAD"):
                    self._save()
        else:
            status, body, headers = self._run(handler, ctx, args, request)
        if isinstance(body, Raw):
            resp = Response(body.data if body.data is not None else b"", status=status,
                            mimetype=body.mimetype)
            if body.data is None:
                resp.headers.pop("Content-Type", None)
            headers = dict(body.headers, **(headers or {}))
            code = None
        else:
            try:
                payload = json_dumps(body)
            except (TypeError, ValueError):
                sys.stderr.write("capgo-emulator: unserializable body for %s %s\n"
                                 % (request.method, request.path))
                status, body, headers = self.unknown_error()
                payload = json_dumps(body)
            resp = Response(payload, status=status, mimetype="application/json")
            code = self.error_code(body) if status >= 400 else None
        for key, value in (headers or {}).items():
            resp.headers[key] = str(value)
        return status, code, resp

    def _run(self, handler, ctx, args, request):
        headers = {}
        try:
            result = handler(ctx, **args)
            status, body = 200, result
            if isinstance(result, Raw):
                status = result.status
            elif isinstance(result, tuple):
                if len(result) == 3:
                    status, body, headers = result
                else:
                    status, body = result
        except Exception as exc:  # pylint: disable=broad-except
            answer = self.exception_answer(exc)
            if answer is None:
                sys.stderr.write("capgo-emulator: unhandled error in %s %s\n%s"
                                 % (request.method, request.path, traceback.format_exc()))
                sys.stderr.flush()
                answer = self.unknown_error()
            status, body, headers = answer
        return status, body, headers or {}

    def _save(self):
        try:
            self.state.save()
        except Exception:  # pragma: no cover - disk trouble must not kill requests
            sys.stderr.write("capgo-emulator: cannot save state\n%s" % traceback.format_exc())


class ApiService(Service):
    """The public Capgo API: every path no other service owns."""

    name = "api"

    def owns(self, path):
        return True


class FunctionsService(Service):
    """The API worker's private routes and Supabase's edge functions (Hono envelope). Under
    ``/functions/v1/`` Supabase also serves the public API (``/functions/v1/app/...``, as the
    CLI calls it when a Supabase host is configured): a path this service has no route for
    is served by the API's routes."""

    name = "functions"
    prefixes = ("/private/", "/functions/v1/")
    FUNCTIONS_PREFIX = "/functions/v1"

    def serve(self, request, environ):
        path = request.path
        if path.startswith(self.FUNCTIONS_PREFIX + "/"):
            try:
                self.url_map.bind_to_environ(environ).match()
            except Exception:  # not one of ours: the public API's route, if any
                api = next(s for s in self.app.services if s.name == "api")
                inner = dict(environ)
                inner["PATH_INFO"] = environ.get("PATH_INFO", "")[len(self.FUNCTIONS_PREFIX):]
                inner["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.FUNCTIONS_PREFIX
                from werkzeug.wrappers import Request
                return api.serve(Request(inner), inner)
        return super().serve(request, environ)


class FilesService(Service):
    """The files worker (TUS uploads, reads, upload_link)."""

    name = "files"
    prefixes = ("/files/",)


class RestService(Service):
    """Supabase's PostgREST: its own envelope ``{code, details, hint, message}``."""

    name = "rest"
    prefixes = ("/rest/v1/",)

    def error_body(self, status, code, message, more_info=None):
        return {"code": code, "details": None, "hint": None, "message": message}

    @staticmethod
    def error_code(body):
        if isinstance(body, dict) and isinstance(body.get("code"), str):
            return body["code"]
        return None

    def not_found(self):
        return 404, {"code": "PGRST125", "details": None, "hint": None,
                     "message": "Invalid path specified in request URL"}, {}

    def unknown_error(self):
        return 500, {"code": "XX000", "details": None, "hint": None,
                     "message": "Unknown error"}, {}

    def fault_body(self, status):
        code, message = FAULT_CODES.get(status, ("emulated_fault", "Emulated fault"))
        return {"code": "EMU%d" % status, "details": None, "hint": None, "message": message}


# Most specific first; the API takes what no other service owns.
SERVICE_CLASSES = (FilesService, RestService, FunctionsService, ApiService)
