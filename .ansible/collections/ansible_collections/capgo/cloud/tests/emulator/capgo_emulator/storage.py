"""Persistence: the whole state as one JSON document in a SQLite file (``--db``)."""

import json
import sqlite3

from .schema import TABLES


class Storage:
    """Mixed into State: ``load_db()``, ``save()``, ``close()`` (no-ops without a db path)."""

    def _dump(self):
        data = {name: getattr(self, name) for name in TABLES}
        data["counters"] = self.counters
        data["clock_offset"] = self.clock_offset
        return json.dumps(data, separators=(",", ":"))

    def _connect(self):
        if self._db is None:
            self._db = sqlite3.connect(self.db_path, check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS emulator_state "
                             "(k TEXT PRIMARY KEY, v TEXT NOT NULL)")
            self._db.commit()
        return self._db

    def load_db(self):
        """Load persisted state from --db. Returns False if the file holds none yet."""
        if not self.db_path:
            return False
        row = self._connect().execute(
            "SELECT v FROM emulator_state WHERE k = 'state'").fetchone()
        if row is None:
            return False
        data = json.loads(row[0])
        self.clear()
        for name in TABLES:
            setattr(self, name, data.get(name, []))
        self.counters = data.get("counters", {})
        self.clock_offset = float(data.get("clock_offset", 0.0))
        return True

    def save(self):
        """Persist the whole state to SQLite when --db is set (no-op otherwise)."""
        if not self.db_path:
            return
        with self.lock:
            db = self._connect()
            with db:
                db.execute("INSERT OR REPLACE INTO emulator_state (k, v) VALUES ('state', ?)",
                           (self._dump(),))

    def close(self):
        if self._db is not None:
            try:
                self._db.close()
            finally:
                self._db = None
