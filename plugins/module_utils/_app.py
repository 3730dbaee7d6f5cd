# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The app resource of capgo.cloud (module ``capgo_app``): its declaration and its special rules."""

import re

from urllib.parse import unquote, urlparse

from ansible_collections.capgo.cloud.plugins.module_utils._client import URL_RE
from ansible_collections.capgo.cloud.plugins.module_utils._engine import (
    INVALID_APP_ID,
    Option,
    Resource,
    argument_spec_of,
    create_defaults_of,
    exported_of,
    find_one,
    is_uuid,
    managed_of,
    state_option,
    to_api,
)
from ansible_collections.capgo.cloud.plugins.module_utils._organization import list_organizations

SECONDS_PER_DAY = 86400
APP_PAGE_SIZE = 100
# PUT /app rejects retention >= 63113904 seconds (retention_to_big) and < 0 (retention_to_small).
RETENTION_LIMIT_SECONDS = 63113904
MAX_RETENTION_DAYS = (RETENTION_LIMIT_SECONDS - 1) // SECONDS_PER_DAY  # 730
DEFAULT_RETENTION_SECONDS = 2592000
# What POST /app takes; everything else is set by a PUT after the create.
CREATE_FIELDS = ("name", "owner_org", "icon")
STORAGE_URL_RE = re.compile(r"/storage/v1/object(?:/(?:public|sign))?/images/(.+)$")


def days_to_seconds(days):
    """``retention_days`` as Capgo's ``retention`` (seconds)."""
    if days is None:
        return None
    return int(days) * SECONDS_PER_DAY


def seconds_to_days(seconds):
    """Capgo's ``retention`` as days: an int when whole, else a float (4 decimals)."""
    if seconds is None:
        return None
    seconds = int(seconds)
    if seconds % SECONDS_PER_DAY == 0:
        return seconds // SECONDS_PER_DAY
    return round(seconds / float(SECONDS_PER_DAY), 4)


# The app's managed options, each once. The app row keeps every field it has; icon and
# retention_days are renamed or converted; PUT /app sends all but owner_org (set on create only).
APP_FIELDS = (
    Option("name", dict(type="str")),
    Option("owner_org", dict(type="str"), send=False, export=False),  # the nesting gives it
    Option("icon", dict(type="str"), "icon_url", send="icon", encode=lambda icon: icon or "", new=""),
    Option("retention_days", dict(type="int"), "retention", decode=seconds_to_days, encode=days_to_seconds,
           new=seconds_to_days(DEFAULT_RETENTION_SECONDS)),
    Option("expose_metadata", dict(type="bool")),
    Option("allow_device_custom_id", dict(type="bool")),
    Option("block_provider_infra_requests", dict(type="bool")),
    Option("ios_store_url", dict(type="str"), new=None),
    Option("android_store_url", dict(type="str"), new=None),
)


def app_from_api(data):
    """A Capgo app row: every field, ``icon_url`` as ``icon``, ``retention`` (seconds) as ``retention_days``."""
    state = dict(data or {})
    for field in APP_FIELDS:
        if field.api != field.option:
            value = state.pop(field.api, None)
            state[field.option] = field.decode(value) if field.decode else value
    return state


def list_apps(client, org_id=None, page_size=APP_PAGE_SIZE):
    """Every app the key can read (of organization ``org_id``, when given): GET /app rows, all pages."""
    params = {"limit": page_size}
    if org_id:
        params["org_id"] = org_id
    return client.iter_pages("/app", params=params, id_key="app_id", page_size=page_size)


def check_retention_days(days):
    """An error sentence when Capgo would refuse the retention, else None."""
    if days is None:
        return None
    if days < 0 or days_to_seconds(days) >= RETENTION_LIMIT_SECONDS:
        return ("retention_days must be between 0 and %d (Capgo accepts a retention below %d seconds, two years), "
                "got %s" % (MAX_RETENTION_DAYS, RETENTION_LIMIT_SECONDS, days))
    return None


def icon_key(value):
    """The icon the way Capgo stores it: a URL as given, or the path inside its image storage.

    Capgo normalizes an icon before storing it (a URL of its own image storage becomes the path
    in the ``images`` bucket, a bare path loses a leading ``images/`` and slashes) and returns a
    stored path as a signed URL; comparing these keys makes every form of the same icon equal.
    """
    if not value:
        return ""
    value = value.strip()
    parsed = urlparse(value)
    if parsed.scheme and parsed.netloc:
        match = STORAGE_URL_RE.search(parsed.path)
        if match:
            return unquote(match.group(1))
        return value
    value = re.sub(r"^images/", "", value)
    return value.lstrip("/")


class App(Resource):
    resource_key = "app"
    kind = "apps"
    # owner_org may be a name, or unset for an existing app: one listing of every app the key reads
    scope_options = ()
    identity_options = ("app_id",)
    errors = {
        "cannot_access_organization": "this API key may not create apps in organization {owner_org} (it needs "
                                      "org.create_app there), or the organization does not exist",
        "cannot_access_app": "app {app_id} does not exist, or this API key may not change it (it needs "
                             "app.update_settings; Capgo answers cannot_access_app for both)",
        "cannot_delete_app": "app {app_id} cannot be deleted with this API key: deleting an app needs app.delete "
                             "(the org_super_admin role), or the app was deleted meanwhile",
        "invalid_app_id": INVALID_APP_ID,
        "missing_app_id": INVALID_APP_ID,
    }
    managed = managed_of(APP_FIELDS)
    export_options = exported_of(APP_FIELDS)
    create_required = ("name", "owner_org")
    create_defaults = dict(create_defaults_of(APP_FIELDS), default_upload_channel="dev")

    argument_spec = dict(
        app_id=dict(type="str", required=True),
        state=state_option(),
        **argument_spec_of(APP_FIELDS)
    )

    def setup(self):
        self.app_id = self.params["app_id"]
        self.org_names = {}
        self._before = None

    @classmethod
    def purge_options(cls, state, scope):
        if state.get("owner_org") != scope["owner_org"]:
            return None  # an app of another organization the key can read
        return dict(app_id=state.get("app_id"))

    def describe(self):
        return "app %s" % self.app_id

    # -- input -----------------------------------------------------------

    def validate(self):
        problem = check_retention_days(self.params.get("retention_days"))
        if problem:
            self.fail(problem)
        self.require_filled("name", "owner_org")
        for key in ("ios_store_url", "android_store_url"):
            if self.params.get(key) and not URL_RE.match(self.params[key]):
                self.fail("%s must be an http(s) URL (or \"\" to clear it), got %r" % (key, self.params[key]))

    def normalize(self, key, value):
        if key in ("ios_store_url", "android_store_url") and value == "":
            return None
        if key == "owner_org":
            return value.strip()
        return value

    def lookup_org(self, value):
        """The id of the organization named ``value``, among every organization the key can read."""
        orgs = [o for o in list_organizations(self.client) if isinstance(o, dict)]
        found = find_one(orgs, lambda o: o.get("name") == value, lambda hits: self.failure(
            "owner_org: %d organizations are named %r (%s); give the id of the one you mean"
            % (len(hits), value, ", ".join(sorted(o.get("id") or "?" for o in hits)))))
        if found is None:
            self.fail("owner_org: no organization named %r is visible to this API key (%d searched); give the "
                      "organization's id (a UUID) instead" % (value, len(orgs)))
        self.org_names[found["id"]] = value
        return found["id"]

    def owner_name(self, org_id):
        """The name of organization ``org_id``, or None when this key cannot read it."""
        org = self.get_or_none("/organization", ("invalid_org_id", "cannot_get_organization",
                                                 "org_requires_expiring_key"), params={"orgId": org_id})
        return org.get("name") if isinstance(org, dict) else None

    def resolve_org(self, value, before):
        """``owner_org`` as an id, requesting only what is needed.

        An id is used as is. A name is compared with the name of the app's organization when
        the app exists (one GET); otherwise it is looked up among the key's organizations.
        """
        if is_uuid(value):
            return value.lower()
        current = (before or {}).get("owner_org")
        if current and self.owner_name(current) == value:
            self.org_names[current] = value
            return current
        return self.lookup_org(value)

    def present(self, before):
        self._before = before
        desired = self.desired() if before is None and self.params.get("name") is None else None
        if desired is not None and not [k for k in desired if k != "owner_org"]:
            # Only a reference (no name to create it with, no setting), in an environment say: in check
            # mode, an app an earlier task of the run creates; nothing of it would change here.
            self.assume("app %s does not exist (or this API key cannot read it)" % self.app_id,
                        self.create_refusal(desired))
            return dict(desired, app_id=self.app_id)
        return super().present(before)

    def desired(self):
        desired = super().desired()
        if "owner_org" in desired and self.params["state"] == "present":
            desired["owner_org"] = self.resolve_org(desired["owner_org"], self._before)
        return desired

    # -- comparison ------------------------------------------------------

    def values_equal(self, key, current, wanted):
        if key == "icon":
            return icon_key(current) == icon_key(wanted)
        if key in ("ios_store_url", "android_store_url"):
            return (current or None) == (wanted or None)
        if key == "owner_org" and isinstance(current, str) and isinstance(wanted, str):
            return current.lower() == wanted.lower()
        return super().values_equal(key, current, wanted)

    def create_refusal(self, desired):
        """The failure line of a create without what it needs (None when nothing is missing)."""
        missing = [k for k in self.create_required if desired.get(k) is None]
        if not missing:
            return None
        return ("app %s does not exist, or this API key cannot read it (Capgo answers cannot_access_app for both); "
                "to create it, set %s" % (self.app_id, " and ".join(missing)))

    def check_create(self, desired):
        refusal = self.create_refusal(desired)
        if refusal:
            self.fail(refusal)

    def check_update(self, before, changes):
        if "owner_org" in changes:
            name = self.org_names.get(changes["owner_org"])
            self.fail("app %s belongs to organization %s, not %s: Capgo's public API cannot move an app to another "
                      "organization (transfer it in the Capgo dashboard, or leave owner_org unset)"
                      % (self.app_id, before.get("owner_org"),
                         "%s (%s)" % (changes["owner_org"], name) if name else changes["owner_org"]))

    def predict_create(self, desired):
        after = super().predict_create(desired)
        after["app_id"] = self.app_id
        return after

    # -- errors ----------------------------------------------------------

    def explain(self, err):
        if err.error == "app_id_already_exists" or (err.status == 409 and err.method == "POST"):
            return ("app id %s is taken: an app with this id already exists in Capgo, but this API key cannot see "
                    "it (it belongs to an organization the key has no access to, or the key has no role on the app). "
                    "App ids are unique across all of Capgo: use another app_id, or a key with access to that app"
                    % self.app_id)
        if err.error in ("retention_to_big", "retention_to_small"):
            return check_retention_days(self.params.get("retention_days")) or "retention out of range"
        return super().explain(err)

    # -- reading ---------------------------------------------------------

    def read(self):
        # 401 cannot_access_app: missing, or not readable with this key (Capgo does not say which).
        data = self.get_or_none("/app/%s" % self.app_id, {"cannot_access_app": 401, "cannot_find_app": None})
        return None if data is None else app_from_api(data)

    @classmethod
    def list_all(cls, op, scope):
        """Every app the key can read: GET /app, all pages (the rows GET /app/:id returns)."""
        return [app_from_api(a) for a in list_apps(op.client) if isinstance(a, dict)]

    # -- writing ---------------------------------------------------------

    def body(self, changes):
        return to_api(APP_FIELDS, changes)

    def create(self, desired):
        body = {"app_id": self.app_id}
        for key in CREATE_FIELDS:
            if desired.get(key) is not None:
                body[key] = desired[key]
        created = app_from_api(self.write("POST", "/app", body=body))
        if not created.get("app_id"):
            created = self.read() or dict(created, app_id=self.app_id)
        rest = self.compare(created, desired)
        rest.pop("owner_org", None)
        if rest:
            return self.update(created, rest)
        return created

    def update(self, before, changes):
        data = self.write("PUT", "/app/%s" % self.app_id, body=self.body(changes))
        if isinstance(data, dict) and data.get("app_id"):
            return app_from_api(data)
        return self.current_after_write()

    def delete(self, before):
        self.delete_gone_ok("/app/%s" % self.app_id, ("cannot_delete_app",))
