"""The files worker (capgo-api.md §8, backend ``files/files.ts``, ``files/uploadHandler.ts``):
``/files/config``, TUS 1.0.0 uploads under ``/files/upload/attachments``, the public read
route, ``upload_link`` and the presigned ``PUT`` it hands out.

An upload's bytes go to the blob directory (blobs.py) as they arrive; its metadata row
(table ``uploads``: key, offset, length, checksum, content type) and, once complete, the
stored object's row (table ``files``) are in the state. A PATCH holds ``state.lock`` only
while it checks and while it records the new offset, never while it reads the body; one
upload takes one PATCH at a time (as the backend's durable object does).
"""

import base64
import binascii
import email.utils
import hashlib
import hmac
import os
import threading
import urllib.parse

from ..errors import ApiError
from ..services import Raw
from . import route

MAX_UPLOAD_LENGTH = 1024 * 1024 * 1024          # 1 GiB
MAX_CHUNK_SIZE = 1024 * 1024 * 99               # 99 MiB
ALERT_UPLOAD_SIZE = 1024 * 1024 * 20            # 20 MiB
UPLOAD_EXPIRATION = 24 * 3600                   # an unfinished upload lives a day
UPLOAD_LINK_TTL = 20 * 60                       # presigned PUT URLs: 20 minutes
TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-defer-length,creation-with-upload,expiration"
TUS_CONTENT_TYPE = "application/offset+octet-stream"
ALLOWED_HEADERS = ("Authorization, Content-Type, Location, Tus-Extension, Tus-Max-Size, "
                   "Tus-Resumable, Tus-Version, Upload-Concat, Upload-Defer-Length, "
                   "Upload-Length, Upload-Metadata, Upload-Offset, X-HTTP-Method-Override, "
                   "X-Requested-With, X-Forwarded-Host, X-Forwarded-Proto, Forwarded")
ALLOWED_METHODS = "POST, HEAD, PATCH, OPTIONS, DELETE"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Expose-Headers": ALLOWED_HEADERS}

_upload_locks = {}
_upload_locks_guard = threading.Lock()


def _upload_lock(key):
    with _upload_locks_guard:
        return _upload_locks.setdefault(key, threading.Lock())


def _http_date(ts):
    return email.utils.formatdate(ts, usegmt=True)


def _text(status, text):
    return Raw(status, text.encode("utf-8"), mimetype="text/plain")


def _int_header(headers, name):
    """None when absent, the integer, or NaN-like False when it does not parse."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return False


def _b64decode(value):
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_upload_metadata(headers):
    """The TUS Upload-Metadata header: {"filename", "filetype"} (parse.ts)."""
    raw = headers.get("Upload-Metadata")
    out = {}
    if raw is None:
        return out
    for pair in raw.split(","):
        parts = pair.strip().split(" ", 1)
        key = parts[0]
        if not key:
            raise ApiError("unknown_error", "upload-metadata entries must have keys", 400)
        if len(parts) < 2:
            continue
        data = _b64decode(parts[1].strip())
        if data is None:
            raise ApiError("unknown_error", "upload metadata must be base64 encoded", 400)
        if key in ("filename", "filetype"):
            out[key] = data.decode("utf-8", "replace")
    return out


def scoped_path(file_id):
    """("scoped", owner_org, app_id), ("invalid",) or None (parseAppScopedAttachmentPath)."""
    if not isinstance(file_id, str):
        return None
    parts = file_id.split("/")
    if parts[0] != "orgs":
        return None
    if (len(parts) < 5 or not parts[1] or parts[2] != "apps" or not parts[3]
            or any(not p for p in parts[4:])):
        return ("invalid",)
    return ("scoped", parts[1], parts[3])


def check_write_access(ctx, file_id):
    """The key, ``app.upload_bundle`` on the path's app, the path's org owning the app, and no
    ready bundle at that path (checkWriteAppAccess). Returns the principal."""
    principal = ctx.auth_key()
    scope = scoped_path(file_id)
    if not scope or scope[0] != "scoped":
        raise ApiError("invalid_file_path",
                       "Invalid file path structure. Expected: orgs/{owner_org}/apps/{app_id}/...",
                       400, more_info={"fileId": file_id})
    owner_org, app_id = scope[1], scope[2]
    st = ctx.state
    app = st.app_by_app_id(app_id)
    if app is None or not principal.has_perm("app.upload_bundle", app=app):
        raise ApiError("insufficient_permissions",
                       "You don't have permission to access this app", 403,
                       more_info={"app_id": app_id})
    if app["owner_org"] != owner_org:
        raise ApiError("owner_org_mismatch",
                       "The owner organization in the file path does not match the app's "
                       "owner organization", 403,
                       more_info={"app_id": app_id, "filePathOwnerOrg": owner_org,
                                  "actualOwnerOrg": app["owner_org"]})
    for b in st.bundles_of(app_id):
        if (b.get("owner_org") == owner_org and b.get("r2_path") == file_id
                and not b.get("deleted") and b.get("storage_provider") != "r2-direct"):
            raise ApiError("bundle_already_ready",
                           "Bundle content cannot be changed after upload is complete. "
                           "Upload a new bundle instead.", 409, more_info={"app_id": app_id})
    return principal


def _upload_row(st, key):
    for row in st.uploads:
        if row["key"] == key:
            return row
    return None


def _file_row(st, key):
    for row in st.files:
        if row["key"] == key:
            return row
    return None


def _drop_upload(st, key):
    st.uploads[:] = [u for u in st.uploads if u["key"] != key]
    try:
        os.remove(st.blobs.part_path(key))
    except OSError:
        pass


def store_object(st, key, size, digest, content_type, checksum=None):
    """Record a stored object's metadata row (its bytes are already in the blob store)."""
    st.files[:] = [f for f in st.files if f["key"] != key]
    row = {"key": key, "size": size, "sha256": digest, "content_type": content_type,
           "checksum": checksum, "created_at": st.stamp()}
    st.files.append(row)
    return row


def _tus_headers(st, row=None, extra=None):
    headers = {"Tus-Resumable": TUS_VERSION}
    headers.update(CORS)
    if row is not None:
        headers["Upload-Expires"] = _http_date(row["expires_at"])
    headers.update(extra or {})
    return headers


# ------------------------------------------------------------------ config

@route("GET", "/files/config", service="files")
def files_config(ctx):
    return {"partialUpload": False, "partialUploadForced": False,
            "maxUploadLength": MAX_UPLOAD_LENGTH, "maxChunkSize": MAX_CHUNK_SIZE,
            "alertUploadSize": ALERT_UPLOAD_SIZE, "TUSUpload": True, "TUSUploadForced": True}


# ------------------------------------------------------------------ TUS

def _options(ctx, **_):
    return Raw(204, None, dict(CORS, **{
        "Tus-Resumable": TUS_VERSION, "Tus-Version": TUS_VERSION,
        "Tus-Max-Size": str(MAX_UPLOAD_LENGTH), "Tus-Extension": TUS_EXTENSIONS}))


for _pattern in ("/files/upload/attachments", "/files/upload/attachments/",
                 "/files/upload/attachments/<path:file_id>"):
    route("OPTIONS", _pattern, service="files")(_options)


def _create(ctx):
    meta = parse_upload_metadata(ctx.headers)
    key = meta.get("filename")
    if key is None:
        return 404, {"error": "not_found", "message": "Not found"}
    if "/" not in key:
        try:
            decoded = base64.b64decode(key, validate=True).decode("utf-8")
            key = decoded
        except (binascii.Error, ValueError, UnicodeDecodeError):
            pass
    check_write_access(ctx, key)
    st = ctx.state
    existing = _upload_row(st, key)
    if existing is not None and existing["offset"] > 0:
        _drop_upload(st, key)
        raise ApiError("duplicate_upload", "Upload already exists", 409,
                       more_info={"r2Key": key, "existingUploadOffset": existing["offset"]})
    content_type = ctx.headers.get("Content-Type")
    if content_type is not None and \
            content_type.split(";", 1)[0].strip().lower() != TUS_CONTENT_TYPE:
        raise ApiError("invalid_content_type",
                       "Create only supports application/offset+octet-stream content-type", 415,
                       more_info={"contentType": content_type})
    length = _int_header(ctx.headers, "Content-Length")
    if length and content_type is None:
        raise ApiError("missing_content_type",
                       "Body requires application/offset+octet-stream content-type", 415)
    upload_length = _int_header(ctx.headers, "Upload-Length")
    defer = _int_header(ctx.headers, "Upload-Defer-Length")
    if upload_length in (None, False) and defer in (None, False):
        raise ApiError("missing_upload_length",
                       "Must contain Upload-Length or Upload-Defer-Length header", 400)
    if defer not in (None, False) and defer != 1 or defer is False:
        raise ApiError("bad_upload_defer_length", "Invalid Upload-Defer-Length value", 400)
    checksum = ctx.headers.get("X-Checksum-Sha256")
    if checksum is not None:
        raw = _b64decode(checksum)
        if raw is None:
            raise ApiError("unknown_error", "checksum should be base64", 400)
        if len(raw) != 32:
            raise ApiError("unknown_error", "SHA-256 checksum should be 32 bytes", 400)
    _drop_upload(st, key)
    row = {"key": key, "offset": 0,
           "upload_length": upload_length if upload_length not in (None, False) else None,
           "checksum": checksum, "content_type": meta.get("filetype"),
           "created_at": st.stamp(), "expires_at": st.now() + UPLOAD_EXPIRATION}
    st.uploads.append(row)
    st.blobs.start(key)
    base = ctx.request.base_url
    if not base.endswith("/"):
        base += "/"
    location = base + "/".join(urllib.parse.quote(seg, safe="") for seg in key.split("/"))
    offset = 0
    if content_type is not None and length:
        offset = _append(ctx, row, key)
    return Raw(201, None, _tus_headers(st, row, {"Location": location,
                                                 "Upload-Offset": str(offset)}))


route("POST", "/files/upload/attachments", service="files")(_create)
route("POST", "/files/upload/attachments/", service="files")(_create)


@route("GET", "/files/upload/attachments/<path:file_id>", service="files")
def upload_head(ctx, file_id):
    """HEAD with Tus-Resumable: the upload's offset (the stored object's size once it is
    complete); otherwise a read of the stored object, like the read route."""
    check_write_access(ctx, file_id)
    st = ctx.state
    if ctx.method != "HEAD" or ctx.headers.get("Tus-Resumable") is None:
        return _read(ctx, file_id)
    row = _upload_row(st, file_id)
    if row is None:
        obj = _file_row(st, file_id)
        if obj is None:
            return 404, {"error": "not_found", "message": "Not Found"}
        return Raw(200, None, _tus_headers(st, None, {
            "Upload-Offset": str(obj["size"]), "Upload-Length": str(obj["size"]),
            "Cache-Control": "no-store", "Upload-Expires": _http_date(st.now())}))
    extra = {"Upload-Offset": str(row["offset"]), "Cache-Control": "no-store"}
    if row["upload_length"] is not None:
        extra["Upload-Length"] = str(row["upload_length"])
    return Raw(200, None, _tus_headers(st, row, extra))


def _append(ctx, row, key):
    """Read the body into the upload at its offset; finish the upload when complete. Called
    without state.lock for PATCH (with it for a creation-with-upload POST)."""
    st = ctx.state
    offset = row["offset"]
    if (row["upload_length"] or 0) > MAX_UPLOAD_LENGTH:
        with st.lock:
            _drop_upload(st, key)
        raise ApiError("unknown_error", "Upload-Length exceeds maximum upload size", 413)
    limit = MAX_UPLOAD_LENGTH - offset
    if row["upload_length"] is not None:
        limit = min(limit, row["upload_length"] - offset)
    written = st.blobs.append(key, offset, ctx.request.stream, limit)
    if written > limit:
        with st.lock:
            _drop_upload(st, key)
        raise ApiError("unknown_error", "body exceeds Upload-Length", 413)
    with st.lock:
        if _upload_row(st, key) is not row:  # re-created or dropped meanwhile
            raise ApiError("not_found", "Not Found", 404)
        row["offset"] = offset + written
        if row["upload_length"] is not None and row["offset"] == row["upload_length"]:
            size, digest = st.blobs.finish(key)
            if row.get("checksum"):
                expected = _b64decode(row["checksum"])
                if expected != bytes.fromhex(digest):
                    st.blobs.delete(key)
                    _drop_upload(st, key)
                    raise ApiError(
                        "unknown_error",
                        "The SHA-256 checksum you specified %s did not match what we received %s."
                        % (base64.b64encode(bytes.fromhex(digest)).decode(), row["checksum"]),
                        415)
            store_object(st, key, size, digest, row.get("content_type"), row.get("checksum"))
            _drop_upload(st, key)
        st.save()
    return row["offset"]


@route("PATCH", "/files/upload/attachments/<path:file_id>", service="files", locked=False)
def upload_patch(ctx, file_id):
    st = ctx.state
    with st.lock:
        check_write_access(ctx, file_id)
    with _upload_lock(file_id):
        with st.lock:
            row = _upload_row(st, file_id)
            if row is None:
                return _text(404, "Not Found")
            offset = _int_header(ctx.headers, "Upload-Offset")
            if offset != row["offset"]:
                return _text(409, "incorrect upload offset")
            length = _int_header(ctx.headers, "Upload-Length")
            if row["upload_length"] is not None and length not in (None, False) \
                    and length != row["upload_length"]:
                return _text(400, "upload length cannot change")
            if row["upload_length"] is None and length not in (None, False):
                row["upload_length"] = length
            content_type = ctx.headers.get("Content-Type")
            if content_type is None or \
                    content_type.split(";", 1)[0].strip().lower() != TUS_CONTENT_TYPE:
                raise ApiError("invalid_content_type",
                               "PATCH only supports application/offset+octet-stream "
                               "content-type", 415, more_info={"contentType": content_type})
        new_offset = _append(ctx, row, file_id)
    return Raw(204, None, _tus_headers(st, row, {"Upload-Offset": str(new_offset)}))


# ------------------------------------------------------------------ reads

def _read(ctx, file_id):
    st = ctx.state
    obj = _file_row(st, file_id)
    handle = st.blobs.open(file_id) if obj is not None else None
    if handle is None:
        return 404, {"error": "not_found", "message": "Not found"}
    with handle:
        data = handle.read()
    headers = {"Cache-Control": "public, max-age=31536000, immutable, no-transform",
               "ETag": '"%s"' % obj["sha256"][:32]}
    if obj.get("checksum"):
        headers["X-Checksum-Sha256"] = obj["checksum"]
    return Raw(200, data, headers, mimetype=obj.get("content_type") or "application/zip")


@route("GET", "/files/read/attachments/<path:file_id>", service="files")
def read_attachment(ctx, file_id):
    return _read(ctx, file_id)


# ------------------------------------------------------------------ upload_link

def _sign(st, key, expires):
    secret = st.counters.setdefault("upload_link_secret", st.uuid())
    return hmac.new(str(secret).encode(), ("%s\n%d" % (key, expires)).encode(),
                    hashlib.sha256).hexdigest()


def upload_link(ctx):
    """private/upload_link.ts: a presigned PUT URL for the key owner's ``r2-direct`` row; sets
    the row's ``r2_path``."""
    body = ctx.parse_body()
    principal = ctx.auth_key()
    st = ctx.state
    app_id = body.get("app_id")
    app = st.app_by_app_id(app_id) if isinstance(app_id, str) else None
    if app is None or not principal.has_perm("app.upload_bundle", app=app):
        raise ApiError("app_access_denied", "You can't access this app",
                       more_info={"app_id": app_id})
    version = None
    for b in st.bundles_of(app_id):
        if (b["name"] == body.get("name") and b.get("storage_provider") == "r2-direct"
                and b.get("user_id") == principal.apikey["user_id"]):
            version = b
    if version is None:
        raise ApiError("error_version_not_found", "Error App or Version not found", 404)
    path = "orgs/%s/apps/%s/%s.zip" % (app["owner_org"], app_id, version["name"])
    if _file_row(st, path) is not None:
        raise ApiError("error_already_exist", "Error already exist", more_info={"exist": True})
    expires = int(st.now()) + UPLOAD_LINK_TTL
    url = "%sfiles/presigned/%s?%s" % (
        ctx.request.host_url, "/".join(urllib.parse.quote(s, safe="") for s in path.split("/")),
        urllib.parse.urlencode({"X-Amz-Expires": expires,
                                "X-Amz-Signature": _sign(st, path, expires)}))
    version["r2_path"] = path
    version["updated_at"] = st.stamp()
    return {"url": url}


route("POST", "/files/upload_link", service="files")(upload_link)
route("POST", "/functions/v1/files/upload_link", service="functions")(upload_link)


@route("PUT", "/files/presigned/<path:file_id>", service="files", locked=False)
def presigned_put(ctx, file_id):
    """The target of an upload_link URL (an S3 presigned PUT): the whole object in one body."""
    st = ctx.state
    try:
        expires = int(ctx.query.get("X-Amz-Expires", ""))
    except ValueError:
        expires = -1
    with st.lock:
        good = hmac.compare_digest(_sign(st, file_id, expires) if expires >= 0 else "",
                                   ctx.query.get("X-Amz-Signature", ""))
        if not good or expires < st.now():
            return Raw(403, b"<Error><Code>AccessDenied</Code></Error>",
                       mimetype="application/xml")
    data = ctx.raw_bytes
    if len(data) > MAX_UPLOAD_LENGTH:
        return Raw(413, b"<Error><Code>EntityTooLarge</Code></Error>",
                   mimetype="application/xml")
    with _upload_lock(file_id):
        size, digest = st.blobs.put(file_id, data)
        with st.lock:
            store_object(st, file_id, size, digest, ctx.headers.get("Content-Type"))
            st.save()
    return Raw(200, None, {"ETag": '"%s"' % digest[:32]})
