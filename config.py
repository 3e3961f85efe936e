"""Configuration.

With no environment variables Bazaar runs embedded: an SQLite file and a filesystem Celery
broker under ``instance/``, so a newcomer needs no server. In production set at least
``SECRET_KEY``, ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``.
"""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

LANGUAGES = {
    # code: (native name, text direction)
    "sv": ("Svenska", "ltr"),
    "en": ("English", "ltr"),
    "ar": ("العربية", "rtl"),
    "fa": ("فارسی", "rtl"),
    "so": ("Soomaali", "ltr"),
    "ti": ("ትግርኛ", "ltr"),
    "uk": ("Українська", "ltr"),
    "tr": ("Türkçe", "ltr"),
    "da": ("Dansk", "ltr"),
}


def instance_dir() -> Path:
    return Path(os.environ.get("BAZAAR_INSTANCE_DIR", BASE_DIR / "instance"))


def _dev_secret_key() -> str:
    """A development key generated once and kept under instance/ (never committed)."""
    instance_dir().mkdir(parents=True, exist_ok=True)
    path = instance_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(url: str | None) -> str:
    if not url:
        instance_dir().mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance_dir() / 'bazaar.sqlite'}"
    # Heroku-style URLs name the old driver; we use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Settings read from the environment, with embedded defaults."""

    def __init__(self, **overrides):
        env = os.environ
        self.SECRET_KEY = env.get("SECRET_KEY") or None
        self.SQLALCHEMY_DATABASE_URI = _database_url(env.get("DATABASE_URL"))
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        if not _bool("BAZAAR_DB_PREPARED_STATEMENTS", True) and self.SQLALCHEMY_DATABASE_URI.startswith(
            "postgresql+psycopg://"
        ):
            # psycopg prepares a statement on its 5th run; behind PgBouncer in transaction mode (before
            # 1.21, or without max_prepared_statements) the next transaction may reach another server
            # connection, where that statement does not exist. None: never prepare.
            self.SQLALCHEMY_ENGINE_OPTIONS["connect_args"] = {"prepare_threshold": None}
        self.REDIS_URL = env.get("REDIS_URL") or None
        broker_dir = instance_dir() / "broker"
        self.CELERY = {
            # the filesystem transport, writing messages whole (worker/filesystem.py)
            "broker_url": self.REDIS_URL or "bazaar-filesystem://",
            "result_backend": self.REDIS_URL or None,
            "broker_transport_options": {}
            if self.REDIS_URL
            else {
                "data_folder_in": str(broker_dir),
                "data_folder_out": str(broker_dir),
                "processed_folder": str(broker_dir / "processed"),
                "control_folder": str(broker_dir / "control"),
                "store_processed": False,
            },
            "task_default_queue": env.get("BAZAAR_QUEUE", "bazaar"),
            "task_ignore_result": True,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "timezone": "UTC",
        }
        # Counters every web process shares: Redis, or (embedded) one SQLite file under instance/.
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or f"bazaar-sqlite:///{instance_dir() / 'ratelimit.sqlite'}"
        self.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1} if self.REDIS_URL else {}
        # With the storage unreachable, count in each process's memory rather than fail the request.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        # How many reverse proxies in front of Bazaar set X-Forwarded-For/-Proto/-Host (0: none, trust no header).
        self.TRUSTED_PROXIES = int(env.get("BAZAAR_TRUSTED_PROXIES", "0"))
        self.BASE_URL = env.get("BAZAAR_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        # Who may read /metrics: client addresses in these networks (after the trusted proxies), or a bearer token.
        self.METRICS_ALLOW = [
            ipaddress.ip_network(n.strip(), strict=False)
            for n in env.get("BAZAAR_METRICS_ALLOW", "127.0.0.1/32,::1/128").split(",")
            if n.strip()
        ]
        self.METRICS_TOKEN = env.get("BAZAAR_METRICS_TOKEN") or None
        # Errors to Sentry (sentry-sdk's Flask and Celery integrations) when set.
        self.SENTRY_DSN = env.get("SENTRY_DSN") or None
        self.SENTRY_ENVIRONMENT = env.get("SENTRY_ENVIRONMENT", "production")
        self.MAIL_SERVER = env.get("SMTP_HOST", "localhost")
        self.MAIL_PORT = int(env.get("SMTP_PORT", "25"))
        self.MAIL_USE_TLS = _bool("SMTP_STARTTLS")
        self.MAIL_USE_SSL = _bool("SMTP_SSL")
        self.MAIL_USERNAME = env.get("SMTP_USERNAME") or None
        self.MAIL_PASSWORD = env.get("SMTP_PASSWORD") or None
        self.MAIL_FROM = env.get("MAIL_FROM", "Bazaar <no-reply@bazaar.local>")
        # "console" prints mail to the log instead of sending it (the embedded default).
        self.MAIL_BACKEND = env.get("MAIL_BACKEND", "smtp" if env.get("SMTP_HOST") else "console")
        self.SMS_BACKEND = env.get("SMS_BACKEND", "console")
        # Webhooks to private, loopback and link-local addresses (refused unless set: a receiver on the same network).
        self.WEBHOOK_ALLOW_PRIVATE = _bool("BAZAAR_WEBHOOK_ALLOW_PRIVATE")
        self.WTF_CSRF_TIME_LIMIT = 24 * 3600  # a page left open through a fair day still submits
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", self.BASE_URL.startswith("https"))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        # Behind a TLS-terminating proxy: links built outside a request use the public scheme.
        self.PREFERRED_URL_SCHEME = "https" if self.BASE_URL.startswith("https") else "http"
        self.PERMANENT_SESSION_LIFETIME = timedelta(days=14)
        self.REMEMBER_COOKIE_DURATION = timedelta(days=30)
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.MAX_CONTENT_LENGTH = 4 * 1024 * 1024
        self.BABEL_DEFAULT_LOCALE = "sv"
        self.BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
        # Compiled catalogs (.mo) are committed; refresh them with bin/i18n.
        self.BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "bazaar" / "translations")
        self.LANGUAGES = LANGUAGES
        self.PASSWORD_RESET_MAX_AGE = 2 * 3600
        self.EMAIL_VERIFY_MAX_AGE = 7 * 24 * 3600
        # Months after an event's survey period closes that its visitors' personal data is kept,
        # unless the event sets its own period (see bazaar.privacy.retention).
        self.RETENTION_MONTHS = int(env.get("BAZAAR_RETENTION_MONTHS", "24"))
        # Who runs the site: named on the privacy notice and the accessibility statement.
        self.CONTACT_EMAIL = env.get("BAZAAR_CONTACT_EMAIL") or None
        self.TESTING = False
        for key, value in overrides.items():
            setattr(self, key, value)
        if not self.SECRET_KEY:
            if self.SQLALCHEMY_DATABASE_URI.startswith("sqlite") or self.TESTING:
                self.SECRET_KEY = _dev_secret_key()
            else:
                raise RuntimeError("SECRET_KEY must be set when DATABASE_URL is set (production).")

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
