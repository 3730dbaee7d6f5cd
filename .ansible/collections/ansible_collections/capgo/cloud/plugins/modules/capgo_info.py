#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
      - Each resource accepts the filters listed with them; a filter or statistics option that
        does not apply to O(resource) fails before any request.
    type: str
    required: true
    choices: [organizations, members, apikeys, apps, channels, devices, bundles, webhooks, statistics]
  org_id:
    description:
      - Id (UUID) of an organization.
      - Required for O(resource=members) and O(resource=webhooks).
      - With O(resource=organizations), returns only that organization (an empty list when the key
        cannot read it or it does not exist). With O(resource=apps), only the apps of that
        organization (sent to Capgo).
      - With O(resource=statistics), the organization of O(scope=org).
    type: str
  app_id:
    description:
      - Reverse-domain id of an app (for example V(com.example.app)).
      - Required for O(resource=channels), O(resource=devices) and O(resource=bundles).
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
    type: str
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
- name: Which bundle does production serve?
  capgo.cloud.capgo_info:
    resource: channels
    app_id: com.example.app
    channel: production
  register: prod

- name: Show it
  ansible.builtin.debug:
    msg: "production serves {{ prod.channels[0].bundle }}"

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

import datetime
import os
import re

from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.capgo.cloud.plugins.module_utils._base import CapgoModule
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError
from ansible_collections.capgo.cloud.plugins.module_utils._resources import (
    AUTO_PAUSE_STATUS_API,
    apikey_from_api,
    app_from_api,
    bundle_from_api,
    channel_bundle_ids,
    channel_from_api,
    device_from_api,
    member_from_api,
    organization_from_api,
    parse_time,
    webhook_from_api,
)
from ansible_collections.capgo.cloud.plugins.module_utils._svgchart import render_chart, write_if_changed

RESOURCES = ("organizations", "members", "apikeys", "apps", "channels", "devices", "bundles", "webhooks",
             "statistics")
FILTERS = ("org_id", "app_id", "channel", "device_id", "version", "updated_since", "limit")
STATS_OPTIONS = ("scope", "from", "to", "graph", "dest")
# The filters each resource accepts; the first set are required.
ACCEPTS = {
    "organizations": ((), ("org_id", "updated_since", "limit")),
    "members": (("org_id",), ("org_id", "limit")),
    "apikeys": ((), ("updated_since", "limit")),
    "apps": ((), ("org_id", "app_id", "updated_since", "limit")),
    "channels": (("app_id",), ("app_id", "channel", "version", "updated_since", "limit")),
    "devices": (("app_id",), ("app_id", "device_id", "channel", "version", "updated_since", "limit")),
    "bundles": (("app_id",), ("app_id", "channel", "version", "updated_since", "limit")),
    "webhooks": (("org_id",), ("org_id", "updated_since", "limit")),
    "statistics": ((), ("org_id", "app_id")),
}
DEVICE_PAGE_SIZE = 1000
APP_PAGE_SIZE = 100
PAGE_SIZE = 50
STATS_DAYS = 30
METRICS = {
    "mau": ("Monthly active users", "users", "users"),
    "storage": ("Storage", "bytes", "storage"),
    "bandwidth": ("Bandwidth", "bytes", "bandwidth"),
}
# Never returned, whatever the server sends (capgo_info has no option that reveals a secret).
SECRET_FIELDS = {
    "apikeys": ("key", "key_hash"),
    "webhooks": ("secret",),
    "bundles": ("session_key",),
}

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- small helpers -----------------------------------------------------------

def snake(name):
    """``noAccumulate`` → ``no_accumulate``; snake_case stays as it is."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def parse_date(text):
    """``YYYY-MM-DD`` → ``datetime.date``, or None."""
    if not isinstance(text, str) or not DATE_RE.match(text.strip()):
        return None
    try:
        return datetime.datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def stats_period(date_from=None, date_to=None, today=None):
    """The ``(from, to)`` dates of a statistics request; ``to`` is exclusive.

    Defaults: ``to`` tomorrow (so today is the last day), ``from`` 30 days before ``to``.
    """
    today = today or utc_today()
    if date_to is None:
        date_to = today + datetime.timedelta(days=1)
    if date_from is None:
        date_from = date_to - datetime.timedelta(days=STATS_DAYS)
    return date_from, date_to


def api_time(value):
    """A UTC datetime in the form GET /device's ``updated_at`` filter accepts."""
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += ".%03d" % (value.microsecond // 1000)
    return text + "Z"


def strip_secrets(resource, item):
    """``item`` without the secret fields of ``resource`` (``SECRET_FIELDS``)."""
    secrets = SECRET_FIELDS.get(resource, ())
    return dict((k, v) for k, v in item.items() if k not in secrets)


# -- translations: as the resource modules return them, plus what only a list shows --------
# (secrets are removed from every item afterwards, in Info.execute)

def info_apikey(data):
    return apikey_from_api(data)


def info_channel(data):
    """A channel as capgo_channel returns it, plus the id of the rolled-out bundle and auto-pause status."""
    out = channel_from_api(data)
    out["rollout"]["bundle_id"] = channel_bundle_ids(data)[1]
    out["auto_pause"].update((key, data.get(api)) for key, api in AUTO_PAUSE_STATUS_API.items())
    return out


def info_bundle(data, serving, rolling):
    """A bundle as capgo_bundle returns it, plus its name and the channels using it."""
    out = bundle_from_api(data)
    out["name"] = data.get("name")
    out["channels"] = sorted(serving.get(data.get("id"), []))
    out["rollout_channels"] = sorted(rolling.get(data.get("id"), []))
    return out


def info_webhook(data):
    return webhook_from_api(data)


def stats_entry(data):
    out = dict((snake(k), v) for k, v in data.items())
    date = out.get("date")
    if isinstance(date, str) and re.match(r"^\d{4}-\d{2}-\d{2}", date):
        out["date"] = date[:10]
    return out


# -- the module ------------------------------------------------------------------

class Info(CapgoModule):

    def __init__(self):
        super(Info, self).__init__(
            argument_spec=dict(
                resource=dict(type="str", required=True, choices=list(RESOURCES)),
                org_id=dict(type="str"),
                app_id=dict(type="str"),
                channel=dict(type="str"),
                device_id=dict(type="str"),
                version=dict(type="str"),
                updated_since=dict(type="str"),
                limit=dict(type="int"),
                scope=dict(type="str", choices=["app", "org", "user"]),
                to=dict(type="str"),
                accumulate=dict(type="bool", default=True),
                breakdown=dict(type="bool", default=False),
                graph=dict(type="str", choices=list(METRICS)),
                dest=dict(type="path"),
                **{"from": dict(type="str")}
            ),
            required_by={"dest": "graph"},
        )
        self.resource = self.params["resource"]
        self.limit = self.params["limit"]
        self.since = None
        self.scope = None
        self.period = None

    # -- input -------------------------------------------------------------

    def validate(self):
        resource = self.resource
        required, accepted = ACCEPTS[resource]
        for name in FILTERS:
            if self.params.get(name) is not None and name not in accepted:
                self.fail("%s does not apply to resource=%s (it accepts: %s)"
                          % (name, resource, ", ".join(accepted) or "no filter"))
        for name in required:
            if not self.params.get(name):
                self.fail("resource=%s needs %s" % (resource, name))
        if resource != "statistics":
            extra = [n for n in STATS_OPTIONS if self.params.get(n) is not None]
            if self.params["accumulate"] is False:
                extra.append("accumulate")
            if self.params["breakdown"]:
                extra.append("breakdown")
            if extra:
                self.fail("%s only appl%s to resource=statistics"
                          % (", ".join(extra), "ies" if len(extra) == 1 else "y"))
        if self.limit is not None and self.limit < 1:
            self.fail("limit must be at least 1, got %d" % self.limit)
        if self.params["updated_since"] is not None:
            self.since = parse_time(self.params["updated_since"])
            if self.since is None:
                self.fail("updated_since must be a date (YYYY-MM-DD) or an ISO 8601 date and time, got %r"
                          % self.params["updated_since"])
        if resource == "statistics":
            self.validate_statistics()

    def validate_statistics(self):
        params = self.params
        scope = params["scope"]
        if scope is None:
            scope = "app" if params["app_id"] else ("org" if params["org_id"] else "user")
        self.scope = scope
        if scope == "app" and not params["app_id"]:
            self.fail("scope=app needs app_id")
        if scope == "org" and not params["org_id"]:
            self.fail("scope=org needs org_id")
        unused = [n for n in ("app_id", "org_id") if params[n] and n != scope + "_id"]
        if unused:
            self.fail("%s does not apply to scope=%s" % (", ".join(unused), scope))
        if params["breakdown"] and scope != "org":
            self.fail("breakdown only applies to scope=org")
        dates = {}
        for name in ("from", "to"):
            if params[name] is None:
                dates[name] = None
                continue
            dates[name] = parse_date(params[name])
            if dates[name] is None:
                self.fail("%s must be a date YYYY-MM-DD, got %r" % (name, params[name]))
        date_from, date_to = stats_period(dates["from"], dates["to"])
        if date_from >= date_to:
            self.fail("from (%s) must be before to (%s); to is exclusive" % (date_from, date_to))
        self.period = (date_from, date_to)
        dest = params["dest"]
        if dest:
            if os.path.isdir(dest):
                self.fail("dest %s is a directory; give the path of the SVG file" % dest)
            parent = os.path.dirname(os.path.abspath(dest))
            if not os.path.isdir(parent):
                self.fail("the directory of dest does not exist: %s" % parent)

    # -- errors ------------------------------------------------------------

    def explain(self, err):
        code = err.error
        if code == "subscription_required":
            return ("the organization's Capgo plan does not include API statistics (Capgo answers 402 "
                    "subscription_required to API keys of organizations without a paying plan)")
        if code in ("cannot_access_app", "no_access_to_app"):
            return ("app %s does not exist, or this API key may not read it (Capgo answers %s for both)"
                    % (self.params["app_id"], code))
        if code == "invalid_app_id":
            return "app_id %s is not a valid reverse-domain app id" % self.params["app_id"]
        if code in ("cannot_access_organization", "no_access_to_organization", "invalid_org_id",
                    "user_does_not_have_access_to_this_organization"):
            return ("organization %s does not exist, or this API key may not read it (Capgo answers %s for both)"
                    % (self.params["org_id"], code))
        if code == "no_permission":
            return ("this API key may not read the webhooks of organization %s: it needs org.update_settings, "
                    "and keys bound to an app or channel cannot use webhooks at all" % self.params["org_id"])
        if code == "cannot_list_apikeys":
            return "this API key may not list API keys: it needs org.manage_apikeys on an organization"
        if code == "org_requires_expiring_key":
            return "the organization only accepts API keys with an expiry date"
        return super(Info, self).explain(err)

    # -- collecting --------------------------------------------------------

    def keep(self, item):
        """Whether an item passes the client-side ``updated_since`` filter."""
        if self.since is None:
            return True
        changed = parse_time(item.get("updated_at"))
        return changed is not None and changed > self.since

    def collect(self, items, want=None):
        """Items (translated) that pass ``want`` and ``updated_since``, up to ``limit``; stops reading early."""
        out = []
        for item in items:
            if (want is None or want(item)) and self.keep(item):
                out.append(item)
                if self.limit is not None and len(out) >= self.limit:
                    break
        return out

    def single(self, method, path, params=None, missing=()):
        """One object, or None when Capgo answers one of the ``missing`` error codes."""
        try:
            return self.api(method, path, params=params)
        except CapgoAPIError as err:
            if err.error in missing:
                return None
            raise

    # -- resources ---------------------------------------------------------

    def list_organizations(self):
        org_id = self.params["org_id"]
        if org_id:
            data = self.single("GET", "/organization", params={"orgId": org_id}, missing=("invalid_org_id",))
            return self.collect([organization_from_api(data)] if data else [])
        pages = self.client.iter_pages("/organization", page_size=PAGE_SIZE, page_in_body=True)
        return self.collect(organization_from_api(o) for o in pages)

    def list_members(self):
        org_id = self.params["org_id"]
        data = self.api("GET", "/organization/members", params={"orgId": org_id}) or []
        return self.collect(member_from_api(m, org_id) for m in data)

    def list_apikeys(self):
        data = self.api("GET", "/apikey") or []
        return self.collect(info_apikey(k) for k in data)

    def iter_apps(self, size):
        params = {"limit": size}
        if self.params["org_id"]:
            params["org_id"] = self.params["org_id"]
        pages = self.client.iter_pages("/app", params=params, id_key="app_id", page_size=size)
        return (app_from_api(a) for a in pages)

    def list_apps(self):
        app_id = self.params["app_id"]
        if app_id:
            data = self.single("GET", "/app/%s" % app_id, missing=("cannot_access_app", "cannot_find_app"))
            want = (lambda a: a.get("owner_org") == self.params["org_id"]) if self.params["org_id"] else None
            return self.collect([app_from_api(data)] if data else [], want)
        size = APP_PAGE_SIZE
        if self.limit is not None and self.since is None:
            size = min(APP_PAGE_SIZE, self.limit)
        return self.collect(self.iter_apps(size))

    def iter_channels(self):
        pages = self.client.iter_pages("/channel", params={"app_id": self.params["app_id"]}, page_size=PAGE_SIZE)
        return (info_channel(c) for c in pages)

    def list_channels(self):
        name = self.params["channel"]
        version = self.params["version"]
        want = (lambda c: c["bundle"] == version) if version is not None else None
        if name:
            data = self.single("GET", "/channel", params={"app_id": self.params["app_id"], "channel": name},
                               missing=("cannot_find_version",))
            return self.collect([info_channel(data)] if data else [], want)
        return self.collect(self.iter_channels(), want)

    def list_devices(self):
        params = {"app_id": self.params["app_id"]}
        channel = self.params["channel"]
        version = self.params["version"]

        def want(device):
            return ((channel is None or device.get("channel") == channel)
                    and (version is None or device.get("version_name") == version))

        device_id = self.params["device_id"]
        if device_id:
            params["device_id"] = device_id
            data = self.single("GET", "/device", params=params, missing=("device_not_found",))
            return self.collect([device_from_api(data)] if data else [], want)
        if self.since is not None:
            params["updated_at"] = api_time(self.since)
        limit = self.limit if channel is None and version is None else None
        pages = self.client.iter_cursor("/device", params=params, page_size=DEVICE_PAGE_SIZE, limit=limit)
        return self.collect((device_from_api(d) for d in pages), want)

    def list_bundles(self):
        # Channels first: they say which bundles are in use, and GET /channel tells an unknown app
        # (cannot_access_app) apart, where GET /bundle answers cannot_get_bundle for everything.
        serving, rolling = {}, {}
        channel_bundles = {}
        for chan in self.iter_channels():
            ids = set()
            if chan["bundle_id"] is not None:
                serving.setdefault(chan["bundle_id"], []).append(chan["channel"])
                ids.add(chan["bundle_id"])
            rollout_id = chan["rollout"]["bundle_id"]
            if rollout_id is not None:
                rolling.setdefault(rollout_id, []).append(chan["channel"])
                ids.add(rollout_id)
            channel_bundles[chan["channel"]] = ids
        channel = self.params["channel"]
        version = self.params["version"]
        if channel is not None and channel not in channel_bundles:
            return []

        def want(bundle):
            return ((channel is None or bundle.get("id") in channel_bundles[channel])
                    and (version is None or bundle.get("version") == version))

        pages = self.client.iter_pages("/bundle", params={"app_id": self.params["app_id"]}, page_size=PAGE_SIZE,
                                       empty_errors=("cannot_get_bundle",))
        return self.collect((info_bundle(b, serving, rolling) for b in pages if not b.get("deleted")), want)

    def list_webhooks(self):
        pages = self.client.iter_pages("/webhooks", params={"orgId": self.params["org_id"]}, page_size=PAGE_SIZE)
        return self.collect(info_webhook(w) for w in pages)

    # -- statistics --------------------------------------------------------

    def stats_path(self):
        if self.scope == "app":
            return "/statistics/app/%s" % self.params["app_id"]
        if self.scope == "org":
            return "/statistics/org/%s" % self.params["org_id"]
        return "/statistics/user"

    def list_statistics(self):
        date_from, date_to = self.period
        query = {"from": date_from.isoformat(), "to": date_to.isoformat()}
        if not self.params["accumulate"]:
            # Only ever send "true": the older API read any non-empty value as true.
            query["noAccumulate"] = "true"
        if self.params["breakdown"]:
            query["breakdown"] = "true"
        data = self.api("GET", self.stats_path(), params=query)
        self.result["period"] = {"from": query["from"], "to": query["to"]}
        if isinstance(data, dict):
            by_app = {}
            for entry in data.get("byApp") or []:
                entry = stats_entry(entry)
                by_app.setdefault(entry.pop("app_id", None), []).append(entry)
            self.result["statistics_by_app"] = by_app
            data = data.get("global")
        entries = [stats_entry(e) for e in (data or [])]
        if self.params["breakdown"] and "statistics_by_app" not in self.result:
            self.result["statistics_by_app"] = {}
        if self.params["graph"]:
            self.chart(entries)
        return entries

    def subject(self):
        """What the chart is about: the app id, the organization's name, or the key's apps."""
        if self.scope == "app":
            return self.params["app_id"]
        if self.scope == "org":
            org_id = self.params["org_id"]
            try:
                org = self.api("GET", "/organization", params={"orgId": org_id}) or {}
            except CapgoAPIError:
                org = {}
            name = org.get("name") if isinstance(org, dict) else None
            return "organization %s" % name if name else "organization %s" % org_id
        return "all apps of this API key"

    def chart(self, entries):
        metric = self.params["graph"]
        label, unit, _key = METRICS[metric]
        daily = not self.params["accumulate"]
        date_from, date_to = self.period
        last = date_to - datetime.timedelta(days=1)
        title = "%s \u2014 %s" % (label, self.subject())
        kind = "Daily values" if daily else "Running total"
        subtitle = "%s, %s to %s (UTC)" % (kind, date_from.isoformat(), last.isoformat())
        y_label = "Users" if unit == "users" else "%s (1 MB = 1024 KB)" % label
        points = [(e["date"], e.get(metric) or 0) for e in entries if isinstance(e.get("date"), str)]
        svg = render_chart(title, points, unit=unit, style="bar" if daily else "line", subtitle=subtitle,
                           y_label=y_label)
        self.result["graph_svg"] = svg
        # Through Ansible, the action plugin removes dest from the module's arguments and writes
        # graph_svg on the controller. Only a module run without it (unit tests) gets dest, and
        # writes the file where it runs, the same way.
        if self.params["dest"]:
            self.write_file(self.params["dest"], to_bytes(svg))

    def write_file(self, dest, content):
        path = os.path.abspath(dest)
        self.result["graph_path"] = path
        try:
            changed = write_if_changed(path, content, check_mode=self.check_mode)
        except (IOError, OSError) as exc:
            self.fail("cannot write the chart to %s: %s" % (path, exc))
        self.result["changed"] = self.result["changed"] or changed

    # -- running -----------------------------------------------------------

    def execute(self):
        items = getattr(self, "list_%s" % self.resource)()
        self.result[self.resource] = [strip_secrets(self.resource, item) for item in items]


def main():
    Info().run()


if __name__ == "__main__":
    main()
