#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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

import re

from ansible_collections.capgo.cloud.plugins.module_utils._base import CapgoResource
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError
from ansible_collections.capgo.cloud.plugins.module_utils._resources import organization_from_api

READABLE = ("name", "management_email", "logo", "website")
POLICY = ("require_apikey_expiration", "max_apikey_expiration_days", "enforce_hashed_api_keys",
          "enforce_encrypted_bundles")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def policy_from_row(row):
    return dict((key, row[key]) for key in POLICY if isinstance(row, dict) and key in row)


def website_equal(current, wanted):
    if wanted is None:
        return current in (None, "")
    if current == wanted:
        return True
    if not SCHEME_RE.match(wanted):
        return current == "https://" + wanted
    return False


def logo_equal(current, wanted):
    if current == wanted:
        return True
    if not current or not wanted:
        return False
    bare = current.split("?", 1)[0]
    wanted = wanted.split("?", 1)[0]
    return bare == wanted or bare.endswith("/" + wanted.lstrip("/"))


class Organization(CapgoResource):
    resource_key = "organization"
    managed = READABLE + POLICY
    create_required = ("name",)
    create_defaults = {"org_id": None, "id": None, "logo": None, "website": None, "customer_id": None}

    def __init__(self):
        super(Organization, self).__init__(
            argument_spec=dict(
                org_id=dict(type="str", aliases=["id"]),
                name=dict(type="str"),
                state=dict(type="str", default="present", choices=["present", "absent"]),
                management_email=dict(type="str"),
                logo=dict(type="str"),
                website=dict(type="str"),
                estimated_mau=dict(type="int"),
                require_apikey_expiration=dict(type="bool"),
                max_apikey_expiration_days=dict(type="int", no_log=False),
                enforce_hashed_api_keys=dict(type="bool"),
                enforce_encrypted_bundles=dict(type="bool"),
                resend_policy=dict(type="bool", default=False),
            ),
            required_one_of=[("org_id", "name")],
        )
        self.org_id = self.params["org_id"]
        self.name = self.params["name"]
        self.policy_row = None  # the policy as Capgo returned it after a PUT of this run
        self.last_row = None  # the whole row that PUT returned

    def describe(self):
        if self.org_id:
            return "organization %s" % self.org_id
        return "organization %r" % self.name

    # -- input -----------------------------------------------------------

    def validate(self):
        p = self.params
        if p["name"] is not None and len(p["name"].strip()) < 3:
            self.fail("name must be at least 3 characters, got %r" % p["name"])
        if p["management_email"] is not None and not EMAIL_RE.match(p["management_email"]):
            self.fail("management_email must be an email address, got %r" % p["management_email"])
        if p["estimated_mau"] is not None and not 0 <= p["estimated_mau"] <= 1000000:
            self.fail("estimated_mau must be between 0 and 1000000, got %s" % p["estimated_mau"])
        days = p["max_apikey_expiration_days"]
        if days is not None and not 0 <= days <= 365:
            self.fail("max_apikey_expiration_days must be between 1 and 365 (or 0 for no limit), got %s" % days)
        if p["logo"] == "":
            self.fail("logo cannot be removed through Capgo's API; set a storage path or URL")
        website = p["website"]
        if website and SCHEME_RE.match(website) and not website.lower().startswith(("http://", "https://")):
            self.fail("website must be an http(s) URL, got %r" % website)

    def normalize(self, key, value):
        if key == "website" and value == "":
            return None
        if key == "max_apikey_expiration_days" and value == 0:
            return None
        if key == "name":
            return value.strip()
        return value

    # -- comparison ------------------------------------------------------

    def values_equal(self, key, current, wanted):
        if key == "website":
            return website_equal(current, wanted)
        if key == "logo":
            return logo_equal(current, wanted)
        if key == "management_email" and current and wanted:
            return current.lower() == wanted.lower()
        return super(Organization, self).values_equal(key, current, wanted)

    def compare(self, before, desired):
        readable = dict((k, v) for k, v in desired.items() if k not in POLICY)
        changes = super(Organization, self).compare(before, readable)
        policy = dict((k, v) for k, v in desired.items() if k in POLICY)
        # Write-only: sent with any other change, or always with resend_policy.
        if policy and (changes or self.params["resend_policy"]):
            changes.update(policy)
        return changes

    def predict_create(self, desired):
        after = super(Organization, self).predict_create(desired)
        after.setdefault("management_email", None)
        if self.params["estimated_mau"] is not None:
            after["estimated_mau"] = self.params["estimated_mau"]
        if after.get("website") and not SCHEME_RE.match(after["website"]):
            after["website"] = "https://" + after["website"]
        return after

    def predict_update(self, before, changes):
        after = super(Organization, self).predict_update(before, changes)
        if after.get("website") and not SCHEME_RE.match(after["website"]):
            after["website"] = "https://" + after["website"]
        return after

    def diff_view(self, state):
        # Policy fields appear only when set: Capgo cannot report their previous value, so
        # showing values the user did not ask about would look like changes.
        view = super(Organization, self).diff_view(state)
        for key in POLICY:
            if self.params[key] is None:
                view.pop(key, None)
        return view

    # -- reading ---------------------------------------------------------

    def explain(self, err):
        if err.error == "org_requires_expiring_key":
            return ("organization %s requires API keys with an expiry date and this key has none"
                    % (self.org_id or self.name))
        if err.error == "permission_denied" and err.method == "POST":
            return ("this API key may not create organizations: that needs a key with the org.create global "
                    "permission and an org_admin or org_super_admin binding")
        if err.error == "cannot_access_organization":
            return ("this API key may not change %s (needs org.update_settings: org_admin or org_super_admin)"
                    % self.describe())
        if err.error == "invalid_org_id" and err.method == "DELETE":
            return ("this API key may not delete %s (needs org.delete: org_super_admin)" % self.describe())
        if err.error == "invalid_max_expiration_days":
            return "max_apikey_expiration_days must be between 1 and 365"
        return super(Organization, self).explain(err)

    def get_org(self, org_id):
        try:
            data = self.api("GET", "/organization", params={"orgId": org_id})
        except CapgoAPIError as err:
            if err.status == 400 and err.error == "invalid_org_id":
                return None  # does not exist, or the key may not read it
            raise
        return organization_from_api(data) if isinstance(data, dict) else None

    def find_by_name(self, name):
        matches = [org for org in self.client.iter_pages("/organization", page_in_body=True)
                   if isinstance(org, dict) and org.get("name") == name]
        if len(matches) > 1:
            self.fail("%d organizations visible to this API key are named %r: %s; set org_id to choose one"
                      % (len(matches), name, ", ".join(sorted("%s" % m.get("id") for m in matches))))
        return organization_from_api(matches[0]) if matches else None

    def read(self):
        if self.org_id:
            before = self.get_org(self.org_id)
            if before is None and self.params["state"] == "present":
                self.fail("organization %s does not exist, or this API key may not read it (Capgo answers "
                          "invalid_org_id for both); an organization cannot be created with a chosen id, "
                          "leave org_id unset and set name to create one" % self.org_id)
            return before
        return self.find_by_name(self.name.strip())

    # -- writing ---------------------------------------------------------

    def put(self, org_id, changes):
        body = {"orgId": org_id}
        for key, value in changes.items():
            body[key] = value
        answer = self.write("PUT", "/organization", body=body)
        row = answer.get("data") if isinstance(answer, dict) else None
        if isinstance(row, dict):
            self.policy_row = policy_from_row(row)
            self.last_row = row

    def read_back(self, org_id):
        try:
            after = self.get_org(org_id)
        except CapgoAPIError as err:
            # Just made the organization require expiring keys, and this key has no expiry:
            # it is locked out now. Report the row the PUT returned instead of failing.
            if err.error != "org_requires_expiring_key" or not self.last_row:
                raise
            self.warn("organization %s now requires API keys with an expiry date; this API key has none, so it "
                      "can no longer use this organization" % org_id)
            after = organization_from_api(self.last_row)
        if after is None:
            self.fail("organization %s was written but cannot be read back" % org_id)
        if self.policy_row:
            after.update(self.policy_row)
        return after

    def create(self, desired):
        body = {"name": desired["name"]}
        if desired.get("management_email"):
            body["email"] = desired["management_email"]
        if desired.get("website"):
            body["website"] = desired["website"]
        if self.params["estimated_mau"] is not None:
            body["estimatedMau"] = self.params["estimated_mau"]
        answer = self.write("POST", "/organization", body=body)
        org_id = answer.get("id") if isinstance(answer, dict) else None
        if not org_id:
            self.fail("Capgo created the organization but returned no id (answer: %r)" % (answer,))
        rest = dict((k, v) for k, v in desired.items() if k in ("logo",) + POLICY)
        if rest:
            self.put(org_id, rest)
        after = self.read_back(org_id)
        if self.params["estimated_mau"] is not None:
            after["estimated_mau"] = self.params["estimated_mau"]
        return after

    def update(self, before, changes):
        self.put(before["org_id"], changes)
        return self.read_back(before["org_id"])

    def delete(self, before):
        # 403 invalid_org_id means "gone" or "not allowed": a read tells which.
        self.delete_gone_ok("/organization", ("invalid_org_id",), params={"orgId": before["org_id"]},
                            confirm=lambda: self.get_org(before["org_id"]))


def main():
    Organization().run()


if __name__ == "__main__":
    main()
