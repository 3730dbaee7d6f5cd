"""Small validation helpers shared by route modules."""

import re

from ..errors import ApiError
from ..state import APP_ID_RE

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HTML_TAG_RE = re.compile(r"<[^>]*>")


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
