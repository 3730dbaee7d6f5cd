# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A whole Capgo environment converged in one run, through the resource declarations.

``Environment(engine, items, ...)`` takes validated items (the options of the single modules,
with the ids the nesting supplies) and runs them in dependency order: organization → apps →
bundles → channels → devices, members, webhooks → apikeys; removals (``state: absent``,
``purge``, ``keep_bundles``) afterwards in reverse. Independent items of one level run
concurrently (``parallel``). Every item runs through its declaration's own cycle (the same code
as its module) with ``Engine.prefer_listings``, so a kind is read once per scope.

Errors are values: a failed item is reported as one line, and the items that do not depend on
it still converge. Check mode runs the same code without writes: a plan with the same
``changes`` as a real run.

No Ansible imports. Private to the collection: no compatibility promise.
"""

import copy
import json
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.capgo.cloud.plugins.module_utils._apikey import ApiKey
from ansible_collections.capgo.cloud.plugins.module_utils._app import App
from ansible_collections.capgo.cloud.plugins.module_utils._bundle import Bundle
from ansible_collections.capgo.cloud.plugins.module_utils._channel import Channel
from ansible_collections.capgo.cloud.plugins.module_utils._client import CONNECTION_OPTIONS, CapgoAPIError
from ansible_collections.capgo.cloud.plugins.module_utils._device import Device
from ansible_collections.capgo.cloud.plugins.module_utils._engine import Failure, in_pool
from ansible_collections.capgo.cloud.plugins.module_utils._member import Member
from ansible_collections.capgo.cloud.plugins.module_utils._organization import Organization
from ansible_collections.capgo.cloud.plugins.module_utils._webhook import Webhook

# The declaration of each kind (its section's name).
KINDS = {
    "organization": Organization,
    "apps": App,
    "bundles": Bundle,
    "channels": Channel,
    "devices": Device,
    "members": Member,
    "webhooks": Webhook,
    "apikeys": ApiKey,
}
ORDER = ("organization", "apps", "bundles", "channels", "devices", "members", "webhooks", "apikeys")
# Levels of the forward pass: the items of one level do not depend on each other.
LEVELS = (("apps",), ("bundles",), ("channels",), ("devices", "members", "webhooks"), ("apikeys",))
PURGEABLE = ("members", "webhooks", "apikeys", "apps", "channels", "devices")
# Keys of an app item that are not options of capgo_app: its sections, and its bundles' cleanup.
APP_SECTIONS = ("channels", "bundles", "devices", "keep_bundles")
# A placeholder id for what check mode predicts will be created (it has no id yet).
PREDICTED_ID = "00000000-0000-4000-8000-000000000000"

# capgo_environment's options beside the connection options (``env``: the environment variables
# the adapter reads as a fallback).
ARGUMENT_SPEC = dict(
    organization=dict(type="dict"),
    src=dict(type="path"),
    members=dict(type="list", elements="dict", default=[]),
    webhooks=dict(type="list", elements="dict", default=[]),
    apikeys=dict(type="list", elements="dict", default=[], no_log=False),
    apps=dict(type="list", elements="dict", default=[]),
    purge=dict(type="list", elements="str", default=[], choices=list(PURGEABLE)),
    parallel=dict(type="int", default=4),
    session_token=dict(type="str", no_log=True, env=["CAPGO_SESSION_TOKEN"]),
)


# The sections a declaration file (``src``) may hold, and the type of each.
FILE_SECTIONS = (("organization", dict), ("members", list), ("webhooks", list), ("apikeys", list), ("apps", list))


def load_declaration(path):
    """The declaration in the file ``path`` (JSON, or YAML when PyYAML is there): ``(sections, None)``,
    or ``(None, the error line)``."""
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return None, "src %s: cannot read it (%s)" % (path, getattr(err, "strerror", None) or err)
    try:
        data = json.loads(text)
    except ValueError:
        try:
            import yaml
        except ImportError:
            return None, "src %s: not JSON, and reading YAML needs the Python library PyYAML" % path
        try:
            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as err:  # where, not the text there: the file may hold secrets
            mark = getattr(err, "problem_mark", None)
            where = " at line %d, column %d" % (mark.line + 1, mark.column + 1) if mark is not None else ""
            problem = getattr(err, "problem", None) or type(err).__name__
            return None, "src %s: neither JSON nor YAML (%s%s)" % (path, problem, where)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, "src %s: must hold a dict of sections (%s), got %s" % (
            path, ", ".join(k for k, _t in FILE_SECTIONS), type(data).__name__)
    unknown = sorted("%s" % k for k in data if k not in dict(FILE_SECTIONS))
    if unknown:
        return None, "src %s: unknown sections %s (known: %s)" % (
            path, ", ".join(unknown), ", ".join(k for k, _t in FILE_SECTIONS))
    for name, kind in FILE_SECTIONS:
        if data.get(name) is not None and not isinstance(data[name], kind):
            return None, "src %s: %s must be a %s, got %s" % (path, name, kind.__name__, type(data[name]).__name__)
    return data, None


def merged_declaration(params, sections):
    """The module's options with a declaration file's ``sections`` after them: lists concatenated per kind,
    the organization's options merged key by key (the file's win)."""
    out = dict(params)
    if sections.get("organization") is not None:
        out["organization"] = dict(params.get("organization") or {})
        out["organization"].update(sections["organization"])
    for name, kind in FILE_SECTIONS:
        if kind is list and sections.get(name):
            out[name] = list(params.get(name) or []) + list(sections[name])
    return out


def declared_items(params, validate):
    """The module's options as items: ``(organization, {kind: [params]}, error lines)``.

    ``validate(declaration, item, supplied, where)`` validates one item's options as its module
    does (``supplied``: the ids the nesting gives) and returns ``(params, error lines)``.
    """
    errors = []
    if params["parallel"] < 1:
        errors.append("parallel must be at least 1, got %d" % params["parallel"])
    sections = {k: [] for k in KINDS if k != "organization"}

    def add(kind, item, supplied, where):
        validated, problems = validate(KINDS[kind], item, supplied, where)
        errors.extend(problems)
        if not problems:
            sections[kind].append(validated)

    organization, problems = validate(KINDS["organization"], params["organization"], {}, "organization")
    errors.extend(problems)
    for kind in ("members", "webhooks"):
        for n, item in enumerate(params[kind]):
            add(kind, item, {"org_id": PREDICTED_ID}, "%s[%d]" % (kind, n))
    for n, item in enumerate(params["apikeys"]):
        # Capgo creates keys and changes bindings for a session only; lookups take the API key.
        add("apikeys", item, {"session_token": params["session_token"]}, "apikeys[%d]" % n)
    for n, app in enumerate(params["apps"]):
        where = "apps[%d]" % n
        if not isinstance(app, dict):
            errors.append("%s: must be a dict of options, got %r" % (where, app))
            continue
        add("apps", {k: v for k, v in app.items() if k not in APP_SECTIONS}, {}, where)
        app_id = app.get("app_id")
        for kind in APP_SECTIONS:
            for m, item in enumerate(app.get(kind) or [] if kind in KINDS else []):
                add(kind, item, {"app_id": app_id}, "%s.%s[%d]" % (where, kind, m))
        if app.get("keep_bundles") is not None:
            add("bundles", {"state": "absent", "keep": app["keep_bundles"]}, {"app_id": app_id},
                "%s.keep_bundles" % where)
    return organization, sections, errors


class Item:
    """One declared (or purged) resource of the environment and what became of it."""

    def __init__(self, kind, params, parent=None, purged=False):
        self.kind = kind
        self.params = params
        self.parent = parent  # the Item it depends on (its app, or the organization)
        self.purged = purged
        self.declaration = KINDS[kind].operation_for(params)
        self.id = self.declaration.item_id(params)
        self.resource = None
        self.result = None
        self.error = None

    @property
    def absent(self):
        return self.params.get("state") == "absent"

    @property
    def failed(self):
        return self.error is not None


class Environment:
    """Plan and apply many resources in one run."""

    def __init__(self, engine, organization, sections, purge=(), parallel=4):
        self.engine = engine
        self.engine.prefer_listings = True
        self.parallel = max(1, int(parallel or 1))
        self.purge = tuple(purge or ())
        self.org = Item("organization", organization)
        self.items = []  # forward items, in declaration order
        for kind in ("apps", "members", "webhooks", "apikeys"):
            for params in sections.get(kind) or ():
                self.items.append(Item(kind, params, self.org))
        self.app_items = {i.params["app_id"]: i for i in self.items if i.kind == "apps"}
        for kind in APP_SECTIONS:
            for params in sections.get(kind) or ():
                self.items.append(Item(kind, params, self.app_items.get(params.get("app_id"))))
        self.purged = []
        self.unknown_caller_warned = set()
        self.changes = []
        self.secrets = {}

    # -- checks before any request ---------------------------------------

    def validate_all(self):
        """Every item's own checks (those of its module), before the first request: failure lines."""
        lines = []
        for item in [self.org] + self.items:
            try:
                item.declaration(self.engine, item.params).validate_all()
            except Failure as failure:
                lines.append("%s %s: %s" % (item.kind, item.id, failure.msg))
        return lines

    # -- running ---------------------------------------------------------

    def run_item(self, item, known_absent=False):
        """Converge one item through its declaration; errors become the item's ``error``."""
        if item.parent is not None and item.parent.failed:
            item.error = "not attempted: %s %s failed" % (item.parent.kind, item.parent.id)
            return item
        try:
            resource = item.declaration(self.engine, item.params)
            resource.known_absent = known_absent
            if hasattr(resource, "in_use_names"):
                resource.in_use_names = self.served_bundles(item.params["app_id"])
            item.resource = resource
            item.result = resource.run()
        except Failure as failure:
            item.error = failure.msg
            item.result = failure.result
        except CapgoAPIError as err:  # pragma: no cover - resources turn these into failures
            item.error = str(err)
        self.record(item)
        return item

    def run_level(self, items):
        items = list(items)
        if not items:
            return
        # The listings of the level's scopes first, in the pool (not one scope after the other).
        self.engine.prefetch([p for p in (self.probe(i) for i in items) if p is not None], self.parallel)
        if self.parallel == 1 or len(items) == 1:
            for item in items:
                self.run_item(item, self.predicted_parent(item))
            return
        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            list(pool.map(lambda i: self.run_item(i, self.predicted_parent(i)), items))

    def probe(self, item):
        """The resource of an item that will look itself up, for ``Engine.prefetch`` (else None)."""
        if (item.parent is not None and item.parent.failed) or self.predicted_parent(item):
            return None
        try:
            return KINDS[item.kind](self.engine, item.params)
        except Failure:
            return None

    def predicted_parent(self, item):
        """True when the item's parent is only predicted (check mode): the item cannot exist yet."""
        parent = item.parent
        if parent is None or not self.engine.check_mode or parent.resource is None:
            return False
        return parent.resource.before is None and bool((parent.result or {}).get("changed"))

    def apply(self):
        self.run_item(self.org)
        if self.org.failed:
            return self.finish()
        org_id = self.org_id()
        for item in self.items:
            if item.kind in ("apps",) and not item.params.get("owner_org"):
                item.params["owner_org"] = org_id
            if item.kind in ("members", "webhooks"):
                item.params["org_id"] = org_id
        position = {k: n for n, k in enumerate(ORDER)}
        present = sorted((i for i in self.items if not i.absent), key=lambda i: position[i.kind])
        for level in LEVELS:
            batch = [i for i in present if i.kind in level]
            # A channel promoted from another one waits for the others of its app.
            first = [i for i in batch if not (i.kind == "channels" and i.params.get("promote_from"))]
            self.run_level(first)
            self.run_level([i for i in batch if i not in first])
        self.purged = self.purge_items()
        removals = [i for i in self.items if i.absent] + self.purged
        for level in reversed(LEVELS):
            self.run_level([i for i in removals if i.kind in level])
        return self.finish()

    def org_id(self):
        state = (self.org.result or {}).get("organization") or {}
        return state.get("org_id") or state.get("id") or self.org.params.get("org_id") or PREDICTED_ID

    # -- served bundles --------------------------------------------------

    def served_bundles(self, app_id):
        """Names of the bundles the declared channels of ``app_id`` serve or roll out (kept by keep_bundles)."""
        names = set()
        for item in self.items:
            if item.kind != "channels" or item.params.get("app_id") != app_id or item.absent:
                continue
            state = (item.result or {}).get("channel") or {}
            for name in (state.get("bundle"), (state.get("rollout") or {}).get("bundle"),
                         item.params.get("bundle"), (item.params.get("rollout") or {}).get("bundle")):
                if name:
                    names.add(name)
        return names

    # -- purge -----------------------------------------------------------

    def purge_items(self):
        """Items that delete what exists in scope but is not declared (``purge``)."""
        out = []
        if not self.purge:
            return out
        org_id = self.org_id()
        if org_id == PREDICTED_ID:
            return out  # a new organization holds nothing to purge
        declared = {(i.kind, i.id) for i in self.items}
        base = {k: v for k, v in self.org.params.items() if k in CONNECTION_OPTIONS}
        self.engine.prefetch([KINDS[kind](self.engine, KINDS[kind].with_defaults(dict(base, **scope_params)))
                              for kind in PURGEABLE if kind in self.purge
                              for scope_params, _parent in self.purge_scopes(kind, org_id)], self.parallel)
        for kind in PURGEABLE:
            if kind not in self.purge:
                continue
            declaration = KINDS[kind]
            for scope_params, parent in self.purge_scopes(kind, org_id):
                probe = declaration(self.engine, declaration.with_defaults(dict(base, **scope_params)))
                scope = {o: scope_params.get(o) for o in declaration.scope_options}
                key = (kind,) + tuple(scope[o] for o in declaration.scope_options)
                states = self.engine.listing(key, lambda p=probe, s=scope: type(p).list_all(p, s)) or []
                for state in states:
                    options = declaration.purge_options(state, scope_params)
                    if options is None:
                        continue
                    item = Item(kind, declaration.with_defaults(dict(base, state="absent", **options)), parent,
                                purged=True)
                    if (kind, item.id) in declared or self.protected(kind, state):
                        continue
                    out.append(item)
        return out

    def purge_scopes(self, kind, org_id):
        """(scope options, parent item) of each scope purged: every declared app, or the organization."""
        if "app_id" in KINDS[kind].scope_options:
            return [({"app_id": i.params["app_id"]}, i) for i in self.items
                    if i.kind == "apps" and not i.absent]
        return [({"org_id": org_id, "owner_org": org_id}, self.org)]

    def protected(self, kind, state):
        """What purge never removes: the caller's own key and membership, the last super admin."""
        if kind not in ("apikeys", "members"):
            return False
        caller = self.caller()
        if caller is None and kind in ("apikeys", "members") and kind not in self.unknown_caller_warned:
            self.unknown_caller_warned.add(kind)
            self.engine.warn("purge of %s skipped: Capgo does not tell which API key and user this run uses "
                             "(api_key is a session token, or a hashed key), so none is removed" % kind)
        if kind == "apikeys":
            return caller is None or state.get("id") == caller.get("id")
        if kind == "members":
            if caller is None or state.get("uid") == caller.get("user_id"):
                return True
            if state.get("role") == "org_super_admin" and not state.get("pending"):
                return True  # kept: removing a super admin is never done by purge (the last one least of all)
        return False

    def caller(self):
        """The API key this run uses (``id``, ``user_id``), or None when Capgo does not say.

        Capgo tells it only to ``GET /apikey/<the key itself>``: the key goes into a URL path, which
        proxies and CDNs may log. So it is asked once, and only when a purge of API keys or members
        needs it (documented in capgo_environment's ``purge`` and the environments guide).
        """
        if not hasattr(self, "_caller"):
            self._caller = None
            try:
                data = self.engine.client.request("GET", "/apikey/%s" % self.engine.client.api_key)
                if isinstance(data, dict):
                    self._caller = data
            except CapgoAPIError:
                self._caller = None
        return self._caller

    # -- results ---------------------------------------------------------

    def record(self, item):
        """The item's changes and the secrets it created."""
        if item.resource is None:
            return
        for value in item.resource.revealed_secrets().values():
            self.secrets["%s/%s" % (item.kind, item.id)] = value
        for change in item.resource.changes(item.id, item.result or {}):
            self.add_change(change)

    def add_change(self, change):
        with self.engine.lock:
            self.changes.append(change)

    def failures(self):
        """One line per failed item (kind, identity, the error), in the order of the kinds."""
        position = {k: n for n, k in enumerate(ORDER)}
        failed = [i for i in [self.org] + self.items + self.purged if i.failed]
        return ["%s %s: %s" % (i.kind, i.id, i.error) for i in sorted(failed, key=lambda i: position[i.kind])]

    def finish(self):
        position = {k: n for n, k in enumerate(ORDER)}
        self.changes.sort(key=lambda c: (c["action"] == "delete", position[c["kind"]], c["id"]))
        summary = {k: {"create": 0, "update": 0, "delete": 0} for k in ORDER}
        for change in self.changes:
            summary[change["kind"]][change["action"]] += 1
        diffs = [{"before_header": "%s %s" % (c["kind"], c["id"]), "after_header": "%s %s" % (c["kind"], c["id"]),
                  "before": c["before"], "after": c["after"]} for c in self.changes]
        return {
            "changed": bool(self.changes),
            "changes": self.changes,
            "summary": summary,
            "environment": self.state(),
            "secrets": self.secrets,
            "diff": diffs,
        }

    def state(self):
        """The state after the run (predicted in check mode), per kind, in the modules' language."""
        out = {"organization": self.public(self.org)}
        for kind in ORDER[1:]:
            out[kind] = [s for s in (self.public(i) for i in self.items if i.kind == kind and not i.absent) if s]
        return out

    @staticmethod
    def public(item):
        if item.resource is None:
            return {}
        return item.resource.environment_view()


# -- export ------------------------------------------------------------------------

# kind: the identity options of an exported item (beside them: its declaration's ``export_options``).
EXPORT_IDENTITY = {
    "organization": ("org_id",),
    "members": ("email",),
    "webhooks": ("name",),
    "apikeys": ("name",),
    "apps": ("app_id",),
    "bundles": ("version",),
    "channels": ("channel",),
    "devices": ("device_id",),
}


def exported(kind, state):
    """One listed state as a declaration item: identity, then the exported options that have a value."""
    item = {k: state.get(k) for k in EXPORT_IDENTITY[kind]}
    for key in KINDS[kind].export_options:
        value = state.get(key)
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None} or None
        if value is not None:
            item[key] = copy.deepcopy(value)
    return item


def export(op, org_id, app_id=None, parallel=1):
    """The estate of organization ``org_id`` as a declaration ``capgo_environment`` accepts unchanged.

    ``op`` is the operation asking (its engine and connection options are used). With
    ``app_id``, only that app (and its channels, bundles and devices) is exported. The listings
    of independent scopes run ``parallel`` at a time.
    """
    engine = op.engine
    engine.prefer_listings = True
    base = {k: op.params.get(k) for k in CONNECTION_OPTIONS}

    def listing(kind, **scope):
        declaration = KINDS[kind]
        probe = declaration(engine, declaration.with_defaults(dict(base, **scope)))
        return declaration.list_all(probe, scope) or []

    org = KINDS["organization"](engine, dict(base, org_id=org_id, name=None, state="present"))
    state = org.read()
    if state is None:
        op.fail("organization %s does not exist, or this API key cannot read it" % org_id)
    out = {"organization": exported("organization", state)}
    org_kinds = ("members", "webhooks", "apikeys", "apps")
    org_scope = {"members": "org_id", "webhooks": "org_id", "apikeys": "org_id", "apps": "owner_org"}
    listed = dict(zip(org_kinds, in_pool(lambda kind: listing(kind, **{org_scope[kind]: org_id}),
                                         org_kinds, parallel)))
    for kind in ("members", "webhooks", "apikeys"):
        out[kind] = [exported(kind, s) for s in listed[kind]]
    apps = [s for s in listed["apps"] if s.get("owner_org") == org_id]
    if app_id is not None:
        apps = [s for s in apps if s.get("app_id") == app_id]
    scopes = [(kind, app["app_id"]) for app in apps for kind in ("bundles", "channels", "devices")]
    per_app = dict(zip(scopes, in_pool(lambda s: listing(s[0], app_id=s[1]), scopes, parallel)))
    out["apps"] = []
    for app in apps:
        item = exported("apps", app)
        item["bundles"] = [exported("bundles", s) for s in per_app[("bundles", app["app_id"])]]
        item["channels"] = [exported("channels", s) for s in per_app[("channels", app["app_id"])]]
        item["devices"] = [exported("devices", s) for s in per_app[("devices", app["app_id"])] if s.get("channel")]
        out["apps"].append(item)
    return out
