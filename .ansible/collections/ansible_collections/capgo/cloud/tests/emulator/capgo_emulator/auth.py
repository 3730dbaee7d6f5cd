"""Authentication middlewares (middlewareKey / middlewareAuth) and RBAC (capgo-api.md §1.3, §1.5)."""

from . import ratelimit
from .errors import ApiError
from .schema import is_uuid

# --------------------------------------------------------------------------- permissions
ORG_PERMS = (
    "org.read", "org.update_settings", "org.delete", "org.read_members", "org.invite_user",
    "org.update_user_roles", "org.manage_apikeys", "org.create_app", "org.read_billing",
    "org.update_billing", "org.read_invoices", "org.read_audit", "org.read_billing_audit",
)
APP_PERMS = (
    "app.read", "app.update_settings", "app.delete", "app.read_bundles", "app.upload_bundle",
    "app.create_channel", "app.read_channels", "app.read_logs", "app.manage_devices",
    "app.read_devices", "app.build_native", "app.read_audit", "app.update_user_roles",
    "app.transfer", "app.send_notifications",
)
BUNDLE_PERMS = ("bundle.read", "bundle.update", "bundle.delete")
CHANNEL_PERMS = (
    "channel.read", "channel.update_settings", "channel.delete", "channel.read_history",
    "channel.promote_bundle", "channel.rollback_bundle", "channel.manage_forced_devices",
    "channel.read_forced_devices", "channel.read_audit",
)
ALL_PERMS = ORG_PERMS + APP_PERMS + BUNDLE_PERMS + CHANNEL_PERMS

_CHANNEL_DEVELOPER = (
    "channel.read", "channel.read_history", "channel.promote_bundle", "channel.rollback_bundle",
    "channel.manage_forced_devices", "channel.read_forced_devices", "channel.read_audit",
)
_CHANNEL_READER = ("channel.read", "channel.read_history", "channel.read_forced_devices",
                   "channel.read_audit")

# name -> scope, priority, assignable (through bindings), permissions
ROLES = {
    "org_super_admin": {"scope": "org", "priority": 95, "perms": ALL_PERMS},
    "org_admin": {"scope": "org", "priority": 90, "perms": (
        "org.read", "org.create_app", "org.update_settings", "org.read_members",
        "org.invite_user", "org.update_user_roles", "org.manage_apikeys", "org.read_billing",
        "org.read_invoices", "org.read_audit", "org.read_billing_audit",
        "app.read", "app.update_settings", "app.read_bundles", "app.upload_bundle",
        "app.create_channel", "app.read_channels", "app.read_logs", "app.manage_devices",
        "app.read_devices", "app.build_native", "app.read_audit", "app.update_user_roles",
        "bundle.read", "bundle.update",
        "channel.read", "channel.update_settings", "channel.read_history",
        "channel.promote_bundle", "channel.rollback_bundle", "channel.manage_forced_devices",
        "channel.read_forced_devices", "channel.read_audit")},
    "org_billing_admin": {"scope": "org", "priority": 80, "perms": (
        "org.read", "org.create_app", "org.read_billing", "org.update_billing",
        "org.read_invoices", "org.read_billing_audit")},
    "apikey_manager": {"scope": "org", "priority": 78, "perms": (
        "org.manage_apikeys", "org.read")},
    "org_member": {"scope": "org", "priority": 75, "perms": (
        "org.read", "org.create_app", "org.read_members")},
    "app_admin": {"scope": "app", "priority": 70, "perms": tuple(
        p for p in APP_PERMS + BUNDLE_PERMS + CHANNEL_PERMS
        if p not in ("app.delete", "app.transfer"))},
    "app_preview": {"scope": "app", "priority": 69, "perms": (
        "app.read", "app.read_bundles", "app.upload_bundle", "app.create_channel")},
    "app_developer": {"scope": "app", "priority": 68, "perms": (
        "app.read", "app.read_bundles", "app.upload_bundle", "app.create_channel",
        "app.read_channels", "app.read_logs", "app.manage_devices", "app.read_devices",
        "app.read_audit", "bundle.read") + _CHANNEL_DEVELOPER},
    "app_uploader": {"scope": "app", "priority": 66, "perms": (
        "app.read", "app.read_bundles", "app.upload_bundle", "app.read_channels",
        "app.read_logs", "app.read_devices", "app.read_audit", "bundle.read",
        "channel.read", "channel.promote_bundle")},
    "app_reader": {"scope": "app", "priority": 65, "perms": (
        "app.read", "app.read_bundles", "app.read_channels", "app.read_logs",
        "app.read_devices", "app.read_audit", "bundle.read") + _CHANNEL_READER},
    "app_notifications": {"scope": "app", "priority": 64, "perms": (
        "app.read", "app.send_notifications")},
    "bundle_admin": {"scope": "app", "priority": 62, "perms": (
        "bundle.read", "bundle.update", "bundle.delete")},
    "bundle_reader": {"scope": "app", "priority": 61, "perms": ("bundle.read",)},
    "channel_admin": {"scope": "channel", "priority": 60, "perms": CHANNEL_PERMS},
    "channel_developer": {"scope": "channel", "priority": 58, "perms": _CHANNEL_DEVELOPER},
    "channel_uploader": {"scope": "channel", "priority": 57, "perms": (
        "channel.read", "channel.promote_bundle")},
    "channel_reader": {"scope": "channel", "priority": 55, "perms": _CHANNEL_READER},
    "channel_preview": {"scope": "channel", "priority": 54, "system": True, "perms": (
        "channel.read", "channel.promote_bundle", "channel.delete")},
    "apikey_org_reader": {"scope": "org", "priority": 10, "system": True,
                          "perms": ("org.read",)},
}
for _r in ROLES.values():
    _r["perms"] = frozenset(_r["perms"])

# Roles only a caller holding org.update_user_roles may hand out (POST /apikey).
PRIVILEGED_ROLES = ("org_super_admin", "org_admin", "app_admin", "app_preview", "channel_admin")


def role_perms(role_name):
    role = ROLES.get(role_name)
    return role["perms"] if role else frozenset()


def role_priority(role_name):
    role = ROLES.get(role_name)
    return role["priority"] if role else 0


def assignable(role_name):
    role = ROLES.get(role_name)
    return bool(role) and not role.get("system")


# --------------------------------------------------------------------------- principal
class Principal:
    """Who is calling: ``user`` always, ``apikey`` for key callers (None for a JWT)."""

    def __init__(self, state, user, apikey=None, is_jwt=False):
        self.state = state
        self.user = user
        self.apikey = apikey
        self.is_jwt = is_jwt

    def __repr__(self):
        if self.apikey is not None:
            return "<Principal key %s>" % self.apikey["id"]
        return "<Principal jwt %s>" % self.user["email"]

    def bindings(self):
        """Role bindings that count: the key's own, or the user's memberships for a JWT."""
        if self.apikey is not None:
            return self.state.bindings_of_apikey(self.apikey)
        return self.state.bindings_of_user(self.user)

    def _targets(self, org_id, app, channel):
        if channel is not None and app is None:
            app = self.state.app_by_app_id(channel.get("app_id"))
        if app is not None and org_id is None:
            org_id = app.get("owner_org")
        return org_id, app, channel

    def has_perm(self, perm, org_id=None, app=None, channel=None):
        org_id, app, channel = self._targets(org_id, app, channel)
        for b in self.bindings():
            if perm not in role_perms(b["role_name"]):
                continue
            scope = b["scope_type"]
            if scope == "org":
                if org_id is not None and b["org_id"] == org_id:
                    return True
            elif scope == "app":
                if app is not None and b["app_id"] == app.get("id"):
                    return True
            elif scope == "channel":
                if channel is not None and b["channel_id"] == channel.get("id"):
                    return True
        return False

    def org_ids(self, perm):
        """Org ids where the principal holds ``perm`` through an org-scoped binding."""
        out = []
        for b in self.bindings():
            if b["scope_type"] == "org" and perm in role_perms(b["role_name"]):
                if b["org_id"] not in out and self.state.org(b["org_id"]) is not None:
                    out.append(b["org_id"])
        return out

    def bound_org_ids(self):
        """Every org the principal has any binding in (org-, app- or channel-scoped)."""
        out = []
        for b in self.bindings():
            if b.get("org_id") and b["org_id"] not in out:
                out.append(b["org_id"])
        return out

    def max_priority(self, org_id):
        """Highest role priority the principal holds in an org (org-scoped bindings)."""
        best = 0
        for b in self.bindings():
            if b["scope_type"] == "org" and b["org_id"] == org_id:
                best = max(best, role_priority(b["role_name"]))
        return best

    def has_global(self, perm):
        return self.apikey is not None and perm in (self.apikey.get("global_permissions") or [])

    def meets_expiration_policy(self, org_id):
        """False when the org requires expiring keys and this key has none (JWTs pass)."""
        if self.apikey is None:
            return True
        org = self.state.org(org_id)
        if org and org.get("require_apikey_expiration") and not self.apikey.get("expires_at"):
            return False
        return True

    def check_expiration_policy(self, org_id):
        if not self.meets_expiration_policy(org_id):
            raise ApiError("org_requires_expiring_key",
                           "This organization requires API keys with an expiration date",
                           401, {"org_id": org_id})


# --------------------------------------------------------------------------- middlewares
def _fail(ctx, code, message=None):
    ratelimit.record_failed_auth(ctx.state, ctx.ip, ctx.now())
    raise ApiError(code, message, 401)


def _principal_for_key(ctx, value):
    state = ctx.state
    key = state.apikey_by_value(value)
    if key is None or state.key_expired(key) or state.key_blocked_by_hashed_policy(key):
        _fail(ctx, "invalid_apikey", "Invalid apikey")
    user = state.user(key["user_id"])
    if user is None:
        _fail(ctx, "invalid_apikey", "Invalid apikey")
    subkey_id = ctx.headers.get("x-limited-key-id")
    if subkey_id is not None:
        sub = None
        if subkey_id.strip().isdigit():
            sub = state.apikey(int(subkey_id.strip()))
        if (sub is None or sub["user_id"] != key["user_id"] or state.key_expired(sub)
                or any(b["scope_type"] == "org" and b["role_name"] == "org_super_admin"
                       for b in state.bindings_of_apikey(sub))):
            _fail(ctx, "invalid_subkey", "Invalid subkey")
        key = sub
    ratelimit.check_apikey(state, key, ctx.now())
    return Principal(state, user, key, is_jwt=False)


def middleware_key(ctx):
    """capgkey, else authorization (raw key). JWTs are unknown keys here."""
    ratelimit.check_failed_auth(ctx.state, ctx.ip, ctx.now())
    value = ctx.headers.get("capgkey") or ctx.headers.get("authorization")
    if not value:
        _fail(ctx, "no_key_provided", "No key provided")
    return _principal_for_key(ctx, value)


def middleware_auth(ctx):
    """authorization (UUID -> key, else JWT), else capgkey, else x-api-key."""
    ratelimit.check_failed_auth(ctx.state, ctx.ip, ctx.now())
    authorization = ctx.headers.get("authorization")
    if authorization:
        if is_uuid(authorization.strip()):
            return _principal_for_key(ctx, authorization.strip())
        token = authorization.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        user = ctx.state.user_by_session(token) if token else None
        if user is None:
            _fail(ctx, "invalid_jwt", "Invalid JWT")
        return Principal(ctx.state, user, None, is_jwt=True)
    value = ctx.headers.get("capgkey") or ctx.headers.get("x-api-key")
    if not value:
        _fail(ctx, "no_jwt_apikey_or_subkey", "No JWT, apikey or subkey provided")
    return _principal_for_key(ctx, value)
