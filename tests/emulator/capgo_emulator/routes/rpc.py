"""PostgREST functions (``POST /rest/v1/rpc/<fn>``) the CLI calls, as ``supabase/schemas/
prod.sql`` defines them. Each takes (state, principal or None, args) and returns the JSON result.
Not a route module: routes/rest.py dispatches here by name.
"""

from ..errors import PgError
from ..schema import to_int_id


def _app(st, app_id):
    return st.app_by_app_id(app_id) if isinstance(app_id, str) else None


def _key_principal(st, principal, apikey):
    """The principal of an ``apikey`` argument (else the capgkey header's)."""
    if isinstance(apikey, str) and apikey:
        from ..auth import Principal
        key = st.apikey_by_value(apikey)
        if key is None or st.key_expired(key):
            return None
        user = st.user(key["user_id"])
        return Principal(st, user, key) if user else None
    return principal


def get_user_id(st, principal, args):
    p = _key_principal(st, principal, args.get("apikey"))
    if p is None:
        return None
    app_id = args.get("app_id")
    if app_id is not None and not p.has_perm("app.read", app=_app(st, app_id) or {}):
        return None
    return p.user["id"]


def request_actor_user_id(st, principal, args):
    return principal.user["id"] if principal else None


def exist_app_v2(st, principal, args):
    app = _app(st, args.get("appid"))
    return bool(app and principal and principal.has_perm("app.read", app=app))


def exist_app_versions(st, principal, args):
    app = _app(st, args.get("appid"))
    p = _key_principal(st, principal, args.get("apikey"))
    if app is None or p is None or not p.has_perm("app.read_bundles", app=app):
        return False
    name = args.get("name_version")
    return any(b["name"] == name and b.get("owner_org") == app["owner_org"]
               for b in st.bundles_of(app["app_id"]))


def get_app_versions(st, principal, args):
    app = _app(st, args.get("appid"))
    p = _key_principal(st, principal, args.get("apikey"))
    if app is None or p is None or not p.has_perm("app.read_bundles", app=app):
        return None
    for b in st.bundles_of(app["app_id"]):
        if b["name"] == args.get("name_version") and b.get("owner_org") == app["owner_org"]:
            return b["id"]
    return None


def cli_check_permission(st, principal, args):
    p = _key_principal(st, principal, args.get("apikey"))
    perm = args.get("permission_key")
    if p is None or not isinstance(perm, str):
        return False
    channel = None
    if args.get("channel_id") is not None:
        channel = st.channel(to_int_id(args.get("channel_id")))
        if channel is None:
            return False
    if args.get("app_id"):
        app = _app(st, args["app_id"])
        return bool(app) and p.has_perm(perm, app=app, channel=channel)
    if args.get("org_id"):
        return p.has_perm(perm, org_id=args["org_id"])
    return False


def _mfa_blocks(st, principal, org_id):
    org = st.org(org_id)
    return bool(org and org.get("enforcing_2fa") and principal is not None
                and not principal.user.get("mfa_enabled"))


def reject_access_due_to_2fa_for_app(st, principal, args):
    app = _app(st, args.get("app_id"))
    if app is None or principal is None:
        return False
    if not principal.has_perm("app.read", app=app) and not any(
            principal.has_perm("channel.read", app=app, channel=c)
            for c in st.channels_of(app["app_id"])):
        return False
    return _mfa_blocks(st, principal, app["owner_org"])


def reject_access_due_to_2fa_for_org(st, principal, args):
    org_id = args.get("org_id")
    if principal is None or not principal.has_perm("org.read", org_id=org_id):
        return False
    return _mfa_blocks(st, principal, org_id)


def is_allowed_action_org(st, principal, args):
    """Plan checks: every emulated organization has a valid plan."""
    return st.org(args.get("orgid")) is not None


def is_allowed_action_org_action(st, principal, args):
    return st.org(args.get("orgid")) is not None


def get_organization_cli_warnings(st, principal, args):
    return []


def get_channel_current_bundle_rbac(st, principal, args):
    channel = st.channel(to_int_id(args.get("p_channel_id")))
    app = _app(st, args.get("p_app_id"))
    if channel is None or app is None or channel["app_id"] != app["app_id"]:
        return []
    if principal is None or not principal.has_perm("channel.read", app=app, channel=channel):
        raise PgError(403, "42501", "permission denied")
    bundle = st.bundle(channel.get("version")) if channel.get("version") is not None else None
    return [{"bundle_name": bundle["name"] if bundle else None}]


def is_trial_org(st, principal, args):
    """Days left in the trial: emulated organizations are on a paid plan."""
    return 0


def is_paying_org(st, principal, args):
    return st.org(args.get("orgid")) is not None


def has_usage_credits_org(st, principal, args):
    return False


FUNCTIONS = {f.__name__: f for f in (
    get_user_id, request_actor_user_id, exist_app_v2, exist_app_versions, get_app_versions,
    cli_check_permission, reject_access_due_to_2fa_for_app, reject_access_due_to_2fa_for_org,
    is_allowed_action_org, is_allowed_action_org_action, get_organization_cli_warnings,
    get_channel_current_bundle_rbac, is_trial_org, is_paying_org, has_usage_credits_org)}
