"""API keys: issuing on the command line, Bearer authentication, scopes, rate limits, access log."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.utils import timezone
from ninja.errors import HttpError

from tests.accounts import login_verified, make_administrator, make_department
from tinhso.api import keys
from tinhso.api.auth import ApiKeyAuth
from tinhso.api.models import ApiAccessLog, ApiKey, RateWindow
from tinhso.core.models import AuditAction, AuditEvent, Department, User

pytestmark = pytest.mark.django_db

UNITS_URL = "/api/v1/units?parent=25&date=2025-07-01&page_size=1"


@pytest.fixture
def department() -> Department:
    return make_department()


@pytest.fixture
def api(client: Client) -> Client:
    """An API client that asks for English messages."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def bearer(raw_key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}


def create_key_on_command_line(*arguments: str) -> tuple[str, str]:
    """Run ``tinhso apikey create ARGUMENTS``; return its standard output and error."""
    stdout, stderr = StringIO(), StringIO()
    call_command("apikey", "create", *arguments, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


# --- Issuing on the command line --------------------------------------------------------------


def test_created_key_is_printed_alone() -> None:
    stdout, _stderr = create_key_on_command_line("so-tnmt", "--scope", "geo:read")

    assert len(stdout.splitlines()) == 1
    assert stdout.startswith("tsk_")


def test_created_key_authenticates(api: Client) -> None:
    stdout, _stderr = create_key_on_command_line("so-tnmt", "--scope", "geo:read")

    response = api.get(UNITS_URL, **bearer(stdout.strip()))

    assert response.status_code == 200


def test_only_hash_of_key_is_stored() -> None:
    stdout, _stderr = create_key_on_command_line("so-tnmt", "--scope", "geo:read")
    raw_key = stdout.strip()
    stored = ApiKey.objects.get()

    assert stored.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key.startswith(stored.prefix + "_")
    assert raw_key not in repr(list(ApiKey.objects.values()))


def test_key_is_not_in_audit_log() -> None:
    stdout, _stderr = create_key_on_command_line("so-tnmt", "--scope", "geo:read")
    secret_part = stdout.strip().rsplit("_", 1)[1]

    rows = repr(list(AuditEvent.objects.values()))

    assert secret_part not in rows


def test_command_creates_agency_with_name() -> None:
    create_key_on_command_line(
        "so-xd", "--scope", "geo:read", "--agency-name", "Sở Xây dựng", "--rate-limit", "60"
    )
    api_key = ApiKey.objects.select_related("department").get()

    assert (api_key.department.code, api_key.department.name) == ("so-xd", "Sở Xây dựng")
    assert api_key.rate_limit_per_minute == 60


def test_command_records_creation_in_audit_log() -> None:
    create_key_on_command_line("so-tnmt", "--scope", "geo:read", "units:read")
    api_key = ApiKey.objects.get()

    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="api.apikey")

    assert event.actor_name.startswith("cli:")
    assert event.after is not None
    assert event.after["prefix"] == api_key.prefix
    assert event.after["scopes"] == ["geo:read", "units:read"]
    assert event.after["department_id"] == api_key.department_id
    assert "key_hash" not in event.after


def test_command_rejects_unknown_scope() -> None:
    with pytest.raises(CommandError):
        create_key_on_command_line("so-tnmt", "--scope", "everything")


def test_issue_key_rejects_unknown_scope(department: Department) -> None:
    with pytest.raises(keys.ApiKeyError, match="everything"):
        keys.issue_key(department, ["geo:read", "everything"])


def test_command_lists_prefixes_without_keys(department: Department) -> None:
    issued = keys.issue_key(department, ["geo:read"])
    stdout = StringIO()

    call_command("apikey", "list", stdout=stdout)

    assert issued.api_key.prefix in stdout.getvalue()
    assert issued.raw_key not in stdout.getvalue()


def test_command_revokes_key(api: Client, department: Department) -> None:
    issued = keys.issue_key(department, ["geo:read"])

    call_command("apikey", "revoke", issued.api_key.prefix, stdout=StringIO())

    assert api.get(UNITS_URL, **bearer(issued.raw_key)).status_code == 401


def test_command_rejects_unknown_prefix() -> None:
    with pytest.raises(CommandError, match="tsk_00000000"):
        call_command("apikey", "revoke", "tsk_00000000", stdout=StringIO())


# --- Keys on the public units API -------------------------------------------------------------


def test_units_need_no_key(api: Client) -> None:
    assert api.get(UNITS_URL).status_code == 200


@pytest.mark.parametrize(
    "authorization",
    ["Bearer tsk_00000000_not-a-key", "Basic dXNlcjpwYXNz", "Bearer "],
)
def test_invalid_key_is_unauthorized(api: Client, authorization: str) -> None:
    response = api.get(UNITS_URL, HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_revoked_key_is_unauthorized(api: Client, department: Department) -> None:
    issued = keys.issue_key(department, ["geo:read"])
    keys.revoke_key(issued.api_key)

    response = api.get(UNITS_URL, **bearer(issued.raw_key))

    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthorized",
        "message": "The API key is invalid or revoked. Ask the platform administrator for a new key.",
    }


def test_key_past_rate_limit_gets_429(api: Client, department: Department) -> None:
    issued = keys.issue_key(department, ["geo:read"], rate_limit_per_minute=2)

    responses = [api.get(UNITS_URL, **bearer(issued.raw_key)) for _request in range(5)]
    statuses = [response.status_code for response in responses]

    # Two requests always fit in a minute. Five requests span at most two minutes, so one
    # of them has at least three and the third of those is refused.
    assert statuses[:2] == [200, 200]
    assert 429 in statuses
    assert responses[statuses.index(429)].json()["code"] == "rate_limited"


def test_request_with_key_is_logged_with_prefix(api: Client, department: Department) -> None:
    issued = keys.issue_key(department, ["geo:read"])

    response = api.get(UNITS_URL, **bearer(issued.raw_key))

    row = ApiAccessLog.objects.get()
    assert row.key_prefix == issued.api_key.prefix
    assert row.api_key == issued.api_key
    assert (row.method, row.path, row.status) == ("GET", "/api/v1/units", 200)
    assert row.query == "parent=25&date=2025-07-01&page_size=1"
    assert row.request_id == response["X-Request-ID"]


def test_request_without_key_is_logged(api: Client) -> None:
    api.get("/api/v1/units/08707")

    row = ApiAccessLog.objects.get()
    assert (row.path, row.status, row.key_prefix, row.api_key) == (
        "/api/v1/units/08707",
        200,
        "",
        None,
    )


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/openapi.json", 200),
        ("/api/v1/units/99999", 404),
        ("/api/v1/units?date=2025-13-01", 400),
        ("/api/v1/no-such-resource", 404),
    ],
)
def test_every_api_request_is_logged(api: Client, url: str, status: int) -> None:
    api.get(url)

    assert list(ApiAccessLog.objects.values_list("path", "status")) == [(url.split("?")[0], status)]


def test_revoked_key_is_logged_with_prefix(api: Client, department: Department) -> None:
    # The log shows which agency still sends a key that was revoked.
    issued = keys.issue_key(department, ["geo:read"])
    keys.revoke_key(issued.api_key)

    api.get(UNITS_URL, **bearer(issued.raw_key))

    row = ApiAccessLog.objects.get()
    assert (row.status, row.key_prefix) == (401, issued.api_key.prefix)


def test_unknown_key_is_logged_without_prefix(api: Client) -> None:
    api.get(UNITS_URL, **bearer("tsk_00000000_not-a-key"))

    row = ApiAccessLog.objects.get()
    assert (row.status, row.key_prefix) == (401, "")


def test_key_over_rate_limit_is_logged_with_prefix(api: Client, department: Department) -> None:
    issued = keys.issue_key(department, ["geo:read"], rate_limit_per_minute=1)
    for _request in range(3):
        api.get(UNITS_URL, **bearer(issued.raw_key))

    rejected = ApiAccessLog.objects.filter(status=429)

    assert rejected.exists()
    assert set(rejected.values_list("key_prefix", flat=True)) == {issued.api_key.prefix}


def test_web_pages_are_not_in_access_log(api: Client) -> None:
    api.get("/healthz")

    assert not ApiAccessLog.objects.exists()


def test_session_user_is_logged(api: Client, make_user: Callable[..., User]) -> None:
    admin = make_administrator(make_user)
    login_verified(api, admin)

    api.get("/api/v1/units/08707")

    assert ApiAccessLog.objects.get().user == admin


# --- ApiKeyAuth for key-protected routes ------------------------------------------------------


@pytest.fixture
def factory() -> RequestFactory:
    return RequestFactory()


def test_key_with_scope_passes(factory: RequestFactory, department: Department) -> None:
    issued = keys.issue_key(department, ["geo:read"])
    request = factory.get("/api/v1/layers", **bearer(issued.raw_key))

    assert ApiKeyAuth("geo:read")(request) == issued.api_key
    assert request.api_key == issued.api_key  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("scopes", "authorization", "status"),
    [
        (["units:read"], "valid", 403),  # a valid key without the scope
        (["geo:read"], None, 401),  # no key at all
        (["geo:read"], "Token abc", 401),  # another scheme
        (["geo:read"], "Bearer tsk_00000000_not-a-key", 401),
    ],
)
def test_key_auth_rejects(
    factory: RequestFactory,
    department: Department,
    scopes: list[str],
    authorization: str | None,
    status: int,
) -> None:
    issued = keys.issue_key(department, scopes)
    headers = {}
    if authorization == "valid":
        headers = bearer(issued.raw_key)
    elif authorization is not None:
        headers = {"HTTP_AUTHORIZATION": authorization}
    request = factory.get("/api/v1/layers", **headers)

    with pytest.raises(HttpError) as raised:
        ApiKeyAuth("geo:read")(request)

    assert raised.value.status_code == status


def test_key_auth_rejects_revoked_key(factory: RequestFactory, department: Department) -> None:
    issued = keys.issue_key(department, ["geo:read"])
    keys.revoke_key(issued.api_key)

    with pytest.raises(HttpError) as raised:
        ApiKeyAuth("geo:read")(factory.get("/api/v1/layers", **bearer(issued.raw_key)))

    assert raised.value.status_code == 401


def test_key_auth_names_missing_scope(factory: RequestFactory, department: Department) -> None:
    issued = keys.issue_key(department, ["units:read"])

    with pytest.raises(HttpError, match="geo:read"):
        ApiKeyAuth("geo:read")(factory.get("/api/v1/layers", **bearer(issued.raw_key)))


# --- Rate-limit windows -----------------------------------------------------------------------

MINUTE = dt.datetime(2025, 7, 1, 8, 30, tzinfo=dt.UTC)


def test_third_request_in_minute_is_over_limit(department: Department) -> None:
    api_key = keys.issue_key(department, ["geo:read"], rate_limit_per_minute=2).api_key
    moments = [MINUTE + dt.timedelta(seconds=seconds) for seconds in (1, 20, 59)]

    assert [keys.within_rate_limit(api_key, moment) for moment in moments] == [True, True, False]


def test_next_minute_starts_new_count(department: Department) -> None:
    api_key = keys.issue_key(department, ["geo:read"], rate_limit_per_minute=2).api_key
    for seconds in (1, 2, 3):
        keys.within_rate_limit(api_key, MINUTE + dt.timedelta(seconds=seconds))

    assert keys.within_rate_limit(api_key, MINUTE + dt.timedelta(minutes=1)) is True


def test_default_rate_limit_applies(department: Department) -> None:
    api_key = keys.issue_key(department, ["geo:read"]).api_key
    RateWindow.objects.create(
        api_key=api_key, window_start=MINUTE, count=settings.TINHSO_API_DEFAULT_RATE_LIMIT - 1
    )

    assert keys.within_rate_limit(api_key, MINUTE) is True
    assert keys.within_rate_limit(api_key, MINUTE) is False


def test_old_windows_are_removed(department: Department) -> None:
    api_key = keys.issue_key(department, ["geo:read"]).api_key
    keys.within_rate_limit(api_key, MINUTE)

    keys.within_rate_limit(api_key, MINUTE + dt.timedelta(minutes=10))

    assert list(RateWindow.objects.values_list("window_start", flat=True)) == [
        MINUTE + dt.timedelta(minutes=10)
    ]


def test_first_request_of_minute_marks_key_used(department: Department) -> None:
    api_key = keys.issue_key(department, ["geo:read"]).api_key

    keys.within_rate_limit(api_key, MINUTE)

    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == MINUTE


# --- Revoking in the admin site ---------------------------------------------------------------


def test_admin_action_revokes_and_audits(
    make_user: Callable[..., User], department: Department, api: Client
) -> None:
    login_verified(api, make_administrator(make_user))
    issued = keys.issue_key(department, ["geo:read"])

    api.post(
        "/admin/api/apikey/",
        {"action": "revoke", "_selected_action": [str(issued.api_key.pk)]},
    )

    assert ApiKey.objects.get(pk=issued.api_key.pk).revoked_at is not None
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="api.apikey")
    assert event.before is not None
    assert event.after is not None
    assert event.before["revoked_at"] is None
    assert event.after["revoked_at"] is not None


def test_revoked_key_keeps_its_record(department: Department) -> None:
    issued = keys.issue_key(department, ["geo:read"])

    keys.revoke_key(issued.api_key)

    stored = ApiKey.objects.get(pk=issued.api_key.pk)
    assert stored.revoked_at is not None
    assert stored.revoked_at <= timezone.now()
    assert stored.department == department


def test_layer_scope_of_unknown_layer_warns() -> None:
    _stdout, known = create_key_on_command_line("ca-tinh", "--scope", "layer:khu-dan-cu")
    _stdout, unknown = create_key_on_command_line("ca-tinh", "--scope", "layer:khong-co")

    # The warning points to the command that lists the layers, in either language.
    assert "tinhso geo layers" not in known
    assert "tinhso geo layers" in unknown
    assert "khong-co;" in unknown
    assert ApiKey.objects.filter(scopes=["layer:khong-co"]).exists()
