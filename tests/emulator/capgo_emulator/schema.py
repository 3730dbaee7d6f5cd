"""The tables: their names, column defaults of new rows, and the value helpers (ids,
timestamps) every other part uses. Rows are plain dicts keyed by Capgo's DB column names."""

import datetime
import hashlib
import re

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
APP_ID_RE = re.compile(r"^[a-z0-9]+(\.[\w-]+)+$", re.I)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Table:
    """One table of the state: ``name`` (the State attribute, a list of row dicts),
    ``seed_key`` (the natural key of its seed section; None = not a seed section, see
    ``seed_order``), ``rest`` (the PostgREST table name it is exposed as, routes/rest.py).
    Every table is cleared, persisted (storage.py) and restored the same way; a new table is
    one entry here (plus its seed loader/exporter when it is a seed section)."""

    def __init__(self, name, seed_key=None, seed_order=None, rest=None):
        self.name = name
        self.seed_key = seed_key
        self.seed_order = seed_order
        self.rest = rest


TABLE_REGISTRY = (
    Table("users", ("email",), 0),
    Table("orgs", ("name",), 1, rest="orgs"),
    Table("members"),
    Table("role_bindings"),
    Table("apikeys", ("key",), 5),
    Table("apps", ("app_id",), 2, rest="apps"),
    Table("bundles", ("app_id", "name"), 3, rest="app_versions"),
    Table("channels", ("app_id", "name"), 4, rest="channels"),
    Table("devices", ("app_id", "device_id"), 6),
    Table("device_overrides", ("app_id", "device_id"), 7),
    Table("stats", ("app_id", "date"), 8),
    Table("webhooks", ("org_id", "name"), 9),
    Table("webhook_deliveries"),
    Table("audit"),
    # the files service (routes/files.py): stored objects and TUS uploads in progress; the
    # bytes themselves are in the blob directory (blobs.py)
    Table("files"),
    Table("uploads"),
)

TABLES = tuple(t.name for t in TABLE_REGISTRY)
TABLE_BY_NAME = {t.name: t for t in TABLE_REGISTRY}
REST_TABLES = {t.rest: t.name for t in TABLE_REGISTRY if t.rest}

# Seed sections in load order (a section may reference the ones before it).
SEED_SECTIONS = tuple(t.name for t in sorted((t for t in TABLE_REGISTRY if t.seed_key),
                                             key=lambda t: t.seed_order))
# The natural key of an entry in each seed section (how an overlay names a base entry).
SEED_KEYS = {t.name: t.seed_key for t in TABLE_REGISTRY if t.seed_key}

DEFAULT_RETENTION = 2592000

# Column defaults of new rows (routes and the seed loader both use these).
ORG_DEFAULTS = {
    "logo": None, "customer_id": None, "website": None,
    "require_apikey_expiration": False, "max_apikey_expiration_days": None,
    "enforce_hashed_api_keys": False, "enforce_encrypted_bundles": False,
    "required_encryption_key": None, "enforcing_2fa": False, "password_policy_config": None,
}

APP_DEFAULTS = {
    "icon_url": "", "last_version": None, "retention": DEFAULT_RETENTION,
    "default_upload_channel": "dev", "transfer_history": [], "channel_device_count": 0,
    "manifest_bundle_count": 0, "expose_metadata": False, "allow_preview": False,
    "allow_device_custom_id": False, "need_onboarding": False, "existing_app": False,
    "ios_store_url": None, "android_store_url": None, "stats_updated_at": None,
    "stats_refresh_requested_at": None, "build_timeout_seconds": None,
    "build_timeout_updated_at": None, "block_provider_infra_requests": False,
    "rollout_channel_count": 0, "rollout_paused_version_names": [],
    "created_from_onboarding": False, "onboarding_completed_at": None,
}

BUNDLE_DEFAULTS = {
    "deleted": False, "deleted_at": None, "external_url": None, "checksum": None,
    "session_key": None, "storage_provider": "r2", "min_update_version": None,
    "native_packages": None, "owner_org": None, "user_id": None, "r2_path": None,
    "manifest": None, "manifest_count": 0, "link": None, "comment": None, "key_id": None,
    "cli_version": None, "created_by_apikey_rbac_id": None,
}
# Seed entries name these bundle columns (owner_org and user_id come from the app).
SEED_BUNDLE_FIELDS = tuple(k for k in BUNDLE_DEFAULTS if k not in ("owner_org", "user_id"))

CHANNEL_DEFAULTS = {
    "public": False, "disable_auto_update_under_native": True, "disable_auto_update": "major",
    "ios": True, "android": True, "electron": True, "allow_device_self_set": False,
    "allow_emulator": True, "allow_dev": True, "allow_device": True, "allow_prod": True,
    "version": None, "rollout_version": None, "rollout_id": None,
    "rollout_percentage_bps": 0, "rollout_enabled": False, "rollout_paused_at": None,
    "rollout_pause_reason": None, "rollout_cache_ttl_seconds": 2592000,
    "auto_pause_enabled": False, "auto_pause_window_minutes": 60,
    "auto_pause_failure_rate_bps": 0, "auto_pause_confidence": 0.95,
    "auto_pause_min_attempts": 0, "auto_pause_min_failures": 0,
    "auto_pause_action": "pause", "auto_pause_cooldown_minutes": 60,
    "auto_pause_last_triggered_at": None, "auto_pause_last_checked_at": None,
}
CHANNEL_ALIASES = {
    "disableAutoUpdate": "disable_auto_update",
    "disableAutoUpdateUnderNative": "disable_auto_update_under_native",
}

DEVICE_DEFAULTS = {
    "custom_id": "", "is_prod": True, "is_emulator": False, "install_source": None,
    "version_name": None, "version": None, "platform": "ios", "plugin_version": None,
    "os_version": None, "version_build": None, "key_id": None, "country_code": None,
}

STATS_FIELDS = ("mau", "storage", "bandwidth", "storage_byte_hours", "build_time_seconds")

WEBHOOK_EVENTS = ("apps", "app_versions", "channels", "org_users", "orgs")

ORG_ROLES = ("org_super_admin", "org_admin", "org_billing_admin", "apikey_manager", "org_member")


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_uuid(value):
    return isinstance(value, str) and bool(UUID_RE.match(value))


def iso(ts):
    """Epoch seconds -> ISO-8601 UTC timestamp as Postgres/Supabase renders it."""
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat()


def parse_datetime(value, strict=False):
    """Timestamp -> aware UTC datetime, or None if it does not parse.

    ``strict``: only strings, and only what ``datetime.fromisoformat`` accepts once a trailing
    ``Z`` is made ``+00:00``. Otherwise also numbers (epoch seconds), datetime/date values, a
    space instead of ``T`` and any number of fractional-second digits (truncated to 6).
    Naive values are taken as UTC.
    """
    utc = datetime.timezone.utc
    if isinstance(value, str):
        text = value.strip()
    elif strict or value is None:
        return None
    elif isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, utc)
    elif isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=utc)
    elif isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=utc)
    else:
        text = str(value).strip()
    if not text:
        return None
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    if not strict:
        if re.match(r"^\d{4}-\d{2}-\d{2} \d", text):
            text = text.replace(" ", "T", 1)
        # Python < 3.11 only accepts 0, 3 or 6 fractional digits.
        match = re.match(r"^(.*T\d{2}:\d{2}:\d{2})\.(\d+)(.*)$", text)
        if match:
            text = "%s.%s%s" % (match.group(1), (match.group(2) + "000000")[:6], match.group(3))
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=utc)
    return parsed.astimezone(utc)


def parse_iso(value):
    """ISO date/datetime string -> epoch seconds, or None if it does not parse (strict)."""
    parsed = parse_datetime(value, strict=True)
    return None if parsed is None else parsed.timestamp()


def plain(value):
    """Make a value JSON-able (dates from YAML become ISO strings)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def to_int_id(value):
    """An id sent as JSON number or numeric string → int, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.match(r"^\s*\d+\s*$", value):
        return int(value)
    return None
