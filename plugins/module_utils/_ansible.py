# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ansible adapter: module options in, one engine operation, module result out.

A module file is its documentation and ``run_module(Declaration)``. Everything Ansible-specific
(AnsibleModule, the connection options' environment fallbacks, exit_json/fail_json, warnings)
is here and nowhere else.

Private to the collection (the leading underscore): no compatibility promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.capgo.cloud.plugins.module_utils._client import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    CapgoClient,
)
from ansible_collections.capgo.cloud.plugins.module_utils._engine import Engine, Failure, connection_problem


def connection_argument_spec():
    """The options every capgo.cloud module takes (documented in the ``capgo.cloud.capgo`` fragment)."""
    return dict(
        api_key=dict(type="str", required=True, no_log=True,
                     fallback=(env_fallback, ["CAPGO_API_KEY", "CAPGO_TOKEN"])),
        api_url=dict(type="str", default=DEFAULT_API_URL, fallback=(env_fallback, ["CAPGO_API_URL"])),
        timeout=dict(type="float", default=30.0, fallback=(env_fallback, ["CAPGO_TIMEOUT"])),
        retries=dict(type="int", default=5, fallback=(env_fallback, ["CAPGO_RETRIES"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["CAPGO_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["CAPGO_CA_PATH"])),
    )


CONNECTION_OPTIONS = tuple(connection_argument_spec())


def ansible_spec(spec):
    """A declaration's argument spec for AnsibleModule: ``env: [NAMES]`` becomes an env fallback."""
    out = {}
    for name, option in spec.items():
        option = dict(option)
        if "env" in option:
            option["fallback"] = (env_fallback, option.pop("env"))
        if isinstance(option.get("options"), dict):
            option["options"] = ansible_spec(option["options"])
        out[name] = option
    return out


def new_module(declaration):
    """An AnsibleModule with the connection options and the declaration's options."""
    spec = connection_argument_spec()
    spec.update(ansible_spec(declaration.argument_spec))
    return AnsibleModule(argument_spec=spec, supports_check_mode=True, **declaration.module_kwargs)


def new_client(module, params):
    """The client of a run, once the connection options are known to be usable."""
    if not HAS_REQUESTS:
        error = "".join(traceback.format_exception_only(type(REQUESTS_IMPORT_ERROR), REQUESTS_IMPORT_ERROR))
        module.fail_json(msg=missing_required_lib("requests"), exception=error)
    problem = connection_problem(params)
    if problem:
        module.fail_json(msg=problem)
    return CapgoClient(
        api_key=params["api_key"],
        api_url=params["api_url"],
        timeout=params["timeout"],
        retries=params["retries"],
        validate_certs=params["validate_certs"],
        ca_path=params["ca_path"],
    )


def run_module(declaration):
    """``main()`` of a capgo.cloud module: one operation of ``declaration`` with the task's options."""
    module = new_module(declaration)
    client = new_client(module, module.params)
    engine = Engine(client, check_mode=module.check_mode, diff=module._diff)
    client.warn = engine.warn
    try:
        result = engine.run(declaration, module.params)
    except Failure as failure:
        flush_warnings(module, engine)
        module.fail_json(msg=failure.msg, **failure.result)
    flush_warnings(module, engine)
    module.exit_json(**result)


def flush_warnings(module, engine):
    for msg in engine.warnings:
        module.warn(msg)
    del engine.warnings[:]
