#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: capgo_device
short_description: Point a device of a Capgo app at a private channel
version_added: 0.1.0
description:
  - Set or remove the channel override of one device of a Capgo app. A device with an
    override gets its updates from that channel instead of the app's public channel, which
    is how test devices are pointed at a preview or QA channel.
  - The module reads the device first and writes only when its override differs. A converged
    run sends a single GET and no POST, which also keeps clear of Capgo's rule that the same
    override may be set only once per 60 seconds.
  - The target channel must exist and be private (C(public=false)). The module checks this
    before any write and fails with a message naming the rule.
  - B(There is no per-device bundle.) Older Capgo documentation shows a C(version_id) field to
    pin a device to one bundle; Capgo rejects it (C(invalid_version_id)). To give a device a
    particular bundle, create a private channel serving that bundle with
    M(capgo.cloud.capgo_channel) and point the device at it with this module.
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
  device_id:
    description:
      - Id of the device, as the Capgo updater plugin reports it (usually a UUID).
      - Capgo stores device ids in lower case; the module lower-cases it too.
    type: str
    required: true
  channel:
    description:
      - Name of the private channel the device is pointed at.
      - Required with O(state=present).
      - The channel must exist in the app and must not be public; checked before any write
        (also in check mode).
      - Ignored with O(state=absent), which removes the device's override whatever channel it
        points to.
    type: str
  state:
    description:
      - V(present) sets the override to O(channel); V(absent) removes the device's override,
        so it follows the app's public channel again.
      - The device itself is never deleted (Capgo keeps devices that contacted it).
    type: str
    choices: [present, absent]
    default: present
  refresh:
    description:
      - Write the override again even when it is already set. Capgo lets an override expire
        90 days after it was written; writing it again restarts that period.
      - The run then reports a change and says in RV(msg) that the expiry restarted.
      - Capgo accepts the same override for a device only once per 60 seconds; a second
        refresh within that window waits for the time Capgo asks (see O(retries)).
    type: bool
    default: false
  version_id:
    description:
      - B(Not supported by Capgo.) Accepted only so that a playbook written from the older
        Capgo documentation fails with an explanation instead of an unknown-option error.
      - Setting it fails before any request. Use a private channel serving the bundle instead
        (see the description).
    type: raw
notes:
  - B(Devices that never contacted Capgo.) Capgo knows a device only after its updater plugin
    has contacted Capgo once. An override can be set before that (for example for a test phone
    that is being prepared), but Capgo cannot report it back (C(GET /device) answers 404
    C(device_not_found)). For such a device the module writes the override (or, with
    O(state=absent), removes it), reports RV(ignore:changed=true) on every run because the
    current override cannot be known, warns that the state could not be verified, and returns
    RV(device.seen=false).
  - B(Rate limits.) Capgo allows 5 requests per second per device and operation and the same
    override once per 60 seconds. A 429 answer is retried after the C(Retry-After) time Capgo
    sends when that wait fits the module's retry budget (O(retries) attempts and at most 90
    seconds of waiting in total); otherwise the module fails with a message that says after how
    many seconds, and at what time, to try again.
  - Needs an API key with C(app.read_devices) and C(app.read_channels) on the app, and
    C(channel.manage_forced_devices) on the target channel to set an override, or
    C(app.manage_devices) to remove one (roles C(app_developer), C(app_admin), C(org_admin),
    C(org_super_admin), C(channel_developer) together with a reading role, ...).
  - Capgo answers C(cannot_access_app) both for an app that does not exist and for one the key
    may not use; the error message says so.
seealso:
  - module: capgo.cloud.capgo_channel
  - module: capgo.cloud.capgo_info
"""

EXAMPLES = r"""
- name: Create a private QA channel serving the release candidate
  capgo.cloud.capgo_channel:
    app_id: com.example.app
    channel: qa
    bundle: 1.5.0-rc.1
    public: false

- name: Point the QA team's phones at it
  capgo.cloud.capgo_device:
    app_id: com.example.app
    device_id: "{{ item }}"
    channel: qa
  loop:
    - 2f1b3c0e-8d4a-4e57-9c61-0a2b3c4d5e6f
    - 7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d

- name: Keep an override alive (restarts its 90-day expiry)
  capgo.cloud.capgo_device:
    app_id: com.example.app
    device_id: 2f1b3c0e-8d4a-4e57-9c61-0a2b3c4d5e6f
    channel: qa
    refresh: true
  register: refreshed

- name: Send a device back to the public channel
  capgo.cloud.capgo_device:
    app_id: com.example.app
    device_id: 7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d
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
device:
  description:
    - The device after the run (in check mode, the predicted device).
    - Empty after O(state=absent), whether an override was removed or there was none. The
      resource this module manages is the device's override, and like every resource module
      it returns an empty dict once the resource is gone (the device itself is not deleted).
    - For a device that never contacted Capgo only RV(device.app_id), RV(device.device_id),
      RV(device.channel) and RV(device.seen) are returned, and RV(device.channel) is what the
      module wrote, not what Capgo reported.
  returned: always
  type: dict
  contains:
    app_id:
      description: Reverse-domain id of the app.
      type: str
      sample: com.example.app
    device_id:
      description: Id of the device (lower case).
      type: str
      sample: 2f1b3c0e-8d4a-4e57-9c61-0a2b3c4d5e6f
    channel:
      description: Name of the channel the device is overridden to, or null when it has no override.
      type: str
      sample: qa
    seen:
      description:
        - Whether Capgo knows the device (it has contacted Capgo at least once).
        - When false, the override could not be read back and RV(device.channel) is not verified.
      type: bool
      sample: true
    custom_id:
      description: Custom id the app set for the device, or an empty string.
      type: str
      returned: when seen
    platform:
      description: V(ios), V(android) or V(electron).
      type: str
      returned: when seen
      sample: ios
    version_name:
      description: Name of the bundle the device runs now, as the device reported it.
      type: str
      returned: when seen
      sample: 1.4.2
    bundle_id:
      description: Numeric id of that bundle, or null when Capgo cannot resolve it.
      type: int
      returned: when seen
    version_build:
      description: Native build version of the app on the device.
      type: str
      returned: when seen
    plugin_version:
      description: Version of the Capgo updater plugin on the device.
      type: str
      returned: when seen
      sample: 6.0.0
    os_version:
      description: Operating system version of the device.
      type: str
      returned: when seen
    is_prod:
      description: Whether the device runs a production build.
      type: bool
      returned: when seen
    is_emulator:
      description: Whether the device is an emulator or simulator.
      type: bool
      returned: when seen
    install_source:
      description: Where the app was installed from, when Capgo knows it.
      type: str
      returned: when seen
    key_id:
      description: Id of the encryption key of the bundle the device runs, when encrypted.
      type: str
      returned: when seen
    country_code:
      description: Country of the device's last contact, when Capgo knows it.
      type: str
      returned: when seen
    updated_at:
      description: Time of the device's last contact (ISO 8601).
      type: str
      returned: when seen
msg:
  description: With O(refresh=true), says that the override was written again (or would be,
    in check mode) and that its 90-day expiry restarted.
  returned: when an already set override was refreshed
  type: str
  sample: The override of device 2f1b... to channel qa was written again; its 90-day expiry restarted.
diff:
  description: Before and after of RV(device.channel). Empty C(before) when the device never contacted Capgo.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.capgo.cloud.plugins.module_utils._ansible import run_module
from ansible_collections.capgo.cloud.plugins.module_utils._device import Device


def main():
    run_module(Device)


if __name__ == "__main__":
    main()
