# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a session counted: tests/output/pipeline/<session>.json, read by run.py's table.

Counts come from structured output (JUnit XML of pytest and ansible-test, ansible-test's
integration data file, the `ok:` / `not ok:` lines of the project's own checks), not from
scraping a tool's summary line.
"""

import glob
import json
import os
import xml.etree.ElementTree as ET

from .common import RESULTS


class Counts:
    def __init__(self, passed=0, failed=0, skipped=0, notes=None):
        self.passed = passed
        self.failed = failed
        self.skipped = skipped
        self.notes = list(notes or [])

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.notes += other.notes
        return self

    def check(self, ok, message):
        """One check of the project's own: prints `ok: ...` or `not ok: ...` and counts it."""
        print("%s: %s" % ("ok" if ok else "not ok", message))
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok

    def as_dict(self):
        return {"passed": self.passed, "failed": self.failed, "skipped": self.skipped,
                "note": "; ".join(self.notes)}


def path_for(session_name):
    return os.path.join(RESULTS, "%s.json" % session_name)


def clear(session_name):
    try:
        os.unlink(path_for(session_name))
    except OSError:
        pass


def write(session_name, counts):
    os.makedirs(RESULTS, exist_ok=True)
    with open(path_for(session_name), "w") as handle:
        json.dump(counts.as_dict(), handle)


def read(session_name):
    try:
        with open(path_for(session_name)) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def junit_counts(paths):
    """Test cases of JUnit XML files: passed, failed (failures and errors), skipped, and the
    names of the skipped ones."""
    counts = Counts()
    skipped_names = []
    for path in paths:
        root = ET.parse(path).getroot()
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                counts.failed += 1
            elif case.find("skipped") is not None:
                counts.skipped += 1
                skipped_names.append("%s %s" % (case.get("classname", ""), case.get("name", "")))
            else:
                counts.passed += 1
    return counts, skipped_names


def junit_files(directory):
    return sorted(glob.glob(os.path.join(directory, "*.xml")))


def integration_counts(output_dir, targets):
    """Targets that passed, from ansible-test's data file (it lists the passed ones), against
    the targets asked for."""
    passed = set()
    for path in glob.glob(os.path.join(output_dir, "data", "integration-*.json")):
        with open(path) as handle:
            passed.update((json.load(handle).get("targets") or {}).keys())
    failed = [t for t in targets if t not in passed]
    return Counts(passed=len([t for t in targets if t in passed]), failed=len(failed),
                  notes=["failed: %s" % " ".join(failed)] if failed else [])
