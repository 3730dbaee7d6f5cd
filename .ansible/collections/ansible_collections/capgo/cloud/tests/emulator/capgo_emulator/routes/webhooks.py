"""/webhooks — GET, POST, PUT, DELETE, POST /webhooks/test, GET /webhooks/deliveries,
POST /webhooks/deliveries/retry (capgo-api.md §2.8).

The emulator never sends traffic: /webhooks/test records a simulated, successful delivery.
URL checks are syntactic only (no DNS), as strict as the live service: https only, no IP
literals, no ``localhost`` and no names that cannot be public (single label, .local,
.internal …) → invalid_url.
"""

import ipaddress
import json
import math
import re
import socket
import uuid as _uuid
from urllib.parse import urlsplit

from ..errors import ApiError
from . import route
from .common import ts

EVENTS = ("apps", "app_versions", "channels", "org_users", "orgs")
DELIVERY_VERSIONS = ("legacy", "standard")
PAGE_SIZE = 50
WEBHOOK_FIELDS = ("id", "org_id", "name", "url", "enabled", "events", "delivery_version",
                  "created_at", "updated_at", "created_by")
NON_PUBLIC_SUFFIXES = (".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa",
                       ".corp", ".private", ".test", ".invalid", ".example", ".onion")


def webhook_wire(w, with_secret=False):
    out = {f: w.get(f) for f in WEBHOOK_FIELDS}
    if with_secret:
        out["secret"] = w.get("secret")
    return out


def url_is_public(url):
    if not isinstance(url, str) or not url.strip() or any(c.isspace() for c in url.strip()):
        return False
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 — raises ValueError on a bad port
    except ValueError:
        return False
    # The live service requires https and refuses IP literals (public or not) for webhooks.
    if parts.scheme != "https" or not host:
        return False
    host = host.rstrip(".").lower()
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        pass
    if re.match(r"^[0-9a-fx.]+$", host) and re.search(r"\d", host):
        try:  # WHATWG URL parsing turns 2130706433 / 0x7f.1 / 127.1 into IPv4 addresses
            socket.inet_aton(host)
            return False
        except OSError:
            pass
    if host == "localhost" or "." not in host or host.endswith(NON_PUBLIC_SUFFIXES):
        return False
    labels = host.split(".")
    return all(re.match(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$", lab) or lab.startswith("xn--")
               for lab in labels)


def _page(value):
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ApiError("invalid_body", "Invalid page", more_info={"page": value})
    if (isinstance(value, (int, float)) and math.isfinite(value) and float(value).is_integer()
            and value >= 0):
        return int(value)
    if isinstance(value, str) and re.match(r"^\d+$", value.strip()):
        return int(value.strip())
    raise ApiError("invalid_body", "Invalid page", more_info={"page": value})


URL_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$", re.S)
SPECIAL_SCHEMES = ("http", "https", "ws", "wss", "ftp")


def is_url(value):
    """What zod's z.url() accepts: a string `new URL()` parses (a scheme; for the special
    schemes a host)."""
    if not isinstance(value, str):
        return False
    match = URL_SCHEME_RE.match(value.strip())
    if not match:
        return False
    if match.group(1).lower() in SPECIAL_SCHEMES:
        rest = match.group(2).lstrip("/\\")
        host = re.split(r"[/?#\\]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
        return bool(host) and not any(c.isspace() for c in host)
    return True


# zod field kinds of the handlers' body schemas; a trailing "?" = optional (absent, not null)
SCHEMA_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "name": lambda v: isinstance(v, str) and len(v) >= 1,
    "url": is_url,
    "events": lambda v: isinstance(v, list) and len(v) >= 1 and all(isinstance(e, str) for e in v),
    "boolean": lambda v: isinstance(v, bool),
}


def _validate_schema(body, schema):
    """The body schema of the handler, checked before anything else: 400 invalid_body."""
    for field, kind in schema.items():
        optional = kind.endswith("?")
        kind = kind.rstrip("?")
        if field not in body:
            if optional:
                continue
            raise ApiError("invalid_body", "Invalid body", more_info={"missing": field})
        if kind == "page":
            _page(body[field])
        elif not SCHEMA_CHECKS[kind](body[field]):
            raise ApiError("invalid_body", "Invalid body", more_info={"field": field})


def _guard(ctx, **schema):
    """Auth, body schema, then checkWebhookPermissionV2, shared by every /webhooks route.
    Returns (principal, body, org)."""
    principal = ctx.auth_any()
    body = ctx.body_or_query()
    _validate_schema(body, dict(schema, orgId="string"))
    st = ctx.state
    org_id = body["orgId"]
    org = st.org(org_id)
    if principal.apikey is not None:  # the key chain; a JWT has none
        if any(b.get("scope_type") in ("app", "channel") for b in st.bindings_of_apikey(principal.apikey)):
            raise ApiError("no_permission", "App-scoped API keys cannot manage organization webhooks")
        if org is None or not principal.has_perm("org.read", org_id=org_id):
            raise ApiError("invalid_org_id", "You can't access this organization", more_info={"org_id": org_id})
        principal.check_expiration_policy(org_id)
    if org is None or not principal.has_perm("org.update_settings", org_id=org_id):
        raise ApiError("no_permission", "You need admin access to manage webhooks",
                       more_info={"org_id": org_id})
    return principal, body, org


def _find(st, body, org):
    """The webhook by id (webhook_not_found), refused when it belongs to another org."""
    wid = body.get("webhookId")
    w = st.webhook(wid)
    if w is None:
        raise ApiError("webhook_not_found", "Webhook not found", more_info={"webhookId": wid})
    if w.get("org_id") != org["id"]:
        raise ApiError("no_permission", "Webhook does not belong to this organization",
                       more_info={"webhookId": wid})
    return w


def _delivery_version(body, default=None):
    """`deliveryVersion ?? delivery_version` (then the default): 400 invalid_delivery_version."""
    dv = body.get("deliveryVersion")
    if dv is None:
        dv = body.get("delivery_version")
    if dv is None:
        return default
    if dv not in DELIVERY_VERSIONS:
        raise ApiError("invalid_delivery_version", "Invalid webhook delivery version",
                       more_info={"allowed": list(DELIVERY_VERSIONS)})
    return dv


def _check_events_and_url(body):
    """The finer rules after the permission check: known event names, then a public URL."""
    events = body.get("events")
    if events is not None:
        invalid = [e for e in events if e not in EVENTS]
        if invalid:
            raise ApiError("invalid_events", "Invalid event types. Allowed events: %s" % ", ".join(EVENTS),
                           more_info={"invalid": invalid, "allowed": list(EVENTS)})
    url = body.get("url")
    if url and not url_is_public(url):
        raise ApiError("invalid_url", "URL must be a valid URL that resolves to a public host",
                       more_info={"url": url})


WRITE_SCHEMA = {"enabled": "boolean?", "deliveryVersion": "string?", "delivery_version": "string?"}


# ---------------------------------------------------------------- routes

@route("GET", "/webhooks")
def get_webhooks(ctx):
    _principal, body, org = _guard(ctx, webhookId="string?", page="page?")
    st = ctx.state
    if body.get("webhookId"):  # selected by id and org: another org's webhook is not found
        w = st.webhook(body["webhookId"])
        if w is None or w.get("org_id") != org["id"]:
            raise ApiError("webhook_not_found", "Webhook not found",
                           more_info={"webhookId": body["webhookId"]})
        out = webhook_wire(w)
        since = ctx.now() - 86400
        stats = {"success": 0, "failed": 0, "pending": 0}
        for d in st.webhook_deliveries:
            if d.get("webhook_id") == w["id"] and ts(d.get("created_at")) >= since \
                    and d.get("status") in stats:
                stats[d["status"]] += 1
        out["stats_24h"] = stats
        return out
    page = _page(body.get("page"))
    hooks = [w for w in st.webhooks if w.get("org_id") == org["id"]]
    hooks.sort(key=lambda w: ts(w.get("created_at")), reverse=True)
    return [webhook_wire(w) for w in hooks[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]]


@route("POST", "/webhooks")
def post_webhook(ctx):
    principal, body, org = _guard(ctx, name="name", url="url", events="events", **WRITE_SCHEMA)
    st = ctx.state
    delivery_version = _delivery_version(body, "legacy")
    _check_events_and_url(body)
    now = st.stamp()
    row = {"id": st.uuid(), "org_id": org["id"], "name": body["name"], "url": body["url"].strip(),
           "enabled": body.get("enabled", True), "events": list(dict.fromkeys(body["events"])),
           "delivery_version": delivery_version,
           "secret": "whsec_" + _uuid.uuid4().hex + _uuid.uuid4().hex[:16],
           "created_at": now, "updated_at": now, "created_by": (principal.user or {}).get("id")}
    st.webhooks.append(row)
    st.save()
    return 201, {"status": "Webhook created", "webhook": webhook_wire(row, with_secret=True)}


@route("PUT", "/webhooks")
def put_webhook(ctx):
    _principal, body, org = _guard(ctx, webhookId="string", name="name?", url="url?",
                                   events="events?", **WRITE_SCHEMA)
    st = ctx.state
    delivery_version = _delivery_version(body)
    w = _find(st, body, org)
    _check_events_and_url(body)
    fields = {k: body[k] for k in ("name", "enabled") if k in body}
    if "url" in body:
        fields["url"] = body["url"].strip()
    if "events" in body:
        fields["events"] = list(dict.fromkeys(body["events"]))
    if delivery_version is not None:
        fields["delivery_version"] = delivery_version
    if not fields:
        raise ApiError("no_updates", "No updates provided")
    w.update(fields)
    w["updated_at"] = st.stamp()
    st.save()
    return {"status": "Webhook updated", "webhook": webhook_wire(w)}


@route("DELETE", "/webhooks")
def delete_webhook(ctx):
    _principal, body, org = _guard(ctx, webhookId="string")
    st = ctx.state
    w = _find(st, body, org)
    st.webhooks[:] = [x for x in st.webhooks if x is not w]
    st.webhook_deliveries[:] = [d for d in st.webhook_deliveries if d.get("webhook_id") != w["id"]]
    st.save()
    return {"status": "Webhook deleted", "webhookId": w["id"]}


def _test_payload(w, org, delivery_id, now_iso):
    return {"event": "test", "event_id": delivery_id, "timestamp": now_iso, "org_id": org["id"],
            "data": {"table": "test", "operation": "TEST", "record_id": "test",
                     "old_record": None, "new_record": {"message": "This is a test webhook from Capgo"},
                     "changed_fields": None}}


@route("POST", "/webhooks/test")
def test_webhook(ctx):
    _principal, body, org = _guard(ctx, webhookId="string")
    st = ctx.state
    w = _find(st, body, org)
    now_iso = st.stamp()
    delivery_id = st.uuid()
    response_body = json.dumps({"received": True, "emulated": True})
    st.webhook_deliveries.append({
        "id": delivery_id, "webhook_id": w["id"], "org_id": org["id"], "event_type": "test",
        "audit_log_id": None, "status": "success", "request_payload": _test_payload(w, org, delivery_id, now_iso),
        "response_status": 200, "response_body": response_body, "response_headers": {},
        "attempt_count": 1, "max_attempts": 3, "next_retry_at": None, "duration_ms": 0,
        "created_at": now_iso, "completed_at": now_iso,
    })
    st.save()
    return {"success": True, "status": 200, "duration_ms": 0, "response_preview": response_body[:1000],
            "delivery_id": delivery_id, "message": "Test webhook delivered successfully"}


@route("GET", "/webhooks/deliveries")
def get_deliveries(ctx):
    _principal, body, org = _guard(ctx, webhookId="string", page="page?", status="string?")
    st = ctx.state
    w = _find(st, body, org)
    page = _page(body.get("page"))
    status = body.get("status")  # any string: an unknown status simply matches nothing
    ds = [d for d in st.webhook_deliveries if d.get("webhook_id") == w["id"]
          and (not status or d.get("status") == status)]
    ds.sort(key=lambda d: ts(d.get("created_at")), reverse=True)
    chunk = ds[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    return {"deliveries": chunk,
            "pagination": {"page": page, "per_page": PAGE_SIZE, "total": len(ds),
                           "has_more": (page + 1) * PAGE_SIZE < len(ds)}}


@route("POST", "/webhooks/deliveries/retry")
def retry_delivery(ctx):
    _principal, body, org = _guard(ctx, deliveryId="string")
    st = ctx.state
    did = body.get("deliveryId")
    d = next((x for x in st.webhook_deliveries if x.get("id") == did and x.get("org_id") == org["id"]), None)
    if d is None:
        raise ApiError("delivery_not_found", "Delivery not found", more_info={"deliveryId": did})
    if d.get("status") != "failed":
        raise ApiError("delivery_not_failed", "Only failed deliveries can be retried", more_info={"deliveryId": did})
    w = st.webhook(d.get("webhook_id"))
    if w is None or not w.get("enabled"):
        raise ApiError("webhook_disabled", "Webhook is disabled", more_info={"deliveryId": did})
    now_iso = st.stamp()
    d.update({"status": "pending", "next_retry_at": now_iso, "completed_at": None})
    st.save()
    return {"status": "Delivery queued for retry", "deliveryId": did}
