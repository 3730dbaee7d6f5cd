# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The capgo_info action plugin: dest checked and written on the controller, the module run without it.

The module really runs (in-process, HTTP mocked with ``responses``) in place of
``_execute_module``, which would send it to a host.
"""

import datetime
import os
import xml.etree.ElementTree as ET

import pytest
import responses

from ansible_collections.capgo.cloud.plugins.action import capgo_info as action
from ansible_collections.capgo.cloud.plugins.modules import capgo_info as module
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
APP = "com.demo.app"
SVG = "{http://www.w3.org/2000/svg}"


class Shell:
    tmpdir = None


class Connection:
    has_native_async = False
    _shell = Shell()


class Task:
    action = "capgo.cloud.capgo_info"
    async_val = 0

    def __init__(self, args, check_mode=False):
        self.args = args
        self.check_mode = check_mode


def entries(days, mau=10):
    first = datetime.date(2026, 11, 1)
    return [{"date": (first + datetime.timedelta(days=i)).isoformat(), "mau": mau * (i + 1), "storage": 0,
             "bandwidth": 0} for i in range(days)]


def plugin(monkeypatch, args, check_mode=False):
    """The action plugin for a task with ``args``; ``calls`` records what it asked the module to do."""
    task = Task(args, check_mode)
    act = action.ActionModule(task, Connection(), None, None, None, None)
    act.calls = []

    def execute_module(module_name=None, module_args=None, task_vars=None, wrap_async=False, **kwargs):
        act.calls.append(dict(module_name=module_name, module_args=dict(module_args)))
        return run_module(monkeypatch, module.main, module_args, check_mode=task.check_mode)[0]

    act._execute_module = execute_module
    return act


def chart_task(dest, **over):
    args = dict(resource="statistics", app_id=APP, graph="mau", dest=str(dest), api_url=URL,
                api_key="11111111-2222-3333-4444-555555555555", **{"from": "2026-11-01", "to": "2026-11-06"})
    args.update(over)
    return args


@responses.activate
def test_chart_is_written_on_the_controller_and_dest_is_not_sent_to_the_module(monkeypatch, tmp_path):
    responses.get(URL + "/statistics/app/" + APP, json=entries(5))
    dest = tmp_path / "mau.svg"
    act = plugin(monkeypatch, chart_task(dest))
    result = act.run(task_vars={})
    assert "failed" not in result, result
    assert result["changed"] is True
    assert result["graph_path"] == str(dest)
    assert act.calls[0]["module_name"] == "capgo.cloud.capgo_info"
    assert "dest" not in act.calls[0]["module_args"]
    assert act.calls[0]["module_args"]["graph"] == "mau"
    assert dest.read_text() == result["graph_svg"]
    root = ET.parse(str(dest)).getroot()
    assert len(root.findall(".//%scircle" % SVG)) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mau.svg"]

    # the same chart again: not changed, the file untouched
    before = dest.stat()
    result = plugin(monkeypatch, chart_task(dest)).run(task_vars={})
    assert result["changed"] is False and result["graph_path"] == str(dest)
    assert (dest.stat().st_ino, dest.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    result = plugin(monkeypatch, chart_task(dest), check_mode=True).run(task_vars={})
    assert result["changed"] is False


@responses.activate
def test_check_mode_writes_nothing_but_predicts_the_change(monkeypatch, tmp_path):
    responses.get(URL + "/statistics/app/" + APP, json=entries(5))
    dest = tmp_path / "mau.svg"
    result = plugin(monkeypatch, chart_task(dest), check_mode=True).run(task_vars={})
    assert result["changed"] is True and result["graph_path"] == str(dest)
    assert not dest.exists()

    plugin(monkeypatch, chart_task(dest)).run(task_vars={})
    first = dest.read_bytes()
    responses.replace(responses.GET, URL + "/statistics/app/" + APP, json=entries(5, mau=20))
    result = plugin(monkeypatch, chart_task(dest), check_mode=True).run(task_vars={})
    assert result["changed"] is True
    assert dest.read_bytes() == first
    result = plugin(monkeypatch, chart_task(dest)).run(task_vars={})
    assert result["changed"] is True
    assert dest.read_bytes() != first and dest.read_text() == result["graph_svg"]


@pytest.mark.parametrize("where, text", [
    ("missing/mau.svg", "the directory of dest does not exist on the controller: "),
    ("", "is a directory; give the path of the SVG file"),
])
@responses.activate
def test_bad_dest_fails_before_the_module_runs(monkeypatch, tmp_path, where, text):
    act = plugin(monkeypatch, chart_task(os.path.join(str(tmp_path), where)))
    result = act.run(task_vars={})
    assert result["failed"] is True and result["changed"] is False
    assert text in result["msg"] and "\n" not in result["msg"]
    assert act.calls == [] and len(responses.calls) == 0


@responses.activate
def test_relative_and_home_paths_are_made_absolute_on_the_controller(monkeypatch, tmp_path):
    responses.get(URL + "/statistics/app/" + APP, json=entries(2))
    monkeypatch.chdir(str(tmp_path))
    result = plugin(monkeypatch, chart_task("rel.svg")).run(task_vars={})
    assert result["graph_path"] == str(tmp_path / "rel.svg") and (tmp_path / "rel.svg").exists()
    monkeypatch.setenv("HOME", str(tmp_path))
    result = plugin(monkeypatch, chart_task("~/home.svg")).run(task_vars={})
    assert result["graph_path"] == str(tmp_path / "home.svg") and (tmp_path / "home.svg").exists()


@responses.activate
def test_module_failure_is_returned_and_nothing_written(monkeypatch, tmp_path):
    responses.get(URL + "/statistics/app/" + APP, status=402,
                  json={"error": "subscription_required", "message": "", "moreInfo": {}})
    dest = tmp_path / "mau.svg"
    result = plugin(monkeypatch, chart_task(dest)).run(task_vars={})
    assert result["failed"] is True and "plan does not include API statistics" in result["msg"]
    assert "graph_path" not in result and not dest.exists()


@responses.activate
def test_without_graph_the_arguments_go_to_the_module_unchanged(monkeypatch, tmp_path):
    responses.get(URL + "/app", json=[])
    act = plugin(monkeypatch, dict(resource="apps", api_url=URL, api_key="11111111-2222-3333-4444-555555555555"))
    result = act.run(task_vars={})
    assert result["apps"] == [] and result["changed"] is False
    # dest without graph: the module says what is wrong, as without the action plugin
    args = chart_task(tmp_path / "x.svg")
    del args["graph"]
    act = plugin(monkeypatch, args)
    result = act.run(task_vars={})
    assert act.calls[0]["module_args"]["dest"] == str(tmp_path / "x.svg")
    assert result["failed"] is True and "required by 'dest': graph" in result["msg"]


def test_dest_with_async_fails(monkeypatch, tmp_path):
    act = plugin(monkeypatch, chart_task(tmp_path / "mau.svg"))
    act._task.async_val = 60
    result = act.run(task_vars={})
    assert result["failed"] is True and "async" in result["msg"] and act.calls == []


def test_write_chart_without_svg_fails(tmp_path):
    result = action.write_chart({"changed": False}, str(tmp_path / "x.svg"), False)
    assert result["failed"] is True and "graph_svg" in result["msg"]
    assert not (tmp_path / "x.svg").exists()
