# -*- coding: utf-8 -*-
# Copyright: capgo.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hosting a bundle on Capgo's storage the way Capgo's CLI does (capgo-api.md §8).

The local part: a deterministic zip of a directory (hashed while it is written), the CLI's
content checks, encryption v2 (AES-128-CBC, the AES key and the checksum RSA-"signed" with the
private key, PKCS#1 v1.5 type 1), all streaming through temporary files. The remote part:
``/private/config``, PostgREST (the ``app_versions`` row), TUS on the files service (chunked,
resumed from the offset ``HEAD`` reports), and ``delete_failed_version``. Requests go through
the run's ``CapgoClient`` session and honour its timeout, retries and TLS settings.

Private to the collection (the leading underscore): no compatibility promise.
No Ansible imports.
"""


import base64
import binascii
import collections
import hashlib
import json
import os
import stat
import struct
import tempfile
import zipfile
import zlib

from concurrent.futures import ThreadPoolExecutor

from urllib.parse import urljoin, urlsplit

from ansible_collections.capgo.cloud.plugins.module_utils._client import DEFAULT_FILES_URL, CapgoAPIError

TUS_VERSION = "1.0.0"
# The CLI's defaults when /files/config does not answer; our chunks stay small, so that a
# module never holds more than one chunk (and far less while streaming it).
MAX_UPLOAD_LENGTH = 1024 * 1024 * 1024
MAX_CHUNK = 8 * 1024 * 1024
READ_BLOCK = 1024 * 1024
# A fixed time (the earliest a zip can hold) and fixed permissions: the same files give the same zip.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o100644
CODE_MARKER = b"notifyAppReady"
PGRST_OBJECT = "application/vnd.pgrst.object+json"

STEPS = ("config", "version row", "upload", "finalize")


class UploadError(CapgoAPIError):
    """A failed step of an upload: one line naming the step, then Capgo's answer."""

    def __init__(self, step, status, error, message, method=None, path=None, more_info=None):
        self.step = step
        super().__init__(status, error, message, more_info, method, path)

    def __str__(self):
        return "upload step '%s' failed: %s" % (self.step, CapgoAPIError.__str__(self))


class ContentError(ValueError):
    """The local bundle cannot be uploaded (a failed content check, an unreadable file)."""


# -- local: content checks, zip, checksum --------------------------------------


def _contains(stream, marker):
    """Whether ``marker`` occurs in a binary stream, read block by block."""
    tail = b""
    while True:
        block = stream.read(READ_BLOCK)
        if not block:
            return False
        window = tail + block
        if marker in window:
            return True
        tail = window[-(len(marker) - 1):]


def directory_files(src):
    """Every file under ``src`` as (zip name, path), sorted by zip name (symlinked files followed)."""
    out = []
    todo = [(src, "")]
    while todo:
        directory, prefix = todo.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):  # as os.walk: a linked directory is not entered
                    todo.append((entry.path, prefix + entry.name + "/"))
                elif entry.is_file():
                    out.append((prefix + entry.name, entry.path))
                # else: a broken link, a socket: nothing to ship
    out.sort(key=lambda item: item[0].encode("utf-8", "surrogateescape"))
    return out


def check_directory(src, code_check=True):
    """The CLI's checks on a build directory: ``index.html`` at its root, ``notifyAppReady`` in a .js file."""
    files = directory_files(src)
    if not files:
        raise ContentError("src %s is an empty directory: build the app first" % src)
    unreadable = [name for name, path in files if not os.access(path, os.R_OK)]
    if unreadable:
        raise ContentError("src %s has files this user cannot read: %s" % (src, ", ".join(unreadable[:5])))
    names = set(name for name, path in files)
    if "index.html" not in names:
        raise ContentError("index.html is missing at the root of src %s (Capgo's CLI refuses such a bundle)" % src)
    if code_check:
        for name, path in files:
            if name.endswith(".js"):
                with open(path, "rb") as stream:
                    if _contains(stream, CODE_MARKER):
                        return files
        raise ContentError("notifyAppReady() is not called in any .js file of src %s: without it, devices roll "
                           "the update back (set code_check: false if the call is there in another form)" % src)
    return files


def check_zip(src, code_check=True):
    """The same checks on a .zip file, entry by entry."""
    try:
        with zipfile.ZipFile(src) as archive:
            infos = [info for info in archive.infolist() if not info.filename.endswith("/")]
            if not infos:
                raise ContentError("src %s is an empty zip" % src)
            if "index.html" not in set(info.filename for info in infos):
                raise ContentError("index.html is missing at the root of the zip src %s (Capgo's CLI refuses such a "
                                   "bundle)" % src)
            if code_check:
                for info in infos:
                    if info.filename.endswith(".js"):
                        with archive.open(info) as stream:
                            if _contains(stream, CODE_MARKER):
                                return
                raise ContentError("notifyAppReady() is not called in any .js file of the zip src %s: without it, "
                                   "devices roll the update back (set code_check: false if the call is there in "
                                   "another form)" % src)
    except (zipfile.BadZipfile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as exc:
        raise ContentError("src %s is not a readable zip: %s" % (src, exc))


# Entries whose content is compressed already (images, fonts, media, archives): stored as they are.
# Deflating them costs most of a zip's time and gains nothing; Capgo's CLI also stores every entry
# that deflate does not make smaller, and so does zip_directory for the others.
STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".heic", ".woff", ".woff2", ".mp3", ".mp4",
                   ".m4a", ".webm", ".ogg", ".ogv", ".zip", ".gz", ".br", ".zst")
DEFLATE_LEVEL = 6  # zlib's default, as the CLI uses it
# Files up to this size are compressed whole, several at a time; larger ones are streamed block by
# block. At most INFLIGHT bytes of files wait in memory for their turn.
WHOLE_FILE = 4 * 1024 * 1024
INFLIGHT = 8 * 1024 * 1024
# What makes a zip: part of the key of a cached checksum (with zlib's version: another zlib may
# deflate the same bytes differently).
ZIP_FORMAT = "capgo.cloud zip 2; level %d; stored %s; zlib %s" % (
    DEFLATE_LEVEL, ",".join(STORED_SUFFIXES), zlib.ZLIB_RUNTIME_VERSION)
_LOCAL = struct.Struct("<4s5H3I2H")
_CENTRAL = struct.Struct("<4s6H3I5H2I")
_END = struct.Struct("<4s4H2IH")
_DOS_DATE = ((ZIP_TIME[0] - 1980) << 9) | (ZIP_TIME[1] << 5) | ZIP_TIME[2]
_DOS_TIME = (ZIP_TIME[3] << 11) | (ZIP_TIME[4] << 5) | (ZIP_TIME[5] // 2)
_UNIX_MADE_BY = (3 << 8) | 20


def _packed(data, name):
    """(method, crc32, compressed bytes) of a whole file's bytes."""
    crc = zlib.crc32(data)
    if not name.lower().endswith(STORED_SUFFIXES):
        engine = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
        deflated = engine.compress(data) + engine.flush()
        if len(deflated) < len(data):
            return zipfile.ZIP_DEFLATED, crc, deflated
    return zipfile.ZIP_STORED, crc, data


def _read_packed(name, path):
    """(method, crc32, compressed bytes, size, SHA-256 digest) of a file read whole."""
    with open(path, "rb") as stream:
        data = stream.read()
    return _packed(data, name) + (len(data), hashlib.sha256(data).digest())


class _ZipWriter:
    """A plain zip (no ZIP64, no data descriptors) written to a seekable file, entry by entry."""

    def __init__(self, stream):
        self.stream = stream
        self.central = []

    @staticmethod
    def encoded(name):
        try:
            return name.encode("ascii"), 0
        except UnicodeEncodeError:
            return name.encode("utf-8", "surrogateescape"), 0x800  # the UTF-8 flag

    def header(self, name, method, crc, csize, size):
        raw, flags = self.encoded(name)
        if size > 0xFFFFFFFE or csize > 0xFFFFFFFE or self.stream.tell() > 0xFFFFFFFE:
            raise ContentError("%s makes the bundle larger than a zip without ZIP64 holds (4 GiB)" % name)
        return _LOCAL.pack(b"PK\x03\x04", 20, flags, method, _DOS_TIME, _DOS_DATE, crc, csize, size, len(raw), 0) + raw

    def add(self, name, method, crc, size, data):
        offset = self.stream.tell()
        self.stream.write(self.header(name, method, crc, len(data), size))
        self.stream.write(data)
        self.central.append((name, method, crc, len(data), size, offset))

    def add_streamed(self, name, path):
        """A large file, deflated block by block (stored when that does not make it smaller): its SHA-256."""
        offset = self.stream.tell()
        header = len(self.header(name, zipfile.ZIP_STORED, 0, 0, 0))
        self.stream.seek(offset + header)
        method = zipfile.ZIP_STORED if name.lower().endswith(STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
        engine = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15) if method == zipfile.ZIP_DEFLATED else None
        crc, size, digest = 0, 0, hashlib.sha256()
        with open(path, "rb") as source:
            for block in iter(lambda: source.read(READ_BLOCK), b""):
                crc = zlib.crc32(block, crc)
                size += len(block)
                digest.update(block)
                self.stream.write(engine.compress(block) if engine else block)
        if engine:
            self.stream.write(engine.flush())
            if self.stream.tell() - offset - header >= size:  # incompressible after all: store it
                method = zipfile.ZIP_STORED
                self.stream.seek(offset + header)
                self.stream.truncate()
                with open(path, "rb") as source:
                    for block in iter(lambda: source.read(READ_BLOCK), b""):
                        self.stream.write(block)
        end = self.stream.tell()
        self.stream.seek(offset)
        self.stream.write(self.header(name, method, crc, end - offset - header, size))
        self.stream.seek(end)
        self.central.append((name, method, crc, end - offset - header, size, offset))
        return size, digest.digest()

    def close(self):
        start = self.stream.tell()
        for name, method, crc, csize, size, offset in self.central:
            raw, flags = self.encoded(name)
            self.stream.write(_CENTRAL.pack(b"PK\x01\x02", _UNIX_MADE_BY, 20, flags, method, _DOS_TIME, _DOS_DATE,
                                            crc, csize, size, len(raw), 0, 0, 0, 0, ZIP_FILE_MODE << 16, offset) + raw)
        end = self.stream.tell()
        if len(self.central) > 0xFFFF or end > 0xFFFFFFFE:
            raise ContentError("the bundle has more files (%d) or bytes than a zip without ZIP64 holds"
                               % len(self.central))
        self.stream.write(_END.pack(b"PK\x05\x06", 0, 0, len(self.central), len(self.central), end - start, start, 0))


def zip_directory(files, dest, workers=None):
    """Zip ``files`` ((name, path), sorted) into the file ``dest``: (sha256 hex, size, content digest).

    Deterministic: entries in the given order, one fixed time, mode 0644, no directory entries;
    deflated at zlib's default level unless their name says they are compressed already
    (STORED_SUFFIXES) or deflate does not make them smaller, then stored. Files are compressed
    (and hashed for the content digest) several at a time, as zlib and hashlib work outside the
    GIL, and written in order; the result is the same for any number of workers.
    """
    workers = workers or min(4, os.cpu_count() or 1)
    content = _ContentDigest()
    with open(dest, "w+b") as stream:
        writer = _ZipWriter(stream)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending = collections.deque()
            waiting = 0
            todo = iter(files)
            item = next(todo, None)
            while item is not None or pending:
                while item is not None and (not pending or waiting < INFLIGHT):
                    name, path = item
                    size = os.path.getsize(path)
                    if size > WHOLE_FILE:
                        pending.append((name, path, None, 0))
                    else:
                        pending.append((name, path, pool.submit(_read_packed, name, path), size))
                        waiting += size
                    item = next(todo, None)
                name, path, future, size = pending.popleft()
                if future is None:
                    content.add(name, *writer.add_streamed(name, path))
                    continue
                method, crc, data, length, file_digest = future.result()
                waiting -= size
                writer.add(name, method, crc, length, data)
                content.add(name, length, file_digest)
        writer.close()
        stream.flush()
        size = stream.tell()
        stream.seek(0)
        digest = hashlib.sha256()
        for block in iter(lambda: stream.read(READ_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest(), size, content.hexdigest()


class _ContentDigest:
    """SHA-256 of a bundle's content as zip_directory sees it: the zip format, then every entry's name,
    size and SHA-256, in order. The key of the checksum cache."""

    def __init__(self):
        self.digest = hashlib.sha256(ZIP_FORMAT.encode("utf-8"))

    def add(self, name, size, file_digest):
        raw = name.encode("utf-8", "surrogateescape")
        self.digest.update(struct.pack("<QQ", len(raw), size) + raw + file_digest)

    def hexdigest(self):
        return self.digest.hexdigest()


def content_digest(files):
    """The content digest of ``files`` without zipping them (what zip_directory returns third)."""
    content = _ContentDigest()
    for name, path in files:
        digest = hashlib.sha256()
        size = 0
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(READ_BLOCK), b""):
                digest.update(block)
                size += len(block)
        content.add(name, size, digest.digest())
    return content.hexdigest()


class ChecksumCache:
    """The checksum and size of a directory's zip, by the content's digest: a converged run reads the
    files but does not zip them again. One small JSON file per content under ``directory``
    (``CAPGO_CACHE_DIR``, else ``$XDG_CACHE_HOME/capgo-cloud``, else ``~/.cache/capgo-cloud``,
    then ``zips``); an empty ``CAPGO_CACHE_DIR`` turns it off. Best effort: a cache that cannot be
    read or written is a miss, never a failure. The newest KEEP entries are kept."""

    KEEP = 256

    def __init__(self, directory=None):
        if directory is None:
            base = os.environ.get("CAPGO_CACHE_DIR")
            if base is None:
                base = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "capgo-cloud")
            directory = os.path.join(base, "zips") if base else None
        self.directory = directory

    def path(self, digest):
        return os.path.join(self.directory, digest + ".json")

    def get(self, digest):
        if not self.directory:
            return None
        try:
            with open(self.path(digest)) as stream:
                entry = json.load(stream)
            checksum, size = entry["checksum"], int(entry["size"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(checksum, str) or len(checksum) != 64:
            return None
        return checksum, size

    def put(self, digest, checksum, size):
        if not self.directory:
            return
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(handle, "w") as stream:
                json.dump({"checksum": checksum, "size": size}, stream)
            os.replace(temp, self.path(digest))
            entries = [os.path.join(self.directory, name) for name in os.listdir(self.directory)]
            if len(entries) > self.KEEP:
                entries.sort(key=os.path.getmtime)
                for old in entries[:len(entries) - self.KEEP]:
                    os.remove(old)
        except OSError:
            pass


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while True:
            block = stream.read(READ_BLOCK)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


# -- local: encryption v2 ------------------------------------------------------


def import_cryptography():
    """The parts of ``cryptography`` encryption needs; ImportError when it is not installed."""
    from cryptography.hazmat.primitives import padding, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    return dict(padding=padding, serialization=serialization, rsa=rsa, Cipher=Cipher, algorithms=algorithms,
                modes=modes)


class BundleKey:
    """The RSA private key of Capgo's encryption v2 (the CLI's ``.capgo_key_v2``)."""

    def __init__(self, pem):
        lib = import_cryptography()
        self.lib = lib
        if not isinstance(pem, bytes):
            pem = pem.encode("utf-8")
        try:
            key = lib["serialization"].load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError("not a PEM private key without a passphrase (%s)" % type(exc).__name__)
        if not isinstance(key, lib["rsa"].RSAPrivateKey):
            raise ValueError("not an RSA private key (Capgo's encryption v2 uses RSA)")
        self.key = key
        numbers = key.private_numbers()
        self._numbers = numbers
        self.n = numbers.public_numbers.n
        self.e = numbers.public_numbers.e
        self.size = (self.n.bit_length() + 7) // 8
        if self.size < 128:
            raise ValueError("the RSA key is too short (%d bits)" % self.n.bit_length())

    @property
    def key_id(self):
        """The first 20 characters of the public key's PKCS#1 PEM body (what devices send)."""
        pem = self.key.public_key().public_bytes(self.lib["serialization"].Encoding.PEM,
                                                 self.lib["serialization"].PublicFormat.PKCS1)
        body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
        return body.decode("ascii")[:20]

    def private_encrypt(self, data):
        """RSA with the private exponent over PKCS#1 v1.5 type 1 padding (OpenSSL's RSA_private_encrypt)."""
        if len(data) > self.size - 11:
            raise ValueError("data too long for the key")
        block = b"\x00\x01" + b"\xff" * (self.size - 3 - len(data)) + b"\x00" + data
        m = int(binascii.hexlify(block), 16)
        p = self._numbers
        # Chinese remainder theorem, as OpenSSL does
        m1 = pow(m % p.p, p.dmp1, p.p)
        m2 = pow(m % p.q, p.dmq1, p.q)
        h = (p.iqmp * (m1 - m2)) % p.p
        c = m2 + h * p.q
        return binascii.unhexlify("%0*x" % (self.size * 2, c))

    def public_decrypt(self, data):
        """The inverse of ``private_encrypt`` (OpenSSL's RSA_public_decrypt); ValueError when it does not fit."""
        if len(data) != self.size:
            raise ValueError("wrong length")
        m = pow(int(binascii.hexlify(data), 16), self.e, self.n)
        block = binascii.unhexlify("%0*x" % (self.size * 2, m))
        if not block.startswith(b"\x00\x01"):
            raise ValueError("not a type 1 block")
        end = block.find(b"\x00", 2)
        if end < 10 or block[2:end].strip(b"\xff"):
            raise ValueError("bad padding")
        return block[end + 1:]

    def encrypt_checksum(self, checksum):
        """The "v3" form current updaters read (>= 5.30.0/6.30.0/7.30.0): hex of the encrypted raw digest."""
        return binascii.hexlify(self.private_encrypt(binascii.unhexlify(checksum))).decode("ascii")

    def decrypt_checksum(self, stored):
        """The plain checksum behind a stored encrypted one (v3 hex, or the older base64 form); None if not ours."""
        stored = (stored or "").strip()
        try:
            if len(stored) == self.size * 2:
                return binascii.hexlify(self.public_decrypt(binascii.unhexlify(stored))).decode("ascii")
            raw = self.public_decrypt(base64.b64decode(stored))
            return base64.b64encode(raw).decode("ascii")
        except (ValueError, TypeError, binascii.Error):
            return None

    def new_session(self):
        """A fresh AES-128 key and IV: (aes key, iv, session_key = b64(iv) ":" b64(encrypted aes key))."""
        aes_key = os.urandom(16)
        iv = os.urandom(16)
        session_key = "%s:%s" % (base64.b64encode(iv).decode("ascii"),
                                 base64.b64encode(self.private_encrypt(aes_key)).decode("ascii"))
        return aes_key, iv, session_key

    def open_session(self, session_key):
        """(aes key, iv) of a ``session_key`` made with this key."""
        iv_b64, key_b64 = session_key.split(":", 1)
        return self.public_decrypt(base64.b64decode(key_b64)), base64.b64decode(iv_b64)

    def encrypt_file(self, src, dest, aes_key, iv):
        """AES-128-CBC (PKCS#7) of the file ``src`` into ``dest``, block by block: the size written."""
        return _cbc_file(self.lib, src, dest, aes_key, iv, encrypt=True)

    def decrypt_file(self, src, dest, session_key):
        aes_key, iv = self.open_session(session_key)
        return _cbc_file(self.lib, src, dest, aes_key, iv, encrypt=False)


def encrypted_size(size):
    """The size of ``size`` bytes after AES-CBC with PKCS#7 padding."""
    return (size // 16 + 1) * 16


def _cbc_file(lib, src, dest, aes_key, iv, encrypt):
    cipher = lib["Cipher"](lib["algorithms"].AES(aes_key), lib["modes"].CBC(iv))
    if encrypt:
        worker, pad = cipher.encryptor(), lib["padding"].PKCS7(128).padder()
    else:
        worker, pad = cipher.decryptor(), lib["padding"].PKCS7(128).unpadder()
    written = 0
    with open(src, "rb") as source:
        with open(dest, "wb") as target:
            while True:
                block = source.read(READ_BLOCK)
                if not block:
                    break
                out = worker.update(pad.update(block)) if encrypt else pad.update(worker.update(block))
                target.write(out)
                written += len(out)
            out = (worker.update(pad.finalize()) + worker.finalize()) if encrypt \
                else pad.update(worker.finalize()) + pad.finalize()
            target.write(out)
            written += len(out)
    return written


# -- local: what a run uploads -------------------------------------------------


class LocalBundle:
    """The bundle on disk: checked at once, zipped and hashed only when needed (lazily).

    A run that uploads zips the directory once; a run that compares with a bundle already uploaded
    needs only the zip's checksum, which the cache may know (then nothing is zipped). The encrypted
    file is written when the upload needs it. ``close()`` removes the temporary files (also after a
    failure). Reading or zipping the files after the checks raises ContentError.
    """

    def __init__(self, src, code_check=True, key=None, tmpdir=None, cache=None):
        self.src = src
        self.key = key
        self.key_id = key.key_id if key else None
        self.files = None
        self.cache = cache if cache is not None else ChecksumCache()
        self.zip_path = None
        self.upload_path = None
        self.session_key = None
        self.digest = None
        self._known = None  # (checksum, zip size)
        self._stored = None  # (checksum, stored checksum)
        self.tmpdir = tempfile.mkdtemp(prefix="capgo-bundle-", dir=tmpdir)
        try:
            if os.path.isdir(src):
                self.files = check_directory(src, code_check)
            else:
                check_zip(src, code_check)
                self.zip_path = src
        except BaseException:
            self.close()
            raise

    def known(self):
        """(checksum, zip size): from the zip made, the cache, or a zip made now."""
        if self._known is None:
            try:
                if self.files is None:
                    self._known = file_sha256(self.src), os.path.getsize(self.src)
                else:
                    self.digest = content_digest(self.files)
                    self._known = self.cache.get(self.digest)
                    if self._known is None:
                        self.zip()
            except (IOError, OSError) as exc:
                raise ContentError("cannot zip src %s: %s" % (self.src, exc))
        return self._known

    @property
    def checksum(self):
        return self.known()[0]

    @property
    def zip_size(self):
        return self.known()[1]

    @property
    def stored_checksum(self):
        """What the version row stores: the checksum, encrypted with the key (RSA, once per checksum)."""
        checksum = self.checksum
        if self._stored is None or self._stored[0] != checksum:
            self._stored = checksum, (self.key.encrypt_checksum(checksum) if self.key else checksum)
        return self._stored[1]

    @property
    def size(self):
        """The bytes uploaded: the zip, or its encryption."""
        return encrypted_size(self.zip_size) if self.key else self.zip_size

    def zip(self):
        path = os.path.join(self.tmpdir, "bundle.zip")
        try:
            checksum, size, self.digest = zip_directory(self.files, path)
        except (IOError, OSError) as exc:
            raise ContentError("cannot zip src %s: %s" % (self.src, exc))
        self.zip_path = path
        self._known = checksum, size  # a stale cache entry gives way to the zip just written
        self.cache.put(self.digest, checksum, size)

    def prepare_upload(self):
        """The file to upload: the zip (made now if it was not), or (with a key) its encryption under a fresh
        session key."""
        if self.upload_path is None:
            if self.zip_path is None:
                self.zip()
            if self.key is None:
                self.upload_path = self.zip_path
            else:
                aes_key, iv, self.session_key = self.key.new_session()
                self.upload_path = os.path.join(self.tmpdir, "bundle.zip.enc")
                self.key.encrypt_file(self.zip_path, self.upload_path, aes_key, iv)
        return self.upload_path

    def same_content(self, stored_checksum):
        """Whether a stored checksum (plain, or encrypted with this key) is this bundle's."""
        if not stored_checksum:
            return False
        if stored_checksum.lower() == self.checksum:
            return True
        if self.key is not None:
            return (self.key.decrypt_checksum(stored_checksum) or "").lower() == self.checksum
        return False

    def close(self):
        if self.tmpdir and os.path.isdir(self.tmpdir):
            for name in os.listdir(self.tmpdir):
                try:
                    os.remove(os.path.join(self.tmpdir, name))
                except OSError:
                    pass
            try:
                os.rmdir(self.tmpdir)
            except OSError:
                pass
        self.tmpdir = None


def source_problem(src):
    """Why ``src`` cannot be a bundle source (a sentence), or None."""
    if not src:
        return "src must not be empty"
    if not os.path.exists(src):
        return "src %s does not exist" % src
    if os.path.isdir(src):
        if not os.access(src, os.R_OK | os.X_OK):
            return "src %s is a directory this user cannot read" % src
        return None
    if not stat.S_ISREG(os.stat(src).st_mode) or not src.lower().endswith(".zip"):
        return "src %s is neither a directory nor a .zip file" % src
    if not os.access(src, os.R_OK):
        return "src %s cannot be read" % src
    if os.path.getsize(src) == 0:
        return "src %s is an empty file" % src
    return None


# -- remote -------------------------------------------------------------------


class _Chunk:
    """``length`` bytes of a file from ``offset``, streamed by requests block by block."""

    def __init__(self, path, offset, length):
        self.stream = open(path, "rb")
        self.stream.seek(offset)
        self.left = length

    def __len__(self):
        return self.left

    def read(self, size=-1):
        if self.left <= 0:
            return b""
        if size is None or size < 0 or size > self.left:
            size = self.left
        data = self.stream.read(min(size, READ_BLOCK))
        self.left -= len(data)
        return data

    def close(self):
        self.stream.close()


def _answer(response):
    """(error code, message) of an error answer of the API, PostgREST or the files service."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = body.get("error") or body.get("code") or body.get("status")
        message = body.get("message") or body.get("msg") or body.get("details") or body.get("hint") or ""
        if isinstance(code, str) and code:
            return code, "%s" % message
    text = " ".join((response.text or "").split())[:200]
    return "http_%d" % response.status_code, text or (response.reason or "")


class HostedUpload:
    """The requests of one hosted upload, through the run's ``CapgoClient``.

    ``on_write()`` is called for every request that may change something on Capgo's side.
    """

    def __init__(self, client, app_id, version, files_url=None, on_write=None):
        self.client = client
        self.app_id = app_id
        self.version = version
        self.files_url = (files_url or getattr(client, "files_url", None) or DEFAULT_FILES_URL).rstrip("/")
        self.on_write = on_write or (lambda: None)
        self.supa_url = None
        self.anon_key = None
        self.user_id = None
        self.owner_org = None
        self.files = None

    # -- transport -------------------------------------------------------

    def send(self, step, method, url, headers=None, params=None, body=None, data=None, idempotent=None,
             ok=None, write=None):
        """One request with the client's session, timeout, retries and TLS settings; the response.

        A status in ``ok`` (default: below 400) is an answer; anything else an ``UploadError``.
        """
        client = self.client
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "PUT", "DELETE")
        path = urlsplit(url).path or "/"
        headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body)
            headers.setdefault("content-type", "application/json")
        # The API key is a per-service header here, never the session's default one.
        headers.setdefault("authorization", None)
        if write is None:
            write = method not in ("GET", "HEAD")
        if write:
            self.on_write()
        try:
            response = client.exchange(method, url, path, idempotent, params=params, data=data, headers=headers,
                                       ok=ok, allow_redirects=False)
        except UploadError:
            raise
        except CapgoAPIError as err:  # no answer
            reason = err.message
            if err.error == "connection_error" and "SSLError" in reason:
                reason += " (for a private CA set ca_path; validate_certs: false skips the check)"
            raise UploadError(step, None, err.error, reason, method, path)
        status = response.status_code
        if (ok is None and status < 400) or (ok is not None and status in ok):
            return response
        code, message = _answer(response)
        raise UploadError(step, status, client.scrub(code), client.scrub(message), method, path)

    @staticmethod
    def json_of(step, response, method, path):
        try:
            return response.json() if response.content else None
        except ValueError:
            raise UploadError(step, response.status_code, "not_json", "the answer is not JSON", method, path)

    def supa_headers(self, extra=None):
        headers = {"apikey": self.anon_key, "authorization": "Bearer %s" % self.anon_key,
                   "capgkey": self.client.api_key}
        headers.update(extra or {})
        return headers

    def rest(self, step, method, table, params=None, body=None, headers=None, idempotent=None, single=False,
             write=None):
        url = "%s/rest/v1/%s" % (self.supa_url, table)
        extra = dict(headers or {})
        if single:
            extra["accept"] = PGRST_OBJECT
        response = self.send(step, method, url, headers=self.supa_headers(extra), params=params, body=body,
                             idempotent=idempotent, write=write)
        return self.json_of(step, response, method, urlsplit(url).path)

    # -- steps -----------------------------------------------------------

    def configure(self, user=True):
        """``/private/config`` (the Supabase URL and anon key), ``/files/config``, the app's org, and (``user``)
        the key's user (``rpc/get_user_id``, a POST that only reads: left out in check mode)."""
        if self.supa_url is not None:
            if user and self.user_id is None:
                self.read_user()
            return
        url = "%s/private/config" % self.client.api_url
        data = self.json_of("config", self.send("config", "GET", url), "GET", "/private/config")
        if not isinstance(data, dict) or not data.get("supaHost") or not data.get("supaKey"):
            raise UploadError("config", 200, "bad_config", "no supaHost/supaKey in the answer", "GET",
                              "/private/config")
        self.supa_url = ("%s" % data["supaHost"]).rstrip("/")
        self.anon_key = "%s" % data["supaKey"]
        files = None
        try:
            files = self.json_of("config", self.send("config", "GET", "%s/files/config" % self.files_url),
                                 "GET", "/files/config")
        except UploadError as err:
            if err.status is None:
                raise  # files_url unreachable: the upload cannot work either
        self.files = files if isinstance(files, dict) else {}
        app = self.rest("config", "GET", "apps", params={"select": "owner_org", "app_id": "eq.%s" % self.app_id},
                        single=True)
        if not isinstance(app, dict) or not app.get("owner_org"):
            raise UploadError("config", 200, "app_not_found", "app %s is not readable with this key" % self.app_id,
                              "GET", "/rest/v1/apps")
        self.owner_org = app["owner_org"]
        if user:
            self.read_user()

    def read_user(self):
        user = self.rest("config", "POST", "rpc/get_user_id", body={"apikey": self.client.api_key},
                         idempotent=True, single=True, write=False)
        if isinstance(user, dict):
            user = user.get("get_user_id")
        if not user:
            raise UploadError("config", 200, "invalid_apikey", "Capgo knows no user for this API key", "POST",
                              "/rest/v1/rpc/get_user_id")
        self.user_id = "%s" % user

    @property
    def chunk_size(self):
        size = (self.files or {}).get("maxChunkSize")
        if isinstance(size, int) and not isinstance(size, bool) and size > 0:
            return min(size, MAX_CHUNK)
        return MAX_CHUNK

    @property
    def max_upload_length(self):
        size = (self.files or {}).get("maxUploadLength")
        if isinstance(size, int) and not isinstance(size, bool) and size > 0:
            return size
        return MAX_UPLOAD_LENGTH

    def org_policy(self):
        """The organization's encryption policy {enforce_encrypted_bundles, required_encryption_key}, or None
        when this key cannot read it (the database still refuses a plain bundle then)."""
        try:
            rows = self.rest("config", "GET", "orgs", params={
                "select": "enforce_encrypted_bundles,required_encryption_key", "id": "eq.%s" % self.owner_org})
        except UploadError:
            return None
        if isinstance(rows, list) and rows and isinstance(rows[0], dict):
            return rows[0]
        return None

    @property
    def r2_path(self):
        return "orgs/%s/apps/%s/%s.zip" % (self.owner_org, self.app_id, self.version)

    def version_row(self, row, step="version row"):
        """Upsert the ``app_versions`` row (``storage_provider`` r2-direct: upload in progress; r2: ready)."""
        body = dict(row, name=self.version, app_id=self.app_id, owner_org=self.owner_org, user_id=self.user_id)
        self.rest(step, "POST", "app_versions",
                  params={"on_conflict": "name,app_id", "app_id": "eq.%s" % self.app_id,
                          "name": "eq.%s" % self.version},
                  body=body, headers={"prefer": "resolution=merge-duplicates"}, idempotent=True)

    def set_row(self, fields, step):
        """PATCH fields of the row (``r2_path`` after the upload, ``min_update_version`` later)."""
        self.rest(step, "PATCH", "app_versions", params={"name": "eq.%s" % self.version,
                                                         "app_id": "eq.%s" % self.app_id},
                  body=fields, idempotent=True)

    def delete_failed(self):
        """``delete_failed_version``: removes the row while it is still in ``r2-direct``; the error or None."""
        url = "%s/functions/v1/private/delete_failed_version" % self.supa_url
        try:
            self.send("cleanup", "DELETE", url, body={"app_id": self.app_id, "name": self.version},
                      headers={"authorization": "Bearer %s" % self.anon_key, "capgkey": self.client.api_key})
        except UploadError as err:
            return err
        return None

    # -- TUS ---------------------------------------------------------------

    def tus_headers(self, extra=None):
        headers = {"authorization": self.client.api_key, "tus-resumable": TUS_VERSION}
        headers.update(extra or {})
        return headers

    def tus_create(self, size):
        def b64(text):
            return base64.b64encode(text.encode("utf-8")).decode("ascii")
        url = "%s/files/upload/attachments/" % self.files_url
        metadata = "filename %s,filetype %s" % (b64(self.r2_path), b64("application/zip"))
        response = self.send("upload", "POST", url, headers=self.tus_headers(
            {"upload-length": "%d" % size, "upload-metadata": metadata}), data=b"", ok=(200, 201))
        location = response.headers.get("location")
        if not location:
            raise UploadError("upload", response.status_code, "no_location", "the files service gave no Location",
                              "POST", urlsplit(url).path)
        return urljoin(url, location)

    def tus_offset(self, location):
        """The offset the files service holds for an upload, or None when it lost the upload."""
        response = self.send("upload", "HEAD", location, headers=self.tus_headers(), ok=(200, 204, 404, 410))
        if response.status_code in (404, 410):
            return None
        try:
            return int(response.headers.get("upload-offset"))
        except (TypeError, ValueError):
            raise UploadError("upload", response.status_code, "no_offset", "HEAD gave no Upload-Offset", "HEAD",
                              urlsplit(location).path)

    def tus_upload(self, path, size, progress=None):
        """Upload the file ``path`` by TUS, chunk by chunk.

        A PATCH that fails (no answer, 5xx, 409 offset mismatch) is resumed from the offset HEAD
        reports; only when the files service lost the upload (HEAD 404/410) does it start again
        from zero, with a new upload. At most ``retries`` recoveries in all.
        """
        chunk = self.chunk_size
        location = self.tus_create(size)
        offset = 0
        recoveries = 0
        while offset < size:
            length = min(chunk, size - offset)
            start = offset

            def body(start=start, length=length):
                return _Chunk(path, start, length)
            try:
                response = self.send("upload", "PATCH", location, headers=self.tus_headers({
                    "upload-offset": "%d" % offset, "content-type": "application/offset+octet-stream",
                    "content-length": "%d" % length}), data=body, idempotent=False, ok=(200, 204))
            except UploadError as err:
                retryable = err.status is None or err.status in (409, 423) or err.status >= 500
                if not retryable or recoveries >= max(self.client.retries, 1):
                    raise
                recoveries += 1
                server = self.tus_offset(location)
                if server is None:
                    self.client.warn("The files service lost the upload of bundle %s; starting it again"
                                     % self.version)
                    location = self.tus_create(size)
                    offset = 0
                else:
                    self.client.warn("Resuming the upload of bundle %s at byte %d of %d after: %s"
                                     % (self.version, server, size, err))
                    offset = server
                continue
            try:
                new_offset = int(response.headers.get("upload-offset"))
            except (TypeError, ValueError):
                new_offset = offset + length
            if new_offset <= offset or new_offset > size:
                raise UploadError("upload", response.status_code, "bad_offset",
                                  "PATCH at %d answered Upload-Offset %s" % (offset, new_offset), "PATCH",
                                  urlsplit(location).path)
            offset = new_offset
            if progress:
                progress(offset, size)
        return location
