# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device resource of capgo.cloud (module ``capgo_device``): its declaration and its special rules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import time

from ansible_collections.capgo.cloud.plugins.module_utils._channel import Channel
from ansible_collections.capgo.cloud.plugins.module_utils._engine import Resource
from ansible_collections.capgo.cloud.plugins.module_utils._client import RETRY_WAIT_BUDGET, CapgoAPIError
from ansible_collections.capgo.cloud.plugins.module_utils._resources import device_from_api

OVERRIDE_EXPIRY_DAYS = 90
UTC = datetime.timezone.utc


class Device(Resource):
    resource_key = "device"
    managed = ("channel",)

    argument_spec = dict(
        app_id=dict(type="str", required=True),
        device_id=dict(type="str", required=True),
        channel=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        refresh=dict(type="bool", default=False),
        version_id=dict(type="raw"),
    )
    module_kwargs = dict(
        required_if=[("state", "present", ("channel",))],
    )

    def setup(self):
        self.app_id = self.params["app_id"]
        self.device_id = (self.params["device_id"] or "").strip().lower()
        self.unseen_warned = False
        self.refresh_msg = None

    def describe(self):
        return "device %s of app %s" % (self.device_id, self.app_id)

    # -- input -----------------------------------------------------------

    def validate(self):
        if self.params.get("version_id") is not None:
            self.fail("version_id: Capgo has no per-device bundle (it rejects version_id with invalid_version_id). "
                      "Create a private channel that serves the bundle (capgo.cloud.capgo_channel) and point the "
                      "device at it with the channel option.")
        if not self.device_id:
            self.fail("device_id must not be empty")
        if self.params["state"] == "present" and not (self.params.get("channel") or "").strip():
            self.fail("channel must name a private channel of app %s (to remove the override use state=absent)"
                      % self.app_id)
        if self.params["state"] == "absent" and self.params.get("refresh"):
            self.fail("refresh applies to state=present only")

    # -- errors ----------------------------------------------------------

    def explain(self, err):
        channel = self.params.get("channel")
        if err.error == "cannot_access_app":
            return ("app %s does not exist, or this API key may not read or manage its devices and channels "
                    "(Capgo answers cannot_access_app for both)" % self.app_id)
        if err.error == "invalid_app_id":
            return "app_id %s is not a valid reverse-domain app id" % self.app_id
        if err.error == "cannot_access_channel":
            return ("this API key may not set device overrides on channel %s of app %s "
                    "(it needs channel.manage_forced_devices)" % (channel, self.app_id))
        if err.error == "channel_not_found":
            return "channel %s does not exist in app %s" % (channel, self.app_id)
        if err.error == "public_channel_override":
            return ("channel %s of app %s is public: Capgo sets device overrides only to private channels"
                    % (channel, self.app_id))
        if err.status == 429:
            return self.explain_rate_limit(err)
        return super(Device, self).explain(err)

    def explain_rate_limit(self, err):
        reason = err.more_info.get("reason") or err.error
        rules = ("Capgo accepts the same override for a device once per 60 seconds, and at most 5 requests per "
                 "second per device and operation")
        when = ""
        if err.retry_after is not None:
            seconds = int(round(err.retry_after))
            at = datetime.datetime.fromtimestamp(time.time() + seconds, tz=UTC)
            when = ": retry in %d s (after %s UTC)" % (seconds, at.strftime("%Y-%m-%d %H:%M:%S"))
        else:
            reset = err.more_info.get("rateLimitResetAt")
            if isinstance(reset, (int, float)) and not isinstance(reset, bool):
                at = datetime.datetime.fromtimestamp(reset / 1000.0, tz=UTC)
                when = ": retry after %s UTC" % at.strftime("%Y-%m-%d %H:%M:%S")
        return ("rate limited on %s (%s): %s. The wait Capgo asks for does not fit this run's retry budget "
                "(retries=%s, at most %d s of waiting in total)%s"
                % (self.describe(), reason, rules, self.params.get("retries"), RETRY_WAIT_BUDGET, when))

    # -- reading ---------------------------------------------------------

    def read(self):
        try:
            data = self.api("GET", "/device", params={"app_id": self.app_id, "device_id": self.device_id})
        except CapgoAPIError as err:
            if err.status == 404 and err.error == "device_not_found":
                # Never contacted Capgo: an override may exist but cannot be read back.
                return {"app_id": self.app_id, "device_id": self.device_id, "seen": False}
            raise
        return device_from_api(data or {})

    def warn_unseen(self, action):
        if self.unseen_warned:
            return
        self.unseen_warned = True
        self.warn("%s has never contacted Capgo, so Capgo cannot report its channel override: the override was %s "
                  "without knowing its current state, and the result cannot be verified (this task reports a "
                  "change on every run until the device has contacted Capgo)" % (self.describe().capitalize(), action))

    def check_channel(self, name):
        """Fail, naming the rule, when the target channel is missing or public (before any write)."""
        channel = self.find_peer(Channel, channel=name)
        if channel is None:
            self.fail("channel %s does not exist in app %s: a device can only be pointed at an existing "
                      "private channel (create it first with capgo.cloud.capgo_channel)" % (name, self.app_id))
        if channel.get("public"):
            self.fail("channel %s of app %s is public: Capgo overrides a device only to a private channel (a public "
                      "channel is already the default of every device without an override); use a private channel "
                      "or make this one private" % (name, self.app_id))

    # -- the cycle -------------------------------------------------------

    def normalize(self, key, value):
        if key == "channel":
            return value.strip()
        return value

    def compare(self, before, desired):
        if not before.get("seen") or self.params.get("refresh"):
            return dict(desired)
        return super(Device, self).compare(before, desired)

    def check_update(self, before, changes):
        self.check_channel(changes["channel"])
        if not before.get("seen"):
            self.warn_unseen("would be set" if self.check_mode else "set")
        elif before.get("channel") == changes["channel"]:
            self.refresh_msg = ("The override of %s to channel %s %s written again; its %d-day expiry %s."
                                % (self.describe(), changes["channel"], "would be" if self.check_mode else "was",
                                   OVERRIDE_EXPIRY_DAYS, "would restart" if self.check_mode else "restarted"))

    def update(self, before, changes):
        self.write("POST", "/device", body={"app_id": self.app_id, "device_id": self.device_id,
                                            "channel": changes["channel"]})
        if not before.get("seen"):
            return self.predict_update(before, changes)
        after = self.read()
        if after.get("seen") and after.get("channel") != changes["channel"]:
            self.fail("%s was set to channel %s, but Capgo reports channel %s"
                      % (self.describe(), changes["channel"], after.get("channel")), **self.result)
        return after

    def absent(self, before):
        """Remove the override; None (returned as ``{}``): the override is gone, or was never there."""
        if before.get("seen") and before.get("channel") is None:
            return None
        self.result["changed"] = True
        if not before.get("seen"):
            self.warn_unseen("would be removed" if self.check_mode else "removed")
        if not self.check_mode:
            self.write("DELETE", "/device", params={"app_id": self.app_id, "device_id": self.device_id})
        return None

    def finish(self, before, after):
        super(Device, self).finish(before, after)
        if self.engine.diff and after is None and "channel" in (before or {}):
            # The device stays: the diff shows its override going away.
            self.result["diff"]["after"] = {"channel": None}
        if self.refresh_msg:
            self.result["msg"] = self.refresh_msg
