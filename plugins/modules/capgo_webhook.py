#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: capgo_webhook
short_description: Manage the webhooks of a Capgo organization
version_added: 0.1.0
description:
  - Create, update and delete the webhooks through which Capgo notifies other systems of
    changes in an organization (apps, bundles, channels, members, the organization itself).
  - A webhook is identified by its organization and its O(name). Capgo does not keep webhook
    names unique; when two webhooks of the organization share the name the module fails and
    lists their ids (pass O(id) to pick one).
  - The module reads the webhooks of the organization, compares only the options you set and
    sends only what differs. A converged run sends only GET requests and reports
    RV(ignore:changed=false).
author:
  - capgo.cloud contributors (@capgo)
extends_documentation_fragment:
  - capgo.cloud.capgo
  - capgo.cloud.capgo.ATTRIBUTES
options:
  org_id:
    description:
      - Id (UUID) of the organization the webhook belongs to.
    type: str
    required: true
  name:
    description:
      - Name of the webhook, its identity within the organization.
      - With O(id), the name the webhook gets (a rename).
    type: str
    required: true
  id:
    description:
      - Id (UUID) of the webhook. Only needed to pick one of several webhooks with the same
        name, or to rename a webhook.
      - A webhook cannot be created with a given id; when no webhook has this id, O(state=present)
        fails and O(state=absent) does nothing.
    type: str
  state:
    description:
      - V(present) creates the webhook or updates what differs; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  url:
    description:
      - The URL Capgo sends the events to. Required to create a webhook.
      - Capgo delivers only to public HTTPS endpoints. The module checks the URL before any
        request with the rules of the live service, and fails (also in check mode, so that
        check mode never predicts a change Capgo would refuse) when the scheme is not
        C(https) (plain C(http://) included); when the host is an IP address, public or
        private, IPv4 or IPv6 (including the numeric forms URL parsers read as IPv4, such as
        C(127.1)); when the host is C(localhost) or a C(*.localhost) name; or when the host
        is a name that cannot be public, a single label (C(https://hooks/x)) or a name under
        C(.local), C(.internal) or C(.localhost).
      - Capgo may still refuse a URL that passes these checks (C(invalid_url)); the module
        then fails with Capgo's answer.
    type: str
  events:
    description:
      - The events the webhook receives. Required to create a webhook; at least one.
      - Compared as a set, so the order does not matter and a different order is no change.
    type: list
    elements: str
    choices: [apps, app_versions, channels, org_users, orgs]
  enabled:
    description:
      - Whether Capgo delivers events to the webhook. Capgo enables new webhooks by default.
    type: bool
  delivery_version:
    description:
      - Payload format of the deliveries. New webhooks get V(legacy) unless set.
    type: str
    choices: [legacy, standard]
notes:
  - Capgo refuses every API key that has an app- or channel-scoped binding for all webhook
    calls, whatever its other bindings (C(no_permission), "App-scoped API keys cannot manage
    organization webhooks"). Use a key whose bindings are all organization-scoped and that
    has C(org.update_settings) on the organization (C(org_admin) or C(org_super_admin)), or a
    dashboard session token.
  - The signing secret (C(whsec_...)) of a webhook is shown by Capgo only once, in the
    answer to its creation. The module returns it in RV(webhook.secret) of the task that
    created the webhook and never again; set C(no_log) to C(true) on that task and store the
    secret, for example in a vault (see the examples).
  - Webhook calls count against the organization's API key expiration policy; a key without
    expiry is refused when the organization requires expiring keys.
seealso:
  - module: capgo.cloud.capgo_organization
  - module: capgo.cloud.capgo_info
"""

EXAMPLES = r"""
- name: Notify the release bot of new bundles and channel changes
  capgo.cloud.capgo_webhook:
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    name: release-bot
    url: https://hooks.example.com/capgo/release
    events: [app_versions, channels]
    delivery_version: standard
  register: release_hook
  no_log: true

- name: Keep the signing secret of a new webhook in a vault
  community.hashi_vault.vault_write:
    path: secret/data/capgo/release-bot
    data:
      data:
        secret: "{{ release_hook.webhook.secret }}"
  when: release_hook.webhook.secret is defined
  no_log: true

- name: Pause deliveries
  capgo.cloud.capgo_webhook:
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    name: release-bot
    enabled: false

- name: Remove the webhook
  capgo.cloud.capgo_webhook:
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    name: release-bot
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
webhook:
  description:
    - The webhook after the run (in check mode, the predicted webhook); empty after a delete.
  returned: always
  type: dict
  contains:
    id:
      description: Id (UUID) of the webhook; absent from the prediction of a creation in check mode.
      type: str
      sample: 5b0f3c52-2a4e-4a8e-9f4a-6d2f6f1f0a11
    org_id:
      description: Id of the organization.
      type: str
      sample: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    name:
      description: Name of the webhook.
      type: str
      sample: release-bot
    url:
      description: URL the events are sent to.
      type: str
      sample: https://hooks.example.com/capgo/release
    events:
      description: The events the webhook receives.
      type: list
      elements: str
      sample: [app_versions, channels]
    enabled:
      description: Whether deliveries are active.
      type: bool
      sample: true
    delivery_version:
      description: Payload format of the deliveries.
      type: str
      sample: standard
    secret:
      description:
        - The signing secret. Only in the result of the task that created the webhook
          (Capgo never shows it again); never in diffs.
      type: str
      returned: when the webhook was created by this task
      sample: whsec_0123456789abcdef
    created_at:
      description: Creation time (ISO 8601).
      type: str
    updated_at:
      description: Last change time (ISO 8601).
      type: str
    created_by:
      description: Id of the user who created the webhook.
      type: str
diff:
  description: Before and after, managed fields only (name, url, events, enabled, delivery_version).
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.capgo.cloud.plugins.module_utils._ansible import run_module
from ansible_collections.capgo.cloud.plugins.module_utils._webhook import Webhook


def main():
    run_module(Webhook)


if __name__ == "__main__":
    main()
