# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device resource of capgo.cloud (module ``capgo_device``): its declaration and its special rules."""

import datetime
import time

from ansible_collections.capgo.cloud.plugins.module_utils._channel import Channel
from ansible_collections.capgo.cloud.plugins.module_utils._engine import (
    AppResource,
    Field,
    Option,
    Resource,
    argument_spec_of,
    exported_of,
    from_api,
    managed_of,
    state_option,
)
from ansible_collections.capgo.cloud.plugins.module_utils._client import RETRY_WAIT_BUDGET

OVERRIDE_EXPIRY_DAYS = 90
UTC = datetime.timezone.utc
DEVICE_PAGE_SIZE = 1000
# The device's managed option, once: its override (``channel`` only when an override exists).
DEVICE_OPTIONS = (Option("channel", dict(type="str")),)
# The GET /device object (``version`` is the bundle's id).
DEVICE_FIELDS = DEVICE_OPTIONS + tuple(Field(key) for key in (
    "app_id", "device_id", "custom_id", "platform", "version_name")) + (Field("bundle_id", "version"),) + tuple(
    Field(key) for key in ("version_build", "plugin_version", "os_version", "is_prod", "is_emulator", "install_source",
                           "key_id", "country_code", "updated_at"))


def device_from_api(data):
    """A GET /device object (a device Capgo knows: ``seen``; ``channel`` None when no override)."""
    state = from_api(DEVICE_FIELDS, data)
    state["seen"] = True
    return state


def list_devices(client, app_id, page_size=DEVICE_PAGE_SIZE, limit=None, **filters):
    """The devices of app ``app_id`` (GET /device objects, cursor pages); ``filters`` go to the query."""
    params = dict(filters, app_id=app_id)
    return client.iter_cursor("/device", params=params, page_size=page_size, limit=limit)


class Device(AppResource, Resource):
    resource_key = "device"
    kind = "devices"
    identity_options = ("app_id", "device_id")
    errors = dict(AppResource.errors, **{
        "cannot_access_app": "app {app_id} does not exist, or this API key may not read or manage its devices and "
                             "channels (Capgo answers cannot_access_app for both)",
        "cannot_access_channel": "this API key may not set device overrides on channel {channel} of app {app_id} "
                                 "(it needs channel.manage_forced_devices)",
        "channel_not_found": "channel {channel} does not exist in app {app_id}",
        "public_channel_override": "channel {channel} of app {app_id} is public: Capgo sets device overrides only "
                                   "to private channels",
    })
    managed = managed_of(DEVICE_OPTIONS)
    export_options = exported_of(DEVICE_OPTIONS)

    argument_spec = dict(
        app_id=dict(type="str", required=True),
        device_id=dict(type="str", required=True),
        state=state_option(),
        refresh=dict(type="bool", default=False),
        version_id=dict(type="raw"),
        **argument_spec_of(DEVICE_OPTIONS)
    )
    module_kwargs = dict(
        required_if=[("state", "present", ("channel",))],
    )

    def setup(self):
        self.app_id = self.params["app_id"]
        self.device_id = (self.params["device_id"] or "").strip().lower()
        self.unseen_warned = False
        self.refresh_msg = None

    @classmethod
    def purge_options(cls, state, scope):
        if not state.get("channel"):
            return None  # no override: nothing to remove
        return dict(app_id=scope["app_id"], device_id=state.get("device_id"))

    def change_action(self, before, after):
        """An override set where none was is a create (and one removed, a delete)."""
        return super().change_action(before if before and before.get("channel") else None,
                                     after if after and after.get("channel") else None)

    def describe(self):
        return "device %s of app %s" % (self.device_id, self.app_id)

    # -- input -----------------------------------------------------------

    def validate(self):
        if self.params.get("version_id") is not None:
            self.fail("version_id: Capgo has no per-device bundle (it rejects version_id with invalid_version_id). "
                      "Create a private channel that serves the bundle (capgo.cloud.capgo_channel) and point the "
                      "device at it with the channel option.")
        self.require_filled("device_id")
        if self.params["state"] == "present" and not (self.params.get("channel") or "").strip():
            self.fail("channel must name a private channel of app %s (to remove the override use state=absent)"
                      % self.app_id)
        if self.params["state"] == "absent" and self.params.get("refresh"):
            self.fail("refresh applies to state=present only")

    # -- errors ----------------------------------------------------------

    def explain(self, err):
        if err.status == 429 and err.error not in self.errors:
            return self.explain_rate_limit(err)
        return super().explain(err)

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
        data = self.get_or_none("/device", ("device_not_found",),
                                params={"app_id": self.app_id, "device_id": self.device_id}, status=404)
        return self.unlisted() if data is None else device_from_api(data or {})

    def unlisted(self):
        # Never contacted Capgo (GET 404, or not in the list): an override may exist but cannot be read back.
        return {"app_id": self.app_id, "device_id": self.device_id, "seen": False}

    @classmethod
    def list_all(cls, op, scope):
        """Every device of app ``scope["app_id"]`` Capgo knows, with its override: GET /device, all cursor pages.

        A device that never contacted Capgo is not listed (nor readable): ``unlisted()`` gives its state.
        """
        return [device_from_api(d) for d in list_devices(op.client, scope["app_id"])]

    def matches(self, state):
        return (state.get("device_id") or "").lower() == self.device_id

    def warn_unseen(self, action):
        if self.unseen_warned:
            return
        self.unseen_warned = True
        self.warn("%s has never contacted Capgo, so Capgo cannot report its channel override: the override %s "
                  "without knowing its current state, and the result cannot be verified (this task reports a "
                  "change on every run until the device has contacted Capgo)" % (self.describe().capitalize(), action))

    def check_channel(self, name):
        """Fail, naming the rule, when the target channel is missing or public (before any write)."""
        channel = self.current_of(Channel, channel=name)
        if channel is None:
            self.assume("channel %s does not exist in app %s" % (name, self.app_id),
                        "channel %s does not exist in app %s: a device can only be pointed at an existing private "
                        "channel (create it first with capgo.cloud.capgo_channel)" % (name, self.app_id))
        elif channel.get("public"):
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
        return super().compare(before, desired)

    def check_update(self, before, changes):
        self.check_channel(changes["channel"])
        if not before.get("seen"):
            self.warn_unseen("would be set" if self.check_mode else "was set")
        elif before.get("channel") == changes["channel"]:
            self.refresh_msg = ("The override of %s to channel %s %s written again; its %d-day expiry %s."
                                % (self.describe(), changes["channel"], "would be" if self.check_mode else "was",
                                   OVERRIDE_EXPIRY_DAYS, "would restart" if self.check_mode else "restarted"))

    def update(self, before, changes):
        self.write("POST", "/device", body={"app_id": self.app_id, "device_id": self.device_id,
                                            "channel": changes["channel"]})
        if not before.get("seen"):
            return self.predict_update(before, changes)
        after = self.current_after_write()
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
            self.warn_unseen("would be removed" if self.check_mode else "was removed")
        if not self.check_mode:
            self.write("DELETE", "/device", params={"app_id": self.app_id, "device_id": self.device_id})
        return None

    def finish(self, before, after):
        super().finish(before, after)
        if self.engine.diff and after is None and "channel" in (before or {}):
            # The device stays: the diff shows its override going away.
            self.result["diff"]["after"] = {"channel": None}
        if self.refresh_msg:
            self.result["msg"] = self.refresh_msg
