#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: capgo_info
short_description: List Capgo organizations, members, API keys, apps, channels, devices, bundles, webhooks and usage statistics
version_added: 0.1.0
description:
  - Reads one kind of Capgo resource and returns every item, under the resource's own name
    (O(resource=channels) returns RV(channels)). It never changes anything in Capgo.
  - Lists are always complete, page after page, unless O(limit) asks for fewer items; the module
    then stops as soon as it has them.
  - Returned items speak the language of the other modules of this collection, with snake_case
    keys; a field that a module option sets is returned under that option's name (a channel's
    bundle is RV(channels[].bundle), its id RV(channels[].bundle_id)).
  - O(resource=statistics) returns daily usage (monthly active users, storage, bandwidth) and can
    draw an SVG chart of one metric (O(graph)), written on the controller (O(dest)).
  - Never returns a secret, whatever the server sends; no API key's C(key) or C(key_hash), no
    webhook's C(secret), no bundle's C(session_key) (RV(bundles[].encrypted) says whether a
    bundle has one).
author:
  - capgo.cloud contributors (@capgo)
extends_documentation_fragment:
  - capgo.cloud.capgo
  - capgo.cloud.capgo.INFO_ATTRIBUTES
attributes:
  action:
    description: Has an action plugin of the same name, which writes the O(dest) chart on the controller.
    support: full
options:
  resource:
    description:
      - What to list.
      - V(organizations) the organizations the API key can read.
      - V(members) the members of organization O(org_id), including pending invitations.
      - V(apikeys) the API keys the caller may manage (never the secrets).
      - V(apps) the apps the API key can read.
      - V(channels), V(devices) and V(bundles) those of app O(app_id).
      - V(webhooks) the webhooks of organization O(org_id).
      - V(statistics) daily usage of an app, an organization or every app of the key (O(scope)).
      - V(environment) the estate of organization O(org_id) (its members, webhooks, the API keys
        the caller may manage, its apps with their bundles, channels and device overrides; with
        O(app_id) only that app) as a declaration that M(capgo.cloud.capgo_environment) accepts
        unchanged, returned as RV(environment). Only managed options are exported, without
        secrets and without what Capgo cannot read back (channels' platform flags, the
        organization's security policy, API keys' bindings). Applying it right away reports
        no change and sends no write.
      - V(compatibility) what Capgo's CLI C(bundle compatibility) shows, as data in
        RV(compatibility) - the native packages of bundle O(version), or of the Capacitor project
        at O(project), compared with those of the bundle that channel O(channel) of app O(app_id)
        serves, with the CLI's rules (see O(capgo.cloud.capgo_channel#module:native_compatibility)).
        Nothing is compared when a bundle has no record of its native packages, or the channel
        serves no bundle; RV(compatibility_skipped) says so.
      - Each resource accepts the filters listed with them; a filter or statistics option that
        does not apply to O(resource) fails before any request.
    type: str
    required: true
    choices: [organizations, members, apikeys, apps, channels, devices, bundles, webhooks, statistics, environment,
              compatibility]
  org_id:
    description:
      - Id (UUID) of an organization.
      - Required for O(resource=members), O(resource=webhooks) and O(resource=environment).
      - With O(resource=organizations), returns only that organization (an empty list when the key
        cannot read it or it does not exist). With O(resource=apps), only the apps of that
        organization (sent to Capgo).
      - With O(resource=statistics), the organization of O(scope=org).
    type: str
  app_id:
    description:
      - Reverse-domain id of an app (for example V(com.example.app)).
      - Required for O(resource=channels), O(resource=devices), O(resource=bundles) and
        O(resource=compatibility).
      - With O(resource=apps), returns only that app (an empty list when the key cannot read it
        or it does not exist).
      - With O(resource=statistics), the app of O(scope=app).
    type: str
  channel:
    description:
      - Name of a channel.
      - With O(resource=channels), only that channel (asked from Capgo; an empty list when it
        does not exist).
      - With O(resource=devices), only the devices whose channel override points to that channel
        (filtered by the module).
      - With O(resource=bundles), only the bundles that channel serves or rolls out (filtered by
        the module).
      - With O(resource=compatibility) (required), the channel whose bundle is compared with.
    type: str
  device_id:
    description:
      - Id of a device. With O(resource=devices), only that device (asked from Capgo; an empty
        list when the device never contacted Capgo).
    type: str
  version:
    description:
      - Name of a bundle (for example V(1.4.2)).
      - With O(resource=bundles), only that bundle; with O(resource=channels), only the channels
        that serve it; with O(resource=devices), only the devices that run it. Always filtered by
        the module (Capgo ignores this filter).
      - With O(resource=compatibility), the bundle compared with the one the channel serves (or
        set O(project)).
    type: str
  project:
    description:
      - With O(resource=compatibility), the root of a Capacitor project (with its C(package.json)
        and installed C(node_modules)) whose native packages are compared with those of the bundle
        the channel serves, read exactly as Capgo's CLI reads them (the dependencies that declare a
        native plugin and ship native sources; their installed versions; the SHA-256 of their iOS
        and Android sources and build files).
      - The project is read on the host that runs the module, before any request.
    type: path
    version_added: 0.2.0
  updated_since:
    description:
      - Only items changed strictly after this time, a date (V(2026-11-01), midnight UTC) or an
        ISO 8601 date and time (V(2026-11-01T12:00:00Z); without a time zone, UTC).
      - Sent to Capgo for O(resource=devices) (its C(updated_at) filter); filtered by the module
        for organizations, API keys, apps, channels, bundles and webhooks. Members have no
        change time.
    type: str
  limit:
    description:
      - Return at most this many items. The module stops reading pages as soon as it has them.
      - Without it, every item is returned, however many pages that takes.
      - Does not apply to O(resource=statistics) (use O(from) and O(to)).
    type: int
  scope:
    description:
      - Whose statistics O(resource=statistics) returns.
      - V(app) the app O(app_id); V(org) the organization O(org_id), the sum over its apps;
        V(user) every app the API key can read, summed per day.
      - Default V(app) when O(app_id) is set, else V(org) when O(org_id) is set, else V(user).
    type: str
    choices: [app, org, user]
  from:
    description:
      - First day of the statistics, a date V(YYYY-MM-DD) (UTC).
      - Default 30 days before O(to).
    type: str
  to:
    description:
      - Day after the last day of the statistics, a date V(YYYY-MM-DD) (UTC). It is exclusive,
        as Capgo counts it; O(from=2026-11-01) with O(to=2026-11-08) is seven days.
      - Default tomorrow (UTC), so that the default period is the last 30 days, today included.
      - Capgo omits days that have not started yet.
    type: str
  parallel:
    description:
      - With O(resource=environment), how many listings of independent scopes (the bundles,
        channels and devices of each app) run at the same time (at least 1).
      - They share one HTTP session and its retries; a V(429) pauses every listing for the time
        Capgo names.
    type: int
    default: 4
    version_added: 0.2.0
  accumulate:
    description:
      - V(true) returns running sums from O(from) on (Capgo's default); V(false) the value of
        each day (sent as C(noAccumulate=true)).
    type: bool
    default: true
  breakdown:
    description:
      - With O(scope=org), also return the statistics of each app of the organization in
        RV(statistics_by_app).
    type: bool
    default: false
  graph:
    description:
      - Draw an SVG chart of this metric, returned in RV(graph_svg) and written to O(dest) when it
        is set. V(mau) is monthly active users; V(storage) and V(bandwidth) are in binary units
        (1 MB = 1024 KB).
      - The chart has a title naming the app or organization and the metric, one point per day
        (bars for daily values, O(accumulate=false)), a dated x axis and a y axis in users or
        bytes. The same data always gives the same file, byte for byte.
      - Capgo stopped rendering charts itself in 2025; the module draws them (standard library
        only).
    type: str
    choices: [mau, storage, bandwidth]
  dest:
    description:
      - Path of the SVG file of the O(graph) chart, written on the controller (the module's
        action plugin writes it, wherever the module runs). A relative path is relative to the
        directory C(ansible-playbook) runs in.
      - The directory must exist on the controller; the task fails before any request when it
        does not.
      - The file is replaced atomically, and only when its content changes; RV(ignore:changed)
        is V(true) only then. In check mode nothing is written and RV(ignore:changed) says
        whether the file would change.
      - Needs O(graph).
    type: path
notes:
  - Check mode returns the same information as a normal run; only the chart is not written.
  - The chart is written by the action plugin, on the controller, with the permissions the file
    had (a new file gets the controller's umask). The module itself, given O(dest) without the
    action plugin (only possible outside C(ansible-playbook), in tests), writes it where it runs.
  - Channels and bundles are read page by page and de-duplicated by id, which survives Capgo's
    paging quirk for these routes. GET C(/bundle) answers C(cannot_get_bundle) for an app without
    bundles; the module returns an empty list.
  - Organizations are paged with C(page) as a JSON number in the body of the GET request, the
    only form Capgo accepts. A proxy that drops bodies of GET requests limits the list to the
    first 50 organizations; the module stops instead of repeating that page.
  - Devices are read with Capgo's cursor, 1000 per request (the most a Supabase-backed read
    returns at once), so 10,000 devices take 10 requests. Apps are read 100 per page.
  - Capgo answers HTTP 402 C(subscription_required) when an API key reads statistics of an
    organization without a paying plan; the module says that the plan does not include API
    statistics.
  - Needs read permissions only, but each list has its own; for example C(members) needs
    C(org.read_members), C(webhooks) needs C(org.update_settings) (and a key bound to the
    organization, not to an app), C(apikeys) needs C(org.manage_apikeys).
seealso:
  - module: capgo.cloud.capgo_channel
  - module: capgo.cloud.capgo_bundle
  - module: capgo.cloud.capgo_device
"""

EXAMPLES = r"""
- name: Could production serve the build in this checkout? (the CLI's bundle compatibility)
  capgo.cloud.capgo_info:
    resource: compatibility
    app_id: com.example.app
    channel: production
    project: "{{ playbook_dir }}/app"
  register: compat
  failed_when: not compat.compatible | default(true)

- name: Which bundle does production serve?
  capgo.cloud.capgo_info:
    resource: channels
    app_id: com.example.app
    channel: production
  register: prod

- name: Show it
  ansible.builtin.debug:
    msg: "production serves {{ prod.channels[0].bundle }}"

- name: Export the estate of an organization as a declaration for capgo_environment
  capgo.cloud.capgo_info:
    resource: environment
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
  register: estate

- name: Devices that still run 1.2.0
  capgo.cloud.capgo_info:
    resource: devices
    app_id: com.example.app
    version: 1.2.0
  register: old_devices

- name: Devices seen in the last day
  capgo.cloud.capgo_info:
    resource: devices
    app_id: com.example.app
    updated_since: "{{ '%Y-%m-%dT%H:%M:%SZ' | strftime(ansible_date_time.epoch | int - 86400, utc=true) }}"

- name: Bundles no channel uses
  capgo.cloud.capgo_info:
    resource: bundles
    app_id: com.example.app
  register: info

- name: List them
  ansible.builtin.debug:
    msg: "{{ info.bundles | rejectattr('channels') | map(attribute='name') | list }}"

- name: Members of an organization
  capgo.cloud.capgo_info:
    resource: members
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8

- name: The first ten apps
  capgo.cloud.capgo_info:
    resource: apps
    limit: 10

- name: Daily monthly-active-users of November, charted on the controller
  capgo.cloud.capgo_info:
    resource: statistics
    app_id: com.example.app
    from: "2026-11-01"
    to: "2026-12-01"
    accumulate: false
    graph: mau
    dest: /tmp/mau.svg
  register: stats

- name: Organization storage of the last 30 days, per app too
  capgo.cloud.capgo_info:
    resource: statistics
    scope: org
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    breakdown: true
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
compatibility:
  description:
    - With O(resource=compatibility), one row per native package of the bundle or project, then
      one per package only the served bundle has - the CLI's C(bundle compatibility) table.
  returned: when O(resource=compatibility)
  type: list
  elements: dict
  version_added: 0.2.0
  contains:
    name:
      description: Name of the native package (npm).
      type: str
      sample: "@capacitor/camera"
    local_version:
      description: Its version in bundle O(version) or the project; null when only the channel's bundle has it.
      type: str
      sample: 6.1.0
    channel_version:
      description: Its version in the bundle the channel serves; null when it is new.
      type: str
      sample: 6.0.1
    compatible:
      description: Whether the installed apps can run it as far as this package goes.
      type: bool
      sample: false
    reasons:
      description:
        - The CLI's words, V(new_plugin), V(version_mismatch), V(requested_version_changed),
          V(ios_code_changed), V(android_code_changed), V(both_platforms_changed),
          V(platform_checksum_metadata_changed) (only V(requested_version_changed) is compatible).
      type: list
      elements: str
      sample: [version_mismatch]
    message:
      description: The CLI's details.
      type: str
      sample: "version changed: 6.0.1 → 6.1.0"
compatible:
  description: With O(resource=compatibility), whether every row is compatible.
  returned: when O(resource=compatibility) and something was compared
  type: bool
  sample: true
  version_added: 0.2.0
channel_bundle:
  description: With O(resource=compatibility), the bundle the channel serves (null when none).
  returned: when O(resource=compatibility)
  type: str
  sample: 1.4.2
  version_added: 0.2.0
compatibility_skipped:
  description: With O(resource=compatibility), why nothing was compared.
  returned: when nothing was compared
  type: str
  sample: "bundle 1.4.2 has no record of its native packages (uploaded without a project, or external): nothing to compare"
  version_added: 0.2.0
environment:
  description:
    - With O(resource=environment), the estate as a declaration for M(capgo.cloud.capgo_environment)
      (keys C(organization), C(members), C(webhooks), C(apikeys), C(apps)).
  returned: when O(resource=environment)
  type: dict
  version_added: 0.2.0
organizations:
  description: The organizations (O(resource=organizations)).
  returned: when O(resource=organizations)
  type: list
  elements: dict
  sample:
    - {org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8, id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8, name: Demo org,
       management_email: admin@example.com, logo: null, website: null, customer_id: null,
       created_by: 6aa76066-55ef-4238-ade6-0b32334a4097, created_at: "2026-11-01T00:00:00+00:00",
       updated_at: "2026-11-01T00:00:00+00:00"}
members:
  description:
    - The members of the organization, pending invitations included (O(resource=members)), as
      M(capgo.cloud.capgo_member) returns a member.
  returned: when O(resource=members)
  type: list
  elements: dict
  contains:
    uid:
      description: Id of the user.
      type: str
    email:
      description: E-mail address of the user.
      type: str
    role:
      description:
        - Role in the organization (V(org_member), V(org_admin), …), or an app or channel role.
        - Older role names are returned under their current names (V(admin) as V(org_admin), an
          C(invite_) prefix as RV(members[].pending)).
      type: str
    pending:
      description: Whether the invitation has not been accepted yet.
      type: bool
    image_url:
      description: Avatar URL, or an empty string.
      type: str
    org_id:
      description: Id of the organization.
      type: str
  sample:
    - {uid: 6aa76066-55ef-4238-ade6-0b32334a4097, email: admin@example.com, role: org_super_admin,
       pending: false, image_url: "", org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8}
apikeys:
  description:
    - The API keys (O(resource=apikeys)), as M(capgo.cloud.capgo_apikey) returns a key, without
      their secrets (Capgo never returns them after creation; a C(key) or C(key_hash) field is
      removed if a server sends one).
  returned: when O(resource=apikeys)
  type: list
  elements: dict
  contains:
    id:
      description: Numeric id of the key.
      type: int
    name:
      description: Name of the key.
      type: str
    hashed:
      description: Whether only a hash of the key is stored.
      type: bool
    expires_at:
      description: Expiry time in UTC (V(2027-01-31T18:00:00Z)), or null.
      type: str
    global_permissions:
      description: Global permissions (V(org.create) or none).
      type: list
      elements: str
    user_id:
      description: Owner of the key.
      type: str
    rbac_id:
      description: Id of the key in Capgo's role bindings.
      type: str
    created_at:
      description: Creation time.
      type: str
    updated_at:
      description: Last change time.
      type: str
apps:
  description:
    - The apps (O(resource=apps)), with every field Capgo returns, as M(capgo.cloud.capgo_app) returns
      an app; C(retention) (seconds) is returned as RV(apps[].retention_days), C(icon_url) as
      RV(apps[].icon).
  returned: when O(resource=apps)
  type: list
  elements: dict
  contains:
    app_id:
      description: Reverse-domain id of the app.
      type: str
    id:
      description: UUID of the app (used in API key bindings).
      type: str
    name:
      description: Name of the app.
      type: str
    owner_org:
      description: Id of the organization that owns the app.
      type: str
    retention_days:
      description: How long bundles are kept, in days.
      type: float
    icon:
      description: Signed URL of the icon, or an empty string.
      type: str
  sample:
    - {app_id: com.example.app, id: 1d0b3ab8-4a0e-4c55-9c6e-0a1b2c3d4e5f, name: Example, owner_org: 046a36ac-e03c-4590-9257-bd6c9dba9ee8,
       retention_days: 30, icon: "", expose_metadata: false, allow_device_custom_id: true}
channels:
  description: The channels (O(resource=channels)), as M(capgo.cloud.capgo_channel) returns a channel.
  returned: when O(resource=channels)
  type: list
  elements: dict
  contains:
    id:
      description: Numeric id of the channel.
      type: int
    channel:
      description: Name of the channel.
      type: str
    bundle:
      description: Name of the bundle the channel serves, or null.
      type: str
    bundle_id:
      description: Id of that bundle, or null.
      type: int
    public:
      description: Whether it is the default channel for devices without an override.
      type: bool
    rollout:
      description:
        - The rollout settings (C(bundle), C(percentage), C(enabled), C(paused), C(cache_ttl_seconds)),
          and C(bundle_id), the id of the rolled-out bundle.
      type: dict
    auto_pause:
      description:
        - The auto-pause settings, and the read-only C(last_triggered_at) and C(last_checked_at).
      type: dict
  sample:
    - {id: 4242, app_id: com.example.app, channel: production, bundle: 1.4.2, bundle_id: 98, public: true,
       disable_auto_update: major, disable_auto_update_under_native: true, allow_device_self_set: false,
       allow_emulator: true, allow_device: true, allow_dev: true, allow_prod: true,
       rollout: {bundle: null, percentage: 0.0, enabled: false, paused: false, cache_ttl_seconds: 2592000}}
devices:
  description: The devices that contacted Capgo (O(resource=devices)), as M(capgo.cloud.capgo_device) returns a device.
  returned: when O(resource=devices)
  type: list
  elements: dict
  contains:
    device_id:
      description: Id of the device.
      type: str
    channel:
      description: Channel of the device's override, or null when it has none.
      type: str
    version_name:
      description: Name of the bundle the device runs.
      type: str
    bundle_id:
      description: Id of that bundle when Capgo knows it (the API's C(version)).
      type: int
    platform:
      description: V(ios), V(android) or V(electron).
      type: str
    seen:
      description: Always true (a listed device has contacted Capgo).
      type: bool
    updated_at:
      description: When the device last contacted Capgo.
      type: str
  sample:
    - {device_id: 00000000-0000-0000-0000-000000000001, app_id: com.example.app, channel: null, version_name: 1.0.0,
       bundle_id: 12, platform: ios, seen: true, plugin_version: 6.0.0, os_version: "17.0", is_prod: true, is_emulator: false,
       custom_id: "", install_source: null, version_build: "", key_id: null, country_code: null,
       updated_at: "2026-11-05T10:00:00.000Z"}
bundles:
  description:
    - The bundles that are not deleted (O(resource=bundles)), newest first, with the fields
      M(capgo.cloud.capgo_bundle) returns for a bundle, plus RV(bundles[].name),
      RV(bundles[].channels) and RV(bundles[].rollout_channels).
    - Never the bundle's C(session_key), an encryption secret; RV(bundles[].encrypted) says
      whether there is one.
  returned: when O(resource=bundles)
  type: list
  elements: dict
  contains:
    id:
      description: Numeric id of the bundle.
      type: int
    name:
      description: Name (version) of the bundle.
      type: str
    version:
      description: The same name, under the option name of M(capgo.cloud.capgo_bundle).
      type: str
    encrypted:
      description: Whether the bundle is encrypted (it has a session key).
      type: bool
    channels:
      description: Names of the channels that serve this bundle.
      type: list
      elements: str
    rollout_channels:
      description: Names of the channels that roll this bundle out.
      type: list
      elements: str
  sample:
    - {id: 98, name: 1.4.2, version: 1.4.2, encrypted: false, app_id: com.example.app, channels: [production], rollout_channels: [],
       external_url: "https://cdn.example.com/1.4.2.zip", checksum: 3f1c0b6e, created_at: "2026-11-01T00:00:00+00:00"}
webhooks:
  description: The webhooks of the organization (O(resource=webhooks)), without their signing secrets (no C(secret)).
  returned: when O(resource=webhooks)
  type: list
  elements: dict
  sample:
    - {id: 5c2d0e8a-1b3f-4f6e-9a7d-2c4b6e8f0a1c, org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8, name: audit,
       url: "https://hooks.example.com/capgo", enabled: true, events: [apps, channels], delivery_version: standard}
statistics:
  description:
    - Daily usage (O(resource=statistics)), one entry per day from O(from), oldest first; running
      sums unless O(accumulate=false). With O(breakdown=true), the organization's total.
  returned: when O(resource=statistics)
  type: list
  elements: dict
  contains:
    date:
      description: The day, V(YYYY-MM-DD) (UTC).
      type: str
    mau:
      description: Monthly active users.
      type: int
    storage:
      description: Storage in bytes.
      type: int
    storage_byte_hours:
      description: Storage in byte-hours.
      type: int
    bandwidth:
      description: Bandwidth in bytes.
      type: int
    build_time_seconds:
      description: Native build time in seconds.
      type: int
  sample:
    - {date: "2026-11-01", mau: 120, storage: 1048576, storage_byte_hours: 0, bandwidth: 52428800, build_time_seconds: 0}
statistics_by_app:
  description: With O(breakdown=true), the daily entries of each app of the organization, by app id.
  returned: when O(breakdown=true)
  type: dict
  sample: {com.example.app: [{date: "2026-11-01", mau: 120, storage: 1048576, bandwidth: 52428800}]}
period:
  description: The days the statistics cover.
  returned: when O(resource=statistics)
  type: dict
  contains:
    from:
      description: The first day.
      type: str
      sample: "2026-10-29"
    to:
      description: The day after the last day (exclusive).
      type: str
      sample: "2026-11-28"
graph_svg:
  description:
    - The O(graph) chart, an SVG document. The same data always gives the same text.
  returned: when O(graph) is set
  type: str
  sample: "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"860\" height=\"420\" ...>...</svg>"
graph_path:
  description: Absolute path of the chart on the controller (in check mode, where it would be written).
  returned: when O(graph) and O(dest) are set
  type: str
  sample: /tmp/mau.svg
"""

from ansible_collections.capgo.cloud.plugins.module_utils._ansible import run_module
from ansible_collections.capgo.cloud.plugins.module_utils._info import Info


def main():
    run_module(Info)


if __name__ == "__main__":
    main()
