"""State: the tables (schema.py) with their lock, clock, ids and the one lookup per
resource every route uses; seed.py loads and exports seed documents, storage.py persists.

Requests run under ``state.lock`` (services.py), except those registered ``locked=False``
(TUS PATCH), which take it only around their metadata changes.
"""

import copy
import threading
import time
import uuid as uuidlib

from .blobs import BlobStore
from .schema import TABLES, iso, parse_iso, sha256_hex, to_int_id
from .seed import SeedLoader
from .storage import Storage


class State(SeedLoader, Storage):
    def __init__(self, db_path=None, blob_dir=None):
        self.lock = threading.RLock()
        self.db_path = db_path
        if blob_dir is None and db_path:
            blob_dir = db_path + ".blobs"
        self.blobs = BlobStore(blob_dir)
        self._db = None
        self.clock_offset = 0.0
        self._last_stamp = 0.0
        self.clear()

    # ------------------------------------------------------------------ basics
    def clear(self):
        for name in TABLES:
            setattr(self, name, [])
        self.counters = {}
        # Rate-limit bookkeeping (ratelimit.py); not persisted, dropped on reset.
        self.rl = {}

    def now(self):
        return time.time() + self.clock_offset

    def iso_now(self):
        return iso(self.now())

    def stamp(self):
        """Strictly increasing ISO timestamp for created_at/updated_at (stable ordering)."""
        ts = self.now()
        if ts <= self._last_stamp:
            ts = self._last_stamp + 0.000001
        self._last_stamp = ts
        return iso(ts)

    def advance(self, seconds):
        self.clock_offset += float(seconds)

    def uuid(self):
        return str(uuidlib.uuid4())

    def next_id(self, table):
        value = self.counters.get(table, 0) + 1
        self.counters[table] = value
        return value

    def _bump_counter(self, table, value):
        if isinstance(value, int) and value > self.counters.get(table, 0):
            self.counters[table] = value

    # ----------------------------------------------------------------- lookups
    @staticmethod
    def _first(rows, **match):
        """The first row whose fields equal every ``match`` value, or None."""
        for row in rows:
            if all(row.get(field) == value for field, value in match.items()):
                return row
        return None

    def org(self, org_id):
        return self._first(self.orgs, id=org_id)

    def user(self, user_id):
        return self._first(self.users, id=user_id)

    def user_by_email(self, email):
        if not isinstance(email, str):
            return None
        email = email.lower()
        for row in self.users:
            if row["email"].lower() == email:
                return row
        return None

    def user_by_session(self, token):
        if not token:
            return None
        return self._first(self.users, session_token=token)

    def app_by_app_id(self, app_id):
        return self._first(self.apps, app_id=app_id)

    def app_by_uuid(self, app_uuid):
        return self._first(self.apps, id=app_uuid)

    @staticmethod
    def _by_id(rows, row_id, **match):
        """The row with that numeric id (an int, or a numeric string as inputs send it)."""
        if row_id is None:
            return None
        number = to_int_id(row_id)
        for row in rows:
            if row["id"] == row_id or (number is not None and row["id"] == number):
                if all(row.get(field) == value for field, value in match.items()):
                    return row
        return None

    def channel(self, channel_id, app_id=None):
        """A channel by id; with ``app_id`` only a channel of that app."""
        match = {} if app_id is None else {"app_id": app_id}
        return self._by_id(self.channels, channel_id, **match)

    def channel_by_name(self, app_id, name):
        return self._first(self.channels, app_id=app_id, name=name)

    def channels_of(self, app_id):
        return [c for c in self.channels if c["app_id"] == app_id]

    def bundle(self, bundle_id):
        return self._by_id(self.bundles, bundle_id)

    def bundles_of(self, app_id):
        """Every bundle of the app, soft-deleted ones included."""
        return [b for b in self.bundles if b["app_id"] == app_id]

    def devices_of(self, app_id):
        return [d for d in self.devices if d["app_id"] == app_id]

    def device_override(self, app_id, device_id):
        return self._first(self.device_overrides, app_id=app_id, device_id=device_id)

    def webhook(self, webhook_id):
        return self._first(self.webhooks, id=webhook_id)

    def bundle_by_name(self, app_id, name, include_deleted=False):
        for row in self.bundles:
            if row["app_id"] == app_id and row["name"] == name:
                if include_deleted or not row.get("deleted"):
                    return row
        return None

    def apikey(self, key_id):
        return self._first(self.apikeys, id=key_id)

    def apikey_by_value(self, value):
        """Find a key by plain value or by its SHA-256 (find_apikey_by_value)."""
        if not isinstance(value, str) or not value:
            return None
        digest = sha256_hex(value)
        for row in self.apikeys:
            if row.get("key") is not None and row["key"] == value:
                return row
            if row.get("key_hash") and row["key_hash"] == digest:
                return row
        return None

    def key_blocked_by_hashed_policy(self, key):
        """check_apikey_hashed_key_enforcement: a plain (non-hashed) key bound to an org that
        enforces hashed API keys (org-, app- or channel-scoped binding) is not found at all."""
        if key.get("key") is None and key.get("key_hash"):
            return False
        for b in self.bindings_of_apikey(key):
            org_id = b.get("org_id")
            if b.get("app_id"):
                app = self.app_by_uuid(b["app_id"])
                org_id = app["owner_org"] if app else org_id
            if b.get("channel_id") is not None:
                chan = self.channel(b["channel_id"])
                app = self.app_by_app_id(chan["app_id"]) if chan else None
                org_id = app["owner_org"] if app else org_id
            org = self.org(org_id) if org_id else None
            if org and org.get("enforce_hashed_api_keys"):
                return True
        return False

    def key_expired(self, key):
        exp = key.get("expires_at")
        if not exp:
            return False
        ts = parse_iso(exp)
        return ts is not None and ts <= self.now()

    def members_of(self, org_id):
        return [m for m in self.members if m["org_id"] == org_id]

    def member(self, org_id, user_id=None, email=None):
        for m in self.members:
            if m["org_id"] != org_id:
                continue
            if user_id is not None and m.get("user_id") == user_id:
                return m
            if email is not None and (m.get("email") or "").lower() == email.lower():
                return m
        return None

    def bindings_of_apikey(self, key):
        return [b for b in self.role_bindings
                if b["principal_type"] == "apikey" and b["principal_id"] == key["rbac_id"]]

    def bindings_of_user(self, user):
        """A dashboard user's role bindings: accepted org memberships plus explicit rows."""
        out = []
        for m in self.members:
            if m.get("user_id") == user["id"] and not m.get("is_tmp"):
                out.append({"role_name": m["role"], "scope_type": m.get("scope_type", "org"),
                            "org_id": m["org_id"], "app_id": m.get("app_id"),
                            "channel_id": m.get("channel_id")})
        out.extend(b for b in self.role_bindings
                   if b["principal_type"] == "user" and b["principal_id"] == user["id"])
        return out

    def apps_of_org(self, org_id):
        return [a for a in self.apps if a["owner_org"] == org_id]

    def add_audit(self, table_name, record_id, operation, org_id, old_record=None,
                  new_record=None, principal=None):
        changed = []
        if isinstance(old_record, dict) and isinstance(new_record, dict):
            changed = sorted(k for k in set(old_record) | set(new_record)
                             if old_record.get(k) != new_record.get(k))
        elif isinstance(new_record, dict):
            changed = sorted(new_record)
        actor_type, user, key = "system", None, None
        if principal is not None:
            user = principal.user
            key = principal.apikey
            actor_type = "apikey" if key is not None else "user"
        row = {
            "id": self.next_id("audit"), "created_at": self.stamp(), "table_name": table_name,
            "record_id": str(record_id), "operation": operation,
            "user_id": user["id"] if user else None, "org_id": org_id,
            "old_record": copy.deepcopy(old_record), "new_record": copy.deepcopy(new_record),
            "changed_fields": changed, "actor_type": actor_type,
            "actor_user_id": user["id"] if user else None,
            "actor_user_email": user["email"] if user else None,
            "actor_apikey_id": key["id"] if key else None,
            "actor_apikey_name": key["name"] if key else None,
        }
        self.audit.append(row)
        return row

    # ------------------------------------------------------------ constructors
    def new_user(self, email, user_id=None, session_token=None):
        row = {"id": user_id or self.uuid(), "email": email, "session_token": session_token,
               "first_name": None, "last_name": None, "image_url": "",
               "created_at": self.stamp()}
        self.users.append(row)
        return row

    def new_member(self, org_id, user, role, is_tmp=False, email=None):
        row = {"id": self.next_id("members"), "org_id": org_id,
               "user_id": user["id"] if user else None,
               "email": user["email"] if user else email, "role": role, "is_tmp": bool(is_tmp),
               "tmp_id": None if user else self.uuid(),
               "scope_type": "org", "app_id": None, "channel_id": None,
               "created_at": self.stamp()}
        self.members.append(row)
        return row

    def new_binding(self, principal_type, principal_id, role_name, scope_type, org_id,
                    app_uuid=None, channel_id=None, reason=None, granted_by=None):
        row = {"id": self.uuid(), "principal_type": principal_type, "principal_id": principal_id,
               "role_name": role_name, "scope_type": scope_type, "org_id": org_id,
               "app_id": app_uuid, "channel_id": channel_id, "reason": reason,
               "granted_by": granted_by, "created_at": self.stamp()}
        self.role_bindings.append(row)
        return row
