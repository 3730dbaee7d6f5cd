"""Small helpers shared by helper B's route modules (channel, device, bundle,
statistics, webhooks).  Not a route module itself: it registers no routes."""

import datetime as _dt
import math
import re

from ..errors import ApiError

APP_ID_RE = re.compile(r"^[a-z0-9]+(\.[\w-]+)+$", re.IGNORECASE)
PAGE_SIZE = 50
POSTGREST_MAX_ROWS = 1000


class PlainError(Exception):
    """A plain (non-ApiError) exception: the core turns it into 500 unknown_error."""


def check_app_id(body, missing="missing_app_id"):
    """Validate `app_id` in an input dict: missing → 400 `missing`, bad shape → 400 invalid_app_id."""
    app_id = body.get("app_id")
    if app_id is None or app_id == "":
        raise ApiError(missing, "Missing app_id")
    if not isinstance(app_id, str) or not APP_ID_RE.match(app_id):
        raise ApiError("invalid_app_id", "App ID must be a reverse domain string", more_info={"app_id": app_id})
    return app_id


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


def parse_iso(value):
    """Parse an ISO-ish timestamp (as stored in state) to an aware UTC datetime, or None."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return _dt.datetime.fromtimestamp(value, _dt.timezone.utc)
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc)
    s = str(value).strip()
    if not s:
        return None
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    s = s.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", s) else s
    # Python < 3.11 only accepts 0, 3 or 6 fractional digits.
    m = re.match(r"^(.*T\d{2}:\d{2}:\d{2})\.(\d+)(.*)$", s)
    if m:
        frac = (m.group(2) + "000000")[:6]
        s = "%s.%s%s" % (m.group(1), frac, m.group(3))
    try:
        d = _dt.datetime.fromisoformat(s)
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.timezone.utc)
    return d.astimezone(_dt.timezone.utc)


def ts(value):
    """Epoch seconds of a stored timestamp (0 when missing/unparseable) — for sorting."""
    d = parse_iso(value)
    return d.timestamp() if d else 0.0


def iso_ms(d):
    """JavaScript Date.toISOString() format."""
    d = d.astimezone(_dt.timezone.utc)
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


def to_int_id(value):
    """An id sent as JSON number or numeric string → int, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.match(r"^\s*\d+\s*$", value):
        return int(value)
    return None
