# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small, dependency-free SVG chart of one daily usage metric.

Private to the collection (the leading underscore): no compatibility promise.
The output is deterministic: the same title, series and options always give the same bytes
(no timestamps, no random ids, fixed number formatting), so a module can compare a new chart
with the file on disk and report a change only when the content changed (``write_if_changed``,
used by the ``capgo_info`` action plugin on the controller, and by the module itself when it is
given ``dest`` directly).
"""

import datetime
import math
import os
import tempfile
from xml.sax.saxutils import escape, quoteattr

# Binary units, as Capgo's dashboard counts storage and bandwidth (1 MB = 1024 KB).
BYTE_UNITS = (("B", 1), ("KB", 1024), ("MB", 1024 ** 2), ("GB", 1024 ** 3), ("TB", 1024 ** 4),
              ("PB", 1024 ** 5))
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

WIDTH = 860
HEIGHT = 420
MARGIN_LEFT = 96
MARGIN_RIGHT = 28
MARGIN_TOP = 78
MARGIN_BOTTOM = 64
MAX_X_LABELS = 10
MAX_VALUE_LABELS = 15  # up to this many days, each value is written above its point or bar
COLOR = "#2563eb"
FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"


# -- numbers -------------------------------------------------------------

def _trim(number, decimals):
    """``number`` with at most ``decimals`` decimals, without trailing zeros (``1.50`` → ``1.5``)."""
    text = "%.*f" % (decimals, number)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text


def _group(integer):
    """``1234567`` → ``1,234,567`` (locale independent)."""
    return "{:,}".format(int(integer))


def byte_unit(value):
    """The (name, factor) of the largest binary unit not larger than ``value`` (B for 0)."""
    value = abs(value or 0)
    chosen = BYTE_UNITS[0]
    for name, factor in BYTE_UNITS:
        if value >= factor:
            chosen = (name, factor)
    return chosen


def format_bytes(value, unit=None):
    """A byte count in a readable binary unit: ``1572864`` → ``1.5 MB``.

    ``unit`` forces a unit name (``MB``) so that every label of an axis uses the same one.
    Values of 100 units or more are shown without decimals, smaller ones with at most one
    (at most two below 10).
    """
    value = value or 0
    if unit is None:
        name, factor = byte_unit(value)
    else:
        name, factor = [u for u in BYTE_UNITS if u[0] == unit][0]
    scaled = value / float(factor)
    if abs(scaled) >= 100 or name == "B":
        decimals = 0
    elif abs(scaled) >= 10:
        decimals = 1
    else:
        decimals = 2
    text = _group(round(scaled)) if decimals == 0 else _trim(scaled, decimals)
    return "%s %s" % (text, name)


def format_count(value):
    """A count of users: ``1234`` → ``1,234``; ``25000`` → ``25k``; ``1200000`` → ``1.2M``."""
    value = value or 0
    if abs(value) >= 1000000:
        return "%sM" % _trim(value / 1000000.0, 1)
    if abs(value) >= 10000:
        return "%sk" % _trim(value / 1000.0, 1)
    if float(value).is_integer():
        return _group(value)
    return _trim(value, 2)


def format_users(value):
    """A number of users, with the unit: ``1`` → ``1 user``, ``1234`` → ``1,234 users``."""
    return "%s %s" % (format_count(value), "user" if value == 1 else "users")


def nice_step(span, ticks=5, integer=False):
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about ``ticks`` intervals."""
    if span <= 0:
        return 1.0
    raw = span / float(ticks)
    power = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 2.5, 5, 10):
        step = mult * power
        if step >= raw - 1e-12:
            break
    if integer:
        step = max(1.0, math.ceil(step))
    return step


def nice_ticks(maximum, ticks=5, integer=False):
    """Tick values from 0 up to a round value ≥ ``maximum`` (at least ``[0, step]``)."""
    maximum = max(0.0, float(maximum or 0))
    step = nice_step(maximum, ticks, integer)
    count = max(1, int(math.ceil(maximum / step - 1e-9)))
    return [round(i * step, 10) for i in range(count + 1)]


# -- dates ---------------------------------------------------------------

def parse_day(text):
    """``2026-11-01`` (or an ISO timestamp starting with it) → ``datetime.date``."""
    return datetime.datetime.strptime(str(text)[:10], "%Y-%m-%d").date()


def short_day(day):
    """``date(2026, 11, 1)`` → ``Nov 1`` (English, locale independent)."""
    return "%s %d" % (MONTHS[day.month - 1], day.day)


def long_day(day):
    return "%s %d, %d" % (MONTHS[day.month - 1], day.day, day.year)


# -- the chart -----------------------------------------------------------

def _num(value):
    """Coordinates with two decimals at most: stable text for stable bytes."""
    return _trim(round(value, 2), 2)


def render_chart(title, points, unit="users", style="line", subtitle=None, y_label=None):
    """An SVG document (text) charting ``points``, a list of ``(day, value)``.

    ``day`` is a ``YYYY-MM-DD`` string or a ``datetime.date``; one point (``style="line"``)
    or one bar (``style="bar"``) is drawn per day, each carrying ``data-date`` and
    ``data-value`` attributes and a tooltip. ``unit`` is ``users`` or ``bytes``: the y axis is
    labelled in users or in one binary unit (KB, MB, GB, …) chosen from the largest value.
    """
    days = [(d if isinstance(d, datetime.date) else parse_day(d), float(v or 0)) for d, v in points]
    count = len(days)
    top = max([v for _d, v in days] + [0.0])
    if unit == "bytes":
        unit_name, factor = byte_unit(top)
        scaled_ticks = nice_ticks(top / float(factor), integer=False)
        ticks = [t * factor for t in scaled_ticks]

        def tick_label(v):
            return format_bytes(v, unit_name)

        def value_label(v):
            return format_bytes(v)
        axis_unit = unit_name
    else:
        ticks = nice_ticks(top, integer=True)
        tick_label = format_count
        value_label = format_users
        axis_unit = "users"
    y_max = ticks[-1] or 1.0

    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    band = plot_w / float(max(count, 1))

    def x_center(i):
        return MARGIN_LEFT + band * (i + 0.5)

    def y_of(v):
        return MARGIN_TOP + plot_h - plot_h * (v / y_max)

    out = []
    add = out.append
    add('<?xml version="1.0" encoding="UTF-8"?>')
    add('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
        'aria-labelledby="chart-title chart-desc" font-family=%s>'
        % (WIDTH, HEIGHT, WIDTH, HEIGHT, quoteattr(FONT)))
    add('<title id="chart-title">%s</title>' % escape(title))
    if days:
        desc = "%s, %d days from %s to %s." % (title, count, days[0][0].isoformat(), days[-1][0].isoformat())
    else:
        desc = "%s: no data." % title
    add('<desc id="chart-desc">%s</desc>' % escape(desc))
    add('<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>' % (WIDTH, HEIGHT))
    add('<text class="title" x="%d" y="30" font-size="19" font-weight="600" fill="#111827">%s</text>'
        % (MARGIN_LEFT, escape(title)))
    if subtitle:
        add('<text class="subtitle" x="%d" y="52" font-size="13" fill="#4b5563">%s</text>'
            % (MARGIN_LEFT, escape(subtitle)))

    # y axis: grid lines, tick labels, axis title
    add('<g class="y-axis" font-size="12" fill="#4b5563" text-anchor="end">')
    for tick in ticks:
        y = y_of(tick)
        add('<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#e5e7eb" stroke-width="1"/>'
            % (MARGIN_LEFT, _num(y), WIDTH - MARGIN_RIGHT, _num(y)))
        add('<text x="%d" y="%s" dominant-baseline="middle">%s</text>'
            % (MARGIN_LEFT - 8, _num(y), escape(tick_label(tick))))
    add('</g>')
    label = y_label or axis_unit
    mid = MARGIN_TOP + plot_h / 2.0
    add('<text class="y-label" x="18" y="%s" font-size="13" fill="#374151" text-anchor="middle" '
        'transform="rotate(-90 18 %s)">%s</text>' % (_num(mid), _num(mid), escape(label)))

    # x axis: baseline and date labels (at most MAX_X_LABELS, evenly spaced)
    base = MARGIN_TOP + plot_h
    add('<line class="x-axis-line" x1="%d" y1="%d" x2="%d" y2="%d" stroke="#9ca3af" stroke-width="1"/>'
        % (MARGIN_LEFT, base, WIDTH - MARGIN_RIGHT, base))
    add('<g class="x-axis" font-size="12" fill="#4b5563" text-anchor="middle">')
    every = max(1, int(math.ceil(count / float(MAX_X_LABELS))))
    for i, (day, _v) in enumerate(days):
        if i % every == 0:
            add('<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#9ca3af" stroke-width="1"/>'
                % (_num(x_center(i)), base, _num(x_center(i)), base + 5))
            add('<text x="%s" y="%d">%s</text>' % (_num(x_center(i)), base + 20, escape(short_day(day))))
    add('</g>')
    if days:
        first, last = days[0][0], days[-1][0]
        years = "%d" % first.year if first.year == last.year else "%d–%d" % (first.year, last.year)
        add('<text class="x-label" x="%s" y="%d" font-size="13" fill="#374151" text-anchor="middle">'
            'Date (UTC, %s)</text>' % (_num(MARGIN_LEFT + plot_w / 2.0), HEIGHT - 12, years))
    else:
        add('<text class="empty" x="%s" y="%s" font-size="15" fill="#6b7280" text-anchor="middle">'
            'No data for this period</text>' % (_num(MARGIN_LEFT + plot_w / 2.0), _num(mid)))

    # the series
    add('<g class="series" fill="%s" stroke="none">' % COLOR)
    if style == "bar":
        width = max(1.0, min(band * 0.7, 40.0))
        for i, (day, value) in enumerate(days):
            y = y_of(value)
            add('<rect class="bar" data-date="%s" data-value="%s" x="%s" y="%s" width="%s" height="%s">'
                '<title>%s: %s</title></rect>'
                % (day.isoformat(), _trim(value, 2), _num(x_center(i) - width / 2.0), _num(y), _num(width),
                   _num(base - y), day.isoformat(), escape(value_label(value))))
    else:
        if count > 1:
            coords = " ".join("%s,%s" % (_num(x_center(i)), _num(y_of(v))) for i, (_d, v) in enumerate(days))
            add('<polyline class="line" points="%s" fill="none" stroke="%s" stroke-width="2" '
                'stroke-linejoin="round"/>' % (coords, COLOR))
        for i, (day, value) in enumerate(days):
            add('<circle class="point" data-date="%s" data-value="%s" cx="%s" cy="%s" r="3.5">'
                '<title>%s: %s</title></circle>'
                % (day.isoformat(), _trim(value, 2), _num(x_center(i)), _num(y_of(value)), day.isoformat(),
                   escape(value_label(value))))
    add('</g>')
    if 0 < count <= MAX_VALUE_LABELS:
        short = format_bytes if unit == "bytes" else format_count
        add('<g class="value-labels" font-size="11" fill="#1f2937" text-anchor="middle">')
        for i, (day, value) in enumerate(days):
            add('<text x="%s" y="%s">%s</text>' % (_num(x_center(i)), _num(y_of(value) - 8), escape(short(value))))
        add('</g>')
    add('</svg>')
    return "\n".join(out) + "\n"


# -- the file ------------------------------------------------------------

def write_if_changed(path, content, check_mode=False):
    """Make the file ``path`` hold the bytes ``content``; True when its content changed (or would).

    Compares with the file's bytes first: the same content is no change and nothing is written.
    Otherwise (and not in ``check_mode``) writes a temporary file in the same directory and
    moves it over ``path`` with ``os.replace``, so that a reader sees the old file or the new
    one, never half of one. A replaced file keeps its permissions; a new one gets
    ``0666 & ~umask``. Raises ``OSError`` (no temporary file left behind) when it cannot write.
    """
    # A symlinked dest keeps its link: the file it points to is the one written.
    path = os.path.realpath(path)
    try:
        with open(path, "rb") as handle:
            if handle.read() == content:
                return False
    except (IOError, OSError):  # no file yet (or an unreadable one, which is replaced)
        pass
    if check_mode:
        return True
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=".%s-" % os.path.basename(path), suffix=".tmp", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return True
