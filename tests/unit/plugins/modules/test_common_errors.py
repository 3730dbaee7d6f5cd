# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Behaviour every module shares: the same answer to a refused key, to an answer of the
wrong shape, and to malformed identifiers, whatever the module."""

import json
import re

import pytest
import responses

from ansible_collections.capgo.cloud.plugins.modules import (
    capgo_apikey,
    capgo_app,
    capgo_bundle,
    capgo_channel,
    capgo_device,
    capgo_info,
    capgo_member,
    capgo_organization,
    capgo_webhook,
)
from ansible_collections.capgo.cloud.plugins.module_utils import (
    _apikey,
    _app,
    _bundle,
    _channel,
    _device,
    _info,
    _member,
    _organization,
    _webhook,
)
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

KEY = "11111111-2222-3333-4444-555555555555"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
ANY = re.compile(r"https://capgo\.test/.*")

# A minimal, valid task per module: each of them reads something first.
CASES = [
    (capgo_apikey, {"name": "ci"}),
    (capgo_app, {"app_id": "com.demo.app", "name": "Demo"}),
    (capgo_bundle, {"app_id": "com.demo.app", "version": "1.0.0"}),
    (capgo_channel, {"app_id": "com.demo.app", "channel": "beta"}),
    (capgo_device, {"app_id": "com.demo.app", "device_id": "dev-1", "channel": "beta"}),
    (capgo_info, {"resource": "channels", "app_id": "com.demo.app"}),
    (capgo_member, {"org_id": ORG, "email": "dev@example.com"}),
    (capgo_organization, {"org_id": ORG}),
    (capgo_webhook, {"org_id": ORG, "name": "bot"}),
]
IDS = [case[0].__name__.rsplit(".", 1)[-1] for case in CASES]


@pytest.mark.parametrize("module, args", CASES, ids=IDS)
@responses.activate
def test_refused_key_is_explained_in_one_line_without_the_key(monkeypatch, module, args):
    for method in (responses.GET, responses.POST, responses.PUT, responses.DELETE):
        responses.add(method, ANY, status=401,
                      json={"error": "invalid_apikey", "message": "Invalid apikey", "moreInfo": {"key": KEY}})
    result, warnings = run_module(monkeypatch, module.main, dict(args))
    assert result["failed"] is True
    assert result["msg"].startswith("Capgo refused the credentials")
    assert "HTTP 401 invalid_apikey" in result["msg"] and "\n" not in result["msg"]
    assert KEY not in json.dumps(result)
    assert len(responses.calls) == 1, "a 401 is never retried and nothing is written after it"


@pytest.mark.parametrize("module, args", CASES, ids=IDS)
@responses.activate
def test_answer_of_the_wrong_shape_fails_in_one_line(monkeypatch, module, args):
    for method in (responses.GET, responses.POST, responses.PUT, responses.DELETE):
        responses.add(method, ANY, json="surprise")
    result, warnings = run_module(monkeypatch, module.main, dict(args))
    assert result["failed"] is True, result
    assert "\n" not in result["msg"] and "Traceback" not in result["msg"]
    assert result["msg"].startswith("unexpected answer from Capgo to GET /")
    assert [c.request.method for c in responses.calls if c.request.method != "GET"] == []


@pytest.mark.parametrize("module, args", [c for c in CASES if "app_id" in c[1] and c[0] is not capgo_app],
                         ids=[i for i, c in zip(IDS, CASES) if "app_id" in c[1] and c[0] is not capgo_app])
@responses.activate
def test_malformed_app_id_fails_before_any_request(monkeypatch, module, args):
    result, warnings = run_module(monkeypatch, module.main, dict(args, app_id="not an app id"))
    assert result["failed"] is True and "is not a valid app id" in result["msg"]
    assert len(responses.calls) == 0


@pytest.mark.parametrize("module, args", [c for c in CASES if "org_id" in c[1]],
                         ids=[i for i, c in zip(IDS, CASES) if "org_id" in c[1]])
@responses.activate
def test_malformed_org_id_fails_before_any_request(monkeypatch, module, args):
    result, warnings = run_module(monkeypatch, module.main, dict(args, org_id="Demo org"))
    assert result["failed"] is True and "org_id must be the organization's id (a UUID)" in result["msg"]
    assert len(responses.calls) == 0


# The declarations behind the modules: where each resource's explain() lives.
EXPLAINING = [_apikey, _app, _bundle, _channel, _device, _info, _member, _organization, _webhook]


@pytest.mark.parametrize("module", EXPLAINING, ids=[m.__name__.rsplit(".", 1)[-1] for m in EXPLAINING])
def test_explain_ends_with_the_shared_explanation(module):
    """explain() hands what it does not know to the base: ``return super().explain(err)``."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(module))
    found = []
    tables = []
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
        for func in cls.body:
            if isinstance(func, ast.FunctionDef) and func.name == "explain":
                found.append((cls.name, ast.dump(func.body[-1])))
            if isinstance(func, ast.Assign) and [getattr(t, "id", None) for t in func.targets] == ["errors"]:
                tables.append(cls.name)
    # A declaration whose explanations are all templates has its ``errors`` table and no explain():
    # the base's explain() reads the table, then gives the shared explanation.
    assert found or tables, "no explain() and no errors table in %s" % module.__name__
    for name, last in found:
        # the same delegation, in Python 3's spelling or the older one
        expected = [ast.dump(ast.parse(code).body[0])
                    for code in ("return super().explain(err)", "return super(%s, self).explain(err)" % name)]
        assert last in expected, "%s.explain() does not end with return super().explain(err)" % name


@pytest.mark.parametrize("module", EXPLAINING, ids=[m.__name__.rsplit(".", 1)[-1] for m in EXPLAINING])
def test_errors_tables_format_with_the_options_and_end_with_the_shared_explanation(module):
    """Every template of a declaration's ``errors`` table formats with its options; others fall to the base."""
    from ansible_collections.capgo.cloud.plugins.module_utils._ansible import connection_argument_spec
    from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoAPIError, CapgoClient
    from ansible_collections.capgo.cloud.plugins.module_utils._engine import Engine, Operation

    cls = [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, Operation)
           and c.__module__ == module.__name__][0]
    spec = dict(connection_argument_spec(), **cls.argument_spec)
    params = {name: option.get("default") for name, option in spec.items()}
    params.update(api_key="11111111-2222-3333-4444-555555555555", api_url="https://capgo.test", app_id="com.demo.app",
                  org_id="046a36ac-e03c-4590-9257-bd6c9dba9ee8", name="demo", channel="beta", email="a@example.com",
                  device_id="d1", version="1.0.0", resource="apps")
    op = cls(Engine(CapgoClient(api_key=params["api_key"], api_url=params["api_url"])), params)
    for code in cls.errors:
        hint = op.explain(CapgoAPIError(400, code, "refused", method="GET", path="/x"))
        assert hint and "{" not in hint, (code, hint)
    shared = op.explain(CapgoAPIError(401, "invalid_apikey", "Invalid apikey", method="GET", path="/x"))
    assert shared == "Capgo refused the credentials: api_key is unknown, expired or missing"
