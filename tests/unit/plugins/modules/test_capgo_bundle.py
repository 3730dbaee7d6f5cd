# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import json
import random

import pytest
import responses
from responses import matchers

from ansible_collections.capgo.cloud.plugins.modules import capgo_bundle
from ansible_collections.capgo.cloud.plugins.module_utils._bundle import newest_first, select_cleanup
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
APP = "com.demo.app"
SECRET = "s3cr3t-session-key"


def row(name, ident, minute=0, **over):
    data = {
        "id": ident, "created_at": "2026-01-01T%02d:%02d:00.000Z" % (minute // 60, minute % 60),
        "updated_at": "2026-01-02T00:00:00.000Z", "app_id": APP, "name": name, "deleted": False,
        "deleted_at": None, "external_url": "https://cdn.example.com/%s.zip" % name, "checksum": "sum-" + name,
        "session_key": None, "storage_provider": "external", "min_update_version": None, "native_packages": None,
        "owner_org": "org-1", "user_id": "user-1", "r2_path": None, "manifest": None, "manifest_count": 0,
        "link": None, "comment": None, "key_id": None, "cli_version": None, "created_by_apikey_rbac_id": None,
    }
    data.update(over)
    return data


def series(count, major=1):
    """``count`` bundles ``<major>.<i>.0``, the later the newer."""
    return [row("%d.%d.0" % (major, i), 1000 * major + i + 1, minute=i) for i in range(count)]


def chan(name, ident, version=None, rollout=None):
    return {
        "id": ident, "name": name, "app_id": APP, "public": False,
        "version": {"name": version["name"], "id": version["id"]} if version else None,
        "rollout_version": rollout["id"] if rollout else None,
        "rollout_version_info": {"name": rollout["name"], "id": rollout["id"]} if rollout else None,
    }


def quirky_pages(items, empty_error=None):
    """A callback answering ``page`` like Capgo does for a query-string page (``"1" + 1 == "11"``)."""
    def callback(request):
        page = request.params.get("page", "0")
        start = int(page) * 50
        end = int(page + "1") * 50
        chunk = items[start:min(end, start + 1000)]
        if not chunk and empty_error:
            return 400, {}, json.dumps({"error": empty_error, "message": "Cannot get bundle", "moreInfo": {}})
        return 200, {}, json.dumps(chunk)
    return callback


def serve(bundles, channels=()):
    """GET /bundle (newest first, 400 when empty) and GET /channel over the given rows.

    POST /bundle/metadata changes the rows, so a read after it sees the change.
    """
    bundles = list(bundles)
    pages = quirky_pages(bundles, "cannot_get_bundle")

    def get_bundles(request):
        bundles[:] = newest_first(bundles)
        return pages(request)

    def metadata(request):
        body = json.loads(request.body)
        for item in bundles:
            if item["id"] == body["version_id"]:
                item.update({k: body[k] for k in ("link", "comment") if k in body})
        return 200, {}, json.dumps({"status": "ok"})

    responses.add_callback(responses.GET, URL + "/bundle", callback=get_bundles)
    responses.add_callback(responses.GET, URL + "/channel", callback=quirky_pages(list(channels)))
    responses.add_callback(responses.POST, URL + "/bundle/metadata", callback=metadata)


def calls(method, path):
    return [c.request for c in responses.calls
            if c.request.method == method and c.request.path_url.split("?")[0] == path]


def writes():
    return [c.request for c in responses.calls if c.request.method in ("POST", "PUT", "DELETE")]


def run_with_warnings(monkeypatch, check_mode=False, diff=False, **args):
    args.setdefault("app_id", APP)
    return run_module(monkeypatch, capgo_bundle.main, args, check_mode=check_mode, diff=diff)


def run(monkeypatch, check_mode=False, diff=False, **args):
    return run_with_warnings(monkeypatch, check_mode=check_mode, diff=diff, **args)[0]


# -- cleanup selection ----------------------------------------------------


def names(rows):
    return [r["name"] for r in rows]


def test_selection_keeps_the_newest_by_creation_time_not_by_name_or_list_order():
    rows = [row("1.0.9", 1, minute=50), row("1.0.10", 2, minute=10), row("1.0.2", 3, minute=30),
            row("1.0.1", 4, minute=40), row("1.0.3", 5, minute=20)]
    random.Random(4).shuffle(rows)
    kept, deleted = select_cleanup(rows, 2, set())
    assert names(kept) == ["1.0.9", "1.0.1"]
    assert names(deleted) == ["1.0.2", "1.0.3", "1.0.10"]


def test_selection_orders_mixed_timestamp_formats_and_breaks_ties_by_id():
    rows = [row("a", 1, created_at="2026-01-01T10:00:00Z"),
            row("b", 2, created_at="2026-01-01 11:00:00.123456+00:00"),
            row("c", 3, created_at="2026-01-01T12:30:00.5+02:00"),
            row("d", 5, created_at="2026-01-01T10:00:00.000Z"),
            row("e", 4, created_at="2026-01-01T10:00:00+0000")]
    assert names(newest_first(rows)) == ["b", "c", "d", "e", "a"]


def test_selection_never_deletes_used_bundles_and_counts_them_as_kept():
    rows = series(6)  # 1.5.0 is the newest
    used = {rows[4]["id"], rows[1]["id"]}  # 1.4.0 (among the newest) and 1.1.0 (old)
    kept, deleted = select_cleanup(rows, 3, used)
    # 1.5.0, then 1.4.0 (used, counts as the second), then 1.3.0: three kept; 1.1.0 kept beyond N.
    assert names(kept) == ["1.5.0", "1.4.0", "1.3.0", "1.1.0"]
    assert names(deleted) == ["1.2.0", "1.0.0"]


def test_selection_keep_zero_deletes_every_unused_bundle():
    rows = series(5)
    kept, deleted = select_cleanup(rows, 0, {rows[2]["id"]})
    assert names(kept) == ["1.2.0"]
    assert names(deleted) == ["1.4.0", "1.3.0", "1.1.0", "1.0.0"]


def test_selection_keep_more_than_there_are_deletes_nothing():
    kept, deleted = select_cleanup(series(3), 10, set())
    assert names(kept) == ["1.2.0", "1.1.0", "1.0.0"] and deleted == []


def test_selection_major_filter_leaves_other_majors_and_non_semver_names_alone():
    rows = series(4, major=1) + series(3, major=2) + [row("legacy", 9, minute=99), row("1.9.9-beta.1", 8, minute=1)]
    kept, deleted = select_cleanup(rows, 1, set(), major=1)
    assert names(kept) == ["1.3.0"]
    assert names(deleted) == ["1.2.0", "1.1.0", "1.9.9-beta.1", "1.0.0"]
    kept, deleted = select_cleanup(rows, 0, {rows[5]["id"]}, major=2)
    assert names(kept) == ["2.1.0"] and names(deleted) == ["2.2.0", "2.0.0"]


def test_selection_without_major_considers_every_name():
    rows = series(2) + [row("legacy", 9, minute=99)]
    kept, deleted = select_cleanup(rows, 1, set())
    assert names(kept) == ["legacy"] and names(deleted) == ["1.1.0", "1.0.0"]


# -- argument errors --------------------------------------------------------


@responses.activate
def test_absent_without_version_or_keep_is_an_argument_error(monkeypatch):
    result = run(monkeypatch, state="absent")
    assert result["failed"] is True
    assert "version" in result["msg"] and "keep" in result["msg"]
    assert len(responses.calls) == 0


@responses.activate
def test_present_needs_a_version(monkeypatch):
    result = run(monkeypatch, external_url="https://x.example/a.zip", checksum="x")
    assert result["failed"] is True and "version" in result["msg"]
    assert len(responses.calls) == 0


@responses.activate
def test_version_and_keep_are_mutually_exclusive(monkeypatch):
    result = run(monkeypatch, state="absent", version="1.0.0", keep=2)
    assert result["failed"] is True and "mutually exclusive" in result["msg"]
    assert len(responses.calls) == 0


@responses.activate
@pytest.mark.parametrize("args, text", [
    (dict(state="absent", keep=-1), "keep must be 0 or more"),
    (dict(state="absent", keep=1, major=-2), "major must be 0 or more"),
    (dict(version="1.0.0", external_url="http://cdn.example.com/a.zip", checksum="x"), "https://"),
])
def test_bad_values_fail_before_any_request(monkeypatch, args, text):
    result = run(monkeypatch, **args)
    assert result["failed"] is True and text in result["msg"]
    assert len(responses.calls) == 0


@responses.activate
def test_major_needs_keep(monkeypatch):
    result = run(monkeypatch, state="absent", version="1.0.0", major=1)
    assert result["failed"] is True and "keep" in result["msg"]


# -- present ----------------------------------------------------------------


@responses.activate
def test_converged_run_sends_one_get_and_no_write(monkeypatch):
    serve([row("1.0.0", 1, link="https://l", comment="c"), row("1.1.0", 2, minute=5)])
    result = run(monkeypatch, version="1.0.0", external_url="https://cdn.example.com/1.0.0.zip",
                 checksum="sum-1.0.0", link="https://l", comment="c")
    assert result["changed"] is False
    assert len(responses.calls) == 1
    assert result["bundle"]["version"] == "1.0.0" and result["bundle"]["id"] == 1
    assert result["deleted"] == []


@responses.activate
def test_found_on_a_later_page(monkeypatch):
    rows = series(120)
    serve(rows)
    result = run(monkeypatch, version="1.3.0")
    assert result["changed"] is False and result["bundle"]["id"] == rows[3]["id"]
    assert [c.params["page"] for c in calls("GET", "/bundle")] == ["0", "1"]


@responses.activate
def test_create_posts_the_bundle_then_the_metadata(monkeypatch):
    serve([row("1.0.0", 1)])
    created = row("1.1.0", 2, minute=9, session_key=SECRET, key_id="kid")
    responses.post(URL + "/bundle", json={"status": "success", "bundle": created})
    result = run(monkeypatch, diff=True, version="1.1.0", external_url="https://cdn.example.com/1.1.0.zip",
                 checksum="sum-1.1.0", session_key=SECRET, key_id="kid", comment="from CI")
    assert result["changed"] is True
    post, meta = writes()
    assert json.loads(post.body) == {"app_id": APP, "version": "1.1.0", "external_url": "https://cdn.example.com/1.1.0.zip",
                                     "checksum": "sum-1.1.0", "session_key": SECRET, "key_id": "kid"}
    assert json.loads(meta.body) == {"app_id": APP, "version_id": 2, "comment": "from CI"}
    bundle = result["bundle"]
    assert bundle["id"] == 2 and bundle["comment"] == "from CI" and bundle["encrypted"] is True
    assert "session_key" not in bundle
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["session_key"] == "********"
    assert SECRET not in json.dumps(result)


@responses.activate
def test_create_without_metadata_sends_one_write(monkeypatch):
    serve([row("1.0.0", 1)])
    responses.post(URL + "/bundle", json={"status": "success", "bundle": row("1.1.0", 2)})
    result = run(monkeypatch, version="1.1.0", external_url="https://cdn.example.com/1.1.0.zip",
                 checksum="sum-1.1.0", link="")
    assert result["changed"] is True and len(writes()) == 1


@responses.activate
def test_create_check_mode_predicts_without_writing(monkeypatch):
    serve([row("1.0.0", 1)])
    result = run(monkeypatch, check_mode=True, version="1.1.0", external_url="https://cdn.example.com/1.1.0.zip",
                 checksum="abc", link="https://l")
    assert result["changed"] is True and writes() == []
    assert result["bundle"]["version"] == "1.1.0" and result["bundle"]["link"] == "https://l"
    assert result["bundle"]["app_id"] == APP and result["bundle"]["encrypted"] is False


@responses.activate
def test_create_in_an_app_without_bundles_checks_the_app_exists(monkeypatch):
    serve([], channels=[chan("production", 1)])
    responses.post(URL + "/bundle", json={"status": "success", "bundle": row("1.0.0", 1)})
    result = run(monkeypatch, version="1.0.0", external_url="https://cdn.example.com/1.0.0.zip", checksum="x")
    assert result["changed"] is True
    assert len(calls("GET", "/channel")) == 1 and len(writes()) == 1


@responses.activate
def test_unknown_app_fails_with_a_readable_message(monkeypatch):
    responses.get(URL + "/bundle", status=400,
                  json={"error": "cannot_get_bundle", "message": "Cannot get bundle", "moreInfo": {}})
    responses.get(URL + "/channel", status=400,
                  json={"error": "cannot_access_app", "message": "You can't access this app", "moreInfo": {}})
    # (check mode assumes the app: test_check_mode_across_tasks.py)
    result = run(monkeypatch, version="1.0.0", external_url="https://a.example/x.zip", checksum="x")
    assert result["failed"] is True
    assert "app com.demo.app does not exist, or this API key may not read it" in result["msg"]
    assert writes() == []


@responses.activate
def test_create_needs_url_and_checksum(monkeypatch):
    serve([row("1.0.0", 1)])
    result = run(monkeypatch, check_mode=True, version="1.1.0", checksum="x")
    assert result["failed"] is True
    assert "external_url is required to create bundle 1.1.0 of app com.demo.app" in result["msg"]


@responses.activate
def test_create_needs_a_semantic_version(monkeypatch):
    serve([row("1.0.0", 1)])
    result = run(monkeypatch, version="v1.1", external_url="https://a.example/x.zip", checksum="x")
    assert result["failed"] is True and "not a semantic version" in result["msg"]
    assert len(responses.calls) == 0, "checked before any request"


@responses.activate
@pytest.mark.parametrize("args, shown", [
    (dict(checksum="other"), "checksum is sum-1.0.0, not other"),
    (dict(external_url="https://cdn.example.com/new.zip"), "external_url is https://cdn.example.com/1.0.0.zip"),
    (dict(session_key="other-key"), "session_key differs"),
])
def test_existing_bundle_is_immutable(monkeypatch, args, shown):
    serve([row("1.0.0", 1, session_key=SECRET)])
    result = run(monkeypatch, version="1.0.0", **args)
    assert result["failed"] is True
    assert "already exists and bundles are immutable" in result["msg"] and shown in result["msg"]
    assert SECRET not in result["msg"] and "other-key" not in result["msg"]
    assert writes() == []


@responses.activate
def test_immutable_failure_also_in_check_mode(monkeypatch):
    serve([row("1.0.0", 1)])
    result = run(monkeypatch, check_mode=True, version="1.0.0", checksum="other")
    assert result["failed"] is True and "immutable" in result["msg"]


@responses.activate
def test_soft_deleted_name_is_reserved(monkeypatch):
    serve([row("1.1.0", 2)])
    responses.post(URL + "/bundle", status=400, json={
        "error": "cannot_create_bundle", "message": "Cannot create bundle",
        "moreInfo": {"supabaseError": 'duplicate key value violates unique constraint "app_versions_name_app_id_key"'}})
    result = run(monkeypatch, version="1.0.0", external_url="https://cdn.example.com/1.0.0.zip", checksum="x")
    assert result["failed"] is True
    assert "belongs to a deleted bundle" in result["msg"] and "reserved forever" in result["msg"]
    assert result["api_error"]["error"] == "cannot_create_bundle"


@responses.activate
def test_cannot_create_without_detail_names_both_causes(monkeypatch):
    serve([row("1.1.0", 2)])
    responses.post(URL + "/bundle", status=400,
                   json={"error": "cannot_create_bundle", "message": "Cannot create bundle", "moreInfo": {}})
    result = run(monkeypatch, version="1.0.0", external_url="https://cdn.example.com/1.0.0.zip", checksum="x")
    assert result["failed"] is True
    assert "reserved forever" in result["msg"] and "app.upload_bundle" in result["msg"]


@responses.activate
def test_metadata_update_sends_only_what_differs(monkeypatch):
    serve([row("1.0.0", 1, link="https://l", comment="old")])
    result = run(monkeypatch, diff=True, version="1.0.0", checksum="sum-1.0.0", link="https://l", comment="new")
    assert result["changed"] is True
    (meta,) = writes()
    assert json.loads(meta.body) == {"app_id": APP, "version_id": 1, "comment": "new"}
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert [k for k in before if before[k] != after.get(k)] == ["comment"]


@responses.activate
def test_metadata_update_check_mode(monkeypatch):
    serve([row("1.0.0", 1)])
    result = run(monkeypatch, check_mode=True, diff=True, version="1.0.0", link="https://new")
    assert result["changed"] is True and writes() == []
    assert result["bundle"]["link"] == "https://new"
    assert result["diff"]["before"]["link"] is None and result["diff"]["after"]["link"] == "https://new"


@responses.activate
def test_empty_link_equals_no_link_and_clears_a_link(monkeypatch):
    serve([row("1.0.0", 1, link=None, comment="c")])
    result = run(monkeypatch, version="1.0.0", link="")
    assert result["changed"] is False and writes() == []
    responses.reset()
    serve([row("1.0.0", 1, link=None, comment="c")])
    result = run(monkeypatch, version="1.0.0", comment="")
    assert json.loads(writes()[0].body) == {"app_id": APP, "version_id": 1, "comment": ""}
    assert result["changed"] is True and result["bundle"]["comment"] == ""


# -- absent, one bundle -----------------------------------------------------


@responses.activate
def test_delete_one_bundle(monkeypatch):
    rows = [row("1.0.0", 1), row("1.1.0", 2, minute=1)]
    serve(rows, channels=[chan("production", 1, version=rows[1])])
    responses.delete(URL + "/bundle", json={"status": "ok"},
                     match=[matchers.query_param_matcher({"app_id": APP, "version": "1.0.0"})])
    result = run(monkeypatch, diff=True, state="absent", version="1.0.0")
    assert result["changed"] is True and result["deleted"] == ["1.0.0"] and result["bundle"] == {}
    assert result["diff"]["after"] == {} and result["diff"]["before"]["checksum"] == "sum-1.0.0"
    assert len(writes()) == 1


@responses.activate
def test_delete_check_mode(monkeypatch):
    serve([row("1.0.0", 1)])
    result = run(monkeypatch, check_mode=True, state="absent", version="1.0.0")
    assert result["changed"] is True and result["deleted"] == ["1.0.0"] and writes() == []


@responses.activate
def test_delete_missing_bundle_is_not_a_change(monkeypatch):
    serve([row("1.1.0", 2)])
    result = run(monkeypatch, state="absent", version="1.0.0")
    assert result["changed"] is False and result["deleted"] == [] and writes() == []


@responses.activate
def test_delete_when_capgo_says_already_deleted(monkeypatch):
    # A retried DELETE whose first attempt went through: Capgo answers cannot_delete_version.
    responses.get(URL + "/bundle", json=[row("1.0.0", 1)])
    responses.get(URL + "/bundle", status=400,
                  json={"error": "cannot_get_bundle", "message": "Cannot get bundle", "moreInfo": {}})
    responses.get(URL + "/channel", json=[])
    responses.delete(URL + "/bundle", status=400,
                     json={"error": "cannot_delete_version", "message": "Cannot delete version", "moreInfo": {}})
    result = run(monkeypatch, state="absent", version="1.0.0")
    assert result["changed"] is True and result["deleted"] == ["1.0.0"]


@responses.activate
def test_delete_refused_although_listed_fails(monkeypatch):
    responses.get(URL + "/bundle", json=[row("1.0.0", 1)])
    responses.get(URL + "/channel", json=[])
    responses.delete(URL + "/bundle", status=400,
                     json={"error": "cannot_delete_version", "message": "Cannot delete version", "moreInfo": {}})
    result = run(monkeypatch, state="absent", version="1.0.0")
    assert result["failed"] is True and "although it is listed" in result["msg"]


@responses.activate
@pytest.mark.parametrize("check_mode", [False, True])
def test_delete_of_a_served_bundle_names_the_channels(monkeypatch, check_mode):
    rows = [row("1.0.0", 1), row("1.1.0", 2, minute=1)]
    serve(rows, channels=[chan("production", 1, version=rows[0]), chan("beta", 2, version=rows[1], rollout=rows[0]),
                          chan("alpha", 3)])
    result = run(monkeypatch, check_mode=check_mode, state="absent", version="1.0.0")
    assert result["failed"] is True
    assert "served by channel(s) production, beta (rollout)" in result["msg"]
    assert writes() == []


# -- absent, cleanup --------------------------------------------------------


def cleanup_fixture():
    rows = series(120) + series(3, major=2)
    for i, r in enumerate(series(3, major=2)):
        rows[120 + i]["created_at"] = "2026-02-01T00:00:%02d.000Z" % i
    by_name = {r["name"]: r for r in rows}
    channels = [chan("production", 1, version=by_name["1.5.0"]),
                chan("beta", 2, version=by_name["2.1.0"], rollout=by_name["1.100.0"])]
    return rows, channels


@responses.activate
def test_cleanup_reads_every_page_once_and_deletes_the_rest(monkeypatch):
    rows, channels = cleanup_fixture()
    serve(rows, channels)
    responses.delete(URL + "/bundle", json={"status": "ok"})
    result = run(monkeypatch, state="absent", keep=10)
    # 2.2.0, 2.1.0 (served, counts), 2.0.0 and 1.119.0 .. 1.113.0 are the ten newest;
    # 1.100.0 (beta's rollout) and 1.5.0 (production) are served: kept beyond the ten.
    expected = ["1.%d.0" % i for i in range(112, -1, -1) if i not in (5, 100)]
    assert result["changed"] is True
    assert result["deleted"] == expected and len(expected) == 111
    assert result["kept"] == ["2.2.0", "2.1.0", "2.0.0"] + ["1.%d.0" % i for i in range(119, 112, -1)] + ["1.100.0", "1.5.0"]
    assert [c.params["page"] for c in calls("GET", "/bundle")] == ["0", "1", "2"]
    assert len(calls("GET", "/channel")) == 1
    deletes = calls("DELETE", "/bundle")
    assert [d.params["version"] for d in deletes] == expected
    assert result["bundle"] == {}


@responses.activate
def test_cleanup_check_mode_returns_the_same_list_without_deleting(monkeypatch):
    rows, channels = cleanup_fixture()
    serve(rows, channels)
    result = run(monkeypatch, check_mode=True, diff=True, state="absent", keep=10)
    assert result["changed"] is True and writes() == []
    assert len(result["deleted"]) == 111 and result["deleted"][0] == "1.112.0" and result["deleted"][-1] == "1.0.0"
    assert len(result["diff"]["before"]["bundles"]) == 123
    assert len(result["diff"]["after"]["bundles"]) == 12


@responses.activate
def test_cleanup_within_a_major(monkeypatch):
    rows, channels = cleanup_fixture()
    serve(rows, channels)
    responses.delete(URL + "/bundle", json={"status": "ok"})
    result = run(monkeypatch, state="absent", keep=1, major=2)
    assert result["deleted"] == ["2.0.0"] and result["kept"] == ["2.2.0", "2.1.0"]


@responses.activate
def test_cleanup_keep_zero_keeps_only_served_bundles(monkeypatch):
    rows, channels = cleanup_fixture()
    serve(rows, channels)
    result = run(monkeypatch, check_mode=True, state="absent", keep=0)
    assert result["kept"] == ["2.1.0", "1.100.0", "1.5.0"]
    assert len(result["deleted"]) == 120


@responses.activate
def test_cleanup_converged_sends_only_reads(monkeypatch):
    rows = series(3)
    serve(rows, [chan("production", 1, version=rows[0])])
    result = run(monkeypatch, state="absent", keep=3)
    assert result["changed"] is False and result["deleted"] == [] and writes() == []


@responses.activate
def test_cleanup_of_an_app_without_bundles(monkeypatch):
    serve([], [chan("production", 1)])
    result = run(monkeypatch, state="absent", keep=0)
    assert result["changed"] is False and result["deleted"] == [] and result["kept"] == []


@responses.activate
def test_cleanup_skips_a_bundle_linked_meanwhile(monkeypatch):
    rows = series(3)
    serve(rows)
    responses.delete(URL + "/bundle", match=[matchers.query_param_matcher({"app_id": APP, "version": "1.1.0"})],
                     status=400, json={"error": "cannot_delete_linked_version", "message": "linked", "moreInfo": {}})
    responses.delete(URL + "/bundle", match=[matchers.query_param_matcher({"app_id": APP, "version": "1.0.0"})],
                     json={"status": "ok"})
    result, warnings = run_with_warnings(monkeypatch, state="absent", keep=1)
    assert result["deleted"] == ["1.0.0"] and result["kept"] == ["1.2.0", "1.1.0"]
    assert any("1.1.0" in w for w in warnings)


@responses.activate
def test_cleanup_without_delete_permission_reports_what_was_deleted(monkeypatch):
    rows = series(3)
    serve(rows)
    responses.delete(URL + "/bundle", status=400,
                     json={"error": "cannot_delete_bundle", "message": "Cannot delete bundle", "moreInfo": {}})
    result = run(monkeypatch, state="absent", keep=1)
    assert result["failed"] is True and "bundle.delete" in result["msg"]
    assert result["deleted"] == []


@pytest.mark.parametrize("check_mode", [False, True])
@responses.activate
def test_cleanup_fails_naming_a_bundle_without_a_readable_creation_time(monkeypatch, check_mode):
    rows = series(3)
    rows[1]["created_at"] = "yesterday"
    serve(rows)
    responses.delete(URL + "/bundle", json={"status": "ok"})
    result = run(monkeypatch, check_mode=check_mode, state="absent", keep=1)
    assert result["failed"] is True
    assert "1.1.0" in result["msg"] and "yesterday" in result["msg"]
    assert result["changed"] is False and writes() == []


@responses.activate
def test_cleanup_ignores_an_undated_bundle_of_another_major(monkeypatch):
    one, two = series(2), series(2, major=2)
    rows = [two[1], two[0], one[1], one[0]]  # newest first, as Capgo lists them
    rows[3]["created_at"] = None  # 1.0.0
    responses.get(URL + "/bundle", json=rows)
    responses.get(URL + "/channel", json=[])
    responses.delete(URL + "/bundle", json={"status": "ok"})
    result = run(monkeypatch, state="absent", keep=1, major=2)
    assert result["deleted"] == ["2.0.0"] and result["kept"] == ["2.1.0"]


def test_selection_refuses_to_guess_the_age_of_a_bundle():
    rows = series(3)
    rows[0]["created_at"] = "not a time"
    with pytest.raises(ValueError, match="1.0.0"):
        select_cleanup(rows, 1, set())
