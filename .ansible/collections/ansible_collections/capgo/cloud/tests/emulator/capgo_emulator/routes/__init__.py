"""Route registry. Route modules register handlers with ``@route("GET", "/channel")``.

Pattern = werkzeug rule syntax (``/app/<id>``). Handler: ``def handler(ctx, **path_params)``
returning a JSON-able body (200), ``(status, body)`` or ``(status, body, headers)``.
"""

import importlib

ROUTES = []  # (method, pattern, handler)

ROUTE_MODULES = ("ok", "organization", "apikey", "app", "channel", "device", "bundle",
                 "statistics", "webhooks")


def route(method, pattern):
    def decorator(func):
        ROUTES.append((method.upper(), pattern, func))
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
