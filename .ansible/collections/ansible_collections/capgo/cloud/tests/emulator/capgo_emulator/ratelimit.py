"""Rate limits of capgo-api.md §1.6, on the emulator's clock.

All bookkeeping lives in ``state.rl`` (dropped by /_emulator/reset, never persisted).
Limits can be overridden with the same environment variables the backend reads.
"""

import math
import os

from .errors import ApiError
from .jsvalues import js_truthy

FAILED_AUTH_LIMIT = int(os.environ.get("RATE_LIMIT_FAILED_AUTH", "20"))
FAILED_AUTH_WINDOW = 15 * 60
APIKEY_LIMIT = int(os.environ.get("RATE_LIMIT_API_KEY", "2000"))
APIKEY_WINDOW = 60
DEVICE_OP_LIMIT = 5           # per (app, device, operation) per second
DEVICE_OP_WINDOW = 1.0
DEVICE_SAME_SET_WINDOW = 60   # same (app, device, channel) POST /device
DEVICE_IP_LIMIT = int(os.environ.get("RATE_LIMIT_CHANNEL_SELF_IP", "1000"))  # per (app, IP)
DEVICE_IP_WINDOW = 60


def too_many(reason, reset_at, now, **extra):
    """A 429 ApiError with Capgo's body (simpleRateLimit + buildRateLimitInfo) and its
    Retry-After / X-RateLimit-Reset headers; ``reason`` None leaves the field out."""
    retry = max(0, int(math.ceil(reset_at - now)))
    more = {"reason": reason} if reason is not None else {}
    more.update({k: v for k, v in extra.items() if v is not None})
    more["rateLimitResetAt"] = int(reset_at * 1000)
    more["retryAfterSeconds"] = retry
    return ApiError("too_many_requests", "Too many requests", 429, more,
                    {"Retry-After": str(retry), "X-RateLimit-Reset": str(int(math.ceil(reset_at)))})


def _bucket(state, name):
    return state.rl.setdefault(name, {})


# ------------------------------------------------------------------ failed auth per IP
def check_failed_auth(state, ip, now):
    rec = _bucket(state, "failed_auth").get(ip)
    if rec and rec["count"] >= FAILED_AUTH_LIMIT and now < rec["until"]:
        raise too_many("too_many_failed_auth_attempts", rec["until"], now)


def record_failed_auth(state, ip, now):
    bucket = _bucket(state, "failed_auth")
    rec = bucket.get(ip)
    if rec is None or now >= rec["until"]:
        rec = {"count": 0, "until": now}
        bucket[ip] = rec
    rec["count"] += 1
    rec["until"] = now + FAILED_AUTH_WINDOW


# ------------------------------------------------------------------ per API key
def check_apikey(state, key, now):
    bucket = _bucket(state, "apikey")
    rec = bucket.get(key["id"])
    if rec is None or now >= rec["until"]:
        rec = {"count": 0, "until": now}
        bucket[key["id"]] = rec
    rec["count"] += 1
    rec["until"] = now + APIKEY_WINDOW
    if rec["count"] > APIKEY_LIMIT:
        raise too_many("api_key_rate_limit_exceeded", rec["until"], now, apikey_id=key["id"])


# ------------------------------------------------------------------ /device
# device/index.ts: before the handler, the per-(app, IP) limit when app_id is set, then the
# per-(app, device, operation) limit (and for a set with a channel the 60 s same-set rule) when
# both app_id and device_id are set, on the raw input; the handler's own validation comes after.
# Every request that reaches the handler is recorded, refused or not; a 429 from these checks
# is not.
def _key(value):
    return value if isinstance(value, str) else repr(value)


def _window_limited(rec, limit, now):
    return rec is not None and rec["reset_at"] > now and rec["count"] >= limit


def _window_count(bucket, key, window, now):
    rec = bucket.get(key)
    if rec is None or rec["reset_at"] <= now:
        rec = {"count": 0, "reset_at": now + window}
        bucket[key] = rec
    rec["count"] += 1


def check_device(state, ip, op, app_id, device_id, channel, now):
    """Raise the 429 of device/index.ts when a limit is reached (``op``: set, get, delete)."""
    if js_truthy(app_id) and ip != "unknown":
        rec = _bucket(state, "device_ip").get((_key(app_id), ip))
        if _window_limited(rec, DEVICE_IP_LIMIT, now):
            raise too_many("ip_rate_limit_exceeded", rec["reset_at"], now, app_id=app_id)
    if not (js_truthy(app_id) and js_truthy(device_id)):
        return
    key = (_key(app_id), _key(device_id), op)
    rec = _bucket(state, "device_op").get(key)
    if _window_limited(rec, DEVICE_OP_LIMIT, now):
        raise too_many(None, rec["reset_at"], now, app_id=app_id, device_id=device_id)
    if op == "set" and js_truthy(channel):
        last = _bucket(state, "device_set").get(key[:2] + (_key(channel),))
        if last is not None and now - last < DEVICE_SAME_SET_WINDOW:
            raise too_many(None, last + DEVICE_SAME_SET_WINDOW, now, app_id=app_id,
                           device_id=device_id)


def record_device(state, ip, op, app_id, device_id, channel, now):
    """Count a request the handler saw (call it in a ``finally``)."""
    if js_truthy(app_id) and js_truthy(device_id):
        key = (_key(app_id), _key(device_id), op)
        _window_count(_bucket(state, "device_op"), key, DEVICE_OP_WINDOW, now)
        if op == "set" and js_truthy(channel):
            _bucket(state, "device_set")[key[:2] + (_key(channel),)] = now
    if js_truthy(app_id) and ip != "unknown":
        _window_count(_bucket(state, "device_ip"), (_key(app_id), ip), DEVICE_IP_WINDOW, now)
