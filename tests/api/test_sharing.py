"""The sharing API: dataset scopes, JSON/CSV/DHIS2 forms, the change feed and the access log."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from tinhso.api import keys
from tinhso.api.models import ApiAccessLog, ApiKey
from tinhso.api.sharing import decode_cursor, encode_cursor
from tinhso.core.models import Department, Role, Unit
from tinhso.core.services.units import find_unit
from tinhso.ioc.models import DataValue, Indicator, ValueStatus
from tinhso.ioc.periods import parse as parse_period
from tinhso.ioc.services.values import IncomingValue, store_values
from tinhso.reports.models import ReportRegime

pytestmark = pytest.mark.django_db

BASE = "/api/v1/share/datasets"
YEARS = range(2010, 2017)  # seven yearly values of the shared indicator


@pytest.fixture
def department() -> Department:
    return Department.objects.create(code="vpcp", name="Văn phòng Chính phủ")


@pytest.fixture
def vinh_phuc() -> Unit:
    return find_unit("26", dt.date(2016, 12, 31))


@pytest.fixture
def regime() -> ReportRegime:
    regime, _created = ReportRegime.objects.get_or_create(
        code="ktxh", defaults={"name": "Báo cáo tình hình kinh tế - xã hội"}
    )
    return regime


@pytest.fixture
def indicators(regime: ReportRegime) -> dict[str, Indicator]:
    """One indicator in the regime and one outside it."""
    shared = Indicator.objects.create(
        code="CHIA_SE.IIP", name="Chỉ số sản xuất công nghiệp", unit_of_measure="%"
    )
    private = Indicator.objects.create(code="CHIA_SE.NOI_BO", name="Chỉ tiêu nội bộ")
    regime.indicators.set([shared])
    return {"shared": shared, "private": private}


@pytest.fixture
def values(indicators: dict[str, Indicator], vinh_phuc: Unit) -> list[DataValue]:
    """Seven approved values of the shared indicator, one draft, and one value outside it."""
    incoming = [
        IncomingValue(
            indicator_id=indicators["shared"].pk,
            unit_id=vinh_phuc.pk,
            period=parse_period(str(year)),
            value=100.0 + year - 2010,
            status=ValueStatus.APPROVED,
        )
        for year in YEARS
    ]
    incoming.append(
        IncomingValue(
            indicator_id=indicators["shared"].pk,
            unit_id=vinh_phuc.pk,
            period=parse_period("2017"),
            value=999.0,
            status=ValueStatus.DRAFT,
        )
    )
    incoming.append(
        IncomingValue(
            indicator_id=indicators["private"].pk,
            unit_id=vinh_phuc.pk,
            period=parse_period("2016"),
            value=1.0,
            status=ValueStatus.APPROVED,
        )
    )
    store_values(incoming)
    return list(DataValue.objects.filter(indicator=indicators["shared"]))


def key_client(department: Department, *scopes: str) -> tuple[Client, ApiKey]:
    issued = keys.issue_key(department, list(scopes))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client, issued.api_key


# --- Keys and scopes -------------------------------------------------------------------------


def test_command_issues_dataset_scope() -> None:
    stdout, stderr = StringIO(), StringIO()
    call_command("apikey", "create", "vpcp", "--scope", "share:ktxh", stdout=stdout, stderr=stderr)

    api_key = ApiKey.objects.get(department__code="vpcp")
    assert api_key.scopes == ["share:ktxh"]
    assert stdout.getvalue().startswith("tsk_")


def test_command_rejects_malformed_dataset_scope() -> None:
    with pytest.raises(CommandError, match="share:"):
        call_command("apikey", "create", "vpcp", "--scope", "share:", stdout=StringIO())

    assert not Department.objects.filter(code="vpcp").exists()


def test_command_warns_on_unknown_regime() -> None:
    stderr = StringIO()
    call_command(
        "apikey", "create", "vpcp", "--scope", "share:khong-co", stdout=StringIO(), stderr=stderr
    )

    assert "khong-co" in stderr.getvalue()


def test_datasets_list_only_granted(department: Department, regime: ReportRegime) -> None:
    ReportRegime.objects.get_or_create(code="khac", defaults={"name": "Chế độ khác"})
    client, _key = key_client(department, "share:ktxh")

    body = client.get(BASE).json()

    assert [item["code"] for item in body["results"]] == ["ktxh"]
    assert body["results"][0]["values"] == f"{BASE}/ktxh/values"


def test_datasets_list_empty_without_share_scope(department: Department) -> None:
    client, _key = key_client(department, "ioc:read")

    response = client.get(BASE)

    assert response.status_code == 200
    assert response.json() == {"count": 0, "results": []}


@pytest.mark.parametrize(
    "suffix", ["", "/values", "/values?format=csv", "/dataValueSets", "/changes"]
)
def test_key_without_scope_gets_403(
    department: Department, values: list[DataValue], suffix: str
) -> None:
    client, _key = key_client(department, "share:khac", "ioc:read")

    response = client.get(f"{BASE}/ktxh{suffix}")

    assert response.status_code == 403
    assert "share:ktxh" in response.json()["message"]


def test_request_without_key_gets_401(values: list[DataValue]) -> None:
    assert Client().get(f"{BASE}/ktxh/values").status_code == 401


def test_staff_session_gets_401(values: list[DataValue], make_user: Any) -> None:
    client = Client()
    client.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))

    assert client.get(f"{BASE}/ktxh/values").status_code == 401


def test_granted_missing_regime_gets_404(department: Department) -> None:
    client, _key = key_client(department, "share:khong-co")

    assert client.get(f"{BASE}/khong-co/values").status_code == 404


def test_revoked_key_gets_401(department: Department, values: list[DataValue]) -> None:
    client, api_key = key_client(department, "share:ktxh")
    keys.revoke_key(api_key)

    assert client.get(f"{BASE}/ktxh/values").status_code == 401


# --- Formats ---------------------------------------------------------------------------------


def test_detail_lists_regime_indicators(
    department: Department, indicators: dict[str, Indicator]
) -> None:
    client, _key = key_client(department, "share:ktxh")

    body = client.get(f"{BASE}/ktxh").json()

    assert body["code"] == "ktxh"
    assert [item["code"] for item in body["indicators"]] == ["CHIA_SE.IIP"]


def test_values_json_has_only_approved_regime_values(
    department: Department, values: list[DataValue]
) -> None:
    client, _key = key_client(department, "share:ktxh")

    body = client.get(f"{BASE}/ktxh/values").json()

    assert body["count"] == len(YEARS)
    assert {row["indicator"] for row in body["results"]} == {"CHIA_SE.IIP"}
    assert {row["status"] for row in body["results"]} == {"approved"}
    assert [row["period"] for row in body["results"]] == [str(year) for year in YEARS]
    assert body["results"][0]["unit"] == "26"


def test_values_pages_follow_next(department: Department, values: list[DataValue]) -> None:
    client, _key = key_client(department, "share:ktxh")

    periods: list[str] = []
    url: str | None = f"{BASE}/ktxh/values?page_size=3"
    while url:
        body = client.get(url).json()
        periods += [row["period"] for row in body["results"]]
        url = body["next"]

    assert periods == [str(year) for year in YEARS]


def test_values_csv_matches_ioc_columns(department: Department, values: list[DataValue]) -> None:
    client, _key = key_client(department, "share:ktxh", "ioc:read")

    shared = client.get(f"{BASE}/ktxh/values?format=csv")
    ioc = client.get("/api/v1/ioc/values?format=csv&indicator=CHIA_SE.IIP&status=approved")

    assert shared["Content-Type"].startswith("text/csv")
    assert 'filename="ktxh-values.csv"' in shared["Content-Disposition"]
    assert shared.content.decode("utf-8") == ioc.content.decode("utf-8")
    assert len(shared.content.decode("utf-8-sig").splitlines()) == 1 + len(YEARS)


def test_values_etag_gives_304(department: Department, values: list[DataValue]) -> None:
    client, _key = key_client(department, "share:ktxh")
    first = client.get(f"{BASE}/ktxh/values")

    again = client.get(f"{BASE}/ktxh/values", HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304


def test_values_reject_unknown_format(department: Department, values: list[DataValue]) -> None:
    client, _key = key_client(department, "share:ktxh")

    assert client.get(f"{BASE}/ktxh/values?format=xml").status_code == 400


def test_data_value_sets_in_dhis2_form(department: Department, values: list[DataValue]) -> None:
    client, _key = key_client(department, "share:ktxh")

    body = client.get(f"{BASE}/ktxh/dataValueSets?period=2016").json()

    assert body["dataSet"] == "ktxh"
    assert body["dataValues"] == [
        {
            "dataElement": "CHIA_SE.IIP",
            "period": "2016",
            "orgUnit": "26",
            "categoryOptionCombo": "default",
            "value": "106.0",
            "storedBy": "import",
            "created": body["dataValues"][0]["created"],
            "lastUpdated": body["dataValues"][0]["lastUpdated"],
            "comment": "",
            "followup": False,
        }
    ]


# --- Change feed -----------------------------------------------------------------------------


def read_feed(client: Client, first_url: str) -> tuple[list[tuple[str, int]], str | None, int]:
    """Follow ``next`` from ``first_url``; return (period, version) rows, the last cursor, pages."""
    rows: list[tuple[str, int]] = []
    url: str | None = first_url
    cursor = None
    pages = 0
    while url:
        body = client.get(url).json()
        pages += 1
        rows += [(row["period"], row["version"]) for row in body["results"]]
        cursor = body["next_cursor"]
        assert body["has_more"] == (body["next"] is not None)
        url = body["next"]
    return rows, cursor, pages


def test_feed_pages_equal_timestamps_without_gaps(
    department: Department, values: list[DataValue]
) -> None:
    same_moment = timezone.now().replace(microsecond=0)
    DataValue.objects.filter(pk__in=[row.pk for row in values]).update(updated_at=same_moment)
    client, _key = key_client(department, "share:ktxh")

    rows, _cursor, pages = read_feed(client, f"{BASE}/ktxh/changes?limit=3")

    assert sorted(period for period, _version in rows) == [str(year) for year in YEARS]
    assert len(rows) == len(set(rows))
    assert pages == 3


def test_feed_cursor_returns_only_later_changes(
    department: Department,
    indicators: dict[str, Indicator],
    values: list[DataValue],
    vinh_phuc: Unit,
) -> None:
    client, _key = key_client(department, "share:ktxh")
    _rows, cursor, _pages = read_feed(client, f"{BASE}/ktxh/changes?limit=4")
    assert cursor is not None

    store_values(
        [
            IncomingValue(
                indicator_id=indicators["shared"].pk,
                unit_id=vinh_phuc.pk,
                period=parse_period("2012"),
                value=97.0,
                status=ValueStatus.APPROVED,
            )
        ]
    )
    body = client.get(f"{BASE}/ktxh/changes?cursor={cursor}").json()

    assert [(row["period"], row["value"], row["version"]) for row in body["results"]] == [
        ("2012", 97.0, 2)
    ]
    assert body["has_more"] is False


def test_feed_keeps_cursor_when_nothing_changed(
    department: Department, values: list[DataValue]
) -> None:
    client, _key = key_client(department, "share:ktxh")
    _rows, cursor, _pages = read_feed(client, f"{BASE}/ktxh/changes")

    body = client.get(f"{BASE}/ktxh/changes?cursor={cursor}").json()

    assert body["results"] == []
    assert body["next_cursor"] == cursor


def test_feed_since_skips_older_values(department: Department, values: list[DataValue]) -> None:
    old = timezone.now() - dt.timedelta(days=2)
    DataValue.objects.filter(pk__in=[row.pk for row in values[:3]]).update(updated_at=old)
    client, _key = key_client(department, "share:ktxh")
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()

    body = client.get(f"{BASE}/ktxh/changes", {"since": since}).json()

    assert body["count"] == len(YEARS) - 3


@pytest.mark.parametrize(
    "query", ["cursor=not-a-cursor", "since=yesterday", "limit=0", "limit=1001"]
)
def test_feed_rejects_bad_parameters(
    department: Department, values: list[DataValue], query: str
) -> None:
    client, _key = key_client(department, "share:ktxh")

    assert client.get(f"{BASE}/ktxh/changes?{query}").status_code == 400


def test_cursor_round_trip(values: list[DataValue]) -> None:
    row = values[0]

    assert decode_cursor(encode_cursor(row)) == (row.updated_at, row.pk)


# --- Access log ------------------------------------------------------------------------------


def test_sharing_calls_are_logged_with_key(department: Department, values: list[DataValue]) -> None:
    granted, granted_key = key_client(department, "share:ktxh")
    denied, denied_key = key_client(department, "share:khac")

    granted.get(f"{BASE}/ktxh/values", {"format": "csv"})
    denied.get(f"{BASE}/ktxh/changes")

    logged = list(ApiAccessLog.objects.filter(path__startswith=BASE).order_by("id"))
    assert [(row.api_key_id, row.status) for row in logged] == [
        (granted_key.pk, 200),
        (denied_key.pk, 403),
    ]
    assert logged[0].key_prefix == granted_key.prefix
    assert logged[0].query == "format=csv"
    assert logged[1].path == f"{BASE}/ktxh/changes"
