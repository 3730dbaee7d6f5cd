# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Times as Capgo writes them and users give them: one parser for every resource.

Private to the collection (the leading underscore): no compatibility promise. No Ansible
imports.
"""

import re
from datetime import datetime, timedelta, timezone

TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
                     r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$")


def parse_time(text):
    """An ISO 8601 date or date-time as an aware UTC datetime; None when it is not one.

    Accepts what Capgo returns and users write: ``Z``/``UTC`` or an offset (``+00:00``,
    ``+0000``, Postgres' ``+00`` and ``+0530``), any number of fractional digits, a space
    instead of ``T``; a value without a time zone is UTC. Parsed by hand, not with
    ``datetime.fromisoformat``, which refuses ``Z`` and ``+00`` before Python 3.11.
    """
    match = TIME_RE.match(("%s" % text).strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                         int((fraction or "0")[:6].ljust(6, "0")), tzinfo=timezone.utc)
        if zone and zone not in ("Z", "z", "UTC"):
            digits = zone[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
            if hours > 23 or minutes > 59:
                return None
            offset = timedelta(hours=hours, minutes=minutes)
            value = value - offset if zone[0] == "+" else value + offset
    except (ValueError, OverflowError):  # no such day or time, or out of datetime's range once in UTC
        return None
    return value
