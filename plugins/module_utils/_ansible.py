# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ansible adapter: module options in, one engine operation, module result out.

A module file is its documentation and ``run_module(Declaration)``. Everything Ansible-specific
(AnsibleModule, the connection options' environment fallbacks, exit_json/fail_json, warnings)
is here and nowhere else; capgo_environment's part is ``_ansible_environment.py``.

Private to the collection (the leading underscore): no compatibility promise.
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.capgo.cloud.plugins.module_utils._client import (
    CONNECTION_SPEC,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    client_from_options,
    connection_problems,
)
from ansible_collections.capgo.cloud.plugins.module_utils._engine import Engine, Failure


def connection_argument_spec():
    """The options every capgo.cloud module takes (documented in the ``capgo.cloud.capgo`` fragment)."""
    return ansible_spec(CONNECTION_SPEC)


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
    problem = connection_problems(params)
    if problem:
        module.fail_json(msg=problem)
    return client_from_options(params)


def new_engine(module):
    """The engine of a run: the client of ``api_key`` (more on demand: ``Engine.client_for``)."""
    client = new_client(module, module.params)
    engine = Engine(client, check_mode=module.check_mode, diff=module._diff)
    client.warn = engine.warn
    return engine


def run_module(declaration):
    """``main()`` of a capgo.cloud module: one operation of ``declaration`` with the task's options."""
    module = new_module(declaration)
    missing = getattr(declaration, "missing_libraries", None)
    for library, error in (missing(module.params) if missing else ()):
        module.fail_json(msg=missing_required_lib(library), exception=error)
    engine = new_engine(module)
    try:
        result = engine.run(declaration, module.params)
    except Failure as failure:
        flush_warnings(module, engine)
        module.fail_json(msg=failure.msg, check_mode=module.check_mode, **failure.result)
    flush_warnings(module, engine)
    # Roles read it: ansible_check_mode is false when check mode comes from the task keyword.
    module.exit_json(check_mode=module.check_mode, **result)


def flush_warnings(module, engine):
    for msg in engine.warnings:
        module.warn(msg)
    del engine.warnings[:]
