#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: capgo_channel
short_description: Manage Capgo channels
version_added: 0.1.0
description:
  - Create, update and delete channels of a Capgo app, point a channel at a bundle,
    promote the bundle of another channel, and run progressive rollouts.
  - The module reads the channel once, compares only the options you set, and writes only
    what differs. A converged run sends a single GET and reports RV(ignore:changed=false).
author:
  - capgo.cloud contributors (@capgo)
extends_documentation_fragment:
  - capgo.cloud.capgo
  - capgo.cloud.capgo.ATTRIBUTES
options:
  app_id:
    description:
      - Reverse-domain id of the app (for example V(com.example.app)).
    type: str
    required: true
  channel:
    description:
      - Name of the channel. Channel names are unique per app.
    type: str
    required: true
    aliases: [name]
  state:
    description:
      - V(present) creates the channel or updates what differs; V(absent) deletes it.
      - Deleting a channel also removes the device overrides that point to it.
    type: str
    choices: [present, absent]
    default: present
  bundle:
    description:
      - Name of the bundle (version) the channel serves. V("") unlinks the bundle.
      - The bundle must exist and not be deleted; this is checked before any write.
      - Mutually exclusive with O(promote_from).
    type: str
  promote_from:
    description:
      - Name of another channel of the same app; the channel is linked to the bundle that
        channel serves now (for example promote what V(beta) serves to V(production)).
    type: str
  public:
    description:
      - Whether this is the default channel for devices without an override.
      - Capgo allows one public channel per platform and app. Making a channel public makes
        every other public channel of the app that shares a platform private (a server-side
        rule). The module warns which channels were public before it made this one public.
    type: bool
  disable_auto_update_under_native:
    description:
      - Do not update devices whose native build is newer than the bundle.
    type: bool
  disable_auto_update:
    description:
      - Which updates devices may not take automatically.
      - V(metadata) is the older name of V(version_number) and is accepted.
    type: str
    choices: [major, minor, patch, version_number, metadata, none]
  ios:
    description:
      - Serve iOS devices.
      - Capgo never returns the platform flags, so they cannot be compared. They are sent
        when the channel is created, and again with every other change of the channel; a run
        in which nothing else differs does not send them (and reports no change).
    type: bool
  android:
    description:
      - Serve Android devices. Write-only like O(ios).
    type: bool
  electron:
    description:
      - Serve Electron devices. Write-only like O(ios).
    type: bool
  allow_device_self_set:
    description:
      - Let devices switch themselves to this channel.
    type: bool
  allow_emulator:
    description:
      - Serve emulators.
    type: bool
  allow_device:
    description:
      - Serve physical devices.
    type: bool
  allow_dev:
    description:
      - Serve development builds.
    type: bool
  allow_prod:
    description:
      - Serve production builds.
    type: bool
  rollout:
    description:
      - Progressive rollout of a second bundle to a share of the channel's devices.
      - Only the keys you set are compared and sent.
    type: dict
    suboptions:
      bundle:
        description:
          - Name of the bundle rolled out. V("") clears it.
        type: str
      percentage:
        description:
          - Share of devices that get the rollout bundle, 0 to 100 (steps of 0.01).
        type: float
      enabled:
        description:
          - Whether the rollout is active.
        type: bool
      paused:
        description:
          - Pause or resume the rollout.
        type: bool
      cache_ttl_seconds:
        description:
          - How long devices cache their rollout assignment, 60 to 31536000 seconds.
        type: int
  rollout_action:
    description:
      - One-shot action on the current rollout.
      - V(promote) makes the rollout bundle the channel's bundle and ends the rollout;
        V(rollback) ends the rollout and keeps the channel's bundle.
      - Reports a change only when the channel has a rollout to act on.
    type: str
    choices: [promote, rollback]
  auto_pause:
    description:
      - Automatic pause of a rollout when its failure rate is too high.
      - Only the keys you set are compared and sent.
    type: dict
    suboptions:
      enabled:
        description: Whether auto-pause is active.
        type: bool
      window_minutes:
        description: Observation window, 1 to 10080 minutes.
        type: int
      failure_rate_bps:
        description: Failure rate threshold in basis points, 0 to 10000 (100 = 1%).
        type: int
      confidence:
        description: Statistical confidence, strictly between 0 and 1.
        type: float
      min_attempts:
        description: Minimum update attempts in the window before acting.
        type: int
      min_failures:
        description: Minimum failures in the window before acting.
        type: int
      action:
        description: What happens when the threshold is crossed.
        type: str
        choices: [pause, rollback, notify]
      cooldown_minutes:
        description: Minutes before auto-pause may act again, 0 to 10080.
        type: int
notes:
  - Needs an API key with C(channel.update_settings) on existing channels and
    C(app.create_channel) to create; changing the bundle of an existing channel also needs
    C(channel.promote_bundle), deleting needs C(channel.delete). Keys migrated from the older
    C(write) or C(upload) modes cannot change existing channels.
  - Capgo answers C(cannot_access_app) both for an app that does not exist and for one the key
    may not use; the error message says so.
seealso:
  - module: capgo.cloud.capgo_bundle
  - module: capgo.cloud.capgo_device
  - module: capgo.cloud.capgo_info
"""

EXAMPLES = r"""
- name: Point production at a bundle
  capgo.cloud.capgo_channel:
    app_id: com.example.app
    channel: production
    bundle: 1.4.2
    public: true

- name: Create a private beta channel for iOS only
  capgo.cloud.capgo_channel:
    app_id: com.example.app
    channel: beta
    public: false
    ios: true
    android: false
    disable_auto_update: minor

- name: Promote what beta serves to production
  capgo.cloud.capgo_channel:
    app_id: com.example.app
    channel: production
    promote_from: beta

- name: Roll out 1.5.0 to 10% of production devices, pausing on failures
  capgo.cloud.capgo_channel:
    app_id: com.example.app
    channel: production
    rollout:
      bundle: 1.5.0
      percentage: 10
      enabled: true
    auto_pause:
      enabled: true
      failure_rate_bps: 500
      action: pause

- name: Finish the rollout
  capgo.cloud.capgo_channel:
    app_id: com.example.app
    channel: production
    rollout_action: promote

- name: Remove a channel
  capgo.cloud.capgo_channel:
    app_id: com.example.app
    channel: old-qa
    state: absent
"""

RETURN = r"""
channel:
  description:
    - The channel after the run (in check mode, the predicted channel); empty after a delete.
  returned: always
  type: dict
  contains:
    id:
      description: Numeric id of the channel.
      type: int
      sample: 4242
    app_id:
      description: Reverse-domain id of the app.
      type: str
      sample: com.example.app
    channel:
      description: Name of the channel.
      type: str
      sample: production
    bundle:
      description: Name of the bundle the channel serves, or null.
      type: str
      sample: 1.4.2
    bundle_id:
      description: Numeric id of that bundle, or null.
      type: int
      sample: 98
    public:
      description: Whether the channel is the default for devices without an override.
      type: bool
      sample: true
    disable_auto_update_under_native:
      description: See the option.
      type: bool
    disable_auto_update:
      description: See the option (V(metadata) is returned as V(version_number)).
      type: str
      sample: major
    allow_device_self_set:
      description: See the option.
      type: bool
    allow_emulator:
      description: See the option.
      type: bool
    allow_device:
      description: See the option.
      type: bool
    allow_dev:
      description: See the option.
      type: bool
    allow_prod:
      description: See the option.
      type: bool
    ios:
      description: The platform flag sent in this run; absent when it was not sent (Capgo never returns it).
      type: bool
      returned: when sent
    android:
      description: Like RV(channel.ios).
      type: bool
      returned: when sent
    electron:
      description: Like RV(channel.ios).
      type: bool
      returned: when sent
    rollout:
      description: The rollout settings.
      type: dict
      sample: {bundle: 1.5.0, percentage: 10.0, enabled: true, paused: false, cache_ttl_seconds: 2592000}
    rollout_paused_at:
      description: When the rollout was paused, or null.
      type: str
    rollout_pause_reason:
      description: Why the rollout was paused (for example by auto-pause), or null.
      type: str
    auto_pause:
      description: The auto-pause settings.
      type: dict
      sample: {enabled: false, window_minutes: 60, failure_rate_bps: 0, confidence: 0.95, min_attempts: 0,
               min_failures: 0, action: pause, cooldown_minutes: 60}
    created_at:
      description: Creation time (ISO 8601).
      type: str
    updated_at:
      description: Last change time (ISO 8601).
      type: str
    created_by:
      description: Id of the user who created the channel.
      type: str
diff:
  description: Before and after, managed fields only.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.capgo.cloud.plugins.module_utils._base import CapgoResource, drop_none
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError
from ansible_collections.capgo.cloud.plugins.module_utils._resources import (
    AUTO_PAUSE_API,
    CHANNEL_FLAGS,
    channel_from_api,
)

PLATFORMS = ("ios", "android", "electron")
ROLLOUT_API = {
    "bundle": "rolloutVersion",
    "enabled": "rolloutEnabled",
    "paused": "rolloutPaused",
    "cache_ttl_seconds": "rolloutCacheTtlSeconds",
}
NO_ROLLOUT = {"bundle": None, "percentage": 0.0, "enabled": False, "paused": False}
NEW_CHANNEL = {
    "bundle": None,
    "public": False,
    "disable_auto_update_under_native": True,
    "disable_auto_update": "major",
    "allow_device_self_set": False,
    "allow_emulator": True,
    "allow_device": True,
    "allow_dev": True,
    "allow_prod": True,
    "rollout": dict(NO_ROLLOUT, cache_ttl_seconds=2592000),
    "auto_pause": {"enabled": False, "window_minutes": 60, "failure_rate_bps": 0, "confidence": 0.95,
                   "min_attempts": 0, "min_failures": 0, "action": "pause", "cooldown_minutes": 60},
}
# option: (minimum, maximum, exclusive bounds)
BOUNDS = {
    ("rollout", "percentage"): (0, 100, False),
    ("rollout", "cache_ttl_seconds"): (60, 31536000, False),
    ("auto_pause", "window_minutes"): (1, 10080, False),
    ("auto_pause", "failure_rate_bps"): (0, 10000, False),
    ("auto_pause", "confidence"): (0, 1, True),
    ("auto_pause", "min_attempts"): (0, None, False),
    ("auto_pause", "min_failures"): (0, None, False),
    ("auto_pause", "cooldown_minutes"): (0, 10080, False),
}


class Channel(CapgoResource):
    resource_key = "channel"
    managed = ("bundle",) + tuple(CHANNEL_FLAGS) + ("rollout", "auto_pause")
    create_defaults = NEW_CHANNEL

    def __init__(self):
        super(Channel, self).__init__(
            argument_spec=dict(
                app_id=dict(type="str", required=True),
                channel=dict(type="str", required=True, aliases=["name"]),
                state=dict(type="str", default="present", choices=["present", "absent"]),
                bundle=dict(type="str"),
                promote_from=dict(type="str"),
                public=dict(type="bool"),
                disable_auto_update_under_native=dict(type="bool"),
                disable_auto_update=dict(type="str", choices=["major", "minor", "patch", "version_number",
                                                              "metadata", "none"]),
                ios=dict(type="bool"),
                android=dict(type="bool"),
                electron=dict(type="bool"),
                allow_device_self_set=dict(type="bool"),
                allow_emulator=dict(type="bool"),
                allow_device=dict(type="bool"),
                allow_dev=dict(type="bool"),
                allow_prod=dict(type="bool"),
                rollout=dict(type="dict", options=dict(
                    bundle=dict(type="str"),
                    percentage=dict(type="float"),
                    enabled=dict(type="bool"),
                    paused=dict(type="bool"),
                    cache_ttl_seconds=dict(type="int"),
                )),
                rollout_action=dict(type="str", choices=["promote", "rollback"]),
                auto_pause=dict(type="dict", options=dict(
                    enabled=dict(type="bool"),
                    window_minutes=dict(type="int"),
                    failure_rate_bps=dict(type="int"),
                    confidence=dict(type="float"),
                    min_attempts=dict(type="int"),
                    min_failures=dict(type="int"),
                    action=dict(type="str", choices=["pause", "rollback", "notify"]),
                    cooldown_minutes=dict(type="int"),
                )),
            ),
            mutually_exclusive=[("bundle", "promote_from"), ("rollout", "rollout_action")],
        )
        self.app_id = self.params["app_id"]
        self.name = self.params["channel"]
        # ios/android/electron are write-only: sent on create and with every other change.
        self.platforms = drop_none(dict((p, self.params.get(p)) for p in PLATFORMS))

    def describe(self):
        return "channel %s of app %s" % (self.name, self.app_id)

    # -- input -----------------------------------------------------------

    def validate(self):
        if not self.name.strip():
            self.fail("channel must not be empty")
        if self.params.get("promote_from") is not None and not self.params["promote_from"].strip():
            self.fail("promote_from must name a channel of app %s" % self.app_id)
        for (group, key), (low, high, exclusive) in BOUNDS.items():
            value = (self.params.get(group) or {}).get(key)
            if value is None:
                continue
            too_low = value <= low if exclusive else value < low
            too_high = high is not None and (value >= high if exclusive else value > high)
            if too_low or too_high:
                bounds = "between %s and %s" % (low, high) if high is not None else "at least %s" % low
                self.fail("%s.%s must be %s%s, got %s"
                          % (group, key, bounds, " (exclusive)" if exclusive else "", value))

    def normalize(self, key, value):
        if key == "bundle" and value == "":
            return None
        if key == "disable_auto_update" and value == "metadata":
            return "version_number"
        if key == "rollout":
            value = dict(value)
            if value.get("bundle") == "":
                value["bundle"] = None
            if "percentage" in value:
                value["percentage"] = round(value["percentage"] * 100) / 100.0
        return value

    def desired(self):
        desired = super(Channel, self).desired()
        source = self.params.get("promote_from")
        if source and self.params["state"] == "present":
            other = self.read_channel(source)
            if other is None:
                self.fail("promote_from: channel %s does not exist in app %s" % (source, self.app_id))
            if not other["bundle"]:
                self.fail("promote_from: channel %s of app %s serves no bundle" % (source, self.app_id))
            desired["bundle"] = other["bundle"]
        return desired

    # -- comparison ------------------------------------------------------

    def compare(self, before, desired):
        changes = super(Channel, self).compare(before, desired)
        action = self.params.get("rollout_action")
        rollout = before.get("rollout") or {}
        if action == "promote" and rollout.get("bundle"):
            changes["rollout_action"] = action
        elif action == "rollback" and (rollout.get("bundle") or rollout.get("enabled")):
            changes["rollout_action"] = action
        return changes

    def predict_update(self, before, changes):
        changes = dict(changes)
        action = changes.pop("rollout_action", None)
        after = super(Channel, self).predict_update(before, changes)
        if action == "promote":
            after["bundle"] = before["rollout"]["bundle"]
        if action:
            after["rollout"] = dict(after["rollout"], **NO_ROLLOUT)
        return after

    def predict_create(self, desired):
        after = super(Channel, self).predict_create(desired)
        after.update({"app_id": self.app_id, "channel": self.name})
        return after

    # -- reading ---------------------------------------------------------

    def explain(self, err):
        if err.error == "cannot_access_app":
            return ("app %s does not exist, or this API key may not do this with its channels "
                    "(Capgo answers cannot_access_app for both)" % self.app_id)
        if err.error == "invalid_app_id":
            return "app_id %s is not a valid reverse-domain app id" % self.app_id
        return super(Channel, self).explain(err)

    def read_channel(self, name):
        try:
            data = self.api("GET", "/channel", params={"app_id": self.app_id, "channel": name})
        except CapgoAPIError as err:
            if err.status == 400 and err.error == "cannot_find_version":
                return None  # Capgo's (misleading) answer for a missing channel
            raise
        return channel_from_api(data)

    def read(self):
        return self.read_channel(self.name)

    def check_bundles(self, names):
        """Fail, naming them, when bundles do not exist (before any write)."""
        wanted = set(n for n in names if n)
        if not wanted:
            return
        for bundle in self.client.iter_pages("/bundle", params={"app_id": self.app_id},
                                             empty_errors=("cannot_get_bundle",)):
            wanted.discard(bundle.get("name"))
            if not wanted:
                return
        self.fail("bundle %s does not exist in app %s (or is deleted)"
                  % (", ".join(sorted(wanted)), self.app_id))

    def warn_public(self):
        others = []
        for channel in self.client.iter_pages("/channel", params={"app_id": self.app_id}):
            if channel.get("public") and channel.get("name") != self.name:
                others.append(channel.get("name"))
        if others:
            self.warn("Making channel %s public makes the other public channel(s) of app %s that share a "
                      "platform private: %s" % (self.name, self.app_id, ", ".join(sorted(others))))

    def check_rollout(self, after):
        if (after.get("rollout") or {}).get("bundle") and not after.get("bundle"):
            self.fail("a rollout needs a stable bundle: %s serves none (set bundle as well)" % self.describe())

    def check_create(self, desired):
        self.check_rollout(desired)
        self.check_bundles([desired.get("bundle"), (desired.get("rollout") or {}).get("bundle")])
        if desired.get("public"):
            self.warn_public()

    def check_update(self, before, changes):
        self.check_rollout(self.predict_update(before, changes))
        self.check_bundles([changes.get("bundle"), (changes.get("rollout") or {}).get("bundle")])
        if changes.get("public"):
            self.warn_public()

    # -- writing ---------------------------------------------------------

    def body(self, changes):
        body = {"app_id": self.app_id, "channel": self.name}
        for key, api in CHANNEL_FLAGS.items():
            if key in changes:
                body[api] = changes[key]
        if "bundle" in changes:
            body["version"] = changes["bundle"] or ""
        for key, api in ROLLOUT_API.items():
            if key in changes.get("rollout", {}):
                body[api] = changes["rollout"][key]
        if "percentage" in changes.get("rollout", {}):
            body["rolloutPercentageBps"] = int(round(changes["rollout"]["percentage"] * 100))
        for key, api in AUTO_PAUSE_API.items():
            if key in changes.get("auto_pause", {}):
                body[api] = changes["auto_pause"][key]
        action = changes.get("rollout_action")
        if action == "promote":
            body["promoteToStable"] = True
        elif action == "rollback":
            body["rollback"] = True
        body.update(self.platforms)
        return body

    def create(self, desired):
        # Capgo sets a rollout bundle only on an existing channel: create first, then roll out.
        rollout = dict(desired.get("rollout") or {})
        first = dict(desired)
        if rollout.get("bundle"):
            first.pop("rollout")
        self.write("POST", "/channel", body=self.body(first), idempotent=True)
        if rollout.get("bundle"):
            self.write("POST", "/channel", body=self.body({"rollout": rollout}), idempotent=True)
        return self.read_written()

    def update(self, before, changes):
        # The upsert may be repeated after a lost answer, but a promote or rollback may not:
        # repeated, it finds no rollout left and fails although it worked.
        self.write("POST", "/channel", body=self.body(changes), idempotent="rollout_action" not in changes)
        return self.read_written()

    def delete(self, before):
        self.delete_gone_ok("/channel", ("cannot_find_channel",), params={"app_id": self.app_id, "channel": self.name})

    def finish(self, before, after):
        if after and self.result["changed"]:
            after = dict(after, **self.platforms)
        super(Channel, self).finish(before, after)


def main():
    Channel().run()


if __name__ == "__main__":
    main()
