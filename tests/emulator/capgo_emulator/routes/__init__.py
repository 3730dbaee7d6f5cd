"""Route registry. Route modules register handlers with ``@route("GET", "/channel")``
(the public API) or ``@route("PATCH", "/files/...", service="files", locked=False)``.

Pattern = werkzeug rule syntax (``/app/<id>``). Handler: ``def handler(ctx, **path_params)``
returning a JSON-able body (200), ``(status, body)``, ``(status, body, headers)`` or a
``services.Raw`` (bytes or no body). ``service`` names the service (services.py) that serves
it; ``locked=False`` runs the handler without holding ``state.lock`` (it takes the lock itself
around its metadata changes).
"""

import importlib

ROUTES = []  # (service, method, pattern, handler, locked)

ROUTE_MODULES = ("ok", "organization", "apikey", "app", "channel", "device", "bundle",
                 "statistics", "webhooks", "functions", "files", "rest")


def route(method, pattern, service="api", locked=True):
    def decorator(func):
        ROUTES.append((service, method.upper(), pattern, func, locked))
        return func
    return decorator


_loaded = False


def load_routes():
    """Import every route module once (a module that does not exist yet is skipped)."""
    global _loaded
    if _loaded:
        return ROUTES
    for name in ROUTE_MODULES:
        full = "%s.%s" % (__name__, name)
        try:
            importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name != full:
                raise
    _loaded = True
    return ROUTES
