"""/app (capgo-api.md §2.7)."""

import copy

from ..errors import ApiError
from ..schema import APP_DEFAULTS, DEFAULT_RETENTION
from . import route
from .common import js_parse_int, numeric, require_app_id

MAX_RETENTION = 63113904
PUT_BOOL_FIELDS = ("expose_metadata", "allow_device_custom_id", "need_onboarding",
                   "existing_app", "block_provider_infra_requests")


def app_row(app):
    return copy.deepcopy(app)


def delete_app_cascade(state, app):
    """Hard-delete an app and everything hanging off it."""
    app_id = app["app_id"]
    channel_ids = {c["id"] for c in state.channels if c["app_id"] == app_id}
    state.apps = [a for a in state.apps if a is not app]
    state.bundles = [b for b in state.bundles if b["app_id"] != app_id]
    state.channels = [c for c in state.channels if c["app_id"] != app_id]
    state.devices = [d for d in state.devices if d["app_id"] != app_id]
    state.device_overrides = [o for o in state.device_overrides if o["app_id"] != app_id]
    state.stats = [s for s in state.stats if s["app_id"] != app_id]
    state.role_bindings = [b for b in state.role_bindings
                           if b.get("app_id") != app["id"]
                           and b.get("channel_id") not in channel_ids]
    state.members = [m for m in state.members if m.get("app_id") != app["id"]]


@route("GET", "/app")
def list_apps(ctx):
    principal = ctx.auth_key()
    state = ctx.state
    page = js_parse_int(ctx.query.get("page"), 0)
    limit = js_parse_int(ctx.query.get("limit"), 50)
    org_id = ctx.query.get("org_id")
    if org_id:
        if state.org(org_id) is None or not principal.has_perm("org.read", org_id=org_id):
            raise ApiError("user_does_not_have_access_to_this_organization",
                           "You don't have access to this organization", 400,
                           {"org_id": org_id})
        org_ids = {org_id}
    else:
        org_ids = set(principal.bound_org_ids())
    apps = [a for a in state.apps if a["owner_org"] in org_ids
            and principal.has_perm("app.read", app=a)]
    if limit <= 0 or page < 0:
        return []
    start = page * limit
    return [app_row(a) for a in apps[start:start + limit]]


@route("GET", "/app/<app_id>")
def get_app(ctx, app_id):
    principal = ctx.auth_key()
    require_app_id(app_id)
    app = ctx.state.app_by_app_id(app_id)
    if app is None or not principal.has_perm("app.read", app=app):
        raise ApiError("cannot_access_app", "You can't access this app", 401,
                       {"app_id": app_id})
    return app_row(app)


@route("POST", "/app")
def create_app(ctx):
    principal = ctx.auth_any()
    data = ctx.body_or_query()
    state = ctx.state
    app_id = require_app_id(data.get("app_id"))
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ApiError("missing_name", "Missing name")
    owner_org = data.get("owner_org")
    if not isinstance(owner_org, str) or not owner_org:
        raise ApiError("missing_owner_org", "Missing owner_org")
    if state.org(owner_org) is None or not principal.has_perm("org.create_app",
                                                              org_id=owner_org):
        raise ApiError("cannot_access_organization", "You can't access this organization",
                       403, {"owner_org": owner_org})
    if state.app_by_app_id(app_id) is not None:
        raise ApiError("app_id_already_exists", "App ID already exists", 409, {
            "app_id": app_id, "constraint": "apps_pkey",
            "detail": "Key (app_id)=(%s) already exists." % app_id})
    for key in ("need_onboarding", "existing_app"):
        if key in data and not isinstance(data[key], bool):
            raise ApiError("cannot_create_app", "Cannot create app", 400,
                           {"field": key})
    for key in ("icon", "ios_store_url", "android_store_url"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ApiError("cannot_create_app", "Cannot create app", 400, {"field": key})
    now = state.stamp()
    app = copy.deepcopy(APP_DEFAULTS)
    app.update({"app_id": app_id, "id": state.uuid(), "name": name, "owner_org": owner_org,
                "user_id": principal.user["id"], "created_at": now, "updated_at": now,
                "retention": DEFAULT_RETENTION, "default_upload_channel": "dev"})
    if data.get("icon") is not None:
        app["icon_url"] = data["icon"]
    for key in ("need_onboarding", "existing_app", "ios_store_url", "android_store_url"):
        if data.get(key) is not None:
            app[key] = data[key]
    state.apps.append(app)
    state.add_audit("apps", app["id"], "INSERT", owner_org, None, app, principal)
    return app_row(app)


@route("PUT", "/app/<app_id>")
def update_app(ctx, app_id):
    principal = ctx.auth_key()
    data = ctx.body_or_query()
    state = ctx.state
    require_app_id(app_id)
    app = state.app_by_app_id(app_id)
    if app is None or not principal.has_perm("app.update_settings", app=app):
        raise ApiError("cannot_access_app", "You can't access this app", 401,
                       {"app_id": app_id})
    updates = {}
    if "retention" in data and data["retention"] is not None:
        retention = numeric(data["retention"])
        if retention is None:
            raise ApiError("cannot_update_app", "Cannot update app", 400,
                           {"field": "retention"})
        if retention >= MAX_RETENTION:
            raise ApiError("retention_to_big", "Retention is too big", 400,
                           {"max": MAX_RETENTION})
        if retention < 0:
            raise ApiError("retention_to_small", "Retention must be positive")
        updates["retention"] = int(retention) if float(retention).is_integer() else retention
    if "name" in data and data["name"] is not None:
        if not isinstance(data["name"], str):
            raise ApiError("cannot_update_app", "Cannot update app", 400, {"field": "name"})
        updates["name"] = data["name"]
    if "icon" in data and data["icon"] is not None:
        if not isinstance(data["icon"], str):
            raise ApiError("cannot_update_app", "Cannot update app", 400, {"field": "icon"})
        updates["icon_url"] = data["icon"]
    for key in PUT_BOOL_FIELDS:
        if key in data and data[key] is not None:
            if not isinstance(data[key], bool):
                raise ApiError("cannot_update_app", "Cannot update app", 400, {"field": key})
            updates[key] = data[key]
    for key in ("ios_store_url", "android_store_url"):
        if key in data:
            if data[key] is not None and not isinstance(data[key], str):
                raise ApiError("cannot_update_app", "Cannot update app", 400, {"field": key})
            updates[key] = data[key]
    if not updates:  # app/put.ts: an update of nothing selects no row, `.single()` fails
        raise ApiError("cannot_update_app", "Cannot update app", 400,
                       {"supabaseError": "no updatable field"})
    old = copy.deepcopy(app)
    app.update(updates)
    app["updated_at"] = state.stamp()
    state.add_audit("apps", app["id"], "UPDATE", app["owner_org"], old, app, principal)
    return app_row(app)


@route("DELETE", "/app/<app_id>")
def delete_app(ctx, app_id):
    principal = ctx.auth_key()
    state = ctx.state
    require_app_id(app_id)  # the app-id pattern is checked before the permission
    app = state.app_by_app_id(app_id)
    if app is None or not principal.has_perm("app.delete", app=app):
        raise ApiError("cannot_delete_app", "You can't delete this app", 400,
                       {"app_id": app_id})
    old = copy.deepcopy(app)
    delete_app_cascade(state, app)
    state.add_audit("apps", app["id"], "DELETE", app["owner_org"], old, None, principal)
    return {"status": "ok"}
