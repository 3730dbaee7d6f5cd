# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""extensions/ee/: `ansible-builder create` writes a build context that installs ansible-core,
ansible-runner, requests and this collection; the EE's Python requirements are the collection's."""

import os
import re
import subprocess
import sys

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version


def requirements(path):
    with open(path) as handle:
        lines = [line.split("#", 1)[0].strip() for line in handle]
    return {Requirement(line).name: Requirement(line) for line in lines if line}


@pytest.fixture(scope="module")
def context(root, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ee") / "context")
    builder = os.path.join(os.path.dirname(sys.executable), "ansible-builder")
    done = subprocess.run([builder, "create", "--file", os.path.join(root, "extensions", "ee", "execution-environment.yml"),
                           "--context", out, "--output-filename", "Containerfile"],
                          cwd=os.path.join(root, "extensions", "ee"), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_containerfile(context):
    with open(os.path.join(context, "Containerfile")) as handle:
        text = handle.read()
    refs = re.search(r'ARG ANSIBLE_INSTALL_REFS="([^"]+)"', text).group(1).split()
    names = {Requirement(r).name: Requirement(r) for r in refs}
    assert sorted(names) == ["ansible-core", "ansible-runner"]
    # The current ansible-core, the one this suite runs on (tests/requirements/awx.txt).
    from ansible.release import __version__ as running_core
    assert Version(running_core) in names["ansible-core"].specifier
    assert Version("2.21.0") in names["ansible-core"].specifier
    assert Version("2.19.14") not in names["ansible-core"].specifier
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in text
    assert "introspect.py introspect --user-pip=requirements.txt" in text


def test_the_collection_comes_from_the_galaxy_requirements(root, context):
    with open(os.path.join(context, "_build", "requirements.yml")) as handle:
        wanted = yaml.safe_load(handle)["collections"]
    with open(os.path.join(root, "galaxy.yml")) as handle:
        galaxy = yaml.safe_load(handle)
    assert [c["name"] for c in wanted] == ["%s.%s" % (galaxy["namespace"], galaxy["name"])]
    assert wanted[0]["version"].startswith(">=")
    assert Version(galaxy["version"]) >= Version(wanted[0]["version"][2:])


def test_python_requirements_are_the_collections(root, context):
    ee = requirements(os.path.join(context, "_build", "requirements.txt"))
    with open(os.path.join(root, "meta", "execution-environment.yml")) as handle:
        meta = yaml.safe_load(handle)
    assert meta["version"] == 3
    collection = requirements(os.path.join(root, meta["dependencies"]["python"]))
    assert "requests" in ee
    assert ee == collection


def test_the_ee_can_encrypt_bundles_because_ansible_core_requires_cryptography():
    """The AWX guide's promise for the "Capgo bundle encryption key" credential: the EE installs ansible-core
    (package_pip), which requires cryptography, so encrypted uploads work without another requirement."""
    from importlib.metadata import requires
    assert "cryptography" in [Requirement(r).name for r in requires("ansible-core")]


def test_introspection_of_the_installed_collection_finds_requests(context, collections_path):
    """What the build's introspect step collects from the installed collection (meta/execution-environment.yml)."""
    done = subprocess.run([sys.executable, os.path.join(context, "_build", "scripts", "introspect.py"), "introspect",
                           "--user-pip", os.path.join(context, "_build", "requirements.txt"), collections_path],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    found = [line.split("#", 1)[0].strip() for line in yaml.safe_load(done.stdout)["python"]
             if line.endswith("# from collection capgo.cloud")]
    assert found == ["requests>=2.25"], done.stdout
