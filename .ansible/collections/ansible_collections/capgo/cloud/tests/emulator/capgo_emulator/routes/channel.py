"""/channel — GET (one, list), POST (upsert with partial update), DELETE (capgo-api.md §2.4)."""

from ..errors import ApiError
from ..schema import CHANNEL_DEFAULTS, to_int_id
from . import route
from .common import PlainError, check_app_id, paginate, require_app_perm, to_bool, ts

DISABLE_AUTO_UPDATE = ("major", "minor", "patch", "version_number", "none")
PLATFORMS = ("ios", "android", "electron")
CLEAR_VERSION = (None, "", "builtin", "unknown")

# Wire name (GET) → column, in the order capgo-api.md lists them.
WIRE_FIELDS = [
    ("id", "id"), ("created_at", "created_at"), ("name", "name"), ("app_id", "app_id"),
    ("created_by", "created_by"), ("updated_at", "updated_at"), ("public", "public"),
    ("disableAutoUpdateUnderNative", "disable_auto_update_under_native"),
    ("disableAutoUpdate", "disable_auto_update"),
    ("allow_device_self_set", "allow_device_self_set"), ("allow_emulator", "allow_emulator"),
    ("allow_device", "allow_device"), ("allow_dev", "allow_dev"), ("allow_prod", "allow_prod"),
    ("version", None), ("rollout_version", "rollout_version"), ("rollout_version_info", None),
    ("rollout_id", "rollout_id"), ("rolloutPercentageBps", "rollout_percentage_bps"),
    ("rolloutEnabled", "rollout_enabled"), ("rolloutPausedAt", "rollout_paused_at"),
    ("rolloutPauseReason", "rollout_pause_reason"),
    ("rolloutCacheTtlSeconds", "rollout_cache_ttl_seconds"),
    ("autoPauseEnabled", "auto_pause_enabled"),
    ("autoPauseWindowMinutes", "auto_pause_window_minutes"),
    ("autoPauseFailureRateBps", "auto_pause_failure_rate_bps"),
    ("autoPauseConfidence", "auto_pause_confidence"),
    ("autoPauseMinAttempts", "auto_pause_min_attempts"),
    ("autoPauseMinFailures", "auto_pause_min_failures"),
    ("autoPauseAction", "auto_pause_action"),
    ("autoPauseCooldownMinutes", "auto_pause_cooldown_minutes"),
    ("autoPauseLastTriggeredAt", "auto_pause_last_triggered_at"),
    ("autoPauseLastCheckedAt", "auto_pause_last_checked_at"),
]

# POST boolean inputs (wire name → column).
BOOL_INPUTS = [
    ("public", "public"), ("disableAutoUpdateUnderNative", "disable_auto_update_under_native"),
    ("ios", "ios"), ("android", "android"), ("electron", "electron"),
    ("allow_device_self_set", "allow_device_self_set"), ("allow_emulator", "allow_emulator"),
    ("allow_device", "allow_device"), ("allow_dev", "allow_dev"), ("allow_prod", "allow_prod"),
]

# Rollout / auto-pause inputs: camelCase name → snake_case alias.
ROLLOUT_ALIASES = {
    "rolloutVersion": "rollout_version",
    "rolloutPercentage": "rollout_percentage",
    "rolloutPercentageBps": "rollout_percentage_bps",
    "rolloutEnabled": "rollout_enabled",
    "rolloutPaused": "rollout_paused",
    "rolloutPausedAt": "rollout_paused_at",
    "rolloutPauseReason": "rollout_pause_reason",
    "rolloutCacheTtlSeconds": "rollout_cache_ttl_seconds",
    "rollback": "rollback",
    "promoteToStable": "promote_to_stable",
    "autoPauseEnabled": "auto_pause_enabled",
    "autoPauseWindowMinutes": "auto_pause_window_minutes",
    "autoPauseFailureRateBps": "auto_pause_failure_rate_bps",
    "autoPauseConfidence": "auto_pause_confidence",
    "autoPauseMinAttempts": "auto_pause_min_attempts",
    "autoPauseMinFailures": "auto_pause_min_failures",
    "autoPauseAction": "auto_pause_action",
    "autoPauseCooldownMinutes": "auto_pause_cooldown_minutes",
}
AUTO_PAUSE_ACTIONS = ("pause", "rollback", "notify")


# ---------------------------------------------------------------- state helpers

def col(ch, name):
    """A channel column with the DB default when a seeded row lacks it."""
    if name in ch:
        return ch[name]
    return CHANNEL_DEFAULTS.get(name)


def bundle_ref(state, bundle_id):
    b = state.bundle(bundle_id)
    if b is None:
        return None
    return {"name": b.get("name"), "id": b.get("id")}


def channel_wire(state, ch):
    out = {}
    for wire, column in WIRE_FIELDS:
        if wire == "version":
            out[wire] = bundle_ref(state, col(ch, "version"))
        elif wire == "rollout_version_info":
            out[wire] = bundle_ref(state, col(ch, "rollout_version"))
        else:
            out[wire] = col(ch, column)
    return out


def remove_channel(state, ch):
    """Hard-delete a channel row and cascade its device overrides (FK ON DELETE CASCADE)."""
    table = state.channels
    if isinstance(table, dict):
        for k, v in list(table.items()):
            if v is ch:
                del table[k]
    else:
        table[:] = [c for c in table if c is not ch]
    ov = state.device_overrides

    def keep(o):
        return not (o.get("channel_id") == ch.get("id") or (
            "channel_id" not in o and o.get("app_id") == ch.get("app_id") and o.get("channel") == ch.get("name")))

    if isinstance(ov, dict):
        for k, v in list(ov.items()):
            if not keep(v):
                del ov[k]
    else:
        ov[:] = [o for o in ov if keep(o)]


def normalize_public(state, ch, now_iso, principal=None):
    """DB trigger normalize_public_channel_overlap: at most one public channel per platform."""
    if not col(ch, "public"):
        return
    mine = {p for p in PLATFORMS if col(ch, p)}
    for other in state.channels_of(ch.get("app_id")):
        if other is ch or not col(other, "public"):
            continue
        if any(col(other, p) for p in mine):
            old = dict(other)
            other["public"] = False
            other["updated_at"] = now_iso
            audit(state, "channels", "UPDATE", old, other, principal)


def audit(state, table, op, old, new, principal):
    """Audit-log row as the backend's audit triggers write it (channels, app_versions)."""
    row = new if new is not None else old
    org_id = row.get("owner_org")
    if org_id is None:
        app = state.app_by_app_id(row.get("app_id"))
        org_id = app.get("owner_org") if app else None
    state.add_audit(table, row.get("id"), op, org_id, old, new, principal)


# ---------------------------------------------------------------- GET

@route("GET", "/channel")
def get_channel(ctx):
    principal = ctx.auth_key()
    body = ctx.body_or_query()
    app_id = check_app_id(body)
    require_app_perm(ctx, principal, app_id, "app.read_channels", message=None)
    name = body.get("channel")
    if name is not None and name != "":
        ch = ctx.state.channel_by_name(app_id, name)
        if ch is None:
            raise ApiError("cannot_find_version", "Cannot find channel", more_info={"app_id": app_id, "channel": name})
        return channel_wire(ctx.state, ch)
    chans = sorted(ctx.state.channels_of(app_id), key=lambda c: (ts(c.get("created_at")), c.get("id") or 0))
    page = paginate(chans, body.get("page"))
    if page is None:
        raise ApiError("cannot_find_channels", "Cannot find channels")
    return [channel_wire(ctx.state, c) for c in page]


# ---------------------------------------------------------------- POST

def _num(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return None
        return None
    return value


def _int_in(value, lo, hi, code):
    v = _num(value)
    if v is None or v != int(v) or v < lo or (hi is not None and v > hi):
        raise ApiError(code, more_info={"value": value})
    return int(v)


def _rollout_inputs(body):
    """camelCase wins over snake_case; null is treated as absent except where it clears."""
    out = {}
    for camel, snake in ROLLOUT_ALIASES.items():
        if camel in body:
            out[camel] = body[camel]
        elif snake in body:
            out[camel] = body[snake]
    return out


def _resolve_rollout_bundle(state, app_id, ref):
    bid = to_int_id(ref) if not isinstance(ref, str) or ref.strip().isdigit() else None
    b = None
    if isinstance(ref, str):
        b = state.bundle_by_name(app_id, ref)
    if b is None and bid is not None:
        cand = state.bundle(bid)
        if cand is not None and cand.get("app_id") == app_id and not cand.get("deleted"):
            b = cand
    return b


def _apply_rollout(ctx, ch_cols, ro, app_id, now_iso):
    """Validate rollout/auto-pause inputs and write them into ch_cols (a dict of column updates
    merged over the current row). Returns the dict of column changes."""
    st = ctx.state
    upd = {}
    if "rolloutVersion" in ro:
        ref = ro["rolloutVersion"]
        if ref is None or ref == "":
            upd["rollout_version"] = None
        else:
            b = _resolve_rollout_bundle(st, app_id, ref)
            if b is None:
                raise ApiError("cannot_find_version", "Cannot find rollout version",
                               more_info={"rolloutVersion": ref})
            upd["rollout_version"] = b["id"]
    if ro.get("rolloutPercentageBps") is not None:
        upd["rollout_percentage_bps"] = _int_in(ro["rolloutPercentageBps"], 0, 10000, "invalid_rollout_percentage")
    elif ro.get("rolloutPercentage") is not None:
        v = _num(ro["rolloutPercentage"])
        if v is None or v < 0 or v > 100:
            raise ApiError("invalid_rollout_percentage", "Rollout percentage must be between 0 and 100",
                           more_info={"value": ro["rolloutPercentage"]})
        upd["rollout_percentage_bps"] = int(round(v * 100))
    if ro.get("rolloutEnabled") is not None:
        upd["rollout_enabled"] = to_bool(ro["rolloutEnabled"], "rolloutEnabled")
    if "rolloutPausedAt" in ro:
        upd["rollout_paused_at"] = ro["rolloutPausedAt"]
    if ro.get("rolloutPaused") is not None:
        upd["rollout_paused_at"] = now_iso if to_bool(ro["rolloutPaused"], "rolloutPaused") else None
    if "rolloutPauseReason" in ro:
        upd["rollout_pause_reason"] = ro["rolloutPauseReason"]
    if ro.get("rolloutCacheTtlSeconds") is not None:
        upd["rollout_cache_ttl_seconds"] = _int_in(ro["rolloutCacheTtlSeconds"], 60, 31536000, "invalid_rollout_config")
    if ro.get("autoPauseEnabled") is not None:
        upd["auto_pause_enabled"] = to_bool(ro["autoPauseEnabled"], "autoPauseEnabled")
    if ro.get("autoPauseWindowMinutes") is not None:
        upd["auto_pause_window_minutes"] = _int_in(ro["autoPauseWindowMinutes"], 1, 10080, "invalid_rollout_config")
    if ro.get("autoPauseFailureRateBps") is not None:
        upd["auto_pause_failure_rate_bps"] = _int_in(ro["autoPauseFailureRateBps"], 0, 10000, "invalid_rollout_config")
    if ro.get("autoPauseConfidence") is not None:
        v = _num(ro["autoPauseConfidence"])
        if v is None or not (0 < v < 1):
            raise ApiError("invalid_auto_pause_confidence", "Auto-pause confidence must be between 0 and 1",
                           more_info={"value": ro["autoPauseConfidence"]})
        upd["auto_pause_confidence"] = v
    if ro.get("autoPauseMinAttempts") is not None:
        upd["auto_pause_min_attempts"] = _int_in(ro["autoPauseMinAttempts"], 0, None, "invalid_rollout_config")
    if ro.get("autoPauseMinFailures") is not None:
        upd["auto_pause_min_failures"] = _int_in(ro["autoPauseMinFailures"], 0, None, "invalid_rollout_config")
    if ro.get("autoPauseAction") is not None:
        if ro["autoPauseAction"] not in AUTO_PAUSE_ACTIONS:
            raise ApiError("invalid_auto_pause_action", "Auto-pause action must be pause, rollback or notify",
                           more_info={"value": ro["autoPauseAction"], "allowed": list(AUTO_PAUSE_ACTIONS)})
        upd["auto_pause_action"] = ro["autoPauseAction"]
    if ro.get("autoPauseCooldownMinutes") is not None:
        upd["auto_pause_cooldown_minutes"] = _int_in(ro["autoPauseCooldownMinutes"], 0, 10080, "invalid_rollout_config")
    return upd


def _clear_rollout(upd):
    upd.update({"rollout_version": None, "rollout_enabled": False, "rollout_percentage_bps": 0,
                "rollout_paused_at": None, "rollout_pause_reason": None, "rollout_id": None})


@route("POST", "/channel")
def post_channel(ctx):
    principal = ctx.auth_key()
    body = ctx.parse_body()
    st = ctx.state
    app_id = check_app_id(body)
    name = body.get("channel")
    if not isinstance(name, str) or name == "":
        raise PlainError("channel name is required")
    app = st.app_by_app_id(app_id)
    if app is None:
        raise ApiError("cannot_access_app", more_info={"app_id": app_id})
    existing = st.channel_by_name(app_id, name)
    version_sent = "version" in body
    ro = _rollout_inputs(body)
    touches_version = version_sent or bool(ro.get("promoteToStable")) or "rolloutVersion" in ro or bool(ro.get("rollback"))
    if existing is not None:
        if not principal.has_perm("channel.update_settings", app=app, channel=existing):
            raise ApiError("cannot_access_app", "You can't access this app", more_info={"app_id": app_id})
        if touches_version and not principal.has_perm("channel.promote_bundle", app=app, channel=existing):
            raise ApiError("cannot_access_app", "You can't access this app", more_info={"app_id": app_id})
    else:
        if not principal.has_perm("app.create_channel", app=app):
            raise ApiError("cannot_access_app", "You can't access this app", more_info={"app_id": app_id})
        if ro:
            raise ApiError("cannot_find_channel", "Cannot find channel for rollout update",
                           more_info={"app_id": app_id, "channel": name})

    now_iso = ctx.state.stamp()
    upd = {}
    for wire, column in BOOL_INPUTS:
        if body.get(wire) is not None:
            upd[column] = to_bool(body[wire], wire)
    if body.get("disableAutoUpdate") is not None:
        dau = body["disableAutoUpdate"]
        if dau not in DISABLE_AUTO_UPDATE:
            if existing is None and version_sent and body.get("version") not in CLEAR_VERSION:
                raise ApiError("cannot_set_bundle_to_channel", "Cannot set bundle to channel",
                               more_info={"disableAutoUpdate": dau})
            raise PlainError("invalid input value for enum disable_update: %r" % (dau,))
        upd["disable_auto_update"] = dau
    # electron inference: a public single-platform (ios xor android) channel is not electron.
    if upd.get("public") is True and "electron" not in upd and body.get("ios") != body.get("android"):
        upd["electron"] = False

    new_version = None
    if version_sent:
        vname = body.get("version")
        if vname in CLEAR_VERSION:
            upd["version"] = None
        else:
            b = st.bundle_by_name(app_id, vname) if isinstance(vname, str) else None
            if b is None:
                if existing is None:
                    raise ApiError("cannot_find_version", "Cannot find version",
                                   more_info={"app_id": app_id, "version": vname})
                raise PlainError("Cannot find version %r" % (vname,))
            upd["version"] = new_version = b["id"]

    if existing is not None:
        upd.update(_apply_rollout(ctx, upd, ro, app_id, now_iso))
        merged = dict(CHANNEL_DEFAULTS)
        merged.update(existing)
        merged.update(upd)
        if ro.get("rollback") is not None and to_bool(ro["rollback"], "rollback"):
            _clear_rollout(upd)
            merged.update(upd)
        if ro.get("promoteToStable") is not None and to_bool(ro["promoteToStable"], "promoteToStable"):
            if merged.get("rollout_version") is None:
                raise ApiError("missing_rollout_version", "No rollout version to promote")
            rb = st.bundle(merged["rollout_version"])
            if rb is None or rb.get("deleted"):
                raise ApiError("cannot_promote_bundle", "Cannot promote rollout bundle")
            upd["version"] = rb["id"]
            _clear_rollout(upd)
            merged.update(upd)
        if merged.get("rollout_enabled"):
            if merged.get("version") is None:
                raise ApiError("missing_stable_version", "A rollout needs a stable version on the channel")
            if merged.get("rollout_version") is None:
                raise ApiError("missing_rollout_version", "A rollout needs a rollout version")
            if merged.get("rollout_version") == merged.get("version"):
                raise ApiError("invalid_rollout_config", "Rollout version must differ from the stable version")
        if merged.get("rollout_version") is not None and merged.get("rollout_id") is None:
            upd["rollout_id"] = st.uuid()
        old = dict(existing)
        existing.update(upd)
        existing["updated_at"] = now_iso
        audit(st, "channels", "UPDATE", old, existing, principal)
        normalize_public(st, existing, now_iso, principal)
        st.save()
        return {"status": "ok"}

    row = dict(CHANNEL_DEFAULTS)
    row.update({
        "id": st.next_id("channels"),
        "created_at": now_iso,
        "updated_at": now_iso,
        "name": name,
        "app_id": app_id,
        "owner_org": app.get("owner_org"),
        "created_by": (principal.user or {}).get("id"),
    })
    row.update(upd)
    st.channels.append(row)
    audit(st, "channels", "INSERT", None, row, principal)
    normalize_public(st, row, now_iso, principal)
    st.save()
    if new_version is not None:
        return {"status": "ok", "id": row["id"], "public": row["public"]}
    return {"status": "ok"}


# ---------------------------------------------------------------- DELETE

@route("DELETE", "/channel")
def delete_channel(ctx):
    principal = ctx.auth_key()
    body = ctx.body_or_query()
    st = ctx.state
    app_id = check_app_id(body)
    name = body.get("channel")
    if name is None or name == "":
        raise ApiError("missing_channel_name", "Missing channel name")
    ch = st.channel_by_name(app_id, name)
    if ch is None:
        raise ApiError("cannot_find_channel", "Cannot find channel", more_info={"app_id": app_id, "channel": name})
    app = st.app_by_app_id(app_id)
    if app is None or not principal.has_perm("channel.delete", app=app, channel=ch):
        raise ApiError("cannot_access_app", "You can't access this app", more_info={"app_id": app_id})
    delete_bundle = body.get("delete_bundle")
    if delete_bundle is True or delete_bundle == "true":
        _delete_preview_bundle(ctx, principal, ch)
    remove_channel(st, ch)
    audit(st, "channels", "DELETE", ch, None, principal)
    st.save()
    return {"status": "ok"}


def _delete_preview_bundle(ctx, principal, ch):
    """Preview flow: soft-delete the channel's bundle, only for app_preview keys that created it."""
    st = ctx.state
    b = st.bundle(col(ch, "version"))
    if b is None or b.get("deleted"):
        return
    rbac_id = (principal.apikey or {}).get("rbac_id")
    if rbac_id is None or b.get("created_by_apikey_rbac_id") != rbac_id:
        raise ApiError("cannot_delete_preview_bundle", "Cannot delete preview bundle")
    for other in st.channels_of(ch.get("app_id")):
        if other is not ch and b.get("id") in (col(other, "version"), col(other, "rollout_version")):
            raise ApiError("cannot_delete_linked_version", "Bundle is linked to another channel")
    now_iso = ctx.state.stamp()
    old = dict(b)
    b.update({"deleted": True, "deleted_at": now_iso, "updated_at": now_iso})
    audit(st, "app_versions", "UPDATE", old, b, principal)
