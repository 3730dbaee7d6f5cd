"""/ok — health check (no auth)."""

from . import route


@route("GET", "/ok")
def get_ok(ctx):
    return {"status": "ok"}


@route("POST", "/ok")
def post_ok(ctx):
    ctx.parse_body()
    return {"status": "ok"}
