"""Small helpers shared by the route modules (validation, JavaScript-style coercion, paging,
timestamps). Not a route module itself: it registers no routes."""

import datetime
import math
import re

from ..errors import ApiError
from ..schema import APP_ID_RE, parse_datetime

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HTML_TAG_RE = re.compile(r"<[^>]*>")
PAGE_SIZE = 50
POSTGREST_MAX_ROWS = 1000


class PlainError(Exception):
    """A plain (non-ApiError) exception: the core turns it into 500 unknown_error."""


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_email(value):
    return isinstance(value, str) and bool(EMAIL_RE.match(value))


def valid_app_id(value):
    return isinstance(value, str) and bool(APP_ID_RE.match(value))


def require_app_id(value, missing="missing_app_id", invalid="invalid_app_id"):
    """400 missing_app_id / invalid_app_id (the app-id pattern check comes before RBAC)."""
    if value is None or value == "":
        raise ApiError(missing, "Missing app_id")
    if not valid_app_id(value):
        raise ApiError(invalid, "App ID must be a reverse domain string",
                       more_info={"app_id": value})
    return value


def require_app_perm(ctx, principal, app_id, perm, code="cannot_access_app",
                     message="You can't access this app", status=400):
    """The app row, or an error when it does not exist or `principal` lacks `perm` on it
    (message None: the code's default message)."""
    app = ctx.state.app_by_app_id(app_id)
    if app is None or not principal.has_perm(perm, app=app):
        raise ApiError(code, message, status, more_info={"app_id": app_id})
    return app


def require_org_perm(ctx, principal, org_id, perm, code="cannot_access_organization",
                     message="You can't access this organization", status=400, allow=False):
    """The org row, or an error when it does not exist or `principal` lacks `perm` on it
    (``allow``: the permission is not needed, e.g. a user removing itself)."""
    org = ctx.state.org(org_id)
    if org is None or not (allow or principal.has_perm(perm, org_id=org_id)):
        raise ApiError(code, message, status, more_info={"orgId": org_id})
    return org


def check_app_id(body, missing="missing_app_id"):
    """Validate `app_id` in an input dict: missing -> 400 `missing`, bad shape -> 400 invalid_app_id."""
    return require_app_id(body.get("app_id"), missing=missing)


def js_parse_int(value, default):
    """JavaScript parseInt semantics for query strings (NaN -> default)."""
    if is_int(value):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        match = re.match(r"^\s*([+-]?\d+)", value)
        if match:
            return int(match.group(1))
    return default


def numeric(value):
    """A number or numeric string -> int/float, else None."""
    if is_number(value):
        return value
    if isinstance(value, str) and re.match(r"^\s*-?\d+(\.\d+)?\s*$", value):
        text = value.strip()
        return float(text) if "." in text else int(text)
    return None


def js_page_range(page):
    """Reproduce `from = page * 50; to = (page + 1) * 50 - 1` with JavaScript semantics.

    A query-string page is a string, so `page + 1` concatenates ("1" + 1 == "11").
    Returns (offset, count) after PostgREST's 1000-row cap, or None when the range is
    unusable (NaN, negative), which PostgREST answers with an error.
    """
    if page is None:
        page = 0
    if isinstance(page, bool):
        page = 1 if page else 0
    if isinstance(page, str):
        start = _js_number(page)
        end_base = _js_number(page + "1")
    elif isinstance(page, (int, float)):
        try:
            start = float(page)
        except OverflowError:
            start = math.inf
        end_base = start + 1
    else:
        return None
    if start is None or end_base is None:
        return None
    frm = start * PAGE_SIZE
    to = end_base * PAGE_SIZE - 1
    # Infinity/NaN offsets are refused by PostgREST (the handler's DB-error branch)
    if not (math.isfinite(frm) and math.isfinite(to)):
        return None
    if frm < 0 or frm != int(frm) or to != int(to):
        return None
    frm = int(frm)
    to = int(to)
    count = to - frm + 1
    if count < 0:
        return None
    return frm, min(count, POSTGREST_MAX_ROWS)


def _js_number(text):
    """JavaScript Number(string): trims, '' → 0, otherwise a decimal literal or NaN (None)."""
    t = text.strip()
    if t == "":
        return 0.0
    try:
        v = float(t)
    except ValueError:
        return None
    if math.isnan(v) or math.isinf(v):
        return None
    if not re.match(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$", t):
        return None
    return v


def paginate(rows, page):
    rng = js_page_range(page)
    if rng is None:
        return None
    frm, count = rng
    return rows[frm:frm + count]


def ts(value):
    """Epoch seconds of a stored timestamp (0 when missing/unparseable) — for sorting."""
    d = parse_datetime(value)
    return d.timestamp() if d else 0.0


def iso_ms(d):
    """JavaScript Date.toISOString() format."""
    d = d.astimezone(datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def to_bool(value, field):
    """Coerce a value the way PostgREST would for a boolean column; else a plain error (500)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "t", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "f", "no", "off", "0"):
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise PlainError("invalid input syntax for type boolean: %r (%s)" % (value, field))
