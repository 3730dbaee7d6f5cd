# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hosted upload client: deterministic zip, checksum, encryption v2, the protocol steps, TUS resume."""


import base64
import hashlib
import json
import os
import zipfile

import pytest
import requests
import responses

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ansible_collections.capgo.cloud.plugins.module_utils import _upload
from ansible_collections.capgo.cloud.plugins.module_utils._client import CapgoClient

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
KEY_PEM = os.path.join(FIXTURES, "capgo_key_v2.pem")
EC_PEM = os.path.join(FIXTURES, "ec_key.pem")
# Vectors made with OpenSSL, not with this code: `openssl rsa -in capgo_key_v2.pem -RSAPublicKey_out`
# (the first 20 characters of its body), and `openssl pkeyutl -sign -pkeyopt rsa_padding_mode:pkcs1`
# over the raw SHA-256 digest of b"hello".
KEY_ID = "MIIBCgKCAQEAqxpHvV4Y"
HELLO_SHA = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
HELLO_SIGNED = (
    "855bb0f6c83d6f2ea624e1e9f865453808f8fb9ecc6c5e37602c38ebd540e5e41dc3cebff84e1be953ddbce2e2308d87cd5638"
    "95b2b7136046ab2a2c946620f67f3d3a709d2528a40faad1e0fd0cd6febdd5b28339f9fd6f8fc0166bb7f81f78d7080ad6b3109"
    "4dd2c4934886cf9d7652346197714795ebfa14c0e216aac6ff7805f12c62996de3de3cc5b926ae17e2796d084663994b9c9ccaa"
    "f6b4ae84da5f3953ff388da7389d6205cfce4d4943ad1f58ddacaf609cf3e6f364a97e63268d51077cb3332c18ac68cd9d73a1b4"
    "80e0f07f3fb865388de2a3f7600ea0167ef13f0ef78f74fc24e24fb05fb90047ce9687429eb2075592b7499dfaa74ced7f26")

API = "https://api.capgo.test"
FILES = "https://files.capgo.test"
SUPA = "https://supa.capgo.test"
KEY = "11111111-2222-3333-4444-555555555555"
ANON = "anon-key"
APP = "com.demo.app"
ORG = "046a36ac-e03c-4590-9257-bd6c9dba9ee8"
USER = "6aa76066-55ef-4238-ade6-0b32334a4097"
LOCATION = FILES + "/files/upload/attachments/abc123"


def build(root, files, order=None, mode=0o600, mtime=None):
    for name in (order or sorted(files)):
        path = os.path.join(root, *name.split("/"))
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        with open(path, "wb") as stream:
            stream.write(files[name])
        os.chmod(path, mode)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
    return str(root)


APP_FILES = {
    "index.html": b"<html><script src='js/app.js'></script></html>",
    "js/app.js": b"import {CapacitorUpdater} from 'x'; CapacitorUpdater.notifyAppReady();" * 50,
    "assets/logo.svg": b"<svg/>" * 1000,
    "assets/z/deep.txt": b"deep",
    u"assets/\u00e9t\u00e9.txt": b"summer",
}


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Each test its own checksum cache (never the user's)."""
    monkeypatch.setenv("CAPGO_CACHE_DIR", str(tmp_path / "cache"))


def zip_of(root, tmp_path, name):
    bundle = _upload.LocalBundle(root, tmpdir=str(tmp_path), cache=_upload.ChecksumCache(""))
    try:
        with open(bundle.prepare_upload(), "rb") as stream:
            data = stream.read()
        return bundle.checksum, bundle.zip_size, data
    finally:
        bundle.close()


# -- zip ------------------------------------------------------------------------


def test_zip_is_deterministic_across_runs_orders_times_and_modes(tmp_path):
    one = build(tmp_path / "one", APP_FILES, mode=0o600, mtime=1000000000)
    two = build(tmp_path / "two", APP_FILES, order=sorted(APP_FILES, reverse=True), mode=0o755, mtime=1700000000)
    first = zip_of(one, tmp_path, "a")
    assert first == zip_of(one, tmp_path, "b")  # same files, run again
    assert first == zip_of(two, tmp_path, "c")  # other creation order, times and permissions
    checksum, size, data = first
    assert checksum == hashlib.sha256(data).hexdigest() and size == len(data)
    with zipfile.ZipFile(_bytes_file(tmp_path, data)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == sorted(APP_FILES, key=lambda n: n.encode("utf-8"))
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0) and (info.external_attr >> 16) == 0o100644
            assert archive.read(info) == APP_FILES[info.filename]


def test_zip_changes_with_content(tmp_path):
    one = build(tmp_path / "one", APP_FILES)
    two = build(tmp_path / "two", dict(APP_FILES, **{"assets/z/deep.txt": b"deeper"}))
    assert zip_of(one, tmp_path, "a")[0] != zip_of(two, tmp_path, "b")[0]


MIXED_FILES = dict(APP_FILES, **{
    "img/photo.png": bytes(range(256)) * 64,  # compressible, but named as compressed
    "media/noise.bin": b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(4096)),  # incompressible
    "js/big.js": b"notifyAppReady(); const x = 1;\n" * 40000,   # over WHOLE_FILE below: streamed
    "media/big-noise.dat": b"".join(hashlib.sha512(b"%d" % i).digest() for i in range(20000)),
})


def test_compressed_or_incompressible_entries_are_stored(tmp_path):
    checksum, size, data = zip_of(build(tmp_path / "app", MIXED_FILES), tmp_path, "a")
    with zipfile.ZipFile(_bytes_file(tmp_path, data)) as archive:
        methods = dict((i.filename, i.compress_type) for i in archive.infolist())
        assert archive.testzip() is None
        for name, content in MIXED_FILES.items():
            assert archive.read(name) == content
    assert methods["img/photo.png"] == zipfile.ZIP_STORED  # by its name: never deflated
    assert methods["media/noise.bin"] == zipfile.ZIP_STORED  # deflate did not make it smaller
    assert methods["media/big-noise.dat"] == zipfile.ZIP_STORED
    assert methods["js/big.js"] == methods["index.html"] == zipfile.ZIP_DEFLATED


def test_the_zip_is_the_same_for_any_workers_and_streamed_or_whole_files(tmp_path, monkeypatch):
    root = build(tmp_path / "app", MIXED_FILES)
    files = _upload.directory_files(root)
    one = _upload.zip_directory(files, str(tmp_path / "one.zip"), workers=1)
    three = _upload.zip_directory(files, str(tmp_path / "three.zip"), workers=3)
    monkeypatch.setattr(_upload, "WHOLE_FILE", 100)  # nearly every file streamed block by block
    monkeypatch.setattr(_upload, "READ_BLOCK", 1000)
    streamed = _upload.zip_directory(files, str(tmp_path / "streamed.zip"), workers=2)
    monkeypatch.setattr(_upload, "INFLIGHT", 1)  # one file waiting at a time
    narrow = _upload.zip_directory(files, str(tmp_path / "narrow.zip"), workers=2)
    assert one == three == streamed == narrow
    with open(str(tmp_path / "one.zip"), "rb") as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == one[0]


def test_linked_files_are_followed_and_linked_directories_are_not(tmp_path):
    root = build(tmp_path / "app", APP_FILES)
    outside = build(tmp_path / "outside", {"shared.js": b"shared", "sub/x.js": b"x"})
    os.symlink(os.path.join(outside, "shared.js"), os.path.join(root, "linked.js"))
    os.symlink(os.path.join(outside, "sub"), os.path.join(root, "linked-dir"))
    os.symlink(os.path.join(outside, "missing.js"), os.path.join(root, "broken.js"))
    names = [name for name, path in _upload.directory_files(root)]
    assert names == sorted(list(APP_FILES) + ["linked.js"], key=lambda n: n.encode("utf-8"))


def test_too_many_entries_for_a_plain_zip(tmp_path):
    writer = _upload._ZipWriter(open(str(tmp_path / "many.zip"), "w+b"))
    for i in range(0x10000):
        writer.add("f%d" % i, zipfile.ZIP_STORED, 0, 0, b"")
    with pytest.raises(_upload.ContentError, match="more files .65536. or bytes than a zip without ZIP64"):
        writer.close()
    writer.stream.close()


# -- checksum cache ------------------------------------------------------------


def test_nothing_is_zipped_before_a_step_needs_it_and_a_cached_checksum_spares_the_zip(tmp_path):
    root = build(tmp_path / "app", APP_FILES)
    cache = _upload.ChecksumCache(str(tmp_path / "zips"))
    first = _upload.LocalBundle(root, tmpdir=str(tmp_path), cache=cache)
    assert first.zip_path is None and not os.path.exists(str(tmp_path / "zips"))  # checked, not zipped
    uploaded = first.prepare_upload()  # a new version: zipped once, the cache filled on the way
    assert first.zip_path == uploaded and os.listdir(str(tmp_path / "zips")) == [first.digest + ".json"]
    first.close()
    again = _upload.LocalBundle(root, tmpdir=str(tmp_path), cache=cache)
    assert (again.checksum, again.zip_size, again.size) == (first.checksum, first.zip_size, first.size)
    assert again.zip_path is None  # the checksum came from the cache: nothing zipped ...
    with open(again.prepare_upload(), "rb") as stream:  # ... until it is uploaded
        assert hashlib.sha256(stream.read()).hexdigest() == first.checksum
    again.close()
    with open(os.path.join(root, "assets", "z", "deep.txt"), "wb") as stream:
        stream.write(b"deeP")  # same size, other content: another digest
    changed = _upload.LocalBundle(root, tmpdir=str(tmp_path), cache=cache)
    assert changed.checksum != first.checksum and changed.zip_path is not None
    changed.close()


def test_the_zip_and_a_plain_read_give_the_same_content_digest(tmp_path, monkeypatch):
    files = _upload.directory_files(build(tmp_path / "app", MIXED_FILES))
    whole = _upload.zip_directory(files, str(tmp_path / "a.zip"))[2]
    monkeypatch.setattr(_upload, "WHOLE_FILE", 100)  # streamed files hash as they are read
    streamed = _upload.zip_directory(files, str(tmp_path / "b.zip"))[2]
    assert whole == streamed == _upload.content_digest(files)


def test_files_that_vanish_after_the_checks_fail_in_one_line(tmp_path):
    root = build(tmp_path / "app", APP_FILES)
    bundle = _upload.LocalBundle(root, tmpdir=str(tmp_path), cache=_upload.ChecksumCache(""))
    os.remove(os.path.join(root, "assets", "logo.svg"))
    with pytest.raises(_upload.ContentError, match="^cannot zip src .*logo.svg"):
        bundle.checksum
    bundle.close()


def test_unreadable_files_fail_the_checks(tmp_path, monkeypatch):
    root = build(tmp_path / "app", APP_FILES)
    denied = os.path.join(root, "assets", "logo.svg")
    access = os.access  # the tests run as root, who reads any file: the permission is what os.access says
    monkeypatch.setattr(os, "access", lambda path, mode: path != denied and access(path, mode))
    with pytest.raises(_upload.ContentError, match="files this user cannot read: assets/logo.svg$"):
        _upload.check_directory(root)


def test_the_cache_key_covers_names_and_the_zip_format(tmp_path, monkeypatch):
    root = build(tmp_path / "app", APP_FILES)
    files = _upload.directory_files(root)
    digest = _upload.content_digest(files)
    renamed = [(name + "x" if name == "assets/z/deep.txt" else name, path) for name, path in files]
    assert _upload.content_digest(renamed) != digest
    monkeypatch.setattr(_upload, "ZIP_FORMAT", _upload.ZIP_FORMAT + "; another zlib")
    assert _upload.content_digest(files) != digest


def test_a_stale_cache_entry_gives_way_to_the_zip_at_upload(tmp_path):
    root = build(tmp_path / "app", APP_FILES)
    key = _upload.BundleKey(open(KEY_PEM, "rb").read())
    cache = _upload.ChecksumCache(str(tmp_path / "zips"))
    cache.put(_upload.content_digest(_upload.directory_files(root)), "0" * 64, 10)
    bundle = _upload.LocalBundle(root, key=key, tmpdir=str(tmp_path), cache=cache)
    assert bundle.checksum == "0" * 64
    bundle.prepare_upload()
    real = zip_of(root, tmp_path, "real")
    assert (bundle.checksum, bundle.zip_size) == real[:2]
    assert key.decrypt_checksum(bundle.stored_checksum) == real[0]
    assert bundle.size == _upload.encrypted_size(real[1])
    bundle.close()
    assert cache.get(bundle.digest) == real[:2]


def test_the_cache_is_best_effort_and_bounded(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text(u"not a directory")
    broken = _upload.ChecksumCache(str(blocked / "zips"))
    broken.put("a" * 64, "b" * 64, 1)  # cannot be written: no failure
    assert broken.get("a" * 64) is None
    cache = _upload.ChecksumCache(str(tmp_path / "zips"))
    (tmp_path / "zips").mkdir()
    (tmp_path / "zips" / ("c" * 64 + ".json")).write_text(u"{not json")
    assert cache.get("c" * 64) is None
    monkeypatch.setattr(_upload.ChecksumCache, "KEEP", 2)
    for i, digest in enumerate(("1" * 64, "2" * 64, "3" * 64)):
        cache.put(digest, "%d" % i * 64, i)
        os.utime(cache.path(digest), (1000 + i, 1000 + i))
    assert cache.get("3" * 64) == ("2" * 64, 2) and len(os.listdir(str(tmp_path / "zips"))) == 2
    monkeypatch.setenv("CAPGO_CACHE_DIR", "")
    assert _upload.ChecksumCache().directory is None  # turned off
    monkeypatch.delenv("CAPGO_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _upload.ChecksumCache().directory == str(tmp_path / "xdg" / "capgo-cloud" / "zips")


def _bytes_file(tmp_path, data):
    path = str(tmp_path / "check.zip")
    with open(path, "wb") as stream:
        stream.write(data)
    return path


def test_zip_src_is_uploaded_as_is(tmp_path):
    path = str(tmp_path / "dist.zip")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in APP_FILES.items():
            archive.writestr(name, data)
    bundle = _upload.LocalBundle(path, tmpdir=str(tmp_path))
    with open(path, "rb") as stream:
        assert bundle.checksum == hashlib.sha256(stream.read()).hexdigest()
    assert bundle.zip_path == path and bundle.size == os.path.getsize(path)
    bundle.close()
    assert os.path.exists(path)


def test_temporary_files_are_removed(tmp_path):
    root = build(tmp_path / "app", APP_FILES)
    base = tmp_path / "tmp"
    base.mkdir()
    bundle = _upload.LocalBundle(root, key=_upload.BundleKey(open(KEY_PEM, "rb").read()), tmpdir=str(base))
    bundle.prepare_upload()
    assert len(os.listdir(os.path.join(str(base), os.listdir(str(base))[0]))) == 2
    bundle.close()
    assert os.listdir(str(base)) == []
    with pytest.raises(_upload.ContentError):  # a failed check leaves nothing either
        _upload.LocalBundle(build(tmp_path / "bad", {"index.html": b"x", "a.js": b"y"}), tmpdir=str(base))
    assert os.listdir(str(base)) == []


# -- content checks ----------------------------------------------------------


@pytest.mark.parametrize("files, code_check, message", [
    ({"js/app.js": b"notifyAppReady()"}, True, "index.html is missing at the root"),
    ({"www/index.html": b"x", "app.js": b"notifyAppReady()"}, True, "index.html is missing at the root"),
    ({"index.html": b"notifyAppReady()", "app.js": b"nothing"}, True, "notifyAppReady() is not called"),
    ({"index.html": b"x"}, True, "notifyAppReady() is not called"),
])
def test_content_checks(tmp_path, files, code_check, message):
    root = build(tmp_path / "app", files)
    with pytest.raises(_upload.ContentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _upload.check_directory(root, code_check)
    path = str(tmp_path / "app.zip")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(_upload.ContentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _upload.check_zip(path, code_check)


def test_code_check_false_skips_only_the_call(tmp_path):
    root = build(tmp_path / "app", {"index.html": b"x", "app.js": b"y"})
    _upload.check_directory(root, code_check=False)
    with pytest.raises(_upload.ContentError, match="index.html"):
        _upload.check_directory(build(tmp_path / "b", {"app.js": b"y"}), code_check=False)


def test_marker_across_read_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(_upload, "READ_BLOCK", 8)
    root = build(tmp_path / "app", {"index.html": b"x", "app.js": b"12345notifyAppReady()"})
    _upload.check_directory(root)


@pytest.mark.parametrize("make, message", [
    (lambda p: str(p / "missing"), "does not exist"),
    (lambda p: (p / "f.txt").write_text(u"x") and str(p / "f.txt"), "neither a directory nor a .zip"),
    (lambda p: (p / "e.zip").write_bytes(b"") == 0 and str(p / "e.zip"), "empty file"),
    (lambda p: "", "must not be empty"),
])
def test_source_problem(tmp_path, make, message):
    assert message in _upload.source_problem(make(tmp_path))


def test_bad_zip(tmp_path):
    path = tmp_path / "bad.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(_upload.ContentError, match="not a readable zip"):
        _upload.check_zip(str(path))


# -- encryption ------------------------------------------------------------------


def public_key():
    return serialization.load_pem_private_key(open(KEY_PEM, "rb").read(), None).public_key()


def test_key_id_and_checksum_match_openssl():
    key = _upload.BundleKey(open(KEY_PEM, "rb").read())
    assert key.key_id == KEY_ID
    assert key.encrypt_checksum(HELLO_SHA) == HELLO_SIGNED
    assert key.decrypt_checksum(HELLO_SIGNED) == HELLO_SHA
    # the older base64 form some updaters read
    legacy = base64.b64encode(key.private_encrypt(base64.b64decode(HELLO_SHA))).decode()
    assert key.decrypt_checksum(legacy) == HELLO_SHA
    assert key.decrypt_checksum("00" * 256) is None and key.decrypt_checksum("zz") is None


def test_encrypted_bundle_decrypts_to_the_zip(tmp_path):
    root = build(tmp_path / "app", APP_FILES)
    key = _upload.BundleKey(open(KEY_PEM, "rb").read())
    bundle = _upload.LocalBundle(root, key=key, tmpdir=str(tmp_path))
    path = bundle.prepare_upload()
    with open(path, "rb") as stream:
        encrypted = stream.read()
    with open(bundle.zip_path, "rb") as stream:
        plain = stream.read()
    assert len(encrypted) == bundle.size == _upload.encrypted_size(len(plain))
    # decrypt independently: the AES key with the public key (cryptography), then AES-128-CBC
    iv_b64, key_b64 = bundle.session_key.split(":")
    aes_key = public_key().recover_data_from_signature(base64.b64decode(key_b64), rsa_padding.PKCS1v15(), None)
    assert len(aes_key) == 16 and len(base64.b64decode(iv_b64)) == 16
    decryptor = Cipher(algorithms.AES(aes_key), modes.CBC(base64.b64decode(iv_b64))).decryptor()
    padded = decryptor.update(encrypted) + decryptor.finalize()
    assert padded[:-padded[-1]] == plain
    digest = public_key().recover_data_from_signature(bytes.fromhex(bundle.stored_checksum), rsa_padding.PKCS1v15(),
                                                      None)
    assert digest.hex() == bundle.checksum == hashlib.sha256(plain).hexdigest()
    assert bundle.key_id == KEY_ID and bundle.same_content(bundle.stored_checksum)
    # a fresh AES key and IV for every upload
    other = _upload.LocalBundle(root, key=key, tmpdir=str(tmp_path))
    other.prepare_upload()
    assert other.session_key != bundle.session_key and other.stored_checksum == bundle.stored_checksum
    # and the collection's own decryption gives the zip back
    out = str(tmp_path / "out.zip")
    key.decrypt_file(path, out, bundle.session_key)
    assert open(out, "rb").read() == plain
    bundle.close()
    other.close()


def test_keys_that_are_not_rsa_private_keys():
    with pytest.raises(ValueError, match="not an RSA private key"):
        _upload.BundleKey(open(EC_PEM, "rb").read())
    with pytest.raises(ValueError, match="not a PEM private key"):
        _upload.BundleKey(b"-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n")


# -- the protocol ------------------------------------------------------------------


def client(**kwargs):
    slept = []
    kwargs.setdefault("retries", 3)
    made = CapgoClient(KEY, api_url=API, sleep=slept.append, **kwargs)
    made.files_url = FILES
    made.slept = slept
    return made


def mock_config(rsps, files=None):
    rsps.add(responses.GET, API + "/private/config", json={"supaHost": SUPA, "supaKey": ANON})
    rsps.add(responses.GET, FILES + "/files/config",
             json=files or {"TUSUpload": True, "TUSUploadForced": True, "maxChunkSize": 10, "maxUploadLength": 1000})
    rsps.add(responses.GET, SUPA + "/rest/v1/apps", json={"owner_org": ORG})
    rsps.add(responses.POST, SUPA + "/rest/v1/rpc/get_user_id", json=USER)


def test_configure_reads_the_services_with_their_own_headers():
    up = _upload.HostedUpload(client(), APP, "1.0.0")
    with responses.RequestsMock() as rsps:
        mock_config(rsps)
        up.configure()
        calls = list(rsps.calls)
    assert up.supa_url == SUPA and up.owner_org == ORG and up.user_id == USER and up.chunk_size == 10
    assert "authorization" not in calls[0].request.headers  # /private/config takes no key
    rpc = calls[3].request
    assert rpc.headers["apikey"] == ANON and rpc.headers["authorization"] == "Bearer " + ANON
    assert rpc.headers["capgkey"] == KEY and json.loads(rpc.body) == {"apikey": KEY}
    assert calls[2].request.headers["accept"] == _upload.PGRST_OBJECT
    assert "app_id=eq.com.demo.app" in calls[2].request.url and "select=owner_org" in calls[2].request.url
    assert up.r2_path == "orgs/%s/apps/%s/1.0.0.zip" % (ORG, APP)


def test_version_row_upsert_and_r2_path():
    up = _upload.HostedUpload(client(), APP, "1.0.0")
    with responses.RequestsMock() as rsps:
        mock_config(rsps)
        rsps.add(responses.POST, SUPA + "/rest/v1/app_versions", status=201)
        rsps.add(responses.PATCH, SUPA + "/rest/v1/app_versions", status=204)
        up.configure()
        up.version_row({"checksum": "c", "storage_provider": "r2-direct"})
        up.set_row({"r2_path": up.r2_path}, "finalize")
        upsert, patch = rsps.calls[4].request, rsps.calls[5].request
    assert "on_conflict=name%2Capp_id" in upsert.url and upsert.headers["prefer"] == "resolution=merge-duplicates"
    assert json.loads(upsert.body) == {"checksum": "c", "storage_provider": "r2-direct", "name": "1.0.0",
                                       "app_id": APP, "owner_org": ORG, "user_id": USER}
    assert "name=eq.1.0.0" in patch.url and json.loads(patch.body) == {"r2_path": up.r2_path}


@pytest.mark.parametrize("step, setup, line", [
    ("config", lambda r: r.add(responses.GET, API + "/private/config", status=500, body="boom"),
     "upload step 'config' failed: GET /private/config failed: HTTP 500 http_500: boom"),
    ("version row", lambda r: (mock_config(r), r.add(
        responses.POST, SUPA + "/rest/v1/app_versions", status=403,
        json={"code": "42501", "message": "new row violates row-level security policy for table \"app_versions\""})),
     "upload step 'version row' failed: POST /rest/v1/app_versions failed: HTTP 403 42501: new row violates "
     "row-level security policy for table \"app_versions\""),
])
def test_each_step_fails_in_one_line(step, setup, line):
    up = _upload.HostedUpload(client(retries=0), APP, "1.0.0")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        setup(rsps)
        with pytest.raises(_upload.UploadError) as info:
            up.configure()
            up.version_row({"checksum": "c"})
    assert str(info.value) == line and info.value.step == step
    assert KEY not in str(info.value) and "\n" not in str(info.value)


def test_an_error_never_shows_the_key():
    up = _upload.HostedUpload(client(retries=0), APP, "1.0.0")
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, API + "/private/config", status=400, json={"error": "bad", "message": "key " + KEY})
        with pytest.raises(_upload.UploadError) as info:
            up.configure()
    assert KEY not in str(info.value) and "********" in str(info.value)


def test_config_is_retried_on_503():
    made = client()
    up = _upload.HostedUpload(made, APP, "1.0.0")
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, API + "/private/config", status=503)
        mock_config(rsps)
        up.configure()
    assert len(made.slept) == 1


def test_every_request_uses_the_clients_timeout_and_tls(monkeypatch):
    made = client(timeout=7.5, ca_path=KEY_PEM)
    seen = []
    real = made.session.request

    def spy(method, url, **kwargs):
        seen.append((kwargs["timeout"], kwargs["verify"]))
        return real(method, url, **kwargs)
    monkeypatch.setattr(made.session, "request", spy)
    up = _upload.HostedUpload(made, APP, "1.0.0")
    with responses.RequestsMock() as rsps:
        mock_config(rsps)
        up.configure()
    assert seen and set(seen) == {(7.5, KEY_PEM)}


def tus_body(request):
    body = request.body
    return body.read() if hasattr(body, "read") else (body or b"")


def payload(tmp_path, size=25):
    path = str(tmp_path / "up.bin")
    with open(path, "wb") as stream:
        stream.write(bytes(bytearray(range(size))))
    return path


def configured(made=None):
    up = _upload.HostedUpload(made or client(), APP, "1.0.0")
    up.supa_url, up.anon_key, up.owner_org, up.user_id = SUPA, ANON, ORG, USER
    up.files = {"maxChunkSize": 10}
    return up


def test_tus_uploads_chunk_by_chunk(tmp_path):
    path = payload(tmp_path)
    got = []
    up = configured()

    def patch(request):
        data = tus_body(request)
        got.append((int(request.headers["upload-offset"]), data))
        assert request.headers["content-type"] == "application/offset+octet-stream"
        assert request.headers["authorization"] == KEY and request.headers["tus-resumable"] == "1.0.0"
        return 204, {"Upload-Offset": str(int(request.headers["upload-offset"]) + len(data))}, ""
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, FILES + "/files/upload/attachments/", status=201,
                 headers={"Location": "/files/upload/attachments/abc123"})
        rsps.add_callback(responses.PATCH, LOCATION, callback=patch)
        up.tus_upload(path, 25)
        create = rsps.calls[0].request
    assert [(o, len(d)) for o, d in got] == [(0, 10), (10, 10), (20, 5)]
    assert b"".join(d for o, d in got) == open(path, "rb").read()
    assert create.headers["upload-length"] == "25" and create.headers["authorization"] == KEY
    meta = dict(item.split(" ") for item in create.headers["upload-metadata"].split(","))
    assert base64.b64decode(meta["filename"]).decode() == "orgs/%s/apps/%s/1.0.0.zip" % (ORG, APP)
    assert base64.b64decode(meta["filetype"]).decode() == "application/zip"


def test_a_lost_patch_resumes_from_the_servers_offset(tmp_path):
    path = payload(tmp_path)
    log = []
    state = {"offset": 0, "dropped": False}
    up = configured()

    def patch(request):
        data = tus_body(request)
        offset = int(request.headers["upload-offset"])
        log.append(("PATCH", offset))
        assert offset == state["offset"]
        state["offset"] += len(data)
        if offset == 10 and not state["dropped"]:
            state["offset"] = 15  # the server kept half of the chunk, then the connection dropped
            state["dropped"] = True
            raise requests.exceptions.ConnectionError("connection reset")
        return 204, {"Upload-Offset": str(state["offset"])}, ""

    def head(request):
        log.append(("HEAD", state["offset"]))
        return 200, {"Upload-Offset": str(state["offset"]), "Upload-Length": "25"}, ""
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, FILES + "/files/upload/attachments/", status=201, headers={"Location": LOCATION})
        rsps.add_callback(responses.PATCH, LOCATION, callback=patch)
        rsps.add_callback(responses.HEAD, LOCATION, callback=head)
        up.tus_upload(path, 25)
        posts = [c for c in rsps.calls if c.request.method == "POST"]
    assert log == [("PATCH", 0), ("PATCH", 10), ("HEAD", 15), ("PATCH", 15)]
    assert len(posts) == 1 and state["offset"] == 25


def test_an_upload_the_server_lost_starts_again_from_zero(tmp_path):
    path = payload(tmp_path)
    log = []
    up = configured()
    calls = {"n": 0}

    def patch(request):
        offset = int(request.headers["upload-offset"])
        data = tus_body(request)
        log.append((request.url.rsplit("/", 1)[1], offset))
        calls["n"] += 1
        if calls["n"] == 2:
            return 503, {}, ""
        return 204, {"Upload-Offset": str(offset + len(data))}, ""
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, FILES + "/files/upload/attachments/", status=201, headers={"Location": LOCATION})
        rsps.add(responses.POST, FILES + "/files/upload/attachments/", status=201,
                 headers={"Location": LOCATION + "b"})
        rsps.add_callback(responses.PATCH, LOCATION, callback=patch)
        rsps.add_callback(responses.PATCH, LOCATION + "b", callback=patch)
        rsps.add(responses.HEAD, LOCATION, status=404)
        up.tus_upload(path, 25)
    assert log == [("abc123", 0), ("abc123", 10), ("abc123b", 0), ("abc123b", 10), ("abc123b", 20)]


def test_a_refused_patch_is_not_retried(tmp_path):
    path = payload(tmp_path)
    up = configured()
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, FILES + "/files/upload/attachments/", status=201, headers={"Location": LOCATION})
        rsps.add(responses.PATCH, LOCATION, status=403, json={"error": "not_authorized", "message": "no"})
        with pytest.raises(_upload.UploadError) as info:
            up.tus_upload(path, 25)
    assert str(info.value) == ("upload step 'upload' failed: PATCH /files/upload/attachments/abc123 failed: HTTP 403 "
                               "not_authorized: no")


def test_recoveries_are_bounded_by_retries(tmp_path):
    path = payload(tmp_path)
    up = configured(client(retries=2))
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, FILES + "/files/upload/attachments/", status=201, headers={"Location": LOCATION})
        rsps.add(responses.PATCH, LOCATION, body=requests.exceptions.ConnectionError("reset"))
        rsps.add(responses.HEAD, LOCATION, headers={"Upload-Offset": "0"})
        with pytest.raises(_upload.UploadError) as info:
            up.tus_upload(path, 25)
        heads = [c for c in rsps.calls if c.request.method == "HEAD"]
    assert len(heads) == 2 and info.value.step == "upload" and info.value.error == "write_answer_lost"


def test_delete_failed_version():
    up = configured()
    with responses.RequestsMock() as rsps:
        rsps.add(responses.DELETE, SUPA + "/functions/v1/private/delete_failed_version", json={"status": "ok"})
        assert up.delete_failed() is None
        request = rsps.calls[0].request
    assert json.loads(request.body) == {"app_id": APP, "name": "1.0.0"}
    assert request.headers["authorization"] == "Bearer " + ANON and request.headers["capgkey"] == KEY
