"""Configuration defaults.

Order of precedence (later wins): these defaults → ``instance/config.py`` → environment
variables prefixed ``LANGNGHE_`` (plus the conventional unprefixed ``DATABASE_URL``,
``REDIS_URL`` and ``SECRET_KEY``) → the ``test_config`` mapping given to ``create_app``.
"""

from __future__ import annotations

import os
from datetime import timedelta

ENV_PREFIX = "LANGNGHE"


class Defaults:
    # Capability packages loaded by name (core imports none of them): each exposes
    # ``init_app(app)`` that registers its models, blueprints, CLI and demo data.
    CAPABILITY_PACKAGES: tuple[str, ...] = ("surveys", "feedback", "reports")

    # Overridden in instance/config.py (written by `make run` with a random key) or the env.
    SECRET_KEY: str | None = None

    # None means "SQLite file in the instance folder" (resolved in the factory).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = 15_000
    # A read-only copy (a PostgreSQL streaming replica) for dashboards, figure pages, report
    # exports and the figures API; None reads everything from the primary (core.replica).
    REPLICA_DATABASE_URL: str | None = None

    # Redis is optional in the embedded default: rate limits then live in process memory.
    REDIS_URL: str | None = None
    # Stated even though it is Flask-Limiter's default: its one Limiter object keeps the value
    # the last app gave it when an app's config lacks the key, so one app (a test, a bench)
    # created with limits off would leave every later app in the process unprotected.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = "langnghe"
    # Proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (werkzeug's
    # ProxyFix): 0 in the embedded default (nothing in front: a forged header changes
    # nothing), 1 behind the nginx of deploy/. Rate limits key on the address this yields.
    TRUSTED_PROXY_HOPS = 0
    # gunicorn workers of this node (deploy/gunicorn.conf.py reads the same LANGNGHE_WORKERS):
    # with more than one, in-memory rate limits would count apart per worker, so the app
    # refuses to start in production without REDIS_URL.
    WORKERS = 1
    API_RATE_LIMIT = "600 per minute"
    LOGIN_RATE_LIMIT_PER_IP = "30 per minute"
    # Failed logins per account name in LOGIN_FAILURE_WINDOW before it is throttled.
    LOGIN_FAILURE_LIMIT = 5
    LOGIN_FAILURE_WINDOW = timedelta(minutes=15)

    # Languages: Vietnamese first, English second.
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    # Sessions and cookies.
    SESSION_COOKIE_NAME = "ln_session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=10)
    # last_seen is written at most this often, so browsing does not write on every request.
    SESSION_TOUCH_INTERVAL = timedelta(seconds=60)
    PASSWORD_MIN_LENGTH = 8
    # argon2 parameters by argon2-cffi profile name (core.passwords.PASSWORD_HASH_PROFILES).
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"

    # Request limits: bodies over this answer 413. Attachments are capped per file elsewhere.
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 512 * 1024

    WTF_CSRF_TIME_LIMIT = None  # the CSRF token lives as long as the session
    # HSTS only makes sense behind TLS; production sets it true.
    HSTS_ENABLED = False

    # API / OpenAPI (flask-smorest)
    API_TITLE = "Lắng nghe API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    # Where uploads and generated files live (outside the web root).
    UPLOAD_FOLDER: str | None = None

    # PAKN public form and status page (feedback.views.public): attachment limits per file and
    # per submission, and per-IP rate limits (Flask-Limiter strings).
    FEEDBACK_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    FEEDBACK_ATTACHMENT_MAX_FILES = 3
    FEEDBACK_POST_LIMIT = "30 per minute"
    FEEDBACK_STATUS_LIMIT = "10 per minute"

    # Fernet keys for personal data at rest, newest first (core.crypto). Empty: derived from
    # SECRET_KEY, fine for a demo; production sets LANGNGHE_CONTACT_KEYS="new,old".
    CONTACT_KEYS: tuple[str, ...] = ()

    # Mail (core.outbox). MAIL_BACKEND "log" (the embedded default: `make run` needs no mail
    # server; messages are logged, not sent) or "smtp" (production and the tests).
    MAIL_BACKEND = "log"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_USE_TLS = False   # STARTTLS after connecting
    MAIL_USE_SSL = False   # SMTP over TLS from the start (port 465)
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_SENDER = "no-reply@langnghe.local"
    MAIL_TIMEOUT = 10  # seconds
    # Channel → "log" to log instead of delivering (e.g. {"sms": "log"}).
    OUTBOX_ADAPTERS: dict = {}
    # SMS through a provider's HTTP API (core.messaging.HttpSmsAdapter). Without SMS_API_URL
    # SMS messages are only logged (development). SMS_API_AUTH: "bearer" (SMS_API_TOKEN),
    # "basic" (SMS_API_USERNAME, SMS_API_PASSWORD) or "none". SMS_API_BODY: the JSON body with
    # {phone} (84xxxxxxxxx), {phone0} (0xxxxxxxxx), {text}, {ref}, {sender} filled in;
    # SMS_API_ID_FIELD: where the answer holds the provider's message id (dotted path).
    SMS_API_URL: str | None = None
    SMS_API_AUTH = "bearer"
    SMS_API_TOKEN: str | None = None
    SMS_API_USERNAME: str | None = None
    SMS_API_PASSWORD: str | None = None
    SMS_API_BODY: dict | str | None = None  # default {"to": "{phone}", "text": "{text}", …}
    SMS_API_ID_FIELD = "id"
    SMS_SENDER = ""
    SMS_API_TIMEOUT = 10  # seconds
    # Zalo Notification Service (core.messaging.ZaloZnsAdapter). Without an access token Zalo
    # messages are only logged (development). Templates are approved by Zalo beforehand:
    # ZALO_ZNS_TEMPLATES maps a message purpose to its template id (ZALO_ZNS_TEMPLATE_ID for the
    # rest); a plain-text message goes in the template parameter ZALO_ZNS_TEXT_PARAM.
    ZALO_ZNS_URL = "https://business.openapi.zalo.me/message/template"
    ZALO_ZNS_ACCESS_TOKEN: str | None = None
    ZALO_ZNS_TEMPLATE_ID: str | None = None
    ZALO_ZNS_TEMPLATES: dict | str = {}
    ZALO_ZNS_TEXT_PARAM = "content"
    ZALO_ZNS_TIMEOUT = 10  # seconds
    # Attempts before a message is marked dead (retries after 1, 5, 30 min, 2 h, 12 h).
    OUTBOX_MAX_ATTEMPTS = 6
    # "worker": `flask jobs work` polls the outbox (embedded default); "rq": each message is
    # also queued on Redis (REDIS_URL) after the commit, for `rq worker langnghe`.
    JOBS_BACKEND = "worker"
    # Links in messages sent outside a request (jobs): the public address of the site.
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    # Reminders go to handling units this many working days before a case is due.
    PAKN_REMINDER_WORKING_DAYS = 2

    # Observability (core.request_log, core.metrics). One JSON line per request on the
    # "langnghe.request" logger; the client's address only if the operator asks for it:
    # "none" (default), "prefix" (IPv4 /24, IPv6 /48) or "full".
    REQUEST_LOG = True
    REQUEST_LOG_CLIENT_ADDRESS = "none"
    # /metrics answers staff with a system-wide metrics.view grant (the system administrator),
    # API keys carrying metrics.view, and, when this is true, direct loopback requests that
    # came through no proxy (a Prometheus on the same host scraping the node's own port).
    METRICS_ALLOW_LOOPBACK = False


def env_overrides() -> dict:
    """The conventional unprefixed variables that hosting platforms set."""
    found: dict = {}
    if os.environ.get("DATABASE_URL"):
        found["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    if os.environ.get("REDIS_URL"):
        found["REDIS_URL"] = os.environ["REDIS_URL"]
    if os.environ.get("SECRET_KEY"):
        found["SECRET_KEY"] = os.environ["SECRET_KEY"]
    return found


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for plain postgres URLs (the driver we ship)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
