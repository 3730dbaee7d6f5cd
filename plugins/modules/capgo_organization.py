#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: capgo_organization
short_description: Manage Capgo organizations
version_added: 0.1.0
description:
  - Create, update and delete Capgo organizations, including their API key and bundle
    security policy.
  - The organization is identified by O(org_id) when set, otherwise by O(name) among the
    organizations the API key can see. Capgo does not keep organization names unique; when
    two or more visible organizations carry the name, the module fails and lists their ids
    (use O(org_id) then).
  - The module reads the organization once, compares only the options you set, and writes
    only what differs. A converged run sends only reads (one GET when O(org_id) is set, or
    when the key sees fewer than 50 organizations) and reports RV(ignore:changed=false).
author:
  - capgo.cloud contributors (@capgo)
extends_documentation_fragment:
  - capgo.cloud.capgo
  - capgo.cloud.capgo.ATTRIBUTES
options:
  org_id:
    description:
      - Id (UUID) of the organization.
      - When set, it identifies the organization and O(name) renames it.
      - An organization cannot be created with a chosen id; with O(state=present) an
        O(org_id) that does not exist (or that the key cannot read) fails.
    type: str
    aliases: [id]
  name:
    description:
      - Name of the organization, at least 3 characters.
      - Without O(org_id) it identifies the organization among those the key can see (exact,
        case-sensitive match); with O(org_id) it is the name to set.
      - Required to create an organization.
    type: str
  state:
    description:
      - V(present) creates the organization when nothing matches, or updates what differs.
      - V(absent) deletes it, with all its apps, channels, bundles, members and webhooks.
        Deleting needs the C(org.delete) permission (role C(org_super_admin)). Deleting an
        organization that does not exist is not a change.
    type: str
    choices: [present, absent]
    default: present
  management_email:
    description:
      - Email address Capgo sends billing and management mail to.
      - On create it defaults to the email of the key's owner. Compared case-insensitively.
    type: str
  logo:
    description:
      - Logo of the organization, as a storage path or URL.
      - Capgo returns the logo as a signed URL, so the module treats the logo as unchanged
        when that URL without its query string (the signature) equals this value or ends
        with it (V(org/ID/logo.png) matches C(https://.../org/ID/logo.png?token=...)).
      - Capgo's API cannot remove a logo.
    type: str
  website:
    description:
      - Website of the organization. Capgo prepends C(https://) to a value without a scheme;
        the module compares accordingly. V("") removes the website.
    type: str
  estimated_mau:
    description:
      - Expected monthly active users, 0 to 1000000; Capgo picks the initial plan from it.
      - Sent only when the organization is created; ignored for an existing one (Capgo
        neither returns nor updates it).
    type: int
  require_apikey_expiration:
    description:
      - Refuse API keys without an expiry date on this organization's endpoints.
      - Security-policy option; see the note on how these are compared.
    type: bool
  max_apikey_expiration_days:
    description:
      - Longest lifetime, 1 to 365 days, of the API keys this organization accepts. V(0)
        removes the limit.
      - Security-policy option; see the note on how these are compared.
    type: int
  enforce_hashed_api_keys:
    description:
      - Accept only hashed API keys (keys whose plain value Capgo does not store).
      - Security-policy option; see the note on how these are compared.
    type: bool
  enforce_encrypted_bundles:
    description:
      - Accept only encrypted bundles in this organization's apps.
      - Security-policy option; see the note on how these are compared.
    type: bool
  resend_policy:
    description:
      - Send the security-policy options that are set even when nothing else differs, to
        repair a policy someone changed in the dashboard.
      - Capgo cannot tell whether they differed, so such a run always reports a change
        (also in check mode, where nothing is sent).
    type: bool
    default: false
notes:
  - B(How the security-policy options are compared.) Capgo's C(GET /organization) does not
    return O(require_apikey_expiration), O(max_apikey_expiration_days),
    O(enforce_hashed_api_keys) or O(enforce_encrypted_bundles), so the module cannot read
    them. It treats them as write-only, like the platform flags of M(capgo.cloud.capgo_channel);
    they are sent when the organization is created, and again with every other change of the
    organization; a run in which nothing else differs does not send them and reports no
    change. A policy changed outside Ansible is therefore not detected; set
    O(resend_policy=true) (for example in a scheduled compliance run) to send them anyway.
  - The module does not read the policy through C(PUT /organization) with only C(orgId),
    although Capgo answers that call with the whole organization row. It is still a write
    request; it needs the C(org.update_settings) permission, is logged as a write, may
    run server-side side effects of an update (such as the billing name sync), and must not
    be sent in check mode, so check mode could not predict what a real run would do. After
    a write, the row Capgo returns is used to report the policy in RV(organization).
  - Listing the organizations the key can see (identification by O(name)) reads
    C(GET /organization) page by page. Capgo accepts C(page) there only as a JSON number, so
    the module sends it in a JSON body of the GET (a C(page) in the query string fails with
    C(invalid_body)). Pages hold 50 organizations; a key that sees fewer needs one GET.
  - O(api_key) must be an API key - Capgo reads and deletes organizations only with API keys
    (a dashboard session token is refused there). Creating needs a key with the
    C(org.create) global permission and a current C(org_admin) or C(org_super_admin)
    binding on some organization; the key is then made C(org_super_admin) of the new
    organization. Updating needs C(org.update_settings) (C(org_admin) or C(org_super_admin)).
seealso:
  - module: capgo.cloud.capgo_member
  - module: capgo.cloud.capgo_apikey
  - module: capgo.cloud.capgo_info
"""

EXAMPLES = r"""
- name: Create the organization of a new team (or update it when it exists)
  capgo.cloud.capgo_organization:
    name: Mobile team
    management_email: billing@example.com
    website: example.com
    estimated_mau: 5000
  register: org

- name: Require expiring, hashed API keys in that organization
  capgo.cloud.capgo_organization:
    org_id: "{{ org.organization.org_id }}"
    require_apikey_expiration: true
    max_apikey_expiration_days: 90
    enforce_hashed_api_keys: true

- name: Rename an organization by id
  capgo.cloud.capgo_organization:
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    name: Mobile platform team

- name: Re-apply the security policy even if nothing else changed (always reports changed)
  capgo.cloud.capgo_organization:
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    enforce_encrypted_bundles: true
    resend_policy: true

- name: Delete an organization and everything in it
  capgo.cloud.capgo_organization:
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
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
organization:
  description:
    - The organization after the run (in check mode, the predicted organization); empty
      after a delete.
  returned: always
  type: dict
  contains:
    org_id:
      description: Id of the organization (the same value as RV(organization.id)).
      type: str
      sample: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    id:
      description: Id of the organization. Null in check mode before the organization exists.
      type: str
      sample: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    name:
      description: Name of the organization.
      type: str
      sample: Mobile team
    management_email:
      description: Management email address.
      type: str
      sample: billing@example.com
    logo:
      description: Signed URL of the logo, or null.
      type: str
    website:
      description: Website, or null.
      type: str
      sample: https://example.com
    customer_id:
      description: Billing customer id, or null.
      type: str
    created_by:
      description: Id of the user who created the organization.
      type: str
    created_at:
      description: Creation time (ISO 8601).
      type: str
    updated_at:
      description: Last change time (ISO 8601).
      type: str
    estimated_mau:
      description: The estimate sent on create.
      type: int
      returned: when the organization was created in this run
    require_apikey_expiration:
      description: See the option.
      type: bool
      returned: when known, that is after a write in this run, or when set (check mode)
    max_apikey_expiration_days:
      description: See the option; null means no limit.
      type: int
      returned: when known, that is after a write in this run, or when set (check mode)
    enforce_hashed_api_keys:
      description: See the option.
      type: bool
      returned: when known, that is after a write in this run, or when set (check mode)
    enforce_encrypted_bundles:
      description: See the option.
      type: bool
      returned: when known, that is after a write in this run, or when set (check mode)
diff:
  description:
    - Before and after, managed fields only. The security-policy fields appear only in
      C(after), and only when they are sent (Capgo cannot report their previous value).
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.capgo.cloud.plugins.module_utils._ansible import run_module
from ansible_collections.capgo.cloud.plugins.module_utils._organization import Organization


def main():
    run_module(Organization)


if __name__ == "__main__":
    main()
