# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The channel resource of capgo.cloud (module ``capgo_channel``): its declaration and its special rules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.capgo.cloud.plugins.module_utils._engine import (
    AppResource,
    Field,
    Resource,
    drop_none,
    from_api,
    options,
    state_option,
    to_api,
)
from ansible_collections.capgo.cloud.plugins.module_utils._native import assess, incompatible_lines

PLATFORMS = ("ios", "android", "electron")


def name_of(value):
    return value.get("name") if isinstance(value, dict) else None


def id_of(value):
    return value.get("id") if isinstance(value, dict) else None


# option name: API name (the same in GET /channel objects and POST /channel bodies)
CHANNEL_FLAGS = {
    "public": "public",
    "disable_auto_update_under_native": "disableAutoUpdateUnderNative",
    "disable_auto_update": "disableAutoUpdate",
    "allow_device_self_set": "allow_device_self_set",
    "allow_emulator": "allow_emulator",
    "allow_device": "allow_device",
    "allow_dev": "allow_dev",
    "allow_prod": "allow_prod",
}
AUTO_PAUSE_API = {
    "enabled": "autoPauseEnabled",
    "window_minutes": "autoPauseWindowMinutes",
    "failure_rate_bps": "autoPauseFailureRateBps",
    "confidence": "autoPauseConfidence",
    "min_attempts": "autoPauseMinAttempts",
    "min_failures": "autoPauseMinFailures",
    "action": "autoPauseAction",
    "cooldown_minutes": "autoPauseCooldownMinutes",
}
# Read-only auto-pause fields (not options; capgo_info returns them).
AUTO_PAUSE_STATUS_API = {
    "last_triggered_at": "autoPauseLastTriggeredAt",
    "last_checked_at": "autoPauseLastCheckedAt",
}
ROLLOUT_FIELDS = (
    Field("bundle", "rollout_version_info", read=name_of, send="rolloutVersion"),
    Field("percentage", "rolloutPercentageBps", read=lambda bps: (bps or 0) / 100.0,
          write=lambda pct: int(round(pct * 100))),
    Field("enabled", "rolloutEnabled", read=bool),
    Field("paused", "rolloutPausedAt", read=lambda at: at is not None, send="rolloutPaused"),
    Field("cache_ttl_seconds", "rolloutCacheTtlSeconds"),
)
# The GET /channel object in the options' language, and what POST /channel takes of it.
CHANNEL_FIELDS = (
    Field("id", send=False),
    Field("app_id", send=False),
    Field("channel", "name", send=False),
    Field("bundle", "version", read=name_of, write=lambda name: name or ""),
    Field("bundle_id", "version", read=id_of, send=False),
    Field("rollout", fields=ROLLOUT_FIELDS),
    Field("rollout_paused_at", "rolloutPausedAt", send=False),
    Field("rollout_pause_reason", "rolloutPauseReason", send=False),
    Field("auto_pause", fields=tuple(Field(key, api) for key, api in AUTO_PAUSE_API.items())),
    Field("created_at", send=False),
    Field("updated_at", send=False),
    Field("created_by", send=False),
) + tuple(Field(key, api) for key, api in CHANNEL_FLAGS.items())


def channel_from_api(data):
    """A GET /channel object: ``name`` as ``channel``, the linked bundles by name, bps as a percentage."""
    return from_api(CHANNEL_FIELDS, data)


def channel_bundle_ids(data):
    """(id of the bundle served, id of the bundle rolled out) of a GET /channel object; None when none."""
    info = data.get("rollout_version_info")
    rolled = info.get("id") if isinstance(info, dict) and "id" in info else data.get("rollout_version")
    return id_of(data.get("version")), rolled


def list_channels(client, app_id, page_size=None):
    """Every channel of app ``app_id`` (GET /channel objects), all pages."""
    kwargs = {"page_size": page_size} if page_size else {}
    return client.iter_pages("/channel", params={"app_id": app_id}, **kwargs)


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


class Channel(AppResource, Resource):
    resource_key = "channel"
    kind = "channels"
    identity_options = ("app_id", "channel")
    errors = dict(AppResource.errors, **{
        "cannot_access_app": "app {app_id} does not exist, or this API key may not do this with its channels "
                             "(Capgo answers cannot_access_app for both)",
    })
    managed = ("bundle",) + tuple(CHANNEL_FLAGS) + ("rollout", "auto_pause")
    create_defaults = NEW_CHANNEL

    argument_spec = dict(
        app_id=dict(type="str", required=True),
        channel=dict(type="str", required=True, aliases=["name"]),
        state=state_option(),
        disable_auto_update=dict(type="str", choices=["major", "minor", "patch", "version_number",
                                                      "metadata", "none"]),
        rollout=dict(type="dict", options=dict(
            percentage=dict(type="float"), cache_ttl_seconds=dict(type="int"),
            **dict(options("str", "bundle"), **options("bool", "enabled", "paused")))),
        rollout_action=dict(type="str", choices=["promote", "rollback"]),
        auto_pause=dict(type="dict", options=dict(
            enabled=dict(type="bool"), confidence=dict(type="float"),
            action=dict(type="str", choices=["pause", "rollback", "notify"]),
            **options("int", "window_minutes", "failure_rate_bps", "min_attempts", "min_failures", "cooldown_minutes"))),
        native_compatibility=dict(type="str", default="fail", choices=["fail", "warn", "ignore"]),
        **dict(options("str", "bundle", "promote_from"),
               **options("bool", *(PLATFORMS + tuple(k for k in CHANNEL_FLAGS if k != "disable_auto_update"))))
    )
    module_kwargs = dict(
        mutually_exclusive=[("bundle", "promote_from"), ("rollout", "rollout_action")],
    )

    def setup(self):
        self.app_id = self.params["app_id"]
        self.name = self.params["channel"]
        # ios/android/electron are write-only: sent on create and with every other change.
        self.platforms = drop_none(dict((p, self.params.get(p)) for p in PLATFORMS))
        self.bundle_rows = {}  # name: the bundle's state or row, as check_bundles found it
        self.result["compatibility"] = []

    def describe(self):
        return "channel %s of app %s" % (self.name, self.app_id)

    # -- input -----------------------------------------------------------

    def validate(self):
        self.require_filled("channel")
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

    def read_channel(self, name):
        # 400 cannot_find_version: Capgo's (misleading) answer for a missing channel
        data = self.get_or_none("/channel", ("cannot_find_version",), params={"app_id": self.app_id, "channel": name},
                                status=400)
        return None if data is None else channel_from_api(data)

    @classmethod
    def list_all(cls, op, scope):
        """Every channel of app ``scope["app_id"]``: GET /channel, all pages (the same objects as one GET)."""
        return [channel_from_api(c) for c in list_channels(op.client, scope["app_id"])]

    def read(self):
        return self.read_channel(self.name)

    def check_bundles(self, names, also=()):
        """Fail, naming them, when bundles do not exist (before any write); keep the rows of ``names``
        and ``also`` (bundles that need not exist) in ``self.bundle_rows``."""
        wanted = set(n for n in names if n)
        extra = set(n for n in also if n) - wanted
        if not wanted and not extra:
            return
        if self.engine.prefer_listings:
            # Imported here: _bundle reads channels through this file.
            from ansible_collections.capgo.cloud.plugins.module_utils._bundle import Bundle

            for name in wanted | extra:
                state = self.find_peer(Bundle, version=name)
                if state is not None:
                    self.bundle_rows[name] = state
            wanted = set(n for n in wanted if n not in self.bundle_rows)
        else:
            for bundle in self.client.iter_pages("/bundle", params={"app_id": self.app_id},
                                                 empty_errors=("cannot_get_bundle",)):
                name = bundle.get("name")
                if name in wanted or name in extra:
                    self.bundle_rows[name] = bundle
                wanted.discard(name)
                extra.discard(name)
                if not wanted and not extra:
                    return
        if wanted:
            self.fail("bundle %s does not exist in app %s (or is deleted)"
                      % (", ".join(sorted(wanted)), self.app_id))

    def incoming_bundles(self, before, changes):
        """The bundles this change would start serving: [(how, name)]. A rollout promotion serves the
        bundle that was compared when it became the rollout target: it is not compared again."""
        incoming = []
        if changes.get("bundle"):
            how = "promote_from %s" % self.params["promote_from"] if self.params.get("promote_from") else "bundle"
            incoming.append((how, changes["bundle"]))
        if (changes.get("rollout") or {}).get("bundle"):
            incoming.append(("rollout.bundle", changes["rollout"]["bundle"]))
        return incoming

    def check_native(self, before, incoming):
        """native_compatibility: compare each incoming bundle's native packages with those of the bundle
        the channel serves now (the CLI's rules); refuse (fail), warn, or skip (ignore)."""
        mode = self.params.get("native_compatibility") or "fail"
        if not incoming:
            return
        if mode == "ignore":
            self.result["compatibility_skipped"] = "native_compatibility is ignore: nothing compared"
            return
        served = (before or {}).get("bundle")
        if not served:
            self.result["compatibility_skipped"] = ("%s serves no bundle yet: nothing to compare"
                                                    % self.describe())
            return
        rows, skipped, lines = [], [], []
        for how, name in incoming:
            if name == served:
                continue
            found, served_row = self.bundle_rows.get(name) or {}, self.bundle_rows.get(served) or {}
            got, note, problem = assess(name, found.get("native_packages"), served, served_row.get("native_packages"))
            rows.extend(got)
            if note:
                skipped.append(note)
            if problem:
                lines.append("cannot compare %s with %s: %s" % (name, served, problem))
            bad = incompatible_lines(got)
            if bad:
                lines.append("%s %s is not compatible with bundle %s, which the apps on %s run: %s"
                             % (how, name, served, self.describe(), "; ".join(bad)))
        self.result["compatibility"] = rows
        if skipped:
            self.result["compatibility_skipped"] = "; ".join(skipped)
        if not lines:
            return
        if mode == "warn":
            for line in lines:
                self.warn("native_compatibility: %s" % line)
            return
        self.fail("native_compatibility: %s (an app store release must ship the native change first; "
                  "native_compatibility: warn or ignore serves it anyway)" % " | ".join(lines),
                  compatibility=rows)

    def warn_public(self):
        if self.known_absent:
            return  # a new app (check mode): it has no other channel yet
        others = []
        if self.engine.prefer_listings:  # this run's listing of the app's channels
            states = self.engine.listing(("channels", self.app_id),
                                         lambda: self.list_all(self, {"app_id": self.app_id})) or []
            others = [s.get("channel") for s in states if s.get("public") and s.get("channel") != self.name]
        else:
            for channel in list_channels(self.client, self.app_id):
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
        self.check_native(None, self.incoming_bundles({}, desired))
        if desired.get("public"):
            self.warn_public()

    def check_update(self, before, changes):
        self.check_rollout(self.predict_update(before, changes))
        incoming = self.incoming_bundles(before, changes)
        compare = bool(incoming) and self.params.get("native_compatibility") != "ignore"
        self.check_bundles([changes.get("bundle"), (changes.get("rollout") or {}).get("bundle")],
                           also=[before.get("bundle")] + [name for _how, name in incoming] if compare else ())
        self.check_native(before, incoming)
        if changes.get("public"):
            self.warn_public()

    # -- writing ---------------------------------------------------------

    def body(self, changes):
        body = {"app_id": self.app_id, "channel": self.name}
        body.update(to_api(CHANNEL_FIELDS, changes))
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
