"""Rate limits of capgo-api.md §1.6, on the emulator's clock.

All bookkeeping lives in ``state.rl`` (dropped by /_emulator/reset, never persisted).
Limits can be overridden with the same environment variables the backend reads.
"""

import math
import os

from .errors import ApiError

FAILED_AUTH_LIMIT = int(os.environ.get("RATE_LIMIT_FAILED_AUTH", "20"))
FAILED_AUTH_WINDOW = 15 * 60
APIKEY_LIMIT = int(os.environ.get("RATE_LIMIT_API_KEY", "2000"))
APIKEY_WINDOW = 60
DEVICE_OP_LIMIT = 5           # per (app, device, operation) per second
DEVICE_OP_WINDOW = 1.0
DEVICE_SAME_SET_WINDOW = 60   # same (app, device, channel) POST /device


def too_many(reason, reset_at, now, **extra):
    """A 429 ApiError with Capgo's body and Retry-After / X-RateLimit-Reset headers."""
    retry = max(1, int(math.ceil(reset_at - now)))
    more = {"reason": reason}
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


# ------------------------------------------------------------------ /device helpers
def check_device_op(state, app_id, device_id, op, now):
    """At most 5 calls per second per (app, device, operation); raises 429 beyond."""
    bucket = _bucket(state, "device_op")
    k = (app_id, device_id, op)
    hits = [t for t in bucket.get(k, []) if now - t < DEVICE_OP_WINDOW]
    if len(hits) >= DEVICE_OP_LIMIT:
        bucket[k] = hits
        raise too_many("device_rate_limit_exceeded", hits[0] + DEVICE_OP_WINDOW, now,
                       app_id=app_id, device_id=device_id, operation=op)
    hits.append(now)
    bucket[k] = hits


def check_device_same_set(state, app_id, device_id, channel, now):
    """429 when the same (app, device, channel) POST was attempted within 60 s."""
    last = _bucket(state, "device_set").get((app_id, device_id, channel))
    if last is not None and now - last < DEVICE_SAME_SET_WINDOW:
        raise too_many("channel_set_rate_limit_exceeded", last + DEVICE_SAME_SET_WINDOW, now,
                       app_id=app_id, device_id=device_id, channel=channel)


def record_device_same_set(state, app_id, device_id, channel, now):
    """Record a POST /device attempt (call it in a ``finally``: counts even on failure)."""
    _bucket(state, "device_set")[(app_id, device_id, channel)] = now
