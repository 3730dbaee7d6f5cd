# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capgo API objects in the modules' language, one converter per resource.

A resource module and ``capgo_info`` return a resource the same way: option names,
snake_case, API camelCase translated. Both import the converter and the API field maps from
here (modules cannot import each other). ``capgo_info`` may add fields of its own (a bundle's
``channels``, say) to what a converter returns, never rename or drop one.

Private to the collection (the leading underscore): no compatibility promise. No Ansible
imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from datetime import datetime, timedelta, timezone

# -- times -----------------------------------------------------------------------

TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
                     r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$")


def parse_time(text):
    """An ISO 8601 date or date-time as an aware UTC datetime; None when it is not one.

    Accepts what Capgo returns and users write: ``Z``/``UTC`` or an offset (``+00:00``,
    ``+0000``, Postgres' ``+00`` and ``+0530``), any number of fractional digits, a space
    instead of ``T``; a value without a time zone is UTC. Parsed by hand, not with
    ``datetime.fromisoformat``, which refuses ``Z`` and ``+00`` before Python 3.11.
    """
    match = TIME_RE.match(("%s" % text).strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                         int((fraction or "0")[:6].ljust(6, "0")), tzinfo=timezone.utc)
        if zone and zone not in ("Z", "z", "UTC"):
            digits = zone[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
            if hours > 23 or minutes > 59:
                return None
            offset = timedelta(hours=hours, minutes=minutes)
            value = value - offset if zone[0] == "+" else value + offset
    except (ValueError, OverflowError):  # no such day or time, or out of datetime's range once in UTC
        return None
    return value


# -- organizations ---------------------------------------------------------------

ORGANIZATION_FIELDS = ("name", "management_email", "logo", "website", "customer_id", "created_by", "created_at",
                       "updated_at")


def organization_from_api(data):
    """An organization object (GET shape, or the row PUT returns): ``id`` also as ``org_id``."""
    state = {"org_id": data.get("id"), "id": data.get("id")}
    for key in ORGANIZATION_FIELDS:
        state[key] = data.get(key)
    return state


# -- members ---------------------------------------------------------------------

LEGACY_ROLES = {
    "read": "org_member",
    "upload": "org_member",
    "write": "org_member",
    "admin": "org_admin",
    "super_admin": "org_super_admin",
}


def map_role(role):
    """A role name (current, older, or an older ``invite_*`` name) as (current name, pending)."""
    pending = False
    if isinstance(role, str) and role.startswith("invite_"):
        role, pending = role[len("invite_"):], True
    return LEGACY_ROLES.get(role, role), pending


def member_from_api(data, org_id):
    """A GET /organization/members row: current role name, ``is_tmp`` as ``pending``."""
    role, invite = map_role(data.get("role"))
    return {
        "org_id": org_id,
        "uid": data.get("uid"),
        "email": data.get("email"),
        "role": role,
        "pending": bool(data.get("is_tmp")) or invite,
        "image_url": data.get("image_url"),
    }


# -- API keys --------------------------------------------------------------------

def parse_expiry(text):
    """A datetime (naive, UTC) from an ISO 8601 date or date-time; None when it is not one."""
    value = parse_time(text)
    return value.replace(tzinfo=None) if value is not None else None


def format_expiry(value):
    """The canonical form used in comparisons, requests and results (UTC, milliseconds at most)."""
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    millis = value.microsecond // 1000
    return text + (".%03dZ" % millis if millis else "Z")


def expiry_from_api(value):
    if value is None:
        return None
    parsed = parse_expiry(value)
    return format_expiry(parsed) if parsed is not None else value


def apikey_from_api(data, hashed=None):
    """An /apikey object (the secret ``key`` only when the API sent it)."""
    state = {
        "id": data.get("id"),
        "name": data.get("name"),
        "user_id": data.get("user_id"),
        "rbac_id": data.get("rbac_id"),
        "created_at": data.get("created_at"),
        "updated_at": data.get("updated_at"),
        "expires_at": expiry_from_api(data.get("expires_at")),
        "global_permissions": data.get("global_permissions") or [],
    }
    if data.get("is_hashed_key") is not None:
        state["hashed"] = bool(data["is_hashed_key"])
    elif hashed is not None:
        state["hashed"] = bool(hashed)
    else:
        state["hashed"] = data.get("key_hash") is not None and data.get("key") is None
    if data.get("key"):
        state["key"] = data["key"]
    return state


# -- apps ------------------------------------------------------------------------

SECONDS_PER_DAY = 86400


def seconds_to_days(seconds):
    """Capgo's ``retention`` as days: an int when whole, else a float (4 decimals)."""
    if seconds is None:
        return None
    seconds = int(seconds)
    if seconds % SECONDS_PER_DAY == 0:
        return seconds // SECONDS_PER_DAY
    return round(seconds / float(SECONDS_PER_DAY), 4)


def app_from_api(data):
    """A Capgo app row: every field, ``icon_url`` as ``icon``, ``retention`` (seconds) as ``retention_days``."""
    state = dict(data or {})
    state["icon"] = state.pop("icon_url", None)
    state["retention_days"] = seconds_to_days(state.pop("retention", None))
    return state


# -- channels --------------------------------------------------------------------

# option name: API name
CHANNEL_FLAGS = {
    "public": "public",
    "disable_auto_update_under_native": "disableAutoUpdateUnderNative",
    "disable_auto_update": "disableAutoUpdate",
    "allow_device_self_set": "allow_device_self_set",
    "allow_emulator": "allow_emulator",
    "allow_device": "allow_device",
    "allow_dev": "allow_dev",
    "allow_prod": "allow_prod",
}
AUTO_PAUSE_API = {
    "enabled": "autoPauseEnabled",
    "window_minutes": "autoPauseWindowMinutes",
    "failure_rate_bps": "autoPauseFailureRateBps",
    "confidence": "autoPauseConfidence",
    "min_attempts": "autoPauseMinAttempts",
    "min_failures": "autoPauseMinFailures",
    "action": "autoPauseAction",
    "cooldown_minutes": "autoPauseCooldownMinutes",
}
# Read-only auto-pause fields (not options).
AUTO_PAUSE_STATUS_API = {
    "last_triggered_at": "autoPauseLastTriggeredAt",
    "last_checked_at": "autoPauseLastCheckedAt",
}


def channel_bundle_ids(data):
    """(id of the bundle served, id of the bundle rolled out) of a GET /channel object; None when none."""
    version = data.get("version")
    served = version.get("id") if isinstance(version, dict) else None
    info = data.get("rollout_version_info")
    rolled = info.get("id") if isinstance(info, dict) and "id" in info else data.get("rollout_version")
    return served, rolled


def channel_from_api(data):
    """A GET /channel object: ``name`` as ``channel``, the linked bundles by name, bps as a percentage."""
    version = data.get("version") if isinstance(data.get("version"), dict) else {}
    rollout_info = data.get("rollout_version_info") or {}
    bps = data.get("rolloutPercentageBps") or 0
    state = {
        "id": data.get("id"),
        "app_id": data.get("app_id"),
        "channel": data.get("name"),
        "bundle": version.get("name"),
        "bundle_id": version.get("id"),
        "rollout": {
            "bundle": rollout_info.get("name"),
            "percentage": bps / 100.0,
            "enabled": bool(data.get("rolloutEnabled")),
            "paused": data.get("rolloutPausedAt") is not None,
            "cache_ttl_seconds": data.get("rolloutCacheTtlSeconds"),
        },
        "rollout_paused_at": data.get("rolloutPausedAt"),
        "rollout_pause_reason": data.get("rolloutPauseReason"),
        "auto_pause": dict((key, data.get(api)) for key, api in AUTO_PAUSE_API.items()),
        "created_at": data.get("created_at"),
        "updated_at": data.get("updated_at"),
        "created_by": data.get("created_by"),
    }
    for key, api in CHANNEL_FLAGS.items():
        state[key] = data.get(api)
    return state


# -- devices ---------------------------------------------------------------------

# API name: returned name
DEVICE_FIELDS = {
    "custom_id": "custom_id",
    "platform": "platform",
    "version_name": "version_name",
    "version": "bundle_id",
    "version_build": "version_build",
    "plugin_version": "plugin_version",
    "os_version": "os_version",
    "is_prod": "is_prod",
    "is_emulator": "is_emulator",
    "install_source": "install_source",
    "key_id": "key_id",
    "country_code": "country_code",
    "updated_at": "updated_at",
}


def device_from_api(data):
    """A GET /device object (a device Capgo knows: ``seen``; ``channel`` None when no override)."""
    state = {
        "app_id": data.get("app_id"),
        "device_id": data.get("device_id"),
        "channel": data.get("channel"),
        "seen": True,
    }
    for api, key in DEVICE_FIELDS.items():
        state[key] = data.get(api)
    return state


# -- bundles ---------------------------------------------------------------------

# Fields of a bundle returned as they are (snake_case on the wire already).
BUNDLE_FIELDS = ("id", "app_id", "external_url", "checksum", "session_key", "key_id", "link", "comment",
                 "storage_provider", "min_update_version", "native_packages", "manifest_count", "cli_version",
                 "owner_org", "user_id", "created_at", "updated_at")


def bundle_from_api(data):
    """A bundle row (``name`` as ``version``; ``session_key`` is a secret the caller handles)."""
    state = dict((key, data.get(key)) for key in BUNDLE_FIELDS)
    state["version"] = data.get("name")
    state["encrypted"] = bool(data.get("session_key"))
    return state


# -- webhooks --------------------------------------------------------------------

WEBHOOK_FIELDS = ("id", "org_id", "name", "url", "enabled", "events", "delivery_version",
                  "created_at", "updated_at", "created_by")


def webhook_from_api(data):
    """A webhook object (the signing ``secret`` only when the API sent it)."""
    state = dict((key, data.get(key)) for key in WEBHOOK_FIELDS)
    if state["delivery_version"] is None and data.get("deliveryVersion") is not None:
        state["delivery_version"] = data.get("deliveryVersion")
    if data.get("secret") is not None:
        state["secret"] = data["secret"]
    return state
