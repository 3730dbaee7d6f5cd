# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Native compatibility of bundles, as Capgo's CLI (``@capgo/cli`` 8.68.1) sees it.

``read_project(root)``
    the native packages of a Capacitor project, in the form the CLI stores on a bundle
    (``native_packages``): ``{name, version, requested_version[, ios_checksum][, android_checksum]}``
    for each dependency that declares a native plugin and ships native sources.
``compare(new, old)``
    one row per native package of either list (``name``, ``local_version``, ``channel_version``,
    ``compatible``, ``reasons``, ``message``), with the CLI's rules and reason words.
``ranges_intersect(a, b)``
    the semantic-version range intersection the CLI's rules use (npm range syntax).

No Ansible imports. Private to the collection: no compatibility promise.
"""


import hashlib
import json
import os
import re

# A native source file, tested against the path (the CLI's pattern).
NATIVE_FILE_RE = re.compile(r"[A-Za-z0-9]\.(?:java|swift|kt|scala)\Z")
INCOMPATIBLE_REASONS = ("new_plugin", "version_mismatch", "ios_code_changed", "android_code_changed",
                        "both_platforms_changed", "platform_checksum_metadata_changed")
MESSAGES = {
    "new_plugin": "new plugin (requires app store update)",
    "ios_code_changed": "iOS native code changed",
    "android_code_changed": "Android native code changed",
    "both_platforms_changed": "iOS and Android native code changed",
    "platform_checksum_metadata_changed": "iOS/Android checksum metadata appeared or disappeared",
}


class NativeError(Exception):
    """A project that cannot be read: one line."""


# -- the order of paths (JavaScript's localeCompare, ICU root collation) -------------

# ICU's root order of the printable ASCII characters (letters: a < A < b < B ...; case is a
# third-level difference only).
_ASCII_ORDER = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_PRIMARY = {c: i + 1 for i, c in enumerate(_ASCII_ORDER)}


def collation_key(text):
    """A sort key that orders ASCII paths as ``a.localeCompare(b)`` does in Node.js (ICU).

    First level: every character's weight, letters without case; last level: lower case
    before upper case. Characters outside ASCII come after the letters, by code point.
    """
    primary = []
    tertiary = []
    for char in text:
        lower = char.lower() if char.isascii() else char
        weight = _PRIMARY.get(lower)
        if weight is None:
            if ord(char) < 32:
                continue  # control characters are ignorable
            weight = 1000 + ord(char)
        primary.append(weight)
        tertiary.append(1 if char.isascii() and char.isupper() else 0)
    return (primary, tertiary)


# -- semantic-version ranges (npm syntax, as the CLI's @std/semver reads them) --------

_NUM = r"0|[1-9]\d*"
_PRE_ID = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*)"
_PRE = r"(?:-(?P<prerelease>%s(?:\.%s)*))" % (_PRE_ID, _PRE_ID)
_BUILD = r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))"
_VERSION_RE = re.compile(r"^v?(?P<major>%s)\.(?P<minor>%s)\.(?P<patch>%s)%s?%s?\Z" % (_NUM, _NUM, _NUM, _PRE, _BUILD))
_XNUM = r"%s|x|X|\*" % _NUM
_PARTIAL = (r"[v=\s]*(?P<major>%s)(?:\.(?P<minor>%s)(?:\.(?P<patch>%s)%s?%s?)?)?"
            % (_XNUM, _XNUM, _XNUM, _PRE, _BUILD))
_OPERATOR_RE = re.compile(r"^(?P<operator>~>?|\^|(?:<|>)?=?)\s*%s\Z" % _PARTIAL)
_HYPHEN_LEFT_RE = re.compile(r"^" + _PARTIAL)
_HYPHEN_RIGHT_RE = re.compile(r"^" + _PARTIAL + r"\s*\Z")
_ANY = (None, None)  # the comparator every version satisfies
_BROKEN = ("<", None)  # "<=*": parsed, but no version compares with it (ValueError)


def _identifiers(text, numeric=True):
    out = []
    for part in (text or "").split("."):
        if not part:
            continue
        if numeric and re.match(r"^(?:0|[1-9]\d*)\Z", part):
            out.append(int(part))
        else:
            out.append(part)
    return out


def parse_version(text):
    """(major, minor, patch, prerelease list, build list), or None when ``text`` is not a version."""
    if not isinstance(text, str) or len(text) > 256:
        return None
    match = _VERSION_RE.match(text.strip())
    if not match:
        return None
    return (int(match.group("major")), int(match.group("minor")), int(match.group("patch")),
            _identifiers(match.group("prerelease")), _identifiers(match.group("build"), numeric=False))


def format_version(version):
    text = "%d.%d.%d" % version[:3]
    if version[3]:
        text += "-" + ".".join("%s" % p for p in version[3])
    if version[4]:
        text += "+" + ".".join(version[4])
    return text


def _compare_pre(a, b):
    if a and not b:
        return -1
    if b and not a:
        return 1
    for index in range(max(len(a), len(b))):
        if index >= len(a):
            return -1
        if index >= len(b):
            return 1
        x, y = a[index], b[index]
        if isinstance(x, str) != isinstance(y, str):
            return 1 if isinstance(x, str) else -1
        if x != y:
            return -1 if x < y else 1
    return 0


def compare_versions(a, b):
    """-1, 0 or 1 (build metadata ignored)."""
    for x, y in zip(a[:3], b[:3]):
        if x != y:
            return -1 if x < y else 1
    return _compare_pre(a[3], b[3])


def _is_x(part):
    return not part or part in ("x", "X", "*")


def _cmp(operator, major, minor, patch, prerelease=None):
    return (operator, (major, minor, patch, list(prerelease or []), []))


def _partial_comparators(operator, g):
    """The comparators of one ``operator partial-version`` (``^1.2``, ``<=2``, ``1.x``, ...)."""
    x_major, x_minor, x_patch = _is_x(g["major"]), _is_x(g["minor"]), _is_x(g["patch"])
    major = 0 if x_major else int(g["major"])
    minor = 0 if x_minor else int(g["minor"])
    patch = 0 if x_patch else int(g["patch"])
    pre = _identifiers(g.get("prerelease"))
    if operator == "^":
        if x_major:
            return [_ANY]
        if x_minor:
            return [_cmp(">=", major, 0, 0), _cmp("<", major + 1, 0, 0)]
        if x_patch:
            upper = _cmp("<", major, minor + 1, 0) if major == 0 else _cmp("<", major + 1, 0, 0)
            return [_cmp(">=", major, minor, 0), upper]
        if major == 0:
            upper = _cmp("<", 0, 0, patch + 1) if minor == 0 else _cmp("<", 0, minor + 1, 0)
        else:
            upper = _cmp("<", major + 1, 0, 0)
        return [_cmp(">=", major, minor, patch, pre), upper]
    if operator in ("~", "~>"):
        if x_major:
            return [_ANY]
        if x_minor:
            return [_cmp(">=", major, 0, 0), _cmp("<", major + 1, 0, 0)]
        return [_cmp(">=", major, minor, 0 if x_patch else patch, [] if x_patch else pre),
                _cmp("<", major, minor + 1, 0)]
    if operator == "<":
        if x_major:
            return [_cmp("<", 0, 0, 0)]
        return [_cmp("<", major, 0 if x_minor else minor, 0 if (x_minor or x_patch) else patch,
                     [] if (x_minor or x_patch) else pre)]
    if operator == "<=":
        if x_major:
            return [_BROKEN]
        if x_minor:
            return [_cmp("<", major + 1, 0, 0)]
        if x_patch:
            return [_cmp("<", major, minor + 1, 0)]
        return [_cmp("<=", major, minor, patch, pre)]
    if operator == ">":
        if x_major:
            return [_cmp("<", 0, 0, 0)]
        if x_minor:
            return [_cmp(">=", major + 1, 0, 0)]
        if x_patch:
            return [_cmp(">=", major, minor + 1, 0)]
        return [_cmp(">", major, minor, patch, pre)]
    if operator == ">=":
        if x_major:
            return [_ANY]
        return [_cmp(">=", major, 0 if x_minor else minor, 0 if (x_minor or x_patch) else patch,
                     [] if (x_minor or x_patch) else pre)]
    # "", "=": an exact version, or an x-range
    if x_major:
        return [_ANY]
    if x_minor:
        return [_cmp(">=", major, 0, 0), _cmp("<", major + 1, 0, 0)]
    if x_patch:
        return [_cmp(">=", major, minor, 0), _cmp("<", major, minor + 1, 0)]
    return [_cmp("=" if operator == "=" else None, major, minor, patch, pre)]


def _comparator(text):
    match = _OPERATOR_RE.match(text)
    if match:
        return _partial_comparators(match.group("operator"), match.groupdict())
    return [_ANY] if text == "" else [None]


def _hyphen(text):
    """The comparators of ``A - B`` (an empty list when both ends are wildcards), or None."""
    left = _HYPHEN_LEFT_RE.match(text)
    if not left:
        return None
    dash = re.match(r"^\s+-\s+", text[left.end():])
    if not dash:
        return None
    right = _HYPHEN_RIGHT_RE.match(text[left.end() + dash.end():])
    if right is None:
        raise ValueError("cannot parse the upper end of %r" % text)
    out = []
    g = left.groupdict()
    if not _is_x(g["major"]):
        out.extend(c for c in _partial_comparators(">=", g) if c != _ANY)
    g = right.groupdict()
    if not _is_x(g["major"]):
        if _is_x(g["minor"]):
            out.append(_cmp("<", int(g["major"]) + 1, 0, 0))
        elif _is_x(g["patch"]):
            out.append(_cmp("<", int(g["major"]), int(g["minor"]) + 1, 0))
        else:
            out.append(_cmp("<=", int(g["major"]), int(g["minor"]), int(g["patch"]), _identifiers(g.get("prerelease"))))
    return out


def parse_range(text):
    """A range as a list of comparator sets (``||``), each a list of comparators; ValueError when invalid."""
    if not isinstance(text, str):
        raise ValueError("a range must be a string")
    cleaned = re.sub(r"(?<=[<>=~^])\s+", "", text)
    sets = []
    for part in re.split(r"\s*\|\|\s*", cleaned):
        comparators = _hyphen(part)
        if comparators is None:
            comparators = [c for word in re.split(r"\s+", part) for c in _comparator(word)]
        if any(c is None for c in comparators):
            raise ValueError("cannot parse version range %r" % text)
        sets.append(comparators)
    return sets


def _satisfies(version, comparator):
    operator, bound = comparator
    if comparator == _ANY:
        return True
    if bound is None:
        raise ValueError("cannot compare against a comparator without a version")
    order = compare_versions(version, bound)
    return {None: order == 0, "=": order == 0, ">": order > 0, "<": order < 0,
            ">=": order >= 0, "<=": order <= 0}[operator]


def _in_set(version, comparators):
    if not all(_satisfies(version, c) for c in comparators):
        return False
    if not version[3]:
        return True
    # a prerelease satisfies a set only through a comparator with a prerelease of the same x.y.z
    return any(c[1] is not None and c[1][3] and c[1][:3] == version[:3] for c in comparators)


def _comparators_intersect(a, b):
    (op_a, ver_a), (op_b, ver_b) = a, b
    if op_a is None:
        return ver_a is None or _in_set(ver_a, [b])
    if op_b is None:
        return ver_b is None or _in_set(ver_b, [a])
    # both with an operator ("=" included, which the CLI's library then never matches)
    if ver_a is None or ver_b is None:
        raise ValueError("cannot compare against a comparator without a version")
    order = compare_versions(ver_a, ver_b)
    up_a, up_b = op_a in (">=", ">"), op_b in (">=", ">")
    down_a, down_b = op_a in ("<=", "<"), op_b in ("<=", "<")
    same_way = (up_a and up_b) or (down_a and down_b)
    both_inclusive_at_one_point = order == 0 and op_a in (">=", "<=") and op_b in (">=", "<=")
    a_below_b = order == -1 and up_a and down_b
    a_above_b = order == 1 and down_a and up_b
    return same_way or both_inclusive_at_one_point or a_below_b or a_above_b


def _set_satisfiable(comparators):
    for index, first in enumerate(comparators):
        for second in comparators[index + 1:]:
            if not _comparators_intersect(first, second):
                return False
    return True


def ranges_intersect(a, b):
    """True when some version can satisfy both ranges (strings); False when either cannot be parsed or
    compared (as the CLI, which counts its library's errors as "no intersection")."""
    try:
        left, right = parse_range(a), parse_range(b)
        if not all(any(_set_satisfiable(s) for s in sets) for sets in (left, right)):
            return False
        return any(all(_comparators_intersect(x, y) for x in s1 for y in s2) for s1 in left for s2 in right)
    except ValueError:
        return False


# -- comparison ------------------------------------------------------------------------


def _filled(value):
    return isinstance(value, str) and value.strip() != ""


def package_details(local, remote):
    """The CLI's verdict on one package: (compatible, reasons, message).

    ``local`` is the package in the new bundle (or project), ``remote`` the one in the bundle the
    channel serves; either may be None.
    """
    if not local:
        return True, [], "Package only exists on remote (will be removed)"
    if not remote:
        return False, ["new_plugin"], "New native plugin added (requires app store update)"
    reasons = []
    messages = []
    if not ranges_intersect(local.get("version"), remote.get("version")):
        reasons.append("version_mismatch")
        messages.append("version changed: %s → %s" % (remote.get("version"), local.get("version")))
    local_req, remote_req = local.get("requested_version"), remote.get("requested_version")
    if local_req and remote_req and str(local_req).strip() != str(remote_req).strip():
        reasons.append("requested_version_changed")
        messages.append("requested version changed: %s → %s" % (remote_req, local_req))
    local_ios, remote_ios = local.get("ios_checksum"), remote.get("ios_checksum")
    local_android, remote_android = local.get("android_checksum"), remote.get("android_checksum")
    ios = _filled(local_ios) and _filled(remote_ios) and local_ios != remote_ios
    android = _filled(local_android) and _filled(remote_android) and local_android != remote_android
    code = "both_platforms_changed" if ios and android else "ios_code_changed" if ios else \
        "android_code_changed" if android else None
    if code:
        reasons.append(code)
        messages.append(MESSAGES[code])
    if _filled(local_ios) != _filled(remote_ios) or _filled(local_android) != _filled(remote_android):
        reasons.append("platform_checksum_metadata_changed")
        messages.append(MESSAGES["platform_checksum_metadata_changed"])
    compatible = not any(r in INCOMPATIBLE_REASONS for r in reasons)
    return compatible, reasons, ", ".join(messages) or "Compatible"


def record_problem(record):
    """Why ``record`` (a bundle's ``native_packages``) is not a list of packages, or None."""
    if not isinstance(record, list):
        return "native_packages is %s, not a list" % type(record).__name__
    for index, item in enumerate(record):
        if not isinstance(item, dict):
            return "native_packages[%d] is not an object" % index
        for key in ("name", "version"):
            if not isinstance(item.get(key), str) or not item[key]:
                return "native_packages[%d].%s must be a non-empty string" % (index, key)
        for key in ("requested_version", "ios_checksum", "android_checksum"):
            if item.get(key) is not None and not isinstance(item[key], str):
                return "native_packages[%d].%s must be a string" % (index, key)
    return None


def compare(new, old, local_names=None):
    """Rows for ``new`` (the bundle or project) against ``old`` (the bundle the channel serves).

    Both are lists of packages (a recorded empty list counts). The new bundle's packages come
    first, in its order, then the packages only ``old`` has (compatible: a bundle may drop a plugin).
    ``local_names``: every dependency of a project (a package it has without native code is not
    listed as dropped, as in the CLI).
    """
    old_by_name = {p["name"]: p for p in old}
    new_names = set(p["name"] for p in new) | set(local_names or ())
    rows = []
    for package in new:
        remote = old_by_name.get(package["name"])
        rows.append(_row(package["name"], package, remote))
    for package in old:
        if package["name"] not in new_names:
            rows.append(_row(package["name"], None, package))
    return rows


def _row(name, local, remote):
    compatible, reasons, message = package_details(local, remote)
    return {"name": name,
            "local_version": (local or {}).get("version"),
            "channel_version": (remote or {}).get("version"),
            "compatible": compatible, "reasons": reasons, "message": message}


def incompatible_lines(rows):
    """One line per incompatible package: ``name: reason words (details)``."""
    return ["%s: %s (%s)" % (r["name"], ", ".join(r["reasons"]), r["message"]) for r in rows if not r["compatible"]]


# -- reading a project -------------------------------------------------------------------


def _read_json(path):
    with open(path, "rb") as handle:
        return json.loads(handle.read().decode("utf-8"))


def _ancestors(path):
    """``path`` and each of its parents up to the root."""
    out = [path]
    while True:
        parent = os.path.dirname(path)
        if parent == path:
            return out
        out.append(parent)
        path = parent


def _strip_range(declared):
    text = declared.replace("^", "", 1).replace("~", "", 1)
    version = parse_version(text)
    return format_version(version) if version else text


def _installed_version(name, project, declared):
    """The version of ``name`` installed in the project's own node_modules, else the declared version
    without ``^``/``~`` (the CLI resolves from the relative path ``package.json``, so it looks no further)."""
    manifest = os.path.join(project, "node_modules", name, "package.json")
    if os.path.isfile(manifest):
        try:
            version = _read_json(manifest).get("version")
        except (ValueError, OSError, AttributeError, UnicodeDecodeError):
            version = None
        if version:
            return version
    if not isinstance(declared, str):
        raise NativeError("package.json of %s: the version of dependency %s must be a string" % (project, name))
    return _strip_range(declared)


def _monorepo_root(project):
    """The workspace root the CLI reads requested versions from (pnpm, npm/yarn workspaces, Nx), or ``project``."""
    try:
        for directory in _ancestors(project):
            manifest = os.path.join(directory, "package.json")
            if os.path.exists(os.path.join(directory, "pnpm-workspace.yaml")):
                return directory
            if os.path.exists(manifest) and _read_json(manifest).get("workspaces"):
                return directory
    except (ValueError, OSError, AttributeError):
        pass
    for directory in _ancestors(project):
        if os.path.exists(os.path.join(directory, "nx.json")):
            return directory
    return project


def _declared(manifest_path):
    """{name: declared range} of a package.json (string values only)."""
    if not os.path.exists(manifest_path):
        raise NativeError("%s does not exist (the workspace root's package.json holds the requested versions)"
                          % manifest_path)
    data = _load_manifest(manifest_path)
    out = {}
    for section in ("dependencies", "devDependencies"):
        for name, value in (data.get(section) or {}).items():
            if isinstance(value, str):
                out[name] = value
    return out


def _load_manifest(path):
    try:
        data = _read_json(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise NativeError("%s is not valid JSON: %s" % (path, exc))
    if not isinstance(data, dict):
        raise NativeError("%s is not a JSON object" % path)
    return data


def _declares_native_plugin(folder):
    if os.path.exists(os.path.join(folder, "plugin.xml")):
        return True
    try:
        data = _read_json(os.path.join(folder, "package.json"))
    except (ValueError, OSError, UnicodeDecodeError):
        return False
    capacitor = data.get("capacitor") if isinstance(data, dict) else None
    return isinstance(capacitor, dict) and ("ios" in capacitor or "android" in capacitor)


def _walk_files(folder):
    """Every file under ``folder`` (symbolic links are not followed below it); errors propagate."""
    out = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.is_dir(follow_symlinks=False):
            out.extend(_walk_files(entry.path))
        else:
            out.append(entry.path)
    return out


def _walk_files_quietly(folder):
    if not os.path.exists(folder):
        return []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    out = []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            out.extend(_walk_files_quietly(entry.path))
        else:
            out.append(entry.path)
    return out


def _has_native_files(folder):
    marker = "node_modules" + os.sep
    for path in _walk_files(folder):
        parts = path.split(marker)
        shown = parts[1] if len(parts) > 1 and parts[1] else path
        if NATIVE_FILE_RE.search(shown):
            return True
    return False


def _platform_files(folder, platform):
    native = [p for p in _walk_files_quietly(os.path.join(folder, platform)) if NATIVE_FILE_RE.search(p)]
    extra = []
    if platform == "ios":
        try:
            extra.extend(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".podspec"))
        except OSError:
            pass
        extra.extend(p for p in (os.path.join(folder, "Package.swift"), os.path.join(folder, "ios", "Package.swift"))
                     if os.path.exists(p))
    else:
        extra.extend(p for p in (os.path.join(folder, "android", "build.gradle"),
                                 os.path.join(folder, "android", "build.gradle.kts")) if os.path.exists(p))
    return sorted(native + extra, key=collation_key)


def platform_checksum(folder, platform):
    """SHA-256 (hex) over the platform's native sources and build files, each as its path relative to
    ``folder`` followed by its bytes, in the CLI's order; None when there is none."""
    files = _platform_files(folder, platform)
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        digest.update(os.path.relpath(path, folder).encode("utf-8"))
        try:
            with open(path, "rb") as handle:
                digest.update(handle.read())
        except OSError:
            pass
    return digest.hexdigest()


def read_project(root, names=None):
    """The native packages of the Capacitor project at ``root`` (a list, as the CLI stores it).

    ``names``, when a set, receives the name of every dependency (native or not).

    Raises NativeError (one line) when the project cannot be read: no package.json, no
    node_modules, a dependency that is not installed.
    """
    if not isinstance(root, str) or not root:
        raise NativeError("project must be the path of a Capacitor project")
    project = os.path.realpath(os.path.expanduser(root))
    manifest = os.path.join(project, "package.json")
    if not os.path.isdir(project):
        raise NativeError("project %s is not a directory" % root)
    if not os.path.isfile(manifest):
        raise NativeError("project %s has no package.json: it must be the root of a Capacitor project" % root)
    data = _load_manifest(manifest)
    versions = {}
    for section in ("dependencies", "devDependencies"):
        deps = data.get(section)
        if isinstance(deps, dict):
            for name, declared in deps.items():
                versions[name] = _installed_version(name, project, declared)
    module_dirs = [os.path.join(d, "node_modules") for d in _ancestors(project)]
    if not any(os.path.exists(d) for d in module_dirs):
        raise NativeError("project %s has no node_modules (nor has any parent directory): install its dependencies "
                          "first (npm ci, or your package manager's install)" % root)
    requested = _declared(os.path.join(_monorepo_root(project), "package.json"))
    packages = []
    missing = []
    if names is not None:
        names.update(versions)
    for name, version in versions.items():
        found = None
        native = False
        for modules in module_dirs:
            folder = os.path.join(modules, name)
            if not os.path.exists(folder):
                continue
            found = folder
            try:
                installed = _read_json(os.path.join(folder, "package.json")).get("version")
                if installed:
                    version = installed
            except (ValueError, OSError, AttributeError, UnicodeDecodeError):
                pass
            if not _declares_native_plugin(folder):
                continue
            try:
                if _has_native_files(folder):
                    native = True
                    break
            except OSError as exc:
                raise NativeError("cannot read %s: %s" % (folder, exc))
        if found is None:
            missing.append(name)
            continue
        if not native:
            continue
        package = {"name": name, "version": version, "requested_version": requested.get(name, versions[name])}
        for platform in ("ios", "android"):
            checksum = platform_checksum(found, platform)
            if checksum:
                package["%s_checksum" % platform] = checksum
        packages.append(package)
    if missing:
        raise NativeError("project %s: dependencies not installed in node_modules: %s; install them first (npm ci, "
                          "or your package manager's install)" % (root, ", ".join(missing)))
    return packages


# -- a channel that would serve another bundle ------------------------------------------------


def assess(new_name, new_record, served_name, served_record):
    """What serving bundle ``new_name`` instead of ``served_name`` means for the installed apps.

    Returns ``(rows, skipped, problem)``: the comparison rows (each with ``bundle`` and
    ``channel_bundle``), or a sentence saying why nothing was compared (a bundle without a record),
    or a sentence saying that a record cannot be read.
    """
    for name, record in ((new_name, new_record), (served_name, served_record)):
        if record is None:
            return [], ("bundle %s has no record of its native packages (uploaded without a project, or "
                        "external): nothing to compare" % name), None
        problem = record_problem(record)
        if problem:
            return [], None, "bundle %s: %s" % (name, problem)
    rows = compare(new_record, served_record)
    for row in rows:
        row["bundle"] = new_name
        row["channel_bundle"] = served_name
    return rows, None, None
