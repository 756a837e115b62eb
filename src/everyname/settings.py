"""Django settings, built from the environment by ``everyname.config``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF

from everyname import config

#: Stands in for the secret key when none is configured, so the command line (which signs
#: nothing) works without one. It is never used to serve: ``everyname serve`` refuses to start
#: and every request is refused (``web.middleware.RequireSecretKey``) while it is in place.
NO_SECRET_KEY = "!no-secret-key-configured: run `everyname init`; never used to serve"
SECRET_KEY = config.secret_key() or NO_SECRET_KEY
DEBUG = config.parse_bool("EVERYNAME_DEBUG", default=False)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", *config.allowed_hosts()]
HTTPS = config.parse_bool("EVERYNAME_HTTPS", default=False)

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "everyname.store",
    "everyname.web",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",  # htmx itself (static django_htmx/htmx-2.min.js) and request.htmx
    "rest_framework",  # the JSON API (everyname.api)
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served by the app itself (static), no CDN
    "everyname.api.apps.ApiConfig",
]

MIDDLEWARE = [
    "everyname.web.middleware.RequireSecretKey",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "everyname.web.middleware.RequireSecondFactor",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "everyname.web.urls"
WSGI_APPLICATION = "everyname.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "everyname.web.access.context",
            ],
        },
    }
]

# Static files are served by the app itself (WhiteNoise), straight from the packages' static
# folders: nothing to collect, nothing fetched from another host (teams work offline).
STATIC_URL = "/static/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- signing in ------------------------------------------------------------------------------
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
AUTHENTICATION_BACKENDS = [
    # django-axes first: a locked-out user or address is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Ten failures lock the user name, and separately the address, for half an hour; the same
# whether the user exists or not, so the lockout reveals nothing.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked.html"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "everyname"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60  # a working day, then sign in again
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Every script, style, image and font comes from the app itself; no inline script runs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if HTTPS:
    # Behind a TLS proxy that sets X-Forwarded-Proto (see the README).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# Background jobs (store/jobs.py): django-tasks' database backend, so a worker needs nothing
# but the database everyname already uses (SQLite or PostgreSQL).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Uploading a list (web/views/upload.py): the largest file taken, in bytes, from
# EVERYNAME_UPLOAD_LIMIT_MB (default 200). It is enforced while the upload is read, so a larger
# file is never kept whole; Django's own DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) still bounds the
# form's other fields, and files over FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to disk, owner-only.
UPLOAD_LIMIT_BYTES = config.upload_limit_bytes()

# The JSON API (everyname.api): its own Bearer tokens only (no session, so no CSRF question),
# errors as {"error", "field"}, a page on every list, a rate per token.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["everyname.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["everyname.api.auth.HasRole"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["everyname.api.auth.TokenRateThrottle"],
    "EXCEPTION_HANDLER": "everyname.api.errors.handle",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
#: Requests per API token: a script in a loop slows down, the server stays up for the others.
API_RATE_PER_TOKEN = "600/minute"
SPECTACULAR_SETTINGS = {
    "TITLE": "everyname API",
    "DESCRIPTION": "Persons, records, sources, imports, counts, estimates and reviews, with the "
    "permissions of the token's user. Send `Authorization: Bearer TOKEN`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}

DATABASES = {"default": config.database_settings()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

# Checked by store.users whenever a password is set (the command line and the web alike).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
USE_I18N = True
LANGUAGES = [("en", "English"), ("ar", "العربية")]
LOCALE_PATHS = [Path(__file__).resolve().parent / "web" / "locale"]
FORMAT_MODULE_PATH = ["everyname.web.formats"]  # Arabic with Western digits: see ar/formats.py

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
