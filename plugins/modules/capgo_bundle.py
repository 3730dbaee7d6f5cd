#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: capgo_bundle
short_description: Upload, register, annotate, delete and clean up Capgo bundles
version_added: 0.1.0
description:
  - Upload a bundle to Capgo's own storage (O(src), the built web assets or a zip), or register
    an externally hosted bundle (a zip your pipeline uploaded to your own HTTPS storage) as a
    version of a Capgo app, set its C(link) and C(comment), delete one bundle, or clean up old
    bundles the way C(npx @capgo/cli bundle cleanup) does, as a declarative state.
  - With O(src) the module uploads the way C(npx @capgo/cli bundle upload) does, with no
    Node.js; the CLI's content checks, the version row, the zip through TUS (chunked, resumed
    from the server's offset after a lost chunk), then the bundle marked ready. A ready bundle
    with the same content is not a change and nothing is uploaded; other content under the
    same version fails before any write, naming both checksums. A bundle left half-uploaded
    by an interrupted run is finished or removed, then uploaded.
  - Bundles are immutable in Capgo. Registering a name that exists with the same
    O(external_url) and O(checksum) is not a change; with a different URL or checksum the
    module fails and asks for a new version name.
  - Deleting a bundle is a soft delete in Capgo, and the name of a deleted bundle stays
    reserved forever. Capgo never lists deleted bundles, so the module can only learn that a
    name is reserved from Capgo's refusal to register it; it then fails with a message that
    says so (in check mode such a run is predicted as a registration).
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
  src:
    description:
      - The bundle to host on Capgo's storage, on the host that runs the module (usually the
        controller), either a directory (the built web assets, for example C(dist/)) or a C(.zip) file.
      - A directory is zipped deterministically (entries sorted, fixed timestamps and
        permissions, no directory entries), so the same files always give the same zip and the
        same SHA-256; a C(.zip) is uploaded as it is. Files are deflated (zlib's default level,
        several files at a time) except those compressed already (images, fonts, media,
        archives, by their extension) and those deflate does not make smaller, which are stored,
        as the CLI stores them. The zip is written to a temporary file, then encrypted and
        uploaded chunk by chunk, so it is never held in memory; temporary files are removed,
        also on failure.
      - The checksum of a directory's zip is cached by the SHA-256 of the directory's names and
        bytes in C(~/.cache/capgo-cloud/zips) (C($XDG_CACHE_HOME/capgo-cloud/zips); the
        environment variable E(CAPGO_CACHE_DIR) sets the directory, empty turns the cache off),
        so a run whose bundle is already uploaded reads the files but does not zip them again.
      - Checked before any request, as the CLI does, for C(index.html) at the root and, unless
        O(code_check=false), a C(notifyAppReady) call in a C(.js) file.
      - The checksum (SHA-256 of the zip) is computed; mutually exclusive with O(external_url),
        O(checksum), O(session_key) and O(key_id).
    type: path
    version_added: 0.2.0
  encryption_key:
    description:
      - Path of the RSA private key of Capgo's end-to-end encryption v2 (the CLI's
        C(.capgo_key_v2), PEM). With O(src), the bundle is encrypted before it is uploaded, as the
        CLI does, with AES-128-CBC under a fresh key and IV, the session key and the checksum
        encrypted with this key (the checksum in the form current updaters read), and the key id.
      - A bundle that exists is compared through the key (its checksum is decrypted).
      - Needs the Python library C(cryptography) on the host that runs the module.
      - If not set, the environment variable E(CAPGO_ENCRYPTION_KEY) is used.
    type: path
    version_added: 0.2.0
  encryption_key_content:
    description:
      - The same key as text (from a vault or an AWX credential); never logged.
      - Mutually exclusive with O(encryption_key).
    type: str
    version_added: 0.2.0
  code_check:
    description:
      - With O(src), check that the bundle calls C(notifyAppReady) (without it, devices roll the
        update back). V(false) skips this check, as the CLI's C(--no-code-check) does;
        C(index.html) is always checked.
    type: bool
    default: true
    version_added: 0.2.0
  min_update_version:
    description:
      - With O(src), the oldest app version that may update to this bundle, stored on the bundle
        (channels on the C(version_number) strategy need it). Updated when it differs.
    type: str
    version_added: 0.2.0
  project:
    description:
      - With O(src), the root of the Capacitor project the bundle was built from (its
        C(package.json) and installed C(node_modules)), on the host that runs the module. Its native
        packages are read exactly as Capgo's CLI reads them (the dependencies that declare a native
        plugin and ship native sources, with their installed and requested versions and the
        SHA-256 of their iOS and Android sources and build files) and recorded on the bundle
        (RV(bundle.native_packages)), as the CLI's C(bundle upload) does, so that
        M(capgo.cloud.capgo_channel) (O(capgo.cloud.capgo_channel#module:native_compatibility)),
        M(capgo.cloud.capgo_info) and the CLI can tell whether the installed apps can run it.
      - Read before any request; a project without C(package.json) or C(node_modules), or with a
        dependency that is not installed, fails then. A project without native plugins records an
        empty list.
      - Without it, the bundle has no record (null) and nothing is compared for it. A bundle
        already uploaded keeps its record (Capgo locks it); the module warns when the project's
        differs.
    type: path
    version_added: 0.2.0
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
  - O(src) uses the protocol of Capgo's CLI, which Capgo does not document as a public API
    (C(/private/config), Supabase PostgREST for the version row, TUS on O(files_url), and
    C(delete_failed_version) to remove the row of an upload that failed). An error names the
    step that failed (C(config), C(version row), C(upload), C(finalize)) and Capgo's answer.
    Every request honours O(timeout), O(retries), O(validate_certs) and O(ca_path).
  - With O(src), an organization that enforces encrypted bundles is detected before any write
    when the key may read the organization's policy; without O(encryption_key) the module then
    fails and uploads nothing.
  - Check mode with O(src) zips and hashes the bundle (or finds its checksum in the cache), reads,
    and predicts the bundle (its checksum included) without writing to Capgo.
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
- name: Upload the built app to Capgo's storage
  capgo.cloud.capgo_bundle:
    app_id: com.example.app
    version: 1.4.2
    src: dist/
    link: https://github.com/example/app/releases/tag/v1.4.2

- name: Upload an encrypted bundle (the CLI's key)
  capgo.cloud.capgo_bundle:
    app_id: com.example.app
    version: 1.4.3
    src: build/app.zip
    encryption_key: .capgo_key_v2
    min_update_version: 1.4.0

- name: Upload a bundle with the native packages of its project (as the CLI's bundle upload)
  capgo.cloud.capgo_bundle:
    app_id: com.example.app
    version: 1.4.3
    src: app/dist/
    project: app/

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
check_mode:
  description:
    - V(true) when the task ran in check mode (nothing was written; the results are a prediction),
      from C(--check) or from the task keyword C(check_mode) (then C(ansible_check_mode) stays
      V(false)). Roles read it to tell a plan from a run.
  returned: always
  type: bool
  sample: false
  version_added: 0.2.0
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
      description: Where the zip is stored (V(r2) when hosted by Capgo, V(external) for registered bundles).
      type: str
      sample: external
    size:
      description: With O(src), the bytes of the uploaded zip (encrypted when encrypted).
      type: int
      returned: when O(src) is set
      sample: 1843220
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

from ansible_collections.capgo.cloud.plugins.module_utils._ansible import run_module
from ansible_collections.capgo.cloud.plugins.module_utils._bundle import Bundle


def main():
    run_module(Bundle)


if __name__ == "__main__":
    main()
