"""/statistics — app, org (+breakdown), user, bundle_usage (capgo-api.md §2.3).

Series are computed from the seeded daily ``stats`` rows: one entry per day starting at
``from`` for round(|to - from| / 1 day) days (``to`` exclusive), days after the emulator's
clock omitted, running sums unless ``noAccumulate=true``.  Query string only.
bundle_usage / native_usage label every day from ``from`` to ``to`` inclusive (the backend's
generateDateLabels) and list only versions with some usage in that window.
"""

import datetime as _dt
import re

from ..errors import ApiError
from . import route
from .common import iso_ms, parse_datetime, require_app_perm

METRICS = ("mau", "storage", "storage_byte_hours", "bandwidth", "build_time_seconds")
DAY = _dt.timedelta(days=1)


def _parse_date(value):
    """What JavaScript's `new Date(value)` accepts, for the shapes clients send."""
    if not isinstance(value, str) or not value.strip():
        return None
    v = value.strip()
    if re.match(r"^\d{4}$", v):
        v += "-01-01"
    elif re.match(r"^\d{4}-\d{2}$", v):
        v += "-01"
    if not re.match(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$", v):
        return None
    if re.match(r"^.*[+-]\d{4}$", v) and "T" in v:
        v = v[:-2] + ":" + v[-2:]
    return parse_datetime(v)


def _params(ctx, allow_breakdown=False):
    q = ctx.query
    frm = _parse_date(q.get("from"))
    to = _parse_date(q.get("to"))
    if frm is None or to is None:
        raise ApiError("invalid_body", "Invalid body: from and to must be valid dates",
                       more_info={"from": q.get("from"), "to": q.get("to")})
    flags = {}
    for name in ("noAccumulate", "breakdown"):
        if name in q:
            if q[name] not in ("true", "false"):
                raise ApiError("invalid_body", "Invalid body: %s must be true or false" % name,
                               more_info={name: q[name]})
            flags[name] = q[name] == "true"
        else:
            flags[name] = False
    return frm, to, flags["noAccumulate"], flags["breakdown"]


def _days(ctx, frm, to):
    start = _dt.datetime(frm.year, frm.month, frm.day, tzinfo=_dt.timezone.utc)
    n = int(abs((to - frm).total_seconds()) / 86400.0 + 0.5)  # Math.round
    now = _dt.datetime.fromtimestamp(ctx.now(), _dt.timezone.utc)
    out = []
    for i in range(n):
        d = start + i * DAY
        if d > now:
            break
        out.append(d)
    return out


def _label_days(frm, to):
    """generateDateLabels of bundle_usage/native_usage: every day from `from` to `to`, both
    included (start of day, UTC); none when `from` is after `to`."""
    start = _dt.datetime(frm.year, frm.month, frm.day, tzinfo=_dt.timezone.utc)
    end = _dt.datetime(to.year, to.month, to.day, tzinfo=_dt.timezone.utc)
    out = []
    while start <= end:
        out.append(start)
        start += DAY
    return out


def _row_day(row):
    d = parse_datetime(row.get("date"))
    return d.strftime("%Y-%m-%d") if d else None


def _daily(state, app_ids):
    """{YYYY-MM-DD: {metric: sum}} over the given apps."""
    wanted = set(app_ids)
    by_day = {}
    for r in state.stats:
        if r.get("app_id") not in wanted:
            continue
        day = _row_day(r)
        if day is None:
            continue
        acc = by_day.setdefault(day, dict.fromkeys(METRICS, 0))
        for m in METRICS:
            v = r.get(m) or 0
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                acc[m] += v
    return by_day


def _series(ctx, app_ids, frm, to, no_accumulate, extra=None):
    by_day = _daily(ctx.state, app_ids)
    running = dict.fromkeys(METRICS, 0)
    out = []
    for d in _days(ctx, frm, to):
        vals = by_day.get(d.strftime("%Y-%m-%d"), dict.fromkeys(METRICS, 0))
        entry = {"date": iso_ms(d)}
        for m in METRICS:
            if no_accumulate:
                entry[m] = vals[m]
            else:
                running[m] += vals[m]
                entry[m] = running[m]
        if extra:
            entry.update(extra)
        out.append(entry)
    return out


def _apps_of_org(state, org_id):
    return [a for a in state.apps if a.get("owner_org") == org_id]


def _readable_app(ctx, principal, app_id):
    return require_app_perm(ctx, principal, app_id, "app.read", "no_access_to_app",
                            "You don't have access to this app", 401)


@route("GET", "/statistics/app/<app_id>")
def stats_app(ctx, app_id):
    principal = ctx.auth_any()
    frm, to, no_acc, _breakdown = _params(ctx)
    _readable_app(ctx, principal, app_id)
    return _series(ctx, [app_id], frm, to, no_acc)


@route("GET", "/statistics/org/<org_id>")
def stats_org(ctx, org_id):
    principal = ctx.auth_any()
    frm, to, no_acc, breakdown = _params(ctx)
    org = ctx.state.org(org_id)
    if org is None or not principal.has_perm("org.read", org_id=org_id):
        raise ApiError("no_access_to_organization", "You don't have access to this organization",
                       status=401, more_info={"org_id": org_id})
    app_ids = [a.get("app_id") for a in _apps_of_org(ctx.state, org.get("id", org_id))]
    glob = _series(ctx, app_ids, frm, to, no_acc)
    if not breakdown:
        return glob
    by_app = []
    for aid in sorted(app_ids):
        by_app.extend(_series(ctx, [aid], frm, to, no_acc, extra={"app_id": aid}))
    return {"global": glob, "byApp": by_app}


@route("GET", "/statistics/user")
def stats_user(ctx):
    principal = ctx.auth_any()
    frm, to, no_acc, _breakdown = _params(ctx)
    st = ctx.state
    if principal.is_jwt:
        org_ids = list(principal.org_ids("org.read"))
        if not org_ids:
            raise ApiError("no_organizations_found", "No organizations found", status=401)
        app_ids = [a.get("app_id") for o in org_ids for a in _apps_of_org(st, o)]
    else:
        app_ids = [a.get("app_id") for a in st.apps if principal.has_perm("app.read", app=a)]
        if not app_ids and not list(principal.org_ids("org.read")):
            raise ApiError("no_organizations_found", "No organizations found", status=401)
    if not app_ids:
        raise ApiError("apps_not_found", "No apps found", status=404)
    return _series(ctx, app_ids, frm, to, no_acc)


@route("GET", "/statistics/app/<app_id>/bundle_usage")
def stats_bundle_usage(ctx, app_id):
    """Share of the app's devices per bundle version and day, from the device table: a device
    counts on day D with its current version_name once it was last seen on or before D."""
    principal = ctx.auth_any()
    frm, to, _no_acc, _breakdown = _params(ctx)
    _readable_app(ctx, principal, app_id)
    days = _label_days(frm, to)
    devices = [d for d in ctx.state.devices_of(app_id) if d.get("version_name")]
    versions = sorted({d["version_name"] for d in devices})
    labels = [d.strftime("%Y-%m-%d") for d in days]
    counts = {v: [0] * len(days) for v in versions}
    totals = [0] * len(days)
    for dev in devices:
        seen = parse_datetime(dev.get("updated_at"))
        seen_day = seen.strftime("%Y-%m-%d") if seen else ""
        for i, label in enumerate(labels):
            if seen_day <= label:
                counts[dev["version_name"]][i] += 1
                totals[i] += 1
    datasets = []
    for v in versions:
        if not any(counts[v]):  # the live service drops versions without usage
            continue
        data = [round(c * 100.0 / totals[i], 2) if totals[i] else 0 for i, c in enumerate(counts[v])]
        datasets.append({"label": v, "data": data, "metaCounts": counts[v]})
    return {"labels": labels, "datasets": datasets}


@route("GET", "/statistics/app/<app_id>/native_usage")
def stats_native_usage(ctx, app_id):
    """Share of devices per native build and day. The emulator keeps no native-build usage,
    so every series is empty (the live service lists only builds with usage)."""
    principal = ctx.auth_any()
    frm, to, _no_acc, _breakdown = _params(ctx)
    _readable_app(ctx, principal, app_id)
    labels = [d.strftime("%Y-%m-%d") for d in _label_days(frm, to)]
    return {"labels": labels, "datasets": [], "latestVersion": {"name": "", "percentage": "0.0"}}
