"""Rate limits: every limit of the site, the keys they count on, and the embedded shared storage.

Limits count per client address (``X-Forwarded-For`` is honoured only from trusted proxies, see
``BAZAAR_TRUSTED_PROXIES``) and, where a form names an account, per account too: at a fair hundreds
of people share one Wi-Fi address, so the address limits are sized for a crowd and the tight limits
sit on the account, where one person's mistakes lock out only that person.
"""

import sqlite3
import time
from pathlib import Path

from flask import request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits.storage import Storage

from bazaar.accounts.models import normalise_email

# Per client address: a crowd behind one NAT address must get through.
LOGIN_PER_ADDRESS = "120 per minute; 2000 per hour"
SIGNUP_PER_ADDRESS = "60 per minute; 1000 per hour"
REGISTER_PER_ADDRESS = "120 per minute; 2000 per hour"
EXHIBITOR_APPLY_PER_ADDRESS = "20 per minute; 200 per hour"
RESET_PER_ADDRESS = "30 per minute; 300 per hour"
# Per typed account: password guessing and mail bombing of one address.
LOGIN_PER_ACCOUNT = "10 per minute; 50 per hour"
SIGNUP_PER_ACCOUNT = "5 per minute; 20 per hour"
RESET_PER_ACCOUNT = "5 per minute; 20 per hour"
EXHIBITOR_APPLY_PER_ACCOUNT = "5 per minute; 20 per hour"
# A logged-in person acting for others (group registration).
GROUP_PER_ACCOUNT = "10 per hour"
# Codes typed from a group member's printed sheet (a venue shares one address: generous per minute).
MEMBER_CODE_PER_ADDRESS = "30 per minute; 600 per hour"


def address_key() -> str:
    return get_remote_address()


def typed_email_key(field: str = "email") -> str:
    """The account the form names (the typed email, normalised), whatever address it comes from."""
    return "email:" + normalise_email(str(request.form.get(field, "")))[:320]


def applicant_key() -> str:
    """An exhibitor application counts on the logged-in account, else on the contact email it names."""
    return current_user_key() if current_user.is_authenticated else typed_email_key("contact_email")


def current_user_key() -> str:
    return f"user:{current_user.get_id()}"


class SQLiteStorage(Storage):
    """Fixed-window counters in one SQLite file, shared by every process on the machine.

    The embedded default (no Redis): gunicorn's workers and the CLI count together.
    URI: ``bazaar-sqlite:////absolute/path.sqlite``."""

    STORAGE_SCHEME = ["bazaar-sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = uri.split("://", 1)[1]
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS counters "
                "(key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL)"
            )

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=5, isolation_level=None)

    def _run(self, *statements: tuple[str, tuple]) -> list:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM counters WHERE key = ? AND expires_at <= ?", (statements[0][1][0], time.time()))
            rows = [conn.execute(sql, args).fetchone() for sql, args in statements]
            conn.execute("COMMIT")
            return rows
        finally:
            conn.close()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        (row,) = self._run(
            (
                "INSERT INTO counters (key, value, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = value + excluded.value RETURNING value",
                (key, amount, time.time() + expiry),
            )
        )
        return row[0]

    def get(self, key: str) -> int:
        (row,) = self._run(("SELECT value FROM counters WHERE key = ?", (key,)))
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        (row,) = self._run(("SELECT expires_at FROM counters WHERE key = ?", (key,)))
        return row[0] if row else time.time()

    def check(self) -> bool:
        try:
            self.get("check")
            return True
        except sqlite3.Error:
            return False

    def reset(self) -> int | None:
        conn = self._connect()
        try:
            return conn.execute("DELETE FROM counters").rowcount
        finally:
            conn.close()

    def clear(self, key: str) -> None:
        self._run(("DELETE FROM counters WHERE key = ?", (key,)))
