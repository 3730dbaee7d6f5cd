#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: capgo_bundle
short_description: Register, annotate, delete and clean up Capgo bundles
version_added: 0.1.0
description:
  - Register an externally hosted bundle (a zip your pipeline built and uploaded to your own
    HTTPS storage) as a version of a Capgo app, set its C(link) and C(comment), delete one
    bundle, or clean up old bundles the way C(npx @capgo/cli bundle cleanup) does, as a
    declarative state.
  - Bundles are immutable in Capgo. Registering a name that exists with the same
    O(external_url) and O(checksum) is not a change; with a different URL or checksum the
    module fails and asks for a new version name.
  - Deleting a bundle is a soft delete in Capgo, and the name of a deleted bundle stays
    reserved forever. Capgo never lists deleted bundles, so the module can only learn that a
    name is reserved from Capgo's refusal to register it; it then fails with a message that
    says so (in check mode such a run is predicted as a registration).
  - To upload a bundle to Capgo's own storage use the Capgo CLI (C(npx @capgo/cli bundle
    upload)); this module then manages the uploaded bundle like any other (metadata,
    deletion, cleanup).
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
  version:
    description:
      - Name of the bundle (its version), unique per app, deleted bundles included.
      - With O(state=present) it must be a semantic version without a leading V(v) (for
        example V(1.4.2) or V(2.0.0-beta.1)); this is checked before any request.
      - Required with O(state=present). With O(state=absent), set either O(version) (delete
        this bundle) or O(keep) (clean up), never both.
    type: str
    aliases: [name]
  state:
    description:
      - V(present) registers the bundle when it does not exist and updates O(link) and
        O(comment) when they differ.
      - V(absent) with O(version) deletes that bundle; a bundle that is missing or already
        deleted is not a change. A bundle a channel serves (as its bundle or as its rollout
        bundle) is never deleted; the module fails and names the channels. Point them at
        another bundle first (M(capgo.cloud.capgo_channel)).
      - V(absent) with O(keep) deletes old bundles, see O(keep).
      - V(absent) with neither O(version) nor O(keep) is an argument error; the module never
        deletes every bundle implicitly.
    type: str
    choices: [present, absent]
    default: present
  external_url:
    description:
      - HTTPS URL of the bundle zip. Required only to register a new bundle.
      - Must start with C(https://); checked before any request.
      - Cannot be changed once the bundle exists (bundles are immutable).
    type: str
  checksum:
    description:
      - Checksum the Capgo updater verifies the downloaded zip against, as the Capgo CLI
        prints it (for example C(npx @capgo/cli bundle zip --json)). Required only to
        register a new bundle.
      - Cannot be changed once the bundle exists.
    type: str
  session_key:
    description:
      - Session key of an encrypted bundle, as printed by the Capgo CLI's encrypt command.
        Organizations that enforce encrypted bundles refuse bundles without one.
      - A secret, never returned and masked in diffs; RV(bundle.encrypted) tells whether a
        bundle has one.
      - Only sent when the bundle is registered; a different value for an existing bundle
        fails (bundles are immutable).
    type: str
  key_id:
    description:
      - Id of the public key the bundle was encrypted with (organizations may require a
        specific key).
      - Only sent when the bundle is registered; a different value for an existing bundle
        fails.
    type: str
  link:
    description:
      - A URL shown with the bundle in the Capgo dashboard (release notes, the commit, the CI run).
      - Updated when it differs. V("") clears it.
    type: str
  comment:
    description:
      - A free-text comment shown with the bundle in the Capgo dashboard.
      - Updated when it differs. V("") clears it.
    type: str
  keep:
    description:
      - Clean up instead of deleting one bundle (only with O(state=absent) and without
        O(version)), as C(npx @capgo/cli bundle cleanup --keep N) does.
      - The bundles (within O(major) when set) are walked from the newest to the oldest by
        creation time. A bundle is kept while fewer than O(keep) bundles have been kept; a
        bundle a channel serves (as its bundle or its rollout bundle) is always kept. Every
        kept bundle, served ones included, counts toward O(keep). The rest is deleted.
      - When Capgo returns a bundle in scope whose creation time cannot be read, the module
        fails before deleting anything and names that bundle. It never guesses the age of a
        bundle (a guess could delete the wrong one, and deletes are final).
      - V(0) deletes every bundle no channel serves (within O(major) when set).
      - Returns the deleted names in RV(deleted), newest first; in check mode the same list,
        and nothing is deleted.
    type: int
  major:
    description:
      - With O(keep), only consider bundles whose name is a semantic version with this major
        number (for example V(1) for V(1.0.0) up to V(1.99.3)). Bundles of other majors, and
        bundles whose name is not a semantic version, are left alone and do not count.
    type: int
notes:
  - Reading bundles needs C(app.read_bundles); registering a bundle and changing O(link) or
    O(comment) need C(app.upload_bundle); deleting needs C(bundle.delete), which only the
    C(app_admin) and C(org_super_admin) roles have (C(org_admin) and keys migrated from the
    older C(write) mode do not). Deleting and cleaning up also read the app's channels
    (C(app.read_channels)) to find the bundles they serve.
  - Capgo answers a bundle list of an app without bundles, of an unknown app and of an app
    the key may not read with the same error. When the list is empty the module reads the
    app's channels to tell an unknown or forbidden app (the module fails) from an app
    without bundles.
  - The module reads every page of the bundle list (50 bundles a page, newest first) and
    de-duplicates the overlapping pages Capgo returns for page numbers sent in the query
    string, so no bundle is missed or counted twice however many there are.
  - Capgo answers C(cannot_create_bundle) both for a name reserved by a deleted bundle and
    for a key that may not upload bundles; when Capgo does not say which, the message names
    both.
seealso:
  - module: capgo.cloud.capgo_channel
  - module: capgo.cloud.capgo_info
  - name: Capgo CLI bundle commands
    description: Uploading bundles to Capgo storage, encryption and the cleanup command this module mirrors.
    link: https://capgo.app/docs/cli/commands/
"""

EXAMPLES = r"""
- name: Register the bundle the build uploaded to our CDN
  capgo.cloud.capgo_bundle:
    app_id: com.example.app
    version: 1.4.2
    external_url: https://cdn.example.com/app/1.4.2.zip
    checksum: "{{ bundle_checksum }}"
    link: https://github.com/example/app/releases/tag/v1.4.2
    comment: Built by pipeline 812

- name: Register an encrypted bundle
  capgo.cloud.capgo_bundle:
    app_id: com.example.app
    version: 1.5.0
    external_url: https://cdn.example.com/app/1.5.0.zip
    checksum: "{{ encrypted_checksum }}"
    session_key: "{{ encryption_session_key }}"
    key_id: "{{ encryption_key_id }}"

- name: Change only the comment of an existing bundle
  capgo.cloud.capgo_bundle:
    app_id: com.example.app
    version: 1.4.2
    comment: Withdrawn, crashes on Android 9

- name: Delete one bundle (fails, naming them, if channels still serve it)
  capgo.cloud.capgo_bundle:
    app_id: com.example.app
    version: 1.3.0
    state: absent

- name: Keep the five newest bundles, and every bundle a channel serves
  capgo.cloud.capgo_bundle:
    app_id: com.example.app
    state: absent
    keep: 5
  register: cleanup

- name: Show what was deleted
  ansible.builtin.debug:
    msg: "Deleted {{ cleanup.deleted | length }} bundles: {{ cleanup.deleted | join(', ') }}"

- name: Preview the cleanup of the 1.x bundles, keeping the two newest
  capgo.cloud.capgo_bundle:
    app_id: com.example.app
    state: absent
    keep: 2
    major: 1
  check_mode: true
  register: preview
"""

RETURN = r"""
bundle:
  description:
    - The bundle after the run (in check mode, the predicted bundle); empty after a delete
      and after a cleanup.
  returned: always
  type: dict
  contains:
    id:
      description: Numeric id of the bundle (null in a check-mode prediction of a registration).
      type: int
      sample: 98
    app_id:
      description: Reverse-domain id of the app.
      type: str
      sample: com.example.app
    version:
      description: Name of the bundle.
      type: str
      sample: 1.4.2
    external_url:
      description: URL of the bundle zip (null for bundles in Capgo's storage).
      type: str
      sample: https://cdn.example.com/app/1.4.2.zip
    checksum:
      description: Checksum of the bundle.
      type: str
      sample: 3f1c0b6e8a2d4f5e9b7c1a0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a1b3c5d7e9f
    encrypted:
      description: Whether the bundle has a session key (the key itself is never returned).
      type: bool
      sample: false
    key_id:
      description: Id of the encryption key, or null.
      type: str
    link:
      description: The link shown in the dashboard, or null.
      type: str
      sample: https://github.com/example/app/releases/tag/v1.4.2
    comment:
      description: The comment shown in the dashboard, or null.
      type: str
      sample: Built by pipeline 812
    storage_provider:
      description: Where the zip is stored (V(external) for registered bundles).
      type: str
      sample: external
    min_update_version:
      description: Oldest version that may update to this bundle, as set by the Capgo CLI, or null.
      type: str
    native_packages:
      description: Native packages the bundle was built against, as recorded by the Capgo CLI, or null.
      type: list
      elements: raw
    manifest_count:
      description: Number of files of the bundle's manifest (partial updates), 0 without one.
      type: int
    cli_version:
      description: Version of the Capgo CLI that uploaded the bundle, or null.
      type: str
    owner_org:
      description: Id of the organization owning the app.
      type: str
    user_id:
      description: Id of the user who registered or uploaded the bundle.
      type: str
    created_at:
      description: Creation time (ISO 8601).
      type: str
    updated_at:
      description: Last change time (ISO 8601).
      type: str
deleted:
  description:
    - Names of the bundles deleted by this run, newest first (in check mode, those that
      would be deleted). Empty when nothing was (or would be) deleted.
  returned: always
  type: list
  elements: str
  sample: [1.3.2, 1.3.1, 1.3.0]
kept:
  description:
    - With O(keep), the names of the bundles kept, newest first, bundles served by a channel
      included (within O(major) when set).
  returned: when O(keep) is set
  type: list
  elements: str
  sample: [1.4.2, 1.4.1, 1.0.0]
diff:
  description:
    - Before and after. For one bundle, its managed fields (O(session_key) masked); for a
      cleanup, C(bundles), the names of the bundles in scope before and after.
  returned: when diff mode is on
  type: dict
"""

import re

from ansible_collections.capgo.cloud.plugins.module_utils._base import CapgoResource
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError
from ansible_collections.capgo.cloud.plugins.module_utils._resources import bundle_from_api, channel_bundle_ids, parse_time

SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
IMMUTABLE = ("external_url", "checksum", "session_key", "key_id")
METADATA = ("link", "comment")
NEW_BUNDLE = {
    "id": None, "key_id": None, "session_key": None, "link": None, "comment": None,
    "storage_provider": "external", "min_update_version": None, "native_packages": None, "manifest_count": 0,
    "cli_version": None, "owner_org": None, "user_id": None, "created_at": None, "updated_at": None,
}


def undated(bundles):
    """The bundles whose ``created_at`` is not a time (they cannot be ordered)."""
    return [b for b in bundles if parse_time(b.get("created_at")) is None]


def newest_first(bundles):
    """Bundles sorted by creation time, newest first (ties: the higher id is newer).

    A bundle whose ``created_at`` is not a time raises ValueError: its age is unknown, and
    guessing it (as the oldest, say) could make a cleanup delete it.
    """
    def key(bundle):
        stamp = parse_time(bundle.get("created_at"))
        if stamp is None:
            raise ValueError("bundle %s has no readable creation time (created_at %r)"
                             % (bundle.get("name"), bundle.get("created_at")))
        ident = bundle.get("id")
        return (stamp, ident if isinstance(ident, int) else 0)
    return sorted(bundles, key=key, reverse=True)


def in_major(bundles, major):
    return [b for b in bundles if major is None or major_of(b.get("name")) == major]


def major_of(name):
    match = SEMVER_RE.match(name or "")
    return int(match.group(1)) if match else None


def select_cleanup(bundles, keep, in_use, major=None):
    """Split ``bundles`` into (kept, deleted) as the Capgo CLI's ``bundle cleanup`` does.

    ``bundles`` are API rows (``id``, ``name``, ``created_at``), ``in_use`` the ids of the
    bundles a channel serves. Within ``major`` (when not None), the bundles are walked newest
    first; a bundle is kept while fewer than ``keep`` were kept, and always when a channel
    serves it; every kept bundle counts toward ``keep``. Both lists are newest first.
    """
    kept = []
    deleted = []
    for bundle in newest_first(in_major(bundles, major)):
        if len(kept) < keep or bundle.get("id") in in_use:
            kept.append(bundle)
        else:
            deleted.append(bundle)
    return kept, deleted


class Bundle(CapgoResource):
    resource_key = "bundle"
    managed = IMMUTABLE + METADATA
    secret_fields = ("session_key",)
    create_required = ("external_url", "checksum")
    create_defaults = NEW_BUNDLE

    def __init__(self):
        super(Bundle, self).__init__(
            argument_spec=dict(
                app_id=dict(type="str", required=True),
                version=dict(type="str", aliases=["name"]),
                state=dict(type="str", default="present", choices=["present", "absent"]),
                external_url=dict(type="str"),
                checksum=dict(type="str"),
                session_key=dict(type="str", no_log=True),
                key_id=dict(type="str", no_log=False),
                link=dict(type="str"),
                comment=dict(type="str"),
                keep=dict(type="int", no_log=False),
                major=dict(type="int"),
            ),
            mutually_exclusive=[("version", "keep")],
            required_if=[("state", "present", ("version",)), ("state", "absent", ("version", "keep"), True)],
            required_by={"major": "keep"},
        )
        self.app_id = self.params["app_id"]
        self.name = self.params["version"]
        self.result["deleted"] = []
        self._channels = None
        self._has_session_key_field = True

    def describe(self):
        return "bundle %s of app %s" % (self.name, self.app_id)

    # -- input -----------------------------------------------------------

    def validate(self):
        if self.name is not None and not self.name.strip():
            self.fail("version must not be empty")
        if self.params["state"] == "present" and not SEMVER_RE.match(self.name):
            self.fail("version %s is not a semantic version (for example 1.4.2 or 2.0.0-beta.1, without a "
                      "leading v): Capgo registers only those" % self.name)
        url = self.params.get("external_url")
        if url is not None and not url.startswith("https://"):
            self.fail("external_url must be an https:// URL (Capgo refuses other protocols), got %s" % url)
        keep = self.params.get("keep")
        if keep is not None and self.params["state"] != "absent":
            self.fail("keep is only used with state=absent (it deletes old bundles)")
        if keep is not None and keep < 0:
            self.fail("keep must be 0 or more, got %d" % keep)
        major = self.params.get("major")
        if major is not None and major < 0:
            self.fail("major must be 0 or more, got %d" % major)

    def desired(self):
        desired = super(Bundle, self).desired()
        if not self._has_session_key_field:
            desired.pop("session_key", None)  # not readable here: cannot be compared
        return desired

    def values_equal(self, key, current, wanted):
        if key in METADATA:
            return (current or "") == (wanted or "")
        return super(Bundle, self).values_equal(key, current, wanted)

    # -- reading ---------------------------------------------------------

    def explain(self, err):
        code = err.error
        if code == "invalid_app_id":
            return "app_id %s is not a valid reverse-domain app id" % self.app_id
        if code == "cannot_access_app":
            return ("app %s does not exist, or this API key may not read it (Capgo answers cannot_access_app "
                    "for both; reading bundles and channels needs app.read_bundles and app.read_channels)"
                    % self.app_id)
        if code == "cannot_get_bundle":
            return ("cannot list the bundles of app %s: the app does not exist or this API key may not read its "
                    "bundles (needs app.read_bundles)" % self.app_id)
        if code == "cannot_create_bundle":
            error = "%s" % (err.more_info.get("supabaseError") or "")
            if "app_versions_name_app_id_key" in error or "duplicate key" in error:
                return ("bundle name %s of app %s belongs to a deleted bundle: Capgo keeps the names of deleted "
                        "bundles reserved forever, so it cannot be registered again; use a new version"
                        % (self.name, self.app_id))
            return ("Capgo refused to register bundle %s of app %s: either the name belongs to a deleted bundle "
                    "(Capgo keeps the names of deleted bundles reserved forever; use a new version), or this API "
                    "key may not upload bundles to the app (needs app.upload_bundle)" % (self.name, self.app_id))
        if code == "version_already_exists":
            return ("bundle %s of app %s was registered by someone else while this task ran; run it again to "
                    "compare" % (self.name, self.app_id))
        if code == "invalid_version_format":
            return "version %s is not a semantic version (for example 1.4.2, without a leading v)" % self.name
        if code == "invalid_protocol":
            return "external_url must be an https:// URL"
        if code == "encryption_required":
            return ("the organization of app %s requires encrypted bundles: set session_key (and key_id) from "
                    "the Capgo CLI's encrypt command" % self.app_id)
        if code == "encryption_key_required":
            return "the organization of app %s requires bundles encrypted with its key: set key_id" % self.app_id
        if code == "encryption_key_mismatch":
            return ("the organization of app %s requires bundles encrypted with another key than key_id"
                    % self.app_id)
        if code == "cannot_update_bundle_metadata":
            return ("this API key may not change the link or comment of bundles of app %s (needs "
                    "app.upload_bundle)" % self.app_id)
        if code in ("cannot_delete_bundle", "cannot_delete_all_version"):
            return ("this API key may not delete bundles of app %s (needs bundle.delete: the app_admin or "
                    "org_super_admin role; org_admin and keys migrated from the write mode do not have it)"
                    % self.app_id)
        if code == "cannot_delete_linked_version":
            return "a channel started serving the bundle while this task ran; point it at another bundle first"
        return super(Bundle, self).explain(err)

    def list_bundles(self, stop_at=None):
        """Every live bundle of the app (API rows), or up to the one named ``stop_at``."""
        out = []
        for row in self.client.iter_pages("/bundle", params={"app_id": self.app_id},
                                          empty_errors=("cannot_get_bundle",)):
            out.append(row)
            if stop_at is not None and row.get("name") == stop_at:
                break
        if not out:
            # An empty list, an unknown app and a forbidden one look the same: the channel list
            # fails with cannot_access_app for the last two.
            self.channels()
        return out

    def channels(self):
        """The app's channels (API objects), read once."""
        if self._channels is None:
            self._channels = list(self.client.iter_pages("/channel", params={"app_id": self.app_id}))
        return self._channels

    def usage(self):
        """{bundle id: ["channel (as bundle)", ...]} of the bundles the app's channels serve."""
        used = {}
        for channel in self.channels():
            name = channel.get("name")
            served, rollout_id = channel_bundle_ids(channel)
            if served is not None:
                used.setdefault(served, []).append(name)
            if rollout_id is not None:
                used.setdefault(rollout_id, []).append("%s (rollout)" % name)
        return used

    def find(self, name):
        for row in self.list_bundles(stop_at=name):
            if row.get("name") == name:
                return row
        return None

    def read(self):
        row = self.find(self.name)
        if row is None:
            return None
        self._has_session_key_field = "session_key" in row
        return bundle_from_api(row)

    # -- present ---------------------------------------------------------

    def check_update(self, before, changes):
        differ = [key for key in IMMUTABLE if key in changes]
        if not differ:
            return
        shown = []
        for key in differ:
            if key in self.secret_fields:
                shown.append("%s differs" % key)
            else:
                shown.append("%s is %s, not %s" % (key, before.get(key), changes[key]))
        self.fail("%s already exists and bundles are immutable: %s. Register the new build under a new version "
                  "(deleted names stay reserved too)" % (self.describe(), "; ".join(shown)))

    def predict_create(self, desired):
        after = super(Bundle, self).predict_create(desired)
        after.update({"app_id": self.app_id, "version": self.name, "encrypted": bool(after.get("session_key"))})
        return after

    def metadata_body(self, bundle_id, changes):
        body = {"app_id": self.app_id, "version_id": bundle_id}
        for key in METADATA:
            if key in changes:
                body[key] = changes[key] or ""
        return body

    def create(self, desired):
        body = {"app_id": self.app_id, "version": self.name}
        for key in IMMUTABLE:
            if desired.get(key) is not None:
                body[key] = desired[key]
        answer = self.write("POST", "/bundle", body=body)
        row = (answer or {}).get("bundle") if isinstance(answer, dict) else None
        if not isinstance(row, dict) or row.get("id") is None:
            row = self.find(self.name)
            if row is None:
                self.fail("%s was registered but cannot be read back" % self.describe())
        after = bundle_from_api(row)
        meta = dict((key, desired[key]) for key in METADATA if desired.get(key))
        if meta:
            self.write("POST", "/bundle/metadata", body=self.metadata_body(after["id"], meta), idempotent=True)
            after.update(meta)
        return after

    def update(self, before, changes):
        self.write("POST", "/bundle/metadata", body=self.metadata_body(before["id"], changes), idempotent=True)
        after = self.find(self.name)
        if after is None:
            self.fail("%s was updated but cannot be read back" % self.describe())
        return bundle_from_api(after)

    # -- absent ----------------------------------------------------------

    def refuse_if_served(self, bundle_id, name):
        users = self.usage().get(bundle_id)
        if users:
            self.fail("bundle %s of app %s is served by channel(s) %s; Capgo does not delete a bundle a channel "
                      "serves: point them at another bundle first (capgo.cloud.capgo_channel)"
                      % (name, self.app_id, ", ".join(users)))

    def delete_by_name(self, name):
        """DELETE one bundle; False when Capgo says it is already gone."""
        try:
            self.write("DELETE", "/bundle", params={"app_id": self.app_id, "version": name})
        except CapgoAPIError as err:
            if err.status == 400 and err.error == "cannot_delete_version":
                return False  # missing or already deleted (a retried DELETE that had succeeded, say)
            raise
        return True

    def absent(self, before):
        if before is None:
            return None
        self.refuse_if_served(before["id"], self.name)
        return super(Bundle, self).absent(before)

    def delete(self, before):
        if not self.delete_by_name(self.name) and self.find(self.name) is not None:
            self.fail("Capgo refused to delete %s (cannot_delete_version) although it is listed" % self.describe())

    # -- cleanup ---------------------------------------------------------

    def cleanup(self):
        keep = self.params["keep"]
        major = self.params.get("major")
        bundles = self.list_bundles()
        scope = in_major(bundles, major)
        unknown = undated(scope)
        if unknown:
            # Never guess the age of a bundle: a guess could delete it, and deletes are final.
            self.fail("cannot clean up the bundles of app %s: Capgo returned bundle(s) %s without a readable "
                      "creation time, so their age is unknown; nothing was deleted"
                      % (self.app_id, ", ".join("%s (created_at %r)" % (b.get("name"), b.get("created_at"))
                                                for b in unknown)))
        kept, doomed = select_cleanup(scope, keep, set(self.usage()))
        names = [b.get("name") for b in doomed]
        kept_names = [b.get("name") for b in kept]
        self.result["kept"] = kept_names
        self.result["changed"] = bool(names)
        if self.check_mode:
            self.result["deleted"] = names
        else:
            deleted = self.result["deleted"]  # filled as we go, so a failure reports what was deleted
            gone = []
            for name in names:
                try:
                    if self.delete_by_name(name):
                        deleted.append(name)
                    else:
                        gone.append(name)
                except CapgoAPIError as err:
                    if err.status == 400 and err.error == "cannot_delete_linked_version":
                        self.warn("Bundle %s of app %s was not deleted: a channel started serving it while this "
                                  "task ran" % (name, self.app_id))
                        kept_names.append(name)
                        continue
                    raise
            if gone:
                listed = set(b.get("name") for b in self.list_bundles())
                still = [name for name in gone if name in listed]
                if still:
                    self.fail("Capgo refused to delete bundle(s) %s of app %s (cannot_delete_version) although "
                              "they are listed" % (", ".join(still), self.app_id),
                              changed=bool(deleted), deleted=deleted, kept=kept_names)
                deleted.extend(gone)
            order = dict((b.get("name"), index) for index, b in enumerate(newest_first(scope)))
            deleted.sort(key=order.get)
            kept_names.sort(key=order.get)
            self.result["changed"] = bool(deleted)
        self.result[self.resource_key] = {}
        if self.module._diff:
            before = [b.get("name") for b in newest_first(scope)]
            gone = set(self.result["deleted"])
            self.result["diff"] = dict(before={"bundles": before},
                                       after={"bundles": [name for name in before if name not in gone]})

    # -- the run ---------------------------------------------------------

    def execute(self):
        if self.params["state"] == "absent" and self.params.get("keep") is not None:
            self.cleanup()
            return
        super(Bundle, self).execute()
        if self.params["state"] == "absent" and self.result["changed"]:
            self.result["deleted"] = [self.name]


def main():
    Bundle().run()


if __name__ == "__main__":
    main()
