#!/usr/bin/env bash
# Build the capgo.cloud documentation site (`make docs`), offline:
#   1. antsibull-docs sphinx-init writes a Sphinx project (conf.py, rst/index.rst) for the
#      collection laid out from the work tree;
#   2. antsibull-docs collection renders the module pages, the collection index and the
#      guides of docs/docsite/ (extra-docs.yml, links.yml, rst/*.rst);
#   3. sphinx-build -W -n (warnings are errors, nitpicky) renders the HTML;
#   4. scripts/check_html_links.py checks every internal link and anchor of the HTML.
#
# Output (git-ignored, never packed by ansible-galaxy):
#   docs/build/src    the generated Sphinx project
#   docs/build/html   the site: open docs/build/html/index.html
#
# Intersphinx: antsibull-docs' conf.py maps python, jinja2 and the Ansible docs to
# inventories on the internet, which are unreachable here; Sphinx would warn for each, and
# -W would fail. The generated conf.py gets an empty intersphinx_mapping instead (see the
# comment written into it), so the only warnings left are our own content's, and they fail.
# A reference of ours to the Ansible docs (a :ref: to ansible_devel) would then be an
# unresolved reference and fail the build too: the guides link to docs.ansible.com by URL.
#
# Knobs: DOCS_OUT=DIR (default docs/build), PYTHON=python3.11.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
OUT=${DOCS_OUT:-$ROOT/docs/build}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_child
    [[ -n "$WORK" && -d "$WORK" ]] && rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

die() { say "docs: $*"; exit 1; }

ensure_venv docs "$REQ_DIR/docs.txt" || die "could not create the docs venv"
DV="$VENVS/docs"
export PATH="$DV/bin:$PATH"
layout_tree docs >/dev/null || die "could not copy the work tree"
# Only this collection, from the work tree: nothing installed elsewhere on the machine.
export ANSIBLE_COLLECTIONS_PATH="$WORK" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false

SRC="$OUT/src"
HTML="$OUT/html"
rm -rf "$SRC" "$HTML"
mkdir -p "$SRC"

say "1/4 sphinx-init"
run_child "$WORK" antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error \
    --no-add-antsibull-docs-version --dest-dir "$SRC" \
    --project capgo.cloud --copyright "capgo.cloud maintainers" \
    --title "capgo.cloud: Ansible collection for Capgo Cloud" --html-short-title "capgo.cloud" \
    capgo.cloud > "$OUT/sphinx-init.log" 2>&1 || { cat "$OUT/sphinx-init.log"; die "sphinx-init failed"; }
"$DV/bin/python" - "$SRC/conf.py" <<'EOF' || die "could not disable intersphinx in conf.py"
import re, sys
path = sys.argv[1]
conf = open(path).read()
new, n = re.subn(r'(?ms)^intersphinx_mapping = \{\n.*?^\}\n', '''\
# capgo.cloud (scripts/docs.sh): no intersphinx inventories. The ones antsibull-docs maps
# (python, jinja2, ansible_devel) are on the internet, which this build does not reach; each
# would be a warning, and -W makes warnings errors. Our own content does not refer to them.
intersphinx_mapping = {}
''', conf)
if n != 1:
    sys.exit('intersphinx_mapping block not found in %s' % path)
open(path, 'w').write(new)
EOF

say "2/4 antsibull-docs collection"
mkdir -p "$SRC/rst"
chmod og-w "$SRC/rst"
run_child "$SRC" antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything \
    --fail-on-error --use-current --squash-hierarchy --dest-dir rst capgo.cloud \
    || die "antsibull-docs collection failed"

# The generated pages refer to three labels of the Ansible docs (common_return_values,
# action_plugins, ansible_configuration_settings) through intersphinx. Offline, an orphan
# page defines them and links out by URL; any other unresolved reference (ours) still fails.
cp "$ROOT/docs/docsite/offline/ansible_docs_refs.rst" "$SRC/rst/" || die "could not copy the offline refs page"

say "3/4 sphinx-build -W -n"
run_child "$SRC" sphinx-build -b html -c . -W --keep-going -n -q rst "$HTML" \
    || die "sphinx-build reported warnings or errors (above)"

say "4/4 internal links"
"$DV/bin/python" "$ROOT/scripts/check_html_links.py" "$HTML" || die "broken internal links (above)"
say "docs: site built in ${HTML#"$ROOT"/}/index.html"
