"""The bytes of stored files (what Capgo keeps in R2) and of TUS uploads in progress, one file
each in the blob directory; their metadata rows (tables ``files`` and ``uploads``) are in the
state. ``--blob-dir DIR`` names the directory; without it, ``<--db>.blobs`` next to the
database, or a temporary directory removed when the emulator stops."""

import atexit
import hashlib
import os
import shutil
import tempfile

CHUNK = 1 << 16


class BlobStore:
    def __init__(self, root=None):
        self._root = root
        self._temporary = root is None

    @property
    def root(self):
        if self._root is None:
            self._root = tempfile.mkdtemp(prefix="capgo-emulator-blobs-")
            atexit.register(self.remove)
        os.makedirs(self._root, exist_ok=True)
        return self._root

    def _path(self, key, suffix):
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return os.path.join(self.root, digest + suffix)

    # ------------------------------------------------------------ stored objects
    def object_path(self, key):
        return self._path(key, ".obj")

    def exists(self, key):
        return os.path.exists(self.object_path(key))

    def open(self, key):
        """A binary file object of a stored object (the caller closes it), or None."""
        try:
            return open(self.object_path(key), "rb")
        except FileNotFoundError:
            return None

    def put(self, key, data):
        """Store ``data`` (bytes) as object ``key``: (size, sha256 hex)."""
        path = self.object_path(key)
        tmp = path + ".tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
        return len(data), hashlib.sha256(data).hexdigest()

    def delete(self, key):
        for path in (self.object_path(key), self.part_path(key)):
            try:
                os.remove(path)
            except FileNotFoundError:
                pass

    # ------------------------------------------------------------ uploads in progress
    def part_path(self, key):
        return self._path(key, ".part")

    def start(self, key):
        """An empty upload for ``key`` (a previous one is dropped)."""
        with open(self.part_path(key), "wb"):
            pass

    def part_size(self, key):
        try:
            return os.path.getsize(self.part_path(key))
        except FileNotFoundError:
            return None

    def append(self, key, offset, stream, limit):
        """Append what ``stream`` gives (at most ``limit`` bytes, then stop reading) to the
        upload at ``offset``: the bytes written. What a dropped connection delivered before it
        broke stays (TUS resumes from it); bytes past ``limit`` are refused by the caller."""
        path = self.part_path(key)
        written = 0
        with open(path, "r+b") as handle:
            handle.truncate(offset)
            handle.seek(offset)
            while True:
                want = CHUNK if limit is None else min(CHUNK, limit - written + 1)
                if want <= 0:
                    break
                try:
                    data = stream.read(want)
                except Exception:  # pylint: disable=broad-except
                    # the client went away (werkzeug's ClientDisconnected, a reset socket):
                    # what arrived stays
                    break
                if not data:
                    break
                if limit is not None and written + len(data) > limit:
                    handle.write(data[:limit - written])
                    written = limit + 1  # over the limit: the caller refuses
                    break
                handle.write(data)
                written += len(data)
        return written

    def finish(self, key):
        """Move a complete upload to the stored object: (size, sha256 hex)."""
        part = self.part_path(key)
        digest = hashlib.sha256()
        with open(part, "rb") as handle:
            while True:
                data = handle.read(CHUNK)
                if not data:
                    break
                digest.update(data)
        size = os.path.getsize(part)
        os.replace(part, self.object_path(key))
        return size, digest.hexdigest()

    def truncate(self, key, size):
        with open(self.part_path(key), "r+b") as handle:
            handle.truncate(size)

    # ------------------------------------------------------------ all of it
    def clear(self):
        """Drop every blob (a reset)."""
        if self._root is None or not os.path.isdir(self._root):
            return
        for name in os.listdir(self._root):
            try:
                os.remove(os.path.join(self._root, name))
            except OSError:
                pass

    def remove(self):
        if self._temporary and self._root and os.path.isdir(self._root):
            shutil.rmtree(self._root, ignore_errors=True)
