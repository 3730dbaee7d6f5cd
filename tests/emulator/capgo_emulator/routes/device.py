"""/device — GET (one, cursor list), POST (channel override), DELETE (capgo-api.md §2.5)."""

import math
import re

from .. import ratelimit
from ..errors import ApiError
from . import route
from .common import check_app_id, parse_datetime, require_app_perm, ts

DEFAULT_LIMIT = 50
MAX_LIMIT = 50000  # production reads at most 50,000 rows per Analytics Engine call

DEVICE_FIELDS = ["updated_at", "device_id", "custom_id", "is_prod", "is_emulator", "install_source",
                 "version_name", "version", "app_id", "platform", "plugin_version", "os_version",
                 "version_build", "key_id", "country_code"]

UPDATED_AT_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})$")


# ---------------------------------------------------------------- helpers

def _override_channel_name(state, o):
    if o is None:
        return None
    if o.get("channel_id") is not None:
        ch = state.channel(o["channel_id"])
        return ch["name"] if ch else None
    return o.get("channel")


def device_wire(state, d, overrides=None, names=None):
    """A device as the API returns it. A listing passes ``overrides`` (``{device_id: override}``, the
    first override of each device of the app) and ``names`` (``{channel_id: name}``, filled as it goes),
    so that a page of devices does not scan every override and channel once per device."""
    out = {}
    for f in DEVICE_FIELDS:
        if f == "version":
            v = d.get("version")
            if v is None and d.get("version_name"):
                b = state.bundle_by_name(d.get("app_id"), d.get("version_name"))
                v = b.get("id") if b else None
            out[f] = v
        else:
            out[f] = d.get(f)
    if overrides is None:
        override = state.device_override(d.get("app_id"), d.get("device_id"))
    else:
        override = overrides.get(d.get("device_id"))
    if names is not None and override is not None and override.get("channel_id") is not None:
        key = override["channel_id"]
        if key not in names:
            names[key] = _override_channel_name(state, override)
        name = names[key]
    else:
        name = _override_channel_name(state, override)
    if name is not None:
        out["channel"] = name
    return out


def rate_limited(op, read_body):
    """device/index.ts around each handler: auth, the body, the rate limits on the raw
    input, then ``handler(ctx, principal, body)``; the request is counted even when the
    handler refuses it."""
    def wrap(handler):
        def run(ctx):
            principal = ctx.auth_key()
            body = read_body(ctx)
            limit = (ctx.state, ctx.ip, op, body.get("app_id"), body.get("device_id"),
                     body.get("channel"))
            ratelimit.check_device(*limit, ctx.now())
            try:
                return handler(ctx, principal, body)
            finally:
                ratelimit.record_device(*limit, ctx.now())
        run.__name__ = handler.__name__
        run.__doc__ = handler.__doc__
        return run
    return wrap


def _is_true_query(value):
    return value is not None and value != "" and value is not False


# ---------------------------------------------------------------- GET

@route("GET", "/device")
@rate_limited("get", lambda ctx: ctx.body_or_query())
def get_device(ctx, principal, body):
    st = ctx.state
    app_id = check_app_id(body)
    device_id = body.get("device_id")
    if isinstance(device_id, str):
        device_id = device_id.lower()
    require_app_perm(ctx, principal, app_id, "app.read_devices")
    custom_mode = _is_true_query(body.get("customIdMode"))
    devices = st.devices_of(app_id)

    if device_id:
        for d in devices:
            if d.get("device_id") == device_id or (custom_mode and d.get("custom_id") == device_id):
                return device_wire(st, d)
        raise ApiError("device_not_found", "Device not found", status=404,
                       more_info={"app_id": app_id, "device_id": device_id})

    limit = DEFAULT_LIMIT
    if body.get("limit") is not None:
        raw = body["limit"]
        if isinstance(raw, bool):
            raise ApiError("invalid_limit", "Invalid limit", more_info={"limit": raw})
        if isinstance(raw, (int, float)) and math.isfinite(raw) and float(raw).is_integer():
            limit = int(raw)
        elif isinstance(raw, str) and re.match(r"^\s*\d+\s*$", raw):
            limit = int(raw)
        else:
            raise ApiError("invalid_limit", "Invalid limit", more_info={"limit": raw})
        if limit <= 0:
            raise ApiError("invalid_limit", "Invalid limit", more_info={"limit": raw})
        limit = min(limit, MAX_LIMIT)
    after = None
    if body.get("updated_at") is not None and body.get("updated_at") != "":
        raw = body["updated_at"]
        if not isinstance(raw, str) or not UPDATED_AT_RE.match(raw) or parse_datetime(raw) is None:
            raise ApiError("invalid_updated_at", "Invalid updated_at", more_info={"updated_at": raw})
        after = parse_datetime(raw).timestamp()
    order = body.get("order")
    if order is not None and order != "":
        if order not in ("asc", "desc"):
            raise ApiError("invalid_order", "Invalid order", more_info={"order": order})
    else:
        order = None

    if custom_mode:
        devices = [d for d in devices if d.get("custom_id")]
    if after is not None:
        devices = [d for d in devices if ts(d.get("updated_at")) > after]

    cursor = body.get("cursor")
    c_ts = c_id = None
    if isinstance(cursor, str) and cursor:
        if "|" in cursor:
            c_time, c_id = cursor.split("|", 1)
            d = parse_datetime(c_time)
            c_ts = d.timestamp() if d else None
        else:
            c_id = cursor
    if order is None:
        devices.sort(key=lambda d: d.get("device_id") or "")
        if c_id is not None:
            devices = [d for d in devices if (d.get("device_id") or "") > c_id]
    else:
        def key(d):
            return (ts(d.get("updated_at")), d.get("device_id") or "")

        devices.sort(key=key, reverse=(order == "desc"))
        if c_id is not None:
            pivot = (c_ts if c_ts is not None else 0.0, c_id)
            if order == "asc":
                devices = [d for d in devices if key(d) > pivot]
            else:
                devices = [d for d in devices if key(d) < pivot]
    page = devices[:limit]
    has_more = len(devices) > limit
    overrides = {}
    for o in st.device_overrides:
        if o.get("app_id") == app_id:
            overrides.setdefault(o.get("device_id"), o)  # the first, as state.device_override() finds it
    names = {}
    data = [device_wire(st, d, overrides, names) for d in page]
    out = {"data": data}
    if has_more and data:
        out["nextCursor"] = "%s|%s" % (data[-1]["updated_at"], data[-1]["device_id"])
    out["hasMore"] = has_more
    return out


# ---------------------------------------------------------------- POST

@route("POST", "/device")
@rate_limited("set", lambda ctx: ctx.parse_body())
def post_device(ctx, principal, body):
    st = ctx.state
    app_id = body.get("app_id")
    device_id = body.get("device_id")
    if not app_id or not device_id:
        raise ApiError("missing_device_id_or_app_id", "Missing device_id or app_id")
    check_app_id(body)
    device_id = str(device_id).lower()
    if body.get("version_id"):
        raise ApiError("invalid_version_id", "Cannot set version to device, use channel instead")
    channel_name = body.get("channel")
    if channel_name is None or channel_name == "":
        require_app_perm(ctx, principal, app_id, "app.manage_devices")
        return {"status": "ok"}

    app = st.app_by_app_id(app_id)
    ch = st.channel_by_name(app_id, channel_name) if app is not None else None
    if ch is not None and not (principal.has_perm("app.read_channels", app=app)
                               or principal.has_perm("channel.read", app=app, channel=ch)):
        ch = None  # read under the caller's rights: a channel it cannot see is "not found"
    if ch is None:
        raise ApiError("channel_not_found", "Channel not found", status=404,
                       more_info={"app_id": app_id, "channel": channel_name})
    if not principal.has_perm("channel.manage_forced_devices", app=app, channel=ch):
        raise ApiError("cannot_access_channel", "You can't access this channel",
                       more_info={"app_id": app_id, "channel": channel_name})
    if ch.get("public"):
        raise ApiError("public_channel_override", "Cannot set a device override to a public channel",
                       more_info={"app_id": app_id, "channel": channel_name})
    now_iso = st.stamp()
    o = st.device_override(app_id, device_id)
    if o is None:
        row = {"id": st.next_id("device_overrides"), "created_at": now_iso, "updated_at": now_iso,
               "app_id": app_id, "device_id": device_id, "channel_id": ch["id"],
               "owner_org": app.get("owner_org")}
        st.device_overrides.append(row)
        st.save()
    elif o.get("channel_id") != ch["id"]:
        o["channel_id"] = ch["id"]
        o.pop("channel", None)
        o["updated_at"] = now_iso
        st.save()
    return {"status": "ok"}


# ---------------------------------------------------------------- DELETE

@route("DELETE", "/device")
@rate_limited("delete", lambda ctx: ctx.body_or_query())
def delete_device(ctx, principal, body):
    st = ctx.state
    app_id = check_app_id(body)
    device_id = body.get("device_id")
    if device_id is None or device_id == "":
        raise ApiError("missing_device_id", "Missing device_id")
    device_id = str(device_id).lower()
    require_app_perm(ctx, principal, app_id, "app.manage_devices")
    hit = st.device_override(app_id, device_id)
    if hit is not None:
        st.device_overrides.remove(hit)
        st.save()
    return {"status": "ok"}
