# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""capgo_environment's ``src``: a declaration file on the host that runs the module, merged after the
options (lists concatenated per kind, the organization key by key), validated as the options are,
failing before any request. The integration target converges an estate from such a file."""

import json

import responses

from ansible_collections.capgo.cloud.plugins.module_utils import _ansible_environment, _environment
from ansible_collections.capgo.cloud.plugins.modules import capgo_environment
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@responses.activate
def test_items_of_the_file_come_after_the_options_and_are_validated_as_theirs(monkeypatch, tmp_path):
    src = write(tmp_path, "estate.json", json.dumps({
        "members": [{"email": "ops@example.com", "role": "boss"}],
        "apps": [{"app_id": "com.example.two", "devices": [{"device_id": "d1"}]}],
    }))
    result, _warnings = run_module(monkeypatch, capgo_environment.main, {
        "organization": {"org_id": ORG},
        "members": [{"email": "dev@example.com", "role": "org_member"}],
        "apps": [{"app_id": "com.example.one"}],
        "src": src,
    })
    assert result["failed"] is True and result["changed"] is False
    lines = result["msg"].split("\n")
    assert lines[0].startswith("members[1]: value of role must be one of: org_member")
    assert "apps[1].devices[0]: state is present but all of the following are missing: channel" in lines
    assert len(lines) == 2
    assert len(responses.calls) == 0


@responses.activate
def test_a_yaml_file_alone_declares_the_estate_and_its_secrets_are_masked(monkeypatch, tmp_path):
    seen = {}
    validate = _ansible_environment.environment_items

    def spy(module, params=None):
        out = validate(module, params)
        seen["organization"], seen["sections"], _errors = out
        seen["no_log"] = set(module.no_log_values)
        seen["module_apps"] = module.params["apps"]  # what the result's invocation shows
        return out

    monkeypatch.setattr(_ansible_environment, "environment_items", spy)
    src = write(tmp_path, "estate.yml", "\n".join([
        "organization:",
        "  org_id: %s" % ORG,
        "  website: https://example.com",
        "webhooks:",
        "  - name: deploys",
        "    url: https://hooks.example.com/capgo",
        "    events: [channels]",
        "apikeys:",
        "  - name: ci",
        "    lookup_api_key: lookup-key-in-the-file",
        "apps:",
        "  - app_id: com.example.app",
        "    channels:",
        "      - channel: beta",
        "        bundle: 1.0.0",
        ""]))
    result, _warnings = run_module(monkeypatch, capgo_environment.main, {
        "organization": {"org_id": ORG, "website": "https://old.example.com", "name": "Example"},
        "src": src, "parallel": 0})
    assert result["msg"] == "parallel must be at least 1, got 0"  # the first error after validation
    assert seen["organization"]["website"] == "https://example.com" and seen["organization"]["name"] == "Example"
    assert [w["name"] for w in seen["sections"]["webhooks"]] == ["deploys"]
    assert [(c["app_id"], c["channel"], c["bundle"]) for c in seen["sections"]["channels"]] == [
        ("com.example.app", "beta", "1.0.0")]
    assert "lookup-key-in-the-file" in seen["no_log"]
    assert seen["module_apps"] == []  # the file is not copied into the module's options
    assert len(responses.calls) == 0


@responses.activate
def test_a_bad_file_fails_before_any_request_with_one_line(monkeypatch, tmp_path):
    cases = [
        (str(tmp_path / "missing.yml"), "cannot read it (No such file or directory)"),
        (write(tmp_path, "list.json", "[1, 2]"), "must hold a dict of sections (organization, members, webhooks, "
                                                 "apikeys, apps), got list"),
        (write(tmp_path, "unknown.yml", "channels: []\npurge: [apps]\n"), "unknown sections channels, purge (known: "
                                                                          "organization, members, webhooks, apikeys, apps)"),
        (write(tmp_path, "type.yml", "apps:\n  app_id: com.example.app\n"), "apps must be a list, got dict"),
        (write(tmp_path, "bad.yml", "apps: [\n"), "neither JSON nor YAML ("),
        # a parse error names the place, never the text there (the file may hold secrets)
        (write(tmp_path, "secret.yml", "webhooks:\n  - name: w\n    secret: s3cr3t-value: x\n"),
         "at line 3, column "),  # PyYAML's wording differs between its C and Python parsers
    ]
    for src, error in cases:
        result, _warnings = run_module(monkeypatch, capgo_environment.main, {"organization": {"org_id": ORG},
                                                                             "src": src})
        assert result["failed"] is True and result["changed"] is False
        assert result["msg"].startswith("src %s: " % src) and error in result["msg"], result["msg"]
        assert "\n" not in result["msg"] and "s3cr3t" not in result["msg"]
    assert len(responses.calls) == 0


@responses.activate
def test_the_organization_is_required_as_an_option_or_in_the_file(monkeypatch, tmp_path):
    result, _warnings = run_module(monkeypatch, capgo_environment.main, {"apps": [{"app_id": "com.example.app"}]})
    assert result["failed"] is True and "one of the following is required: organization, src" in result["msg"]
    src = write(tmp_path, "apps.yml", "apps:\n  - app_id: com.example.app\n")
    result, _warnings = run_module(monkeypatch, capgo_environment.main, {"src": src})
    assert result["failed"] is True and result["msg"] == "organization is required: give it as an option or in src"
    assert len(responses.calls) == 0


def test_merge_keeps_the_options_and_appends_the_file():
    params = {"organization": {"org_id": ORG, "name": "A"}, "members": [{"email": "a@example.com"}], "webhooks": [],
              "apikeys": [], "apps": [], "purge": ["channels"], "parallel": 4}
    out = _environment.merged_declaration(params, {"organization": {"name": "B"},
                                                   "members": [{"email": "b@example.com"}], "apps": None})
    assert out["organization"] == {"org_id": ORG, "name": "B"}
    assert [m["email"] for m in out["members"]] == ["a@example.com", "b@example.com"]
    assert out["apps"] == [] and out["purge"] == ["channels"] and out["parallel"] == 4
    assert params["members"] == [{"email": "a@example.com"}]  # the options are not changed
