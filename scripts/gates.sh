# shellcheck shell=bash
# The ecosystem gates of scripts/test.sh (sourced by it, not run): each is a stage of its own.
#   build      ansible-galaxy builds the artifact (the importer stage checks it); a second build
#              from a copy seeded with decoys (venvs, test output, local config, caches,
#              integration_config.yml, *.pyc, ...) must pack none of them
#   lint       ansible-lint --profile production --strict over the whole tree (.ansible-lint),
#              through antsibull-nox's ansible-lint session
#   importer   galaxy-importer on the built artifact, as Galaxy runs it (flake8 on): no
#              WARNING or ERROR line
#   docs-lint  antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all,
#              through antsibull-nox's docs-check session
#   changelog  antsibull-changelog lint; entries under 160 characters; CHANGELOG.rst matches
#              changelog.yaml; every plugin or role that no release lists has the version_added
#              of galaxy.yml's version (else antsibull-changelog would never announce it);
#              every role has meta/argument_specs.yml with a main entry point and short_description
#   docs       `make docs` in a copy of the tree (antsibull-docs + Sphinx -W, internal links),
#              and the link checker must refuse a broken link
#   readme     every command shown in README.md is run (or named as run by another stage)
# Every check prints `ok: ...` or `not ok: ...` (counted by run_stage, kind `checks`).

ARTIFACT=""

ensure_gates_venv() { ensure_venv gates "$REQ_DIR/gates.txt"; }
ensure_docs_venv() { ensure_venv docs "$REQ_DIR/docs.txt"; }

# A copy of the laid-out tree for commands that write into it (the later stages, sanity first,
# must see the tree as committed). copy_tree NAME [venvs]: prints the path of the copy; with
# `venvs`, its .venvs points at the shared venvs (for make targets).
copy_tree() {
    local dest="$WORK/$1/ansible_collections/capgo/cloud"
    rm -rf "${WORK:?}/$1"
    mkdir -p "$dest"
    (cd "$COLL" && tar -cf - .) | (cd "$dest" && tar -xf -) || return 1
    [[ "${2:-}" == venvs ]] && ln -s "$VENVS" "$dest/.venvs"
    echo "$dest"
}

# build_artifact: ansible-galaxy collection build of $COLL into $WORK/dist; sets ARTIFACT.
build_artifact() {
    [[ -n "$ARTIFACT" && -f "$ARTIFACT" ]] && return 0
    ensure_core_venv "$SANITY_CORE" >/dev/null || return 1
    local venv
    venv=$(core_venv "$SANITY_CORE")
    rm -rf "$WORK/dist"
    mkdir -p "$WORK/dist"
    run_child "$COLL" "$venv/bin/ansible-galaxy" collection build --force --output-path "$WORK/dist" || return 1
    ARTIFACT=$(ls "$WORK"/dist/capgo-cloud-*.tar.gz 2>/dev/null | head -n 1)
    [[ -n "$ARTIFACT" ]]
}

# The decoys planted by stage_build: path relative to the collection root. Each must stay out
# of the artifact (galaxy.yml build_ignore).
DECOYS=(
    .git/config
    .venv/bin/python
    .venvs/core-2.19/bin/python
    .nox/lint/bin/python
    .tox/py311/bin/python
    .cache/pip/http/decoy
    .ansible/collections/ansible_collections/decoy/decoy/galaxy.yml
    __pycache__/decoy.cpython-311.pyc
    plugins/modules/__pycache__/capgo_app.cpython-311.pyc
    plugins/module_utils/_client.pyc
    tests/unit/plugins/modules/decoy.pyo
    .pytest_cache/v/cache/lastfailed
    tests/unit/.pytest_cache/v/cache/lastfailed
    .mypy_cache/3.11/decoy.json
    .ruff_cache/0.1/decoy
    scripts/.cache/decoy
    changelogs/.plugin-cache.yaml
    tests/output/logs/units-2.19.log
    tests/output/.tmp/decoy
    tests/integration/integration_config.yml
    tests/integration/inventory
    tests/integration/cloud-config-capgo.ini
    .tmp/docsite/index.html
    docs/build/html/index.html
    .env
    .envrc
    ansible.cfg
    .vscode/settings.json
    .idea/workspace.xml
    plugins/modules/.capgo_app.py.swp
    README.md~
    .DS_Store
    capgo-cloud-0.0.1.tar.gz
)
# Written into every decoy; must not be in the artifact (made at run time, so that this file,
# which is packed, does not contain it).
DECOY_MARK="capgo-decoy-$$-$RANDOM$RANDOM"

# Required content of every artifact.
ARTIFACT_MUST=(MANIFEST.json FILES.json LICENSE README.md CHANGELOG.rst meta/runtime.yml requirements.txt
    changelogs/changelog.yaml docs/docsite/extra-docs.yml docs/docsite/links.yml plugins/modules/capgo_channel.py
    plugins/module_utils/_client.py tests/emulator/capgo_emulator/__main__.py)

# check_artifact TARBALL LABEL [DECOY...]: required files present; no decoy, by path (the
# part of its path that is not in the clean tree $COLL) or by content ($DECOY_MARK).
check_artifact() {
    local tarball=$1 label=$2
    shift 2
    "$PYTHON" - "$tarball" "$label" "$DECOY_MARK" "$COLL" "${#ARTIFACT_MUST[@]}" "${ARTIFACT_MUST[@]}" "$@" <<'EOF'
import os, sys, tarfile
tarball, label, mark, clean, n = sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4], int(sys.argv[5])
must, decoys = sys.argv[6:6 + n], sys.argv[6 + n:]
rc = 0
with tarfile.open(tarball) as tar:
    members = {(m.name[2:] if m.name.startswith('./') else m.name).rstrip('/'): m for m in tar.getmembers()}
    for path in must:
        if path in members:
            print('ok: %s: has %s' % (label, path))
        else:
            print('not ok: %s: %s is missing' % (label, path))
            rc = 1
    for path in decoys:
        parts = path.split('/')
        top = next('/'.join(parts[:i + 1]) for i in range(len(parts))
                   if not os.path.lexists(os.path.join(clean, *parts[:i + 1])))
        hits = sorted(name for name in members if name == top or name.startswith(top + '/'))
        if hits:
            print('not ok: %s: packs decoy %s (%s)' % (label, path, ', '.join(hits[:3])))
            rc = 1
        else:
            print('ok: %s: leaves out %s' % (label, path))
    carriers = [name for name, m in members.items() if m.isfile() and mark in tar.extractfile(m).read()]
    if carriers:
        print('not ok: %s: decoy content in %s' % (label, ', '.join(sorted(carriers))))
        rc = 1
    print('%s: %d files' % (label, sum(1 for m in members.values() if m.isfile())))
sys.exit(rc)
EOF
}

stage_build() {
    local rc=0 d venv tree
    build_artifact || { say "not ok: ansible-galaxy collection build failed"; return 1; }
    say "ok: built ${ARTIFACT#"$WORK"/}"
    check_artifact "$ARTIFACT" artifact || rc=1
    # The same build from a tree seeded with decoys.
    tree=$(copy_tree decoys) || return 1
    for d in "${DECOYS[@]}"; do
        mkdir -p "$tree/$(dirname "$d")"
        case "$d" in
            ansible.cfg) printf '[defaults]\n# %s\n' "$DECOY_MARK" > "$tree/$d" ;;  # ansible reads it: valid
            *) printf '# %s\ncapgo_api_key: 00000000-decoy-secret\n' "$DECOY_MARK" > "$tree/$d" ;;
        esac
    done
    venv=$(core_venv "$SANITY_CORE")
    mkdir -p "$WORK/dist-decoys"
    run_child "$tree" "$venv/bin/ansible-galaxy" collection build --force --output-path "$WORK/dist-decoys" \
        || { say "not ok: the build of the seeded tree failed"; return 1; }
    check_artifact "$(ls "$WORK"/dist-decoys/capgo-cloud-*.tar.gz | head -n 1)" seeded "${DECOYS[@]}" || rc=1
    return $rc
}

# run_nox TREE SESSION: run an antsibull-nox session (noxfile.py, antsibull-nox.toml) in TREE.
# The sessions' venvs persist in .venvs/nox-sessions and are reused (nox still checks them
# against the pinned requirements files).
run_nox() {
    ensure_venv nox "$REQ_DIR/nox.txt" || return 1
    local nv
    nv=$(cd "$VENVS/nox" && pwd -P)
    # ansible-core imports cryptography's DSA, which cryptography 50 deprecates with a Python
    # warning on every start: that one warning (neither ours nor the tools') is filtered.
    run_child "$1" env PATH="$nv/bin:$PATH" PYTHONWARNINGS="ignore:DSA is deprecated" \
        "$nv/bin/nox" --envdir "$VENVS/nox-sessions" --reuse-venv yes --no-color -e "$2"
}

stage_lint() {
    local rc tree
    tree=$(copy_tree lint) || return 1   # ansible-lint may write .ansible/ into the tree
    # antsibull-nox's ansible-lint session: ansible-lint --offline --strict (a warning fails
    # like an error), profile production from .ansible-lint, the collection set up by nox.
    run_nox "$tree" ansible-lint
    rc=$?
    if (( rc == 0 )); then say "ok: ansible-lint --profile production --strict (nox -e ansible-lint)"; else say "not ok: ansible-lint (above)"; fi
    return $rc
}

stage_importer() {
    ensure_gates_venv || return 1
    build_artifact || { say "not ok: ansible-galaxy collection build failed"; return 1; }
    local gv="$VENVS/gates" out="$WORK/importer" rc
    mkdir -p "$out"
    cp "$ARTIFACT" "$out/"
    run_child "$out" env PATH="$gv/bin:$PATH" GALAXY_IMPORTER_CONFIG="$COLL/tests/galaxy-importer/galaxy-importer.cfg" \
        "$gv/bin/python" -m galaxy_importer.main "$(basename "$ARTIFACT")" > "$out/importer.log" 2>&1
    rc=$?
    cat "$out/importer.log"
    if (( rc != 0 )); then
        say "not ok: galaxy-importer exited with $rc"
        return 1
    fi
    if grep -qE '(WARNING|ERROR)' "$out/importer.log"; then
        grep -E '(WARNING|ERROR)' "$out/importer.log" | sed 's/^/not ok: galaxy-importer: /'
        return 1
    fi
    grep -q 'Importer processing completed successfully' "$out/importer.log" || { say "not ok: galaxy-importer did not complete"; return 1; }
    say "ok: galaxy-importer: no WARNING or ERROR line"
}

stage_docs_lint() {
    local rc tree
    tree=$(copy_tree docs-lint) || return 1
    # antsibull-nox's docs-check session: antsibull-docs lint-collection-docs --plugin-docs
    # --validate-collection-refs all --check-extra-docs-refs.
    run_nox "$tree" docs-check
    rc=$?
    if (( rc == 0 )); then say "ok: antsibull-docs lint-collection-docs (nox -e docs-check)"; else say "not ok: antsibull-docs lint-collection-docs (above)"; fi
    return $rc
}

stage_changelog() {
    ensure_docs_venv || return 1
    local dv="$VENVS/docs" rc=0 tree
    if run_child "$COLL" env PATH="$dv/bin:$PATH" "$dv/bin/antsibull-changelog" lint; then
        say "ok: antsibull-changelog lint"
    else
        say "not ok: antsibull-changelog lint (above)"
        rc=1
    fi
    # CHANGELOG.rst is what antsibull-changelog generates from changelog.yaml.
    tree=$(copy_tree changelog) || return 1
    if run_child "$tree" env PATH="$dv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$WORK/changelog" \
            "$dv/bin/antsibull-changelog" generate > /dev/null && cmp -s "$tree/CHANGELOG.rst" "$COLL/CHANGELOG.rst"; then
        say "ok: CHANGELOG.rst is up to date with changelogs/changelog.yaml"
    else
        diff -u "$COLL/CHANGELOG.rst" "$tree/CHANGELOG.rst" | head -n 20
        say "not ok: CHANGELOG.rst differs from what antsibull-changelog generate writes"
        rc=1
    fi
    "$dv/bin/python" - "$COLL" <<'EOF' || rc=1
import glob, os, re, sys, yaml
root = sys.argv[1]
rc = 0
version = yaml.safe_load(open(os.path.join(root, 'galaxy.yml')))['version']
changes = yaml.safe_load(open(os.path.join(root, 'changelogs/changelog.yaml')))
released = {}
for rel, data in (changes.get('releases') or {}).items():
    for kind, items in data.items():
        if kind in ('modules', 'plugins', 'objects'):
            for entry in (items if isinstance(items, list) else [i for v in items.values() for i in v]):
                released[entry['name']] = rel
if version in (changes.get('releases') or {}):
    print('not ok: galaxy.yml version %s is already released; bump it' % version)
    rc = 1
else:
    print('ok: galaxy.yml version %s is the next release' % version)
# One short line per entry.
for path in sorted(glob.glob(os.path.join(root, 'changelogs/fragments/*.y*ml'))):
    data = yaml.safe_load(open(path)) or {}
    for section, entries in data.items():
        for entry in entries if isinstance(entries, list) else [entries]:
            if section != 'release_summary' and (len(entry) >= 160 or '\n' in entry.strip()):
                print('not ok: %s: %s entry of %d characters (one line under 160)' % (os.path.basename(path), section, len(entry)))
                rc = 1
# New plugins and roles carry the next version in version_added, or no release would list them.
found = []
for path in sorted(glob.glob(os.path.join(root, 'plugins/modules/*.py'))):
    src = open(path).read()
    m = re.search(r'DOCUMENTATION\s*=\s*r?[\'"]{3}(.*?)[\'"]{3}', src, re.S)
    doc = yaml.safe_load(m.group(1)) if m else {}
    found.append(('module', os.path.basename(path)[:-3], str(doc.get('version_added', ''))))
for role in sorted(glob.glob(os.path.join(root, 'roles/*/'))):
    name = os.path.basename(role.rstrip('/'))
    paths = glob.glob(os.path.join(role, 'meta/argument_specs.y*ml'))
    specs = (yaml.safe_load(open(paths[0])) or {}).get('argument_specs', {}) if paths else {}
    main = specs.get('main') or {}
    if main.get('short_description'):
        print('ok: role %s: meta/argument_specs.yml has a main entry point with short_description' % name)
    else:
        print('not ok: role %s: meta/argument_specs.yml needs a main entry point with short_description' % name)
        rc = 1
    found.append(('role', name, str(main.get('version_added', ''))))
for kind, name, added in found:
    if name in released:
        print('ok: %s %s was announced in %s' % (kind, name, released[name]))
    elif added == version:
        print('ok: %s %s: version_added %s (the next release)' % (kind, name, added))
    else:
        print('not ok: %s %s: version_added is %r, but no release lists it: it must be %s' % (kind, name, added, version))
        rc = 1
sys.exit(rc)
EOF
    return $rc
}

stage_docs() {
    local rc=0 tree site
    tree=$(copy_tree docs venvs) || return 1
    # `make docs` exactly as a user runs it, in a copy (it writes docs/build/).
    if run_child "$tree" make docs; then
        say "ok: make docs"
    else
        say "not ok: make docs (above)"
        return 1
    fi
    local page
    for page in index.html docsite/quickstart.html docsite/guide_environments.html docsite/guide_release.html \
            docsite/guide_awx.html docsite/guide_limits.html docsite/guide_testing.html docsite/guide_performance.html \
            capgo_channel_module.html; do
        if [[ -s "$tree/docs/build/html/$page" ]]; then say "ok: site has $page"; else say "not ok: site lacks $page"; rc=1; fi
    done
    # The link checker must notice a broken link and a missing anchor.
    site="$WORK/broken-site"
    mkdir -p "$site/sub"
    printf '<a href="sub/b.html#here">b</a> <a href="https://example.com/">x</a>\n' > "$site/index.html"
    printf '<p id="there">b</p> <a href="../missing.html">m</a> <img src="/_static/logo.png">\n' > "$site/sub/b.html"
    if "$PYTHON" "$COLL/scripts/check_html_links.py" "$site" > "$site/out.txt"; then
        say "not ok: check_html_links.py passed a site with broken links"
        rc=1
    elif [[ $(grep -c '^not ok:' "$site/out.txt") == 3 ]]; then
        say "ok: check_html_links.py refuses a missing file, a missing anchor and a missing site-absolute file"
    else
        cat "$site/out.txt"
        say "not ok: check_html_links.py did not report exactly the 3 broken links"
        rc=1
    fi
    return $rc
}

# readme_commands FILE: the commands of README.md's ```console blocks, one a line, without "$ ".
readme_commands() {
    awk '/^```console/ { inblock = 1; next } /^```/ { inblock = 0 } inblock && /^\$ / { sub(/^\$ /, ""); print }' "$1"
}

# readme_block FILE NAME: the fenced block that follows <!-- readme-test: NAME -->.
readme_block() {
    awk -v name="$2" '$0 == "<!-- readme-test: " name " -->" { want = 1; next }
        want && /^```/ { if (inblock) exit; inblock = 1; next }
        inblock { print }' "$1"
}

stage_readme() {
    local rc=0 tree cmd venv readme="$COLL/README.md" n=0
    tree=$(copy_tree readme venvs) || return 1
    ensure_core_venv "$SANITY_CORE" >/dev/null || return 1
    ensure_emulator_venv >/dev/null || return 1
    venv=$(core_venv "$SANITY_CORE")
    local -a env_run=(env PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$WORK/readme-collections"
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false)
    local emu_log="$WORK/readme-emulator.log" emu_pid=""
    readme_block "$readme" first-playbook.yml > "$tree/first-playbook.yml"
    [[ -s "$tree/first-playbook.yml" ]] || { say "not ok: README.md has no <!-- readme-test: first-playbook.yml --> block"; rc=1; }
    while IFS= read -r cmd; do
        n=$((n + 1))
        case "$cmd" in
            "make test")
                say "ok: README \$ $cmd: this run (.ci/run and make test run scripts/test.sh)" ;;
            "make docs")
                say "ok: README \$ $cmd: run by the docs stage (make docs in a copy of the tree)" ;;
            "make demo")
                if run_child "$tree" make demo > "$WORK/readme-demo.log" 2>&1; then
                    say "ok: README \$ $cmd"
                else
                    tail -n 30 "$WORK/readme-demo.log"
                    say "not ok: README \$ $cmd (log above)"
                    rc=1
                fi ;;
            "ansible-galaxy collection "*)
                if run_child "$tree" "${env_run[@]}" bash -c "$cmd"; then
                    say "ok: README \$ $cmd"
                else
                    say "not ok: README \$ $cmd"
                    rc=1
                fi ;;
            *"-m capgo_emulator "*"&")
                # As written, but on a free port (8787 may be taken on a shared machine) and
                # stopped at the end of the stage; `export CAPGO_API_URL` below is adjusted alike.
                cmd=${cmd%&}
                (cd "$tree" && exec setsid bash -c "${cmd/--port 8787/--port 0}" > "$emu_log" 2>&1 < /dev/null {TEE_FD}>&-) &
                emu_pid=$!
                local url=""
                for _ in $(seq 1 100); do
                    url=$(grep -oE 'listening on http://[^ ]+' "$emu_log" | head -n 1 | awk '{print $3}')
                    [[ -n "$url" ]] && break
                    sleep 0.1
                done
                if [[ -n "$url" ]]; then say "ok: README \$ $cmd (on $url)"; else cat "$emu_log"; say "not ok: README \$ $cmd"; rc=1; fi ;;
            "export "*)
                local assignment
                for assignment in ${cmd#export }; do
                    [[ "$assignment" == CAPGO_API_URL=* && -n "${url:-}" ]] && assignment="CAPGO_API_URL=$url"
                    env_run+=("$assignment")
                done
                say "ok: README \$ $cmd" ;;
            "ansible-playbook first-playbook.yml")
                local out="$WORK/readme-playbook"
                if run_child "$tree" "${env_run[@]}" ansible-playbook first-playbook.yml > "$out.1" 2>&1 \
                        && run_child "$tree" "${env_run[@]}" ansible-playbook first-playbook.yml > "$out.2" 2>&1 \
                        && grep -qE 'changed=[1-9]' "$out.1" && grep -qE 'localhost +: ok=[0-9]+ +changed=0 ' "$out.2"; then
                    say "ok: README \$ $cmd (first run changed, second run changed=0)"
                else
                    cat "$out.1" "$out.2" 2>/dev/null | tail -n 40
                    say "not ok: README \$ $cmd"
                    rc=1
                fi ;;
            *)
                say "not ok: README \$ $cmd: no test runs this command (add it to stage_readme in scripts/gates.sh)"
                rc=1 ;;
        esac
    done < <(readme_commands "$readme")
    if [[ -n "$emu_pid" ]]; then
        kill -TERM -- "-$emu_pid" 2>/dev/null
        wait "$emu_pid" 2>/dev/null
    fi
    (( n > 0 )) || { say "not ok: no command found in README.md"; rc=1; }
    # Its relative links (guides, CHANGELOG.rst, DEVELOPING.md) name files of the tree.
    "$PYTHON" - "$COLL" <<'EOF' || rc=1
import os, re, sys
root = sys.argv[1]
rc = 0
for target in re.findall(r'\]\(([^)#]+)(?:#[^)]*)?\)', open(os.path.join(root, 'README.md')).read()):
    if re.match(r'^[a-z]+:', target):
        continue
    if os.path.exists(os.path.join(root, target)):
        print('ok: README links to %s' % target)
    else:
        print('not ok: README links to %s, which does not exist' % target)
        rc = 1
sys.exit(rc)
EOF
    return $rc
}
