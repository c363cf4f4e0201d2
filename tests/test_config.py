"""Typed settings from TINHSO_* variables, and the checks that stop a bad deployment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tinhso import config

LONG_KEY = "k" * 60


def load(**env: str) -> config.PlatformConfig:
    return config.load({"TINHSO_DATA_DIR": "/srv/tinhso-test", **env})


def test_debug_uses_the_development_key() -> None:
    assert load(TINHSO_DEBUG="1").secret_key == config.DEVELOPMENT_SECRET_KEY


def test_missing_secret_outside_debug_is_refused() -> None:
    with pytest.raises(config.ConfigurationError) as raised:
        load(TINHSO_ALLOWED_HOSTS="ioc.example.vn")
    assert "TINHSO_SECRET_KEY is not set" in str(raised.value)
    assert "secrets.token_urlsafe(50)" in str(raised.value)


def test_development_key_outside_debug_is_refused() -> None:
    with pytest.raises(config.ConfigurationError, match="refuses to start with a known key"):
        load(TINHSO_SECRET_KEY=config.DEVELOPMENT_SECRET_KEY, TINHSO_ALLOWED_HOSTS="x")


def test_short_secret_outside_debug_is_refused() -> None:
    with pytest.raises(config.ConfigurationError, match="has 10 characters, fewer than 50"):
        load(TINHSO_SECRET_KEY="0123456789", TINHSO_ALLOWED_HOSTS="x")


def test_production_needs_allowed_hosts() -> None:
    with pytest.raises(config.ConfigurationError, match="TINHSO_ALLOWED_HOSTS is empty"):
        load(TINHSO_SECRET_KEY=LONG_KEY)


def test_production_defaults() -> None:
    settings = load(TINHSO_SECRET_KEY=LONG_KEY, TINHSO_ALLOWED_HOSTS="ioc.example.vn, 127.0.0.1")
    assert settings.debug is False
    assert settings.secure_cookies is True
    assert settings.allowed_hosts == ["ioc.example.vn", "127.0.0.1"]
    assert settings.session_idle_minutes == 30


def test_default_database_is_sqlite_in_the_data_folder() -> None:
    settings = load(TINHSO_DEBUG="1")
    assert settings.database.engine == "django.db.backends.sqlite3"
    assert settings.database.name == "/srv/tinhso-test/tinhso.sqlite3"


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("sqlite:///pilot.db", "/srv/tinhso-test/pilot.db"),
        ("sqlite:////srv/tinhso/db.sqlite3", "/srv/tinhso/db.sqlite3"),
    ],
)
def test_sqlite_urls(url: str, name: str) -> None:
    assert load(TINHSO_DEBUG="1", TINHSO_DATABASE_URL=url).database.name == name


@pytest.mark.parametrize("scheme", ["postgis", "postgres", "postgresql"])
def test_postgis_url(scheme: str) -> None:
    database = load(
        TINHSO_DEBUG="1",
        TINHSO_DATABASE_URL=f"{scheme}://ioc:p%40ss@db.local:6543/tinhso?sslmode=require",
    ).database
    assert database.engine == "django.db.backends.postgresql"
    assert (database.user, database.password, database.host, database.port, database.name) == (
        "ioc",
        "p@ss",
        "db.local",
        "6543",
        "tinhso",
    )
    assert database.options == {"sslmode": "require"}


def test_unknown_scheme_hides_the_password() -> None:
    with pytest.raises(config.ConfigurationError) as raised:
        load(TINHSO_DEBUG="1", TINHSO_DATABASE_URL="mysql://root:hunter2@db/x")
    assert "unsupported scheme 'mysql'" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_postgis_url_without_database() -> None:
    with pytest.raises(config.ConfigurationError, match="names no database"):
        load(TINHSO_DEBUG="1", TINHSO_DATABASE_URL="postgis://u@h:5432/")


@pytest.mark.parametrize(
    ("name", "value"), [("TINHSO_DEBUG", "perhaps"), ("TINHSO_SESSION_IDLE_MINUTES", "0")]
)
def test_invalid_values(name: str, value: str) -> None:
    env = {"TINHSO_DEBUG": "1", name: value}
    with pytest.raises(config.ConfigurationError, match=name):
        load(**env)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tinhso(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tinhso", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_command_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINHSO_")}
    env["TINHSO_DATA_DIR"] = str(tmp_path)
    result = _tinhso("check", env=env)
    assert result.returncode == 2
    assert "TINHSO_SECRET_KEY is not set" in result.stderr


def test_serve_answers_healthz(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINHSO_")}
    env.update(
        TINHSO_DATA_DIR=str(tmp_path), TINHSO_SECRET_KEY=LONG_KEY, TINHSO_ALLOWED_HOSTS="127.0.0.1"
    )
    migrate = _tinhso("migrate", "--no-input", env=env)
    assert migrate.returncode == 0, migrate.stderr

    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "tinhso", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = ""
        for _attempt in range(100):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ) as response:  # noqa: S310
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert '"status": "ok"' in body
        assert '"pending": []' in body
    finally:
        server.terminate()
        server.wait(timeout=20)
