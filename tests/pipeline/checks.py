# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The project's own checks (they lived in heredocs of scripts/gates.sh and scripts/test.sh).

Each returns a results.Counts and prints `ok: ...` / `not ok: ...` per check. They need
PyYAML (the nox venv has it); `seed_loads` also needs the emulator (its venv runs
`python -m pipeline.checks seed ROOT`).
"""

import glob
import os
import re
import sys
import tarfile

from .results import Counts


def _yaml(path):
    import yaml
    with open(path) as handle:
        return yaml.safe_load(handle)


# ---------------------------------------------------------------- repository
def no_sanity_ignores(root):
    counts = Counts()
    ignores = sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, "tests", "sanity", "ignore-*.txt")))
    counts.check(not ignores, "no tests/sanity/ignore-*.txt" if not ignores
                 else "sanity ignore files are not allowed: %s" % " ".join(ignores))
    return counts


def one_seed(root):
    """examples/seed.yml is the only copy of the standard world."""
    counts = Counts()
    copies = [p for p in ("tests/integration/seed.yml",) if os.path.exists(os.path.join(root, p))]
    defaults = os.path.join(root, "tests/integration/targets/setup_capgo_emulator/defaults/main.yml")
    if not isinstance((_yaml(defaults) or {}).get("setup_capgo_emulator_seed"), str):
        copies.append(os.path.relpath(defaults, root) + " (setup_capgo_emulator_seed)")
    counts.check(not copies, "no second copy of the standard seed" if not copies
                 else "a second copy of the standard seed: %s" % ", ".join(copies))
    return counts


def seed_loads(root):
    """Run in the emulator's venv (it imports the emulator)."""
    from capgo_emulator.state import State
    counts = Counts()
    try:
        State().load_seed(_yaml(os.path.join(root, "examples", "seed.yml")))
        counts.check(True, "examples/seed.yml loads in the emulator")
    except Exception as exc:  # the seed's own error, reported as a check
        counts.check(False, "examples/seed.yml does not load in the emulator: %s" % exc)
    return counts


# ---------------------------------------------------------------- the seed and the integration config
def seed_identities(seed_path):
    """The standard seed's admin key (org_super_admin binding) and its owner's session token."""
    seed = _yaml(seed_path)
    keys = seed.get("apikeys") or []
    admin = [k for k in keys if any(b.get("role_name") == "org_super_admin" for b in k.get("bindings") or [])]
    chosen = (admin or keys or [{"key": ""}])[0]
    tokens = {u["email"]: u.get("session_token") for u in seed.get("users") or []}
    return chosen.get("key", ""), tokens.get(chosen.get("user"))


def integration_config(seed_path, url, extra=None):
    """tests/integration/integration_config.yml: the emulator's URL and the seed's identities."""
    seed = _yaml(seed_path)
    keys = {k["name"]: k["key"] for k in seed.get("apikeys", [])}
    tokens = {u["email"]: u.get("session_token") for u in seed.get("users", [])}
    orgs = {o["name"]: o["id"] for o in seed.get("orgs", [])}
    cfg = {
        "capgo_api_url": url,
        "capgo_emulator_url": url,
        "capgo_api_key": keys["integration-admin"],
        "capgo_session_token": tokens["admin@example.com"],
        # More identities of the standard seed, for permission tests.
        "capgo_reader_api_key": keys.get("integration-reader"),
        "capgo_developer_api_key": keys.get("integration-developer"),
        "capgo_outsider_api_key": keys.get("outsider-admin"),
        "capgo_dev_session_token": tokens.get("dev@example.com"),
        "capgo_outsider_session_token": tokens.get("outsider@example.com"),
        "capgo_org_id": orgs.get("Demo org"),
        "capgo_other_org_id": orgs.get("Other org"),
        # The whole standard seed: setup_capgo_emulator's default capgo_seed.
        "capgo_standard_seed": seed,
    }
    cfg.update(extra or {})
    return cfg


# ---------------------------------------------------------------- the artifact
# Required content of every artifact.
ARTIFACT_MUST = ("MANIFEST.json", "FILES.json", "LICENSE", "README.md", "CHANGELOG.rst", "meta/runtime.yml",
                 "requirements.txt", "changelogs/changelog.yaml", "docs/docsite/extra-docs.yml",
                 "docs/docsite/links.yml", "plugins/modules/capgo_channel.py", "plugins/module_utils/_client.py",
                 "tests/emulator/capgo_emulator/__main__.py")

# Decoys planted in a copy of the tree (path relative to the collection root). Each must stay
# out of the artifact (galaxy.yml build_ignore).
DECOYS = (
    ".git/config", ".venv/bin/python", ".venvs/core-2.19/bin/python", ".nox/lint/bin/python",
    ".tox/py311/bin/python", ".cache/pip/http/decoy",
    ".ansible/collections/ansible_collections/decoy/decoy/galaxy.yml", "__pycache__/decoy.cpython-311.pyc",
    "plugins/modules/__pycache__/capgo_app.cpython-311.pyc", "plugins/module_utils/_client.pyc",
    "tests/unit/plugins/modules/decoy.pyo", ".pytest_cache/v/cache/lastfailed",
    "tests/unit/.pytest_cache/v/cache/lastfailed", ".mypy_cache/3.11/decoy.json", ".ruff_cache/0.1/decoy",
    "scripts/.cache/decoy", "changelogs/.plugin-cache.yaml", "tests/output/logs/units-2.19.log",
    "tests/output/.tmp/decoy", "tests/integration/integration_config.yml", "tests/integration/inventory",
    "tests/integration/cloud-config-capgo.ini", ".tmp/docsite/index.html", "docs/build/html/index.html",
    ".env", ".envrc", "ansible.cfg", ".vscode/settings.json", ".idea/workspace.xml",
    "plugins/modules/.capgo_app.py.swp", "README.md~", ".DS_Store", "capgo-cloud-0.0.1.tar.gz",
)


def plant_decoys(tree, mark):
    for rel in DECOYS:
        path = os.path.join(tree, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            if rel == "ansible.cfg":  # ansible reads it: keep it valid
                handle.write("[defaults]\n# %s\n" % mark)
            else:
                handle.write("# %s\ncapgo_api_key: 00000000-decoy-secret\n" % mark)


def check_artifact(tarball, label, clean_tree, mark, decoys=()):
    """Required files present; no decoy, by path (the part of its path that is not in the clean
    tree) or by content (the mark)."""
    counts = Counts()
    with tarfile.open(tarball) as tar:
        members = {(m.name[2:] if m.name.startswith("./") else m.name).rstrip("/"): m for m in tar.getmembers()}
        for path in ARTIFACT_MUST:
            counts.check(path in members, "%s: has %s" % (label, path) if path in members
                         else "%s: %s is missing" % (label, path))
        for path in decoys:
            parts = path.split("/")
            top = next("/".join(parts[:i + 1]) for i in range(len(parts))
                       if not os.path.lexists(os.path.join(clean_tree, *parts[:i + 1])))
            hits = sorted(name for name in members if name == top or name.startswith(top + "/"))
            counts.check(not hits, "%s: leaves out %s" % (label, path) if not hits
                         else "%s: packs decoy %s (%s)" % (label, path, ", ".join(hits[:3])))
        carriers = sorted(name for name, m in members.items() if m.isfile() and mark.encode() in tar.extractfile(m).read())
        counts.check(not carriers, "%s: no decoy content" % label if not carriers
                     else "%s: decoy content in %s" % (label, ", ".join(carriers)))
        print("%s: %d files" % (label, sum(1 for m in members.values() if m.isfile())))
    return counts


def importer_log(text):
    """galaxy-importer's log, as Galaxy would judge it, and stricter: no WARNING or ERROR line."""
    counts = Counts()
    bad = [line for line in text.splitlines() if re.search(r"\b(WARNING|ERROR)\b", line)]
    for line in bad:
        counts.check(False, "galaxy-importer: %s" % line.strip())
    if not bad:
        counts.check(True, "galaxy-importer: no WARNING or ERROR line")
    done = "Importer processing completed successfully" in text
    counts.check(done, "galaxy-importer completed" if done else "galaxy-importer did not complete")
    return counts


# ---------------------------------------------------------------- changelog and version_added
def changelog_rules(root):
    counts = Counts()
    version = _yaml(os.path.join(root, "galaxy.yml"))["version"]
    changes = _yaml(os.path.join(root, "changelogs/changelog.yaml"))
    releases = changes.get("releases") or {}
    released = {}
    for rel, data in releases.items():
        for kind, items in data.items():
            if kind in ("modules", "plugins", "objects"):
                entries = items if isinstance(items, list) else [i for v in items.values() for i in v]
                for entry in entries:
                    released[entry["name"]] = rel
    counts.check(version not in releases, "galaxy.yml version %s is the next release" % version
                 if version not in releases else "galaxy.yml version %s is already released; bump it" % version)
    for path in sorted(glob.glob(os.path.join(root, "changelogs/fragments/*.y*ml"))):
        data = _yaml(path) or {}
        for section, entries in data.items():
            for entry in entries if isinstance(entries, list) else [entries]:
                if section != "release_summary" and (len(entry) >= 160 or "\n" in entry.strip()):
                    counts.check(False, "%s: %s entry of %d characters (one line under 160)"
                                 % (os.path.basename(path), section, len(entry)))
    found = []
    for path in sorted(glob.glob(os.path.join(root, "plugins/modules/*.py"))):
        with open(path) as handle:
            src = handle.read()
        match = re.search(r'DOCUMENTATION\s*=\s*r?[\'"]{3}(.*?)[\'"]{3}', src, re.S)
        import yaml
        doc = yaml.safe_load(match.group(1)) if match else {}
        found.append(("module", os.path.basename(path)[:-3], str(doc.get("version_added", ""))))
    for role in sorted(glob.glob(os.path.join(root, "roles/*/"))):
        name = os.path.basename(role.rstrip("/"))
        paths = glob.glob(os.path.join(role, "meta/argument_specs.y*ml"))
        specs = (_yaml(paths[0]) or {}).get("argument_specs", {}) if paths else {}
        main = specs.get("main") or {}
        counts.check(bool(main.get("short_description")),
                     "role %s: meta/argument_specs.yml has a main entry point with short_description" % name
                     if main.get("short_description")
                     else "role %s: meta/argument_specs.yml needs a main entry point with short_description" % name)
        found.append(("role", name, str(main.get("version_added", ""))))
    for kind, name, added in found:
        if name in released:
            counts.check(True, "%s %s was announced in %s" % (kind, name, released[name]))
        else:
            counts.check(added == version, "%s %s: version_added %s (the next release)" % (kind, name, added)
                         if added == version else "%s %s: version_added is %r, but no release lists it: it must be %s"
                         % (kind, name, added, version))
    return counts


# ---------------------------------------------------------------- README
def readme_commands(path):
    """The commands of README.md's ```console blocks, without "$ "."""
    commands, inblock = [], False
    with open(path) as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line.startswith("```console"):
                inblock = True
            elif line.startswith("```"):
                inblock = False
            elif inblock and line.startswith("$ "):
                commands.append(line[2:])
    return commands


def readme_block(path, name):
    """The fenced block that follows <!-- readme-test: NAME -->."""
    lines, want, inblock = [], False, False
    with open(path) as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line == "<!-- readme-test: %s -->" % name:
                want = True
            elif want and line.startswith("```"):
                if inblock:
                    break
                inblock = True
            elif inblock:
                lines.append(line)
    return "\n".join(lines) + ("\n" if lines else "")


def readme_links(root):
    """README.md's relative links name files of the tree."""
    counts = Counts()
    with open(os.path.join(root, "README.md")) as handle:
        text = handle.read()
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if re.match(r"^[a-z]+:", target):
            continue
        exists = os.path.exists(os.path.join(root, target))
        counts.check(exists, "README links to %s" % target if exists
                     else "README links to %s, which does not exist" % target)
    return counts


def main(argv):
    """`python -m pipeline.checks seed ROOT`: the seed check, in the emulator's venv."""
    if argv[:1] == ["seed"]:
        counts = seed_loads(argv[1])
        return 1 if counts.failed else 0
    sys.stderr.write("usage: python -m pipeline.checks seed ROOT\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
