#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: capgo_app
short_description: Manage Capgo apps
version_added: 0.1.0
description:
  - Create, update and delete apps in Capgo Cloud.
  - The module reads the app once, compares only the options you set, and sends only the
    fields that differ. A converged run sends a single GET and reports RV(ignore:changed=false).
author:
  - capgo.cloud contributors (@capgo)
extends_documentation_fragment:
  - capgo.cloud.capgo
  - capgo.cloud.capgo.ATTRIBUTES
options:
  app_id:
    description:
      - Reverse-domain id of the app (for example V(com.example.app)), as in the app's
        Capacitor configuration.
      - App ids are unique across all of Capgo, not only within an organization.
    type: str
    required: true
  state:
    description:
      - V(present) creates the app or updates what differs; V(absent) deletes it.
      - Deleting an app deletes its bundles, channels, devices, overrides and statistics, and
        needs the C(app.delete) permission (only the C(org_super_admin) role has it by default).
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Display name of the app in Capgo.
      - Required to create the app.
    type: str
  owner_org:
    description:
      - The organization that owns the app, by id (a UUID) or by name.
      - Required to create the app.
      - With an id, a converged run sends one request (C(GET /app/<app_id>)).
      - A name costs more requests and is resolved only when needed. When the app exists, the
        module reads the organization that owns it (one more C(GET /organization)) and
        compares its name, so a converged run sends two requests; when that organization
        cannot be read with this key, or the app must be created, the name is looked up among
        all the organizations this API key can read (every page of C(GET /organization),
        50 organizations a page). The lookup fails when no organization or more than one has
        that name. Organization names are not unique in Capgo, so an id is the cheaper and
        safer choice.
      - Capgo's public API cannot move an app to another organization. When the app exists in a
        different organization, the module fails before any write.
    type: str
  icon:
    description:
      - The app's icon, as Capgo stores it. The module does not upload files.
      - Either the C(https://) URL of an image hosted anywhere, which Capgo stores and returns as
        given, or the path of an image already in Capgo's image storage (as the dashboard or the
        Capgo CLI uploaded it), which Capgo returns as a signed URL that changes over time.
        Both forms are compared the way Capgo normalizes them, so a converged run reports no
        change either way.
      - V("") removes the icon.
    type: str
  retention_days:
    description:
      - How many days Capgo keeps a bundle before deleting it automatically; V(0) keeps
        bundles forever (as in the Capgo CLI's C(--retention)).
      - Capgo stores the value in seconds and accepts less than 63113904 seconds (two years),
        so V(0) to V(730). The bound is checked before any request.
      - A new app gets 30 days from Capgo. Capgo sets the retention only on existing apps, so
        on create the module sends it in a second request.
    type: int
  expose_metadata:
    description:
      - Whether bundle metadata (link and comment) is sent to devices with update information.
    type: bool
  allow_device_custom_id:
    description:
      - Whether devices may set a custom id that the API and dashboard can use.
    type: bool
  block_provider_infra_requests:
    description:
      - Whether Capgo refuses update requests coming from cloud providers' infrastructure
        (app store review and test farms) instead of real devices.
    type: bool
  ios_store_url:
    description:
      - URL of the app in Apple's App Store, an http(s) URL. V("") clears it.
    type: str
  android_store_url:
    description:
      - URL of the app in Google Play, an http(s) URL. V("") clears it.
    type: str
notes:
  - B(Missing or forbidden.) Capgo answers the same C(401 cannot_access_app) for an app that
    does not exist and for an app this API key may not read, so the module cannot tell them
    apart by reading. With O(state=present) it then tries to create the app; if the id is
    already taken Capgo answers 409, and the module fails saying the id exists but this key
    cannot see it (it belongs to another organization, or the key has no role on it). In check
    mode no create is attempted, so a taken id is predicted as a create. With O(state=absent)
    an app the key cannot read is treated as absent (not changed).
  - Needs an API key with C(app.read) on the app to read it, C(org.create_app) in the owning
    organization to create it (C(org_member) and up), C(app.update_settings) to change it
    (C(app_admin), C(org_admin), C(org_super_admin)) and C(app.delete) to delete it
    (C(org_super_admin)).
seealso:
  - module: capgo.cloud.capgo_organization
  - module: capgo.cloud.capgo_channel
  - module: capgo.cloud.capgo_info
"""

EXAMPLES = r"""
- name: Create the app in an organization (by id)
  capgo.cloud.capgo_app:
    app_id: com.example.app
    name: Example
    owner_org: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    icon: https://cdn.example.com/icons/example-512.png
    retention_days: 90

- name: Create it in an organization named "Mobile team"
  capgo.cloud.capgo_app:
    app_id: com.example.other
    name: Other example
    owner_org: Mobile team

- name: Keep bundles forever and expose bundle metadata
  capgo.cloud.capgo_app:
    app_id: com.example.app
    retention_days: 0
    expose_metadata: true

- name: Set the store links
  capgo.cloud.capgo_app:
    app_id: com.example.app
    ios_store_url: https://apps.apple.com/app/id1234567890
    android_store_url: https://play.google.com/store/apps/details?id=com.example.app

- name: Delete the app with everything in it
  capgo.cloud.capgo_app:
    app_id: com.example.old
    state: absent
"""

RETURN = r"""
app:
  description:
    - The app after the run (in check mode, the predicted app); empty after a delete.
  returned: always
  type: dict
  contains:
    app_id:
      description: Reverse-domain id of the app.
      type: str
      sample: com.example.app
    id:
      description: The app's UUID (what API key bindings refer to).
      type: str
      sample: 9b2f0a8e-3c1d-4e5f-8a7b-6c5d4e3f2a1b
    name:
      description: Display name.
      type: str
      sample: Example
    owner_org:
      description: Id of the owning organization.
      type: str
      sample: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    icon:
      description: The icon as Capgo returns it (a URL, a signed URL for stored images, or an empty string).
      type: str
    retention_days:
      description:
        - Retention in days (Capgo's C(retention) divided by 86400; a whole number unless the
          retention was set in seconds elsewhere).
      type: float
      sample: 30
    expose_metadata:
      description: See the option.
      type: bool
    allow_device_custom_id:
      description: See the option.
      type: bool
    block_provider_infra_requests:
      description: See the option.
      type: bool
    ios_store_url:
      description: See the option; null when not set.
      type: str
    android_store_url:
      description: See the option; null when not set.
      type: str
    user_id:
      description: Id of the user who created the app.
      type: str
    created_at:
      description: Creation time (ISO 8601).
      type: str
    updated_at:
      description: Last change time (ISO 8601).
      type: str
    last_version:
      description: Name of the last bundle uploaded, or null.
      type: str
    default_upload_channel:
      description: Channel the Capgo CLI uploads to by default.
      type: str
      sample: dev
    channel_device_count:
      description: Number of device overrides of the app.
      type: int
    manifest_bundle_count:
      description: Number of bundles with a manifest.
      type: int
diff:
  description: Before and after, managed fields only.
  returned: when diff mode is on
  type: dict
"""

import re

from urllib.parse import unquote, urlparse

from ansible_collections.capgo.cloud.plugins.module_utils._base import CapgoResource, is_uuid
from ansible_collections.capgo.cloud.plugins.module_utils._client import URL_RE
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError
from ansible_collections.capgo.cloud.plugins.module_utils._resources import SECONDS_PER_DAY, app_from_api, seconds_to_days

# PUT /app rejects retention >= 63113904 seconds (retention_to_big) and < 0 (retention_to_small).
RETENTION_LIMIT_SECONDS = 63113904
MAX_RETENTION_DAYS = (RETENTION_LIMIT_SECONDS - 1) // SECONDS_PER_DAY  # 730
DEFAULT_RETENTION_SECONDS = 2592000
# Options sent as is (same name in the API).
PLAIN = ("name", "expose_metadata", "allow_device_custom_id", "block_provider_infra_requests",
         "ios_store_url", "android_store_url")
# What POST /app takes; everything else is set by a PUT after the create.
CREATE_FIELDS = ("name", "owner_org", "icon")
STORAGE_URL_RE = re.compile(r"/storage/v1/object(?:/(?:public|sign))?/images/(.+)$")


def days_to_seconds(days):
    """``retention_days`` as Capgo's ``retention`` (seconds)."""
    if days is None:
        return None
    return int(days) * SECONDS_PER_DAY


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


class App(CapgoResource):
    resource_key = "app"
    managed = ("name", "owner_org", "icon", "retention_days", "expose_metadata", "allow_device_custom_id",
               "block_provider_infra_requests", "ios_store_url", "android_store_url")
    create_required = ("name", "owner_org")
    create_defaults = {"icon": "", "retention_days": seconds_to_days(DEFAULT_RETENTION_SECONDS),
                       "ios_store_url": None, "android_store_url": None, "default_upload_channel": "dev"}

    def __init__(self):
        super(App, self).__init__(
            argument_spec=dict(
                app_id=dict(type="str", required=True),
                state=dict(type="str", default="present", choices=["present", "absent"]),
                name=dict(type="str"),
                owner_org=dict(type="str"),
                icon=dict(type="str"),
                retention_days=dict(type="int"),
                expose_metadata=dict(type="bool"),
                allow_device_custom_id=dict(type="bool"),
                block_provider_infra_requests=dict(type="bool"),
                ios_store_url=dict(type="str"),
                android_store_url=dict(type="str"),
            ),
        )
        self.app_id = self.params["app_id"]
        self.org_names = {}
        self._before = None

    def describe(self):
        return "app %s" % self.app_id

    # -- input -----------------------------------------------------------

    def validate(self):
        problem = check_retention_days(self.params.get("retention_days"))
        if problem:
            self.fail(problem)
        if self.params.get("name") is not None and not self.params["name"].strip():
            self.fail("name must not be empty")
        if self.params.get("owner_org") is not None and not self.params["owner_org"].strip():
            self.fail("owner_org must not be empty")
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
        orgs = [o for o in self.client.iter_pages("/organization", page_in_body=True) if isinstance(o, dict)]
        hits = [o for o in orgs if o.get("name") == value]
        if not hits:
            self.fail("owner_org: no organization named %r is visible to this API key (%d searched); give the "
                      "organization's id (a UUID) instead" % (value, len(orgs)))
        if len(hits) > 1:
            self.fail("owner_org: %d organizations are named %r (%s); give the id of the one you mean"
                      % (len(hits), value, ", ".join(sorted(o.get("id") or "?" for o in hits))))
        self.org_names[hits[0]["id"]] = value
        return hits[0]["id"]

    def owner_name(self, org_id):
        """The name of organization ``org_id``, or None when this key cannot read it."""
        try:
            org = self.api("GET", "/organization", params={"orgId": org_id})
        except CapgoAPIError as err:
            if err.error in ("invalid_org_id", "cannot_get_organization", "org_requires_expiring_key"):
                return None
            raise
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
        return super(App, self).present(before)

    def desired(self):
        desired = super(App, self).desired()
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
        return super(App, self).values_equal(key, current, wanted)

    def check_create(self, desired):
        missing = [k for k in self.create_required if desired.get(k) is None]
        if missing:
            self.fail("app %s does not exist, or this API key cannot read it (Capgo answers cannot_access_app for "
                      "both); to create it, set %s" % (self.app_id, " and ".join(missing)))

    def check_update(self, before, changes):
        if "owner_org" in changes:
            name = self.org_names.get(changes["owner_org"])
            self.fail("app %s belongs to organization %s, not %s: Capgo's public API cannot move an app to another "
                      "organization (transfer it in the Capgo dashboard, or leave owner_org unset)"
                      % (self.app_id, before.get("owner_org"),
                         "%s (%s)" % (changes["owner_org"], name) if name else changes["owner_org"]))

    def predict_create(self, desired):
        after = super(App, self).predict_create(desired)
        after["app_id"] = self.app_id
        return after

    # -- errors ----------------------------------------------------------

    def explain(self, err):
        org = self.params.get("owner_org")
        if err.error == "app_id_already_exists" or (err.status == 409 and err.method == "POST"):
            return ("app id %s is taken: an app with this id already exists in Capgo, but this API key cannot see "
                    "it (it belongs to an organization the key has no access to, or the key has no role on the app). "
                    "App ids are unique across all of Capgo: use another app_id, or a key with access to that app"
                    % self.app_id)
        if err.error == "cannot_access_organization":
            return ("this API key may not create apps in organization %s (it needs org.create_app there), or the "
                    "organization does not exist" % org)
        if err.error == "cannot_access_app":
            return ("app %s does not exist, or this API key may not change it (it needs app.update_settings; Capgo "
                    "answers cannot_access_app for both)" % self.app_id)
        if err.error == "cannot_delete_app":
            return ("app %s cannot be deleted with this API key: deleting an app needs app.delete (the "
                    "org_super_admin role), or the app was deleted meanwhile" % self.app_id)
        if err.error in ("invalid_app_id", "missing_app_id"):
            return "app_id %r is not a valid reverse-domain app id (like com.example.app)" % self.app_id
        if err.error in ("retention_to_big", "retention_to_small"):
            return check_retention_days(self.params.get("retention_days")) or "retention out of range"
        return super(App, self).explain(err)

    # -- reading ---------------------------------------------------------

    def read(self):
        try:
            data = self.api("GET", "/app/%s" % self.app_id)
        except CapgoAPIError as err:
            # 401 cannot_access_app: missing, or not readable with this key (Capgo does not say which).
            if (err.status == 401 and err.error == "cannot_access_app") or err.error == "cannot_find_app":
                return None
            raise
        return app_from_api(data)

    # -- writing ---------------------------------------------------------

    def body(self, changes):
        body = {}
        for key in PLAIN:
            if key in changes:
                body[key] = changes[key]
        if "icon" in changes:
            body["icon"] = changes["icon"] or ""
        if "retention_days" in changes:
            body["retention"] = days_to_seconds(changes["retention_days"])
        return body

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
        return self.read_written()

    def delete(self, before):
        self.delete_gone_ok("/app/%s" % self.app_id, ("cannot_delete_app",))


def main():
    App().run()


if __name__ == "__main__":
    main()
