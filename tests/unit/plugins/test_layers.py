# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layers of docs/DEVELOPING.md, read from the sources' imports (function-level ones too, as
Ansible's module packer reads them): only the adapters import Ansible, and a module ships only the
module_utils it uses (Ansible compiles every one it ships on each run of the module)."""

import ast
import os

import pytest

PLUGINS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "plugins")
UTILS = os.path.join(PLUGINS, "module_utils")
PREFIX = "ansible_collections.capgo.cloud.plugins.module_utils"
ADAPTERS = {"_ansible", "_ansible_environment"}


def imports_of(path):
    """The collection's module_utils and the top-level packages ``path`` imports."""
    with open(path) as handle:
        tree = ast.parse(handle.read())
    utils, packages = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PREFIX:
                utils.update(alias.name for alias in node.names)
            elif node.module.startswith(PREFIX + "."):
                utils.add(node.module[len(PREFIX) + 1:])
            packages.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
    return utils, packages


def shipped_with(path):
    """Every module_util a module file pulls in, transitively."""
    todo, seen = [path], set()
    while todo:
        utils, dummy = imports_of(todo.pop())
        for name in utils - seen:
            seen.add(name)
            todo.append(os.path.join(UTILS, name + ".py"))
    return seen


def test_only_the_adapters_import_ansible():
    for name in sorted(os.listdir(UTILS)):
        if name.endswith(".py") and name[:-3] not in ADAPTERS:
            assert "ansible" not in imports_of(os.path.join(UTILS, name))[1], name


@pytest.mark.parametrize("module, ships", [
    ("capgo_app", {"_ansible", "_client", "_engine", "_app", "_organization"}),
    ("capgo_bundle", {"_ansible", "_client", "_engine", "_bundle", "_upload", "_native", "_channel", "_time"}),
    ("capgo_webhook", {"_ansible", "_client", "_engine", "_webhook"}),
])
def test_a_module_ships_only_the_module_utils_it_uses(module, ships):
    assert shipped_with(os.path.join(PLUGINS, "modules", module + ".py")) == ships


def test_only_capgo_environment_ships_every_declaration():
    for name in sorted(os.listdir(os.path.join(PLUGINS, "modules"))):
        if name.endswith(".py") and name not in ("capgo_environment.py", "capgo_info.py", "__init__.py"):
            assert "_environment" not in shipped_with(os.path.join(PLUGINS, "modules", name)), name
