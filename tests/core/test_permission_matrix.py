"""Every URL pattern of the project against every role: the status each role gets on a GET.

``EXPECTED`` is written out by hand. A URL pattern without an entry fails
``test_every_url_pattern_has_an_entry`` with the pattern's route, so a new page cannot ship
without a decision on who may open it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from shapely.geometry import MultiPolygon, Polygon

from tests.accounts import (
    ADMIN,
    ALL_ROLES,
    ANONYMOUS,
    VINH_YEN_CODE,
    current_vinh_yen,
    login_verified,
    make_department,
    make_role_users,
)
from tests.matrix import (
    ADMIN_INDEX,
    CHANGE_PAGE,
    DENIED,
    HOME,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    OTP,
    PUBLIC_PAGE,
    UNAUTHORIZED,
    Expect,
    admin_page,
    data_entry,
    expect,
    for_everyone,
)
from tinhso.api.keys import issue_key
from tinhso.api.models import ApiAccessLog
from tinhso.core import audit
from tinhso.core.models import AuditAction, Role, Unit, User
from tinhso.geo.models import Boundary
from tinhso.geo.storage import set_geometry
from tinhso.ingest.models import ImportBatch, ImportJob, QuarantineRecord
from tinhso.ioc.models import Event, Indicator, IndicatorGroup, Target
from tinhso.ioc.periods import parse as parse_period
from tinhso.ioc.services.values import IncomingValue, store_values

EXPECTED: dict[str, Expect] = {
    "healthz": for_everyone(OK),
    # --- web shell
    "": PUBLIC_PAGE,
    "units/search/": PUBLIC_PAGE,
    "units/<str:code>/": PUBLIC_PAGE,
    "login/": expect(anonymous=OK, staff=HOME, admin_without_otp=OTP, admin=HOME),
    "logout/": for_everyone(NOT_ALLOWED),
    "otp/": expect(anonymous=LOGIN, staff=OK, admin_without_otp=OK, admin=HOME),
    # A GET changes nothing and goes back to the page it came from.
    "i18n/setlang/": for_everyone(HOME),
    # --- IOC pages
    "ioc/": expect(anonymous=LOGIN, staff=OK, admin_without_otp=OTP, admin=OK),
    "ioc/import/": data_entry(officer=OK, others=OK),
    # A job belongs to the officer who uploaded the file; others see no such job.
    "ioc/import/<int:job_id>/preview/": data_entry(officer=OK, others=NOT_FOUND),
    "ioc/import/<int:job_id>/": data_entry(officer=OK, others=NOT_FOUND),
    "ioc/import/<int:job_id>/confirm/": data_entry(
        officer=NOT_ALLOWED, others=NOT_ALLOWED, admin=NOT_ALLOWED
    ),
    "ioc/templates/<slug:group_code>.xlsx": data_entry(officer=OK, others=OK),
    # --- API: public reference data, no key and no session needed
    "api/v1/": for_everyone(OK),
    "api/v1/openapi.json": for_everyone(OK),
    "api/v1/units": for_everyone(OK),
    "api/v1/units/geojson": for_everyone(OK),
    "api/v1/units/<code>": for_everyone(OK),
    "api/v1/units/<code>/boundary": for_everyone(OK),
    # IOC data: agency keys, or staff reading through their session (after TOTP for admins).
    "api/v1/ioc/indicators": expect(
        anonymous=UNAUTHORIZED, staff=OK, admin_without_otp=UNAUTHORIZED, admin=OK
    ),
    "api/v1/ioc/values": expect(
        anonymous=UNAUTHORIZED, staff=OK, admin_without_otp=UNAUTHORIZED, admin=OK
    ),
    "api/v1/ioc/dataValueSets": expect(
        anonymous=UNAUTHORIZED, staff=OK, admin_without_otp=UNAUTHORIZED, admin=OK
    ),
    # --- admin site
    "admin/": admin_page(),
    "admin/login/": for_everyone(LOGIN),
    "admin/logout/": expect(
        anonymous=ADMIN_INDEX, staff=DENIED, admin_without_otp=OTP, admin=NOT_ALLOWED
    ),
    "admin/password_change/": admin_page(),
    "admin/password_change/done/": admin_page(),
    "admin/autocomplete/": admin_page(DENIED),  # without its query parameters
    "admin/jsi18n/": admin_page(),
    "admin/r/<path:content_type_id>/<path:object_id>/": admin_page(NOT_FOUND),  # no public URL
    "admin/(?P<url>.*)$": admin_page(NOT_FOUND),
    "admin/auth/group/": admin_page(),
    "admin/auth/group/add/": admin_page(),
    "admin/auth/group/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/auth/group/<path:object_id>/change/": admin_page(),
    "admin/auth/group/<path:object_id>/history/": admin_page(),
    "admin/auth/group/<path:object_id>/delete/": admin_page(),
    "admin/otp_totp/totpdevice/": admin_page(),
    "admin/otp_totp/totpdevice/add/": admin_page(),
    "admin/otp_totp/totpdevice/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/otp_totp/totpdevice/<path:object_id>/change/": admin_page(),
    "admin/otp_totp/totpdevice/<path:object_id>/history/": admin_page(),
    "admin/otp_totp/totpdevice/<path:object_id>/delete/": admin_page(),
    # Another user's TOTP secret and QR code stay hidden even from administrators.
    "admin/otp_totp/totpdevice/<int:pk>/config/": admin_page(DENIED),
    "admin/otp_totp/totpdevice/<int:pk>/qrcode/": admin_page(DENIED),
    # Lockout records: read-only, deleting one unlocks the account.
    "admin/axes/accessattempt/": admin_page(),
    "admin/axes/accessattempt/add/": admin_page(DENIED),
    "admin/axes/accessattempt/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/axes/accessattempt/<path:object_id>/change/": admin_page(),
    "admin/axes/accessattempt/<path:object_id>/history/": admin_page(),
    "admin/axes/accessattempt/<path:object_id>/delete/": admin_page(),
    "admin/axes/accesslog/": admin_page(),
    "admin/axes/accesslog/add/": admin_page(DENIED),
    "admin/axes/accesslog/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/axes/accesslog/<path:object_id>/change/": admin_page(),
    "admin/axes/accesslog/<path:object_id>/history/": admin_page(),
    "admin/axes/accesslog/<path:object_id>/delete/": admin_page(),
    "admin/axes/accessfailurelog/": admin_page(),
    "admin/axes/accessfailurelog/add/": admin_page(DENIED),
    "admin/axes/accessfailurelog/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/axes/accessfailurelog/<path:object_id>/change/": admin_page(),
    "admin/axes/accessfailurelog/<path:object_id>/history/": admin_page(),
    "admin/axes/accessfailurelog/<path:object_id>/delete/": admin_page(),
    "admin/core/unit/": admin_page(),
    "admin/core/unit/add/": admin_page(),
    "admin/core/unit/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/core/unit/<path:object_id>/change/": admin_page(),
    "admin/core/unit/<path:object_id>/history/": admin_page(),
    "admin/core/unit/<path:object_id>/delete/": admin_page(),
    "admin/core/unitlink/": admin_page(),
    "admin/core/unitlink/add/": admin_page(),
    "admin/core/unitlink/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/core/unitlink/<path:object_id>/change/": admin_page(),
    "admin/core/unitlink/<path:object_id>/history/": admin_page(),
    "admin/core/unitlink/<path:object_id>/delete/": admin_page(),
    "admin/core/department/": admin_page(),
    "admin/core/department/add/": admin_page(),
    "admin/core/department/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/core/department/<path:object_id>/change/": admin_page(),
    "admin/core/department/<path:object_id>/history/": admin_page(),
    "admin/core/department/<path:object_id>/delete/": admin_page(),
    "admin/core/user/": admin_page(),
    "admin/core/user/add/": admin_page(),
    "admin/core/user/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/core/user/<path:object_id>/change/": admin_page(),
    "admin/core/user/<path:object_id>/history/": admin_page(),
    "admin/core/user/<path:object_id>/delete/": admin_page(),
    "admin/core/user/<id>/password/": admin_page(),
    # The audit log is read-only: rows can be viewed, never added, changed or deleted.
    "admin/core/auditevent/": admin_page(),
    "admin/core/auditevent/add/": admin_page(DENIED),
    "admin/core/auditevent/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/core/auditevent/<path:object_id>/change/": admin_page(),
    "admin/core/auditevent/<path:object_id>/history/": admin_page(),
    "admin/core/auditevent/<path:object_id>/delete/": admin_page(DENIED),
    "admin/ingest/importbatch/": admin_page(),
    "admin/ingest/importbatch/add/": admin_page(DENIED),
    "admin/ingest/importbatch/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/ingest/importbatch/<path:object_id>/change/": admin_page(),
    "admin/ingest/importbatch/<path:object_id>/history/": admin_page(),
    "admin/ingest/importbatch/<path:object_id>/delete/": admin_page(DENIED),
    "admin/ingest/quarantinerecord/": admin_page(),
    "admin/ingest/quarantinerecord/add/": admin_page(DENIED),
    "admin/ingest/quarantinerecord/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/ingest/quarantinerecord/<path:object_id>/change/": admin_page(),
    "admin/ingest/quarantinerecord/<path:object_id>/history/": admin_page(),
    "admin/ingest/quarantinerecord/<path:object_id>/delete/": admin_page(DENIED),
    "admin/geo/boundary/": admin_page(),
    "admin/geo/boundary/add/": admin_page(),
    "admin/geo/boundary/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/geo/boundary/<path:object_id>/change/": admin_page(),
    "admin/geo/boundary/<path:object_id>/history/": admin_page(),
    "admin/geo/boundary/<path:object_id>/delete/": admin_page(),
    "admin/ioc/indicatorgroup/": admin_page(),
    "admin/ioc/indicatorgroup/add/": admin_page(),
    "admin/ioc/indicatorgroup/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/ioc/indicatorgroup/<path:object_id>/change/": admin_page(),
    "admin/ioc/indicatorgroup/<path:object_id>/history/": admin_page(),
    "admin/ioc/indicatorgroup/<path:object_id>/delete/": admin_page(),
    "admin/ioc/indicator/": admin_page(),
    "admin/ioc/indicator/add/": admin_page(),
    "admin/ioc/indicator/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/ioc/indicator/<path:object_id>/change/": admin_page(),
    "admin/ioc/indicator/<path:object_id>/history/": admin_page(),
    "admin/ioc/indicator/<path:object_id>/delete/": admin_page(),
    "admin/ioc/target/": admin_page(),
    "admin/ioc/target/add/": admin_page(),
    "admin/ioc/target/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/ioc/target/<path:object_id>/change/": admin_page(),
    "admin/ioc/target/<path:object_id>/history/": admin_page(),
    "admin/ioc/target/<path:object_id>/delete/": admin_page(),
    # Values and events change only through imports, the API and MQTT, which keep versions.
    "admin/ioc/datavalue/": admin_page(),
    "admin/ioc/datavalue/add/": admin_page(DENIED),
    "admin/ioc/datavalue/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/ioc/datavalue/<path:object_id>/change/": admin_page(),
    "admin/ioc/datavalue/<path:object_id>/history/": admin_page(),
    "admin/ioc/datavalue/<path:object_id>/delete/": admin_page(DENIED),
    "admin/ioc/event/": admin_page(),
    "admin/ioc/event/add/": admin_page(DENIED),
    "admin/ioc/event/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/ioc/event/<path:object_id>/change/": admin_page(),
    "admin/ioc/event/<path:object_id>/history/": admin_page(),
    "admin/ioc/event/<path:object_id>/delete/": admin_page(DENIED),
    # Keys are issued on the command line and revoked here, never added or deleted.
    "admin/api/apikey/": admin_page(),
    "admin/api/apikey/add/": admin_page(DENIED),
    "admin/api/apikey/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/api/apikey/<path:object_id>/change/": admin_page(),
    "admin/api/apikey/<path:object_id>/history/": admin_page(),
    "admin/api/apikey/<path:object_id>/delete/": admin_page(DENIED),
    # The API access log is read-only like the audit log.
    "admin/api/apiaccesslog/": admin_page(),
    "admin/api/apiaccesslog/add/": admin_page(DENIED),
    "admin/api/apiaccesslog/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/api/apiaccesslog/<path:object_id>/change/": admin_page(),
    "admin/api/apiaccesslog/<path:object_id>/history/": admin_page(),
    "admin/api/apiaccesslog/<path:object_id>/delete/": admin_page(DENIED),
}

# Each system's own URLs: a module with EXPECTED and make_world(users) -> path values.
MATRIX_PARTS = (
    "tests.ioc.dashboards.matrix",
    "tests.ioc.alerts.matrix",
    "tests.reports.matrix",
    "tests.api.sharing_matrix",
    "tests.geo.matrix_ogc",
    "tests.geo.matrix_tiles",
    "tests.geo.matrix_imports",
    "tests.geo.matrix_map",
    "tests.geo.matrix_editing",
    "tests.geo.matrix_admin",
    "tests.soc.matrix_incidents",
    "tests.soc.matrix_collect",
    "tests.soc.matrix_admin",
    "tests.soc.matrix_intel",
)
PARTS = [importlib.import_module(name) for name in MATRIX_PARTS]
for part in PARTS:
    overlap = set(part.EXPECTED) & set(EXPECTED)
    assert not overlap, f"{part.__name__} repeats entries: {sorted(overlap)}"
    EXPECTED.update(part.EXPECTED)


def admin_app_index_route() -> str:
    """The route of the admin's app index, whose regex lists every app with a model there."""
    for route in project_routes():
        if route.startswith("admin/^(?P<app_label>"):
            return route
    raise AssertionError("The admin site has no app index route")


# Query strings for routes whose required parameters are not in the path.
QUERY = {"api/v1/units/geojson": "?parent=25"}


def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every URL pattern with its full route, includes expanded."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def project_routes() -> dict[str, URLPattern]:
    """Return every route of the project once; of two patterns with one route, the first wins."""
    routes: dict[str, URLPattern] = {}
    for route, pattern in walk(get_resolver().url_patterns):
        routes.setdefault(route, pattern)
    return routes


def fill(route: str, values: dict[str, str]) -> str:
    """A concrete path for ``route``: regex groups and ``<converter:name>`` replaced by values."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: values[match.group(1)], route)
    path = path.replace("^", "").replace("$", "")
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values[match.group(1)], path)
    return "/" + path


def outcome(response: HttpResponse) -> str:
    """The status, and for a redirect the path it leads to."""
    if response.status_code in {301, 302}:
        path = urlsplit(response["Location"]).path
        if re.fullmatch(r"/admin/\w+/\w+/\d+/change/", path):
            return CHANGE_PAGE
        return f"{response.status_code} {path}"
    return str(response.status_code)


def expected_table() -> dict[str, Expect]:
    """EXPECTED with the admin app index, whatever apps the admin site lists."""
    return {**EXPECTED, admin_app_index_route(): admin_page()}


def test_every_url_pattern_has_an_entry() -> None:
    missing = sorted(set(project_routes()) - set(expected_table()))
    assert not missing, f"URL patterns without an entry in EXPECTED: {missing}"


def test_every_entry_is_a_url_pattern() -> None:
    stale = sorted(set(expected_table()) - set(project_routes()))
    assert not stale, f"Entries of EXPECTED that match no URL pattern: {stale}"


@pytest.fixture
def world(make_user: Callable[..., Any]) -> dict[str, Any]:
    """Users of every role, and one object of every model the admin site lists."""
    department = make_department()
    users = make_role_users(make_user, department)
    vinh_yen = current_vinh_yen()

    boundary = Boundary(unit=vinh_yen)
    set_geometry(
        boundary,
        MultiPolygon(
            [Polygon([(105.55, 21.28), (105.62, 21.28), (105.62, 21.34), (105.55, 21.28)])]
        ),
    )
    boundary.save()
    batch = ImportBatch.objects.create(kind="units", source_name="danh-muc.xlsx")
    QuarantineRecord.objects.create(batch=batch, position="7", code="unknown_unit", message="-")
    Group.objects.create(name="Trung tâm IOC")
    issue_key(department, ["geo:read"])
    audit.record(AuditAction.EXPORT, vinh_yen)
    ApiAccessLog.objects.create(method="GET", path="/api/v1/units", status=200, duration_ms=3)
    AccessAttempt.objects.create(username="x", ip_address="127.0.0.1", failures_since_start=1)
    AccessLog.objects.create(username="x", ip_address="127.0.0.1")
    AccessFailureLog.objects.create(username="x", ip_address="127.0.0.1")
    group = IndicatorGroup.objects.create(code="ktxh", name="Kinh tế - xã hội")
    indicator = Indicator.objects.create(code="DS_TB", name="Dân số trung bình", group=group)
    Target.objects.create(indicator=indicator, unit=vinh_yen, year=2025, value=1.0)
    store_values(
        [
            IncomingValue(
                indicator_id=indicator.pk,
                unit_id=vinh_yen.pk,
                period=parse_period("2025"),
                value=1.0,
            )
        ]
    )
    Event.objects.create(
        event_type="sensor", occurred_at=timezone.now(), payload={}, message_id="m-1"
    )
    job = ImportJob.objects.create(
        kind="ioc.values",
        file_name="a.csv",
        stored_path="/nonexistent/a.csv",
        created_by=users[Role.DEPARTMENT_OFFICER],
    )
    device = login_verified(Client(), users[ADMIN])
    part_values: dict[str, str] = {}
    for part in PARTS:
        part_values.update(part.make_world(users))

    return {
        "users": users,
        "values": {
            **part_values,
            "code": VINH_YEN_CODE,
            "job_id": str(job.pk),
            "group_code": group.code,
            "app_label": "core",
            "url": "no-such-page/",
            "id": str(users[Role.PROVINCIAL_LEADER].pk),
            "pk": str(device.pk),
            "content_type_id": str(ContentType.objects.get_for_model(Unit).pk),
        },
    }


def client_for(role: str, users: dict[str, User]) -> Client:
    client = Client()
    if role == ANONYMOUS:
        return client
    if role == ADMIN:
        login_verified(client, users[role])
    else:
        client.force_login(users[role])
    return client


def object_id_for(pattern: URLPattern, default: str) -> str:
    """The primary key of an object of the model whose admin serves ``pattern``."""
    model_admin = getattr(pattern.callback, "model_admin", None)
    if model_admin is None:
        return default
    first = model_admin.model._default_manager.order_by("pk").first()
    assert first is not None, f"No {model_admin.model.__name__} to open in {pattern}"
    return str(first.pk)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_role_statuses_match_table(role: str, world: dict[str, Any]) -> None:
    client = client_for(role, world["users"])
    unit_id = str(current_vinh_yen().pk)

    table = expected_table()
    mismatches = []
    for route, pattern in project_routes().items():
        if route not in table:
            continue  # reported by test_every_url_pattern_has_an_entry
        values = {**world["values"], "object_id": object_id_for(pattern, unit_id)}
        url = fill(route, values) + QUERY.get(route, "")
        actual = outcome(client.get(url))
        expected = table[route].by_role[role]
        if actual != expected:
            mismatches.append(f"{url}: expected {expected}, got {actual}")

    assert not mismatches, f"{role} got unexpected statuses:\n" + "\n".join(mismatches)
