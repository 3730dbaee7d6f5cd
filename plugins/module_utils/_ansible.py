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
    DEFAULT_FILES_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    CapgoClient,
    connection_problems,
)
from ansible_collections.capgo.cloud.plugins.module_utils._engine import Engine, Failure


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
        files_url=dict(type="str", default=DEFAULT_FILES_URL, fallback=(env_fallback, ["CAPGO_FILES_URL"])),
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
    problem = connection_problems(params)
    if problem:
        module.fail_json(msg=problem)
    return CapgoClient(
        api_key=params["api_key"],
        api_url=params["api_url"],
        timeout=params["timeout"],
        retries=params["retries"],
        validate_certs=params["validate_certs"],
        ca_path=params["ca_path"],
        files_url=params.get("files_url"),
    )


def new_engine(module):
    """The engine of a run: the client of ``api_key``, and more clients on demand (a session token)."""
    client = new_client(module, module.params)

    def client_factory(api_key):
        extra = new_client(module, dict(module.params, api_key=api_key))
        extra.warn = engine.warn
        return extra

    engine = Engine(client, check_mode=module.check_mode, diff=module._diff, client_factory=client_factory)
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
        module.fail_json(msg=failure.msg, **failure.result)
    flush_warnings(module, engine)
    module.exit_json(**result)


def flush_warnings(module, engine):
    for msg in engine.warnings:
        module.warn(msg)
    del engine.warnings[:]


# -- capgo_environment ------------------------------------------------------------

ENVIRONMENT_SPEC = dict(
    organization=dict(type="dict", required=True),
    members=dict(type="list", elements="dict", default=[]),
    webhooks=dict(type="list", elements="dict", default=[]),
    apikeys=dict(type="list", elements="dict", default=[], no_log=False),
    apps=dict(type="list", elements="dict", default=[]),
    purge=dict(type="list", elements="str", default=[],
               choices=["members", "webhooks", "apikeys", "apps", "channels", "devices"]),
    parallel=dict(type="int", default=4),
    session_token=dict(type="str", no_log=True, fallback=(env_fallback, ["CAPGO_SESSION_TOKEN"])),
)
# Options of an app item that are sections of their own, not options of capgo_app.
APP_SECTIONS = ("channels", "bundles", "devices", "keep_bundles")


def validate_item(module, declaration, item, supplied, where):
    """An item's options validated exactly as its module validates them: (params, error lines)."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    if not isinstance(item, dict):
        return None, ["%s: must be a dict of options, got %r" % (where, item)]
    clash = sorted(set(item) & (set(supplied) | set(CONNECTION_OPTIONS)))
    if clash:
        return None, ["%s: %s is given by the environment, not by the item" % (where, ", ".join(clash))]
    spec = connection_argument_spec()
    spec.update(ansible_spec(declaration.argument_spec))
    params = dict((k, module.params[k]) for k in CONNECTION_OPTIONS)
    params.update(item)
    params.update(supplied)
    result = ArgumentSpecValidator(spec, **declaration.module_kwargs).validate(params)
    module.no_log_values.update(result._no_log_values)
    errors = ["%s: %s" % (where, msg) for msg in result.error_messages]
    return result.validated_parameters, errors


def environment_items(module):
    """The declaration as validated items per kind, and the error lines of those that are not valid."""
    from ansible_collections.capgo.cloud.plugins.module_utils._environment import KINDS

    p = module.params
    errors = []
    sections = dict((k, []) for k in KINDS if k != "organization")

    def add(kind, item, supplied, where):
        params, problems = validate_item(module, KINDS[kind], item, supplied, where)
        errors.extend(problems)
        if not problems:
            sections[kind].append(params)

    organization, problems = validate_item(module, KINDS["organization"], p["organization"], {}, "organization")
    errors.extend(problems)
    for kind in ("members", "webhooks"):
        for n, item in enumerate(p[kind]):
            add(kind, item, {"org_id": "00000000-0000-4000-8000-000000000000"}, "%s[%d]" % (kind, n))
    for n, item in enumerate(p["apikeys"]):
        # Capgo creates keys and changes bindings for a session only; lookups take the API key.
        add("apikeys", item, {"session_token": p["session_token"]}, "apikeys[%d]" % n)
    for n, app in enumerate(p["apps"]):
        where = "apps[%d]" % n
        if not isinstance(app, dict):
            errors.append("%s: must be a dict of options, got %r" % (where, app))
            continue
        own = dict((k, v) for k, v in app.items() if k not in APP_SECTIONS)
        add("apps", own, {}, where)
        app_id = app.get("app_id")
        for kind in ("channels", "bundles", "devices"):
            for m, item in enumerate(app.get(kind) or []):
                add(kind, item, {"app_id": app_id}, "%s.%s[%d]" % (where, kind, m))
        if app.get("keep_bundles") is not None:
            add("bundles", {"state": "absent", "keep": app["keep_bundles"]}, {"app_id": app_id},
                "%s.keep_bundles" % where)
    return organization, sections, errors


def run_environment():
    """``main()`` of capgo_environment: validate every item, then converge them in one run."""
    from ansible_collections.capgo.cloud.plugins.module_utils._environment import Environment

    spec = connection_argument_spec()
    spec.update(ENVIRONMENT_SPEC)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    organization, sections, errors = environment_items(module)
    if module.params["parallel"] < 1:
        errors.insert(0, "parallel must be at least 1, got %d" % module.params["parallel"])
    if errors:
        module.fail_json(msg="\n".join(errors), changed=False)
    engine = new_engine(module)
    env = Environment(engine, organization, sections, purge=module.params["purge"],
                      parallel=module.params["parallel"])
    errors = env.check()
    if errors:
        module.fail_json(msg="\n".join(errors), changed=False)
    result = env.apply()
    flush_warnings(module, engine)
    if not module._diff:
        result.pop("diff")
    failures = env.failures()
    if failures:
        module.fail_json(msg="\n".join(failures), **result)
    module.exit_json(**result)
