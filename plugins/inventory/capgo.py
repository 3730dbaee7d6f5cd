# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
name: capgo
short_description: Capgo Cloud apps as inventory hosts
version_added: 0.2.0
author:
  - capgo.cloud contributors (@capgo)
description:
  - One host per Capgo app the API key can see; the host name is the app id.
  - So that C(--limit), forks, AWX inventories and AWX job slicing work on a Capgo estate, each
    host runs locally (C(ansible_connection=local)) with the Python that runs Ansible, and its
    host vars name the app.
  - Reads one listing per kind and scope, through the same code as M(capgo.cloud.capgo_info), that is
    C(GET /app) (once, or once per organization of O(org_ids)), then per app C(GET /channel)
    and, when O(include) names them, C(GET /bundle); the per-app listings run O(parallel) at a time.
  - "Host vars: C(capgo_app) (the app as M(capgo.cloud.capgo_app) returns it), C(capgo_org_id),
    C(capgo_channels) (each channel as M(capgo.cloud.capgo_channel) returns it) and C(capgo_bundles)
    (each bundle as M(capgo.cloud.capgo_bundle) returns it) when O(include) names them,
    C(ansible_connection) and C(ansible_python_interpreter)."
  - "Groups: C(capgo) (every app) and one per organization, C(capgo_org_) followed by the
    organization's id with underscores (C(capgo_org_046a36ac_e03c_4590_9257_bd6c9dba9ee8))."
  - The configuration file's name must end in C(capgo.yml) or C(capgo.yaml).
  - The API key is never written to the inventory, the cache or an error message.
extends_documentation_fragment:
  - capgo.cloud.capgo
  - capgo.cloud.capgo.PLUGIN
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; it marks the file as a configuration of this plugin.
    type: str
    required: true
    choices:
      - capgo.cloud.capgo
  api_key:
    required: false
  org_ids:
    description:
      - Only the apps of these organizations (their ids).
      - Apps are then listed once per organization.
    type: list
    elements: str
    default: []
  app_ids:
    description:
      - Only these apps (their app ids).
    type: list
    elements: str
    default: []
  include:
    description:
      - What to read per app besides the app itself, one listing per kind and app.
      - V(channels) sets the host var C(capgo_channels), V(bundles) the host var C(capgo_bundles).
      - V([]) reads the apps only (one request, or one per organization of O(org_ids)).
    type: list
    elements: str
    choices:
      - channels
      - bundles
    default:
      - channels
  parallel:
    description:
      - How many listings run at a time (the apps of several organizations, the channels and
        bundles of several apps).
      - They share one HTTP session and its retries; a C(429) with C(Retry-After) pauses every
        listing of the pool, not only the one that got it.
      - V(1) reads one listing after the other.
    type: int
    default: 4
"""

EXAMPLES = r"""
# capgo.yml: every app the key (CAPGO_API_KEY) can see, with its channels
plugin: capgo.cloud.capgo

---
# capgo.yml: the apps of one organization, with their bundles too, grouped by the
# bundle the production channel serves (group bundle_1_2_0, say)
plugin: capgo.cloud.capgo
org_ids:
  - 046a36ac-e03c-4590-9257-bd6c9dba9ee8
include: [channels, bundles]
keyed_groups:
  - key: capgo_channels | selectattr('channel', 'equalto', 'production') | map(attribute='bundle') | first | default('none')
    prefix: bundle
compose:
  capgo_app_name: capgo_app.name
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/capgo-inventory
cache_timeout: 600

# Then, one release per app of the organization, five at a time:
#   ansible-playbook -i capgo.yml -f 5 capgo.cloud.release --limit capgo_org_046a36ac_e03c_4590_9257_bd6c9dba9ee8
"""

import hashlib
import json
import sys

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.capgo.cloud.plugins.module_utils._client import (
    CONNECTION_OPTIONS,
    HAS_REQUESTS,
    client_from_options,
    connection_problems,
)
from ansible_collections.capgo.cloud.plugins.module_utils._engine import Engine, Failure
from ansible_collections.capgo.cloud.plugins.module_utils._inventory import Estate, org_group

FILTERS = ("org_ids", "app_ids", "include", "parallel")


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "capgo.cloud.capgo"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("capgo.yml", "capgo.yaml"))

    def fail(self, msg):
        raise AnsibleParserError("capgo.cloud.capgo: %s" % msg)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path)
        config = self._read_config_data(path) or {}
        unknown = sorted(k for k in config if k not in self._options)
        if unknown:
            self.fail("%s: unknown option%s %s" % (path, "s" if len(unknown) > 1 else "", ", ".join(unknown)))
        params = {k: self.get_option(k) for k in CONNECTION_OPTIONS + FILTERS}
        if not HAS_REQUESTS:
            self.fail("the Python library requests is needed on the controller (pip install requests)")
        problem = connection_problems(params)
        if problem:
            self.fail(problem)

        cache_key = self.cache_key(path, params)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        apps = None
        if use_cache:
            try:
                apps = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if apps is None:
            apps = self.read(params)
        if update_cache:
            self._cache[cache_key] = apps
        self.inventory.add_group("capgo")
        for entry in apps:
            self.add_app(entry)

    def cache_key(self, path, params):
        """The file's cache key, and a digest of what the answer depends on (not the key itself)."""
        what = {k: params[k] for k in ("api_url", "org_ids", "app_ids", "include")}
        digest = hashlib.sha256(json.dumps([what, params["api_key"]], sort_keys=True).encode("utf-8"))
        return "%s_%s" % (self.get_cache_key(path), digest.hexdigest()[:16])

    def read(self, params):
        client = client_from_options(params, user_agent_extra="inventory")
        engine = Engine(client)
        client.warn = self.display.warning
        try:
            result = engine.run(Estate, params)
        except Failure as failure:
            self.fail(failure.msg)
        return result["apps"]

    def add_app(self, entry):
        app = entry["app"]
        host = self.inventory.add_host(app["app_id"], group="capgo")
        org_id = app.get("owner_org")
        hostvars = {
            "capgo_app": app,
            "capgo_org_id": org_id,
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
        }
        for kind in ("channels", "bundles"):
            if kind in entry:
                hostvars["capgo_%s" % kind] = entry[kind]
        for key, value in hostvars.items():
            self.inventory.set_variable(host, key, value)
        if org_id:
            group = self.inventory.add_group(org_group(org_id))
            self.inventory.add_child(group, host)
        strict = self.get_option("strict")
        self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)
