# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module is in the action group and documents the shared connection options."""

import os

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "modules"))
                 if f.endswith(".py") and not f.startswith("_"))


def test_there_are_modules():
    assert "capgo_channel" in MODULES


def test_every_module_is_in_the_action_group():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        runtime = yaml.safe_load(handle)
    group = runtime["action_groups"]["capgo"]
    missing = [m for m in MODULES if m not in group]
    assert missing == []
    assert runtime["requires_ansible"] == ">=2.16.0"


def test_every_module_uses_the_shared_fragment():
    for name in MODULES:
        with open(os.path.join(ROOT, "plugins", "modules", name + ".py")) as handle:
            source = handle.read()
        doc = yaml.safe_load(source.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])
        fragments = doc.get("extends_documentation_fragment") or []
        assert "capgo.cloud.capgo" in fragments, name
        assert any(f.startswith("capgo.cloud.capgo.") and "ATTRIBUTES" in f for f in fragments), name
