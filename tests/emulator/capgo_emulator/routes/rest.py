"""The subset of Supabase's PostgREST that Capgo's CLI uses (capgo-api.md §8): tables
(``/rest/v1/<table>``: filters, ``select`` with embedded relations, ``order``, ``limit``,
``offset``, insert and upsert with ``on_conflict``, update, delete, ``Prefer``, the single-object
``Accept``) and functions (``/rest/v1/rpc/<fn>``, routes/rpc.py).

Who calls: the ``apikey`` header (or ``Authorization: Bearer``) must be the anon key that
``private/config`` hands out; the Capgo API key in ``capgkey`` is the principal the row-level
security policies check (the backend's RBAC policies, ``supabase/schemas/prod.sql``). Without
a valid ``capgkey`` the caller is ``anon`` with no rights: it sees no rows.

Tables exposed: the registry's ``rest`` names (schema.TABLE_REGISTRY): ``apps``,
``app_versions`` (the ``bundles`` table), ``channels``, ``orgs``.
"""

import copy
import json
import re

from ..auth import Principal
from ..errors import PgError
from ..jsvalues import js_json_loads
from ..schema import BUNDLE_DEFAULTS, CHANNEL_DEFAULTS, REST_TABLES
from ..services import Raw
from . import route
from .functions import ANON_KEY

OBJECT_MIME = "application/vnd.pgrst.object+json"

# Foreign keys the embeds follow: (table, column, target table, target column, constraint).
FOREIGN_KEYS = (
    ("channels", "version", "app_versions", "id", "channels_version_fkey"),
    ("channels", "rollout_version", "app_versions", "id", "channels_rollout_version_fkey"),
    ("channels", "app_id", "apps", "app_id", "channels_app_id_fkey"),
    ("channels", "owner_org", "orgs", "id", "channels_owner_org_fkey"),
    ("app_versions", "app_id", "apps", "app_id", "app_versions_app_id_fkey"),
    ("app_versions", "owner_org", "orgs", "id", "app_versions_owner_org_fkey"),
    ("apps", "owner_org", "orgs", "id", "apps_owner_org_fkey"),
)

UNIQUE = {"app_versions": (("id",), ("name", "app_id")), "channels": (("id",), ("name", "app_id")),
          "apps": (("app_id",), ("id",)), "orgs": (("id",),)}
CONSTRAINT_NAMES = {("app_versions", ("name", "app_id")): "app_versions_name_app_id_key",
                    ("channels", ("name", "app_id")): "channel_name_app_id_key"}


# ------------------------------------------------------------------ caller

def principal_of(ctx):
    """The anon key is required (as Supabase's gateway does); the capgkey's principal or None."""
    anon = ctx.headers.get("apikey")
    bearer = ctx.headers.get("authorization") or ""
    if bearer[:7].lower() == "bearer ":
        bearer = bearer[7:].strip()
    if anon != ANON_KEY and bearer != ANON_KEY:
        raise PgError(401, "PGRST301", "Invalid API key",
                      hint="Double check your Supabase `anon` or `service_role` API key.")
    st = ctx.state
    key = st.apikey_by_value(ctx.headers.get("capgkey"))
    if key is None or st.key_expired(key) or st.key_blocked_by_hashed_policy(key):
        return None
    user = st.user(key["user_id"])
    return Principal(st, user, key) if user else None


def _app(st, app_id):
    return st.app_by_app_id(app_id) if isinstance(app_id, str) else None


def can(principal, perm, st, app_id=None, org_id=None, channel=None):
    if principal is None:
        return False
    if app_id is not None:
        app = _app(st, app_id)
        if app is None:
            return False
        return principal.has_perm(perm, app=app, channel=channel)
    if org_id is not None:
        return principal.has_perm(perm, org_id=org_id)
    return False


# ------------------------------------------------------------------ tables

class TableView:
    """One exposed table: its rows, how a row looks on the wire, and its policies."""

    def __init__(self, name, st, principal):
        self.name = name
        self.st = st
        self.principal = principal
        self.rows = getattr(st, REST_TABLES[name])

    def wire(self, row):
        out = {k: copy.deepcopy(v) for k, v in row.items() if not k.startswith("_")}
        if self.name == "app_versions":
            for key, default in BUNDLE_DEFAULTS.items():
                out.setdefault(key, copy.deepcopy(default))
        return out

    # policies (prod.sql "Allow RBAC ..." / "Allow ... (read+)")
    def can_select(self, row):
        p, st = self.principal, self.st
        if self.name == "app_versions":
            return can(p, "app.read_bundles", st, app_id=row.get("app_id"))
        if self.name == "apps":
            return can(p, "app.read", st, app_id=row.get("app_id"))
        if self.name == "channels":
            return can(p, "channel.read", st, app_id=row.get("app_id"), channel=row) or \
                can(p, "app.read", st, app_id=row.get("app_id"))
        if self.name == "orgs":
            return can(p, "org.read", st, org_id=row.get("id"))
        return False

    def can_insert(self, row):
        p, st = self.principal, self.st
        if self.name == "app_versions":
            return can(p, "app.upload_bundle", st, app_id=row.get("app_id"))
        if self.name == "channels":
            app_id = row.get("app_id")
            return can(p, "app.create_channel", st, app_id=app_id) and (
                (row.get("version") is None and row.get("rollout_version") is None)
                or can(p, "channel.promote_bundle", st, app_id=app_id))
        return False

    def can_update(self, row):
        p, st = self.principal, self.st
        app_id = row.get("app_id")
        if self.name == "app_versions":
            return (not row.get("deleted") and (
                can(p, "app.upload_bundle", st, app_id=app_id)
                or can(p, "bundle.update", st, app_id=app_id))) \
                or can(p, "bundle.delete", st, app_id=app_id)
        if self.name == "channels":
            return can(p, "channel.update_settings", st, app_id=app_id, channel=row)
        if self.name == "apps":
            return can(p, "app.update_settings", st, app_id=app_id)
        return False

    def can_delete(self, row):
        p, st = self.principal, self.st
        if self.name == "app_versions":
            return can(p, "bundle.delete", st, app_id=row.get("app_id"))
        if self.name == "channels":
            return can(p, "channel.delete", st, app_id=row.get("app_id"), channel=row)
        return False

    def rls_error(self):
        status = 401 if self.principal is None else 403
        return PgError(status, "42501", 'new row violates row-level security policy for '
                       'table "%s"' % self.name)

    # new rows and triggers
    def new_row(self, values):
        st = self.st
        now = st.stamp()
        if self.name == "app_versions":
            row = dict(copy.deepcopy(BUNDLE_DEFAULTS))
            row.update(values)
            app = _app(st, row.get("app_id"))
            if app is None:
                raise PgError(409, "23503", 'insert or update on table "app_versions" violates '
                              'foreign key constraint "app_versions_app_id_fkey"')
            row["owner_org"] = app["owner_org"]  # force_valid_owner_org_app_versions
            row.setdefault("id", st.next_id("bundles"))
            if self.principal is not None and self.principal.apikey:
                row["created_by_apikey_rbac_id"] = self.principal.apikey.get("rbac_id")
        elif self.name == "channels":
            row = dict(CHANNEL_DEFAULTS)
            row.update(values)
            app = _app(st, row.get("app_id"))
            if app is None:
                raise PgError(409, "23503", 'insert or update on table "channels" violates '
                              'foreign key constraint "channels_app_id_fkey"')
            row["owner_org"] = app["owner_org"]
            row.setdefault("id", st.next_id("channels"))
            row.setdefault("created_by", app.get("user_id"))
        else:
            row = dict(values)
        row.setdefault("created_at", now)
        row["updated_at"] = now
        return row

    def check_row(self, old, new):
        """The table's triggers (raise PgError P0001 like RAISE EXCEPTION)."""
        st = self.st
        if self.name == "app_versions":
            if old is not None and old.get("storage_provider") != "r2-direct":
                for col in ("name", "app_id", "session_key", "key_id", "storage_provider",
                            "r2_path", "external_url", "checksum", "native_packages"):
                    if new.get(col) != old.get(col):
                        raise PgError(400, "P0001",
                                      "bundle_already_ready: Bundle content cannot be changed "
                                      "after upload is complete. Upload a new bundle instead.")
                if new.get("manifest") != old.get("manifest") and new.get("manifest") is not None:
                    raise PgError(400, "P0001",
                                  "bundle_already_ready: Bundle content cannot be changed "
                                  "after upload is complete. Upload a new bundle instead.")
            content = ("session_key", "key_id", "name", "app_id", "storage_provider",
                       "r2_path", "external_url", "checksum", "native_packages", "manifest")
            if old is not None and all(new.get(c) == old.get(c) for c in content):
                return
            app = _app(st, new.get("app_id"))
            org = st.org(app["owner_org"] if app else new.get("owner_org"))
            if not org or not org.get("enforce_encrypted_bundles"):
                return
            session_key = new.get("session_key")
            if not (isinstance(session_key, str) and session_key.strip()):
                raise PgError(400, "P0001",
                              "encryption_required: This organization requires all bundles to "
                              "be encrypted. Please upload an encrypted bundle with a "
                              "session_key.")
            required = org.get("required_encryption_key")
            key_id = (new.get("key_id") or "").strip()[:20] or None
            if required:
                if key_id is None:
                    raise PgError(400, "P0001",
                                  "encryption_key_required: This organization requires bundles "
                                  "to be encrypted with a specific key. The uploaded bundle "
                                  "does not have a key_id.")
                if not (key_id == required[:20] or key_id[:len(required)] == required):
                    raise PgError(400, "P0001",
                                  "encryption_key_mismatch: This organization requires bundles "
                                  "to be encrypted with a specific key. The uploaded bundle was "
                                  "encrypted with a different key.")
        elif self.name == "channels":
            for col in ("version", "rollout_version"):
                value = new.get(col)
                if value is None or (old is not None and old.get(col) == value):
                    continue
                bundle = st.bundle(value)
                if bundle is None or bundle["app_id"] != new.get("app_id"):
                    raise PgError(400, "P0001", "INVALID_CHANNEL_VERSION")
                if not can(self.principal, "channel.promote_bundle", st,
                           app_id=new.get("app_id"), channel=old or new):
                    raise PgError(400, "P0001", "PERMISSION_DENIED_CHANNEL_PROMOTE_BUNDLE")

    def audit(self, op, old, new):
        row = new or old
        self.st.add_audit(self.name, row.get("id"), op, row.get("owner_org"), old, new,
                          self.principal)


# ------------------------------------------------------------------ query parsing

def _split_top(text, sep=","):
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


SELECT_ITEM = re.compile(r"^(?:(?P<alias>[\w]+):)?(?P<name>[\w*]+)(?:!(?P<hint>[\w]+))?"
                         r"(?:::\w+)?\s*(?:\((?P<inner>.*)\))?$", re.S)


def parse_select(text):
    """[(alias, name, hint, inner items or None)]"""
    items = []
    for part in _split_top(text or "*"):
        m = SELECT_ITEM.match(part)
        if not m:
            raise PgError(400, "PGRST100", "failed to parse select parameter (%s)" % text)
        inner = m.group("inner")
        items.append((m.group("alias") or m.group("name"), m.group("name"), m.group("hint"),
                      parse_select(inner) if inner is not None else None))
    return items


def _relation(table, name, hint):
    """(kind, local col, target table, target col): kind 'one' (many-to-one) or 'many'."""
    for t, col, target, tcol, cname in FOREIGN_KEYS:
        if t == table and (name == col or (name == target and hint in (None, cname, col))):
            if hint is None and name == target:
                # ambiguous when two keys point at the same table and no hint is given
                if sum(1 for f in FOREIGN_KEYS if f[0] == table and f[2] == target) > 1:
                    raise PgError(300, "PGRST201", "Could not embed because more than one "
                                  "relationship was found for '%s' and '%s'" % (table, name))
            return "one", col, target, tcol
    for t, col, target, tcol, cname in FOREIGN_KEYS:
        if target == table and t == name and hint in (None, cname, col):
            return "many", tcol, t, col
    raise PgError(400, "PGRST200", "Could not find a relationship between '%s' and '%s' in the "
                  "schema cache" % (table, name))


def shape(st, principal, table, row, items):
    view = TableView(table, st, principal)
    wire = view.wire(row)
    out = {}
    for alias, name, hint, inner in items:
        if name == "*" and inner is None:
            out.update(wire)
            continue
        if inner is None:
            if name not in wire:
                raise PgError(400, "42703", "column %s.%s does not exist" % (table, name))
            out[alias] = wire[name]
            continue
        kind, col, target, tcol = _relation(table, name, hint)
        tview = TableView(target, st, principal)
        matches = [r for r in tview.rows if r.get(tcol) is not None
                   and r.get(tcol) == row.get(col) and tview.can_select(r)]
        if kind == "one":
            out[alias] = shape(st, principal, target, matches[0], inner) if matches else None
        else:
            out[alias] = [shape(st, principal, target, r, inner) for r in matches]
    return out


def _text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _num(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _like(pattern, value, flags=0):
    regex = "^" + re.escape(pattern).replace("%", ".*").replace(r"\*", ".*").replace("_", ".") + "$"
    return value is not None and re.match(regex, value, flags | re.S) is not None


def _compare(op, cell, arg):
    text = _text(cell)
    if op == "is":
        arg = arg.lower()
        if arg == "null":
            return cell is None
        if arg in ("true", "false"):
            return cell is (arg == "true")
        if arg == "unknown":
            return cell is None
        raise PgError(400, "PGRST100", "failed to parse filter (is.%s)" % arg)
    if op == "in":
        values = [v.strip().strip('"') for v in _split_top(arg.strip()[1:-1])]
        return text is not None and text in values
    if op in ("eq", "neq"):
        equal = text is not None and (text == arg or (
            _num(cell) is not None and not isinstance(cell, bool) and _num(arg) == _num(cell)))
        return equal if op == "eq" else (text is not None and not equal)
    if op in ("gt", "gte", "lt", "lte"):
        if text is None:
            return False
        a, b = (_num(cell), _num(arg)) if _num(cell) is not None and _num(arg) is not None \
            else (text, arg)
        return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]
    if op == "like":
        return _like(arg, text)
    if op == "ilike":
        return _like(arg, text, re.I)
    if op == "cs":
        try:
            want = json.loads(arg)
        except ValueError:
            want = [v.strip() for v in arg.strip("{}").split(",") if v.strip()]
        have = cell if isinstance(cell, list) else []
        return all(w in have for w in (want if isinstance(want, list) else [want]))
    raise PgError(400, "PGRST100", "unknown filter operator %s" % op)


def _condition(col, expr):
    negate = False
    if expr.startswith("not."):
        negate, expr = True, expr[4:]
    op, dummy, arg = expr.partition(".")
    return col, negate, op, arg


RESERVED = {"select", "order", "limit", "offset", "on_conflict", "columns", "or", "and"}


def parse_filters(args):
    """[(col, negate, op, arg)] and the or-groups [[conditions]]."""
    filters, ors = [], []
    for key, values in args.lists():
        for value in values:
            if key in ("or", "and"):
                group = []
                for part in _split_top(value.strip()[1:-1]):
                    col, dummy, expr = part.partition(".")
                    group.append(_condition(col, expr))
                if key == "or":
                    ors.append(group)
                else:
                    filters.extend(group)
            elif key not in RESERVED and "." not in key:
                filters.append(_condition(key, value))
    return filters, ors


def matches(row, filters, ors):
    def ok(cond):
        col, negate, op, arg = cond
        result = _compare(op, row.get(col), arg)
        return not result if negate else result
    return all(ok(c) for c in filters) and all(any(ok(c) for c in g) for g in ors)


def order_rows(rows, order):
    if not order:
        return sorted(rows, key=lambda r: (str(r.get("id")).zfill(40)))
    for part in reversed(_split_top(order)):
        bits = part.split(".")
        col = bits[0]
        desc = "desc" in bits[1:]
        nulls_first = "nullsfirst" in bits[1:] or ("nullslast" not in bits[1:] and desc)
        present = [r for r in rows if r.get(col) is not None]
        absent = [r for r in rows if r.get(col) is None]
        present.sort(key=lambda r: (_num(r.get(col)) is None, _num(r.get(col)) or 0,
                                    _text(r.get(col))), reverse=desc)
        rows = absent + present if nulls_first else present + absent
    return rows


# ------------------------------------------------------------------ answers

def prefer(ctx):
    out = {}
    for part in ",".join(ctx.headers.getlist("Prefer")).split(","):
        key, dummy, value = part.strip().partition("=")
        if key:
            out[key] = value
    return out


def wants_object(ctx):
    return OBJECT_MIME in (ctx.headers.get("Accept") or "")


def answer(ctx, status, rows, count=None, total=None):
    """The JSON array, or the single object the Accept header asks for (406 PGRST116)."""
    headers = {}
    if total is not None:
        end = "*" if not rows else "%d-%d" % (count[0], count[0] + len(rows) - 1)
        headers["Content-Range"] = "%s/%s" % (end, total)
    if wants_object(ctx):
        if len(rows) != 1:
            raise PgError(406, "PGRST116", "Cannot coerce the result to a single JSON object",
                          details="The result contains %d rows" % len(rows))
        return status, rows[0], headers
    return status, rows, headers


def _no_body(status, headers=None):
    return Raw(status, None, headers)


# ------------------------------------------------------------------ routes

def _view(ctx, table):
    if table not in REST_TABLES:
        raise PgError(404, "42P01", 'relation "public.%s" does not exist' % table)
    return TableView(table, ctx.state, principal_of(ctx))


@route("GET", "/rest/v1/<table>", service="rest")
def rest_select(ctx, table):
    view = _view(ctx, table)
    args = ctx.request.args
    filters, ors = parse_filters(args)
    items = parse_select(args.get("select"))
    rows = [r for r in view.rows if view.can_select(r) and matches(view.wire(r), filters, ors)]
    rows = order_rows(rows, args.get("order"))
    total = len(rows) if prefer(ctx).get("count") in ("exact", "planned", "estimated") else None
    offset = int(args.get("offset") or 0)
    limit = args.get("limit")
    rows = rows[offset:offset + int(limit)] if limit is not None else rows[offset:]
    shaped = [shape(ctx.state, view.principal, table, r, items) for r in rows]
    if total is not None:
        return answer(ctx, 200, shaped, (offset,), total)
    return answer(ctx, 200, shaped)


def _body_rows(ctx):
    try:
        data = js_json_loads(ctx.raw_body) if ctx.raw_body.strip() else None
    except (ValueError, RecursionError):
        raise PgError(400, "PGRST102", "Empty or invalid json")
    if isinstance(data, dict):
        return [data], False
    if isinstance(data, list) and all(isinstance(d, dict) for d in data):
        return data, True
    raise PgError(400, "PGRST102", "Empty or invalid json")


def _returning(ctx, view, status, rows, minimal_status):
    pref = prefer(ctx)
    if pref.get("return") == "representation":
        items = parse_select(ctx.request.args.get("select"))
        shaped = [shape(ctx.state, view.principal, view.name, r, items) for r in rows]
        return answer(ctx, status, shaped)
    return _no_body(minimal_status)


@route("POST", "/rest/v1/<table>", service="rest")
def rest_insert(ctx, table):
    view = _view(ctx, table)
    st = ctx.state
    values = _body_rows(ctx)[0]
    pref = prefer(ctx)
    resolution = pref.get("resolution")
    conflict = ctx.request.args.get("on_conflict")
    conflict_cols = tuple(c.strip() for c in conflict.split(",")) if conflict else None
    uniques = UNIQUE.get(table, ())
    out, undo = [], []
    try:
        for value in values:
            existing = None
            for cols in ([conflict_cols] if conflict_cols else []) + list(uniques):
                if all(c in value for c in cols):
                    existing = next((r for r in view.rows
                                     if all(_text(r.get(c)) == _text(value[c]) for c in cols)),
                                    None)
                    if existing is not None:
                        if resolution not in ("merge-duplicates", "ignore-duplicates") or \
                                cols != conflict_cols and conflict_cols is not None:
                            name = CONSTRAINT_NAMES.get((table, cols), "%s_pkey" % table)
                            raise PgError(409, "23505", 'duplicate key value violates unique '
                                          'constraint "%s"' % name,
                                          details="Key (%s)=(%s) already exists." % (
                                              ", ".join(cols),
                                              ", ".join(_text(value[c]) for c in cols)))
                        break
            if existing is not None:
                if resolution == "ignore-duplicates":
                    continue
                if not view.can_select(existing) or not view.can_update(existing):
                    raise view.rls_error()
                new = dict(existing)
                new.update(value)
                view.check_row(existing, new)
                if not view.can_update(new):
                    raise view.rls_error()
                undo.append(("update", existing, dict(existing)))
                old = dict(existing)
                existing.update(value)
                existing["updated_at"] = st.stamp()
                view.audit("UPDATE", old, existing)
                out.append(existing)
            else:
                row = view.new_row(value)
                if not view.can_insert(row):
                    raise view.rls_error()
                view.check_row(None, row)
                view.rows.append(row)
                undo.append(("insert", row, None))
                view.audit("INSERT", None, row)
                out.append(row)
    except PgError:
        for kind, row, old in reversed(undo):  # one statement: all or nothing
            if kind == "insert":
                view.rows.remove(row)
            else:
                row.clear()
                row.update(old)
        raise
    return _returning(ctx, view, 201, out, 201)


@route("PATCH", "/rest/v1/<table>", service="rest")
def rest_update(ctx, table):
    view = _view(ctx, table)
    st = ctx.state
    values, many = _body_rows(ctx)
    if many:
        raise PgError(400, "PGRST102", "Empty or invalid json")
    value = values[0]
    filters, ors = parse_filters(ctx.request.args)
    targets = [r for r in view.rows if view.can_select(r) and view.can_update(r)
               and matches(view.wire(r), filters, ors)]
    done = []
    try:
        for row in targets:
            new = dict(row)
            new.update(value)
            view.check_row(row, new)
            if not view.can_update(new):
                raise view.rls_error()
            done.append((row, dict(row)))
            old = dict(row)
            row.update(value)
            row["updated_at"] = st.stamp()
            view.audit("UPDATE", old, row)
    except PgError:
        for row, old in reversed(done):
            row.clear()
            row.update(old)
        raise
    return _returning(ctx, view, 200, targets, 204)


@route("DELETE", "/rest/v1/<table>", service="rest")
def rest_delete(ctx, table):
    view = _view(ctx, table)
    filters, ors = parse_filters(ctx.request.args)
    targets = [r for r in view.rows if view.can_select(r) and view.can_delete(r)
               and matches(view.wire(r), filters, ors)]
    for row in targets:
        view.rows.remove(row)
        view.audit("DELETE", row, None)
    return _returning(ctx, view, 200, targets, 204)


@route("POST", "/rest/v1/rpc/<fn>", service="rest")
def rest_rpc(ctx, fn):
    from . import rpc  # the functions, one per name
    principal = principal_of(ctx)
    try:
        args = js_json_loads(ctx.raw_body) if ctx.raw_body.strip() else {}
    except (ValueError, RecursionError):
        raise PgError(400, "PGRST102", "Empty or invalid json")
    func = rpc.FUNCTIONS.get(fn)
    if func is None or not isinstance(args, dict):
        raise PgError(404, "PGRST202", "Could not find the function public.%s(%s) in the schema "
                      "cache" % (fn, ", ".join(sorted(args or {}))))
    result = func(ctx.state, principal, args)
    if isinstance(result, list) and wants_object(ctx):
        return answer(ctx, 200, result)
    return 200, result
