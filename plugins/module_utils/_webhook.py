# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The webhook resource of capgo.cloud (module ``capgo_webhook``): its declaration and its special rules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from ansible_collections.capgo.cloud.plugins.module_utils._engine import Resource, is_uuid
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError
from ansible_collections.capgo.cloud.plugins.module_utils._resources import webhook_from_api


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
        _port = parts.port  # raises ValueError on a bad port
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
API_NAMES = {"name": "name", "url": "url", "events": "events", "enabled": "enabled",
             "delivery_version": "deliveryVersion"}


class Webhook(Resource):
    resource_key = "webhook"
    managed = ("name", "url", "events", "enabled", "delivery_version")
    unordered = ("events",)
    secret_fields = ("secret",)
    create_required = ("url", "events")
    create_defaults = {"enabled": True, "delivery_version": "legacy"}

    argument_spec = dict(
        org_id=dict(type="str", required=True),
        name=dict(type="str", required=True),
        id=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        url=dict(type="str"),
        events=dict(type="list", elements="str", choices=EVENTS),
        enabled=dict(type="bool"),
        delivery_version=dict(type="str", choices=["legacy", "standard"]),
    )

    def setup(self):
        self.org_id = self.params["org_id"]
        self.name = self.params["name"]
        self.webhook_id = self.params["id"]

    def describe(self):
        return "webhook %s of organization %s" % (self.name, self.org_id)

    # -- input -----------------------------------------------------------

    def validate(self):
        if not self.org_id:
            self.fail("org_id must not be empty")
        if not self.name:
            self.fail("name must not be empty")
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
        if err.error == "invalid_org_id":
            return "organization %s does not exist, or this API key cannot access it" % self.org_id
        if err.error == "invalid_url":
            return ("Capgo refuses url %s: it must be an https URL whose host is a public host name"
                    % self.params.get("url"))
        if err.error == "org_requires_expiring_key":
            return ("organization %s requires API keys with an expiration date, and this key has none"
                    % self.org_id)
        return super(Webhook, self).explain(err)

    def read(self):
        if self.webhook_id:
            try:
                data = self.api("GET", "/webhooks", params={"orgId": self.org_id, "webhookId": self.webhook_id})
            except CapgoAPIError as err:
                if err.error == "webhook_not_found":
                    return None
                raise
            return webhook_from_api(data)
        found = [w for w in self.client.iter_pages("/webhooks", params={"orgId": self.org_id})
                 if w.get("name") == self.name]
        if len(found) > 1:
            self.fail("%d webhooks of organization %s are named %s (ids %s): pass id to pick one"
                      % (len(found), self.org_id, self.name, ", ".join(sorted(w.get("id") for w in found))))
        return webhook_from_api(found[0]) if found else None

    # -- writing ---------------------------------------------------------

    def check_create(self, desired):
        if self.webhook_id:
            self.fail("webhook %s does not exist in organization %s, and a webhook cannot be created with a "
                      "given id (drop id to create one named %s)" % (self.webhook_id, self.org_id, self.name))
        super(Webhook, self).check_create(desired)

    def predict_create(self, desired):
        after = super(Webhook, self).predict_create(desired)
        after.update({"org_id": self.org_id, "name": self.name})
        return after

    def body(self, changes):
        body = {"orgId": self.org_id}
        for key, api in API_NAMES.items():
            if key in changes:
                body[api] = changes[key]
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
