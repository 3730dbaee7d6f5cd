# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate the inventory plugin ``capgo.cloud.capgo`` shows: one entry per app, with its channels
and bundles, read through the declarations' listings (the ones ``capgo_info`` and
``capgo_environment`` use), one listing per kind and scope, the per-app ones in a bounded pool.

No Ansible import: the plugin (plugins/inventory/capgo.py) turns these entries into hosts.

Private to the collection (the leading underscore): no compatibility promise.
"""


import re

from ansible_collections.capgo.cloud.plugins.module_utils._app import App, app_from_api, list_apps
from ansible_collections.capgo.cloud.plugins.module_utils._bundle import Bundle
from ansible_collections.capgo.cloud.plugins.module_utils._channel import Channel
from ansible_collections.capgo.cloud.plugins.module_utils._engine import Operation, in_pool, is_app_id, is_uuid

INCLUDE = ("channels", "bundles")
# What each included kind lists, per app: the declaration whose ``list_all`` reads it.
DECLARATIONS = {"channels": Channel, "bundles": Bundle}
DEFAULT_PARALLEL = 4


def org_group(org_id):
    """The group of an organization's apps: ``capgo_org_`` and the id with underscores."""
    return "capgo_org_%s" % re.sub(r"[^A-Za-z0-9_]", "_", "%s" % org_id)


def public(declaration, state):
    """A listed state as its module returns it: the declaration's secret fields removed."""
    return {k: v for k, v in state.items() if k not in declaration.secret_fields}


class Estate(Operation):
    """Read the apps the key can see (filtered by ``org_ids`` and ``app_ids``) and, per app,
    the kinds of ``include``; the result's ``apps`` is a list of
    ``{"app": state, "channels": [...], "bundles": [...]}``, sorted by app id."""

    resource_key = "inventory"
    checked_identifiers = ()

    def setup(self):
        self.org_ids = list(self.params.get("org_ids") or [])
        self.app_ids = list(self.params.get("app_ids") or [])
        self.include = list(self.params.get("include") or [])
        self.parallel = self.params.get("parallel")
        if self.parallel is None:
            self.parallel = DEFAULT_PARALLEL

    def describe(self):
        return "the inventory"

    def validate(self):
        for org_id in self.org_ids:
            if not is_uuid(org_id):
                self.fail("org_ids must hold organization ids (UUIDs), got %r" % (org_id,))
        for app_id in self.app_ids:
            if not is_app_id(app_id):
                self.fail("app_ids must hold app ids (reverse-domain, like com.example.app), got %r" % (app_id,))
        unknown = [k for k in self.include if k not in INCLUDE]
        if unknown:
            self.fail("include must name kinds among %s, got %s" % (", ".join(INCLUDE), ", ".join(unknown)))
        if isinstance(self.parallel, bool) or not isinstance(self.parallel, int) or self.parallel < 1:
            self.fail("parallel must be at least 1, got %r" % (self.parallel,))

    def list_apps(self):
        """The apps: one GET /app listing, or one per organization of ``org_ids`` (in the pool)."""
        if not self.org_ids:
            apps = App.list_all(self, {})
        else:
            def of_org(org_id):
                return [app_from_api(a) for a in list_apps(self.client, org_id) if isinstance(a, dict)]
            apps = [a for listed in in_pool(of_org, self.org_ids, self.parallel) for a in listed]
            apps = [a for a in apps if a.get("owner_org") in self.org_ids]
        if self.app_ids:
            apps = [a for a in apps if a.get("app_id") in self.app_ids]
        unique = {}
        for app in apps:
            unique.setdefault(app.get("app_id"), app)
        return [unique[k] for k in sorted(unique, key=lambda k: "%s" % k) if k]

    def execute(self):
        apps = self.list_apps()
        scopes = [(kind, app["app_id"]) for app in apps for kind in INCLUDE if kind in self.include]

        def listing(scope):
            kind, app_id = scope
            declaration = DECLARATIONS[kind]
            return [public(declaration, s) for s in declaration.list_all(self, {"app_id": app_id}) or []]

        listed = dict(zip(scopes, in_pool(listing, scopes, self.parallel)))
        out = []
        for app in apps:
            entry = {"app": public(App, app)}
            for kind in INCLUDE:
                if kind in self.include:
                    entry[kind] = listed[(kind, app["app_id"])]
            out.append(entry)
        self.result["apps"] = out
