"""Capgo's CLI 8.68.1 against the emulator: what it sends is what Capgo's backend takes, and
what the emulator stores is what the CLI meant (issue 19, "Proof against the real client")."""

import base64
import hashlib
import io
import subprocess
import zipfile

from conftest import APP_ID, KEY_READER, ORG_ID


def calls(emu, service_prefix):
    return [(e["method"], e["path"], e["status"]) for e in emu.log()
            if e["path"].startswith(service_prefix)]


def stored_bytes(emu, r2_path):
    resp = emu.http.get(emu.base_url + "/files/read/attachments/" + r2_path, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.content


def test_upload_plain_bundle(project, emu):
    project.cli("bundle", "upload", "--bundle", "2.0.0", "--path", "dist")
    row = emu.bundle("2.0.0")
    path = "orgs/%s/apps/%s/2.0.0.zip" % (ORG_ID, APP_ID)
    assert row["storage_provider"] == "r2"
    assert row["r2_path"] == path
    assert row["cli_version"] == "8.68.1"
    assert row["session_key"] is None and row["key_id"] is None
    data = stored_bytes(emu, path)
    assert hashlib.sha256(data).hexdigest() == row["checksum"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["app.js", "index.html"]
    # the protocol of capgo-api.md §8: version row in r2-direct, TUS, r2_path, ready
    tus = calls(emu, "/files/upload/attachments")
    assert tus[0] == ("POST", "/files/upload/attachments/", 201)
    assert all(c == ("PATCH", "/files/upload/attachments/" + path, 204) for c in tus[1:])
    rest = calls(emu, "/rest/v1/app_versions")
    assert rest == [("POST", "/rest/v1/app_versions", 201),
                    ("PATCH", "/rest/v1/app_versions", 204),
                    ("POST", "/rest/v1/app_versions", 201)]
    # the public API shows it (with native_packages, issue 20)
    listed = emu.api("GET", "/bundle", params={"app_id": APP_ID}).json()
    wire = next(b for b in listed if b["name"] == "2.0.0")
    assert wire["storage_provider"] == "r2" and wire["checksum"] == row["checksum"]
    assert "native_packages" in wire
    # the upload links the bundle to the app's default upload channel
    assert emu.channel("dev")["version"] == "2.0.0"


def _openssl(*args, data):
    return subprocess.run(["openssl"] + list(args), input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=True).stdout


def test_upload_encrypted_bundle_with_a_key_made_by_the_cli(project, emu):
    project.cli("key", "create", key=None)
    assert (project.path / ".capgo_key_v2").exists()
    project.write_config()
    out = project.cli("bundle", "upload", "--bundle", "2.1.0", "--path", "dist").stdout
    row = emu.bundle("2.1.0")
    assert row["storage_provider"] == "r2", out
    iv_b64, dummy, key_b64 = row["session_key"].partition(":")
    assert iv_b64 and key_b64 and row["key_id"]
    # the AES key was RSA-encrypted with the private key: the public key recovers it
    pub = project.path / ".capgo_key_v2.pub"
    pub_file = str(pub)
    aes_key = _openssl("pkeyutl", "-verifyrecover", "-pubin", "-inkey", pub_file,
                       "-pkeyopt", "rsa_padding_mode:pkcs1", data=base64.b64decode(key_b64))
    assert len(aes_key) == 16
    stored = stored_bytes(emu, row["r2_path"])
    plain = _openssl("enc", "-d", "-aes-128-cbc", "-K", aes_key.hex(),
                     "-iv", base64.b64decode(iv_b64).hex(), data=stored)
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        assert "index.html" in archive.namelist()
    # the checksum is the zip's SHA-256, RSA-encrypted in the hex "v3" form
    signed = _openssl("pkeyutl", "-verifyrecover", "-pubin", "-inkey", pub_file,
                      "-pkeyopt", "rsa_padding_mode:pkcs1", data=bytes.fromhex(row["checksum"]))
    assert hashlib.sha256(plain).hexdigest() in (signed.decode("latin-1"), signed.hex())


def test_bundle_list_shows_the_upload(project, emu):
    project.cli("bundle", "upload", "--bundle", "2.2.0", "--path", "dist")
    out = project.cli("bundle", "list").stdout
    assert "2.2.0" in out and "1.0.0" in out
    assert ("GET", "/rest/v1/app_versions", 200) in calls(emu, "/rest/v1/") or \
        any(e["path"].endswith("/bundle") for e in emu.log())


def test_bundle_delete_deletes_it(project, emu):
    project.cli("bundle", "upload", "--bundle", "2.3.0", "--path", "dist")
    # unlink it first (the seeded 1.0.0 records other native packages: not the point here)
    project.cli("channel", "set", "dev", "--bundle", "1.0.0", "--ignore-metadata-check")
    project.cli("bundle", "delete", "2.3.0")
    row = emu.bundle("2.3.0")
    assert row is None or row["deleted"] is True
    listed = emu.api("GET", "/bundle", params={"app_id": APP_ID}).json()
    assert "2.3.0" not in [b["name"] for b in listed]


def test_uploading_an_existing_version_fails_like_capgo(project, emu):
    project.cli("bundle", "upload", "--bundle", "2.4.0", "--path", "dist")
    before = emu.bundle("2.4.0")
    emu.control("DELETE", "/requests")
    (project.path / "dist" / "extra.js").write_text("console.log('changed')\n")
    proc = project.cli("bundle", "upload", "--bundle", "2.4.0", "--path", "dist", check=False)
    assert proc.returncode != 0
    assert "Version 2.4.0 already exists" in proc.stdout
    assert calls(emu, "/files/") == [("GET", "/files/config", 200)]   # nothing uploaded
    assert emu.bundle("2.4.0") == before


def test_reader_key_cannot_upload(project, emu):
    proc = project.cli("bundle", "upload", "--bundle", "2.5.0", "--path", "dist",
                       key=KEY_READER, check=False)
    assert proc.returncode != 0
    assert emu.bundle("2.5.0") is None
    assert not calls(emu, "/files/upload")


def test_channel_set_serves_the_uploaded_bundle(project, emu):
    project.cli("bundle", "upload", "--bundle", "2.6.0", "--path", "dist")
    project.cli("channel", "set", "production", "--bundle", "2.6.0")
    assert emu.channel("production")["version"] == "2.6.0"
    chan = emu.api("GET", "/channel", params={"app_id": APP_ID, "channel": "production"}).json()
    assert chan["version"]["name"] == "2.6.0"


def test_dropped_patch_is_resumed_from_the_offset(project, emu):
    emu.control("POST", "/faults", {"method": "PATCH", "path": "^/files/upload/attachments/",
                                    "drop": True, "times": 1})
    project.cli("bundle", "upload", "--bundle", "2.7.0", "--path", "dist")
    row = emu.bundle("2.7.0")
    assert row["storage_provider"] == "r2"
    assert hashlib.sha256(stored_bytes(emu, row["r2_path"])).hexdigest() == row["checksum"]
    tus = [(c[0], c[2]) for c in calls(emu, "/files/upload/attachments")]
    assert tus[:2] == [("POST", 201), ("PATCH", None)]
    assert ("HEAD", 200) in tus[2:]
    assert tus[-1] == ("PATCH", 204)


def test_failed_upload_is_cleaned_with_delete_failed_version(project, emu):
    emu.control("POST", "/faults", {"method": "PATCH", "path": "^/files/upload/attachments/",
                                    "status": 403, "times": 10})
    proc = project.cli("bundle", "upload", "--bundle", "2.8.0", "--path", "dist", check=False)
    assert proc.returncode != 0
    assert emu.bundle("2.8.0") is None   # the r2-direct row is gone: the next run starts clean
    # 8.68.1 asks the API worker (DELETE {localApi}/private/delete_failed_version)
    assert [(e["method"], e["status"]) for e in emu.log()
            if e["path"].endswith("/private/delete_failed_version")] == [("DELETE", 200)]
