#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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

import re

from ansible_collections.capgo.cloud.plugins.module_utils._base import CapgoResource
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError
from ansible_collections.capgo.cloud.plugins.module_utils._resources import LEGACY_ROLES, map_role, member_from_api

ORG_ROLES = ("org_member", "org_billing_admin", "org_admin", "org_super_admin")
DEFAULT_ROLE = "org_member"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Member(CapgoResource):
    resource_key = "member"
    managed = ("role", "pending")

    def __init__(self):
        super(Member, self).__init__(
            argument_spec=dict(
                org_id=dict(type="str", required=True),
                email=dict(type="str", required=True),
                role=dict(type="str", choices=list(ORG_ROLES) + list(LEGACY_ROLES)),
                reinvite=dict(type="bool", default=False),
                state=dict(type="str", default="present", choices=["present", "absent"]),
            ),
        )
        self.org_id = self.params["org_id"]
        self.email = self.params["email"].strip()
        self.members = []
        self.removed = False  # set once this run removed the member (a role change)

    def describe(self):
        return "member %s of organization %s" % (self.email, self.org_id)

    # -- input -----------------------------------------------------------

    def validate(self):
        if not EMAIL_RE.match(self.email):
            self.fail("email must be an email address, got %r" % self.params["email"])

    def normalize(self, key, value):
        if key == "role":
            return map_role(value)[0]
        return value

    # -- reading ---------------------------------------------------------

    def explain(self, err):
        hint = self._explain(err)
        if self.removed:
            hint = hint or super(Member, self).explain(err)
            lead = ("%s was removed to change its role, but inviting it again failed: the person is no longer "
                    "a member; run again once the cause is fixed" % self.describe())
            return "%s; %s" % (lead, hint) if hint else lead
        if hint is not None:
            return hint
        return super(Member, self).explain(err)

    def _explain(self, err):
        """The sentence for the codes of this module, or None."""
        code = (err.more_info or {}).get("data")
        if err.error == "error_inviting_user_to_organization":
            role = self.invite_role()
            if code == "NO_EMAIL":
                return ("%s has no Capgo account: Capgo's public API can only invite people who already have a "
                        "Capgo account; ask them to sign up first, or invite them from the Capgo dashboard"
                        % self.email)
            if code == "NO_RIGHTS":
                return ("this API key may not grant role %s in organization %s (a key cannot grant a role above "
                        "its own, and inviting an org_super_admin needs org.update_user_roles)" % (role, self.org_id))
            if code == "TOO_RECENT_INVITATION_CANCELATION":
                return ("an invitation of %s to organization %s was cancelled recently and Capgo refuses a new one "
                        "for a while; try again later" % (self.email, self.org_id))
            if code == "ROLE_NOT_FOUND":
                return "Capgo does not know the role %s" % role
            if code == "NO_ORG":
                return "organization %s does not exist" % self.org_id
            if code == "ALREADY_INVITED":
                return "%s is already a member or invited" % self.email
        if err.error == "cannot_access_organization":
            need = {"GET": "org.read_members", "POST": "org.invite_user",
                    "DELETE": "org.update_user_roles"}.get(err.method, "access")
            return ("organization %s does not exist, or this API key lacks %s there (Capgo answers "
                    "cannot_access_organization for both)" % (self.org_id, need))
        if err.error == "CANNOT_REMOVE_LAST_SUPER_ADMIN":
            return ("%s is the last org_super_admin of organization %s and cannot be removed; make someone else "
                    "org_super_admin first" % (self.email, self.org_id))
        if err.error == "cannot_delete_higher_priority_role":
            return ("this API key's role ranks below the role of %s in organization %s, so it cannot remove them"
                    % (self.email, self.org_id))
        if err.error == "user_not_found":
            return ("%s has no Capgo account: Capgo's public API cannot cancel the pending invitation of someone "
                    "without an account; cancel it in the Capgo dashboard" % self.email)
        if err.error == "org_requires_expiring_key":
            return "organization %s requires API keys with an expiry date and this key has none" % self.org_id
        return None

    def read(self):
        rows = self.api("GET", "/organization/members", params={"orgId": self.org_id})
        self.members = []
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict):
                continue
            self.members.append(member_from_api(row, self.org_id))
        mine = [m for m in self.members if (m["email"] or "").lower() == self.email.lower()]
        if not mine:
            return None
        # A person may also have app- or channel-scoped rows; their organization role wins.
        org_level = [m for m in mine if m["role"] in ORG_ROLES]
        return dict((org_level or mine)[0])

    def last_super_admin(self, member):
        if member.get("role") != "org_super_admin" or member.get("pending"):
            return False
        supers = [m for m in self.members if m["role"] == "org_super_admin" and not m["pending"]]
        return len(supers) <= 1

    # -- checks (also in check mode) ------------------------------------

    def invite_role(self):
        role = self.params.get("role")
        return map_role(role)[0] if role else DEFAULT_ROLE

    def check_update(self, before, changes):
        if "role" not in changes:
            return
        if not self.params["reinvite"]:
            self.fail("%s has role %s%s, not %s. Capgo has no call to change a member's role; set reinvite: true "
                      "to remove the member and invite them again with the new role (they lose access until "
                      "they accept the new invitation)"
                      % (self.describe(), before["role"], " (invitation pending)" if before.get("pending") else "",
                         changes["role"]))
        if self.last_super_admin(before):
            self.fail("%s is the last org_super_admin of organization %s: changing its role needs removing it, which "
                      "Capgo refuses; make someone else org_super_admin first" % (self.email, self.org_id))

    def absent(self, before):
        if before is not None and self.last_super_admin(before):
            self.fail("%s is the last org_super_admin of organization %s and cannot be removed; make someone else "
                      "org_super_admin first" % (self.email, self.org_id))
        return super(Member, self).absent(before)

    # -- prediction -----------------------------------------------------

    def predict_create(self, desired):
        return {"org_id": self.org_id, "uid": None, "email": self.email.lower(), "role": self.invite_role(),
                "pending": True, "image_url": ""}

    def predict_update(self, before, changes):
        after = super(Member, self).predict_update(before, changes)
        after["pending"] = True
        return after

    # -- writing ---------------------------------------------------------

    def invite(self, role):
        self.write("POST", "/organization/members",
                   body={"orgId": self.org_id, "email": self.email.lower(), "invite_type": role})

    def read_back(self):
        return self.read_written("%s was invited but is not in the member list" % self.describe())

    def create(self, desired):
        try:
            self.invite(self.invite_role())
        except CapgoAPIError as err:
            if (err.error != "error_inviting_user_to_organization"
                    or (err.more_info or {}).get("data") != "ALREADY_INVITED"):
                raise
            current = self.read()
            if current is None:
                raise
            # Invited by someone else since our read: treat it like a member that was there.
            self.result["changed"] = False
            changes = self.compare(current, desired)
            if not changes:
                return current
            self.check_update(current, changes)
            self.result["changed"] = True
            return self.update(current, changes)
        return self.read_back()

    def update(self, before, changes):
        self.remove()
        self.removed = True
        self.invite(changes["role"])
        self.removed = False
        return self.read_back()

    def remove(self):
        self.delete_gone_ok("/organization/members", ("organization_member_not_found",),
                            body={"orgId": self.org_id, "email": self.email.lower()})

    def delete(self, before):
        self.remove()


def main():
    Member().run()


if __name__ == "__main__":
    main()
