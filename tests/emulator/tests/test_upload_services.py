"""The services of hosted uploads (capgo-api.md §8): private/config, the files service (TUS,
read, upload_link), delete_failed_version, the PostgREST subset; faults and the request log
on their paths."""

import base64
import hashlib
import os
import socket
import time
import urllib.parse

import requests

from emu_seed import (APP, APP_OUT, KEY_APP_DEV, KEY_OUTSIDER, KEY_READER, KEY_SUPER, ORG1,
                      ORG2)

ANON = "capgo-emulator-anon-key"
PATH = "orgs/%s/apps/%s/9.0.0.zip" % (ORG1, APP)
TUS = "/files/upload/attachments"


def meta(filename, filetype="application/zip"):
    def b64(text):
        return base64.b64encode(text.encode()).decode()
    return "filename %s,filetype %s" % (b64(filename), b64(filetype))


def tus_create(emu, length, path=PATH, key=KEY_SUPER, slash=True, **headers):
    hdrs = {"Tus-Resumable": "1.0.0", "Upload-Length": str(length),
            "Upload-Metadata": meta(path)}
    hdrs.update(headers)
    return emu.call("POST", TUS + ("/" if slash else ""), key=key, headers=hdrs)


def tus_patch(emu, location, offset, data, key=KEY_SUPER, **headers):
    hdrs = {"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream"}
    hdrs.update(headers)
    return emu.session.patch(location, data=data, headers=dict(hdrs, authorization=key),
                             timeout=30)


def tus_head(emu, location, key=KEY_SUPER):
    return emu.session.head(location, headers={"Tus-Resumable": "1.0.0", "authorization": key},
                            timeout=30)


def rest(emu, method, path, key=KEY_SUPER, params=None, json=None, headers=None):
    hdrs = {"apikey": ANON, "Authorization": "Bearer " + ANON}
    if key:
        hdrs["capgkey"] = key
    hdrs.update(headers or {})
    return emu.session.request(method, emu.base_url + "/rest/v1/" + path, params=params,
                               json=json, headers=hdrs, timeout=30)


def version_row(emu, name="9.0.0", key=KEY_SUPER, **fields):
    """The CLI's upsert of the version row (C/bundle/upload.ts)."""
    user_id = rest(emu, "POST", "rpc/get_user_id", key=key, json={"apikey": key}).json()
    body = {"name": name, "app_id": APP, "checksum": "abc", "storage_provider": "r2-direct",
            "user_id": user_id, "owner_org": ORG1}
    body.update(fields)
    return rest(emu, "POST", "app_versions", key=key, params={"on_conflict": "name,app_id"},
                json=body, headers={"Prefer": "resolution=merge-duplicates"})


def bundle(emu, name):
    return next((b for b in emu.state()["bundles"] if b["app_id"] == APP and b["name"] == name),
                None)


# ------------------------------------------------------------------ config

def test_private_config_points_at_the_emulator(emu):
    for path in ("/private/config", "/functions/v1/private/config"):
        body = emu.call("GET", path).json()
        assert body["supaHost"] == emu.base_url and body["supaKey"] == ANON


def test_files_config(emu):
    body = emu.call("GET", "/files/config").json()
    assert body["TUSUpload"] is True and body["TUSUploadForced"] is True
    assert body["maxUploadLength"] == 1024 ** 3


# ------------------------------------------------------------------ TUS

def test_tus_upload_in_chunks_then_read(emu):
    data = os.urandom(300000)
    created = tus_create(emu, len(data))
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert location == emu.base_url + TUS + "/" + PATH
    assert created.headers["Upload-Offset"] == "0"
    offset = 0
    for chunk in (data[:100000], data[100000:250000], data[250000:]):
        resp = tus_patch(emu, location, offset, chunk)
        assert resp.status_code == 204, resp.text
        offset += len(chunk)
        assert resp.headers["Upload-Offset"] == str(offset)
    head = tus_head(emu, location)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(len(data))
    read = emu.call("GET", "/files/read/attachments/" + PATH)
    assert read.status_code == 200 and read.content == data
    state = emu.state()
    assert "files" not in state   # bytes in the blob directory, not in the seed document


def test_tus_creation_without_trailing_slash_and_checksum(emu):
    data = b"PK\x03\x04 zip bytes"
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    created = tus_create(emu, len(data), slash=False, **{"X-Checksum-Sha256": digest})
    assert created.status_code == 201
    assert tus_patch(emu, created.headers["Location"], 0, data).status_code == 204
    read = emu.call("GET", "/files/read/attachments/" + PATH)
    assert read.content == data and read.headers["X-Checksum-Sha256"] == digest


def test_tus_checksum_mismatch_is_415(emu):
    digest = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    created = tus_create(emu, 4, **{"X-Checksum-Sha256": digest})
    resp = tus_patch(emu, created.headers["Location"], 0, b"data")
    assert resp.status_code == 415
    assert emu.call("GET", "/files/read/attachments/" + PATH).status_code == 404


def test_tus_offset_mismatch_and_unknown_upload(emu):
    created = tus_create(emu, 10)
    location = created.headers["Location"]
    resp = tus_patch(emu, location, 5, b"12345")
    assert resp.status_code == 409 and resp.text == "incorrect upload offset"
    other = emu.base_url + TUS + "/orgs/%s/apps/%s/nothing.zip" % (ORG1, APP)
    resp = tus_patch(emu, other, 0, b"x")
    assert resp.status_code == 404


def test_tus_wrong_content_type_is_415(emu):
    created = tus_create(emu, 4)
    resp = tus_patch(emu, created.headers["Location"], 0, b"data",
                     **{"Content-Type": "application/zip"})
    assert resp.status_code == 415 and resp.json()["error"] == "invalid_content_type"
    resp = tus_create(emu, 4, **{"Content-Type": "text/plain"})
    assert resp.status_code == 415


def test_tus_body_past_upload_length_is_413(emu):
    created = tus_create(emu, 4)
    resp = tus_patch(emu, created.headers["Location"], 0, b"too long")
    assert resp.status_code == 413


def test_tus_above_one_gib_is_413(emu):
    created = tus_create(emu, 1024 ** 3 + 1)
    assert created.status_code == 201   # the length is checked when bytes arrive
    resp = tus_patch(emu, created.headers["Location"], 0, b"x")
    assert resp.status_code == 413


def test_tus_missing_length_and_metadata(emu):
    resp = emu.call("POST", TUS + "/", key=KEY_SUPER,
                    headers={"Tus-Resumable": "1.0.0", "Upload-Metadata": meta(PATH)})
    assert resp.status_code == 400 and resp.json()["error"] == "missing_upload_length"
    resp = emu.call("POST", TUS + "/", key=KEY_SUPER,
                    headers={"Tus-Resumable": "1.0.0", "Upload-Length": "3"})
    assert resp.status_code == 404


def test_tus_auth_and_path_checks(emu):
    assert tus_create(emu, 3, key=None).status_code == 401
    resp = tus_create(emu, 3, key=KEY_READER)
    assert resp.status_code == 403 and resp.json()["error"] == "insufficient_permissions"
    resp = tus_create(emu, 3, key=KEY_OUTSIDER)
    assert resp.status_code == 403
    resp = tus_create(emu, 3, path="orgs/%s/apps/%s/9.zip" % (ORG2, APP))
    assert resp.status_code == 403 and resp.json()["error"] == "owner_org_mismatch"
    resp = tus_create(emu, 3, path="elsewhere/9.zip")
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_file_path"
    resp = tus_create(emu, 3, path="orgs/%s/apps/%s/9.zip" % (ORG2, APP_OUT),
                      key=KEY_OUTSIDER)
    assert resp.status_code == 201
    assert tus_create(emu, 3, key=KEY_APP_DEV).status_code == 201   # app.upload_bundle


def test_tus_refuses_the_path_of_a_ready_bundle(emu):
    assert version_row(emu).status_code == 201
    created = tus_create(emu, 3)
    assert tus_patch(emu, created.headers["Location"], 0, b"abc").status_code == 204
    assert rest(emu, "PATCH", "app_versions", params={"name": "eq.9.0.0", "app_id": "eq." + APP},
                json={"r2_path": PATH}).status_code == 204
    assert version_row(emu, storage_provider="r2").status_code == 201
    resp = tus_create(emu, 3)
    assert resp.status_code == 409 and resp.json()["error"] == "bundle_already_ready"


def test_tus_dropped_patch_resumed_from_the_offset_head_reports(emu):
    """A PATCH whose connection breaks after part of the body: HEAD tells how much arrived,
    the client sends the rest from there; the request log shows it."""
    data = os.urandom(200000)
    location = tus_create(emu, len(data)).headers["Location"]
    emu.clear_log()
    url = urllib.parse.urlsplit(location)
    sent = 120000
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        head_lines = ("PATCH %s HTTP/1.1\r\nHost: %s\r\nauthorization: %s\r\n"
                      "Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
                      "Content-Type: application/offset+octet-stream\r\n"
                      "Content-Length: %d\r\n\r\n"
                      % (url.path, url.netloc, KEY_SUPER, len(data)))
        sock.sendall(head_lines.encode() + data[:sent])
        time.sleep(0.3)
    deadline = time.time() + 10
    while time.time() < deadline:
        head = tus_head(emu, location)
        if head.headers["Upload-Offset"] == str(sent):
            break
        time.sleep(0.1)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(sent)
    assert head.headers["Upload-Length"] == str(len(data))
    resp = tus_patch(emu, location, sent, data[sent:])
    assert resp.status_code == 204 and resp.headers["Upload-Offset"] == str(len(data))
    assert emu.call("GET", "/files/read/attachments/" + PATH).content == data
    tus_path = TUS + "/" + PATH
    log = [(e["method"], e["path"], e["status"]) for e in emu.requests_log()
           if e["path"] == tus_path]
    # the broken PATCH (logged when the server noticed), HEAD, then the PATCH from the offset
    assert [entry[0] for entry in log].count("PATCH") == 2
    assert ("HEAD", tus_path, 200) in log
    assert log[-1] == ("PATCH", tus_path, 204)


def test_tus_drop_fault_then_resume(emu):
    data = os.urandom(5000)
    location = tus_create(emu, len(data)).headers["Location"]
    emu.add_fault(method="PATCH", path="^/files/upload/attachments/", drop=True, times=1)
    try:
        tus_patch(emu, location, 0, data)
    except requests.exceptions.ConnectionError:
        pass
    head = tus_head(emu, location)
    assert head.headers["Upload-Offset"] == "0"
    assert tus_patch(emu, location, 0, data).status_code == 204
    log = [(e["method"], e["status"]) for e in emu.requests_log() if e["path"].startswith(TUS)]
    assert log[-3:] == [("PATCH", None), ("HEAD", 200), ("PATCH", 204)]


def test_faults_and_delay_on_the_new_paths(emu):
    emu.add_fault(path="^/rest/v1/", status=503, times=1)
    resp = rest(emu, "GET", "apps", params={"app_id": "eq." + APP})
    assert resp.status_code == 503 and "code" in resp.json()
    emu.add_fault(path="^/files/config", delay_ms=300, times=1)
    start = time.monotonic()
    assert emu.call("GET", "/files/config").status_code == 200
    assert time.monotonic() - start >= 0.3
    emu.add_fault(path="^/private/config", status=500, times=1)
    assert emu.call("GET", "/private/config").status_code == 500
    statuses = [(e["path"], e["status"]) for e in emu.requests_log()]
    assert ("/rest/v1/apps", 503) in statuses and ("/private/config", 500) in statuses


# ------------------------------------------------------------------ PostgREST

def test_rest_needs_the_anon_key(emu):
    resp = emu.session.get(emu.base_url + "/rest/v1/apps", timeout=30)
    assert resp.status_code == 401 and resp.json()["code"] == "PGRST301"


def test_rest_rls_by_capgkey(emu):
    assert [a["app_id"] for a in rest(emu, "GET", "apps", key=None).json()] == []
    mine = [a["app_id"] for a in rest(emu, "GET", "apps", params={"select": "app_id"}).json()]
    assert APP in mine and APP_OUT not in mine
    resp = version_row(emu, key=KEY_READER)
    assert resp.status_code == 403 and resp.json()["code"] == "42501"
    assert version_row(emu, key=KEY_APP_DEV).status_code == 201


def test_rest_upsert_update_single_object_and_embed(emu):
    assert version_row(emu).status_code == 201
    row = rest(emu, "GET", "app_versions", params={"name": "eq.9.0.0"}).json()[0]
    assert row["storage_provider"] == "r2-direct" and row["owner_org"] == ORG1
    resp = rest(emu, "GET", "app_versions",
                params={"select": "id,name,storage_provider", "name": "eq.9.0.0",
                        "app_id": "eq." + APP},
                headers={"Accept": "application/vnd.pgrst.object+json"})
    assert resp.json() == {"id": row["id"], "name": "9.0.0", "storage_provider": "r2-direct"}
    resp = rest(emu, "GET", "app_versions", params={"name": "eq.nope"},
                headers={"Accept": "application/vnd.pgrst.object+json"})
    assert resp.status_code == 406 and resp.json()["code"] == "PGRST116"
    resp = rest(emu, "PATCH", "app_versions", params={"id": "eq.%d" % row["id"]},
                json={"r2_path": PATH}, headers={"Prefer": "return=representation"})
    assert resp.status_code == 200 and resp.json()[0]["r2_path"] == PATH
    resp = rest(emu, "GET", "channels",
                params={"select": "name,version(id,name,native_packages)",
                        "name": "eq.production", "app_id": "eq." + APP})
    assert resp.json()[0]["version"]["name"] == "1.0.0"
    resp = rest(emu, "GET", "channels",
                params={"select": "version:app_versions!channels_version_fkey(name,deleted)",
                        "name": "eq.production", "app_id": "eq." + APP})
    assert resp.json() == [{"version": {"name": "1.0.0", "deleted": False}}]


def test_rest_duplicate_without_upsert_is_23505(emu):
    body = {"name": "1.0.0", "app_id": APP, "checksum": "x"}
    resp = rest(emu, "POST", "app_versions", json=body)
    assert resp.status_code == 409 and resp.json()["code"] == "23505"


def test_rest_ready_bundle_is_locked(emu):
    assert version_row(emu, storage_provider="r2").status_code == 201
    resp = version_row(emu, checksum="other", storage_provider="r2")
    assert resp.status_code == 400
    assert resp.json()["message"].startswith("bundle_already_ready:")
    resp = rest(emu, "PATCH", "app_versions", params={"name": "eq.9.0.0"},
                json={"comment": "fine"})
    assert resp.status_code == 204 and bundle(emu, "9.0.0")["comment"] == "fine"


def test_rest_enforced_encryption(emu):
    emu.call("PUT", "/organization", key=KEY_SUPER,
             json={"orgId": ORG1, "enforce_encrypted_bundles": True})
    state = emu.state()
    if not next(o for o in state["orgs"] if o["id"] == ORG1).get("enforce_encrypted_bundles"):
        return  # the org route does not take the setting; nothing to check here
    resp = version_row(emu)
    assert resp.status_code == 400 and resp.json()["message"].startswith("encryption_required")
    assert version_row(emu, session_key="aXY=:a2V5", key_id="k").status_code == 201


def test_rest_rpcs(emu):
    def rpc(name, **args):
        return rest(emu, "POST", "rpc/" + name, json=args)
    assert rpc("exist_app_versions", appid=APP, name_version="1.0.0").json() is True
    assert rpc("exist_app_versions", appid=APP, name_version="7.7.7").json() is False
    assert isinstance(rpc("get_app_versions", appid=APP, name_version="1.0.0",
                          apikey=KEY_SUPER).json(), int)
    assert rpc("cli_check_permission", apikey=KEY_SUPER, permission_key="app.upload_bundle",
               app_id=APP).json() is True
    assert rpc("cli_check_permission", apikey=KEY_READER, permission_key="app.upload_bundle",
               app_id=APP).json() is False
    assert rpc("nope").status_code == 404


# ------------------------------------------------------------------ functions

def test_delete_failed_version(emu):
    assert version_row(emu).status_code == 201
    url = emu.base_url + "/functions/v1/private/delete_failed_version"
    hdrs = {"capgkey": KEY_SUPER, "Authorization": "Bearer " + ANON}
    resp = emu.session.delete(url, json={"app_id": APP, "name": "9.0.0"}, headers=hdrs,
                              timeout=30)
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}
    assert bundle(emu, "9.0.0") is None
    resp = emu.session.delete(url, json={"app_id": APP, "name": "1.0.0"}, headers=hdrs,
                              timeout=30)
    assert resp.status_code == 400 and resp.json()["error"] == "error_already_deleted"


def test_upload_link_and_presigned_put(emu):
    assert version_row(emu).status_code == 201
    resp = emu.call("POST", "/files/upload_link", key=KEY_SUPER,
                    json={"app_id": APP, "name": "9.0.0", "version": 0})
    assert resp.status_code == 200, resp.text
    url = resp.json()["url"]
    assert bundle(emu, "9.0.0")["r2_path"] == PATH
    assert emu.session.put(url, data=b"zipzip", timeout=30).status_code == 200
    assert emu.call("GET", "/files/read/attachments/" + PATH).content == b"zipzip"
    bad = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert emu.session.put(bad, data=b"x", timeout=30).status_code == 403
    resp = emu.call("POST", "/files/upload_link", key=KEY_SUPER,
                    json={"app_id": APP, "name": "1.0.0"})
    assert resp.status_code == 404


def test_public_api_under_functions_v1(emu):
    resp = emu.call("GET", "/functions/v1/app/" + APP, key=KEY_SUPER)
    assert resp.status_code == 200 and resp.json()["app_id"] == APP


def test_get_bundle_shows_hosted_bundles(emu):
    assert version_row(emu, native_packages=[{"name": "@capacitor/app", "version": "7.0.0"}]
                       ).status_code == 201
    listed = emu.call("GET", "/bundle", key=KEY_SUPER, params={"app_id": APP}).json()
    row = next(b for b in listed if b["name"] == "9.0.0")
    assert row["storage_provider"] == "r2-direct"
    assert row["native_packages"] == [{"name": "@capacitor/app", "version": "7.0.0"}]
