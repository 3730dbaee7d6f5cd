# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""capgo_bundle with src: the hosted upload through the module, HTTP mocked by ``responses``."""


import base64
import json
import os
import re

import pytest
import requests
import responses

from ansible_collections.capgo.cloud.plugins.module_utils import _upload
from ansible_collections.capgo.cloud.plugins.modules import capgo_bundle
from ansible_collections.capgo.cloud.tests.unit.plugins.modules.utils import run_module

URL = "https://capgo.test"
FILES = "https://files.capgo.test"
SUPA = "https://supa.capgo.test"
APP = "com.demo.app"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
KEY_PEM = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "capgo_key_v2.pem")
EC_PEM = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "ec_key.pem")


BIG = os.urandom(20000)  # does not compress: several 4 KiB chunks


class FakeCapgo:
    """Just enough of the API, PostgREST and the files service for one app."""

    def __init__(self, rsps, enforce=False):
        self.rows = []
        self.blobs = {}
        self.uploads = {}
        self.log = []
        self.enforce = enforce
        self.drop_finalize = False
        r = rsps
        r.add_callback(responses.GET, URL + "/bundle", callback=self.get_bundles)
        r.add_callback(responses.GET, URL + "/channel", callback=lambda req: (200, {}, "[]"))
        r.add_callback(responses.GET, URL + "/private/config",
                       callback=lambda req: (200, {}, json.dumps({"supaHost": SUPA, "supaKey": "anon"})))
        r.add_callback(responses.GET, FILES + "/files/config", callback=lambda req: (200, {}, json.dumps(
            {"TUSUpload": True, "TUSUploadForced": True, "maxChunkSize": 4096, "maxUploadLength": 10 ** 9})))
        r.add_callback(responses.GET, SUPA + "/rest/v1/apps",
                       callback=lambda req: (200, {}, json.dumps({"owner_org": ORG})))
        r.add_callback(responses.GET, SUPA + "/rest/v1/orgs", callback=lambda req: (200, {}, json.dumps(
            [{"enforce_encrypted_bundles": self.enforce, "required_encryption_key": None}])))
        r.add_callback(responses.POST, SUPA + "/rest/v1/rpc/get_user_id", callback=lambda req: (200, {}, '"user-1"'))
        r.add_callback(responses.POST, SUPA + "/rest/v1/app_versions", callback=self.upsert)
        r.add_callback(responses.PATCH, SUPA + "/rest/v1/app_versions", callback=self.patch_row)
        r.add_callback(responses.DELETE, SUPA + "/functions/v1/private/delete_failed_version",
                       callback=self.delete_failed)
        r.add_callback(responses.POST, FILES + "/files/upload/attachments/", callback=self.tus_create)
        r.add_callback(responses.PATCH, re.compile(FILES + "/files/upload/attachments/.+"), callback=self.tus_patch)
        r.add_callback(responses.HEAD, re.compile(FILES + "/files/upload/attachments/.+"), callback=self.tus_head)
        r.add_callback(responses.POST, URL + "/bundle/metadata", callback=self.metadata)

    def record(self, request):
        self.log.append((request.method, request.url.split("?")[0].replace(SUPA, "").replace(FILES, "")
                         .replace(URL, "")))

    def writes(self):
        return [entry for entry in self.log if entry[0] not in ("GET", "HEAD") and not entry[1].endswith("get_user_id")]

    def get_bundles(self, request):
        self.record(request)
        if not self.rows:
            return 400, {}, json.dumps({"error": "cannot_get_bundle", "message": "Cannot get bundle"})
        return 200, {}, json.dumps(self.rows)

    def find(self, name):
        return next((r for r in self.rows if r["name"] == name), None)

    def upsert(self, request):
        self.record(request)
        body = json.loads(request.body)
        if self.enforce and not body.get("session_key"):
            return 400, {}, json.dumps({"code": "P0001", "message": "encryption_required"})
        row = self.find(body["name"])
        if row is None:
            row = {"id": len(self.rows) + 1, "created_at": "2026-01-01T00:00:00Z", "deleted": False,
                   "external_url": None, "r2_path": None, "manifest_count": 0, "native_packages": None,
                   "session_key": None, "key_id": None, "link": None, "comment": None, "min_update_version": None}
            self.rows.append(row)
        row.update(body)
        if self.drop_finalize and body.get("storage_provider") == "r2":
            self.drop_finalize = False
            raise requests.exceptions.ConnectionError("answer lost")
        return 201, {}, ""

    def patch_row(self, request):
        self.record(request)
        name = request.params["name"][3:]
        self.find(name).update(json.loads(request.body))
        return 204, {}, ""

    def delete_failed(self, request):
        self.record(request)
        body = json.loads(request.body)
        row = self.find(body["name"])
        if row is None or row["storage_provider"] != "r2-direct":
            return 400, {}, json.dumps({"error": "error_already_deleted", "message": "Already deleted"})
        self.rows.remove(row)
        return 200, {}, json.dumps({"status": "ok"})

    def metadata(self, request):
        self.record(request)
        body = json.loads(request.body)
        row = next(r for r in self.rows if r["id"] == body["version_id"])
        row.update({k: body[k] for k in ("link", "comment") if k in body})
        return 200, {}, json.dumps({"status": "ok"})

    def tus_create(self, request):
        self.record(request)
        meta = dict(item.split(" ") for item in request.headers["upload-metadata"].split(","))
        path = base64.b64decode(meta["filename"]).decode()
        ident = "u%d" % (len(self.uploads) + 1)
        self.uploads[ident] = {"path": path, "length": int(request.headers["upload-length"]), "data": b""}
        return 201, {"Location": "/files/upload/attachments/" + ident}, ""

    def tus_patch(self, request):
        self.record(request)
        upload = self.uploads[request.url.rsplit("/", 1)[1]]
        body = request.body
        data = body.read() if hasattr(body, "read") else body
        assert int(request.headers["upload-offset"]) == len(upload["data"])
        upload["data"] += data
        if len(upload["data"]) == upload["length"]:
            self.blobs[upload["path"]] = upload["data"]
        return 204, {"Upload-Offset": str(len(upload["data"]))}, ""

    def tus_head(self, request):
        self.record(request)
        upload = self.uploads[request.url.rsplit("/", 1)[1]]
        return 200, {"Upload-Offset": str(len(upload["data"]))}, ""


def dist(tmp_path, name="dist", extra=b""):
    root = tmp_path / name
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_bytes(b"<html></html>")
    (root / "js" / "app.js").write_bytes(b"CapacitorUpdater.notifyAppReady();" + extra + os.urandom(0))
    (root / "big.bin").write_bytes(BIG)
    return str(root)


def run(monkeypatch, tmp_path, check_mode=False, diff=False, **args):
    args.setdefault("app_id", APP)
    args.setdefault("version", "1.0.0")
    args.update(api_url=URL, files_url=FILES)
    (tmp_path / "tmp").mkdir(exist_ok=True)
    monkeypatch.setattr(_upload.tempfile, "tempdir", str(tmp_path / "tmp"))
    return run_module(monkeypatch, capgo_bundle.main, args, check_mode=check_mode, diff=diff)[0]


def test_upload_then_converged(monkeypatch, tmp_path):
    src = dist(tmp_path)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeCapgo(rsps)
        result = run(monkeypatch, tmp_path, src=src, link="https://ci/1", min_update_version="1.0.0")
        assert result["changed"] is True, result
        bundle = result["bundle"]
        assert bundle["storage_provider"] == "r2" and bundle["link"] == "https://ci/1"
        assert bundle["min_update_version"] == "1.0.0" and bundle["size"] > 0
        path = "orgs/%s/apps/%s/1.0.0.zip" % (ORG, APP)
        data = fake.blobs[path]
        assert len(data) == bundle["size"] and _upload.hashlib.sha256(data).hexdigest() == bundle["checksum"]
        assert fake.rows[0]["r2_path"] == path
        assert [w for w in fake.writes() if "attachments/u" not in w[1]] == [
            ("POST", "/rest/v1/app_versions"), ("POST", "/files/upload/attachments/"),
            ("PATCH", "/rest/v1/app_versions"), ("POST", "/rest/v1/app_versions")]
        chunks = sum(1 for w in fake.writes() if w[0] == "PATCH" and "attachments" in w[1])
        assert chunks == (bundle["size"] + 4095) // 4096 and chunks >= 5
        del fake.log[:]
        again = run(monkeypatch, tmp_path, src=src, link="https://ci/1", min_update_version="1.0.0")
        assert again["changed"] is False and fake.writes() == []
        assert again["bundle"]["checksum"] == bundle["checksum"]
        assert os.listdir(str(tmp_path / "tmp")) == []  # temporary files removed


def test_check_mode_predicts_the_bundle_and_sends_no_write(monkeypatch, tmp_path):
    src = dist(tmp_path)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeCapgo(rsps)
        predicted = run(monkeypatch, tmp_path, check_mode=True, diff=True, src=src)
        assert predicted["changed"] is True and fake.writes() == [] and not fake.rows
        assert ("POST", "/rest/v1/rpc/get_user_id") not in fake.log
        real = run(monkeypatch, tmp_path, src=src)
        assert predicted["bundle"]["checksum"] == real["bundle"]["checksum"]
        assert predicted["bundle"]["size"] == real["bundle"]["size"]
        assert predicted["diff"]["after"]["checksum"] == real["bundle"]["checksum"]


def test_other_content_is_refused_before_any_write(monkeypatch, tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeCapgo(rsps)
        first = run(monkeypatch, tmp_path, src=dist(tmp_path))
        del fake.log[:]
        result = run(monkeypatch, tmp_path, src=dist(tmp_path, "dist2", extra=b"// changed"))
        assert result["failed"] and fake.writes() == []
        assert "bundle 1.0.0 of app com.demo.app already exists with other content: checksum %s in Capgo" \
            % first["bundle"]["checksum"] in result["msg"]
        assert "new version" in result["msg"] and "\n" not in result["msg"]


def test_encrypted_upload_and_converged_through_the_key(monkeypatch, tmp_path):
    src = dist(tmp_path)
    key = _upload.BundleKey(open(KEY_PEM, "rb").read())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeCapgo(rsps, enforce=True)
        result = run(monkeypatch, tmp_path, src=src, encryption_key=KEY_PEM)
        assert result["changed"] and result["bundle"]["encrypted"] and result["bundle"]["key_id"] == key.key_id
        row = fake.rows[0]
        blob = fake.blobs["orgs/%s/apps/%s/1.0.0.zip" % (ORG, APP)]
        enc = str(tmp_path / "enc")
        with open(enc, "wb") as stream:
            stream.write(blob)
        key.decrypt_file(enc, str(tmp_path / "plain.zip"), row["session_key"])
        plain = open(str(tmp_path / "plain.zip"), "rb").read()
        assert key.decrypt_checksum(row["checksum"]) == _upload.hashlib.sha256(plain).hexdigest()
        assert "session_key" not in result["bundle"]
        del fake.log[:]
        content = open(KEY_PEM).read()
        again = run(monkeypatch, tmp_path, src=src, encryption_key_content=content)
        assert again["changed"] is False and fake.writes() == []
        unkeyed = run(monkeypatch, tmp_path, src=src)
        assert unkeyed["failed"] and "encrypted" in unkeyed["msg"] and "encryption_key" in unkeyed["msg"]


def test_enforced_encryption_without_a_key(monkeypatch, tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeCapgo(rsps, enforce=True)
        result = run(monkeypatch, tmp_path, src=dist(tmp_path))
        assert result["failed"] and fake.writes() == []
        assert "requires encrypted bundles: set encryption_key" in result["msg"]


def test_a_lost_finalize_answer_converges_on_rerun(monkeypatch, tmp_path):
    src = dist(tmp_path)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeCapgo(rsps)
        fake.drop_finalize = True
        # the finalize upsert is applied but its answer is lost: the row is ready; rerun converges
        first = run(monkeypatch, tmp_path, src=src)
        assert first["failed"] and "upload step 'finalize' failed" in first["msg"]
        assert ("DELETE", "/functions/v1/private/delete_failed_version") not in fake.log
        del fake.log[:]
        again = run(monkeypatch, tmp_path, src=src)
        assert again["changed"] is False and fake.writes() == []


def test_a_leftover_row_is_finished_or_cleaned(monkeypatch, tmp_path):
    src = dist(tmp_path)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeCapgo(rsps)
        run(monkeypatch, tmp_path, src=src)
        row = fake.rows[0]
        row["storage_provider"] = "r2-direct"  # uploaded, not marked ready
        del fake.log[:]
        finished = run(monkeypatch, tmp_path, src=src)
        assert finished["changed"] and fake.writes() == [("PATCH", "/rest/v1/app_versions")]
        assert fake.rows[0]["storage_provider"] == "r2"
        # a leftover of other content, never uploaded: removed, then uploaded
        row.update(storage_provider="r2-direct", r2_path=None, checksum="0" * 64)
        del fake.log[:]
        cleaned = run(monkeypatch, tmp_path, src=src)
        assert cleaned["changed"] and fake.writes()[0] == ("DELETE", "/functions/v1/private/delete_failed_version")
        assert fake.rows[0]["storage_provider"] == "r2" and fake.rows[0]["checksum"] == finished["bundle"]["checksum"]


def test_a_failed_upload_removes_the_row(monkeypatch, tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeCapgo(rsps)
        rsps.replace(responses.POST, FILES + "/files/upload/attachments/", status=403,
                     json={"error": "not_authorized", "message": "no upload_bundle"})
        result = run(monkeypatch, tmp_path, src=dist(tmp_path))
        assert result["failed"] and result["changed"] is True
        assert "upload step 'upload' failed: POST /files/upload/attachments/ failed: HTTP 403 not_authorized: " \
               "no upload_bundle" in result["msg"]
        assert fake.log[-1] == ("DELETE", "/functions/v1/private/delete_failed_version") and fake.rows == []


@pytest.mark.parametrize("args, message", [
    (dict(src="MISSING"), "does not exist"),
    (dict(src="EMPTY"), "empty directory"),
    (dict(src="NOINDEX"), "index.html is missing"),
    (dict(src="NOCALL"), "notifyAppReady() is not called"),
    (dict(src="DIST", external_url="https://cdn/x.zip"), "mutually exclusive"),
    (dict(src="DIST", encryption_key="EC"), "not an RSA private key"),
    (dict(src="DIST", encryption_key="MISSING"), "cannot be read"),
    (dict(src="DIST", version="v1.0"), "not a semantic version"),
    (dict(min_update_version="1.0.0", external_url="https://cdn/x.zip", checksum="c"), "only used with src"),
])
def test_bad_input_fails_before_any_request(monkeypatch, tmp_path, args, message):
    paths = {"MISSING": str(tmp_path / "missing"), "EMPTY": str(tmp_path / "empty"), "DIST": dist(tmp_path),
             "NOINDEX": str(tmp_path / "noindex"), "NOCALL": str(tmp_path / "nocall"), "EC": EC_PEM}
    (tmp_path / "empty").mkdir()
    (tmp_path / "noindex").mkdir()
    (tmp_path / "noindex" / "a.js").write_text(u"notifyAppReady()")
    (tmp_path / "nocall").mkdir()
    (tmp_path / "nocall" / "index.html").write_text(u"x")
    args = {k: paths.get(v, v) for k, v in args.items()}
    with responses.RequestsMock() as rsps:  # any request fails the test
        result = run(monkeypatch, tmp_path, **args)
        assert len(rsps.calls) == 0
    assert result["failed"] and message in result["msg"], result["msg"]


def test_cryptography_is_needed_only_to_encrypt(monkeypatch, tmp_path):
    def missing():
        raise ImportError("No module named 'cryptography'")
    monkeypatch.setattr(_upload, "import_cryptography", missing)
    src = dist(tmp_path)
    with responses.RequestsMock() as rsps:
        result = run(monkeypatch, tmp_path, src=src, encryption_key=KEY_PEM)
        assert len(rsps.calls) == 0
    assert result["failed"] and "Failed to import the required Python library (cryptography)" in result["msg"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeCapgo(rsps)
        assert run(monkeypatch, tmp_path, src=src)["changed"] is True
