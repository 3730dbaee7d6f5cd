# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX data under extensions/awx/ agrees with the collection.

- Every environment variable the "Capgo Cloud" credential type injects is one the collection
  reads (an ``env_fallback`` of an argument spec in plugins/) and documents (``E(NAME)`` in the
  doc fragment or a module's DOCUMENTATION).
- The credential type exists once as controller API data and once as infra.aap_configuration
  data, and both are the same.
- The job templates run the project's playbooks, which import the collection's playbooks, and
  every survey variable is an option of the role the playbook runs.
"""

import ast
import os
import re

import pytest
import yaml
from jinja2.sandbox import SandboxedEnvironment

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
AWX = os.path.join(ROOT, "extensions", "awx")
ENV_RE = re.compile(r"E\((CAPGO_[A-Z0-9_]+)\)")


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads Ansible's ``!unsafe`` tag as a plain string."""


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(*parts):
    with open(os.path.join(*parts)) as handle:
        return yaml.load(handle, Loader=_Loader)  # nosec - SafeLoader subclass


def plugin_sources():
    for base, dummy, files in os.walk(os.path.join(ROOT, "plugins")):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(base, name)
                with open(path) as handle:
                    yield path, handle.read()


def env_read_in_code():
    """Names in ``(env_fallback, [...])`` of argument specs, in ``env=[...]`` of the declarations' specs
    (the adapter turns those into env fallbacks), and ``os.environ``/``os.getenv`` reads."""
    names = set()
    for dummy, source in plugin_sources():
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[0], ast.Name)
                    and node.elts[0].id == "env_fallback" and isinstance(node.elts[1], (ast.List, ast.Tuple))):
                names.update(e.value for e in node.elts[1].elts if isinstance(e, ast.Constant))
            if isinstance(node, ast.keyword) and node.arg == "env" and isinstance(node.value, (ast.List, ast.Tuple)):
                names.update(e.value for e in node.value.elts if isinstance(e, ast.Constant))
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                func = ast.unparse(node.func)
                if func in ("os.getenv", "os.environ.get", "environ.get", "getenv"):
                    names.add(node.args[0].value)
    return names


def env_documented():
    """``E(CAPGO_...)`` in the doc fragments and in the modules' DOCUMENTATION."""
    names = set()
    for path, source in plugin_sources():
        if os.sep + "doc_fragments" + os.sep in path:
            names.update(ENV_RE.findall(source))
        elif 'DOCUMENTATION = r"""' in source:
            names.update(ENV_RE.findall(source.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0]))
    return names


CREDENTIAL_TYPE = load(AWX, "credential_type.yml")
INJECTED = sorted(CREDENTIAL_TYPE["injectors"]["env"])


def render(inputs):
    """Render the injectors the way the controller does (sandboxed Jinja2, missing input = undefined)."""
    env = SandboxedEnvironment()
    return {name: env.from_string(template).render(**inputs)
            for name, template in CREDENTIAL_TYPE["injectors"]["env"].items()}


def test_injects_the_four_documented_variables():
    assert INJECTED == ["CAPGO_API_KEY", "CAPGO_API_URL", "CAPGO_FILES_URL", "CAPGO_SESSION_TOKEN"]


@pytest.mark.parametrize("name", INJECTED)
def test_injected_variable_is_read_by_the_collection(name):
    read = env_read_in_code()
    assert name in read, ("%s is injected by the Capgo Cloud credential type, but no argument spec in plugins/ "
                          "reads it (env_fallback); read: %s" % (name, ", ".join(sorted(read))))


@pytest.mark.parametrize("name", INJECTED)
def test_injected_variable_is_documented_by_the_collection(name):
    documented = env_documented()
    assert name in documented, ("%s is injected by the Capgo Cloud credential type, but neither the doc fragment "
                                "nor a module documents it (E(%s)); documented: %s"
                                % (name, name, ", ".join(sorted(documented))))


def test_inputs_secret_and_required():
    fields = {f["id"]: f for f in CREDENTIAL_TYPE["inputs"]["fields"]}
    assert sorted(fields) == ["api_key", "api_url", "files_url", "session_token"]
    assert fields["api_key"].get("secret") is True
    assert fields["session_token"].get("secret") is True
    assert not fields["api_url"].get("secret", False)
    assert not fields["files_url"].get("secret", False)
    assert CREDENTIAL_TYPE["inputs"]["required"] == ["api_key"]
    assert CREDENTIAL_TYPE["kind"] == "cloud"
    assert CREDENTIAL_TYPE["name"] == "Capgo Cloud"


def test_every_field_is_injected():
    used = set()
    for template in CREDENTIAL_TYPE["injectors"]["env"].values():
        used.update(re.findall(r"\{\{\s*(\w+)", template))
    assert used == set(f["id"] for f in CREDENTIAL_TYPE["inputs"]["fields"])


def test_optional_inputs_render_to_the_collection_defaults():
    with open(os.path.join(ROOT, "plugins", "doc_fragments", "capgo.py")) as handle:
        source = handle.read()
    fragment = yaml.safe_load(source.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])
    env = render({"api_key": "k-1"})
    assert env == {"CAPGO_API_KEY": "k-1", "CAPGO_API_URL": fragment["options"]["api_url"]["default"],
                   "CAPGO_FILES_URL": fragment["options"]["files_url"]["default"], "CAPGO_SESSION_TOKEN": ""}
    # The controller stores an optional text input left empty as "", which must not become the URL.
    assert render({"api_key": "k-1", "api_url": ""})["CAPGO_API_URL"] == fragment["options"]["api_url"]["default"]


def test_all_inputs_are_passed_through():
    env = render({"api_key": "k-1", "api_url": "https://capgo.example.com", "session_token": "jwt-1",
                  "files_url": "https://files.capgo.example.com"})
    assert env == {"CAPGO_API_KEY": "k-1", "CAPGO_API_URL": "https://capgo.example.com",
                   "CAPGO_FILES_URL": "https://files.capgo.example.com", "CAPGO_SESSION_TOKEN": "jwt-1"}


def test_aap_configuration_has_the_same_credential_types():
    types = load(AWX, "aap_configuration", "credential_types.yml")["controller_credential_types"]
    assert types == [CREDENTIAL_TYPE, KEY_TYPE]
    credentials = load(AWX, "aap_configuration", "credential_types.yml")["controller_credentials"]
    assert [c["credential_type"] for c in credentials] == ["Capgo Cloud", "Capgo bundle encryption key"]


# -- the "Capgo bundle encryption key" credential type --------------------------------------

KEY_TYPE = load(AWX, "credential_type_encryption_key.yml")


def test_encryption_key_type_injects_the_key_as_a_file_and_its_path():
    assert KEY_TYPE["name"] == "Capgo bundle encryption key" and KEY_TYPE["kind"] == "cloud"
    [field] = KEY_TYPE["inputs"]["fields"]
    assert field["id"] == "private_key" and field["secret"] is True and field["multiline"] is True
    assert KEY_TYPE["inputs"]["required"] == ["private_key"]
    env = SandboxedEnvironment()
    pem = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"
    # the controller renders the file from the inputs, then the env with tower.filename = its path
    assert env.from_string(KEY_TYPE["injectors"]["file"]["template"]).render(private_key=pem) == pem
    assert sorted(KEY_TYPE["injectors"]["env"]) == ["CAPGO_ENCRYPTION_KEY"]
    rendered = env.from_string(KEY_TYPE["injectors"]["env"]["CAPGO_ENCRYPTION_KEY"]).render(
        private_key=pem, tower={"filename": "/tmp/awx_1/tmpkey"})
    assert rendered == "/tmp/awx_1/tmpkey"


def test_encryption_key_path_is_the_fallback_of_encryption_key():
    """CAPGO_ENCRYPTION_KEY is what capgo_bundle's encryption_key reads when it is not set, and documents."""
    from ansible_collections.capgo.cloud.plugins.module_utils._bundle import Bundle
    assert Bundle.argument_spec["encryption_key"]["env"] == ["CAPGO_ENCRYPTION_KEY"]
    assert Bundle.argument_spec["encryption_key"]["type"] == "path"
    assert "CAPGO_ENCRYPTION_KEY" in env_documented()


def test_release_template_takes_a_hosted_bundle_and_the_key_at_launch():
    [release] = [t for t in TEMPLATES if t["playbook"] == "release.yml"]
    variables = [q["variable"] for q in release["survey_spec"]["spec"]]
    assert "capgo_release_src" in variables
    assert variables.index("capgo_release_src") < variables.index("capgo_release_url")  # hosted first
    assert release["ask_credential_on_launch"] is True


TEMPLATES = load(AWX, "aap_configuration", "job_templates.yml")["controller_templates"]
TEMPLATE_IDS = [t["playbook"][:-4] for t in TEMPLATES]
# Until roles/environment exists (issue "Environment as code"), its variables as modules.md fixes them.
ENVIRONMENT_INTERFACE = {"capgo_environment", "capgo_environment_dir", "capgo_environment_purge"}


def role_options(role):
    path = os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")
    if role == "environment" and not os.path.exists(path):
        return {name: {} for name in ENVIRONMENT_INTERFACE}
    return load(path)["argument_specs"]["main"]["options"]


def test_three_job_templates():
    assert sorted(TEMPLATE_IDS) == ["environment", "release", "report"]


@pytest.mark.parametrize("template", TEMPLATES, ids=TEMPLATE_IDS)
def test_job_template_runs_the_collection_playbook(template):
    name = template["playbook"][:-4]
    project_play = load(AWX, "project", template["playbook"])
    assert [p.get("ansible.builtin.import_playbook") for p in project_play] == ["capgo.cloud." + name]
    collection_play = load(ROOT, "playbooks", template["playbook"])
    assert collection_play[0]["hosts"] == "{{ capgo_hosts | default('localhost') }}"
    assert collection_play[0]["gather_facts"] is False
    roles = [r["role"] for r in collection_play[0].get("roles", [])]
    roles += [t["ansible.builtin.include_role"]["name"] for t in collection_play[0].get("tasks", [])
              if "ansible.builtin.include_role" in t]
    assert roles == ["capgo.cloud." + name]
    assert template["credentials"] and template["survey_enabled"] is True


@pytest.mark.parametrize("template", TEMPLATES, ids=TEMPLATE_IDS)
def test_survey_variables_are_role_options(template):
    options = role_options(template["playbook"][:-4])
    for question in template["survey_spec"]["spec"]:
        assert question["variable"] in options, question["variable"]
        spec = options[question["variable"]]
        if question["type"] == "multiplechoice" and "choices" in spec:
            assert question["choices"] == spec["choices"], question["variable"]
        if spec.get("required"):
            assert question["required"] is True, question["variable"]
        if question["type"] == "integer":
            assert spec.get("type") == "int", question["variable"]
        if question["type"] == "float":
            assert spec.get("type") == "float", question["variable"]


# -- the inventory source (capgo.cloud.capgo) --------------------------------------------

SOURCES = load(AWX, "aap_configuration", "inventory_sources.yml")


def test_inventory_source_reads_the_projects_plugin_file_with_the_capgo_credential():
    [source] = SOURCES["controller_inventory_sources"]
    assert [i["name"] for i in SOURCES["controller_inventories"]] == [source["inventory"]]
    projects = load(AWX, "aap_configuration", "projects.yml")["controller_projects"]
    assert source["source"] == "scm" and source["source_project"] in [p["name"] for p in projects]
    credentials = load(AWX, "aap_configuration", "credential_types.yml")["controller_credentials"]
    assert source["credential"] in [c["name"] for c in credentials]
    # the plugin only takes files named *capgo.yml / *capgo.yaml
    assert source["source_path"].endswith(("capgo.yml", "capgo.yaml"))
    config = load(AWX, "project", source["source_path"])
    assert config["plugin"] == "capgo.cloud.capgo"
    # no credential in the file: the credential's injectors give the key and the endpoint
    assert not set(config) & {"api_key", "api_url"}


def test_the_injected_variables_are_the_inventory_plugins_connection_options():
    """The plugin reads the key and the endpoint from the variables the credential injects."""
    path = os.path.join(ROOT, "plugins", "doc_fragments", "capgo.py")
    with open(path) as handle:
        source = handle.read()
    plugin = yaml.safe_load(source.split('PLUGIN = r"""', 1)[1].split('"""', 1)[0])["options"]
    env = {name: [e["name"] for e in option["env"]] for name, option in plugin.items()}
    assert "CAPGO_API_KEY" in env["api_key"] and env["api_url"] == ["CAPGO_API_URL"]
    # the last variable listed wins in Ansible's configuration: CAPGO_API_KEY before CAPGO_TOKEN
    assert env["api_key"][-1] == "CAPGO_API_KEY"
