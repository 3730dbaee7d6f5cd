# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The environment role's argument spec is the one generated from the resources' specs, and it
validates a declaration the way the single modules would (before any request)."""

import importlib.util
import os

import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SPEC = os.path.join(ROOT, "roles", "environment", "meta", "argument_specs.yml")


def generator():
    spec = importlib.util.spec_from_file_location("environment_role_spec",
                                                  os.path.join(ROOT, "scripts", "environment_role_spec.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def role_options():
    with open(SPEC) as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


def validate(declaration):
    result = ArgumentSpecValidator(role_options()).validate({"capgo_environment": declaration})
    return " ".join(result.error_messages)


def test_committed_spec_is_current():
    with open(SPEC) as handle:
        assert handle.read() == generator().render(), "run: python scripts/environment_role_spec.py"


def test_every_kind_of_the_module_has_a_section():
    decl = role_options()["capgo_environment"]["options"]
    assert sorted(decl) == ["apikeys", "apps", "members", "organization", "parallel", "purge", "webhooks"]
    assert set(decl["apps"]["options"]) >= set(["bundles", "channels", "devices", "keep_bundles"])
    assert "app_id" not in decl["apps"]["options"]["channels"]["options"]
    assert "org_id" not in decl["members"]["options"]


GOOD = {
    "organization": {"org_id": "046a36ac-e03c-4590-9257-bd6c9dba9ee8"},
    "members": [{"email": "dev@example.com", "role": "org_member"}],
    "webhooks": [{"name": "bot", "url": "https://hooks.example.com", "events": ["channels"]}],
    "apps": [{"app_id": "com.demo.app", "channels": [{"channel": "beta"}, {"name": "qa", "public": False}],
              "devices": [{"device_id": "d1", "channel": "beta"}], "keep_bundles": 3}],
    "purge": ["channels"],
}


def test_a_good_declaration_passes():
    assert validate(GOOD) == ""


@pytest.mark.parametrize("change, message", [
    ({"apps": [{"app_id": "com.demo.app", "channels": [{"channel": "beta", "disable_auto_update": "sometimes"}]}]},
     "disable_auto_update must be one of"),
    ({"apps": [{"app_id": "com.demo.app", "channels": [{"public": True}]}]}, "one of the following is required: channel, name"),
    ({"apps": [{"app_id": "com.demo.app", "channels": [{"channel": "beta", "colour": "red"}]}]}, "colour"),
    ({"members": [{"role": "org_member"}]}, "email"),
    ({"members": [{"email": "a@example.com", "role": "owner"}]}, "role must be one of"),
    ({"purge": ["organization"]}, "purge must be one or more of"),
    ({"webhooks": [{"name": "bot", "events": ["everything"]}]}, "events must be one or more of"),
    ({"apps": [{"app_id": "com.demo.app", "devices": [{"device_id": "d1"}]}]}, "channel"),
    ({"apps": [{"name": "no id"}]}, "app_id"),
])
def test_a_bad_declaration_fails(change, message):
    assert message in validate(dict(GOOD, **change))
