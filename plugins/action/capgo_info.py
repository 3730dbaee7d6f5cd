# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of capgo_info: the module runs where the task runs, the chart is written on the controller.

Ansible runs this plugin for every ``capgo_info`` task (same name as the module), also with
``ansible -m``. The task's arguments already hold the ``module_defaults`` (ansible-core applies
them before the action plugin runs). When ``graph`` and ``dest`` are set, ``dest`` is checked on
the controller, removed from the module's arguments, and the module's ``graph_svg`` is written
there with ``write_if_changed`` (compare, then an atomic replace; nothing in check mode).
Everything else is the module's result, unchanged.
"""

import os

from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.action import ActionBase

from ansible_collections.capgo.cloud.plugins.module_utils._svgchart import write_if_changed

MODULE = "capgo.cloud.capgo_info"


def controller_path(dest):
    """The absolute path of ``dest`` on the controller; ValueError (one line) when it cannot be written."""
    path = os.path.abspath(os.path.expanduser(os.path.expandvars(dest)))
    if os.path.isdir(path):
        raise ValueError("dest %s is a directory; give the path of the SVG file" % path)
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise ValueError("the directory of dest does not exist on the controller: %s" % parent)
    return path


def write_chart(result, path, check_mode):
    """Write the module's ``graph_svg`` to ``path``; updates ``result`` (``changed``, ``graph_path``, or a failure)."""
    svg = result.get("graph_svg")
    if not isinstance(svg, str):
        result.update(failed=True, msg="capgo_info returned no chart (graph_svg) to write to %s" % path)
        return result
    try:
        changed = write_if_changed(path, to_bytes(svg, errors="surrogate_or_strict"), check_mode=check_mode)
    except (IOError, OSError) as exc:
        result.update(failed=True, msg="cannot write the chart to %s on the controller: %s" % (path, to_native(exc)))
        return result
    result["graph_path"] = path
    result["changed"] = bool(result.get("changed")) or changed
    return result


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no effect since ansible-core 2.4

        args = dict(self._task.args)
        path = None
        if args.get("dest") is not None and args.get("graph"):
            dest = args.pop("dest")
            if self._task.async_val:
                result.update(failed=True, changed=False, msg="dest cannot be used with async (the chart is written "
                                                              "on the controller when the module has finished)")
                return result
            try:
                path = controller_path(to_native(dest))
            except ValueError as exc:
                result.update(failed=True, changed=False, msg=to_native(exc))
                return result

        wrap_async = self._task.async_val and not self._connection.has_native_async
        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars,
                                           wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)

        if path is None or result.get("failed") or result.get("skipped"):
            return result
        return write_chart(result, path, self._task.check_mode)
