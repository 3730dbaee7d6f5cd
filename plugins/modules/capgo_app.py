#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

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
check_mode:
  description:
    - V(true) when the task ran in check mode (nothing was written; the results are a prediction),
      from C(--check) or from the task keyword C(check_mode) (then C(ansible_check_mode) stays
      V(false)). Roles read it to tell a plan from a run.
  returned: always
  type: bool
  sample: false
  version_added: 0.2.0
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

from ansible_collections.capgo.cloud.plugins.module_utils._ansible import run_module
from ansible_collections.capgo.cloud.plugins.module_utils._app import App


def main():
    run_module(App)


if __name__ == "__main__":
    main()
