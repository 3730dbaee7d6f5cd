# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bundle resource of capgo.cloud (module ``capgo_bundle``): its declaration and its special rules."""

import copy
import re

from ansible_collections.capgo.cloud.plugins.module_utils import _upload
from ansible_collections.capgo.cloud.plugins.module_utils._native import NativeError, read_project
from ansible_collections.capgo.cloud.plugins.module_utils._engine import (
    AppResource,
    Field,
    Option,
    Resource,
    argument_spec_of,
    create_defaults_of,
    exported_of,
    from_api,
    managed_of,
    state_option,
)
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError
from ansible_collections.capgo.cloud.plugins.module_utils._channel import channel_bundle_ids, list_channels
from ansible_collections.capgo.cloud.plugins.module_utils._time import parse_time

SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
# The bundle's managed options, each once: its content, fixed once registered (``session_key``, a
# secret, is in a row only from the APIs that send it, and never exported), and its metadata.
SESSION_KEY = Option("session_key", dict(type="str", no_log=True), new=None, export=False)
IMMUTABLE_OPTIONS = (
    Option("external_url", dict(type="str")),
    Option("checksum", dict(type="str")),
    SESSION_KEY,
    Option("key_id", dict(type="str", no_log=False), new=None),
)
METADATA_OPTIONS = (
    Option("link", dict(type="str"), new=None),
    Option("comment", dict(type="str"), new=None),
)
BUNDLE_OPTIONS = IMMUTABLE_OPTIONS + METADATA_OPTIONS
IMMUTABLE = managed_of(IMMUTABLE_OPTIONS)
METADATA = managed_of(METADATA_OPTIONS)
NEW_BUNDLE = dict(
    create_defaults_of(BUNDLE_OPTIONS), id=None, storage_provider="external", min_update_version=None,
    native_packages=None, manifest_count=0, cli_version=None, owner_org=None, user_id=None, created_at=None,
    updated_at=None)
DELETE_REFUSED = ("this API key may not delete bundles of app {app_id} (needs bundle.delete: the app_admin or "
                  "org_super_admin role; org_admin and keys migrated from the write mode do not have it)")

# A bundle row, returned as it is (snake_case on the wire already) but ``name`` as ``version``.
BUNDLE_FIELDS = (Field("id"), Field("app_id")) + tuple(o for o in BUNDLE_OPTIONS if o is not SESSION_KEY) + tuple(
    Field(key) for key in ("storage_provider", "min_update_version", "native_packages", "manifest_count",
                           "cli_version", "owner_org", "user_id", "created_at", "updated_at")) + (
    Field("version", "name"),)


def bundle_from_api(data):
    """A bundle row (``name`` as ``version``; ``session_key`` is a secret the caller handles).

    ``session_key`` is in the state only when the row has the field (older APIs do not send
    it: then it cannot be compared).
    """
    state = from_api(BUNDLE_FIELDS, data)
    if "session_key" in data:
        state["session_key"] = data["session_key"]
    state["encrypted"] = bool(data.get("session_key"))
    return state


def list_bundle_rows(client, app_id, page_size=None):
    """Every live bundle of app ``app_id`` (API rows, newest first), all pages.

    GET /bundle answers 400 cannot_get_bundle for an empty page: no (more) bundles.
    """
    kwargs = {"page_size": page_size} if page_size else {}
    return client.iter_pages("/bundle", params={"app_id": app_id}, empty_errors=("cannot_get_bundle",), **kwargs)


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


class Bundle(AppResource, Resource):
    resource_key = "bundle"
    kind = "bundles"
    identity_options = ("app_id", "version")
    errors = dict(AppResource.errors, **{
        "cannot_access_app": "app {app_id} does not exist, or this API key may not read it (Capgo answers "
                             "cannot_access_app for both; reading bundles and channels needs app.read_bundles and "
                             "app.read_channels)",
        "cannot_get_bundle": "cannot list the bundles of app {app_id}: the app does not exist or this API key may "
                             "not read its bundles (needs app.read_bundles)",
        "version_already_exists": "bundle {version} of app {app_id} was registered by someone else while this task "
                                  "ran; run it again to compare",
        "invalid_version_format": "version {version} is not a semantic version (for example 1.4.2, without a "
                                  "leading v)",
        "invalid_protocol": "external_url must be an https:// URL",
        "encryption_required": "the organization of app {app_id} requires encrypted bundles: set session_key (and "
                               "key_id) from the Capgo CLI's encrypt command",
        "encryption_key_required": "the organization of app {app_id} requires bundles encrypted with its key: set "
                                   "key_id",
        "encryption_key_mismatch": "the organization of app {app_id} requires bundles encrypted with another key "
                                   "than key_id",
        "cannot_update_bundle_metadata": "this API key may not change the link or comment of bundles of app "
                                         "{app_id} (needs app.upload_bundle)",
        "cannot_delete_bundle": DELETE_REFUSED,
        "cannot_delete_all_version": DELETE_REFUSED,
        "cannot_delete_linked_version": "a channel started serving the bundle while this task ran; point it at "
                                        "another bundle first",
    })
    managed = managed_of(BUNDLE_OPTIONS)
    export_options = exported_of(BUNDLE_OPTIONS)
    secret_fields = ("session_key",)
    create_required = ("external_url", "checksum")
    create_defaults = NEW_BUNDLE

    argument_spec = dict(
        app_id=dict(type="str", required=True),
        version=dict(type="str", aliases=["name"]),
        state=state_option(),
        **argument_spec_of(BUNDLE_OPTIONS),
        # Behaviour, not managed fields: the cleanup (keep, major), the hosted upload (src ... code_check;
        # min_update_version is written on its version row, compared by hosted_existing), native (project).
        keep=dict(type="int", no_log=False),
        major=dict(type="int"),
        src=dict(type="path"),
        encryption_key=dict(type="path", no_log=False, env=["CAPGO_ENCRYPTION_KEY"]),
        encryption_key_content=dict(type="str", no_log=True),
        code_check=dict(type="bool", default=True),
        min_update_version=dict(type="str"),
        project=dict(type="path"),
    )
    module_kwargs = dict(
        mutually_exclusive=[("version", "keep"), ("src", "external_url"), ("src", "checksum"), ("src", "session_key"),
                            ("src", "key_id"), ("encryption_key", "encryption_key_content")],
        required_if=[("state", "present", ("version",)), ("state", "absent", ("version", "keep"), True)],
        required_by={"major": "keep"},
    )

    def setup(self):
        self.app_id = self.params["app_id"]
        self.name = self.params["version"]
        self.result["deleted"] = []
        self._channels = None
        self.local = None  # the hosted bundle on disk (src), made by validate()
        # The bundle's native packages (a list), stored on the version row of a hosted upload.
        self.native_packages = None

    def describe(self):
        return "bundle %s of app %s" % (self.name, self.app_id)

    # -- input -----------------------------------------------------------

    def validate(self):
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
        if self.name is not None and not self.name.strip():
            self.fail("version must not be empty")
        if self.params["state"] == "present" and not SEMVER_RE.match(self.name):
            self.fail("version %s is not a semantic version (for example 1.4.2 or 2.0.0-beta.1, without a "
                      "leading v): Capgo registers only those" % self.name)
        self.validate_hosted()

    def desired(self):
        desired = super().desired()
        if self.before is not None and "session_key" not in self.before:
            desired.pop("session_key", None)  # not readable here: cannot be compared
        return desired

    def values_equal(self, key, current, wanted):
        if key in METADATA:
            return (current or "") == (wanted or "")
        return super().values_equal(key, current, wanted)

    # -- reading ---------------------------------------------------------

    def explain(self, err):
        if err.error == "cannot_create_bundle":
            error = "%s" % (err.more_info.get("supabaseError") or "")
            if "app_versions_name_app_id_key" in error or "duplicate key" in error:
                return ("bundle name %s of app %s belongs to a deleted bundle: Capgo keeps the names of deleted "
                        "bundles reserved forever, so it cannot be registered again; use a new version"
                        % (self.name, self.app_id))
            return ("Capgo refused to register bundle %s of app %s: either the name belongs to a deleted bundle "
                    "(Capgo keeps the names of deleted bundles reserved forever; use a new version), or this API "
                    "key may not upload bundles to the app (needs app.upload_bundle)" % (self.name, self.app_id))
        return super().explain(err)

    def list_bundles(self, stop_at=None):
        """Every live bundle of the app (API rows), or up to the one named ``stop_at``."""
        out = []
        for row in list_bundle_rows(self.client, self.app_id):
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
            self._channels = list(list_channels(self.client, self.app_id))
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
        return None if row is None else bundle_from_api(row)

    @classmethod
    def list_all(cls, op, scope):
        """Every live bundle of app ``scope["app_id"]``: GET /bundle, all pages (the rows ``read()`` finds).

        No bundle: one GET /channel tells an empty app from an unknown or forbidden one (it
        fails with cannot_access_app), as ``read()`` does.
        """
        rows = list(list_bundle_rows(op.client, scope["app_id"]))
        if not rows:
            list(list_channels(op.client, scope["app_id"]))
        return [bundle_from_api(row) for row in rows]

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
        after = super().predict_create(desired)
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
        meta = {key: desired[key] for key in METADATA if desired.get(key)}
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

    def check_not_served(self, bundle_id, name):
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
        self.check_not_served(before["id"], self.name)
        return super().absent(before)

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
        # In an environment, the bundles its declared channels serve count as served even before
        # (or, in check mode, without) the channels being written.
        in_use = set(self.usage()) | set(b.get("id") for b in scope if b.get("name") in self.in_use_names)
        kept, doomed = select_cleanup(scope, keep, in_use)
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
            order = {b.get("name"): index for index, b in enumerate(newest_first(scope))}
            deleted.sort(key=order.get)
            kept_names.sort(key=order.get)
            self.result["changed"] = bool(deleted)
        self.result[self.resource_key] = {}
        if self.engine.diff:
            before = [b.get("name") for b in newest_first(scope)]
            gone = set(self.result["deleted"])
            self.result["diff"] = dict(before={"bundles": before},
                                       after={"bundles": [name for name in before if name not in gone]})

    # -- hosted bundles (src) ----------------------------------------------

    @classmethod
    def missing_libraries(cls, params):
        """[(library, import error)] the options need and the host lacks (the adapter reports them)."""
        if params.get("src") and params.get("state", "present") == "present" and (
                params.get("encryption_key") or params.get("encryption_key_content")):
            try:
                _upload.import_cryptography()
            except ImportError as exc:
                return [("cryptography", "%s" % exc)]
        return []

    def bundle_key(self):
        """The encryption key of the options (a ``BundleKey``), or None; fails on an unusable key."""
        content = self.params.get("encryption_key_content")
        path = self.params.get("encryption_key")
        where = "encryption_key_content"
        if not content and path:
            where = "encryption_key %s" % path
            try:
                with open(path, "rb") as stream:
                    content = stream.read()
            except (IOError, OSError) as exc:
                self.fail("%s cannot be read: %s" % (where, exc.strerror or exc))
        if not content:
            return None
        try:
            return _upload.BundleKey(content)
        except ImportError as exc:  # the module's adapter reports this first; an environment item lands here
            self.fail("encrypting a bundle needs the Python library cryptography on the host that runs the module "
                      "(%s)" % exc)
        except ValueError as exc:
            self.fail("%s is not usable for Capgo's encryption v2: %s" % (where, exc))

    def validate_hosted(self):
        """src: the bundle is checked before any request (zipped and hashed when a step needs its checksum)."""
        src = self.params.get("src")
        if src is None or self.params["state"] != "present":
            for name in ("encryption_key_content", "min_update_version", "project"):
                if self.params.get(name) is not None and self.params["state"] == "present":
                    self.fail("%s is only used with src (a bundle hosted by Capgo)" % name)
            return
        problem = _upload.source_problem(src)
        if problem:
            self.fail(problem)
        if self.params.get("project") is not None:
            try:
                self.native_packages = read_project(self.params["project"])
            except NativeError as exc:
                self.fail("%s" % exc)
        key = self.bundle_key()
        try:
            self.local = _upload.LocalBundle(src, code_check=self.params.get("code_check", True), key=key)
        except _upload.ContentError as exc:
            self.fail("%s" % exc)
        except (IOError, OSError) as exc:
            self.fail("cannot zip src %s: %s" % (src, exc))

    def run(self):
        try:
            return super().run()
        finally:
            if self.local is not None:
                self.local.close()

    def count_write(self):
        if self.check_mode:
            raise AssertionError("upload request attempted in check mode")
        self.writes_done += 1

    def present(self, before):
        if self.local is None:
            return super().present(before)
        try:
            return self.present_hosted(before)
        except _upload.ContentError as exc:  # the files changed or vanished after the checks
            self.fail("%s" % exc)

    def hosted_view(self, state):
        state = dict(state)
        state["size"] = self.local.size
        return state

    def present_hosted(self, before):
        local = self.local
        up = _upload.HostedUpload(self.client, self.app_id, self.name, on_write=self.count_write)
        if before is not None and before.get("storage_provider") != "r2-direct":
            return self.hosted_existing(up, before)
        self.result["changed"] = True
        if self.check_mode and self.known_absent:
            # its app is only predicted (capgo_environment's plan): no upload config or policy to read yet
            self.prediction = self.hosted_prediction(before)
            return self.prediction
        up.configure(user=not self.check_mode)
        self.check_policy(up)
        if before is None and not self.check_mode:
            local.prepare_upload()  # a new version: zipped (and hashed) once, with no look into the cache first
        self.prediction = self.hosted_prediction(before)
        if self.check_mode:
            return self.prediction
        if before is not None:  # a row left by an interrupted upload
            row = self.find(self.name) or {}
            if row.get("storage_provider") == "r2-direct":
                if row.get("r2_path") and local.same_content(row.get("checksum")):
                    # uploaded, only the last step was lost: finish it
                    up.set_row({"storage_provider": "r2"}, "finalize")
                    return self.hosted_read_back()
                failed = up.delete_failed()
                if failed is not None:
                    raise failed
        path = local.prepare_upload()
        if local.size > up.max_upload_length:
            self.fail("bundle %s of app %s is %d bytes, more than the %d Capgo accepts"
                      % (self.name, self.app_id, local.size, up.max_upload_length))
        row = dict(checksum=local.stored_checksum, session_key=local.session_key, key_id=local.key_id,
                   storage_provider="r2-direct", min_update_version=self.params.get("min_update_version"),
                   link=self.params.get("link"), comment=self.params.get("comment"))
        if self.native_packages is not None:
            row["native_packages"] = self.native_packages
        up.version_row(row)
        try:
            up.tus_upload(path, local.size)
        except _upload.UploadError:
            up.delete_failed()  # as the CLI does; a failure to clean is left for the next run
            raise
        up.set_row({"r2_path": up.r2_path}, "finalize")
        up.version_row(dict(row, storage_provider="r2"), step="finalize")
        return self.hosted_read_back()

    def hosted_read_back(self):
        row = self.find(self.name)
        if row is None:
            self.fail("%s was uploaded but cannot be read back" % self.describe())
        return self.hosted_view(bundle_from_api(row))

    def hosted_prediction(self, before):
        local = self.local
        after = copy.deepcopy(NEW_BUNDLE)
        after.update(app_id=self.app_id, version=self.name, external_url=None, checksum=local.stored_checksum,
                     key_id=local.key_id, encrypted=local.key is not None, storage_provider="r2",
                     link=self.params.get("link"), comment=self.params.get("comment"),
                     min_update_version=self.params.get("min_update_version"), native_packages=self.native_packages)
        if local.key is not None:
            after["session_key"] = "(new)"
        return self.hosted_view(after)

    def check_policy(self, up):
        """An organization that enforces encrypted bundles: refuse a plain one (or another key) before any write."""
        policy = up.org_policy()
        if not policy or not policy.get("enforce_encrypted_bundles"):
            return
        if self.local.key is None:
            self.fail("the organization of app %s requires encrypted bundles: set encryption_key (the CLI's "
                      ".capgo_key_v2) or encryption_key_content; nothing was uploaded" % self.app_id)
        required = policy.get("required_encryption_key")
        if required and not ("%s" % required).startswith(self.local.key_id[:20]):
            self.fail("the organization of app %s requires bundles encrypted with the key %s, not %s; nothing was "
                      "uploaded" % (self.app_id, required, self.local.key_id))

    def hosted_existing(self, up, before):
        """A ready (or external) bundle under this version: same content → converged, else a failure."""
        local = self.local
        if before.get("storage_provider") == "external" or before.get("external_url"):
            self.fail("bundle %s of app %s already exists as an external bundle (%s); Capgo never replaces a "
                      "bundle's content: release the build under a new version"
                      % (self.name, self.app_id, before.get("external_url")))
        stored = before.get("checksum")
        if not local.same_content(stored):
            if before.get("encrypted") and local.key is None:
                self.fail("bundle %s of app %s already exists, encrypted (checksum %s); give its encryption_key to "
                          "compare it with src (checksum %s)" % (self.name, self.app_id, stored, local.checksum))
            self.fail("bundle %s of app %s already exists with other content: checksum %s in Capgo, %s from src. "
                      "Capgo never replaces a bundle's content: release it under a new version"
                      % (self.name, self.app_id, stored, local.checksum))
        if bool(before.get("encrypted")) != (local.key is not None):
            self.fail("bundle %s of app %s already exists %s; Capgo never replaces a bundle's content: release "
                      "it under a new version" % (self.name, self.app_id,
                                                  "encrypted" if before.get("encrypted") else "unencrypted"))
        if self.native_packages is not None and before.get("native_packages") != self.native_packages:
            # the row's content is locked once ready: say so, never rewrite it
            self.warn("bundle %s of app %s was uploaded with another record of native packages than project %s "
                      "has now (%s); Capgo keeps the recorded one" % (
                          self.name, self.app_id, self.params["project"],
                          "none" if before.get("native_packages") is None else "%d package(s)"
                          % len(before["native_packages"])))
        changes = {}
        for key in METADATA + ("min_update_version",):
            wanted = self.params.get(key)
            if wanted is not None and (before.get(key) or "") != wanted:
                changes[key] = wanted
        self.planned = changes
        if not changes:
            return self.hosted_view(before)
        self.result["changed"] = True
        self.prediction = self.hosted_view(self.merge(before, changes))
        if self.check_mode:
            return self.prediction
        meta = {k: v for k, v in changes.items() if k in METADATA}
        if meta:
            self.write("POST", "/bundle/metadata", body=self.metadata_body(before["id"], meta), idempotent=True)
        if "min_update_version" in changes:
            up.configure()
            up.set_row({"min_update_version": changes["min_update_version"]}, "version row")
        return self.hosted_read_back()

    # -- the run ---------------------------------------------------------

    @classmethod
    def operation_for(cls, params):
        """``keep`` (with ``state: absent``) is the cleanup of old bundles, an operation of its own."""
        if params.get("state") == "absent" and params.get("keep") is not None:
            return BundleCleanup
        return cls

    def execute(self):
        super().execute()
        if self.params["state"] == "absent" and self.result["changed"]:
            self.result["deleted"] = [self.name]


class BundleCleanup(Bundle):
    """``keep``: delete the bundles of an app but the newest ``keep`` (and those served), not one resource.

    ``in_use_names`` are bundle names to keep as served (in an environment: those its declared
    channels serve, before or without the channels being written).
    """

    def setup(self):
        super().setup()
        self.in_use_names = set()

    @classmethod
    def item_id(cls, params):
        return "%s/keep" % params.get("app_id")

    def execute(self):
        self.cleanup()

    def changes(self, item_id, result):
        """One delete per bundle deleted (predicted in check mode), also when the cleanup failed."""
        return [{"kind": self.kind, "id": "%s/%s" % (self.app_id, name), "action": "delete",
                 "before": {"version": name}, "after": {}} for name in result.get("deleted") or ()]

    def environment_view(self):
        return {}
