# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The member resource of capgo.cloud (module ``capgo_member``): its declaration and its special rules."""

from ansible_collections.capgo.cloud.plugins.module_utils._engine import (
    Option,
    Resource,
    argument_spec_of,
    create_defaults_of,
    exported_of,
    is_email,
    managed_of,
    state_option,
)
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError

ORG_ROLES = ("org_member", "org_billing_admin", "org_admin", "org_super_admin")
DEFAULT_ROLE = "org_member"
LEGACY_ROLES = {
    "read": "org_member",
    "upload": "org_member",
    "write": "org_member",
    "admin": "org_admin",
    "super_admin": "org_super_admin",
}


# The member's managed option, once (``pending``, read only, is managed too: it shows in the diff).
MEMBER_OPTIONS = (
    Option("role", dict(type="str", choices=list(ORG_ROLES) + list(LEGACY_ROLES))),
)


def map_role(role):
    """A role name (current, older, or an older ``invite_*`` name) as (current name, pending)."""
    pending = False
    if isinstance(role, str) and role.startswith("invite_"):
        role, pending = role[len("invite_"):], True
    return LEGACY_ROLES.get(role, role), pending


def member_from_api(data, org_id):
    """A GET /organization/members row: current role name, ``is_tmp`` as ``pending``."""
    role, invite = map_role(data.get("role"))
    return {
        "org_id": org_id,
        "uid": data.get("uid"),
        "email": data.get("email"),
        "role": role,
        "pending": bool(data.get("is_tmp")) or invite,
        "image_url": data.get("image_url"),
    }


def member_rows(op, org_id):
    """Every row of GET /organization/members (one request: the route has no pages), converted.

    A person may have several rows (app- or channel-scoped roles beside the organization's).
    """
    rows = op.api("GET", "/organization/members", params={"orgId": org_id})
    return [member_from_api(row, org_id) for row in (rows if isinstance(rows, list) else []) if isinstance(row, dict)]


def one_per_person(rows):
    """One state per e-mail address (case-insensitive): the first organization-level row wins."""
    people = {}
    for row in rows:
        key = (row["email"] or "").lower()
        current = people.get(key)
        if current is None or (current["role"] not in ORG_ROLES and row["role"] in ORG_ROLES):
            people[key] = row
    return [dict(state) for state in people.values()]


class Member(Resource):
    resource_key = "member"
    kind = "members"
    scope_options = ("org_id",)
    identity_options = ("org_id", "email")
    managed = managed_of(MEMBER_OPTIONS) + ("pending",)
    export_options = exported_of(MEMBER_OPTIONS)
    create_defaults = create_defaults_of(MEMBER_OPTIONS)

    argument_spec = dict(
        org_id=dict(type="str", required=True),
        email=dict(type="str", required=True),
        **argument_spec_of(MEMBER_OPTIONS),
        reinvite=dict(type="bool", default=False),
        state=state_option(),
    )

    def setup(self):
        self.org_id = self.params["org_id"]
        self.email = (self.params["email"] or "").strip()  # None in a listing probe (purge, export)
        self.members = []
        self.removed = False  # set once this run removed the member (a role change)

    @classmethod
    def item_id(cls, params):
        return (params.get("email") or "").strip()

    @classmethod
    def purge_options(cls, state, scope):
        return dict(org_id=scope["org_id"], email=state.get("email"), role=None, reinvite=False)

    def describe(self):
        return "member %s of organization %s" % (self.email, self.org_id)

    # -- input -----------------------------------------------------------

    def validate(self):
        if not is_email(self.email):
            self.fail("email must be an email address, got %r" % self.params["email"])

    def normalize(self, key, value):
        if key == "role":
            return map_role(value)[0]
        return value

    # -- reading ---------------------------------------------------------

    def explain(self, err):
        hint = self._explain(err)
        if self.removed:
            hint = hint or super().explain(err)
            lead = ("%s was removed to change its role, but inviting it again failed: the person is no longer "
                    "a member; run again once the cause is fixed" % self.describe())
            return "%s; %s" % (lead, hint) if hint else lead
        if hint is not None:
            return hint
        return super().explain(err)

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

    @classmethod
    def list_all(cls, op, scope):
        """The members of organization ``scope["org_id"]``, one state per person (one request)."""
        return one_per_person(member_rows(op, scope["org_id"]))

    def matches(self, state):
        return (state["email"] or "").lower() == self.email.lower()

    def current(self):
        if not self.engine.prefer_listings:
            return self.read()
        # The members of the organization (for the last-super-admin rule) come from the listing too.
        scope = {"org_id": self.org_id}
        self.members = self.engine.listing((self.kind, self.org_id), lambda: self.list_all(self, scope))
        return self.find(self.members)

    def find(self, members):
        mine = [m for m in members if self.matches(m)]
        return dict(mine[0]) if mine else None

    def read(self):
        self.members = self.list_all(self, {"org_id": self.org_id})
        return self.find(self.members)

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
        return super().absent(before)

    # -- prediction -----------------------------------------------------

    def predict_create(self, desired):
        return {"org_id": self.org_id, "uid": None, "email": self.email.lower(), "role": self.invite_role(),
                "pending": True, "image_url": ""}

    def predict_update(self, before, changes):
        after = super().predict_update(before, changes)
        after["pending"] = True
        return after

    # -- writing ---------------------------------------------------------

    def invite(self, role):
        self.write("POST", "/organization/members",
                   body={"orgId": self.org_id, "email": self.email.lower(), "invite_type": role})

    def current_after_write(self, msg=None):
        return super().current_after_write(msg or "%s was invited but is not in the member list" % self.describe())

    def create(self, desired):
        try:
            self.invite(self.invite_role())
        except CapgoAPIError as err:
            invited = (err.more_info or {}).get("data") == "ALREADY_INVITED"
            already = err.error == "error_inviting_user_to_organization" and invited
            if not already:
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
        return self.current_after_write()

    def update(self, before, changes):
        self.remove()
        self.removed = True
        self.invite(changes["role"])
        self.removed = False
        return self.current_after_write()

    def remove(self):
        self.delete_gone_ok("/organization/members", ("organization_member_not_found",),
                            body={"orgId": self.org_id, "email": self.email.lower()})

    def delete(self, before):
        self.remove()
