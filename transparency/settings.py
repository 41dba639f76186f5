"""Settings for Transparency: everything that differs between machines comes from the environment.

Development needs nothing set: DEBUG defaults on, SQLite file ``db.sqlite3``. Production sets
``DEBUG=0``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DATABASE_URL`` and refuses to start without a
real secret.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-development-only-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the app refuses to start without a real "
            "secret: set the SECRET_KEY environment variable (for example from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is the development default; set a real secret.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "django_filters",
    "simple_history",
    "axes",
    "requests_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The language of every answer comes from the path (/zh-hant/... or English without a prefix;
    # see LANGUAGES): set before anything can answer, so that a page refused early (a 400) or
    # served from the page cache is in the path's language and no thread keeps the language of
    # its previous request. (Django's advice to put it after the sessions dates from when it
    # read the language from the session; it no longer does.)
    "django.middleware.locale.LocaleMiddleware",
    # Hardening (transparency/middleware.py): NUL in a URL or cookie is a 400 (PostgreSQL cannot
    # take it); a database outage answers 503 "temporarily unavailable".
    "transparency.middleware.RejectNulMiddleware",
    # An upload over the import page's cap is a 413 before its body is read (nothing is stored).
    "transparency.middleware.BodySizeLimitMiddleware",
    # Serves cached public pages before the session, auth, CSRF and CSP middleware run (their
    # headers are stored with the page); see requests_app/caching.py.
    "requests_app.caching.PublicPageCacheMiddleware",
    "transparency.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Records which user made each change in the version history.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Must be last: it turns a lockout signalled by the axes backend into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses further attempts once the limit is reached.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "transparency.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # The page in its other languages: the switcher and the hreflang alternates.
                "requests_app.languages.context",
            ],
        },
    },
]

WSGI_APPLICATION = "transparency.wsgi.application"
ASGI_APPLICATION = "transparency.asgi.application"

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server (not one refusing) must not hold a worker for minutes per request.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
    )
# Every view runs in one transaction: a failing request leaves no half-written rows.
DATABASES["default"]["ATOMIC_REQUESTS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The public site in English (today's URLs) and Traditional Chinese for Hong Kong readers under
# /zh-hant/ (transparency/urls.py); the desk stays English. docs/translation.md: the glossary and
# how to update the catalogue in locale/.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hant", "繁體中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Numbers as Hong Kong writes them (1,234,567; Django's zh_Hant groups by four without a separator).
FORMAT_MODULE_PATH = ["transparency.formats"]
# The jurisdictions whose national-security process the report publishes in bands, every period
# (zeros included), so that a band never appears with a jurisdiction's first request.
NATIONAL_SECURITY_JURISDICTIONS = [
    code.strip().upper()
    for code in os.environ.get("NATIONAL_SECURITY_JURISDICTIONS", "US").split(",")
    if code.strip()
]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Public pages are cached until something public changes (requests_app/caching.py). Each process
# has its own memory cache unless REDIS_URL names a shared one. Every distinct URL (query string
# included) is an entry, so the count bounds what hostile query strings can make a process hold:
# at most PAGE_CACHE_ENTRIES x the largest answer (the full /data/requests.json), then the oldest
# third is dropped. Redis is bounded by its own maxmemory policy.
REDIS_URL = os.environ.get("REDIS_URL", "")
PAGE_CACHE_ENTRIES = int(os.environ.get("PAGE_CACHE_ENTRIES", "200"))
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "transparency",
            # A hung Redis must cost a page a second at most (it is then rendered uncached).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": PAGE_CACHE_ENTRIES, "CULL_FREQUENCY": 3},
        }
    )
}
# Pages rendered by one release are not served by the next (a shared Redis outlives deploys):
# set CACHE_VERSION to the release's id when deploying.
CACHES["default"]["VERSION"] = os.environ.get("CACHE_VERSION", "1")

# Jurisdictions beyond ISO 3166-1 (requests_app/jurisdictions.py): Kosovo as CLDR, the EU and the
# IMF code it, and international bodies under the codes ISO 3166 reserves for them.
COUNTRIES_OVERRIDE = {"XK": _("Kosovo"), "UN": _("United Nations"), "EU": _("European Union bodies")}

# A request open longer than this many days counts as overdue on the reviewers' desk.
OVERDUE_AFTER_DAYS = int(os.environ.get("OVERDUE_AFTER_DAYS", "30"))

# Bulk intake: where an uploaded CSV waits between its preview and the confirmed import
# (empty: a directory under the system's temporary directory). Must be shared by all app
# servers if there are several.
REQUEST_IMPORT_UPLOAD_DIR = os.environ.get("REQUEST_IMPORT_UPLOAD_DIR", "")
# The largest file (in MB, 2**20 bytes) the admin's Import CSV page takes; larger files go through
# `manage.py import_requests FILE.csv`. The page checks the whole file inside one web request,
# which must answer within the worker timeout (gunicorn: 30 s): a typical 20 MB file (~180,000
# rows) is checked in about 2 s (bench/measure_preview.py), leaving room for slower machines and
# files that take the importer's slow path. Django streams an upload over
# FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, its default) to a temporary file, not into memory.
REQUEST_IMPORT_MAX_UPLOAD_MB = int(os.environ.get("REQUEST_IMPORT_MAX_UPLOAD_MB", "20"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs every login at INFO; failures and lockouts are WARNING and still shown.
    "loggers": {"axes": {"level": os.environ.get("AXES_LOG_LEVEL", "WARNING")}},
}

# --- Security -------------------------------------------------------------------------------
# `manage.py check --deploy` passes with DEBUG off (tests/test_security.py runs it).
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"

# Behind a TLS-terminating proxy, name the header it sets, e.g. "HTTP_X_FORWARDED_PROTO:https".
_proxy_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "")
if _proxy_header:
    _name, _, _value = _proxy_header.partition(":")
    SECURE_PROXY_SSL_HEADER = (_name.strip(), (_value or "https").strip())
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# Desk sessions end after a working day, and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Content-Security-Policy (django-csp): no inline or third-party scripts anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The Django admin sets a few inline style attributes; styles cannot run code.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login throttling (django-axes): 5 failures for one username from one address lock it out.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "lockout.html"
AXES_VERBOSE = False  # no banner on every management command
# Behind reverse proxies the connection's address is the proxy's, shared by every client: set
# TRUSTED_PROXY_COUNT to the number of proxies that append to X-Forwarded-For in front of the
# app, and throttling keys on the client's address (transparency/proxies.py). 0: the header is
# ignored (a client could write anything in it).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "transparency.proxies.client_ip"

# The desk is the only place to land after a login (an unsafe ?next= is ignored by Django).
LOGIN_REDIRECT_URL = "admin:index"

# History is an audit trail: it can be read, never "reverted" into a silent overwrite.
SIMPLE_HISTORY_REVERT_DISABLED = True
