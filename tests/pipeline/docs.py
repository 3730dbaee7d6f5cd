# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make docs`: the documentation site, offline (it was scripts/docs.sh).

  1. antsibull-docs sphinx-init writes a Sphinx project for the collection laid out from the
     work tree;
  2. antsibull-docs collection renders the module pages, the collection index and the guides of
     docs/docsite/ (extra-docs.yml, links.yml, rst/*.rst);
  3. sphinx-build -W -n (warnings are errors, nitpicky) renders the HTML;
  4. scripts/check_html_links.py checks every internal link and anchor of the HTML.

Output (git-ignored, never packed): docs/build/src (the Sphinx project), docs/build/html (the
site: open docs/build/html/index.html).

Intersphinx: antsibull-docs' conf.py maps python, jinja2 and the Ansible docs to inventories on
the internet, which are unreachable here; Sphinx would warn for each, and -W would fail. The
generated conf.py gets an empty intersphinx_mapping instead, so the only warnings left are our
own content's, and they fail. The generated pages' three references to the Ansible docs are
defined offline by docs/docsite/offline/ansible_docs_refs.rst.

antsibull-docs logs to ~/antsibull.log whatever it is asked: it runs with HOME in the clone's
.tmp/antsibull-home.
"""

import os
import re
import shutil
import subprocess
import sys

from . import common

INTERSPHINX = '''\
# capgo.cloud (tests/pipeline/docs.py): no intersphinx inventories. The ones antsibull-docs maps
# (python, jinja2, ansible_devel) are on the internet, which this build does not reach; each
# would be a warning, and -W makes warnings errors. Our own content does not refer to them.
intersphinx_mapping = {}
'''


def disable_intersphinx(conf_path):
    with open(conf_path) as handle:
        conf = handle.read()
    new, count = re.subn(r"(?ms)^intersphinx_mapping = \{\n.*?^\}\n", INTERSPHINX, conf)
    if count != 1:
        raise RuntimeError("intersphinx_mapping block not found in %s" % conf_path)
    with open(conf_path, "w") as handle:
        handle.write(new)


def build(out=None):
    """Build the site into OUT (default docs/build); returns 0 or the failing step's status."""
    out = out or os.path.join(common.ROOT, "docs", "build")
    venv = common.ensure_venv("docs", [os.path.join(common.REQ_DIR, "docs.txt")])
    tree = common.lay_out("docs-tree", git_init=False)
    base = os.path.dirname(os.path.dirname(os.path.dirname(tree)))
    env = dict(os.environ)
    env.update(common.venv_env(venv, ANSIBLE_COLLECTIONS_PATH=base, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false"))
    env.update(common.antsibull_env())
    src, html = os.path.join(out, "src"), os.path.join(out, "html")
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(html, ignore_errors=True)
    os.makedirs(src)

    def step(title, cmd, cwd, log=None):
        common.say(title)
        with open(log, "w") if log else open(os.devnull, "w") as sink:
            done = subprocess.run(cmd, cwd=cwd, env=env, stdout=sink if log else None,
                                  stderr=subprocess.STDOUT if log else None, check=False)
        if done.returncode != 0 and log:
            with open(log) as handle:
                sys.stdout.write(handle.read())
        if done.returncode != 0:
            common.say("docs: %s failed" % title)
        return done.returncode

    rc = step("1/4 sphinx-init", ["antsibull-docs", "sphinx-init", "--use-current", "--squash-hierarchy", "--fail-on-error",
                                  "--no-add-antsibull-docs-version", "--dest-dir", src, "--project", "capgo.cloud",
                                  "--copyright", "capgo.cloud maintainers",
                                  "--title", "capgo.cloud: Ansible collection for Capgo Cloud",
                                  "--html-short-title", "capgo.cloud", "capgo.cloud"],
              base, os.path.join(out, "sphinx-init.log"))
    if rc:
        return rc
    disable_intersphinx(os.path.join(src, "conf.py"))
    rst = os.path.join(src, "rst")
    os.makedirs(rst, exist_ok=True)
    os.chmod(rst, 0o755)
    rc = step("2/4 antsibull-docs collection", ["antsibull-docs", "--config-file", "antsibull-docs.cfg", "collection",
                                                "--cleanup", "everything", "--fail-on-error", "--use-current",
                                                "--squash-hierarchy", "--dest-dir", "rst", "capgo.cloud"], src)
    if rc:
        return rc
    shutil.copy(os.path.join(common.ROOT, "docs", "docsite", "offline", "ansible_docs_refs.rst"), rst)
    rc = step("3/4 sphinx-build -W -n", ["sphinx-build", "-b", "html", "-c", ".", "-W", "--keep-going", "-n", "-q",
                                         "rst", html], src)
    if rc:
        return rc
    rc = step("4/4 internal links", [common.venv_python(venv), os.path.join(common.ROOT, "scripts", "check_html_links.py"),
                                     html], common.ROOT)
    if rc == 0:
        common.say("docs: site built in %s/index.html" % os.path.relpath(html, common.ROOT))
    return rc


def main(argv=None):
    common.setup_environment()
    return 1 if build(os.environ.get("DOCS_OUT")) else 0


if __name__ == "__main__":
    sys.exit(main())
