# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The info resource of capgo.cloud (module ``capgo_info``): its declaration and its special rules."""

import datetime
import os
import re

from ansible_collections.capgo.cloud.plugins.module_utils._engine import INVALID_APP_ID, Operation
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError
from ansible_collections.capgo.cloud.plugins.module_utils._apikey import ApiKey
from ansible_collections.capgo.cloud.plugins.module_utils._app import APP_PAGE_SIZE, app_from_api, list_apps
from ansible_collections.capgo.cloud.plugins.module_utils._bundle import bundle_from_api, list_bundle_rows
from ansible_collections.capgo.cloud.plugins.module_utils._channel import (
    AUTO_PAUSE_STATUS_API,
    channel_bundle_ids,
    channel_from_api,
    list_channels,
)
from ansible_collections.capgo.cloud.plugins.module_utils._device import DEVICE_PAGE_SIZE, device_from_api, list_devices
from ansible_collections.capgo.cloud.plugins.module_utils._member import member_rows
from ansible_collections.capgo.cloud.plugins.module_utils._native import NativeError, compare, read_project, record_problem
from ansible_collections.capgo.cloud.plugins.module_utils._organization import list_organizations, organization_from_api
from ansible_collections.capgo.cloud.plugins.module_utils._svgchart import render_chart, write_if_changed
from ansible_collections.capgo.cloud.plugins.module_utils._time import parse_time
from ansible_collections.capgo.cloud.plugins.module_utils._webhook import list_webhooks, webhook_from_api

RESOURCES = ("organizations", "members", "apikeys", "apps", "channels", "devices", "bundles", "webhooks",
             "statistics", "environment", "compatibility")
FILTERS = ("org_id", "app_id", "channel", "device_id", "version", "updated_since", "limit")
STATS_OPTIONS = ("scope", "from", "to", "graph", "dest")
# The filters each resource accepts; the first set are required.
ACCEPTS = {
    "organizations": ((), ("org_id", "updated_since", "limit")),
    "members": (("org_id",), ("org_id", "limit")),
    "apikeys": ((), ("updated_since", "limit")),
    "apps": ((), ("org_id", "app_id", "updated_since", "limit")),
    "channels": (("app_id",), ("app_id", "channel", "version", "updated_since", "limit")),
    "devices": (("app_id",), ("app_id", "device_id", "channel", "version", "updated_since", "limit")),
    "bundles": (("app_id",), ("app_id", "channel", "version", "updated_since", "limit")),
    "webhooks": (("org_id",), ("org_id", "updated_since", "limit")),
    "statistics": ((), ("org_id", "app_id")),
    "environment": (("org_id",), ("org_id", "app_id")),
    "compatibility": (("app_id", "channel"), ("app_id", "channel", "version")),
}
PAGE_SIZE = 50
STATS_DAYS = 30
METRICS = {
    "mau": ("Monthly active users", "users", "users"),
    "storage": ("Storage", "bytes", "storage"),
    "bandwidth": ("Bandwidth", "bytes", "bandwidth"),
}
# Never returned, whatever the server sends (capgo_info has no option that reveals a secret).
SECRET_FIELDS = {
    "apikeys": ("key", "key_hash"),
    "webhooks": ("secret",),
    "bundles": ("session_key",),
}

NO_ACCESS_TO_APP = "app {app_id} does not exist, or this API key may not read it (Capgo answers {code} for both)"
NO_ACCESS_TO_ORG = ("organization {org_id} does not exist, or this API key may not read it (Capgo answers {code} "
                    "for both)")
ERRORS = {
    "subscription_required": "the organization's Capgo plan does not include API statistics (Capgo answers 402 "
                             "subscription_required to API keys of organizations without a paying plan)",
    "cannot_access_app": NO_ACCESS_TO_APP,
    "no_access_to_app": NO_ACCESS_TO_APP,
    "invalid_app_id": INVALID_APP_ID,
    "no_permission": "this API key may not read the webhooks of organization {org_id}: it needs "
                     "org.update_settings, and keys bound to an app or channel cannot use webhooks at all",
    "cannot_list_apikeys": "this API key may not list API keys: it needs org.manage_apikeys on an organization",
    "org_requires_expiring_key": "the organization only accepts API keys with an expiry date",
}
ERRORS.update((code, NO_ACCESS_TO_ORG) for code in ("cannot_access_organization", "no_access_to_organization",
                                                    "invalid_org_id",
                                                    "user_does_not_have_access_to_this_organization"))

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- small helpers -----------------------------------------------------------

def snake(name):
    """``noAccumulate`` → ``no_accumulate``; snake_case stays as it is."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def parse_date(text):
    """``YYYY-MM-DD`` → ``datetime.date``, or None."""
    if not isinstance(text, str) or not DATE_RE.match(text.strip()):
        return None
    try:
        return datetime.datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def stats_period(date_from=None, date_to=None, today=None):
    """The ``(from, to)`` dates of a statistics request; ``to`` is exclusive.

    Defaults: ``to`` tomorrow (so today is the last day), ``from`` 30 days before ``to``.
    """
    today = today or utc_today()
    if date_to is None:
        date_to = today + datetime.timedelta(days=1)
    if date_from is None:
        date_from = date_to - datetime.timedelta(days=STATS_DAYS)
    return date_from, date_to


def api_time(value):
    """A UTC datetime in the form GET /device's ``updated_at`` filter accepts."""
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += ".%03d" % (value.microsecond // 1000)
    return text + "Z"


def strip_secrets(resource, item):
    """``item`` without the secret fields of ``resource`` (``SECRET_FIELDS``)."""
    secrets = SECRET_FIELDS.get(resource, ())
    return {k: v for k, v in item.items() if k not in secrets}


# -- translations: as the resource modules return them, plus what only a list shows --------
# (secrets are removed from every item afterwards, in Info.execute)

def info_channel(data):
    """A channel as capgo_channel returns it, plus the id of the rolled-out bundle and auto-pause status."""
    out = channel_from_api(data)
    out["rollout"]["bundle_id"] = channel_bundle_ids(data)[1]
    out["auto_pause"].update((key, data.get(api)) for key, api in AUTO_PAUSE_STATUS_API.items())
    return out


def info_bundle(data, serving, rolling):
    """A bundle as capgo_bundle returns it, plus its name and the channels using it."""
    out = bundle_from_api(data)
    out["name"] = data.get("name")
    out["channels"] = sorted(serving.get(data.get("id"), []))
    out["rollout_channels"] = sorted(rolling.get(data.get("id"), []))
    return out


def stats_entry(data):
    out = {snake(k): v for k, v in data.items()}
    date = out.get("date")
    if isinstance(date, str) and re.match(r"^\d{4}-\d{2}-\d{2}", date):
        out["date"] = date[:10]
    return out


# -- the module ------------------------------------------------------------------

class Info(Operation):
    errors = ERRORS

    argument_spec = dict(
        resource=dict(type="str", required=True, choices=list(RESOURCES)),
        org_id=dict(type="str"),
        app_id=dict(type="str"),
        channel=dict(type="str"),
        device_id=dict(type="str"),
        version=dict(type="str"),
        updated_since=dict(type="str"),
        limit=dict(type="int"),
        scope=dict(type="str", choices=["app", "org", "user"]),
        to=dict(type="str"),
        accumulate=dict(type="bool", default=True),
        breakdown=dict(type="bool", default=False),
        parallel=dict(type="int", default=4),
        graph=dict(type="str", choices=list(METRICS)),
        dest=dict(type="path"),
        project=dict(type="path"),
        **{"from": dict(type="str")}
    )
    module_kwargs = dict(
        required_by={"dest": "graph"},
    )

    def setup(self):
        self.resource = self.params["resource"]
        self.limit = self.params["limit"]
        self.since = None
        self.scope = None
        self.period = None

    # -- input -------------------------------------------------------------

    def validate(self):
        resource = self.resource
        required, accepted = ACCEPTS[resource]
        for name in FILTERS:
            if self.params.get(name) is not None and name not in accepted:
                self.fail("%s does not apply to resource=%s (it accepts: %s)"
                          % (name, resource, ", ".join(accepted) or "no filter"))
        for name in required:
            if not self.params.get(name):
                self.fail("resource=%s needs %s" % (resource, name))
        if resource != "statistics":
            extra = [n for n in STATS_OPTIONS if self.params.get(n) is not None]
            if self.params["accumulate"] is False:
                extra.append("accumulate")
            if self.params["breakdown"]:
                extra.append("breakdown")
            if extra:
                self.fail("%s only appl%s to resource=statistics"
                          % (", ".join(extra), "ies" if len(extra) == 1 else "y"))
        if self.params.get("parallel") is not None and self.params["parallel"] < 1:
            self.fail("parallel must be at least 1, got %d" % self.params["parallel"])
        if self.limit is not None and self.limit < 1:
            self.fail("limit must be at least 1, got %d" % self.limit)
        if self.params["updated_since"] is not None:
            self.since = parse_time(self.params["updated_since"])
            if self.since is None:
                self.fail("updated_since must be a date (YYYY-MM-DD) or an ISO 8601 date and time, got %r"
                          % self.params["updated_since"])
        if resource == "statistics":
            self.validate_statistics()
        project = self.params.get("project")
        if project is not None and resource != "compatibility":
            self.fail("project only applies to resource=compatibility")
        if resource == "compatibility" and (project is None) == (self.params["version"] is None):
            self.fail("resource=compatibility needs either version (a bundle) or project (a Capacitor project), "
                      "not both")

    def validate_statistics(self):
        params = self.params
        scope = params["scope"]
        if scope is None:
            scope = "app" if params["app_id"] else ("org" if params["org_id"] else "user")
        self.scope = scope
        if scope == "app" and not params["app_id"]:
            self.fail("scope=app needs app_id")
        if scope == "org" and not params["org_id"]:
            self.fail("scope=org needs org_id")
        unused = [n for n in ("app_id", "org_id") if params[n] and n != scope + "_id"]
        if unused:
            self.fail("%s does not apply to scope=%s" % (", ".join(unused), scope))
        if params["breakdown"] and scope != "org":
            self.fail("breakdown only applies to scope=org")
        dates = {}
        for name in ("from", "to"):
            if params[name] is None:
                dates[name] = None
                continue
            dates[name] = parse_date(params[name])
            if dates[name] is None:
                self.fail("%s must be a date YYYY-MM-DD, got %r" % (name, params[name]))
        date_from, date_to = stats_period(dates["from"], dates["to"])
        if date_from >= date_to:
            self.fail("from (%s) must be before to (%s); to is exclusive" % (date_from, date_to))
        self.period = (date_from, date_to)
        dest = params["dest"]
        if dest:
            if os.path.isdir(dest):
                self.fail("dest %s is a directory; give the path of the SVG file" % dest)
            parent = os.path.dirname(os.path.abspath(dest))
            if not os.path.isdir(parent):
                self.fail("the directory of dest does not exist: %s" % parent)

    # -- collecting --------------------------------------------------------

    def keep(self, item):
        """Whether an item passes the client-side ``updated_since`` filter."""
        if self.since is None:
            return True
        changed = parse_time(item.get("updated_at"))
        return changed is not None and changed > self.since

    def collect(self, items, want=None):
        """Items (translated) that pass ``want`` and ``updated_since``, up to ``limit``; stops reading early."""
        out = []
        for item in items:
            if (want is None or want(item)) and self.keep(item):
                out.append(item)
                if self.limit is not None and len(out) >= self.limit:
                    break
        return out

    # -- resources ---------------------------------------------------------

    def list_organizations(self):
        org_id = self.params["org_id"]
        if org_id:
            data = self.get_or_none("/organization", ("invalid_org_id",), params={"orgId": org_id})
            return self.collect([organization_from_api(data)] if data else [])
        return self.collect(organization_from_api(o) for o in list_organizations(self.client, PAGE_SIZE))

    def list_members(self):
        # every row: a person with app- or channel-scoped roles too has several
        return self.collect(member_rows(self, self.params["org_id"]))

    def list_apikeys(self):
        return self.collect(ApiKey.list_all(self, {}))

    def list_apps(self):
        app_id = self.params["app_id"]
        if app_id:
            data = self.get_or_none("/app/%s" % app_id, ("cannot_access_app", "cannot_find_app"))
            want = (lambda a: a.get("owner_org") == self.params["org_id"]) if self.params["org_id"] else None
            return self.collect([app_from_api(data)] if data else [], want)
        size = APP_PAGE_SIZE
        if self.limit is not None and self.since is None:
            size = min(APP_PAGE_SIZE, self.limit)
        return self.collect(app_from_api(a) for a in list_apps(self.client, self.params["org_id"], size))

    def iter_channels(self):
        return (info_channel(c) for c in list_channels(self.client, self.params["app_id"], PAGE_SIZE))

    def list_channels(self):
        name = self.params["channel"]
        version = self.params["version"]
        want = (lambda c: c["bundle"] == version) if version is not None else None
        if name:
            data = self.get_or_none("/channel", ("cannot_find_version",),
                                    params={"app_id": self.params["app_id"], "channel": name})
            return self.collect([info_channel(data)] if data else [], want)
        return self.collect(self.iter_channels(), want)

    def list_devices(self):
        app_id = self.params["app_id"]
        channel = self.params["channel"]
        version = self.params["version"]

        def want(device):
            if channel is not None and device.get("channel") != channel:
                return False
            return version is None or device.get("version_name") == version

        device_id = self.params["device_id"]
        if device_id:
            data = self.get_or_none("/device", ("device_not_found",), params={"app_id": app_id, "device_id": device_id})
            return self.collect([device_from_api(data)] if data else [], want)
        filters = {"updated_at": api_time(self.since)} if self.since is not None else {}
        limit = self.limit if channel is None and version is None else None
        pages = list_devices(self.client, app_id, page_size=DEVICE_PAGE_SIZE, limit=limit, **filters)
        return self.collect((device_from_api(d) for d in pages), want)

    def list_bundles(self):
        # Channels first: they say which bundles are in use, and GET /channel tells an unknown app
        # (cannot_access_app) apart, where GET /bundle answers cannot_get_bundle for everything.
        serving, rolling = {}, {}
        channel_bundles = {}
        for chan in self.iter_channels():
            ids = set()
            if chan["bundle_id"] is not None:
                serving.setdefault(chan["bundle_id"], []).append(chan["channel"])
                ids.add(chan["bundle_id"])
            rollout_id = chan["rollout"]["bundle_id"]
            if rollout_id is not None:
                rolling.setdefault(rollout_id, []).append(chan["channel"])
                ids.add(rollout_id)
            channel_bundles[chan["channel"]] = ids
        channel = self.params["channel"]
        version = self.params["version"]
        if channel is not None and channel not in channel_bundles:
            return []

        def want(bundle):
            if channel is not None and bundle.get("id") not in channel_bundles[channel]:
                return False
            return version is None or bundle.get("version") == version

        pages = list_bundle_rows(self.client, self.params["app_id"], PAGE_SIZE)
        return self.collect((info_bundle(b, serving, rolling) for b in pages if not b.get("deleted")), want)

    def list_compatibility(self):
        """The CLI's ``bundle compatibility``: the native packages of bundle ``version`` (or of the project
        at ``project``) against those of the bundle channel ``channel`` serves."""
        app_id, name = self.params["app_id"], self.params["channel"]
        local_names = set()
        local = None
        if self.params.get("project"):
            try:
                local = read_project(self.params["project"], local_names)  # before any request
            except NativeError as exc:
                self.fail("%s" % exc)
        data = self.get_or_none("/channel", ("cannot_find_version",), params={"app_id": app_id, "channel": name})
        if data is None:
            self.fail("channel %s does not exist in app %s" % (name, app_id))
        served = channel_from_api(data)["bundle"]
        wanted = set(n for n in (served, self.params["version"]) if n)
        rows = {}
        for row in list_bundle_rows(self.client, app_id, PAGE_SIZE):
            if row.get("name") in wanted and not row.get("deleted"):
                rows[row["name"]] = row
                if len(rows) == len(wanted):
                    break
        version = self.params["version"]
        if version is not None and version not in rows:
            self.fail("bundle %s does not exist in app %s (or is deleted)" % (version, app_id))
        self.result["channel_bundle"] = served
        if not served:
            self.result["compatibility_skipped"] = "channel %s of app %s serves no bundle: nothing to compare" % (
                name, app_id)
            return []
        records = [(served, rows.get(served, {}).get("native_packages"))]
        if version is not None:
            local = rows[version].get("native_packages")
            records.insert(0, (version, local))
        for bundle, record in records:
            if record is None:
                self.result["compatibility_skipped"] = (
                    "bundle %s has no record of its native packages (uploaded without a project, or external): "
                    "nothing to compare" % bundle)
                return []
            problem = record_problem(record)
            if problem:
                self.fail("cannot compare with bundle %s: %s" % (bundle, problem))
        result = compare(local, records[-1][1], local_names)
        self.result["compatible"] = all(r["compatible"] for r in result)
        return result

    def list_webhooks(self):
        return self.collect(webhook_from_api(w) for w in list_webhooks(self.client, self.params["org_id"], PAGE_SIZE))

    # -- statistics --------------------------------------------------------

    def stats_path(self):
        if self.scope == "app":
            return "/statistics/app/%s" % self.params["app_id"]
        if self.scope == "org":
            return "/statistics/org/%s" % self.params["org_id"]
        return "/statistics/user"

    def list_statistics(self):
        date_from, date_to = self.period
        query = {"from": date_from.isoformat(), "to": date_to.isoformat()}
        if not self.params["accumulate"]:
            # Only ever send "true": the older API read any non-empty value as true.
            query["noAccumulate"] = "true"
        if self.params["breakdown"]:
            query["breakdown"] = "true"
        data = self.api("GET", self.stats_path(), params=query)
        self.result["period"] = {"from": query["from"], "to": query["to"]}
        if isinstance(data, dict):
            by_app = {}
            for entry in data.get("byApp") or []:
                entry = stats_entry(entry)
                by_app.setdefault(entry.pop("app_id", None), []).append(entry)
            self.result["statistics_by_app"] = by_app
            data = data.get("global")
        entries = [stats_entry(e) for e in (data or [])]
        if self.params["breakdown"] and "statistics_by_app" not in self.result:
            self.result["statistics_by_app"] = {}
        if self.params["graph"]:
            self.chart(entries)
        return entries

    def subject(self):
        """What the chart is about: the app id, the organization's name, or the key's apps."""
        if self.scope == "app":
            return self.params["app_id"]
        if self.scope == "org":
            org_id = self.params["org_id"]
            try:
                org = self.api("GET", "/organization", params={"orgId": org_id}) or {}
            except CapgoAPIError:
                org = {}
            name = org.get("name") if isinstance(org, dict) else None
            return "organization %s" % name if name else "organization %s" % org_id
        return "all apps of this API key"

    def chart(self, entries):
        metric = self.params["graph"]
        label, unit, _key = METRICS[metric]
        daily = not self.params["accumulate"]
        date_from, date_to = self.period
        last = date_to - datetime.timedelta(days=1)
        title = "%s \u2014 %s" % (label, self.subject())
        kind = "Daily values" if daily else "Running total"
        subtitle = "%s, %s to %s (UTC)" % (kind, date_from.isoformat(), last.isoformat())
        y_label = "Users" if unit == "users" else "%s (1 MB = 1024 KB)" % label
        points = [(e["date"], e.get(metric) or 0) for e in entries if isinstance(e.get("date"), str)]
        svg = render_chart(title, points, unit=unit, style="bar" if daily else "line", subtitle=subtitle,
                           y_label=y_label)
        self.result["graph_svg"] = svg
        # Through Ansible, the action plugin removes dest from the module's arguments and writes
        # graph_svg on the controller. Only a module run without it (unit tests) gets dest, and
        # writes the file where it runs, the same way.
        if self.params["dest"]:
            self.write_file(self.params["dest"], svg.encode("utf-8"))

    def write_file(self, dest, content):
        path = os.path.abspath(dest)
        self.result["graph_path"] = path
        try:
            changed = write_if_changed(path, content, check_mode=self.check_mode)
        except (IOError, OSError) as exc:
            self.fail("cannot write the chart to %s: %s" % (path, exc))
        self.result["changed"] = self.result["changed"] or changed

    # -- running -----------------------------------------------------------

    def execute(self):
        if self.resource == "environment":
            # Imported here: only an export needs every declaration.
            from ansible_collections.capgo.cloud.plugins.module_utils._environment import export

            self.result["environment"] = export(self, self.params["org_id"], self.params.get("app_id"),
                                                parallel=self.params.get("parallel") or 1)
            return
        items = getattr(self, "list_%s" % self.resource)()
        self.result[self.resource] = [strip_secrets(self.resource, item) for item in items]
