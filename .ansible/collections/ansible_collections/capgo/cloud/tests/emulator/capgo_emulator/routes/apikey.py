"""/apikey (capgo-api.md §2.1): RBAC API keys, JWT-only creation, secrets only on create/regenerate."""

import copy
import re

from ..auth import PRIVILEGED_ROLES, ROLES, assignable
from ..errors import ApiError
from ..schema import is_uuid, iso, parse_iso, sha256_hex
from . import route
from .common import is_int

ID_RE = re.compile(r"^[A-Za-z0-9._:-]{8,256}$")
PUBLIC_FIELDS = ("id", "name", "user_id", "rbac_id", "created_at", "updated_at", "expires_at")


def public_key(state, key):
    out = {k: key.get(k) for k in PUBLIC_FIELDS}
    out["is_hashed_key"] = key.get("key") is None
    out["global_permissions"] = list(key.get("global_permissions") or [])
    return out


def raw_row(key):
    return {k: copy.deepcopy(key.get(k)) for k in
            ("id", "rbac_id", "name", "user_id", "key", "key_hash", "created_at",
             "updated_at", "expires_at", "global_permissions")}


def check_id_format(value):
    if value is None or value == "":
        return None
    text = str(value)
    if is_int(value) or text.isdigit() or is_uuid(text) or ID_RE.match(text):
        return text
    raise ApiError("invalid_id_format", "Invalid id format")


def manageable_orgs(principal):
    return set(principal.org_ids("org.manage_apikeys"))


def key_orgs(state, key):
    return {b["org_id"] for b in state.bindings_of_apikey(key) if b.get("org_id")}


def can_touch(principal, target):
    """JWT: own keys. Key caller: same owner, and every bound org manageable by the caller."""
    if target["user_id"] != principal.user["id"]:
        return False
    if principal.is_jwt:
        return True
    return key_orgs(principal.state, target) <= manageable_orgs(principal)


def find_key(state, ident):
    """Numeric id, or (plain keys only) the key value."""
    if ident.isdigit():
        found = state.apikey(int(ident))
        if found is not None:
            return found
    for key in state.apikeys:
        if key.get("key") is not None and key["key"] == ident:
            return key
    return None


# ------------------------------------------------------------------ GET
@route("GET", "/apikey")
def list_apikeys(ctx):
    principal = ctx.auth_any()
    state = ctx.state
    if not principal.is_jwt and not manageable_orgs(principal):
        raise ApiError("cannot_list_apikeys", "Cannot list API keys", 401)
    keys = [k for k in state.apikeys if can_touch(principal, k)]
    keys.sort(key=lambda k: k["id"])
    return [public_key(state, k) for k in keys]


@route("GET", "/apikey/<ident>")
def get_apikey(ctx, ident):
    principal = ctx.auth_any()
    state = ctx.state
    ident = check_id_format(ident)
    if not principal.is_jwt and not manageable_orgs(principal):
        raise ApiError("cannot_get_apikey", "Cannot get API key", 401)
    key = find_key(state, ident) if ident else None
    if key is None or not can_touch(principal, key):
        raise ApiError("failed_to_get_apikey", "Failed to get API key", 404)
    return public_key(state, key)


# ------------------------------------------------------------------ bindings
def parse_bindings(state, value):
    """Validate a bindings array -> list of resolved dicts (raises the 400/404s)."""
    if value is None:
        raise ApiError("bindings_required", "At least one role binding is required")
    if not isinstance(value, list):
        raise ApiError("invalid_bindings", "bindings must be an array")
    if not value:
        raise ApiError("bindings_required", "At least one role binding is required")
    out = []
    for index, b in enumerate(value):
        def bad(message):
            return ApiError("invalid_bindings", message, 400, {"index": index})
        if not isinstance(b, dict):
            raise bad("Each binding must be an object")
        role = b.get("role_name")
        scope = b.get("scope_type")
        if not isinstance(role, str) or role not in ROLES or not assignable(role):
            raise bad("Invalid role_name")
        if scope not in ("org", "app", "channel"):
            raise bad("Invalid scope_type")
        if ROLES[role]["scope"] != scope:
            raise bad("Role %s cannot be bound at %s scope" % (role, scope))
        org_id = b.get("org_id")
        if not is_uuid(org_id):
            raise bad("org_id must be a UUID")
        app_uuid = b.get("app_id")
        channel_id = b.get("channel_id")
        if scope in ("app", "channel"):
            if not is_uuid(app_uuid):
                raise bad("app_id (the app UUID) is required for %s scope" % scope)
        else:
            app_uuid = None
        if scope == "channel":
            if is_int(channel_id):
                pass
            elif isinstance(channel_id, str) and channel_id.isdigit():
                channel_id = int(channel_id)
            else:
                raise bad("channel_id is required for channel scope")
        else:
            channel_id = None
        reason = b.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise bad("reason must be a string")
        out.append({"role_name": role, "scope_type": scope, "org_id": org_id,
                    "app_id": app_uuid, "channel_id": channel_id, "reason": reason})
    return out


def check_binding_targets(state, bindings):
    for b in bindings:
        if state.org(b["org_id"]) is None:
            raise ApiError("binding_failed", "Organization not found", 404,
                           {"org_id": b["org_id"]})
        if b["app_id"]:
            app = state.app_by_uuid(b["app_id"])
            if app is None or app["owner_org"] != b["org_id"]:
                raise ApiError("binding_failed", "App not found in organization", 404,
                               {"app_id": b["app_id"]})
            if b["channel_id"] is not None:
                chan = state.channel(b["channel_id"])
                if chan is None or chan["app_id"] != app["app_id"]:
                    raise ApiError("binding_failed", "Channel not found in app", 404,
                                   {"channel_id": b["channel_id"]})


def check_binding_rights(principal, bindings, code="forbidden_binding"):
    for b in bindings:
        if not principal.has_perm("org.manage_apikeys", org_id=b["org_id"]):
            raise ApiError(code, "You cannot manage API keys in this organization", 403,
                           {"org_id": b["org_id"]})
        if b["role_name"] in PRIVILEGED_ROLES and not principal.has_perm(
                "org.update_user_roles", org_id=b["org_id"]):
            raise ApiError(code, "You cannot grant role %s" % b["role_name"], 403,
                           {"role_name": b["role_name"]})


def check_duplicates(bindings):
    seen = set()
    for b in bindings:
        k = (b["role_name"], b["scope_type"], b["org_id"], b["app_id"], b["channel_id"])
        if k in seen:
            raise ApiError("duplicate_binding", "Duplicate role binding", 409)
        seen.add(k)


def parse_expires_at(ctx, value):
    if value is None:
        return None
    ts = parse_iso(value) if isinstance(value, str) else None
    if ts is None or ts <= ctx.now():
        raise ApiError("invalid_expiration_date",
                       "Expiration date must be a valid date in the future")
    return iso(ts)


def check_expiration_policy(ctx, org_ids, expires_at):
    state = ctx.state
    for org_id in org_ids:
        org = state.org(org_id)
        if org is None:
            continue
        if org.get("require_apikey_expiration") and not expires_at:
            raise ApiError("expiration_required",
                           "This organization requires API keys to have an expiration date",
                           400, {"org_id": org_id})
        days = org.get("max_apikey_expiration_days")
        if expires_at and days:
            if parse_iso(expires_at) > ctx.now() + days * 86400 + 1:
                raise ApiError("expiration_exceeds_max",
                               "Expiration exceeds the organization's maximum of %d days"
                               % days, 400, {"org_id": org_id, "max_days": days})


def check_global_permissions(value, bindings):
    if value is None:
        return []
    if not isinstance(value, list) or any(p != "org.create" for p in value):
        raise ApiError("invalid_global_permissions", "Only org.create is allowed")
    if value and not any(b["scope_type"] == "org" and b["role_name"] in
                         ("org_admin", "org_super_admin") for b in bindings):
        raise ApiError("invalid_global_permissions",
                       "org.create needs an org_admin or org_super_admin org binding")
    return sorted(set(value))


# ------------------------------------------------------------------ POST
@route("POST", "/apikey")
def create_apikey(ctx):
    principal = ctx.auth_any()
    if not principal.is_jwt:
        raise ApiError("cannot_create_apikey", "API keys cannot create other API keys")
    data = ctx.parse_body()
    state = ctx.state
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError("name_is_required", "Name is required")
    bindings = parse_bindings(state, data.get("bindings"))
    expires_at = parse_expires_at(ctx, data.get("expires_at"))
    global_perms = check_global_permissions(data.get("global_permissions"), bindings)
    check_binding_rights(principal, bindings)
    check_binding_targets(state, bindings)
    check_duplicates(bindings)
    orgs = sorted({b["org_id"] for b in bindings})
    check_expiration_policy(ctx, orgs, expires_at)
    hashed = data.get("hashed") is True
    if not hashed and any(state.org(o).get("enforce_hashed_api_keys") for o in orgs):
        raise ApiError("failed_to_create_apikey",
                       "This organization only allows hashed API keys", 400)
    secret = state.uuid()
    now = state.stamp()
    key = {"id": state.next_id("apikeys"), "rbac_id": state.uuid(), "name": name,
           "user_id": principal.user["id"], "key": None if hashed else secret,
           "key_hash": sha256_hex(secret) if hashed else None, "created_at": now,
           "updated_at": now, "expires_at": expires_at, "global_permissions": global_perms}
    state.apikeys.append(key)
    for b in bindings:
        state.new_binding("apikey", key["rbac_id"], b["role_name"], b["scope_type"],
                          b["org_id"], b["app_id"], b["channel_id"], b["reason"],
                          granted_by=principal.user["id"])
    out = raw_row(key)
    out["key"] = secret
    return out


# ------------------------------------------------------------------ PUT
def _update(ctx, ident, data):
    principal = ctx.auth_any()
    state = ctx.state
    if ident is None:
        ident = data.get("id")
        if ident is None or ident == "":
            raise ApiError("api_key_id_required", "API key id is required")
    ident = check_id_format(ident)
    fields = [f for f in ("name", "expires_at", "regenerate", "bindings", "global_permissions")
              if f in data]
    if not fields:
        raise ApiError("no_valid_fields_provided_for_update", "No valid fields provided for "
                       "update")
    if "name" in data and not isinstance(data["name"], str):
        raise ApiError("name_must_be_a_string", "Name must be a string")
    if "regenerate" in data and not isinstance(data["regenerate"], bool):
        raise ApiError("regenerate_must_be_boolean", "regenerate must be a boolean")
    expires_at = parse_expires_at(ctx, data["expires_at"]) if "expires_at" in data else None
    new_bindings = parse_bindings(state, data["bindings"]) if "bindings" in data else None
    if not principal.is_jwt and not manageable_orgs(principal):
        raise ApiError("cannot_update_apikey", "Cannot update API key", 401)
    key = find_key(state, ident)
    if key is None or key["user_id"] != principal.user["id"]:
        raise ApiError("api_key_not_found_or_access_denied", "API key not found or access "
                       "denied", 404)
    if not principal.is_jwt:
        if key["id"] == principal.apikey["id"]:
            raise ApiError("cannot_update_apikey", "An API key cannot update itself", 401)
        if "bindings" in data or "global_permissions" in data:
            raise ApiError("cannot_update_apikey",
                           "API keys cannot change bindings or global permissions", 401)
        if not can_touch(principal, key):
            raise ApiError("cannot_update_apikey", "Cannot update API key", 401)
    old_bindings = state.bindings_of_apikey(key)
    if not old_bindings and new_bindings is None:
        raise ApiError("apikey_missing_rbac_bindings", "API key has no role bindings", 409)
    bindings_for_checks = new_bindings if new_bindings is not None else old_bindings
    global_perms = None
    if "global_permissions" in data:
        global_perms = check_global_permissions(data["global_permissions"],
                                                bindings_for_checks)
    if new_bindings is not None:
        old_orgs = {b["org_id"] for b in old_bindings}
        new_orgs = {b["org_id"] for b in new_bindings}
        for org_id in sorted(old_orgs | new_orgs):
            if not principal.has_perm("org.update_user_roles", org_id=org_id):
                raise ApiError("forbidden_binding", "You cannot change role bindings in this "
                               "organization", 403, {"org_id": org_id})
        check_binding_rights(principal, new_bindings)
        check_binding_targets(state, new_bindings)
        check_duplicates(new_bindings)
    final_exp = expires_at if "expires_at" in data else key.get("expires_at")
    if "expires_at" in data or new_bindings is not None:
        orgs = sorted({b["org_id"] for b in bindings_for_checks if b.get("org_id")})
        check_expiration_policy(ctx, orgs, final_exp)
    # apply
    if "name" in data:
        key["name"] = data["name"]
    if "expires_at" in data:
        key["expires_at"] = expires_at
    if global_perms is not None:
        key["global_permissions"] = global_perms
    if new_bindings is not None:
        state.role_bindings = [b for b in state.role_bindings
                               if not (b["principal_type"] == "apikey"
                                       and b["principal_id"] == key["rbac_id"])]
        for b in new_bindings:
            state.new_binding("apikey", key["rbac_id"], b["role_name"], b["scope_type"],
                              b["org_id"], b["app_id"], b["channel_id"], b["reason"],
                              granted_by=principal.user["id"])
    key["updated_at"] = state.stamp()
    if data.get("regenerate") is True:
        secret = state.uuid()
        if key.get("key") is None:
            key["key_hash"] = sha256_hex(secret)
        else:
            key["key"] = secret
        out = raw_row(key)
        out["key"] = secret
        out["is_hashed_key"] = key["key_hash"] is not None and key.get("key") is None
        return out
    return public_key(state, key)


@route("PUT", "/apikey/<ident>")
def put_apikey(ctx, ident):
    principal = ctx.auth_any()  # authenticate before reading the body
    del principal
    return _update(ctx, ident, ctx.parse_body())


@route("PUT", "/apikey")
def put_apikey_body(ctx):
    ctx.auth_any()
    return _update(ctx, None, ctx.parse_body())


# ------------------------------------------------------------------ DELETE
@route("DELETE", "/apikey/<ident>")
def delete_apikey(ctx, ident):
    principal = ctx.auth_any()
    state = ctx.state
    ident = check_id_format(ident)
    if not principal.is_jwt and not manageable_orgs(principal):
        raise ApiError("cannot_delete_apikey", "Cannot delete API key", 401)
    key = find_key(state, ident) if ident else None
    if key is None or key["user_id"] != principal.user["id"]:
        raise ApiError("api_key_not_found", "API key not found", 404)
    if not principal.is_jwt:
        if key["id"] == principal.apikey["id"]:
            raise ApiError("cannot_delete_apikey", "An API key cannot delete itself", 401)
        if not can_touch(principal, key):
            raise ApiError("cannot_delete_apikey", "Cannot delete API key", 401)
    state.apikeys = [k for k in state.apikeys if k is not key]
    state.role_bindings = [b for b in state.role_bindings
                           if not (b["principal_type"] == "apikey"
                                   and b["principal_id"] == key["rbac_id"])]
    return {"status": "ok"}
