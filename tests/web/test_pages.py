"""Health check, security headers and request ids of the web pages."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_migrations(client: Client) -> None:
    response = client.get("/healthz")
    state = response.json()

    assert response.status_code == 200
    assert state["status"] == "ok"
    assert state["database"] == {"vendor": connection.vendor, "status": "ok"}
    assert state["migrations"]["pending"] == []
    assert state["migrations"]["applied"] > 0


def test_healthz_needs_no_login(client: Client) -> None:
    assert client.get("/healthz")["Content-Type"] == "application/json"


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.fixture
def home_headers(client: Client) -> dict[str, str]:
    response = client.get("/")
    assert response.status_code == 200
    return dict(response.headers)


def test_home_has_content_security_policy(home_headers: dict[str, str]) -> None:
    directives = csp_directives(home_headers["Content-Security-Policy"])

    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def test_home_policy_forbids_inline_code(home_headers: dict[str, str]) -> None:
    policy = home_headers["Content-Security-Policy"]

    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy


def test_home_loads_nothing_from_other_hosts(home_headers: dict[str, str]) -> None:
    sources = [
        source
        for values in csp_directives(home_headers["Content-Security-Policy"]).values()
        for source in values
    ]

    assert [source for source in sources if "://" in source or source == "*"] == []


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ],
)
def test_home_has_security_header(home_headers: dict[str, str], header: str, value: str) -> None:
    assert home_headers[header] == value


def test_response_has_new_request_id(client: Client) -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/healthz")["X-Request-ID"])


def test_request_ids_differ(client: Client) -> None:
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


def test_client_request_id_is_kept(client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="gateway-20251201-0042")

    assert response["X-Request-ID"] == "gateway-20251201-0042"


@pytest.mark.parametrize("supplied", ["short", "has space in it", "x" * 65])
def test_unusable_request_id_is_replaced(client: Client, supplied: str) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID=supplied)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
