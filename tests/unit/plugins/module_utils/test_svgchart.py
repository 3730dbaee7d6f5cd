# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import datetime
import os
import stat
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.capgo.cloud.plugins.module_utils import _svgchart as chart

SVG = "{http://www.w3.org/2000/svg}"
MB = 1024 ** 2
GB = 1024 ** 3


@pytest.mark.parametrize("value, text", [
    (0, "0 B"),
    (512, "512 B"),
    (1023, "1,023 B"),
    (1024, "1 KB"),
    (1536, "1.5 KB"),
    (MB, "1 MB"),
    (1572864, "1.5 MB"),
    (52428800, "50 MB"),
    (int(12.34 * MB), "12.3 MB"),
    (int(1.234 * GB), "1.23 GB"),
    (150 * GB, "150 GB"),
    (2048 * GB, "2 TB"),
])
def test_format_bytes_picks_a_binary_unit(value, text):
    assert chart.format_bytes(value) == text


def test_format_bytes_can_force_the_axis_unit():
    assert chart.format_bytes(512 * 1024, "MB") == "0.5 MB"
    assert chart.format_bytes(0, "GB") == "0 GB"
    assert chart.format_bytes(3 * GB, "MB") == "3,072 MB"


@pytest.mark.parametrize("value, text", [
    (0, "0 users"),
    (1, "1 user"),
    (2, "2 users"),
    (1234, "1,234 users"),
    (25000, "25k users"),
    (12500, "12.5k users"),
    (1200000, "1.2M users"),
])
def test_format_users(value, text):
    assert chart.format_users(value) == text


@pytest.mark.parametrize("maximum, integer, ticks", [
    (150, True, [0, 50, 100, 150]),
    (675, True, [0, 200, 400, 600, 800]),
    (3, False, [0, 1, 2, 3]),
    (0, True, [0, 1]),
    (2, True, [0, 1, 2]),
    (0.9, False, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
])
def test_nice_ticks_are_round_and_cover_the_maximum(maximum, integer, ticks):
    assert chart.nice_ticks(maximum, integer=integer) == pytest.approx(ticks)


def test_short_day_is_english_and_locale_independent():
    assert chart.short_day(datetime.date(2026, 11, 1)) == "Nov 1"
    assert chart.parse_day("2026-11-05T00:00:00.000Z") == datetime.date(2026, 11, 5)


def points(days, value=lambda i: (i + 1) * 10):
    start = datetime.date(2026, 10, 1)
    return [((start + datetime.timedelta(days=i)).isoformat(), value(i)) for i in range(days)]


def test_line_chart_has_title_one_point_per_day_and_dated_axis():
    svg = chart.render_chart("Monthly active users \u2014 com.demo.app", points(5), unit="users")
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == SVG + "svg"
    assert root.find(SVG + "title").text == "Monthly active users \u2014 com.demo.app"
    circles = root.findall(".//%scircle" % SVG)
    assert [c.get("data-date") for c in circles] == [d for d, _v in points(5)]
    assert [c.get("data-value") for c in circles] == ["10", "20", "30", "40", "50"]
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "Oct 1" in texts and "Oct 5" in texts
    assert "users" in texts  # y axis label
    assert "50" in texts  # a tick label in users
    # a higher value is drawn higher (smaller y)
    assert float(circles[4].get("cy")) < float(circles[0].get("cy"))


def test_bar_chart_in_bytes_labels_the_axis_in_one_unit():
    svg = chart.render_chart("Storage", points(3, lambda i: (i + 1) * MB), unit="bytes", style="bar",
                             y_label="Storage")
    root = ET.fromstring(svg.encode("utf-8"))
    bars = root.findall(".//%srect[@class='bar']" % SVG)
    assert len(bars) == 3
    ticks = [t.text for t in root.find(SVG + "g[@class='y-axis']").iter(SVG + "text")]
    assert ticks[0] == "0 MB" and ticks[-1] == "3 MB"
    assert all(t.endswith(" MB") for t in ticks)
    assert bars[2].find(SVG + "title").text == "2026-10-03: 3 MB"


def test_long_periods_label_at_most_ten_days():
    svg = chart.render_chart("MAU", points(90), unit="users")
    root = ET.fromstring(svg.encode("utf-8"))
    labels = list(root.find(SVG + "g[@class='x-axis']").iter(SVG + "text"))
    assert 1 < len(labels) <= chart.MAX_X_LABELS
    assert len(root.findall(".//%scircle" % SVG)) == 90


def test_same_data_gives_the_same_bytes_and_other_data_not():
    one = chart.render_chart("MAU", points(30), unit="users")
    assert one == chart.render_chart("MAU", points(30), unit="users")
    assert one != chart.render_chart("MAU", points(30, lambda i: i), unit="users")


def test_title_is_escaped_and_empty_data_still_renders():
    svg = chart.render_chart("A & <B>", [], unit="bytes")
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.find(SVG + "title").text == "A & <B>"
    assert "No data for this period" in [t.text for t in root.iter(SVG + "text")]


def test_short_periods_write_each_value_long_ones_do_not():
    root = ET.fromstring(chart.render_chart("S", points(3, lambda i: (i + 1) * MB), unit="bytes").encode("utf-8"))
    labels = [t.text for t in root.find(SVG + "g[@class='value-labels']").iter(SVG + "text")]
    assert labels == ["1 MB", "2 MB", "3 MB"]
    root = ET.fromstring(chart.render_chart("S", points(30), unit="users").encode("utf-8"))
    assert root.find(SVG + "g[@class='value-labels']") is None


# -- write_if_changed: compare, then replace atomically ------------------------------------

def test_write_if_changed_writes_a_new_file_with_the_umask(tmp_path):
    path = tmp_path / "c.svg"
    old = os.umask(0o027)
    try:
        assert chart.write_if_changed(str(path), b"<svg/>") is True
    finally:
        os.umask(old)
    assert path.read_bytes() == b"<svg/>"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.svg"]


def test_write_if_changed_same_bytes_is_no_change_and_no_write(tmp_path):
    path = tmp_path / "c.svg"
    path.write_bytes(b"<svg/>")
    before = path.stat()
    assert chart.write_if_changed(str(path), b"<svg/>") is False
    assert chart.write_if_changed(str(path), b"<svg/>", check_mode=True) is False
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_write_if_changed_replaces_atomically_and_keeps_the_mode(tmp_path):
    path = tmp_path / "c.svg"
    path.write_bytes(b"<svg>old</svg>")
    os.chmod(str(path), 0o600)
    inode = path.stat().st_ino
    assert chart.write_if_changed(str(path), b"<svg>new</svg>") is True
    assert path.read_bytes() == b"<svg>new</svg>"
    # a new file moved over the old one (os.replace), not the old one rewritten in place
    assert path.stat().st_ino != inode
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.svg"]


def test_write_if_changed_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "c.svg"
    assert chart.write_if_changed(str(path), b"<svg/>", check_mode=True) is True
    assert not path.exists()
    path.write_bytes(b"<svg>old</svg>")
    assert chart.write_if_changed(str(path), b"<svg/>", check_mode=True) is True
    assert path.read_bytes() == b"<svg>old</svg>"


def test_write_if_changed_raises_and_leaves_no_temporary_file(tmp_path):
    with pytest.raises(OSError):
        chart.write_if_changed(str(tmp_path / "missing" / "c.svg"), b"<svg/>")
    target = tmp_path / "dir.svg"
    target.mkdir()  # os.replace cannot put a file over a directory
    with pytest.raises(OSError):
        chart.write_if_changed(str(target), b"<svg/>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.svg"]


def test_write_if_changed_follows_a_symlinked_dest(tmp_path):
    target = tmp_path / "charts" / "mau.svg"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link = tmp_path / "latest.svg"
    link.symlink_to(target)
    assert chart.write_if_changed(str(link), b"new") is True
    assert link.is_symlink() and target.read_bytes() == b"new"
