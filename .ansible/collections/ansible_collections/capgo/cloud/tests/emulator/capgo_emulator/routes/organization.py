"""/organization, /organization/members, /organization/audit (capgo-api.md §2.2)."""

import copy
import re

from ..auth import role_priority
from ..errors import ApiError
from ..schema import ORG_DEFAULTS, parse_iso
from . import route
from .common import HTML_TAG_RE, is_email, is_int, is_number, numeric, require_org_perm

PAGE_SIZE = 50
ORG_FIELDS = ("id", "created_by", "created_at", "updated_at", "logo", "name",
              "management_email", "customer_id", "website")
INVITE_TYPES = {
    "org_member": "org_member", "org_billing_admin": "org_billing_admin",
    "org_admin": "org_admin", "org_super_admin": "org_super_admin",
    "read": "org_member", "upload": "org_member", "write": "org_member",
    "admin": "org_admin", "super_admin": "org_super_admin",
}
for _k, _v in list(INVITE_TYPES.items()):
    INVITE_TYPES["invite_" + _k] = _v
INTENTS = ("ota", "builder", "both", "exploring", "unknown")
TMP_INVITE_TTL = 7 * 24 * 3600


def invalid_body(message="Invalid body", **more):
    return ApiError("invalid_body", message, 400, more or {})


def org_object(org):
    return {k: org.get(k) for k in ORG_FIELDS}


def normalize_website(value):
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_body("Invalid website")
    text = value.strip()
    if not text:
        return None
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://", text)
    if match:
        if match.group(1).lower() not in ("http", "https"):
            raise invalid_body("Website must be an http(s) URL")
    else:
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", text) and not re.match(
                r"^[^:/]+:\d+", text):
            raise invalid_body("Website must be an http(s) URL")
        text = "https://" + text
    if not re.match(r"^https?://[^\s/?#]+\.[^\s/?#]+", text) and \
            not re.match(r"^https?://localhost", text):
        raise invalid_body("Invalid website")
    return text


def _org_id_param(data, code="invalid_body", message="Invalid body"):
    org_id = data.get("orgId")
    if not isinstance(org_id, str) or not org_id:
        raise ApiError(code, message)
    return org_id


def visible_orgs(principal):
    state = principal.state
    ids = set(principal.org_ids("org.read")) | set(principal.bound_org_ids())
    return [o for o in state.orgs if o["id"] in ids]


# ------------------------------------------------------------------ /organization
@route("GET", "/organization")
def get_organization(ctx):
    principal = ctx.auth_key()
    data = ctx.body_or_query()
    page = data.get("page")
    if page is not None and not is_number(page):
        raise invalid_body("Invalid body", issues=[{"path": ["page"],
                                                    "message": "Expected number"}])
    org_id = data.get("orgId")
    if org_id is not None and not isinstance(org_id, str):
        raise invalid_body()
    if org_id:
        org = require_org_perm(ctx, principal, org_id, "org.read", "invalid_org_id")
        principal.check_expiration_policy(org_id)
        return org_object(org)
    page = int(page or 0)
    orgs = visible_orgs(principal)
    start = page * PAGE_SIZE
    return [org_object(o) for o in orgs[start:start + PAGE_SIZE]] if start >= 0 else []


@route("POST", "/organization")
def post_organization(ctx):
    principal = ctx.auth_any()
    data = ctx.body_or_query()
    state = ctx.state
    name = data.get("name")
    if not isinstance(name, str) or len(name) < 3:
        raise invalid_body("Name must be at least 3 characters")
    email = data.get("email")
    if email is not None and not is_email(email):
        raise invalid_body("Invalid email")
    mau = data.get("estimatedMau", 0)
    if not is_int(mau) or not 0 <= mau <= 1000000:
        raise invalid_body("Invalid estimatedMau")
    website = normalize_website(data.get("website")) if "website" in data else None
    intent = data.get("intent")
    if intent is not None and intent not in INTENTS:
        raise invalid_body("Invalid intent")
    if principal.apikey is not None:
        admin_bound = any(b["scope_type"] == "org" and b["role_name"] in
                          ("org_admin", "org_super_admin") and state.org(b["org_id"])
                          for b in principal.bindings())
        if not principal.has_global("org.create") or not admin_bound:
            raise ApiError("permission_denied",
                           "API key is not allowed to create organizations", 403)
    user = principal.user
    now = state.stamp()
    org = dict(copy.deepcopy(ORG_DEFAULTS))
    org.update({"id": state.uuid(), "name": name, "created_by": user["id"],
                "management_email": email or user["email"], "created_at": now,
                "updated_at": now, "website": website})
    state.orgs.append(org)
    state.new_member(org["id"], user, "org_super_admin")
    if principal.apikey is not None:
        state.new_binding("apikey", principal.apikey["rbac_id"], "org_super_admin", "org",
                          org["id"], granted_by=user["id"])
    state.add_audit("orgs", org["id"], "INSERT", org["id"], None, org, principal)
    return {"id": org["id"]}


BOOL_FIELDS = ("require_apikey_expiration", "enforce_hashed_api_keys",
               "enforce_encrypted_bundles", "enforcing_2fa")


def _put_schema(data):
    """organization/put.ts's zod schema (400 invalid_body), checked before the permission."""
    _org_id_param(data)
    optional_str = ("logo", "name")
    nullable_str = ("website", "required_encryption_key")
    for key in optional_str:
        if key in data and not isinstance(data[key], str):
            raise invalid_body("Invalid %s" % key)
    for key in nullable_str:
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise invalid_body("Invalid %s" % key)
    if "management_email" in data and not is_email(data["management_email"]):
        raise invalid_body("Invalid management_email")
    for key in BOOL_FIELDS:
        if key in data and not isinstance(data[key], bool):
            raise invalid_body("%s must be a boolean" % key)
    value = data.get("max_apikey_expiration_days")
    if value is not None and not is_number(value):
        raise invalid_body("Invalid max_apikey_expiration_days")
    value = data.get("password_policy_config")
    if value is None:
        return
    if not isinstance(value, dict) or not isinstance(value.get("enabled"), bool):
        raise invalid_body("Invalid password_policy_config")
    ml = value.get("min_length", 6)
    if not is_int(ml) or not 6 <= ml <= 72:
        raise invalid_body("Invalid password_policy_config.min_length")
    for key in ("require_uppercase", "require_number", "require_special"):
        if key in value and not isinstance(value[key], bool):
            raise invalid_body("Invalid password_policy_config.%s" % key)


def _put_updates(data, principal):
    """The finer rules organization/put.ts applies after the permission check, and the
    resulting column updates."""
    if data.get("enforcing_2fa") and not principal.user.get("mfa_enabled"):
        raise ApiError("requires_2fa_to_enforce_2fa",
                       "You must enable 2FA before enforcing it for the organization")
    value = data.get("max_apikey_expiration_days")
    if value is not None and (not is_int(value) or not 1 <= value <= 365):
        raise ApiError("invalid_max_expiration_days",
                       "Maximum expiration days must be between 1 and 365")
    updates = {}
    if "required_encryption_key" in data:
        value = (data["required_encryption_key"] or "").strip() or None
        if value is not None and len(value) not in (20, 21):
            raise ApiError("invalid_required_encryption_key",
                           "Encryption key fingerprint must be 20 or 21 characters")
        updates["required_encryption_key"] = value
    if "name" in data:
        name = HTML_TAG_RE.sub("", data["name"]).strip()
        if not name:
            raise invalid_body("Invalid body", error="sanitized_name_empty")
        updates["name"] = name
    if "website" in data:
        updates["website"] = normalize_website(data["website"])
    for key in ("logo", "management_email", "max_apikey_expiration_days") + BOOL_FIELDS:
        if key in data:
            updates[key] = data[key]
    value = data.get("password_policy_config")
    if "password_policy_config" in data:
        updates["password_policy_config"] = None if value is None else {
            "enabled": value["enabled"], "min_length": value.get("min_length", 6),
            "require_uppercase": bool(value.get("require_uppercase")),
            "require_number": bool(value.get("require_number")),
            "require_special": bool(value.get("require_special"))}
    return updates


@route("PUT", "/organization")
def put_organization(ctx):
    principal = ctx.auth_any()
    data = ctx.body_or_query()
    state = ctx.state
    _put_schema(data)
    org_id = data["orgId"]
    org = require_org_perm(ctx, principal, org_id, "org.update_settings")
    principal.check_expiration_policy(org_id)
    updates = _put_updates(data, principal)
    if updates:
        old = copy.deepcopy(org)
        org.update(updates)
        org["updated_at"] = state.stamp()
        state.add_audit("orgs", org_id, "UPDATE", org_id, old, org, principal)
    return {"status": "Organization updated", "id": org_id, "data": copy.deepcopy(org)}


@route("DELETE", "/organization")
def delete_organization(ctx):
    principal = ctx.auth_key()
    data = ctx.body_or_query()
    state = ctx.state
    org_id = data.get("orgId")
    if not isinstance(org_id, str) or not org_id:
        raise ApiError("missing_org_id", "Missing orgId")
    org = require_org_perm(ctx, principal, org_id, "org.delete", "invalid_org_id",
                           "You can't delete this organization", 403)
    delete_org_cascade(state, org)
    return {"status": "ok"}


def delete_org_cascade(state, org):
    from .app import delete_app_cascade
    for app in list(state.apps_of_org(org["id"])):
        delete_app_cascade(state, app)
    state.orgs = [o for o in state.orgs if o["id"] != org["id"]]
    state.members = [m for m in state.members if m["org_id"] != org["id"]]
    state.role_bindings = [b for b in state.role_bindings if b.get("org_id") != org["id"]]
    hooks = {w["id"] for w in state.webhooks if w["org_id"] == org["id"]}
    state.webhooks = [w for w in state.webhooks if w["org_id"] != org["id"]]
    state.webhook_deliveries = [d for d in state.webhook_deliveries
                                if d.get("webhook_id") not in hooks]


# ------------------------------------------------------------------ members
def _member_visible(state, member):
    if member.get("user_id") is None:
        created = parse_iso(member.get("created_at"))
        if created is not None and state.now() - created > TMP_INVITE_TTL:
            return False
    return True


@route("GET", "/organization/members")
def get_members(ctx):
    principal = ctx.auth_key()
    data = ctx.body_or_query()
    state = ctx.state
    org_id = _org_id_param(data)
    require_org_perm(ctx, principal, org_id, "org.read_members")
    principal.check_expiration_policy(org_id)
    out = []
    for m in state.members_of(org_id):
        if not _member_visible(state, m):
            continue
        user = state.user(m["user_id"]) if m.get("user_id") else None
        out.append({"uid": user["id"] if user else m.get("tmp_id"),
                    "email": user["email"] if user else m["email"],
                    "image_url": (user.get("image_url") or "") if user else "",
                    "role": m["role"], "is_tmp": bool(m.get("is_tmp"))})
    return out


def _invite_error(data, status=400):
    return ApiError("error_inviting_user_to_organization", "Error inviting user to organization",
                    status, {"data": data})


@route("POST", "/organization/members")
def post_member(ctx):
    principal = ctx.auth_key()
    data = ctx.body_or_query()
    state = ctx.state
    org_id = data.get("orgId")
    email = data.get("email")
    invite_type = data.get("invite_type")
    if not isinstance(org_id, str) or not org_id or not is_email(email) \
            or invite_type not in INVITE_TYPES:
        raise invalid_body()
    role = INVITE_TYPES[invite_type]
    require_org_perm(ctx, principal, org_id, "org.invite_user")
    if role == "org_super_admin" and not principal.has_perm("org.update_user_roles",
                                                            org_id=org_id):
        raise _invite_error("NO_RIGHTS")
    if role_priority(role) > principal.max_priority(org_id):
        raise _invite_error("NO_RIGHTS")
    user = state.user_by_email(email)
    if user is None:
        raise _invite_error("NO_EMAIL")
    if state.member(org_id, user_id=user["id"]) or state.member(org_id, email=email):
        raise _invite_error("ALREADY_INVITED")
    member = state.new_member(org_id, user, role, is_tmp=True)
    state.add_audit("org_users", member["id"], "INSERT", org_id, None, member, principal)
    return {"status": "ok"}


@route("DELETE", "/organization/members")
def delete_member(ctx):
    principal = ctx.auth_any()
    data = ctx.body_or_query()
    state = ctx.state
    org_id = data.get("orgId")
    email = data.get("email")
    if not isinstance(org_id, str) or not org_id or not is_email(email):
        raise invalid_body()
    is_self = principal.is_jwt and principal.user["email"].lower() == email.lower()
    require_org_perm(ctx, principal, org_id, "org.update_user_roles", allow=is_self)
    user = state.user_by_email(email)
    if user is None:
        raise ApiError("user_not_found", "User not found", 404, {"email": email})
    member = state.member(org_id, user_id=user["id"])
    if member is None:
        raise ApiError("organization_member_not_found", "User is not a member of this "
                       "organization", 404, {"email": email})
    if not is_self and role_priority(member["role"]) > principal.max_priority(org_id):
        raise ApiError("cannot_delete_higher_priority_role",
                       "Cannot remove a member with a higher role than yours", 403)
    if member["role"] == "org_super_admin" and not member.get("is_tmp"):
        supers = [m for m in state.members_of(org_id)
                  if m["role"] == "org_super_admin" and not m.get("is_tmp")]
        if len(supers) <= 1:
            raise ApiError("CANNOT_REMOVE_LAST_SUPER_ADMIN",
                           "Cannot remove the last super admin of the organization")
    state.members = [m for m in state.members if m is not member]
    state.role_bindings = [b for b in state.role_bindings
                           if not (b["principal_type"] == "user"
                                   and b["principal_id"] == user["id"]
                                   and b.get("org_id") == org_id)]
    state.add_audit("org_users", member["id"], "DELETE", org_id, member, None, principal)
    return {"status": "ok"}


# ------------------------------------------------------------------ audit
@route("GET", "/organization/audit")
def get_audit(ctx):
    principal = ctx.auth_any()
    data = ctx.body_or_query()
    state = ctx.state
    org_id = _org_id_param(data)
    for key in ("tableName", "operation"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise invalid_body()
    page = numeric(data["page"]) if data.get("page") is not None else 0
    limit = numeric(data["limit"]) if data.get("limit") is not None else 50
    if page is None or limit is None or page < 0 or limit < 1 or page != int(page) \
            or limit != int(limit):
        raise invalid_body()
    page, limit = int(page), min(int(limit), 100)
    require_org_perm(ctx, principal, org_id, "org.read_audit", "invalid_org_id")
    principal.check_expiration_policy(org_id)
    rows = [a for a in state.audit if a["org_id"] == org_id]
    if data.get("tableName"):
        rows = [a for a in rows if a["table_name"] == data["tableName"]]
    if data.get("operation"):
        rows = [a for a in rows if a["operation"] == data["operation"]]
    rows.sort(key=lambda a: (a["created_at"], a["id"]), reverse=True)
    start = page * limit
    return {"data": copy.deepcopy(rows[start:start + limit]), "total": len(rows),
            "page": page, "limit": limit}
