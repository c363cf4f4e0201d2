"""Shared fixtures: the real public data folder, reference units loaded once, users per role."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

SHARED_DATA = Path(
    os.environ.get(
        "TINHSO_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
).resolve()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "shared_data: needs the public data folder")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests live under tests/e2e and carry the e2e marker."""
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public data; its absence is an error, never a skip."""
    if not (SHARED_DATA / "admin").is_dir():
        pytest.fail(f"Public data folder not found at {SHARED_DATA}; set TINHSO_SHARED_DATA.")
    return SHARED_DATA


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Migrate once and load the built-in reference units once for the whole session."""
    from tinhso.core.models import AuditEvent
    from tinhso.core.services.history import apply_transfers
    from tinhso.core.services.reference import load_reference_units

    with django_db_blocker.unblock():
        if os.environ.get("TINHSO_REQUIRE_POSTGIS") == "1":
            _assert_postgis()
        load_reference_units()
        apply_transfers()
        # Tests count the audit rows their own actions write; the setup's rows are not theirs.
        AuditEvent.objects.all().delete()


def _assert_postgis() -> None:
    if connection.vendor != "postgresql":
        pytest.exit(
            f"TINHSO_REQUIRE_POSTGIS=1 but the test database is {connection.vendor}", returncode=3
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        row = cursor.fetchone()
    if row is None:
        pytest.exit(
            "TINHSO_REQUIRE_POSTGIS=1 but PostGIS is not installed in the test database",
            returncode=3,
        )


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    """Create a user with a role and scope; the password is ``PASSWORD``."""
    from tinhso.core.models import User

    def make(username: str, role: str = "", **fields: Any) -> Any:
        user = User(username=username, role=role, **fields)
        user.set_password(PASSWORD)
        user.save()
        return user

    return make


PASSWORD = "Mật-khẩu-thử-2025!"
