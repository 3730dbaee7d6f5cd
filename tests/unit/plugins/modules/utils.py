# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in-process with given arguments and capture its result."""

import contextlib
import json

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:  # ansible-core >= 2.19
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    patch_module_args = None


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


@contextlib.contextmanager
def _module_args(args):
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    old = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = old


def run_module(monkeypatch, main, args, check_mode=False, diff=False):
    """Return (result, warnings); result has ``failed: True`` when the module failed."""
    warnings = []
    args = dict(args)
    args.setdefault("api_key", "11111111-2222-3333-4444-555555555555")
    if args["api_key"] is None:  # let the module fall back to the environment
        del args["api_key"]
    args.setdefault("api_url", "https://capgo.test")
    args.setdefault("retries", 0)
    if check_mode:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True

    def exit_json(self, **kwargs):
        kwargs.setdefault("changed", False)
        raise ModuleExit(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs["failed"] = True
        kwargs["msg"] = msg
        raise ModuleExit(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: warnings.append(msg))
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    with _module_args(args):
        try:
            main()
        except ModuleExit as exc:
            return exc.result, warnings
    raise AssertionError("module did not exit")
