# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""capgo_environment's items are validated per kind with a spec prepared once (``_ansible_environment.ItemSpec``).

A plain item takes a precompiled fast path; anything else (an alias, a value to convert, a missing
or bad option, suboptions, a fallback from the environment) takes AnsibleModule's own validator.
Either way the outcome is the validator's: the same validated parameters, the same messages.
"""

import copy

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.capgo.cloud.plugins.module_utils import _ansible_environment, _environment

CONNECTION = dict(api_key="11111111-2222-3333-4444-555555555555", api_url="https://api.capgo.app", timeout=30.0,
                  retries=5, validate_certs=True, ca_path=None, files_url="https://files.capgo.app")
APP = "com.example.app"

# (kind, item, fast): fast says whether the item needs nothing of the generic validator.
ITEMS = [
    ("channels", dict(app_id=APP, channel="beta", bundle="1.0.0", public=True), True),
    ("channels", dict(app_id=APP, name="beta"), False),  # an alias
    ("channels", dict(app_id=APP, channel="beta", public="yes"), False),  # converted to a bool
    ("channels", dict(app_id=APP, channel="beta", bundle="1.0.0", promote_from="prod"), False),  # mutually exclusive
    ("channels", dict(app_id=APP, channel="beta", rollout=dict(percentage=10, bundle="1.0.0")), False),  # suboptions
    ("channels", dict(app_id=APP, channel="beta", state="gone"), False),
    ("channels", dict(app_id=APP, channel="beta", state=None), False),
    ("channels", dict(app_id=APP), False),  # required option missing
    ("channels", dict(app_id=APP, channel=5), False),
    ("channels", dict(app_id=APP, channel="beta", unknown=1), False),
    ("devices", dict(app_id=APP, device_id="d1", channel="beta"), True),
    ("devices", dict(app_id=APP, device_id="d1", state="absent"), True),
    ("devices", dict(app_id=APP, device_id="d1"), False),  # required_if
    ("devices", dict(app_id=APP, device_id="d1", channel="beta", refresh="true"), False),
    ("devices", dict(app_id=APP, device_id="d1", channel="beta", version_id=[1, 2]), True),  # raw
    ("members", dict(org_id="o", email="dev@example.com", role="org_member"), True),
    ("members", dict(org_id="o", email="dev@example.com", role="boss"), False),
    ("members", dict(org_id="o", email="dev@example.com", reinvite=1), False),
    ("webhooks", dict(org_id="o", name="w", url="https://hooks.example.com", events=["channels"]), True),
    ("webhooks", dict(org_id="o", name="w", url="https://hooks.example.com", events="channels"), False),
    ("webhooks", dict(org_id="o", name="w", events=["nope"]), False),
    ("webhooks", dict(org_id="o", name="w", events=[1]), False),
    ("apps", dict(app_id=APP, retention_days=40), True),
    ("apps", dict(app_id=APP, retention_days="40"), False),
    ("apps", dict(app_id=APP, retention_days=True), False),
    ("apps", dict(app_id=APP, owner_org=None), True),
    ("bundles", dict(app_id=APP, version="1.0.0", external_url="https://cdn.example.com/1.zip", checksum="ab"), True),
    ("bundles", dict(app_id=APP, name="1.0.0"), False),
    ("bundles", dict(app_id=APP, version="1.0.0", src="~/dist"), True),  # a path, expanded as the validator does
    ("bundles", dict(app_id=APP, version="1.0.0", state="absent", keep=3), False),
    ("apikeys", dict(name="ci", session_token=None), True),
    ("apikeys", dict(name="ci", session_token="s", lookup_api_key="l"), True),
    ("organization", dict(org_id="o", website="https://example.com"), True),
    ("organization", dict(id="o"), False),
]


@pytest.mark.parametrize("kind, item, fast", ITEMS)
def test_an_item_is_validated_as_its_module_validates_it(kind, item, fast, monkeypatch):
    for name in ("CAPGO_ENCRYPTION_KEY", "CAPGO_LOOKUP_API_KEY", "CAPGO_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    declaration = _environment.KINDS[kind]
    spec = _ansible_environment.ItemSpec(declaration)
    params = dict(CONNECTION, **item)
    expected = ArgumentSpecValidator(spec.spec, **declaration.module_kwargs).validate(copy.deepcopy(params))
    assert spec.validate(copy.deepcopy(params)) == (expected.validated_parameters, expected.error_messages)
    assert bool(spec.fast_path(copy.deepcopy(params))) is fast


def test_a_plain_item_does_not_go_through_the_generic_validator(monkeypatch):
    spec = _ansible_environment.ItemSpec(_environment.KINDS["channels"])

    def generic(params):
        raise AssertionError("the generic validator ran")

    monkeypatch.setattr(spec.validator, "validate", generic)
    validated, errors = spec.validate(dict(CONNECTION, app_id=APP, channel="beta", bundle="1.0.0"))
    assert errors == [] and validated["channel"] == "beta" and validated["state"] == "present"
    assert validated["native_compatibility"] == "fail" and validated["promote_from"] is None


def test_an_option_the_environment_fills_takes_the_generic_validator(monkeypatch):
    """A fallback that finds its variable gives the option a value: the validator reads it."""
    monkeypatch.setenv("CAPGO_ENCRYPTION_KEY", "/keys/capgo_key_v2")
    declaration = _environment.KINDS["bundles"]
    spec = _ansible_environment.ItemSpec(declaration)
    params = dict(CONNECTION, app_id=APP, version="1.0.0", external_url="https://cdn.example.com/1.zip")
    assert spec.fast_path(dict(params)) is None
    validated, errors = spec.validate(dict(params))
    assert errors == [] and validated["encryption_key"] == "/keys/capgo_key_v2"


def test_values_of_an_item_are_not_shared_with_the_declaration():
    spec = _ansible_environment.ItemSpec(_environment.KINDS["webhooks"])
    events = ["channels"]
    validated, _errors = spec.validate(dict(CONNECTION, org_id="o", name="w", url="https://hooks.example.com",
                                            events=events))
    assert validated["events"] == events and validated["events"] is not events
