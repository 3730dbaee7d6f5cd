"""/bundle — GET, POST (external bundle), PUT (set channel), DELETE (one/all),
POST /bundle/metadata (capgo-api.md §2.6)."""

import re

from ..errors import ApiError
from ..schema import BUNDLE_DEFAULTS, to_int_id
from . import route
from .common import check_app_id, paginate, require_app_perm, ts
from .channel import audit, col

# semver.org's official regular expression (no leading "v").
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")

BUNDLE_FIELDS = ["id", "created_at", "app_id", "name", "updated_at", "deleted", "deleted_at",
                 "external_url", "checksum", "session_key", "storage_provider",
                 "min_update_version", "native_packages", "owner_org", "user_id", "r2_path",
                 "manifest", "manifest_count", "link", "comment", "key_id", "cli_version",
                 "created_by_apikey_rbac_id"]


def bundle_wire(b):
    return {f: (b[f] if f in b else BUNDLE_DEFAULTS.get(f)) for f in BUNDLE_FIELDS}


def _linked_ids(state, app_id):
    ids = set()
    for c in state.channels_of(app_id):
        for column in ("version", "rollout_version"):
            if col(c, column) is not None:
                ids.add(col(c, column))
    return ids


def _missing(body, key):
    v = body.get(key)
    return v is None or v == ""


def _soft_delete(st, b, now_iso, principal):
    old = dict(b)
    b["deleted"] = True
    b["deleted_at"] = now_iso
    b["updated_at"] = now_iso
    audit(st, "app_versions", "UPDATE", old, b, principal)


# ---------------------------------------------------------------- GET

@route("GET", "/bundle")
def get_bundle(ctx):
    principal = ctx.auth_key()
    body = ctx.body_or_query()
    st = ctx.state
    app_id = check_app_id(body)
    require_app_perm(ctx, principal, app_id, "app.read_bundles", "cannot_get_bundle", "Cannot get bundle")
    live = [b for b in st.bundles_of(app_id) if not b.get("deleted")]
    live.sort(key=lambda b: (ts(b.get("created_at")), b.get("id") or 0), reverse=True)
    page = paginate(live, body.get("page"))
    if not page:
        raise ApiError("cannot_get_bundle", "Cannot get bundle", more_info={"app_id": app_id})
    return [bundle_wire(b) for b in page]


# ---------------------------------------------------------------- POST (external bundle)

@route("POST", "/bundle")
def post_bundle(ctx):
    principal = ctx.auth_key()
    body = ctx.body_or_query()
    st = ctx.state
    for key in ("app_id", "version", "external_url", "checksum"):
        if _missing(body, key):
            raise ApiError("missing_" + key, "Missing " + key)
    app_id = check_app_id(body)
    version = body["version"]
    if not isinstance(version, str) or not SEMVER_RE.match(version):
        raise ApiError("invalid_version_format", "Version must be a valid semver string (e.g. 1.0.0)",
                       more_info={"version": version})
    url = body["external_url"]
    if not isinstance(url, str) or not url.startswith("https://"):
        raise ApiError("invalid_protocol", "External URL must use HTTPS", more_info={"external_url": url})
    app = require_app_perm(ctx, principal, app_id, "app.upload_bundle", "cannot_create_bundle", "Cannot create bundle")
    session_key = body.get("session_key") or None
    key_id = body.get("key_id") or None
    org = st.org(app.get("owner_org")) or {}
    if org.get("enforce_encrypted_bundles"):
        if not session_key:
            raise ApiError("encryption_required", "This organization requires encrypted bundles",
                           more_info={"org_id": org.get("id")})
        required = org.get("required_encryption_key")
        if required:
            if not key_id:
                raise ApiError("encryption_key_required", "This organization requires a specific encryption key",
                               more_info={"org_id": org.get("id")})
            if str(key_id).strip() != str(required).strip():
                raise ApiError("encryption_key_mismatch", "Bundle encryption key does not match the organization's key",
                               more_info={"org_id": org.get("id")})
    same = [b for b in st.bundles_of(app_id) if b.get("name") == version]
    if any(not b.get("deleted") for b in same):
        raise ApiError("version_already_exists", "Version already exists", more_info={"version": version})
    if same:  # soft-deleted name: unique index app_versions_name_app_id_key
        raise ApiError("cannot_create_bundle", "Cannot create bundle",
                       more_info={"supabaseError": 'duplicate key value violates unique constraint '
                                                   '"app_versions_name_app_id_key"'})
    now_iso = ctx.state.stamp()
    row = dict(BUNDLE_DEFAULTS)
    row.update({
        "id": st.next_id("bundles"), "created_at": now_iso, "updated_at": now_iso,
        "app_id": app_id, "name": version, "external_url": url, "checksum": body["checksum"],
        "session_key": session_key, "key_id": key_id, "storage_provider": "external",
        "owner_org": app.get("owner_org"), "user_id": (principal.user or {}).get("id"),
        "created_by_apikey_rbac_id": (principal.apikey or {}).get("rbac_id"),
    })
    st.bundles.append(row)
    audit(st, "app_versions", "INSERT", None, row, principal)
    st.save()
    return {"status": "success", "bundle": bundle_wire(row)}


# ---------------------------------------------------------------- PUT (set channel)

@route("PUT", "/bundle")
def put_bundle(ctx):
    principal = ctx.auth_key()
    body = ctx.body_or_query()
    st = ctx.state
    if any(_missing(body, k) for k in ("app_id", "version_id", "channel_id")):
        raise ApiError("missing_required_fields", "Missing required fields: app_id, version_id, channel_id")
    app_id = check_app_id(body)
    app = st.app_by_app_id(app_id)
    ch = st.channel(body["channel_id"], app_id=app_id) if app is not None else None
    if app is None or not principal.has_perm("channel.promote_bundle", app=app, channel=ch):
        raise ApiError("cannot_access_app", "You can't access this app", more_info={"app_id": app_id})
    b = st.bundle(body["version_id"])
    if b is None or b.get("app_id") != app_id or b.get("deleted"):
        raise ApiError("cannot_find_version", "Cannot find version", more_info={"version_id": body["version_id"]})
    if ch is None:
        raise ApiError("cannot_find_channel", "Cannot find channel", more_info={"channel_id": body["channel_id"]})
    now_iso = ctx.state.stamp()
    old = dict(ch)
    ch["version"] = b["id"]
    ch["updated_at"] = now_iso
    audit(st, "channels", "UPDATE", old, ch, principal)
    st.save()
    return {"status": "success", "message": "Bundle %s set to channel %s" % (b.get("name"), ch.get("name"))}


# ---------------------------------------------------------------- DELETE

@route("DELETE", "/bundle")
def delete_bundle(ctx):
    principal = ctx.auth_key()
    body = ctx.body_or_query()
    st = ctx.state
    app_id = check_app_id(body)
    require_app_perm(ctx, principal, app_id, "bundle.delete", "cannot_delete_bundle", "Cannot delete bundle")
    now_iso = ctx.state.stamp()
    linked = _linked_ids(st, app_id)
    name = body.get("version")
    if name is not None and name != "":
        b = next((x for x in st.bundles_of(app_id) if x.get("name") == name and not x.get("deleted")), None)
        if b is None:
            raise ApiError("cannot_delete_version", "Cannot delete version", more_info={"version": name})
        if b.get("id") in linked:
            raise ApiError("cannot_delete_linked_version", "Cannot delete a bundle linked to a channel",
                           more_info={"version": name})
        _soft_delete(st, b, now_iso, principal)
    else:
        for b in st.bundles_of(app_id):
            if b.get("id") not in linked:
                _soft_delete(st, b, now_iso, principal)
    st.save()
    return {"status": "ok"}


# ---------------------------------------------------------------- POST /bundle/metadata

@route("POST", "/bundle/metadata")
def post_bundle_metadata(ctx):
    principal = ctx.auth_key()
    body = ctx.body_or_query()
    st = ctx.state
    if _missing(body, "app_id") or _missing(body, "version_id"):
        raise ApiError("missing_required_fields", "Missing required fields: app_id, version_id")
    app_id = check_app_id(body)
    if body.get("link") is None and body.get("comment") is None:
        raise ApiError("no_fields_to_update", "No fields to update (link or comment)")
    require_app_perm(ctx, principal, app_id, "app.upload_bundle", "cannot_update_bundle_metadata", "Cannot update bundle metadata")
    vid = to_int_id(body["version_id"])
    b = st.bundle(vid) if vid is not None else None
    if b is None or b.get("app_id") != app_id:
        raise ApiError("cannot_find_version", "Cannot find version", more_info={"version_id": body["version_id"]})
    old = dict(b)
    for f in ("link", "comment"):
        if body.get(f) is not None:
            b[f] = body[f]
    b["updated_at"] = ctx.state.stamp()
    audit(st, "app_versions", "UPDATE", old, b, principal)
    st.save()
    return {"status": "ok"}
