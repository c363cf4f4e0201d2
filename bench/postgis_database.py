"""Create and drop the PostGIS databases the benchmarks run on.

``url`` is the platform's ``postgis://user@host:port/name`` form; the user must be allowed to
create databases, and the commands connect to the server's ``postgres`` database to do so.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def conninfo(url: str, database: str | None = None) -> str:
    """The libpq URL of ``url``, or of another ``database`` on the same server."""
    parts = urlsplit(url)
    path = f"/{database}" if database else parts.path
    return urlunsplit(parts._replace(scheme="postgresql", path=path))


def create_database(url: str) -> None:
    """Drop the database of ``url`` if it exists, create it again and enable PostGIS in it."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(conninfo(url, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    with psycopg.connect(conninfo(url), autocommit=True) as connection:
        connection.execute(b"CREATE EXTENSION IF NOT EXISTS postgis")


def drop_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(conninfo(url, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
