#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from ansible_collections.capgo.cloud.plugins.module_utils._base import CapgoResource, is_uuid
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


class Webhook(CapgoResource):
    resource_key = "webhook"
    managed = ("name", "url", "events", "enabled", "delivery_version")
    unordered = ("events",)
    secret_fields = ("secret",)
    create_required = ("url", "events")
    create_defaults = {"enabled": True, "delivery_version": "legacy"}

    def __init__(self):
        super(Webhook, self).__init__(
            argument_spec=dict(
                org_id=dict(type="str", required=True),
                name=dict(type="str", required=True),
                id=dict(type="str"),
                state=dict(type="str", default="present", choices=["present", "absent"]),
                url=dict(type="str"),
                events=dict(type="list", elements="str", choices=EVENTS),
                enabled=dict(type="bool"),
                delivery_version=dict(type="str", choices=["legacy", "standard"]),
            ),
        )
        self.org_id = self.params["org_id"]
        self.name = self.params["name"]
        self.webhook_id = self.params["id"]

    def describe(self):
        return "webhook %s of organization %s" % (self.name, self.org_id)

    # -- input -----------------------------------------------------------

    def validate(self):
        if not self.org_id:
            self.fail("org_id must not be empty")
        if not self.name.strip():
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


def main():
    Webhook().run()


if __name__ == "__main__":
    main()
