"""The collection (capgo.cloud, run by ansible-core) and Capgo's CLI 8.68.1 on the same emulator: each
reads, decrypts and serves what the other uploaded (issue 19, "Proof against the real client").

The collection runs from $CAPGO_INTEROP_ANSIBLE_BIN (the bin/ of a venv with ansible-core and
cryptography; default: the first .venvs/core-*/bin), reached through ANSIBLE_COLLECTIONS_PATH.
"""

import hashlib
import io
import zipfile

import pytest

from conftest import APP_ID


def writes(emu):
    """Requests that could change something (not reads, not the user lookup RPC, not analytics events)."""
    return [(e["method"], e["path"]) for e in emu.log()
            if e["method"] not in ("GET", "HEAD") and not e["path"].endswith("/rpc/get_user_id")]


def stored_bytes(emu, r2_path):
    resp = emu.http.get(emu.base_url + "/files/read/attachments/" + r2_path, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.content


def info_bundle(collection, version):
    result = collection.run("capgo_info", resource="bundles", app_id=APP_ID)
    assert not result.get("failed"), result
    return next((b for b in result["bundles"] if b["name"] == version), None)


def decrypt_with_the_collection(collection, key_path, session_key, src, dest):
    collection.python_eval(
        "key = _upload.BundleKey(open(%r, 'rb').read())\nkey.decrypt_file(%r, %r, %r)\n"
        % (key_path, src, dest, session_key))


def cli_key(project):
    project.cli("key", "create", key=None)
    project.write_config()
    return str(project.path / ".capgo_key_v2")


# -- (a) the CLI uploads, the collection sees it, converges, decrypts -------------------------------

@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_the_collection_converges_on_what_the_cli_uploaded(project, emu, collection, encrypted, tmp_path):
    key = cli_key(project) if encrypted else None
    project.cli("bundle", "upload", "--bundle", "3.0.0", "--path", "dist")
    row = emu.bundle("3.0.0")
    seen = info_bundle(collection, "3.0.0")
    assert seen is not None and seen["checksum"] == row["checksum"]
    assert seen.get("storage_provider", "r2") == "r2"
    # the bytes Capgo stored are the CLI's zip (decrypted by the collection's own code)
    stored = tmp_path / "stored.bin"
    stored.write_bytes(stored_bytes(emu, row["r2_path"]))
    cli_zip = tmp_path / "cli.zip"
    if encrypted:
        decrypt_with_the_collection(collection, key, row["session_key"], str(stored), str(cli_zip))
        assert collection.python_eval(
            "print(_upload.BundleKey(open(%r, 'rb').read()).decrypt_checksum(%r))" % (key, row["checksum"])
        ).strip() == hashlib.sha256(cli_zip.read_bytes()).hexdigest()
    else:
        cli_zip.write_bytes(stored.read_bytes())
        assert hashlib.sha256(cli_zip.read_bytes()).hexdigest() == row["checksum"]
    with zipfile.ZipFile(io.BytesIO(cli_zip.read_bytes())) as archive:
        assert sorted(archive.namelist()) == ["app.js", "index.html"]
    # the collection, given the same content (the CLI's zip), converges: ok, only reads
    emu.control("DELETE", "/requests")
    args = dict(app_id=APP_ID, version="3.0.0", src=str(cli_zip))
    if encrypted:
        args["encryption_key"] = key
    result = collection.run("capgo_bundle", **args)
    assert not result.get("failed"), result
    assert result["changed"] is False, result
    assert writes(emu) == []
    assert emu.bundle("3.0.0") == row


# -- (b) the collection uploads, the CLI lists, decrypts and serves it ------------------------------

@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_the_cli_lists_decrypts_and_serves_what_the_collection_uploaded(
        project, emu, collection, encrypted, tmp_path):
    key = cli_key(project) if encrypted else None
    args = dict(app_id=APP_ID, version="3.1.0", src=str(project.path / "dist"))
    if encrypted:
        args["encryption_key"] = key
    result = collection.run("capgo_bundle", **args)
    assert not result.get("failed") and result["changed"] is True, result
    row = emu.bundle("3.1.0")
    assert row["storage_provider"] == "r2" and (row["session_key"] is not None) == encrypted
    assert "3.1.0" in project.cli("bundle", "list").stdout
    # the original zip: the collection's deterministic zip of dist/
    original = tmp_path / "original.zip"
    collection.python_eval("_upload.zip_directory(_upload.check_directory(%r), %r)"
                           % (str(project.path / "dist"), str(original)))
    stored = tmp_path / "stored.zip"
    stored.write_bytes(stored_bytes(emu, row["r2_path"]))
    if encrypted:
        out = project.cli("bundle", "decrypt", str(stored), row["session_key"], "--key", key,
                          "--checksum", row["checksum"], key=None).stdout
        decrypted = tmp_path / "stored.zip_decrypted.zip"   # where 8.68.1 writes it
        assert decrypted.exists() and "Checksum matches" in out, out
        assert decrypted.read_bytes() == original.read_bytes()
    else:
        assert stored.read_bytes() == original.read_bytes()
        assert row["checksum"] == hashlib.sha256(original.read_bytes()).hexdigest()
    project.cli("channel", "set", "production", "--bundle", "3.1.0")
    chan = emu.api("GET", "/channel", params={"app_id": APP_ID, "channel": "production"}).json()
    assert chan["version"]["name"] == "3.1.0"


# -- (c) an existing version: the CLI refuses as Capgo does, the collection converges --------------

def test_the_cli_refuses_an_existing_version_and_the_collection_converges(project, emu, collection):
    result = collection.run("capgo_bundle", app_id=APP_ID, version="3.2.0", src=str(project.path / "dist"))
    assert result["changed"] is True, result
    before = emu.bundle("3.2.0")
    emu.control("DELETE", "/requests")
    proc = project.cli("bundle", "upload", "--bundle", "3.2.0", "--path", "dist", check=False)
    assert proc.returncode != 0
    assert "Version 3.2.0 already exists" in proc.stdout
    assert [c for c in writes(emu) if "/files/upload" in c[1] or c[1] == "/rest/v1/app_versions"] == []
    emu.control("DELETE", "/requests")
    again = collection.run("capgo_bundle", app_id=APP_ID, version="3.2.0", src=str(project.path / "dist"))
    assert not again.get("failed") and again["changed"] is False, again
    assert writes(emu) == []
    assert emu.bundle("3.2.0") == before
