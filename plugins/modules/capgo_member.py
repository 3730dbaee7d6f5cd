#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: capgo_member
short_description: Manage the members of a Capgo organization
version_added: 0.1.0
description:
  - Invite people to a Capgo organization, change their organization role, and remove them.
  - The module reads the organization's member list once (a single GET), compares the role
    when you set one, and writes only what differs.
  - An invited person stays a pending member until they accept the invitation. A pending
    invitation counts as present and is returned with RV(member.pending=true); the module
    does not invite again.
author:
  - capgo.cloud contributors (@capgo)
extends_documentation_fragment:
  - capgo.cloud.capgo
  - capgo.cloud.capgo.ATTRIBUTES
options:
  org_id:
    description:
      - Id (UUID) of the organization.
    type: str
    required: true
  email:
    description:
      - Email address of the person. Compared case-insensitively, and sent in lower case.
      - Capgo's public API can invite only people who already have a Capgo account; for
        anyone else the module fails and says so (invite them from the dashboard, or ask
        them to sign up first).
      - B(Check mode cannot tell.) No Capgo API says whether an email has an account
        without inviting it, so in check mode an email without a Capgo account is predicted
        as an invitation (changed, RV(member.pending=true)), and the real run then fails
        (Capgo answers C(NO_EMAIL)).
    type: str
    required: true
  role:
    description:
      - Organization role of the member.
      - The older role names are accepted and mapped to the current ones the way Capgo maps
        them - V(read), V(upload) and V(write) to V(org_member), V(admin) to V(org_admin),
        V(super_admin) to V(org_super_admin). The returned role is always the current name.
      - When not set, the role of an existing member is left alone and a new member is
        invited as V(org_member).
      - Capgo has no call to change the role of a member. A member with another role makes
        the module fail, unless O(reinvite=true).
    type: str
    choices: [org_member, org_billing_admin, org_admin, org_super_admin, read, upload, write, admin, super_admin]
  reinvite:
    description:
      - Change the role of an existing member (or of a pending invitation) by removing the
        member and inviting them again with O(role).
      - B(The member loses access to the organization until they accept the new
        invitation), and becomes pending again (RV(member.pending=true)). If Capgo refuses
        the new invitation after the removal, the module fails and says that the member was
        removed.
    type: bool
    default: false
  state:
    description:
      - V(present) invites the person when they are neither a member nor invited.
      - V(absent) removes the member, or cancels the pending invitation of someone who has a
        Capgo account. Removing someone who is not a member is not a change.
      - The last C(org_super_admin) of an organization cannot be removed; the module fails
        before sending anything.
    type: str
    choices: [present, absent]
    default: present
notes:
  - O(api_key) must be an API key; Capgo reads the member list and sends invitations only
    for API keys (a dashboard session token is refused there).
  - Reading needs C(org.read_members), inviting C(org.invite_user) (inviting an
    C(org_super_admin) also C(org.update_user_roles)), removing C(org.update_user_roles); a key
    cannot grant a role ranked above its own or remove a member ranked above it. C(org_admin)
    and C(org_super_admin) keys have these permissions.
  - Inviting someone who is already a member or invited fails at Capgo with
    C(ALREADY_INVITED). The module only invites after reading that the person is not there;
    if another run invited them in between, it reads the member list again and treats the
    member it finds like one that was already there (not a change).
  - Capgo's public API cannot cancel the pending invitation of someone without a Capgo
    account (made in the dashboard); such a removal fails with a message that says so.
    The member list does not tell such invitations apart, so check mode predicts the
    removal (or, with O(reinvite), the role change) that the real run then refuses.
  - Check mode predicts an invitation for an email that has no Capgo account, which the
    real run then refuses (C(NO_EMAIL)); see O(email).
seealso:
  - module: capgo.cloud.capgo_organization
  - module: capgo.cloud.capgo_info
"""

EXAMPLES = r"""
- name: Invite a developer (they must already have a Capgo account)
  capgo.cloud.capgo_member:
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    email: dev@example.com
    role: org_member
  register: invite

- name: Show whether the invitation is still pending
  ansible.builtin.debug:
    msg: "{{ invite.member.email }} pending={{ invite.member.pending }}"

- name: Make them an admin (removes and re-invites; they must accept again)
  capgo.cloud.capgo_member:
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    email: dev@example.com
    role: org_admin
    reinvite: true

- name: Older role names still work (admin = org_admin)
  capgo.cloud.capgo_member:
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    email: dev@example.com
    role: admin

- name: Remove someone who left
  capgo.cloud.capgo_member:
    org_id: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    email: former@example.com
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
member:
  description:
    - The member after the run (in check mode, the predicted member); empty after a removal.
  returned: always
  type: dict
  contains:
    org_id:
      description: Id of the organization.
      type: str
      sample: 046a36ac-e03c-4590-9257-bd6c9dba9ee8
    uid:
      description: Capgo user id of the member. Null in check mode before the invitation.
      type: str
      sample: 0d1c6e54-8a7b-4f4e-9c3a-2b1d0e9f8a01
    email:
      description: Email address of the member.
      type: str
      sample: dev@example.com
    role:
      description: Organization role (current role names only).
      type: str
      sample: org_member
    pending:
      description: Whether the member has not accepted the invitation yet.
      type: bool
      sample: true
    image_url:
      description: Avatar URL, or an empty string.
      type: str
diff:
  description: Before and after of RV(member.role) and RV(member.pending).
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.capgo.cloud.plugins.module_utils._ansible import run_module
from ansible_collections.capgo.cloud.plugins.module_utils._member import Member


def main():
    run_module(Member)


if __name__ == "__main__":
    main()
