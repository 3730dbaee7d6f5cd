#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: capgo_environment
short_description: Converge a whole Capgo environment in one task
version_added: 0.2.0
description:
  - Declares an organization with its members, webhooks and API keys, and its apps with their
    channels, bundles, device overrides and bundle retention, and converges all of it in one
    task.
  - Every item takes the options of the matching single module (M(capgo.cloud.capgo_member),
    M(capgo.cloud.capgo_webhook), M(capgo.cloud.capgo_apikey), M(capgo.cloud.capgo_app),
    M(capgo.cloud.capgo_channel), M(capgo.cloud.capgo_bundle), M(capgo.cloud.capgo_device))
    without the ids the nesting supplies, is validated exactly as that module validates it
    (the same messages, before any request), and is converged by the same code.
  - Reads are the fewest the API allows. Each kind is listed once per scope (all pages), not
    read item by item. A converged run sends no write and reports RV(ignore:changed=false).
  - Order follows the dependencies. The organization comes first, then apps, bundles,
    channels, then devices, members and webhooks, then API keys. Removals
    (O(ignore:state=absent) items, O(purge), C(apps[].keep_bundles)) run afterwards in reverse.
    Independent writes run concurrently, at most O(parallel) at a time.
  - Check mode is a plan. Nothing is written, and RV(changes) lists what a real run would do,
    the same list the real run then reports. Items under an organization or app that check
    mode predicts to be created are predicted without reading.
  - An item that fails does not stop the items that do not depend on it. The task fails at the
    end, with one line per failed item (kind, identity, Capgo's error), and RV(changes) shows
    what was done.
author:
  - capgo.cloud contributors (@capgo)
extends_documentation_fragment:
  - capgo.cloud.capgo
  - capgo.cloud.capgo.ATTRIBUTES
attributes:
  diff_mode:
    details: One before/after per changed resource (managed fields, secrets masked).
options:
  organization:
    description:
      - The options of M(capgo.cloud.capgo_organization). Its identity is C(organization.org_id),
        or C(organization.name) when no id is given.
      - The scope of everything else. The organization itself is never purged.
      - Required, here or in O(src).
    type: dict
  src:
    description:
      - A file on the host that runs the module (for Capgo, usually the controller) holding a
        declaration, a dict of any of C(organization), C(members), C(webhooks), C(apikeys) and
        C(apps), each as the option of that name. JSON, or YAML when the Python library PyYAML
        is installed there.
      - It is merged after the options. Lists are concatenated per kind, so an item of the file
        is named by its position after the options' items, for example C(apps[2]).
        C(organization) is merged key by key, the file winning.
      - Ansible neither reads nor templates the file, so a large estate (thousands of items) is
        converged noticeably faster than when passed as options. Its values are used as written.
      - A relative path is relative to the module's working directory. Give an absolute one,
        for example C({{ playbook_dir }}/estate.yml).
      - A file that cannot be read or parsed, or holds anything else, fails before any request.
    type: path
  members:
    description:
      - Members of the organization. Each item takes the options of M(capgo.cloud.capgo_member)
        without O(capgo.cloud.capgo_member#module:org_id).
    type: list
    elements: dict
    default: []
  webhooks:
    description:
      - Webhooks of the organization. Each item takes the options of
        M(capgo.cloud.capgo_webhook) without O(capgo.cloud.capgo_webhook#module:org_id).
      - The signing secret of a created webhook is returned once, under RV(secrets).
    type: list
    elements: dict
    default: []
  apikeys:
    description:
      - API keys. Each item takes the options of M(capgo.cloud.capgo_apikey). Bindings may
        name apps of this declaration by their C(apps[].app_id).
      - Capgo creates API keys and changes bindings only for a dashboard session. Give
        O(session_token) for that; O(api_key) still does every read.
      - A created key is returned once, under RV(secrets).
    type: list
    elements: dict
    default: []
  apps:
    description:
      - Apps of the organization. Each item takes the options of M(capgo.cloud.capgo_app)
        (O(capgo.cloud.capgo_app#module:owner_org) defaults to the organization), plus the
        sections below.
      - C(channels) is a list of the options of M(capgo.cloud.capgo_channel) without
        O(capgo.cloud.capgo_channel#module:app_id). A channel that would start serving a bundle
        whose native packages the installed apps lack fails as an item, before any write and in
        the check-mode plan, unless it sets
        O(capgo.cloud.capgo_channel#module:native_compatibility) to V(warn) or V(ignore).
      - C(bundles) is a list of the options of M(capgo.cloud.capgo_bundle) without
        O(capgo.cloud.capgo_bundle#module:app_id). A bundle hosted by Capgo is uploaded from
        O(capgo.cloud.capgo_bundle#module:src) (with O(capgo.cloud.capgo_bundle#module:encryption_key)
        or O(capgo.cloud.capgo_bundle#module:encryption_key_content),
        O(capgo.cloud.capgo_bundle#module:min_update_version)); the uploads of all apps run
        concurrently, at most O(parallel) at a time. Encrypting needs the Python library
        C(cryptography); without it, the module fails before any request.
      - C(devices) is a list of the options of M(capgo.cloud.capgo_device) without
        O(capgo.cloud.capgo_device#module:app_id).
      - C(keep_bundles) (an integer) keeps the newest N bundles and deletes the others, as
        O(capgo.cloud.capgo_bundle#module:keep) does. The bundles a declared channel serves or
        rolls out always count as served.
    type: list
    elements: dict
    default: []
  purge:
    description:
      - Kinds whose objects that exist in the declared scope but are not declared are deleted.
      - The scope of V(channels) and V(devices) is the declared apps. For V(members),
        V(webhooks) and V(apikeys) it is the organization, and for V(apps) the organization's
        apps.
      - Never removed are the API key the run uses, the caller's own membership, super admins,
        and bundles a channel serves. To find the caller's key and user, Capgo's
        C(GET /apikey/:key) is asked once when V(apikeys) or V(members) are purged.
      - That request carries the API key in its URL path, which proxies and CDNs may log. It is
        sent only for a purge of V(apikeys) or V(members) (Capgo offers no other way to tell).
      - In check mode, purge is planned like everything else.
    type: list
    elements: str
    choices: [members, webhooks, apikeys, apps, channels, devices]
    default: []
  parallel:
    description:
      - How many independent writes, and listings of independent scopes (the channels of each
        app, say), may run at the same time (at least 1).
      - Capgo's rate limits bound it as well. The client retries a V(429) after the time Capgo
        names, and that wait pauses every request of the run, not only the one that got it.
    type: int
    default: 4
  session_token:
    description:
      - A dashboard session token (JWT), used only for what Capgo allows a session alone,
        namely creating API keys and changing their bindings.
      - Needed only when O(apikeys) asks for such a write.
      - If not set, the environment variable E(CAPGO_SESSION_TOKEN) is used.
    type: str
notes:
  - The same estate written as single-module tasks converges to the same state.
  - M(capgo.cloud.capgo_info) with O(capgo.cloud.capgo_info#module:resource=environment) returns
    an existing estate as a declaration that this module accepts unchanged.
seealso:
  - module: capgo.cloud.capgo_info
  - module: capgo.cloud.capgo_channel
"""

EXAMPLES = r"""
- name: Converge the production estate
  capgo.cloud.capgo_environment:
    organization:
      name: Example Corp
      management_email: ops@example.com
    members:
      - email: dev@example.com
        role: org_member
    webhooks:
      - name: deployments
        url: https://hooks.example.com/capgo
        events: [app_versions, channels]
    apps:
      - app_id: com.example.app
        name: Example
        retention_days: 30
        bundles:
          - version: 1.4.2
            src: dist/
            encryption_key: .capgo_key_v2
          - version: 1.4.1
            external_url: https://cdn.example.com/com.example.app/1.4.1.zip
            checksum: "{{ bundle_sha256 }}"
        channels:
          - channel: production
            bundle: 1.4.2
            public: true
          - channel: beta
            bundle: 1.4.2
        devices:
          - device_id: 6c2b0a38-61f4-4f55-9d3b-7f1e4d2c9a10
            channel: beta
        keep_bundles: 10
    purge: [channels, devices]

- name: Converge a large estate kept in a file (Ansible does not template it)
  capgo.cloud.capgo_environment:
    src: "{{ playbook_dir }}/estate.yml"  # organization, members, webhooks, apikeys, apps
    purge: [channels, devices]

- name: Plan only (what would change), shown as a diff
  capgo.cloud.capgo_environment:
    organization: "{{ capgo_estate.organization }}"
    apps: "{{ capgo_estate.apps }}"
  check_mode: true
  diff: true
  register: plan
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
changes:
  description:
    - Every create, update and delete, in the order of the kinds. RV(changes[].before) and
      RV(changes[].after) hold the managed fields only, secrets masked.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: V(organization), V(members), V(webhooks), V(apikeys), V(apps), V(bundles), V(channels) or V(devices).
      type: str
    id:
      description: The identity, such as C(com.example.app/production).
      type: str
    action:
      description: V(create), V(update) or V(delete). A device override set where none was is a create.
      type: str
    before:
      description: The managed fields before.
      type: dict
    after:
      description: The managed fields after (predicted in check mode).
      type: dict
summary:
  description: The number of creates, updates and deletes per kind.
  returned: always
  type: dict
  sample: {"channels": {"create": 1, "update": 2, "delete": 0}}
environment:
  description:
    - The declared resources after the run (predicted in check mode), per kind, in the modules'
      language. No secrets.
  returned: always
  type: dict
secrets:
  description:
    - Secrets created by this run, once, as C(KIND/ID) and value. These are an API key's C(key)
      and a webhook's C(secret).
  returned: always
  type: dict
  sample: {"webhooks/deployments": "whsec_..."}
"""

from ansible_collections.capgo.cloud.plugins.module_utils._ansible_environment import run_environment


def main():
    run_environment()


if __name__ == "__main__":
    main()
