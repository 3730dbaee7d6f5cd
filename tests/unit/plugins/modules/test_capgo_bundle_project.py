# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""capgo_bundle project: the hosted bundle records the project's native packages, as the CLI's upload does."""


import json

import responses

from ansible_collections.capgo.cloud.tests.unit.plugins.module_utils.native_projects import EXPECTED, write_project
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.test_capgo_bundle_hosted import FakeCapgo, dist, run


def test_the_version_row_records_the_native_packages(monkeypatch, tmp_path):
    src = dist(tmp_path)
    project = write_project(str(tmp_path / "project"), "app")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeCapgo(rsps)
        predicted = run(monkeypatch, tmp_path, check_mode=True, src=src, project=project)
        assert predicted["bundle"]["native_packages"] == EXPECTED["app"] and fake.writes() == []
        result = run(monkeypatch, tmp_path, src=src, project=project)
        assert result["changed"] is True
        upserts = [json.loads(c.request.body) for c in rsps.calls
                   if c.request.method == "POST" and "/rest/v1/app_versions" in c.request.url]
        assert [u["native_packages"] for u in upserts] == [EXPECTED["app"], EXPECTED["app"]]
        assert fake.rows[0]["native_packages"] == EXPECTED["app"]
        assert result["bundle"]["native_packages"] == EXPECTED["app"]
        del fake.log[:]
        again = run(monkeypatch, tmp_path, src=src, project=project)
        assert again["changed"] is False and fake.writes() == [] and "warnings" not in again


def test_a_project_without_native_code_records_an_empty_list(monkeypatch, tmp_path):
    src = dist(tmp_path)
    project = write_project(str(tmp_path / "project"), "web")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeCapgo(rsps)
        run(monkeypatch, tmp_path, src=src, project=project)
        assert fake.rows[0]["native_packages"] == []


def test_without_project_nothing_is_recorded(monkeypatch, tmp_path):
    src = dist(tmp_path)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeCapgo(rsps)
        run(monkeypatch, tmp_path, src=src)
        assert fake.rows[0]["native_packages"] is None


def test_a_project_that_cannot_be_read_fails_before_any_request(monkeypatch, tmp_path):
    src = dist(tmp_path)
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "package.json").write_text("{}")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeCapgo(rsps)
        result = run(monkeypatch, tmp_path, src=src, project=str(tmp_path / "bare"))
        assert result["failed"] is True and "has no node_modules" in result["msg"]
        assert fake.log == []


def test_project_needs_src(monkeypatch, tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        result = run(monkeypatch, tmp_path, external_url="https://cdn.example.com/x.zip", checksum="ab",
                     project=str(tmp_path))
        assert result["failed"] is True
        assert result["msg"] == "project is only used with src (a bundle hosted by Capgo)"
