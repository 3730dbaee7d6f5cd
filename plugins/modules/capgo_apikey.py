#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

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
  session_token:
    description:
      - A dashboard session token (JWT) for what Capgo allows a session alone (creating a key,
        changing its bindings). With it, O(api_key) may stay an API key, which then does the
        lookups (as O(lookup_api_key) would).
      - If not set, the environment variable E(CAPGO_SESSION_TOKEN) is used, as an AWX
        credential of type "Capgo Cloud" injects it.
    type: str
    version_added: 0.2.0
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

# The "Capgo Cloud" credential type ships with the collection (extensions/awx/credential_type.yml).
- name: Or keep it in AWX / Automation Controller, as a credential of type Capgo Cloud
  awx.awx.credential:
    name: Capgo CI upload key
    organization: Default
    credential_type: Capgo Cloud
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
check_mode:
  description:
    - V(true) when the task ran in check mode (nothing was written; the results are a prediction),
      from C(--check) or from the task keyword C(check_mode) (then C(ansible_check_mode) stays
      V(false)). Roles read it to tell a plan from a run.
  returned: always
  type: bool
  sample: false
  version_added: 0.2.0
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

from ansible_collections.capgo.cloud.plugins.module_utils._ansible import run_module
from ansible_collections.capgo.cloud.plugins.module_utils._apikey import ApiKey


def main():
    run_module(ApiKey)


if __name__ == "__main__":
    main()
