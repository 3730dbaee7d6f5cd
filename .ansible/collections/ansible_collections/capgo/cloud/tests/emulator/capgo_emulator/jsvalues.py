"""JSON and truthiness the way the backend's JavaScript sees them."""

import json
import math
import sys

_MAX_DOUBLE = sys.float_info.max


def _js_int(text):
    """An integer literal the way JavaScript's JSON.parse reads it (a double; huge -> ±Infinity)."""
    try:
        value = int(text)
    except ValueError:  # more digits than Python converts: certainly beyond a double
        return float(text)
    if abs(value) > _MAX_DOUBLE:
        return math.inf if value > 0 else -math.inf
    return value


def _reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def js_json_loads(text):
    """json.loads with JavaScript JSON.parse semantics: no NaN/Infinity literals, numbers
    beyond a double become ±Infinity."""
    return json.loads(text, parse_int=_js_int, parse_constant=_reject_constant)


def js_truthy(value):
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True  # true, arrays and objects (even empty ones)


def js_object_keys_count(value):
    """`!body || Object.keys(body).length === 0` -> 0 (empty), else the key count."""
    if not js_truthy(value):
        return 0
    if isinstance(value, (dict, list, str)):
        return len(value)
    return 0  # numbers and booleans have no own keys


def _js_finite(value):
    """JSON.stringify writes NaN and ±Infinity as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _js_finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_js_finite(v) for v in value]
    return value


def json_dumps(body):
    try:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(_js_finite(body), separators=(",", ":"), ensure_ascii=False)
