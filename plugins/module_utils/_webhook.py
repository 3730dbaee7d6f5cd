# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The webhook resource of capgo.cloud (module ``capgo_webhook``): its declaration and its special rules."""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from ansible_collections.capgo.cloud.plugins.module_utils._engine import (
    Field,
    Option,
    Resource,
    argument_spec_of,
    create_defaults_of,
    exported_of,
    find_one,
    from_api,
    is_uuid,
    managed_of,
    state_option,
    to_api,
)


NON_PUBLIC_SUFFIXES = (".local", ".internal", ".localhost")


def url_problem(url):
    """Why Capgo would refuse ``url`` as a webhook URL, or None.

    The rules of the live service (its public-URL check), syntactic only: https, a host that
    is not an IP literal, not ``localhost`` / ``*.localhost``, not a single label, and not
    under ``.local`` or ``.internal``.
    """
    text = url.strip()
    if not text or any(c.isspace() for c in text):
        return "it is not a URL"
    try:
        parts = urlsplit(text)
        host = parts.hostname
        if parts.port is not None and not 0 < parts.port < 65536:  # parts.port raises ValueError on a bad port
            return "it is not a URL (port %s)" % parts.port
    except ValueError as exc:
        return "it is not a URL (%s)" % exc
    if parts.scheme != "https":
        return "the scheme must be https, not %s" % (parts.scheme or "missing")
    if not host:
        return "it has no host"
    host = host.rstrip(".").lower()
    if is_ip_literal(host):
        return "the host %s is an IP address (Capgo wants a host name)" % host
    if host == "localhost" or host.endswith(".localhost"):
        return "the host %s is local" % host
    if "." not in host:
        return "the host %s is a single label, not a public host name" % host
    if host.endswith(NON_PUBLIC_SUFFIXES):
        return "the host %s is under %s, which is never public" % (
            host, [s for s in NON_PUBLIC_SUFFIXES if host.endswith(s)][0])
    return None


def is_ip_literal(host):
    """An IPv4/IPv6 address, also in the numeric forms URL parsers read as IPv4 (127.1, 0x7f.1, 2130706433)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    if re.match(r"^[0-9a-fx.]+$", host) and re.search(r"\d", host):
        try:
            socket.inet_aton(host)
            return True
        except (OSError, ValueError):
            return False
    return False


EVENTS = ["apps", "app_versions", "channels", "org_users", "orgs"]
# The webhook's managed options, each once (the request bodies name delivery_version deliveryVersion).
WEBHOOK_OPTIONS = (
    Option("name", dict(type="str", required=True), export=False),  # its identity
    Option("url", dict(type="str")),
    Option("events", dict(type="list", elements="str", choices=EVENTS)),
    Option("enabled", dict(type="bool"), new=True),
    Option("delivery_version", dict(type="str", choices=["legacy", "standard"]), send="deliveryVersion", new="legacy"),
)
# The webhook object.
WEBHOOK_FIELDS = (Field("id"), Field("org_id"), Field("created_at"), Field("updated_at"),
                  Field("created_by")) + WEBHOOK_OPTIONS


def webhook_from_api(data):
    """A webhook object (the signing ``secret`` only when the API sent it)."""
    state = from_api(WEBHOOK_FIELDS, data)
    if state["delivery_version"] is None and data.get("deliveryVersion") is not None:
        state["delivery_version"] = data.get("deliveryVersion")
    if data.get("secret") is not None:
        state["secret"] = data["secret"]
    return state


def list_webhooks(client, org_id, page_size=None):
    """Every webhook of organization ``org_id`` (API objects), all pages."""
    kwargs = {"page_size": page_size} if page_size else {}
    return client.iter_pages("/webhooks", params={"orgId": org_id}, **kwargs)


class Webhook(Resource):
    resource_key = "webhook"
    kind = "webhooks"
    scope_options = ("org_id",)
    identity_options = ("org_id", "name")
    errors = {
        "invalid_org_id": "organization {org_id} does not exist, or this API key cannot access it",
        "invalid_url": "Capgo refuses url {url}: it must be an https URL whose host is a public host name",
        "org_requires_expiring_key": "organization {org_id} requires API keys with an expiration date, and this "
                                     "key has none",
    }
    managed = managed_of(WEBHOOK_OPTIONS)
    export_options = exported_of(WEBHOOK_OPTIONS)
    unordered = ("events",)
    secret_fields = ("secret",)
    create_required = ("url", "events")
    create_defaults = create_defaults_of(WEBHOOK_OPTIONS)

    argument_spec = dict(
        org_id=dict(type="str", required=True),
        id=dict(type="str"),
        state=state_option(),
        **argument_spec_of(WEBHOOK_OPTIONS)
    )

    def setup(self):
        self.org_id = self.params["org_id"]
        self.name = self.params["name"]
        self.webhook_id = self.params["id"]

    @classmethod
    def item_id(cls, params):
        return params.get("name") or params.get("id")

    @classmethod
    def purge_options(cls, state, scope):
        return dict(org_id=scope["org_id"], name=state.get("name"), id=state.get("id"))

    def describe(self):
        return "webhook %s of organization %s" % (self.name, self.org_id)

    # -- input -----------------------------------------------------------

    def validate(self):
        self.require_filled("org_id", "name")
        if self.webhook_id is not None and not is_uuid(self.webhook_id):
            self.fail("id must be the UUID of a webhook, got %r" % self.webhook_id)
        events = self.params.get("events")
        if events is not None and not events:
            self.fail("events needs at least one event (%s)" % ", ".join(EVENTS))
        url = self.params.get("url")
        if url is not None:
            problem = url_problem(url)
            if problem:
                self.fail("url %r is refused by Capgo, which delivers only to https URLs of a public host name: %s"
                          % (url, problem))

    def normalize(self, key, value):
        if key == "events":
            return list(dict.fromkeys(value))
        if key == "url":
            return value.strip()
        return value

    # -- reading ---------------------------------------------------------

    def explain(self, err):
        if err.error == "no_permission":
            if "app-scoped" in (err.message or "").lower():
                return ("Capgo refuses API keys with app- or channel-scoped bindings for webhooks: use a key "
                        "whose bindings are all organization-scoped, or a dashboard session token")
            return ("this API key may not manage the webhooks of organization %s (it needs org.update_settings: "
                    "org_admin or org_super_admin)" % self.org_id)
        return super().explain(err)

    @classmethod
    def list_all(cls, op, scope):
        """Every webhook of organization ``scope["org_id"]``: GET /webhooks, all pages."""
        return [webhook_from_api(w) for w in list_webhooks(op.client, scope["org_id"])]

    def matches(self, state):
        if self.webhook_id:
            return (state.get("id") or "").lower() == self.webhook_id.lower()
        return state.get("name") == self.name

    def ambiguous(self, hits):
        return self.failure("%d webhooks of organization %s are named %s (ids %s): pass id to pick one"
                            % (len(hits), self.org_id, self.name, ", ".join(sorted(w.get("id") for w in hits))))

    def read(self):
        if self.webhook_id:
            data = self.get_or_none("/webhooks", ("webhook_not_found",),
                                    params={"orgId": self.org_id, "webhookId": self.webhook_id})
            return None if data is None else webhook_from_api(data)
        return find_one(self.list_all(self, {"org_id": self.org_id}), self.matches, self.ambiguous)

    # -- writing ---------------------------------------------------------

    def check_create(self, desired):
        if self.webhook_id:
            self.fail("webhook %s does not exist in organization %s, and a webhook cannot be created with a "
                      "given id (drop id to create one named %s)" % (self.webhook_id, self.org_id, self.name))
        super().check_create(desired)

    def predict_create(self, desired):
        after = super().predict_create(desired)
        after.update({"org_id": self.org_id, "name": self.name})
        return after

    def body(self, changes):
        body = {"orgId": self.org_id}
        body.update(to_api(WEBHOOK_FIELDS, changes))
        return body

    def create(self, desired):
        data = self.write("POST", "/webhooks", body=self.body(dict(desired, name=self.name))) or {}
        after = webhook_from_api(data.get("webhook") or {})
        if after.get("secret") is not None:
            self.reveal.add("secret")
        return after

    def update(self, before, changes):
        body = self.body(changes)
        body["webhookId"] = before["id"]
        data = self.write("PUT", "/webhooks", body=body) or {}
        if isinstance(data.get("webhook"), dict):
            return webhook_from_api(data["webhook"])
        return self.predict_update(before, changes)

    def delete(self, before):
        self.delete_gone_ok("/webhooks", ("webhook_not_found",), body={"orgId": self.org_id, "webhookId": before["id"]})
