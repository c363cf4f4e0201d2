"""Typed platform settings read from ``TINHSO_*`` environment variables.

Django's settings module reads this once at start. Every check that can fail
raises :class:`ConfigurationError` with the variable name and the fix, so a
misconfigured deployment stops before it serves a request.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

logger = logging.getLogger(__name__)

# Used only when TINHSO_DEBUG is on; outside debug mode the platform refuses it.
DEVELOPMENT_SECRET_KEY = "tinhso-development-only-secret-key-do-not-use-in-production"  # noqa: S105

KEY_GENERATION_HINT = (
    "Set TINHSO_SECRET_KEY to a random value of at least 50 characters, for example the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
)


class ConfigurationError(RuntimeError):
    """A setting is missing or invalid; the message names the variable and the fix."""


@dataclass(frozen=True)
class DatabaseConfig:
    """Connection settings for Django's ``DATABASES['default']``."""

    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""
    options: dict[str, str] = field(default_factory=dict)

    @property
    def is_postgres(self) -> bool:
        return self.engine == "django.db.backends.postgresql"

    def as_django(self) -> dict[str, object]:
        settings: dict[str, object] = {"ENGINE": self.engine, "NAME": self.name}
        if self.is_postgres:
            settings.update(
                USER=self.user,
                PASSWORD=self.password,
                HOST=self.host,
                PORT=self.port,
                # Under ASGI, connections kept with CONN_MAX_AGE belong to the threads that
                # served requests and were seen to pile up until PostgreSQL refused clients, so
                # each process borrows from a psycopg connection pool instead (its defaults:
                # 4 connections, 30 s wait).
                OPTIONS={**self.options, "pool": True},
                CONN_MAX_AGE=0,
            )
        else:
            # WAL lets the web process read while an import writes.
            settings["OPTIONS"] = {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            }
        return settings


@dataclass(frozen=True)
class PlatformConfig:
    """Everything the platform reads from its environment."""

    data_dir: Path
    database: DatabaseConfig
    secret_key: str
    debug: bool
    allowed_hosts: list[str]
    secure_cookies: bool
    session_idle_minutes: int
    proxy_count: int
    # Folders (or files) of Sigma rules that live detection loads; TINHSO_SOC_RULES.
    soc_rules: tuple[Path, ...] = ()
    # pySigma pipeline files that live detection applies after the built-in ones;
    # TINHSO_SOC_PIPELINES.
    soc_pipelines: tuple[Path, ...] = ()


def parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean; use 1 or 0.")


def parse_int(name: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ConfigurationError(f"{name}={value} is below the minimum {minimum}.")
    return value


def split_paths(raw: str) -> tuple[Path, ...]:
    """Split a list of paths separated by ``os.pathsep``, skipping empty parts."""
    return tuple(Path(part).expanduser() for part in raw.split(os.pathsep) if part.strip())


def parse_paths(raw: str, default: Path) -> tuple[Path, ...]:
    """Split a list of paths separated by ``os.pathsep``; an empty value gives ``default``."""
    return split_paths(raw) or (default,)


def parse_database_url(url: str, data_dir: Path) -> DatabaseConfig:
    """Turn ``sqlite:///path`` or ``postgis://user:pass@host:port/db`` into a config.

    ``postgres://`` and ``postgresql://`` are accepted as synonyms of ``postgis://``:
    the platform always needs the PostGIS extension on PostgreSQL.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()

    if scheme == "sqlite":
        # As in SQLAlchemy: sqlite:///name.db is relative to the data folder and
        # sqlite:////abs/name.db (four slashes) is absolute.
        raw_path = unquote(parts.path)
        if not raw_path.strip("/"):
            raise ConfigurationError(
                "TINHSO_DATABASE_URL=sqlite:// names no file; use sqlite:///tinhso.sqlite3."
            )
        path = Path(raw_path[1:])
        if not path.is_absolute():
            path = data_dir / path
        return DatabaseConfig(engine="django.db.backends.sqlite3", name=str(path))

    if scheme in {"postgis", "postgres", "postgresql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigurationError(
                f"TINHSO_DATABASE_URL={redact_url(url)} names no database; "
                "append one, as in postgis://user@127.0.0.1:5432/tinhso."
            )
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return DatabaseConfig(
            engine="django.db.backends.postgresql",
            name=name,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname or "",
            port=str(parts.port or ""),
            options=options,
        )

    raise ConfigurationError(
        f"TINHSO_DATABASE_URL={redact_url(url)} has the unsupported scheme {scheme!r}; "
        "use sqlite:///FILE or postgis://USER:PASSWORD@HOST:PORT/DATABASE."
    )


def redact_url(url: str) -> str:
    """Hide the password of a database URL before it goes into a message or a log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def load(environ: os._Environ[str] | dict[str, str] | None = None) -> PlatformConfig:
    """Read and check the ``TINHSO_*`` variables; raise ConfigurationError on a bad one."""
    env = os.environ if environ is None else environ

    data_dir = Path(env.get("TINHSO_DATA_DIR", "./var")).expanduser().resolve()
    debug = parse_bool("TINHSO_DEBUG", env.get("TINHSO_DEBUG", "0"))

    default_db_url = f"sqlite:///{data_dir / 'tinhso.sqlite3'}"
    database = parse_database_url(env.get("TINHSO_DATABASE_URL", default_db_url), data_dir)

    secret_key = env.get("TINHSO_SECRET_KEY", "")
    if not secret_key or secret_key == DEVELOPMENT_SECRET_KEY:
        if not debug:
            raise ConfigurationError(
                "TINHSO_SECRET_KEY is not set and TINHSO_DEBUG is off, so the platform refuses "
                "to start with a known key. " + KEY_GENERATION_HINT
            )
        secret_key = DEVELOPMENT_SECRET_KEY
    elif len(secret_key) < 50 and not debug:
        raise ConfigurationError(
            f"TINHSO_SECRET_KEY has {len(secret_key)} characters, fewer than 50. "
            + KEY_GENERATION_HINT
        )

    default_hosts = "127.0.0.1,localhost,[::1]" if debug else ""
    allowed_hosts = [
        host.strip()
        for host in env.get("TINHSO_ALLOWED_HOSTS", default_hosts).split(",")
        if host.strip()
    ]
    if not allowed_hosts:
        raise ConfigurationError(
            "TINHSO_ALLOWED_HOSTS is empty; list the host names the platform answers to, "
            "comma-separated, for example ioc.phutho.gov.vn,127.0.0.1."
        )

    return PlatformConfig(
        data_dir=data_dir,
        database=database,
        secret_key=secret_key,
        debug=debug,
        allowed_hosts=allowed_hosts,
        secure_cookies=parse_bool(
            "TINHSO_SECURE_COOKIES", env.get("TINHSO_SECURE_COOKIES", "0" if debug else "1")
        ),
        session_idle_minutes=parse_int(
            "TINHSO_SESSION_IDLE_MINUTES", env.get("TINHSO_SESSION_IDLE_MINUTES", "30"), minimum=1
        ),
        proxy_count=parse_int("TINHSO_PROXY_COUNT", env.get("TINHSO_PROXY_COUNT", "0"), minimum=0),
        soc_rules=parse_paths(env.get("TINHSO_SOC_RULES", ""), default=data_dir / "soc" / "rules"),
        soc_pipelines=split_paths(env.get("TINHSO_SOC_PIPELINES", "")),
    )
