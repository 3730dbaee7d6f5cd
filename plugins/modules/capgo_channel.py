#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

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
  native_compatibility:
    description:
      - What to do when the channel would start serving another bundle (O(bundle), O(promote_from),
        O(rollout.bundle)) whose native packages are not compatible with those of the bundle the
        channel serves now, as Capgo's CLI (C(channel set)) judges it. The native packages are the
        C(native_packages) Capgo recorded on each bundle (the CLI's C(bundle upload) records them).
      - The CLI's rules, per native package of the new bundle - a package the served bundle does not
        have is a V(new_plugin); versions whose ranges do not intersect are a V(version_mismatch); a
        changed iOS or Android checksum of the native sources is V(ios_code_changed),
        V(android_code_changed) or V(both_platforms_changed); a checksum recorded on one side only is
        V(platform_checksum_metadata_changed). A package only the served bundle has is compatible,
        and so is a changed requested version alone (V(requested_version_changed)).
      - V(fail) refuses before any write (in check mode too), naming every incompatible package;
        V(warn) serves the bundle and warns; V(ignore) compares nothing.
      - Nothing is compared when either bundle has no record (C(native_packages) null, registered
        with an external URL, or uploaded without a project), or when the channel serves no bundle
        yet; RV(compatibility_skipped) says so. A recorded empty list means "no native plugin", so
        a bundle that adds one is a V(new_plugin).
      - A rollout promotion (O(rollout_action=promote)) is not compared again; the rollout bundle
        was compared when it became the rollout target.
    type: str
    choices: [fail, warn, ignore]
    default: fail
    version_added: 0.2.0
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

- name: Serve 2.0.0 on beta even if its native code differs (the testers install a new build)
  capgo.cloud.capgo_channel:
    app_id: com.example.app
    channel: beta
    bundle: 2.0.0
    native_compatibility: warn

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
check_mode:
  description:
    - V(true) when the task ran in check mode (nothing was written; the results are a prediction),
      from C(--check) or from the task keyword C(check_mode) (then C(ansible_check_mode) stays
      V(false)). Roles read it to tell a plan from a run.
  returned: always
  type: bool
  sample: false
  version_added: 0.2.0
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
compatibility:
  description:
    - The native packages of each bundle the channel would start serving, compared with those of
      the bundle it serves now (see O(native_compatibility)); empty when nothing was compared.
  returned: always
  type: list
  elements: dict
  version_added: 0.2.0
  contains:
    name:
      description: Name of the native package (npm).
      type: str
      sample: "@capacitor/camera"
    local_version:
      description: Its version in the new bundle, or null when only the served bundle has it.
      type: str
      sample: 6.1.0
    channel_version:
      description: Its version in the bundle the channel serves, or null when it is new.
      type: str
      sample: 6.0.1
    compatible:
      description: Whether the installed apps can run the new bundle as far as this package goes.
      type: bool
      sample: false
    reasons:
      description:
        - The CLI's words for the differences, V(new_plugin), V(version_mismatch),
          V(requested_version_changed), V(ios_code_changed), V(android_code_changed),
          V(both_platforms_changed), V(platform_checksum_metadata_changed).
      type: list
      elements: str
      sample: [version_mismatch]
    message:
      description: The CLI's details for this package.
      type: str
      sample: "version changed: 6.0.1 → 6.1.0"
    bundle:
      description: The new bundle.
      type: str
      sample: 1.5.0
    channel_bundle:
      description: The bundle the channel serves now.
      type: str
      sample: 1.4.2
compatibility_skipped:
  description: Why nothing was compared although the channel would serve another bundle.
  returned: when the channel would serve another bundle and nothing was compared
  type: str
  sample: "bundle 1.5.0 has no record of its native packages (uploaded without a project, or external): nothing to compare"
  version_added: 0.2.0
diff:
  description: Before and after, managed fields only.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.capgo.cloud.plugins.module_utils._ansible import run_module
from ansible_collections.capgo.cloud.plugins.module_utils._channel import Channel


def main():
    run_module(Channel)


if __name__ == "__main__":
    main()
