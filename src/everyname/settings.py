"""Django settings, built from the environment by ``everyname.config``."""

from __future__ import annotations

from everyname import config

SECRET_KEY = config.env("EVERYNAME_SECRET_KEY") or "everyname-local-only-not-secret"
DEBUG = config.parse_bool("EVERYNAME_DEBUG", default=False)
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "everyname.store",
    "django_tasks",
    "django_tasks_db",
]

# Background jobs (store/jobs.py): django-tasks' database backend, so a worker needs nothing
# but the database everyname already uses (SQLite or PostgreSQL).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

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
USE_I18N = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
