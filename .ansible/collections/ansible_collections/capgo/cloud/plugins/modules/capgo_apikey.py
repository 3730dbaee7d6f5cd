#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: capgo_apikey
short_description: Manage Capgo API keys and their role bindings
version_added: 0.1.0
description:
  - Create, rename, re-date, rotate and delete Capgo API keys, and give new keys their role
    bindings (what the key may do, and where).
  - A key is identified by O(id), else by O(name). Capgo does not keep key names unique;
    when several keys have the name the module fails and lists their ids (pass O(id) to pick
    one).
  - The secret of a key is never read back. A present key whose name, expiry and (when
    compared) hashing match is reported as RV(ignore:changed=false), and the result carries no
    secret. The secret is returned, in RV(apikey.key), only by the task that created the key
    or rotated it with O(regenerate=true). It never appears in diffs, warnings or error
    messages. Set C(no_log) to C(true) on such tasks and store the key at once, for example in a
    vault or an AWX credential (see the examples).
  - "Creating a key needs a dashboard session token (JWT) as O(api_key): Capgo refuses API keys
    creating API keys. The module fails with a message that says so, before sending anything,
    when O(api_key) is an API key."
author:
  - capgo.cloud contributors (@capgo)
extends_documentation_fragment:
  - capgo.cloud.capgo
  - capgo.cloud.capgo.ATTRIBUTES
options:
  id:
    description:
      - Numeric id of the key. When set, it identifies the key and O(name) is the name it
        gets (a rename).
      - A key cannot be created with a given id; when no key has this id, O(state=present)
        fails and O(state=absent) does nothing.
    type: int
  name:
    description:
      - Name of the key; its identity when O(id) is not set. Required to create a key.
    type: str
  state:
    description:
      - V(present) creates the key or updates what differs; V(absent) deletes it.
      - Deleting a key that is already gone is not a change.
      - An API key cannot delete itself; Capgo refuses it (C(cannot_delete_apikey)) and the
        module fails with Capgo's reason.
    type: str
    choices: [present, absent]
    default: present
  bindings:
    description:
      - The role bindings of the key. Required to create a key (unless O(mode) is used).
      - The scope of a binding follows from the ids set in it. O(bindings[].org_id) alone
        binds an organization role; with O(bindings[].app_id) it is an app role; with
        O(bindings[].channel_id) as well, a channel role. The role must be of that scope.
      - B(Capgo never returns the bindings of a key), so they cannot be compared. They are sent
        when the key is created, and sent again to an existing key only with
        O(update_bindings=true), which then always reports a change (the sent bindings
        replace all bindings of the key).
      - Mutually exclusive with O(mode).
    type: list
    elements: dict
    suboptions:
      role:
        description:
          - The role. Organization roles C(org_*) and C(apikey_manager), app roles C(app_*)
            and C(bundle_*), channel roles C(channel_*).
          - Handing out V(org_super_admin), V(org_admin), V(app_admin), V(app_preview) or
            V(channel_admin) needs a caller with C(org.update_user_roles) in that organization.
        type: str
        required: true
        choices:
          - org_super_admin
          - org_admin
          - org_billing_admin
          - apikey_manager
          - org_member
          - app_admin
          - app_preview
          - app_developer
          - app_uploader
          - app_notifications
          - app_reader
          - bundle_admin
          - bundle_reader
          - channel_admin
          - channel_developer
          - channel_uploader
          - channel_reader
      org_id:
        description:
          - Id (UUID) of the organization. Required for organization roles; for app and
            channel roles it defaults to the organization that owns the app (and must be that
            organization when set).
        type: str
      app_id:
        description:
          - Reverse-domain id of the app (V(com.example.app)); the module resolves it to the
            app's UUID, which Capgo's bindings use, with C(GET /app/:id). The app's UUID is
            accepted too (then O(bindings[].org_id) is required, and no lookup is made).
        type: str
      channel_id:
        description:
          - Numeric id of the channel, for channel roles.
        type: int
  mode:
    description:
      - The older key modes of Capgo (before its 2026-05-27 migration to role bindings), as a
        shorthand for O(bindings). The module translates them the way Capgo migrated the old
        keys, with O(org_id) standing for the old organization limit and O(app_id) for the
        old app limit.
      - "V(all) with O(org_id) and no O(app_id): V(org_super_admin) on the organization."
      - "V(all), V(write), V(upload) or V(read) with O(org_id) otherwise: V(org_member) on the
        organization plus the app role of the mode (V(all): V(app_admin), V(write):
        V(app_developer), V(upload): V(app_uploader), V(read): V(app_reader)) on every app the
        organization has when the key is created. Apps created later are not covered, as in
        Capgo's migration."
      - "Any mode with O(app_id): the app role of the mode on that app. Capgo's migration also
        gave such keys the compatibility role C(apikey_org_reader) (C(org.read) only) on the
        app's organization; that role cannot be handed out through the API, so the module leaves
        it out: such a key cannot read its organization."
      - "Capgo's migration bound keys without an organization limit to every organization of
        their owner; the public API cannot list those for a session token, so O(mode) needs
        O(org_id) or O(app_id)."
      - Like O(bindings), the result is sent on creation and, with O(update_bindings=true),
        to an existing key. Mutually exclusive with O(bindings).
    type: str
    choices: [read, upload, write, all]
  org_id:
    description:
      - With O(mode) only, the organization (UUID) the key is limited to.
    type: str
  app_id:
    description:
      - With O(mode) only, the reverse-domain id (or the UUID) of the app the key is limited to.
    type: str
  update_bindings:
    description:
      - Send O(bindings) (or the translation of O(mode)) to an existing key, replacing all its
        bindings. Always reports a change, because Capgo never returns a key's bindings to
        compare with.
      - Capgo lets only a dashboard session token change bindings; the module fails before
        sending anything when O(api_key) is an API key.
    type: bool
    default: false
  expires_at:
    description:
      - When the key expires, as a date (V(2027-01-31), midnight UTC) or an ISO 8601 date and
        time (V(2027-01-31T18:00:00Z); without a time zone, UTC). Compared with the key's
        expiry as a point in time, so any spelling of the same instant is no change.
      - When the task does not set it (the default, V(unchanged)), the expiry of an existing
        key is left as it is and a new key gets none. V(unchanged) may also be given
        explicitly.
      - V(null) (a YAML null given to the option in the task) removes the expiry. V(never)
        and V("") do the same.
      - "From a template, C({{ var }}) with a null O(expires_at) variable removes the expiry
        on every ansible-core version (ansible-core before 2.19 templates a null variable to
        V(\"\"), which means the same); to leave the expiry alone when a variable is undefined
        or null, write C({{ var | default(omit, true) }})."
      - Must be in the future when it is sent, and within the limits the organizations of the
        key's bindings set (C(require_apikey_expiration), C(max_apikey_expiration_days)).
      - The option's type is C(raw) only so that an explicit null reaches the module on
        every ansible-core (ansible-core 2.16 refuses a null for a C(str) option that has
        a default); give a string, or null.
    type: raw
    default: unchanged
  hashed:
    description:
      - Store only a hash of the key (Capgo then cannot show the secret ever again).
      - Set when the key is created; Capgo cannot change it afterwards. On an existing key a
        different value is not changed; the module warns.
    type: bool
  regenerate:
    description:
      - Rotate the secret of an existing key. The old secret stops working immediately and
        the new one is returned in RV(apikey.key). Reports a change on every run with
        V(true), so use it in a task that runs when a rotation is wanted.
      - A new key is not rotated again in the run that creates it.
      - An API key cannot rotate itself (C(cannot_update_apikey)).
    type: bool
    default: false
  lookup_api_key:
    description:
      - An API key for the lookups Capgo answers only to API keys, not to session tokens
        (C(GET /app/:id) to resolve a reverse-domain O(bindings[].app_id), C(GET /app) to
        list the apps of an organization for O(mode)). Needed when O(api_key) is a session
        token and such a lookup is needed; when O(api_key) is an API key it is used itself.
      - The key needs C(app.read) on the apps (C(org.read) to list them).
      - If not set, the environment variable E(CAPGO_LOOKUP_API_KEY) is used.
    type: str
notes:
  - Listing and reading keys with an API key needs C(org.manage_apikeys) (C(org_admin),
    C(org_super_admin) or C(apikey_manager)); such a key sees only keys whose every bound
    organization it manages. A session token sees all keys of its user.
  - Renaming, re-dating and rotating work with an API key, except on the key itself.
  - Dashboard session tokens are short-lived; get one from the Capgo web app (for example
    from the C(authorization) header of its API calls) right before the play.
seealso:
  - module: capgo.cloud.capgo_organization
  - module: capgo.cloud.capgo_info
"""

EXAMPLES = r"""
- name: Create a CI key that may upload bundles to one app (needs a session token)
  capgo.cloud.capgo_apikey:
    api_key: "{{ capgo_session_token }}"
    lookup_api_key: "{{ capgo_admin_api_key }}"
    name: ci-upload
    bindings:
      - role: app_uploader
        app_id: com.example.app
    expires_at: "2027-06-30"
  register: ci_key
  no_log: true

- name: Keep the new key in HashiCorp Vault (only the creating task returns it)
  community.hashi_vault.vault_write:
    path: secret/data/capgo/ci-upload
    data:
      data:
        api_key: "{{ ci_key.apikey.key }}"
  when: ci_key.apikey.key is defined
  no_log: true

- name: Or keep it in AWX / Automation Controller - a credential type for Capgo keys (once)
  awx.awx.credential_type:
    name: Capgo API key
    kind: cloud
    inputs:
      fields:
        - id: api_key
          type: string
          label: Capgo API key
          secret: true
      required: [api_key]
    injectors:
      env:
        CAPGO_API_KEY: "{{ '{{ api_key }}' }}"
    state: present

- name: And a credential of that type holding the new key
  awx.awx.credential:
    name: Capgo CI upload key
    organization: Default
    credential_type: Capgo API key
    inputs:
      api_key: "{{ ci_key.apikey.key }}"
  when: ci_key.apikey.key is defined
  no_log: true

- name: The older mode shorthand - a read key of one organization
  capgo.cloud.capgo_apikey:
    api_key: "{{ capgo_session_token }}"
    lookup_api_key: "{{ capgo_admin_api_key }}"
    name: dashboards
    mode: read
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
  register: read_key
  no_log: true

- name: Extend a key's expiry (an API key can do this)
  capgo.cloud.capgo_apikey:
    name: ci-upload
    expires_at: "2027-12-31T23:59:59Z"

- name: Give an existing key new bindings (session token; always reports a change)
  capgo.cloud.capgo_apikey:
    api_key: "{{ capgo_session_token }}"
    lookup_api_key: "{{ capgo_admin_api_key }}"
    name: ci-upload
    bindings:
      - role: app_developer
        app_id: com.example.app
    update_bindings: true

- name: Rotate the secret
  capgo.cloud.capgo_apikey:
    name: ci-upload
    regenerate: true
  register: rotated
  no_log: true

- name: Delete a key
  capgo.cloud.capgo_apikey:
    id: 42
    state: absent
"""

RETURN = r"""
apikey:
  description:
    - The key after the run (in check mode, the predicted key); empty after a delete.
    - Never contains the secret, except RV(apikey.key) in the result of the task that created
      or rotated the key.
  returned: always
  type: dict
  contains:
    id:
      description: Numeric id of the key; absent from the prediction of a creation in check mode.
      type: int
      sample: 42
    name:
      description: Name of the key.
      type: str
      sample: ci-upload
    key:
      description:
        - The secret. Only in the result of the task that created the key, or rotated it with
          O(regenerate=true); Capgo never shows it again.
      type: str
      returned: when the key was created or rotated by this task (not in check mode)
      sample: 5f0e2b8c-0d9f-4d6b-a1a4-6b8f1f7f3c2e
    expires_at:
      description: When the key expires (ISO 8601, UTC), or null.
      type: str
      sample: "2027-06-30T00:00:00Z"
    hashed:
      description: Whether Capgo stores only a hash of the key.
      type: bool
      sample: false
    bindings:
      description:
        - The bindings sent in this run, in the module's terms (with O(bindings[].org_id)
          filled in from the app). Absent when none were sent (Capgo never returns them).
      type: list
      elements: dict
      returned: when bindings were sent
      sample: [{role: app_uploader, org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8, app_id: com.example.app,
                channel_id: null}]
    global_permissions:
      description: Global permissions of the key (V(org.create) or none).
      type: list
      elements: str
      sample: []
    user_id:
      description: Id of the user who owns the key.
      type: str
    rbac_id:
      description: UUID the key's role bindings refer to.
      type: str
    created_at:
      description: Creation time (ISO 8601).
      type: str
    updated_at:
      description: Last change time (ISO 8601).
      type: str
diff:
  description: Before and after, managed fields only (name, expires_at, hashed, bindings); never the secret.
  returned: when diff mode is on
  type: dict
"""

from datetime import datetime, timezone

from ansible.module_utils.basic import env_fallback

from ansible_collections.capgo.cloud.plugins.module_utils._base import CapgoResource, is_app_id, is_uuid
from ansible_collections.capgo.cloud.plugins.module_utils._client import CREDENTIAL_RE
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError, CapgoClient
from ansible_collections.capgo.cloud.plugins.module_utils._resources import apikey_from_api, format_expiry, parse_expiry

ROLE_SCOPES = {
    "org_super_admin": "org", "org_admin": "org", "org_billing_admin": "org", "apikey_manager": "org",
    "org_member": "org",
    "app_admin": "app", "app_preview": "app", "app_developer": "app", "app_uploader": "app",
    "app_notifications": "app", "app_reader": "app", "bundle_admin": "app", "bundle_reader": "app",
    "channel_admin": "channel", "channel_developer": "channel", "channel_uploader": "channel",
    "channel_reader": "channel",
}
ROLES = list(ROLE_SCOPES)
# Capgo's 2026-05-27 migration of mode keys (capgo-api.md section 1.5).
MODE_APP_ROLE = {"all": "app_admin", "write": "app_developer", "upload": "app_uploader", "read": "app_reader"}
NO_EXPIRY = ("", "never", "none", "null")
UNCHANGED = "unchanged"  # expires_at's default: the task does not manage the expiry
CREATE_REFUSED = "Capgo refuses API keys creating API keys: use a dashboard session token as api_key"
BINDINGS_REFUSED = "Capgo lets only a dashboard session token change a key's bindings: use one as api_key"


class ApiKey(CapgoResource):
    resource_key = "apikey"
    managed = ("name", "expires_at", "hashed", "bindings")
    secret_fields = ("key",)
    # app_id may also be the app's UUID here (with org_id): checked in validate().
    checked_identifiers = ("org_id",)

    def __init__(self):
        super(ApiKey, self).__init__(
            argument_spec=dict(
                id=dict(type="int"),
                name=dict(type="str"),
                state=dict(type="str", default="present", choices=["present", "absent"]),
                bindings=dict(type="list", elements="dict", options=dict(
                    role=dict(type="str", required=True, choices=ROLES),
                    org_id=dict(type="str"),
                    app_id=dict(type="str"),
                    channel_id=dict(type="int"),
                )),
                mode=dict(type="str", choices=["read", "upload", "write", "all"]),
                org_id=dict(type="str"),
                app_id=dict(type="str"),
                update_bindings=dict(type="bool", default=False),
                expires_at=dict(type="raw", default=UNCHANGED),
                hashed=dict(type="bool"),
                regenerate=dict(type="bool", default=False),
                lookup_api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["CAPGO_LOOKUP_API_KEY"])),
            ),
            required_one_of=[("id", "name")],
            mutually_exclusive=[("bindings", "mode")],
        )
        self.key_id = self.params["id"]
        self.name = self.params["name"]
        self.expiry = None  # (set, value) once validated
        self._lookup = None
        self._apps = {}
        self.sent_bindings = None  # (API form, module form) once resolved

    def describe(self):
        if self.key_id is not None:
            return "API key %s" % self.key_id
        return "API key %s" % self.name

    # -- input -----------------------------------------------------------

    def expires_at_given(self):
        """(given, value): expires_at set by the task, an explicit null included.

        The option's default is the sentinel ``unchanged``: AnsibleModule applies a default only
        when the task does not set the option, so an explicit null stays None ("no expiry").
        The type is ``raw`` because ansible-core 2.16 refuses None for a ``str`` option with a
        default, and 2.19 turns it into ``""``.
        """
        value = self.params.get("expires_at")
        if value is None:
            return True, None
        value = "%s" % (value,)  # type raw (see the docs): a YAML date, say, arrives as it is
        if value.strip().lower() == UNCHANGED:
            return False, None
        return True, value

    def validate(self):
        p = self.params
        if p["id"] is not None and p["id"] < 1:
            self.fail("id must be the (positive) id of an API key, got %d" % p["id"])
        if self.name is not None and not self.name.strip():
            self.fail("name must not be empty")
        given, value = self.expires_at_given()
        if given:
            if value is None or value.strip().lower() in NO_EXPIRY:
                self.expiry = (True, None)
            else:
                parsed = parse_expiry(value)
                if parsed is None:
                    self.fail("expires_at must be a date (2027-01-31) or an ISO 8601 date and time "
                              "(2027-01-31T18:00:00Z), or null; got %r" % value)
                self.expiry = (True, format_expiry(parsed))
        if p["mode"] is None and (p["org_id"] is not None or p["app_id"] is not None):
            self.fail("org_id and app_id belong to the mode shorthand; with bindings, set the ids in each binding")
        if p["mode"] is not None and not (p["org_id"] or p["app_id"]):
            self.fail("mode needs org_id or app_id: Capgo's migration bound unlimited keys to every organization "
                      "of their owner, which the API cannot list for a session token; name the organization")
        if p["app_id"] and not (is_uuid(p["app_id"]) or is_app_id(p["app_id"])):
            self.fail("app_id must be an app id (com.example.app) or the app's UUID, got %r" % p["app_id"])
        if p["mode"] is not None and p["app_id"] and is_uuid(p["app_id"]) and not p["org_id"]:
            self.fail("with an app UUID as app_id, org_id is required too")
        if p["lookup_api_key"] is not None and not CREDENTIAL_RE.match(p["lookup_api_key"]):
            self.fail("lookup_api_key contains whitespace or control characters (a trailing newline?)")
        if p["bindings"] is not None:
            if not p["bindings"]:
                self.fail("bindings needs at least one binding: Capgo creates no key without one")
            for index, binding in enumerate(p["bindings"]):
                self.validate_binding(index, binding)
        if p["update_bindings"] and p["bindings"] is None and p["mode"] is None:
            self.fail("update_bindings needs bindings or mode: the bindings to send")

    def validate_binding(self, index, binding):
        where = "bindings[%d]" % index
        role = binding["role"]
        scope = ROLE_SCOPES[role]
        if scope == "org":
            if not binding.get("org_id"):
                self.fail("%s: role %s is an organization role and needs org_id" % (where, role))
            if binding.get("app_id") or binding.get("channel_id") is not None:
                self.fail("%s: role %s is an organization role; drop app_id and channel_id, or pick an app or "
                          "channel role" % (where, role))
        elif scope == "app":
            if not binding.get("app_id"):
                self.fail("%s: role %s is an app role and needs app_id" % (where, role))
            if binding.get("channel_id") is not None:
                self.fail("%s: role %s is an app role; drop channel_id, or pick a channel role" % (where, role))
        elif not binding.get("app_id") or binding.get("channel_id") is None:
            self.fail("%s: role %s is a channel role and needs app_id and channel_id" % (where, role))
        if binding.get("org_id") and not is_uuid(binding["org_id"]):
            self.fail("%s: org_id must be the UUID of an organization, got %r" % (where, binding["org_id"]))
        if binding.get("app_id") and not (is_uuid(binding["app_id"]) or is_app_id(binding["app_id"])):
            self.fail("%s: app_id must be an app id (com.example.app) or the app's UUID, got %r"
                      % (where, binding["app_id"]))
        if binding.get("app_id") and is_uuid(binding["app_id"]) and not binding.get("org_id"):
            self.fail("%s: with an app UUID as app_id, org_id is required too" % where)

    def desired(self):
        desired = {}
        if self.name is not None:
            desired["name"] = self.name
        if self.expiry is not None:
            desired["expires_at"] = self.expiry[1]
        if self.params["hashed"] is not None:
            desired["hashed"] = self.params["hashed"]
        return desired

    # -- comparison ------------------------------------------------------

    def compare(self, before, desired):
        desired = dict(desired)
        hashed = desired.pop("hashed", None)
        if hashed is not None and before.get("hashed") is not None and hashed != before["hashed"]:
            self.warn("%s is %shashed, and Capgo sets hashing only when a key is created: hashed=%s is not "
                      "applied (delete the key and create it again to change it)"
                      % (self.describe(), "" if before["hashed"] else "not ", hashed))
        changes = super(ApiKey, self).compare(before, desired)
        if self.params["update_bindings"]:
            changes["bindings"] = None  # resolved in check_update
        if self.params["regenerate"]:
            changes["regenerate"] = True
        return changes

    # -- lookups ---------------------------------------------------------

    def lookup_client(self, why):
        if not self.uses_session_token:
            return self.client
        if self._lookup is None:
            if not self.params["lookup_api_key"]:
                self.fail("%s: Capgo answers this lookup only to API keys, not to session tokens; set "
                          "lookup_api_key to an API key that can read the app" % why)
            self._lookup = CapgoClient(
                api_key=self.params["lookup_api_key"], api_url=self.params["api_url"],
                timeout=self.params["timeout"], retries=self.params["retries"],
                validate_certs=self.params["validate_certs"], ca_path=self.params["ca_path"], warn=self.warn)
        return self._lookup

    def fail(self, msg, **kwargs):
        if self._lookup is not None:
            msg = self._lookup.scrub(msg)
        super(ApiKey, self).fail(msg, **kwargs)

    def lookup_app(self, where, app_id):
        """(uuid, owner org, reverse-domain id) of an app."""
        if app_id in self._apps:
            return self._apps[app_id]
        client = self.lookup_client("%s: resolving app %s to its UUID" % (where, app_id))
        try:
            data = client.get("/app/%s" % app_id)
        except CapgoAPIError as err:
            if err.error in ("cannot_access_app", "invalid_app_id", "cannot_find_app"):
                self.fail("%s: app %s does not exist, or the key used for lookups cannot read it (%s)"
                          % (where, app_id, err))
            raise
        found = (data.get("id"), data.get("owner_org"), data.get("app_id") or app_id)
        self._apps[app_id] = found
        return found

    def org_apps(self, org_id):
        client = self.lookup_client("mode: listing the apps of organization %s" % org_id)
        apps = []
        for app in client.iter_pages("/app", params={"org_id": org_id, "limit": 50}):
            if app.get("owner_org") not in (None, org_id):
                continue
            self._apps[app.get("app_id")] = (app.get("id"), app.get("owner_org") or org_id, app.get("app_id"))
            apps.append(app.get("app_id"))
        return sorted(apps)

    def mode_bindings(self):
        """Capgo's migration of a mode key, as bindings in the module's terms."""
        mode, org_id, app_id = self.params["mode"], self.params["org_id"], self.params["app_id"]
        app_role = MODE_APP_ROLE[mode]
        if app_id:
            # the migration added apikey_org_reader on the app's org, which cannot be assigned
            return [{"role": app_role, "org_id": org_id, "app_id": app_id, "channel_id": None}]
        if mode == "all":
            return [{"role": "org_super_admin", "org_id": org_id, "app_id": None, "channel_id": None}]
        out = [{"role": "org_member", "org_id": org_id, "app_id": None, "channel_id": None}]
        for app in self.org_apps(org_id):
            out.append({"role": app_role, "org_id": org_id, "app_id": app, "channel_id": None})
        return out

    def resolve_bindings(self):
        """(API form, module form) of the bindings to send."""
        if self.sent_bindings is not None:
            return self.sent_bindings
        if self.params["bindings"] is not None:
            specs = [dict(b) for b in self.params["bindings"]]
            label = "bindings[%d]"
        else:
            specs = self.mode_bindings()
            label = "mode (binding %d)"
        api, public = [], []
        for index, spec in enumerate(specs):
            where = label % index
            role = spec["role"]
            item = {"role_name": role, "scope_type": ROLE_SCOPES[role]}
            view = {"role": role, "org_id": spec.get("org_id"), "app_id": spec.get("app_id"),
                    "channel_id": spec.get("channel_id")}
            if spec.get("app_id"):
                if is_uuid(spec["app_id"]):
                    uuid, owner, reverse = spec["app_id"], spec["org_id"], spec["app_id"]
                else:
                    uuid, owner, reverse = self.lookup_app(where, spec["app_id"])
                if spec.get("org_id") and owner and spec["org_id"] != owner:
                    self.fail("%s: app %s belongs to organization %s, not %s"
                              % (where, reverse, owner, spec["org_id"]))
                item["app_id"] = uuid
                item["org_id"] = owner or spec.get("org_id")
                view["org_id"] = item["org_id"]
                view["app_id"] = reverse
            else:
                item["org_id"] = spec["org_id"]
            if spec.get("channel_id") is not None:
                item["channel_id"] = spec["channel_id"]
            api.append(item)
            public.append(view)
        self.sent_bindings = (api, public)
        return self.sent_bindings

    # -- reading ---------------------------------------------------------

    def explain(self, err):
        if err.error == "cannot_create_apikey":
            return CREATE_REFUSED
        if err.error == "write_answer_lost" and err.method == "POST":
            return err.hint + "; the new key's value was only in that answer: run with regenerate: true to get one"
        if err.error == "cannot_delete_apikey":
            return ("Capgo refused to delete %s: an API key cannot delete itself, and may delete only keys whose "
                    "every bound organization it manages" % self.describe())
        if err.error == "cannot_update_apikey":
            return ("Capgo refused to change %s: an API key cannot change (or rotate) itself nor any key's "
                    "bindings, and may change only keys whose every bound organization it manages"
                    % self.describe())
        if err.error in ("cannot_list_apikeys", "cannot_get_apikey"):
            return ("this API key may not manage API keys: it needs org.manage_apikeys (org_admin, "
                    "org_super_admin or apikey_manager)")
        if err.error == "forbidden_binding":
            return ("the caller may not hand out these bindings: it needs org.manage_apikeys in every bound "
                    "organization, and org.update_user_roles to hand out org_super_admin, org_admin, app_admin, "
                    "app_preview or channel_admin")
        if err.error == "expiration_required":
            return "an organization of the key's bindings requires API keys to expire: set expires_at"
        if err.error == "expiration_exceeds_max":
            return "expires_at is later than an organization of the key's bindings allows for API keys"
        if err.error == "invalid_expiration_date":
            return "Capgo refuses expires_at %s: it must be a valid date in the future" % self.params["expires_at"]
        if err.error == "not_authorized" and err.method == "POST":
            return CREATE_REFUSED
        if err.error == "invalid_apikey" and self._lookup is not None and (err.path or "").startswith("/app"):
            return "lookup_api_key is not a valid API key (unknown or expired)"
        return super(ApiKey, self).explain(err)

    def read(self):
        if self.key_id is not None:
            try:
                data = self.api("GET", "/apikey/%d" % self.key_id)
            except CapgoAPIError as err:
                if err.status == 404:
                    return None
                raise
            return apikey_from_api(data or {})
        found = [k for k in (self.api("GET", "/apikey") or []) if isinstance(k, dict) and k.get("name") == self.name]
        if len(found) > 1:
            ids = sorted(k.get("id") or 0 for k in found)
            self.fail("%d API keys are named %s (ids %s): pass id to pick one"
                      % (len(found), self.name, ", ".join(str(i) for i in ids)))
        return apikey_from_api(found[0]) if found else None

    # -- checks before writing (also in check mode) ----------------------

    def check_expiry(self, value):
        if value is None:
            return
        if parse_expiry(value) <= datetime.now(timezone.utc).replace(tzinfo=None):
            self.fail("expires_at %s is not in the future: Capgo accepts only future expiry dates" % value)

    def check_create(self, desired):
        if self.key_id is not None:
            self.fail("API key %s does not exist, and a key cannot be created with a given id (drop id to create "
                      "one by name)" % self.key_id)
        if not self.name:
            self.fail("name is required to create an API key")
        if self.params["bindings"] is None and self.params["mode"] is None:
            self.fail("bindings (or mode) is required to create %s: Capgo creates no key without role bindings"
                      % self.describe())
        if not self.uses_session_token:
            self.fail(CREATE_REFUSED)
        self.check_expiry(desired.get("expires_at"))
        desired["bindings"] = self.resolve_bindings()[1]

    def check_update(self, before, changes):
        if "bindings" in changes:
            if not self.uses_session_token:
                self.fail(BINDINGS_REFUSED)
            changes["bindings"] = self.resolve_bindings()[1]
        if "expires_at" in changes:
            self.check_expiry(changes["expires_at"])

    # -- prediction ------------------------------------------------------

    def predict_create(self, desired):
        after = dict(desired)
        after.setdefault("expires_at", None)
        after["hashed"] = bool(self.params["hashed"])
        after["global_permissions"] = []
        return after

    def predict_update(self, before, changes):
        changes = dict(changes)
        changes.pop("regenerate", None)
        return super(ApiKey, self).predict_update(before, changes)

    # -- writing ---------------------------------------------------------

    def create(self, desired):
        body = {"name": self.name, "bindings": self.resolve_bindings()[0]}
        if "expires_at" in desired:
            body["expires_at"] = desired["expires_at"]
        if self.params["hashed"] is not None:
            body["hashed"] = self.params["hashed"]
        data = self.write("POST", "/apikey", body=body) or {}
        after = apikey_from_api(data, hashed=bool(self.params["hashed"]))
        after["bindings"] = desired["bindings"]
        if after.get("key"):
            self.reveal.add("key")
        return after

    def update(self, before, changes):
        body = {}
        for key in ("name", "expires_at", "regenerate"):
            if key in changes:
                body[key] = changes[key]
        if "bindings" in changes:
            body["bindings"] = self.resolve_bindings()[0]
        data = self.write("PUT", "/apikey/%d" % before["id"], body=body)
        if isinstance(data, dict) and data.get("id") is not None:
            after = apikey_from_api(data, hashed=before.get("hashed"))
            # a field Capgo left out of its answer keeps the value just sent / read
            for key in ("name", "expires_at"):
                if key not in data:
                    after[key] = changes.get(key, before.get(key))
        else:
            after = self.predict_update(before, changes)
        if "bindings" in changes:
            after["bindings"] = changes["bindings"]
        if changes.get("regenerate") and after.get("key"):
            self.reveal.add("key")
        return after

    def delete(self, before):
        self.delete_gone_ok("/apikey/%d" % before["id"], ("api_key_not_found",))


def main():
    ApiKey().run()


if __name__ == "__main__":
    main()
