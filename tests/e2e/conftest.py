"""Fixtures of the browser tests: the live server with the real province data, users, Chromium.

The live server needs transactional database access, which flushes the database after each
test, so every test loads the reference units and the boundary files again.

Static files: pytest-django's ``live_server`` wraps the site in
``django.contrib.staticfiles.handlers.StaticFilesHandler`` whenever staticfiles is installed,
so ``/static/`` is served from the app folders through the staticfiles finders, as
``StaticLiveServerTestCase`` does. No ``collectstatic`` run is needed, and the browser loads
the files under ``src/tinhso/web/static`` themselves. The home map test checks that each of
them is served with status 200.

Playwright's sync API keeps an asyncio event loop running in the test thread while it is
started, and Django refuses ORM calls from such a thread. So every database write happens in
fixtures that ``page`` depends on, before Chromium starts, and Playwright is stopped before
pytest-django flushes the database.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import totp
from playwright.sync_api import (
    ConsoleMessage,
    Page,
    Request,
    Response,
    ViewportSize,
    sync_playwright,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 1366, "height": 850}
# Timeout of every Playwright action and wait, in milliseconds (Playwright's own is 30 000).
TIMEOUT_MS = 15_000

PROVINCE_CODE = "25"
# Hòa Bình, Phú Thọ and Vĩnh Phúc, which merged into the new Phú Thọ on 1 July 2025.
MERGED_PROVINCE_CODES = ["17", "25", "26"]

ADMIN_USERNAME = "quantri"
LEADER_USERNAME = "lanhdao"

COMMUNE_BOUNDARIES = "boundaries/phutho_wards_2025_vietnam3dmap.geojson"
DISTRICT_BOUNDARIES = "boundaries/vinhphuc_province_districts_gischinhphu.geojson"
DISTRICT_BOUNDARY_DATE = dt.date(2025, 6, 30)

# Sent from the page for every Content-Security-Policy violation, in any frame.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.tinhsoReportCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline code"} at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@dataclass
class PageProblems:
    """Problems seen in the browser while a test ran. Every list should stay empty."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    static_responses: dict[str, int] = field(default_factory=dict)

    def on_csp_violation(self, description: str) -> None:
        self.csp_violations.append(description)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def on_response(self, response: Response) -> None:
        if "/static/" in response.url:
            self.static_responses[response.url] = response.status
        if response.status >= 400:
            self.failed_requests.append(f"{response.status} {response.url}")

    def on_request_failed(self, request: Request) -> None:
        # Leaving a page cancels its pending requests, such as the map worker script, which
        # is no fault of the page.
        if request.failure != "net::ERR_ABORTED":
            self.failed_requests.append(f"{request.failure} {request.url}")


@dataclass(frozen=True)
class ProvinceFacts:
    """What the map should show, read from the database the live server uses."""

    communes_after_reform: int
    old_district_boundaries: int
    communes_before_reform: int
    # Communes drawn as points: those with a known centre.
    commune_points_before_reform: int
    vinh_yen_centroid: tuple[float, float]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Give the browser tests a SQLite file rather than the shared in-memory database.

    Every thread of the live server opens its own connection. On the in-memory database
    those connections share one cache, where a writer that meets another connection's lock
    fails at once with "database table is locked": pages open several requests at a time
    (map data, the event stream, htmx panels) that each save the session, while the MQTT
    worker inserts events. A file in WAL mode gives each connection its own snapshot, and
    the busy timeout of the database settings makes writers wait for each other instead.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folder = tmp_path_factory.mktemp("e2e-database")
        database.setdefault("TEST", {})["NAME"] = str(folder / "tinhso-e2e.sqlite3")


@pytest.fixture
def province_units(live_server: Any, shared_data: Path) -> ProvinceFacts:
    """Load every unit of the country and the boundaries of the new and the old province."""
    from tinhso.core.models import Unit, UnitLevel
    from tinhso.core.services.reference import load_reference_units
    from tinhso.core.services.units import DAY_BEFORE_REFORM, REFORM_DATE, find_unit
    from tinhso.geo.boundaries import BoundaryImportOptions, import_boundaries

    load_reference_units()
    communes = import_boundaries(shared_data / COMMUNE_BOUNDARIES)
    districts = import_boundaries(
        shared_data / DISTRICT_BOUNDARIES, BoundaryImportOptions(date=DISTRICT_BOUNDARY_DATE)
    )
    assert communes.rows_accepted == 148
    assert districts.rows_accepted == 10

    before = Unit.objects.valid_on(DAY_BEFORE_REFORM)
    vinh_yen = find_unit("08707", REFORM_DATE)
    assert vinh_yen.centroid_lon is not None
    assert vinh_yen.centroid_lat is not None
    return ProvinceFacts(
        communes_after_reform=Unit.objects.valid_on(REFORM_DATE)
        .filter(parent=find_unit(PROVINCE_CODE, REFORM_DATE))
        .count(),
        old_district_boundaries=before.filter(
            level=UnitLevel.DISTRICT,
            parent__code__in=MERGED_PROVINCE_CODES,
            boundary__isnull=False,
        ).count(),
        communes_before_reform=before.filter(
            level=UnitLevel.COMMUNE, parent__parent__code__in=MERGED_PROVINCE_CODES
        ).count(),
        commune_points_before_reform=before.filter(
            level=UnitLevel.COMMUNE,
            parent__parent__code__in=MERGED_PROVINCE_CODES,
            centroid_lon__isnull=False,
        ).count(),
        vinh_yen_centroid=(vinh_yen.centroid_lon, vinh_yen.centroid_lat),
    )


@pytest.fixture
def accounts(province_units: ProvinceFacts, make_user: Callable[..., Any]) -> dict[str, Any]:
    """A system administrator (TOTP not enrolled yet) and a provincial leader."""
    admin = make_user(
        ADMIN_USERNAME,
        role="system_administrator",
        is_staff=True,
        is_superuser=True,
        first_name="An",
        last_name="Nguyễn Văn",
    )
    leader = make_user(
        LEADER_USERNAME, role="provincial_leader", first_name="Bình", last_name="Trần Thị"
    )
    return {"admin": admin, "leader": leader}


@pytest.fixture
def page(live_server: Any, accounts: dict[str, Any]) -> Iterator[Page]:
    """A Chromium page on the live server, opened after the database is ready."""
    problems = PageProblems()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        context.expose_function("tinhsoReportCspViolation", problems.on_csp_violation)
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        page.on("console", problems.on_console)
        page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
        page.on("response", problems.on_response)
        page.on("requestfailed", problems.on_request_failed)
        page.tinhso_problems = problems  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            context.close()
            browser.close()


def problems_of(page: Page) -> PageProblems:
    problems: PageProblems = page.tinhso_problems  # type: ignore[attr-defined]
    return problems


def current_totp(secret: str, drift: int = 0) -> str:
    """The six-digit RFC 6238 code of a base32 secret written without "=" padding.

    ``drift`` is added to the time step: 1 gives the code the app shows next.
    """
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, drift=drift):06d}"


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def assert_no_browser_errors(page: Page) -> None:
    """Fail on console errors, uncaught exceptions, CSP violations or failed requests."""
    problems = problems_of(page)
    assert problems.csp_violations == []
    assert problems.page_errors == []
    assert problems.console_errors == []
    assert problems.failed_requests == []
