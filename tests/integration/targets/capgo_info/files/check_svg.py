#!/usr/bin/env python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse an SVG chart as XML and print what the capgo_info target asserts, as JSON."""

import json
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def main(path):
    root = ET.parse(path).getroot()
    title = root.find(NS + "title")
    marks = [e for e in root.iter() if e.tag in (NS + "circle", NS + "rect") and e.get("data-date")]
    print(json.dumps({
        "root": root.tag,
        "title": title.text if title is not None else None,
        "texts": [t.text for t in root.iter(NS + "text") if t.text],
        "dates": [e.get("data-date") for e in marks],
        "values": [e.get("data-value") for e in marks],
        "kinds": sorted(set(e.get("class") for e in marks)),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
