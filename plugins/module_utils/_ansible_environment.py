# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ansible adapter of capgo_environment: its items validated as their modules validate them,
the declaration file (``src``), then one ``Environment`` run.

Apart from ``_ansible.py`` so that only capgo_environment's module carries every declaration:
Ansible ships a module with the module_utils it imports, and compiles them on each run.

Private to the collection (the leading underscore): no compatibility promise.
"""

import copy
import os

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.capgo.cloud.plugins.module_utils import _environment
from ansible_collections.capgo.cloud.plugins.module_utils._ansible import (
    ansible_spec,
    connection_argument_spec,
    flush_warnings,
    new_engine,
)
from ansible_collections.capgo.cloud.plugins.module_utils._client import CONNECTION_OPTIONS


def no_log_values(spec, params):
    """The values in ``params`` of the options ``spec`` marks ``no_log`` (suboptions too), as strings:
    what AnsibleModule masks for its own options, derived from the argument spec itself."""
    found = set()
    for name, option in spec.items():
        value = params.get(name)
        if value is None:
            continue
        if option.get("no_log") and value:  # as AnsibleModule: an empty value or 0 masks nothing
            found.update(_leaves(value))
        if isinstance(option.get("options"), dict):
            for element in value if isinstance(value, list) else [value]:
                if isinstance(element, dict):
                    found.update(no_log_values(option["options"], element))
    return found


def _leaves(value):
    """The scalar values of ``value`` as strings (nested dicts and lists walked); none for empty, bool, None."""
    if isinstance(value, dict):
        for element in value.values():
            yield from _leaves(element)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for element in value:
            yield from _leaves(element)
    elif value is not None and not isinstance(value, bool) and value != "":
        yield "%s" % (value,)


class ItemSpec:
    """One kind's argument spec for ``capgo_environment``'s items, prepared once per run.

    ``validate(params)`` gives what ``ArgumentSpecValidator(spec, **module_kwargs).validate(params)``
    gives (validated parameters, error messages). A declaration of 1,755 items validated through the
    generic validator one by one costs a noticeable part of the run, so an item that needs nothing
    of it (only option names, values already of their type, no suboptions set, no fallback read,
    the declaration's checks pass) is validated by a precompiled fast path with the same outcome;
    any other item (an alias, a value to convert, a missing required option, a bad value, a
    suboption) goes through the generic validator, so its messages are exactly the module's.
    """

    # The types whose checkers return a value of the type unchanged (int: a bool is left to the validator).
    EXACT = {"str": (str,), "bool": (bool,), "int": (int,), "float": (float,), "list": (list,), "dict": (dict,)}

    def __init__(self, declaration):
        from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

        self.spec = connection_argument_spec()
        self.spec.update(ansible_spec(declaration.argument_spec))
        self.kwargs = dict(declaration.module_kwargs)
        self.validator = ArgumentSpecValidator(self.spec, **self.kwargs)
        # Only the options no_log_values() looks at: no_log ones and those with suboptions.
        self.no_log_spec = {name: option for name, option in self.spec.items()
                            if option.get("no_log") or isinstance(option.get("options"), dict)}
        self.options = []
        self.fast = not any(option.get("apply_defaults") for option in self.spec.values())
        for name, option in self.spec.items():
            kind = option.get("type", "str")
            elements = option.get("elements")
            # Set to a value, an option with suboptions, or of a type this path does not know, takes the validator.
            other = "options" in option or not isinstance(kind, str) or (
                kind not in self.EXACT and kind not in ("raw", "path")) or (
                elements is not None and elements not in ("str", "int", "bool"))
            choices = option.get("choices")
            self.options.append((name, kind, self.EXACT.get(kind), self.EXACT.get(elements) if elements else None,
                                 None if choices is None else list(choices), option.get("default"),
                                 bool(option.get("required")), self.falls_back(option), other))

    @staticmethod
    def falls_back(option):
        """True when the option, if not given, would take a value from its fallback (an environment variable
        that is set, or a fallback of another kind)."""
        if "fallback" not in option:
            return False
        strategy, names = option["fallback"][0], option["fallback"][1:]
        if strategy is not env_fallback:
            return True
        return any(name in os.environ for args in names if isinstance(args, (list, tuple)) for name in args)

    def validate(self, params):
        """``(validated parameters, error messages)`` of ``params``, as the module's own validation."""
        validated = self.fast and self.fast_path(params)
        if validated:
            return validated, []
        result = self.validator.validate(params)
        return result.validated_parameters, result.error_messages

    def fast_path(self, params):
        """The validated parameters when ``params`` needs nothing of the generic validator, else None."""
        from ansible.module_utils.common.validation import (
            check_mutually_exclusive, check_required_by, check_required_if, check_required_one_of,
            check_required_together, check_type_path)

        if any(name not in self.spec for name in params):
            return None  # an alias or an unknown option
        out = {}
        for name, kind, exact, elements, choices, default, required, fallback, other in self.options:
            if name not in params:
                if required or fallback:
                    return None
                if default is not None:
                    out[name] = copy.deepcopy(default)
                continue
            value = params[name]
            if value is None:
                if required or default is not None or choices is not None:
                    return None
                out[name] = None
                continue
            if other:
                return None
            if kind == "path":
                if not isinstance(value, str):
                    return None
                value = check_type_path(value)
            elif exact is not None:
                if not isinstance(value, exact) or (kind == "int" and isinstance(value, bool)):
                    return None
                if elements is not None and any(not isinstance(e, elements) or (elements == (int,) and isinstance(e, bool))
                                                for e in value):
                    return None
            if isinstance(value, (list, dict)):
                value = copy.deepcopy(value)  # as the validator's own copy: the item's values are not shared
            if choices is not None and any(v not in choices for v in (value if isinstance(value, list) else [value])):
                return None
            out[name] = value
        try:
            check_mutually_exclusive(self.kwargs.get("mutually_exclusive"), params)
            check_required_together(self.kwargs.get("required_together"), out)
            check_required_one_of(self.kwargs.get("required_one_of"), out)
            check_required_if(self.kwargs.get("required_if"), out)
            check_required_by(self.kwargs.get("required_by"), out)
        except TypeError:
            return None
        for name in self.spec:
            out.setdefault(name, None)
        return out


def item_validator(module):
    """``validate(declaration, item, supplied, where)`` for ``declared_items``: an item's options validated
    exactly as its module validates them, its no_log values masked as the module's own."""
    specs = {}
    connection = {k: module.params[k] for k in CONNECTION_OPTIONS}

    def validate(declaration, item, supplied, where):
        if not isinstance(item, dict):
            return None, ["%s: must be a dict of options, got %r" % (where, item)]
        clash = sorted(set(item) & (set(supplied) | set(CONNECTION_OPTIONS)))
        if clash:
            return None, ["%s: %s is given by the environment, not by the item" % (where, ", ".join(clash))]
        spec = specs.get(declaration)
        if spec is None:
            spec = specs[declaration] = ItemSpec(declaration)
        params = dict(connection)
        params.update(item)
        params.update(supplied)
        validated, errors = spec.validate(params)
        module.no_log_values.update(no_log_values(spec.no_log_spec, validated))
        return validated, ["%s: %s" % (where, msg) for msg in errors]

    return validate


def environment_items(module, params=None):
    """The declaration (``params``, default the module's) as validated items per kind, and the error lines
    of those that are not valid."""

    return _environment.declared_items(module.params if params is None else params, item_validator(module))


def environment_declaration(module):
    """The module's options, with the declaration file ``src`` (if given) merged after them. Not put back in
    ``module.params``: the result's ``invocation`` shows the options as given, not the whole file."""

    params = module.params
    if params["src"] is not None:
        sections, problem = _environment.load_declaration(params["src"])
        if problem:
            module.fail_json(msg=problem, changed=False)
        params = _environment.merged_declaration(params, sections)
    if params["organization"] is None:
        module.fail_json(msg="organization is required: give it as an option or in src", changed=False)
    return params


def run_environment():
    """``main()`` of capgo_environment: validate every item, then converge them in one run."""

    spec = connection_argument_spec()
    spec.update(ansible_spec(_environment.ARGUMENT_SPEC))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, required_one_of=[("organization", "src")])
    params = environment_declaration(module)
    organization, sections, errors = environment_items(module, params)
    if errors:
        module.fail_json(msg="\n".join(errors), changed=False)
    # The libraries an item needs (cryptography for an encrypted hosted bundle), as its module reports them.
    for kind, items in sections.items():
        missing = getattr(_environment.KINDS[kind], "missing_libraries", None)
        for library, error in (problem for params in items for problem in (missing(params) if missing else ())):
            module.fail_json(msg=missing_required_lib(library), exception=error, changed=False)
    engine = new_engine(module)
    env = _environment.Environment(engine, organization, sections, purge=module.params["purge"],
                                   parallel=module.params["parallel"])
    errors = env.validate_all()
    if errors:
        module.fail_json(msg="\n".join(errors), changed=False)
    result = env.apply()
    flush_warnings(module, engine)
    if not module._diff:
        result.pop("diff")
    result["check_mode"] = module.check_mode
    failures = env.failures()
    if failures:
        module.fail_json(msg="\n".join(failures), **result)
    module.exit_json(**result)
