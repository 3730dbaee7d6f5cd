# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The channel resource of capgo.cloud (module ``capgo_channel``): its declaration and its special rules."""

from ansible_collections.capgo.cloud.plugins.module_utils._engine import (
    AppResource,
    Field,
    Option,
    Resource,
    argument_spec_of,
    create_defaults_of,
    drop_none,
    exported_of,
    from_api,
    managed_of,
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


BOOL = dict(type="bool")
# The channel's managed options, each once: argument spec, API name (the same in GET /channel
# objects and POST /channel bodies), conversions and the value of a new channel.
ROLLOUT_OPTIONS = (
    Option("bundle", dict(type="str"), "rollout_version_info", decode=name_of, send="rolloutVersion", new=None),
    Option("percentage", dict(type="float"), "rolloutPercentageBps", decode=lambda bps: (bps or 0) / 100.0,
           encode=lambda pct: int(round(pct * 100)), new=0.0),
    Option("enabled", BOOL, "rolloutEnabled", decode=bool, new=False),
    Option("paused", BOOL, "rolloutPausedAt", decode=lambda at: at is not None, send="rolloutPaused", new=False),
    Option("cache_ttl_seconds", dict(type="int"), "rolloutCacheTtlSeconds", new=2592000),
)
AUTO_PAUSE_OPTIONS = (
    Option("enabled", BOOL, "autoPauseEnabled", new=False),
    Option("window_minutes", dict(type="int"), "autoPauseWindowMinutes", new=60),
    Option("failure_rate_bps", dict(type="int"), "autoPauseFailureRateBps", new=0),
    Option("confidence", dict(type="float"), "autoPauseConfidence", new=0.95),
    Option("min_attempts", dict(type="int"), "autoPauseMinAttempts", new=0),
    Option("min_failures", dict(type="int"), "autoPauseMinFailures", new=0),
    Option("action", dict(type="str", choices=["pause", "rollback", "notify"]), "autoPauseAction", new="pause"),
    Option("cooldown_minutes", dict(type="int"), "autoPauseCooldownMinutes", new=60),
)
CHANNEL_OPTIONS = (
    Option("bundle", dict(type="str"), "version", decode=name_of, encode=lambda name: name or "", new=None),
    Option("public", BOOL, new=False),
    Option("disable_auto_update_under_native", BOOL, "disableAutoUpdateUnderNative", new=True),
    Option("disable_auto_update", dict(type="str", choices=["major", "minor", "patch", "version_number",
                                                            "metadata", "none"]), "disableAutoUpdate", new="major"),
    Option("allow_device_self_set", BOOL, new=False),
    Option("allow_emulator", BOOL, new=True),
    Option("allow_device", BOOL, new=True),
    Option("allow_dev", BOOL, new=True),
    Option("allow_prod", BOOL, new=True),
    Option("rollout", dict(type="dict"), fields=ROLLOUT_OPTIONS),
    Option("auto_pause", dict(type="dict"), fields=AUTO_PAUSE_OPTIONS),
)
AUTO_PAUSE_API = {o.option: o.api for o in AUTO_PAUSE_OPTIONS}
# Read-only auto-pause fields (not options; capgo_info returns them).
AUTO_PAUSE_STATUS_API = {
    "last_triggered_at": "autoPauseLastTriggeredAt",
    "last_checked_at": "autoPauseLastCheckedAt",
}
# The GET /channel object in the options' language, and what POST /channel takes of it.
CHANNEL_FIELDS = (
    Field("id", send=False),
    Field("app_id", send=False),
    Field("channel", "name", send=False),
    Field("bundle_id", "version", decode=id_of, send=False),
    Field("rollout_paused_at", "rolloutPausedAt", send=False),
    Field("rollout_pause_reason", "rolloutPauseReason", send=False),
    Field("created_at", send=False),
    Field("updated_at", send=False),
    Field("created_by", send=False),
) + CHANNEL_OPTIONS


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


# A channel's rollout once it is promoted or rolled back (its cache TTL stays).
NO_ROLLOUT = {k: v for k, v in create_defaults_of(ROLLOUT_OPTIONS).items() if k != "cache_ttl_seconds"}
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
    managed = managed_of(CHANNEL_OPTIONS)
    export_options = exported_of(CHANNEL_OPTIONS)
    create_defaults = create_defaults_of(CHANNEL_OPTIONS)

    argument_spec = dict(
        app_id=dict(type="str", required=True),
        channel=dict(type="str", required=True, aliases=["name"]),
        state=state_option(),
        rollout_action=dict(type="str", choices=["promote", "rollback"]),
        promote_from=dict(type="str"),
        native_compatibility=dict(type="str", default="fail", choices=["fail", "warn", "ignore"]),
        **dict(options("bool", *PLATFORMS), **argument_spec_of(CHANNEL_OPTIONS))
    )
    module_kwargs = dict(
        mutually_exclusive=[("bundle", "promote_from"), ("rollout", "rollout_action")],
    )

    def setup(self):
        self.app_id = self.params["app_id"]
        self.name = self.params["channel"]
        # ios/android/electron are write-only: sent on create and with every other change.
        self.platforms = drop_none({p: self.params.get(p) for p in PLATFORMS})
        self.unknown_bundle = None  # check mode: the bundle of a promote_from channel assumed to be created
        self.bundle_rows = {}  # name: the bundle's state or row, as check_bundles found it
        self.result["compatibility"] = []

    @classmethod
    def purge_options(cls, state, scope):
        return dict(app_id=scope["app_id"], channel=state.get("channel"))

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
        desired = super().desired()
        source = self.params.get("promote_from")
        if source and self.params["state"] == "present":
            other = self.current_of(Channel, channel=source)
            if other is None:
                # check mode: an earlier task creates it; which bundle it will serve is not known here
                self.assume("channel %s does not exist in app %s" % (source, self.app_id),
                            "promote_from: channel %s does not exist in app %s" % (source, self.app_id))
                self.unknown_bundle = "(the bundle channel %s serves)" % source
                other = {"bundle": self.unknown_bundle}
            if not other["bundle"]:
                self.fail("promote_from: channel %s of app %s serves no bundle" % (source, self.app_id))
            desired["bundle"] = other["bundle"]
        return desired

    # -- comparison ------------------------------------------------------

    def compare(self, before, desired):
        changes = super().compare(before, desired)
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
        after = super().predict_update(before, changes)
        if action == "promote":
            after["bundle"] = before["rollout"]["bundle"]
        if action:
            after["rollout"] = dict(after["rollout"], **NO_ROLLOUT)
        return after

    def predict_create(self, desired):
        after = super().predict_create(desired)
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
        wanted = set(n for n in names if n and n != self.unknown_bundle)
        extra = set(n for n in also if n and n != self.unknown_bundle) - wanted
        if not wanted and not extra:
            return
        if self.known_absent:
            pass  # a new app (check mode) has no bundle yet: the wanted ones are assumed below
        elif self.engine.prefer_listings:
            # Imported here: _bundle reads channels through this file.
            from ansible_collections.capgo.cloud.plugins.module_utils._bundle import Bundle

            for name in wanted | extra:
                state = self.current_of(Bundle, version=name)
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
            missing = "bundle %s does not exist in app %s" % (", ".join(sorted(wanted)), self.app_id)
            self.assume(missing, missing + " (or is deleted)")

    def incoming_bundles(self, before, changes):
        """The bundles this change would start serving: [(how, name)]. A rollout promotion serves the
        bundle that was compared when it became the rollout target: it is not compared again."""
        incoming = []
        if self.unknown_bundle and changes.get("bundle") == self.unknown_bundle:
            # check mode: the promote_from channel is only assumed, its bundle unknown: nothing to compare
            self.result["compatibility_skipped"] = "%s: nothing to compare" % self.unknown_bundle
        elif changes.get("bundle"):
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
        return self.current_after_write()

    def update(self, before, changes):
        # The upsert may be repeated after a lost answer, but a promote or rollback may not:
        # repeated, it finds no rollout left and fails although it worked.
        self.write("POST", "/channel", body=self.body(changes), idempotent="rollout_action" not in changes)
        return self.current_after_write()

    def delete(self, before):
        self.delete_gone_ok("/channel", ("cannot_find_channel",), params={"app_id": self.app_id, "channel": self.name})

    def finish(self, before, after):
        if after and self.result["changed"]:
            after = dict(after, **self.platforms)
        super().finish(before, after)
