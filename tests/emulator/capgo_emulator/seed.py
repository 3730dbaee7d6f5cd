"""Seed documents (emulator-contract.md): load and validate one into the tables, export the
tables as one, and apply a test's overlay to a seed."""

import copy
import re
import uuid as uuidlib

from .errors import SeedError
from .schema import (APP_DEFAULTS, APP_ID_RE, BUNDLE_DEFAULTS, CHANNEL_ALIASES,
                     CHANNEL_DEFAULTS, DATE_RE, DEVICE_DEFAULTS, ORG_DEFAULTS, ORG_ROLES,
                     SEED_BUNDLE_FIELDS, SEED_KEYS, SEED_SECTIONS, STATS_FIELDS,
                     WEBHOOK_EVENTS, is_uuid, iso, parse_iso, plain, sha256_hex)


class SeedLoader:
    """Mixed into State: ``load_seed(doc)`` and ``export()``."""

    # -------------------------------------------------------------- seed load
    def load_seed(self, doc):
        """Replace all data by the seed document ``doc`` (dict). Raises SeedError."""
        self.clear()
        self.blobs.clear()
        self._last_stamp = 0.0
        if doc is None:
            return
        if not isinstance(doc, dict):
            raise SeedError("seed document must be a mapping of sections, got %s"
                            % type(doc).__name__)
        doc = plain(doc)
        for name in doc:
            if name not in SEED_SECTIONS:
                raise SeedError("unknown seed section %r (known: %s)"
                                % (name, ", ".join(SEED_SECTIONS)))
        try:
            for name in SEED_SECTIONS:
                entries = doc.get(name)
                if entries is None:
                    continue
                if not isinstance(entries, list):
                    raise SeedError("section %r must be a list" % name)
                loader = getattr(self, "_seed_" + name)
                for index, entry in enumerate(entries):
                    where = "%s[%d]" % (name, index)
                    if not isinstance(entry, dict):
                        raise SeedError("%s: entry must be a mapping" % where)
                    loader(where, entry)
        except SeedError:
            self.clear()
            raise

    # helpers for the loaders
    def _seed_user_ref(self, where, field, email, create=True):
        if not isinstance(email, str) or "@" not in email:
            raise SeedError("%s: %s must be a user's email, got %r" % (where, field, email))
        user = self.user_by_email(email)
        if user is None and create:
            user = self.new_user(email)
        return user

    def _seed_user_id(self, where, field, ref, default):
        """The id of the user `ref` names (id or email); `default` when it is None."""
        if ref is None:
            return default
        user = self.user(ref) or self.user_by_email(ref)
        if user is None:
            raise SeedError("%s: %s %r is not a known user" % (where, field, ref))
        return user["id"]

    @staticmethod
    def _seed_device_id(where, entry):
        device_id = entry.get("device_id")
        if not isinstance(device_id, str) or not device_id:
            raise SeedError("%s: device_id is required" % where)
        return device_id.lower()

    def _seed_org_ref(self, where, field, value):
        org = self.org(value)
        if org is None:
            matches = [o for o in self.orgs if o["name"] == value]
            if len(matches) > 1:
                raise SeedError("%s: %s %r names several orgs; use the org id"
                                % (where, field, value))
            org = matches[0] if matches else None
        if org is None:
            raise SeedError("%s: %s %r is not a known org (id or name)" % (where, field, value))
        return org

    def _seed_app_ref(self, where, entry, field="app_id"):
        app_id = entry.get(field)
        if not isinstance(app_id, str) or not app_id:
            raise SeedError("%s: %s is required" % (where, field))
        app = self.app_by_app_id(app_id)
        if app is None:
            raise SeedError("%s: %s %r is not a known app" % (where, field, app_id))
        return app

    def _seed_bool(self, where, entry, field):
        value = entry.get(field)
        if value is not None and not isinstance(value, bool):
            raise SeedError("%s: %s must be a boolean" % (where, field))

    def _seed_id(self, where, entry, table, kind):
        value = entry.get("id")
        if value is None:
            return self.next_id(table) if kind == "int" else self.uuid()
        if kind == "int":
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise SeedError("%s: id must be a positive integer" % where)
            if any(r["id"] == value for r in getattr(self, table)):
                raise SeedError("%s: duplicate id %r" % (where, value))
            self._bump_counter(table, value)
            return value
        if not is_uuid(value):
            raise SeedError("%s: id must be a UUID, got %r" % (where, value))
        if any(r["id"] == value for r in getattr(self, table)):
            raise SeedError("%s: duplicate id %r" % (where, value))
        return value

    def _check_fields(self, where, entry, allowed):
        for key in entry:
            if key not in allowed:
                raise SeedError("%s: unknown field %r" % (where, key))

    def _seed_users(self, where, e):
        self._check_fields(where, e, {"email", "id", "session_token", "first_name",
                                      "last_name", "image_url", "created_at", "mfa_enabled"})
        email = e.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise SeedError("%s: email is required and must be an email address" % where)
        if self.user_by_email(email):
            raise SeedError("%s (%s): duplicate user email" % (where, email))
        token = e.get("session_token")
        if token is not None:
            if not isinstance(token, str) or not token:
                raise SeedError("%s (%s): session_token must be a non-empty string"
                                % (where, email))
            if is_uuid(token):
                raise SeedError("%s (%s): session_token must not be UUID-shaped"
                                % (where, email))
            if self.user_by_session(token):
                raise SeedError("%s (%s): duplicate session_token" % (where, email))
        user = self.new_user(email, self._seed_id(where, e, "users", "uuid"), token)
        self._seed_bool(where, e, "mfa_enabled")
        for key in ("first_name", "last_name", "image_url", "created_at", "mfa_enabled"):
            if e.get(key) is not None:
                user[key] = e[key]

    def _seed_orgs(self, where, e):
        allowed = {"id", "name", "management_email", "created_by", "members", "created_at",
                   "updated_at"} | set(ORG_DEFAULTS)
        self._check_fields(where, e, allowed)
        name = e.get("name")
        if not isinstance(name, str) or not name:
            raise SeedError("%s: name is required" % where)
        where = "%s (%s)" % (where, name)
        org_id = self._seed_id(where, e, "orgs", "uuid")
        members = e.get("members") or []
        if not isinstance(members, list):
            raise SeedError("%s: members must be a list" % where)
        creator = None
        if e.get("created_by") is not None:
            creator = self._seed_user_ref(where, "created_by", e["created_by"])
        now = self.stamp()
        org = dict(ORG_DEFAULTS)
        org.update({"id": org_id, "name": name, "created_by": None,
                    "management_email": e.get("management_email"),
                    "created_at": e.get("created_at") or now,
                    "updated_at": e.get("updated_at") or now})
        for key in ORG_DEFAULTS:
            if key in e:
                org[key] = e[key]
        for key in ("require_apikey_expiration", "enforce_hashed_api_keys",
                    "enforce_encrypted_bundles", "enforcing_2fa"):
            self._seed_bool(where, e, key)
        mx = e.get("max_apikey_expiration_days")
        if mx is not None and (not isinstance(mx, int) or isinstance(mx, bool)
                               or not 1 <= mx <= 365):
            raise SeedError("%s: max_apikey_expiration_days must be an integer 1-365" % where)
        self.orgs.append(org)
        seen = set()
        for index, m in enumerate(members):
            mwhere = "%s.members[%d]" % (where, index)
            if not isinstance(m, dict):
                raise SeedError("%s: entry must be a mapping" % mwhere)
            self._check_fields(mwhere, m, {"email", "role", "pending", "created_at"})
            email = m.get("email")
            if not isinstance(email, str) or "@" not in email:
                raise SeedError("%s: email is required" % mwhere)
            mwhere = "%s (%s)" % (mwhere, email)
            role = m.get("role", "org_member")
            if role not in ORG_ROLES:
                raise SeedError("%s: role %r is not an org role (%s)"
                                % (mwhere, role, ", ".join(ORG_ROLES)))
            self._seed_bool(mwhere, m, "pending")
            if email.lower() in seen:
                raise SeedError("%s: duplicate member" % mwhere)
            seen.add(email.lower())
            pending = bool(m.get("pending"))
            user = self.user_by_email(email)
            if user is None and not pending:
                user = self.new_user(email)
            member = self.new_member(org_id, user, role, is_tmp=pending, email=email)
            if m.get("created_at"):
                member["created_at"] = m["created_at"]
        if creator is None:
            supers = [m for m in self.members_of(org_id)
                      if m["role"] == "org_super_admin" and m.get("user_id")]
            creator = self.user(supers[0]["user_id"]) if supers else None
        if creator is None and self.users:
            creator = self.users[0]
        if creator is None:
            raise SeedError("%s: created_by is required (no users to default to)" % where)
        org["created_by"] = creator["id"]
        if not org["management_email"]:
            org["management_email"] = creator["email"]

    def _seed_apps(self, where, e):
        allowed = {"app_id", "id", "name", "owner_org", "user_id", "created_at",
                   "updated_at"} | set(APP_DEFAULTS)
        self._check_fields(where, e, allowed)
        app_id = e.get("app_id")
        if not isinstance(app_id, str) or not APP_ID_RE.match(app_id):
            raise SeedError("%s: app_id %r is missing or not a reverse-domain id"
                            % (where, app_id))
        where = "%s (%s)" % (where, app_id)
        if self.app_by_app_id(app_id):
            raise SeedError("%s: duplicate app_id" % where)
        if e.get("owner_org") is None:
            raise SeedError("%s: owner_org is required" % where)
        org = self._seed_org_ref(where, "owner_org", e["owner_org"])
        user_id = self._seed_user_id(where, "user_id", e.get("user_id"), org["created_by"])
        now = self.stamp()
        app = dict(copy.deepcopy(APP_DEFAULTS))
        for key in APP_DEFAULTS:
            if key in e:
                app[key] = e[key]
        app.update({"app_id": app_id, "id": self._seed_id(where, e, "apps", "uuid"),
                    "name": e.get("name") or app_id, "owner_org": org["id"],
                    "user_id": user_id, "created_at": e.get("created_at") or now,
                    "updated_at": e.get("updated_at") or now})
        self.apps.append(app)

    def _seed_bundles(self, where, e):
        allowed = {"app_id", "id", "name", "created_at", "updated_at", "owner_org",
                   "user_id"} | set(SEED_BUNDLE_FIELDS)
        self._check_fields(where, e, allowed)
        app = self._seed_app_ref(where, e)
        name = e.get("name")
        if isinstance(name, (int, float)) and not isinstance(name, bool):
            name = str(name)
        if not isinstance(name, str) or not name:
            raise SeedError("%s: name is required" % where)
        where = "%s (%s %s)" % (where, app["app_id"], name)
        if self.bundle_by_name(app["app_id"], name, include_deleted=True):
            raise SeedError("%s: duplicate bundle name for the app" % where)
        self._seed_bool(where, e, "deleted")
        now = self.stamp()
        row = dict(copy.deepcopy(BUNDLE_DEFAULTS), native_packages=[])
        for key in SEED_BUNDLE_FIELDS:
            if key in e:
                row[key] = e[key]
        if "storage_provider" not in e and row.get("external_url"):
            row["storage_provider"] = "external"
        if row["deleted"] and not row.get("deleted_at"):
            row["deleted_at"] = now
        row.update({"id": self._seed_id(where, e, "bundles", "int"), "app_id": app["app_id"],
                    "name": name, "owner_org": app["owner_org"], "user_id": app["user_id"],
                    "created_at": e.get("created_at") or now,
                    "updated_at": e.get("updated_at") or now})
        self.bundles.append(row)

    def _seed_channels(self, where, e):
        e = {CHANNEL_ALIASES.get(k, k): v for k, v in e.items()}
        allowed = {"app_id", "id", "name", "created_at", "updated_at", "created_by",
                   "owner_org"} | set(CHANNEL_DEFAULTS)
        self._check_fields(where, e, allowed)
        app = self._seed_app_ref(where, e)
        name = e.get("name")
        if not isinstance(name, str) or not name:
            raise SeedError("%s: name is required" % where)
        where = "%s (%s %s)" % (where, app["app_id"], name)
        if self.channel_by_name(app["app_id"], name):
            raise SeedError("%s: duplicate channel name for the app" % where)
        for key, default in CHANNEL_DEFAULTS.items():
            if isinstance(default, bool):
                self._seed_bool(where, e, key)
        dau = e.get("disable_auto_update")
        if dau is not None and dau not in ("major", "minor", "patch", "version_number", "none"):
            raise SeedError("%s: disable_auto_update %r is not one of major, minor, patch, "
                            "version_number, none" % (where, dau))
        row = dict(CHANNEL_DEFAULTS)
        for key in CHANNEL_DEFAULTS:
            if key in e and e[key] is not None:
                row[key] = e[key]
        for field in ("version", "rollout_version"):
            ref = e.get(field)
            if ref is None:
                row[field] = None
                continue
            if isinstance(ref, (int, float)) and not isinstance(ref, bool):
                ref = str(ref)
            bundle = self.bundle_by_name(app["app_id"], ref)
            if bundle is None:
                raise SeedError("%s: %s %r is not a (non-deleted) bundle of the app"
                                % (where, field, ref))
            row[field] = bundle["id"]
        if row["public"]:
            for other in self.channels:
                if other["app_id"] == app["app_id"] and other["public"]:
                    shared = [p for p in ("ios", "android", "electron") if row[p] and other[p]]
                    if shared:
                        raise SeedError("%s: public channel overlaps with public channel %r "
                                        "on %s" % (where, other["name"], shared[0]))
        created_by = self._seed_user_id(where, "created_by", e.get("created_by"), app["user_id"])
        now = self.stamp()
        row.update({"id": self._seed_id(where, e, "channels", "int"), "name": name,
                    "app_id": app["app_id"], "owner_org": app["owner_org"],
                    "created_by": created_by, "created_at": e.get("created_at") or now,
                    "updated_at": e.get("updated_at") or now})
        self.channels.append(row)

    def _seed_apikeys(self, where, e):
        self._check_fields(where, e, {"id", "rbac_id", "key", "key_hash", "name", "user",
                                      "expires_at", "hashed", "global_permissions",
                                      "bindings", "created_at", "updated_at"})
        name = e.get("name", "key")
        if not isinstance(name, str):
            raise SeedError("%s: name must be a string" % where)
        where = "%s (%s)" % (where, name)
        key = e.get("key")
        key_hash = e.get("key_hash")
        self._seed_bool(where, e, "hashed")
        if key is None and key_hash is None:
            key = self.uuid()
        if key is not None:
            if not isinstance(key, str) or not key:
                raise SeedError("%s: key must be a non-empty string" % where)
            if self.apikey_by_value(key):
                raise SeedError("%s: duplicate key value" % where)
        if key_hash is not None and (not isinstance(key_hash, str)
                                     or not re.match(r"^[0-9a-f]{64}$", key_hash)):
            raise SeedError("%s: key_hash must be a sha256 hex digest" % where)
        hashed = bool(e.get("hashed")) or (key is None and key_hash is not None)
        if hashed and key is not None:
            key_hash, key = sha256_hex(key), None
        if e.get("user") is not None:
            user = self._seed_user_ref(where, "user", e["user"])
        elif self.users:
            user = self.users[0]
        else:
            raise SeedError("%s: user is required" % where)
        exp = e.get("expires_at")
        if exp is not None and parse_iso(exp) is None:
            raise SeedError("%s: expires_at %r is not an ISO date" % (where, exp))
        gp = e.get("global_permissions") or []
        if not isinstance(gp, list) or any(p != "org.create" for p in gp):
            raise SeedError("%s: global_permissions may only contain 'org.create'" % where)
        rbac_id = e.get("rbac_id") or self.uuid()
        if not is_uuid(rbac_id):
            raise SeedError("%s: rbac_id must be a UUID" % where)
        bindings = e.get("bindings") or []
        if not isinstance(bindings, list):
            raise SeedError("%s: bindings must be a list" % where)
        resolved = []
        for index, b in enumerate(bindings):
            resolved.append(self._seed_binding("%s.bindings[%d]" % (where, index), b))
        now = self.stamp()
        row = {"id": self._seed_id(where, e, "apikeys", "int"), "rbac_id": rbac_id,
               "name": name, "user_id": user["id"], "key": key,
               "key_hash": key_hash if hashed else None,
               "created_at": e.get("created_at") or now,
               "updated_at": e.get("updated_at") or now,
               "expires_at": iso(parse_iso(exp)) if exp is not None else None,
               "global_permissions": list(gp)}
        self.apikeys.append(row)
        for b in resolved:
            self.new_binding("apikey", rbac_id, b["role_name"], b["scope_type"], b["org_id"],
                             b["app_id"], b["channel_id"], b.get("reason"))

    def _seed_binding(self, where, b):
        from .auth import ROLES  # local import: auth imports state
        if not isinstance(b, dict):
            raise SeedError("%s: binding must be a mapping" % where)
        self._check_fields(where, b, {"role_name", "scope_type", "org_id", "app_id",
                                      "channel_id", "channel", "reason"})
        role = b.get("role_name")
        if role not in ROLES:
            raise SeedError("%s: unknown role_name %r" % (where, role))
        scope = b.get("scope_type") or ROLES[role]["scope"]
        if scope not in ("org", "app", "channel"):
            raise SeedError("%s: scope_type must be org, app or channel" % where)
        if ROLES[role]["scope"] != scope:
            raise SeedError("%s: role %r is %s-scoped, not %s-scoped"
                            % (where, role, ROLES[role]["scope"], scope))
        out = {"role_name": role, "scope_type": scope, "org_id": None, "app_id": None,
               "channel_id": None, "reason": b.get("reason")}
        app = None
        if scope in ("app", "channel"):
            app = self._seed_app_ref(where, b)
            out["app_id"] = app["id"]
            out["org_id"] = app["owner_org"]
            if b.get("org_id") is not None:
                org = self._seed_org_ref(where, "org_id", b["org_id"])
                if org["id"] != app["owner_org"]:
                    raise SeedError("%s: app %r does not belong to org %r"
                                    % (where, app["app_id"], b["org_id"]))
        else:
            if b.get("org_id") is None:
                raise SeedError("%s: org_id is required for an org-scoped binding" % where)
            out["org_id"] = self._seed_org_ref(where, "org_id", b["org_id"])["id"]
        if scope == "channel":
            ref = b.get("channel_id", b.get("channel"))
            chan = None
            if isinstance(ref, int) and not isinstance(ref, bool):
                chan = self.channel(ref)
            elif isinstance(ref, str):
                chan = self.channel_by_name(app["app_id"], ref)
                if chan is None and ref.isdigit():
                    chan = self.channel(int(ref))
            if chan is None or chan["app_id"] != app["app_id"]:
                raise SeedError("%s: channel %r is not a channel of %r"
                                % (where, ref, app["app_id"]))
            out["channel_id"] = chan["id"]
        return out

    def _seed_devices(self, where, e):
        allowed = {"app_id", "device_id", "updated_at", "created_at"} | set(DEVICE_DEFAULTS)
        self._check_fields(where, e, allowed)
        app = self._seed_app_ref(where, e)
        device_id = self._seed_device_id(where, e)
        where = "%s (%s)" % (where, device_id)
        if any(d["app_id"] == app["app_id"] and d["device_id"] == device_id
               for d in self.devices):
            raise SeedError("%s: duplicate device for the app" % where)
        platform = e.get("platform", "ios")
        if platform not in ("ios", "android", "electron"):
            raise SeedError("%s: platform must be ios, android or electron" % where)
        for key in ("is_prod", "is_emulator"):
            self._seed_bool(where, e, key)
        row = dict(DEVICE_DEFAULTS)
        for key in DEVICE_DEFAULTS:
            if key in e:
                row[key] = e[key]
        if row.get("version") is None and row.get("version_name"):
            bundle = self.bundle_by_name(app["app_id"], str(row["version_name"]),
                                         include_deleted=True)
            row["version"] = bundle["id"] if bundle else None
        if row.get("version_name") is not None:
            row["version_name"] = str(row["version_name"])
        if row.get("os_version") is not None:
            row["os_version"] = str(row["os_version"])
        now = self.stamp()
        row.update({"app_id": app["app_id"], "device_id": device_id,
                    "updated_at": e.get("updated_at") or now,
                    "created_at": e.get("created_at") or now})
        self.devices.append(row)

    def _seed_device_overrides(self, where, e):
        self._check_fields(where, e, {"app_id", "device_id", "channel", "created_at"})
        app = self._seed_app_ref(where, e)
        device_id = self._seed_device_id(where, e)
        where = "%s (%s)" % (where, device_id)
        chan = self.channel_by_name(app["app_id"], e.get("channel"))
        if chan is None:
            raise SeedError("%s: channel %r is not a channel of %r"
                            % (where, e.get("channel"), app["app_id"]))
        if any(o["app_id"] == app["app_id"] and o["device_id"] == device_id
               for o in self.device_overrides):
            raise SeedError("%s: duplicate override for the device" % where)
        self.device_overrides.append({
            "id": self.next_id("device_overrides"), "app_id": app["app_id"],
            "device_id": device_id, "channel_id": chan["id"], "owner_org": app["owner_org"],
            "created_at": e.get("created_at") or self.stamp()})

    def _seed_stats(self, where, e):
        self._check_fields(where, e, {"app_id", "date"} | set(STATS_FIELDS))
        app = self._seed_app_ref(where, e)
        date = e.get("date")
        if not isinstance(date, str) or not DATE_RE.match(date):
            raise SeedError("%s: date must be YYYY-MM-DD" % where)
        where = "%s (%s %s)" % (where, app["app_id"], date)
        if any(s["app_id"] == app["app_id"] and s["date"] == date for s in self.stats):
            raise SeedError("%s: duplicate stats row" % where)
        row = {"app_id": app["app_id"], "date": date}
        for key in STATS_FIELDS:
            value = e.get(key, 0)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise SeedError("%s: %s must be a non-negative number" % (where, key))
            row[key] = value
        self.stats.append(row)

    def _seed_webhooks(self, where, e):
        self._check_fields(where, e, {"id", "org_id", "name", "url", "enabled", "events",
                                      "delivery_version", "secret", "created_by",
                                      "created_at", "updated_at"})
        if e.get("org_id") is None:
            raise SeedError("%s: org_id is required" % where)
        org = self._seed_org_ref(where, "org_id", e["org_id"])
        name = e.get("name")
        if not isinstance(name, str) or not name:
            raise SeedError("%s: name is required" % where)
        if not isinstance(e.get("url"), str):
            raise SeedError("%s: url is required" % where)
        events = e.get("events") or []
        if not isinstance(events, list) or not events or any(
                ev not in WEBHOOK_EVENTS for ev in events):
            raise SeedError("%s: events must be a non-empty list of %s"
                            % (where, ", ".join(WEBHOOK_EVENTS)))
        dv = e.get("delivery_version", "legacy")
        if dv not in ("legacy", "standard"):
            raise SeedError("%s: delivery_version must be legacy or standard" % where)
        self._seed_bool(where, e, "enabled")
        created_by = org["created_by"]
        if e.get("created_by"):
            created_by = self._seed_user_ref(where, "created_by", e["created_by"])["id"]
        now = self.stamp()
        self.webhooks.append({
            "id": self._seed_id(where, e, "webhooks", "uuid"), "org_id": org["id"],
            "name": name, "url": e["url"], "enabled": e.get("enabled", True) is not False,
            "events": list(events), "delivery_version": dv,
            "secret": e.get("secret") or "whsec_" + uuidlib.uuid4().hex,
            "created_by": created_by, "created_at": e.get("created_at") or now,
            "updated_at": e.get("updated_at") or now})

    # ----------------------------------------------------------------- export
    def export(self):
        """The whole state as a seed document (secrets included)."""
        doc = {}
        doc["users"] = [{k: u[k] for k in ("email", "id", "session_token", "first_name",
                                           "last_name", "image_url", "created_at",
                                           "mfa_enabled")
                         if u.get(k) is not None} for u in self.users]
        orgs = []
        for o in self.orgs:
            creator = self.user(o["created_by"])
            entry = {"id": o["id"], "name": o["name"],
                     "management_email": o["management_email"],
                     "created_by": creator["email"] if creator else None,
                     "created_at": o["created_at"], "updated_at": o["updated_at"]}
            for key in ORG_DEFAULTS:
                entry[key] = o.get(key)
            entry["members"] = []
            for m in self.members_of(o["id"]):
                if m.get("scope_type", "org") != "org":
                    continue
                item = {"email": m["email"], "role": m["role"]}
                if m.get("created_at"):
                    item["created_at"] = m["created_at"]
                if m.get("is_tmp"):
                    item["pending"] = True
                entry["members"].append(item)
            if entry["created_by"] is None:
                del entry["created_by"]
            orgs.append(entry)
        doc["orgs"] = orgs
        apps = []
        for a in self.apps:
            entry = {k: copy.deepcopy(a[k]) for k in
                     ("app_id", "id", "name", "owner_org", "user_id", "created_at",
                      "updated_at")}
            for key in APP_DEFAULTS:
                entry[key] = copy.deepcopy(a.get(key))
            apps.append(entry)
        doc["apps"] = apps
        doc["bundles"] = [{k: copy.deepcopy(b.get(k)) for k in
                           ("app_id", "id", "name", "created_at", "updated_at",
                            *SEED_BUNDLE_FIELDS)} for b in self.bundles]
        chans = []
        for c in self.channels:
            entry = {k: c.get(k) for k in ("app_id", "id", "name", "created_at",
                                           "updated_at", "created_by", *CHANNEL_DEFAULTS)}
            for field in ("version", "rollout_version"):
                bundle = self.bundle(c.get(field)) if c.get(field) is not None else None
                entry[field] = bundle["name"] if bundle else None
            chans.append(entry)
        doc["channels"] = chans
        keys = []
        for k in self.apikeys:
            user = self.user(k["user_id"])
            entry = {"id": k["id"], "rbac_id": k["rbac_id"], "name": k["name"],
                     "user": user["email"] if user else None,
                     "expires_at": k.get("expires_at"),
                     "hashed": k.get("key") is None,
                     "global_permissions": list(k.get("global_permissions") or []),
                     "created_at": k["created_at"], "updated_at": k["updated_at"]}
            if k.get("key") is not None:
                entry["key"] = k["key"]
            else:
                entry["key_hash"] = k["key_hash"]
            entry["bindings"] = []
            for b in self.bindings_of_apikey(k):
                item = {"role_name": b["role_name"], "scope_type": b["scope_type"],
                        "org_id": b["org_id"]}
                if b.get("app_id"):
                    app = self.app_by_uuid(b["app_id"])
                    item["app_id"] = app["app_id"] if app else b["app_id"]
                if b.get("channel_id") is not None:
                    item["channel_id"] = b["channel_id"]
                if b.get("reason"):
                    item["reason"] = b["reason"]
                entry["bindings"].append(item)
            keys.append(entry)
        doc["apikeys"] = keys
        doc["devices"] = [{k: copy.deepcopy(d.get(k)) for k in
                           ("app_id", "device_id", "updated_at", "created_at",
                            *DEVICE_DEFAULTS)} for d in self.devices]
        overrides = []
        for o in self.device_overrides:
            chan = self.channel(o["channel_id"])
            if chan is None:
                continue
            overrides.append({"app_id": o["app_id"], "device_id": o["device_id"],
                              "channel": chan["name"], "created_at": o.get("created_at")})
        doc["device_overrides"] = overrides
        doc["stats"] = [{k: s.get(k) for k in ("app_id", "date", *STATS_FIELDS)}
                        for s in self.stats]
        doc["webhooks"] = [{k: copy.deepcopy(w.get(k)) for k in
                            ("id", "org_id", "name", "url", "enabled", "events",
                             "delivery_version", "secret", "created_at", "updated_at")}
                           for w in self.webhooks]
        return doc


def _merge_entries(where, rows, entries, key_fields):
    for entry in entries:
        entry = copy.deepcopy(entry)
        remove = entry.pop("remove", False)
        key = tuple(entry.get(field) for field in key_fields)
        hit = next((row for row in rows
                    if tuple(row.get(field) for field in key_fields) == key), None)
        if remove:
            if hit is None:
                raise SeedError("%s: overlay removes %r, which the base seed does not hold"
                                % (where, key))
            rows.remove(hit)
        elif hit is None:
            rows.append(entry)
        else:
            members = entry.pop("members", None)
            hit.update(entry)
            if members is not None:
                _merge_entries(where + ".members", hit.setdefault("members", []), members,
                               ("email",))


def overlay_seed(base, overlay):
    """A copy of seed document ``base`` changed by ``overlay`` (a seed document too): an
    overlay entry updates the fields of the base entry with the same natural key (SEED_KEYS;
    an org's members merge by email), is appended when the base has none, and drops the base
    entry when it says ``remove: true``."""
    doc = copy.deepcopy(base or {})
    for section, entries in (overlay or {}).items():
        if section not in SEED_KEYS:
            raise SeedError("overlay: unknown seed section %r" % section)
        _merge_entries(section, doc.setdefault(section, []), entries, SEED_KEYS[section])
    return doc
