# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The organization resource of capgo.cloud (module ``capgo_organization``): its declaration and its special rules."""

import re

from ansible_collections.capgo.cloud.plugins.module_utils._engine import (
    Field,
    Option,
    Resource,
    argument_spec_of,
    create_defaults_of,
    exported_of,
    find_one,
    from_api,
    is_email,
    managed_of,
    state_option,
)
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError

# The organization's managed options, each once: what GET /organization returns, and its
# security policy (only PUT answers it: not in a read state, never exported).
READABLE_OPTIONS = (
    Option("name", dict(type="str")),
    Option("management_email", dict(type="str")),
    Option("logo", dict(type="str"), new=None),
    Option("website", dict(type="str"), new=None),
)
POLICY_OPTIONS = (
    Option("require_apikey_expiration", dict(type="bool"), export=False),
    Option("max_apikey_expiration_days", dict(type="int", no_log=False), export=False),
    Option("enforce_hashed_api_keys", dict(type="bool"), export=False),
    Option("enforce_encrypted_bundles", dict(type="bool"), export=False),
)
READABLE = managed_of(READABLE_OPTIONS)
POLICY = managed_of(POLICY_OPTIONS)
# The GET /organization object (the PUT answer's row too): ``id`` also as ``org_id``.
ORGANIZATION_FIELDS = (Field("org_id", "id"), Field("id")) + READABLE_OPTIONS + tuple(
    Field(key) for key in ("customer_id", "created_by", "created_at", "updated_at"))
SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def organization_from_api(data):
    """An organization object (GET shape, or the row PUT returns): ``id`` also as ``org_id``."""
    return from_api(ORGANIZATION_FIELDS, data)


def list_organizations(client, page_size=None):
    """Every organization the key can read (API objects), all pages."""
    kwargs = {"page_size": page_size} if page_size else {}
    return client.iter_pages("/organization", page_in_body=True, **kwargs)


def policy_from_row(row):
    return {key: row[key] for key in POLICY if isinstance(row, dict) and key in row}


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


class Organization(Resource):
    resource_key = "organization"
    kind = "organization"
    identity_options = ("org_id",)
    errors = {
        "cannot_access_organization": "this API key may not change {what} (needs org.update_settings: org_admin or "
                                      "org_super_admin)",
        "invalid_max_expiration_days": "max_apikey_expiration_days must be between 1 and 365",
    }
    managed = READABLE + POLICY
    export_options = exported_of(READABLE_OPTIONS + POLICY_OPTIONS)
    create_required = ("name",)
    create_defaults = dict(create_defaults_of(READABLE_OPTIONS), org_id=None, id=None, customer_id=None)

    argument_spec = dict(
        org_id=dict(type="str", aliases=["id"]),
        state=state_option(),
        estimated_mau=dict(type="int"),
        resend_policy=dict(type="bool", default=False),
        **argument_spec_of(READABLE_OPTIONS + POLICY_OPTIONS)
    )
    module_kwargs = dict(
        required_one_of=[("org_id", "name")],
    )

    def setup(self):
        self.org_id = self.params["org_id"]
        self.name = self.params["name"]
        self.policy_row = None  # the policy as Capgo returned it after a PUT of this run
        self.last_row = None  # the whole row that PUT returned

    @classmethod
    def item_id(cls, params):
        return params.get("org_id") or params.get("name")

    def describe(self):
        if self.org_id:
            return "organization %s" % self.org_id
        return "organization %r" % self.name

    # -- input -----------------------------------------------------------

    def validate(self):
        p = self.params
        if p["name"] is not None and len(p["name"].strip()) < 3:
            self.fail("name must be at least 3 characters, got %r" % p["name"])
        if p["management_email"] is not None and not is_email(p["management_email"]):
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
        return super().values_equal(key, current, wanted)

    def compare(self, before, desired):
        readable = {k: v for k, v in desired.items() if k not in POLICY}
        changes = super().compare(before, readable)
        policy = {k: v for k, v in desired.items() if k in POLICY}
        # Write-only: sent with any other change, or always with resend_policy.
        if policy and (changes or self.params["resend_policy"]):
            changes.update(policy)
        return changes

    def predict_create(self, desired):
        after = super().predict_create(desired)
        after.setdefault("management_email", None)
        if self.params["estimated_mau"] is not None:
            after["estimated_mau"] = self.params["estimated_mau"]
        if after.get("website") and not SCHEME_RE.match(after["website"]):
            after["website"] = "https://" + after["website"]
        return after

    def predict_update(self, before, changes):
        after = super().predict_update(before, changes)
        if after.get("website") and not SCHEME_RE.match(after["website"]):
            after["website"] = "https://" + after["website"]
        return after

    def diff_view(self, state):
        # Policy fields appear only when set: Capgo cannot report their previous value, so
        # showing values the user did not ask about would look like changes.
        view = super().diff_view(state)
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
        if err.error == "invalid_org_id" and err.method == "DELETE":
            return ("this API key may not delete %s (needs org.delete: org_super_admin)" % self.describe())
        return super().explain(err)

    def get_org(self, org_id):
        # 400 invalid_org_id: does not exist, or the key may not read it
        data = self.get_or_none("/organization", ("invalid_org_id",), params={"orgId": org_id}, status=400)
        return organization_from_api(data) if isinstance(data, dict) else None

    @classmethod
    def list_all(cls, op, scope):
        """Every organization the key can read: GET /organization, all pages (the GET objects)."""
        return [organization_from_api(o) for o in list_organizations(op.client) if isinstance(o, dict)]

    def matches(self, state):
        if self.org_id:
            return (state.get("org_id") or "").lower() == self.org_id.lower()
        return state.get("name") == self.name.strip()

    def ambiguous(self, hits):
        return self.failure("%d organizations visible to this API key are named %r: %s; set org_id to choose one"
                            % (len(hits), self.name.strip(), ", ".join(sorted("%s" % m.get("id") for m in hits))))

    def read(self):
        if self.org_id:
            return self.get_org(self.org_id)
        return find_one(self.list_all(self, {}), self.matches, self.ambiguous)

    def current(self):
        before = super().current()
        if self.org_id and before is None and self.params["state"] == "present":
            self.fail("organization %s does not exist, or this API key may not read it (Capgo answers "
                      "invalid_org_id for both); an organization cannot be created with a chosen id, "
                      "leave org_id unset and set name to create one" % self.org_id)
        return before

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

    def current_after_write(self, msg=None, org_id=None):
        """The organization ``org_id`` after a write (the policy the PUT returned; the row it returned when
        this key is locked out by the new policy)."""
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
        rest = {k: v for k, v in desired.items() if k in ("logo",) + POLICY}
        if rest:
            self.put(org_id, rest)
        after = self.current_after_write(org_id=org_id)
        if self.params["estimated_mau"] is not None:
            after["estimated_mau"] = self.params["estimated_mau"]
        return after

    def update(self, before, changes):
        self.put(before["org_id"], changes)
        return self.current_after_write(org_id=before["org_id"])

    def delete(self, before):
        # 403 invalid_org_id means "gone" or "not allowed": a read tells which.
        self.delete_gone_ok("/organization", ("invalid_org_id",), params={"orgId": before["org_id"]},
                            confirm=lambda: self.get_org(before["org_id"]))
