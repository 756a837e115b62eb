"""Configuration from the environment is parsed strictly, with messages naming the variable."""

import pytest

from everyname import config


def test_default_is_a_sqlite_file_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVERYNAME_DATABASE_URL", raising=False)
    settings = config.database_settings()
    assert settings["ENGINE"] == "django.db.backends.sqlite3"
    assert settings["NAME"] == str(tmp_path / "everyname.sqlite3")


def test_postgres_url_is_understood():
    settings = config.database_settings("postgresql://rec:pw@db.example:5433/everyname")
    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert (settings["HOST"], settings["PORT"], settings["NAME"]) == (
        "db.example",
        5433,
        "everyname",
    )


@pytest.mark.parametrize("url", ["mysql://u:secret@h/db", "nonsense"])
def test_unsupported_url_names_the_variable_and_hides_the_password(url):
    with pytest.raises(config.ConfigurationError) as excinfo:
        config.database_settings(url)
    message = str(excinfo.value)
    assert "EVERYNAME_DATABASE_URL" in message and "postgresql://" in message
    assert "secret" not in message


def test_secret_can_come_from_a_file(tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    monkeypatch.setenv("EVERYNAME_SECRET_KEY_FILE", str(secret))
    assert config.env("EVERYNAME_SECRET_KEY") == "s3cr3t"


def test_bad_boolean_is_refused(monkeypatch):
    monkeypatch.setenv("EVERYNAME_DEBUG", "maybe")
    with pytest.raises(config.ConfigurationError, match="EVERYNAME_DEBUG"):
        config.parse_bool("EVERYNAME_DEBUG")


def test_the_upload_limit_in_megabytes(monkeypatch):
    monkeypatch.delenv("EVERYNAME_UPLOAD_LIMIT_MB", raising=False)
    assert config.upload_limit_bytes() == 200 * 1024 * 1024
    monkeypatch.setenv("EVERYNAME_UPLOAD_LIMIT_MB", "5")
    assert config.upload_limit_bytes() == 5 * 1024 * 1024
    for bad in ("0", "-3", "big", "1.5"):
        monkeypatch.setenv("EVERYNAME_UPLOAD_LIMIT_MB", bad)
        with pytest.raises(config.ConfigurationError, match="EVERYNAME_UPLOAD_LIMIT_MB"):
            config.upload_limit_bytes()
