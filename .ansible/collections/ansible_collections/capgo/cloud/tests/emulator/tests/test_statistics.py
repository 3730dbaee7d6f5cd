"""/statistics: app, org (+breakdown), user, bundle_usage (capgo-api.md §2.3)."""

import copy
import datetime

import pytest

from emu_seed import (APP, APP2, APP_OUT, DEFAULT_SEED, DEVICE1, KEY_APP_ADMIN, KEY_MEMBER,
                      KEY_NONE, KEY_READER, KEY_SUPER, KEY_UPLOADER, ORG1, ORG2, SESSION_ADMIN,
                      SESSION_NOBODY)
from helpers import err

ENTRY_KEYS = {"date", "mau", "storage", "storage_byte_hours", "bandwidth", "build_time_seconds"}
RANGE = {"from": "2026-11-01", "to": "2026-11-04"}
MB = 1048576


def stats(emu, path, key=KEY_SUPER, **params):
    q = dict(RANGE)
    q.update(params)
    return emu.call("GET", "/statistics" + path, key=key, params=q)


def test_app_cumulative(emu):
    r = stats(emu, "/app/" + APP)
    assert r.status_code == 200, r.text
    rows = r.json()
    assert [e["date"] for e in rows] == ["2026-11-01T00:00:00.000Z", "2026-11-02T00:00:00.000Z",
                                         "2026-11-03T00:00:00.000Z"]
    assert all(set(e) == ENTRY_KEYS for e in rows)
    assert [e["mau"] for e in rows] == [120, 250, 250]
    assert [e["storage"] for e in rows] == [MB, 2 * MB, 2 * MB]
    assert [e["bandwidth"] for e in rows] == [52428800, 62914560, 62914560]
    assert rows[0]["storage_byte_hours"] == 0 and rows[0]["build_time_seconds"] == 0


def test_app_no_accumulate(emu):
    rows = stats(emu, "/app/" + APP, noAccumulate="true").json()
    assert [e["mau"] for e in rows] == [120, 130, 0]
    rows = stats(emu, "/app/" + APP, noAccumulate="false").json()
    assert [e["mau"] for e in rows] == [120, 250, 250]


def test_to_is_exclusive(emu):
    rows = stats(emu, "/app/" + APP, **{"from": "2026-11-01", "to": "2026-11-02"}).json()
    assert len(rows) == 1 and rows[0]["mau"] == 120
    assert stats(emu, "/app/" + APP, **{"from": "2026-11-01", "to": "2026-11-01"}).json() == []


def test_future_days_omitted(emu):
    today = datetime.datetime.now(datetime.timezone.utc).date()
    frm = today - datetime.timedelta(days=2)
    to = today + datetime.timedelta(days=5)
    rows = stats(emu, "/app/" + APP, **{"from": frm.isoformat(), "to": to.isoformat()}).json()
    assert len(rows) == 3 and rows[-1]["date"].startswith(today.isoformat())
    emu.advance(2 * 86400)
    rows = stats(emu, "/app/" + APP, **{"from": frm.isoformat(), "to": to.isoformat()}).json()
    assert len(rows) == 5


@pytest.mark.parametrize("params", [
    {"from": None}, {"to": None}, {"from": "not-a-date"}, {"to": "2026-13-45"},
    {"noAccumulate": "1"}, {"noAccumulate": "yes"}, {"noAccumulate": ""},
])
def test_invalid_body(emu, params):
    q = dict(RANGE)
    for k, v in params.items():
        if v is None:
            q.pop(k)
        else:
            q[k] = v
    err(emu.call("GET", "/statistics/app/" + APP, key=KEY_SUPER, params=q), 400, "invalid_body")


def test_query_string_only(emu):
    r = emu.call("GET", "/statistics/app/" + APP, key=KEY_SUPER, json=RANGE)
    err(r, 400, "invalid_body")


def test_app_access(emu):
    err(stats(emu, "/app/" + APP_OUT), 401, "no_access_to_app")
    err(stats(emu, "/app/com.nope.app"), 401, "no_access_to_app")
    err(stats(emu, "/app/" + APP, key=KEY_MEMBER), 401, "no_access_to_app")
    assert stats(emu, "/app/" + APP, key=KEY_READER).status_code == 200
    assert stats(emu, "/app/" + APP, key=KEY_UPLOADER).status_code == 200


def test_auth_headers(emu):
    err(emu.call("GET", "/statistics/app/" + APP, params=RANGE), 401, "no_jwt_apikey_or_subkey")
    r = emu.call("GET", "/statistics/app/" + APP, key=KEY_SUPER, header="x-api-key", params=RANGE)
    assert r.status_code == 200
    r = emu.call("GET", "/statistics/app/" + APP, key="Bearer " + SESSION_ADMIN, params=RANGE)
    assert r.status_code == 200


def test_org(emu):
    rows = stats(emu, "/org/" + ORG1).json()
    assert [e["mau"] for e in rows] == [125, 255, 255]
    assert [e["bandwidth"] for e in rows] == [52429800, 62915560, 62915560]
    err(stats(emu, "/org/" + ORG2), 401, "no_access_to_organization")
    err(stats(emu, "/org/00000000-0000-4000-8000-000000000000"), 401, "no_access_to_organization")
    assert stats(emu, "/org/" + ORG1, key=KEY_MEMBER).status_code == 200


def test_org_breakdown(emu):
    body = stats(emu, "/org/" + ORG1, breakdown="true", noAccumulate="true").json()
    assert set(body) == {"global", "byApp"}
    assert [e["mau"] for e in body["global"]] == [125, 130, 0]
    by_app = {}
    for e in body["byApp"]:
        assert set(e) == ENTRY_KEYS | {"app_id"}
        by_app.setdefault(e["app_id"], []).append(e["mau"])
    assert by_app == {APP: [120, 130, 0], APP2: [5, 0, 0]}
    assert isinstance(stats(emu, "/org/" + ORG1, breakdown="false").json(), list)
    err(stats(emu, "/org/" + ORG1, breakdown="True"), 400, "invalid_body")


def test_user(emu):
    rows = stats(emu, "/user").json()
    assert [e["mau"] for e in rows] == [125, 255, 255]
    # an app-scoped key only sums the apps it can read
    rows = stats(emu, "/user", key=KEY_APP_ADMIN).json()
    assert [e["mau"] for e in rows] == [120, 250, 250]
    rows = stats(emu, "/user", key="Bearer " + SESSION_ADMIN).json()
    assert [e["mau"] for e in rows] == [125, 255, 255]
    err(stats(emu, "/user", key=KEY_NONE), 401, "no_organizations_found")
    err(stats(emu, "/user", key=SESSION_NOBODY), 401, "no_organizations_found")


def test_bundle_usage(emu):
    seed = copy.deepcopy(DEFAULT_SEED)
    for d in seed["devices"]:
        d["updated_at"] = "2026-11-01T10:00:00Z"
    seed["devices"].append({"app_id": APP, "device_id": "late", "version_name": "1.0.1",
                            "updated_at": "2026-11-02T10:00:00Z"})
    emu.reset(seed)
    r = stats(emu, "/app/%s/bundle_usage" % APP)
    assert r.status_code == 200, r.text
    body = r.json()
    # labels run from `from` to `to` inclusive (generateDateLabels), unlike the series
    assert body["labels"] == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
    ds = {d["label"]: d for d in body["datasets"]}
    assert set(ds) == {"1.0.0", "1.0.1"}
    assert ds["1.0.0"]["metaCounts"] == [1, 1, 1, 1] and ds["1.0.1"]["metaCounts"] == [1, 2, 2, 2]
    assert ds["1.0.0"]["data"][0] == 50 and ds["1.0.1"]["data"][1] == pytest.approx(66.67)
    err(stats(emu, "/app/%s/bundle_usage" % APP_OUT), 401, "no_access_to_app")
    err(emu.call("GET", "/statistics/app/%s/bundle_usage" % APP, key=KEY_SUPER), 400, "invalid_body")
    assert DEVICE1  # seeded device ids are part of the counts above
