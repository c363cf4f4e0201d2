"""The IOC API: pushing values with agency keys, reading with filters, ETag, CSV and DHIS2."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tinhso.api import keys
from tinhso.core.models import Department, Unit
from tinhso.ioc.models import DataValue, Indicator, ValueType

pytestmark = pytest.mark.django_db


@pytest.fixture
def department() -> Department:
    return Department.objects.create(code="cuc-thong-ke", name="Cục Thống kê")


@pytest.fixture
def indicators() -> dict[str, Indicator]:
    return {
        "pop": Indicator.objects.create(
            code="DS_TB", name="Dân số trung bình", unit_of_measure="nghìn người"
        ),
        "rate": Indicator.objects.create(
            code="TL_HN", name="Tỷ lệ hộ nghèo", value_type=ValueType.PERCENT
        ),
    }


def key_client(department: Department, *scopes: str) -> Client:
    issued = keys.issue_key(department, list(scopes))
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")


def push(client: Client, values: list[dict[str, Any]]) -> Any:
    return client.post(
        "/api/v1/ioc/values", data=json.dumps({"values": values}), content_type="application/json"
    )


GOOD = {
    "indicator": "DS_TB",
    "unit": "26",
    "period": "2016",
    "value": 1066.0,
    "idempotency_key": "a1",
}


def test_push_stores_good_values_and_reports_bad_ones(
    department: Department, indicators: dict[str, Indicator]
) -> None:
    client = key_client(department, "ioc:write")
    response = push(
        client,
        [
            GOOD,
            {"indicator": "NOPE", "unit": "26", "period": "2016", "value": 1},
            {"indicator": "DS_TB", "unit": "99999", "period": "2016", "value": 1},
            {"indicator": "DS_TB", "unit": "26", "period": "2016-13", "value": 1},
            {"indicator": "TL_HN", "unit": "26", "period": "2016", "value": 140},
        ],
    )
    body = response.json()
    assert response.status_code == 200
    assert (body["received"], body["accepted"], body["created"]) == (5, 1, 1)
    assert [(r["index"], r["code"], r["field"]) for r in body["rejected"]] == [
        (1, "unknown_indicator", "indicator"),
        (2, "unknown_unit", "unit"),
        (3, "invalid_period", "period"),
        (4, "invalid_value", "value"),
    ]
    stored = DataValue.objects.get(indicator=indicators["pop"])
    assert (stored.value, stored.source_kind, stored.status) == (1066.0, "api", "submitted")
    assert stored.api_key is not None


def test_push_is_idempotent(department: Department, indicators: dict[str, Indicator]) -> None:
    client = key_client(department, "ioc:write")
    push(client, [GOOD])
    body = push(client, [GOOD]).json()
    assert (body["created"], body["duplicates"]) == (0, 1)
    assert DataValue.objects.count() == 1


def test_push_needs_the_write_scope(
    department: Department, indicators: dict[str, Indicator]
) -> None:
    response = push(key_client(department, "ioc:read"), [GOOD])
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_push_without_key(indicators: dict[str, Indicator]) -> None:
    assert push(Client(), [GOOD]).status_code == 401


def test_push_cannot_approve(department: Department, indicators: dict[str, Indicator]) -> None:
    body = push(key_client(department, "ioc:write"), [dict(GOOD, status="approved")]).json()
    assert [r["code"] for r in body["rejected"]] == ["invalid_status"]


def test_staff_session_cannot_push(make_user: Any, indicators: dict[str, Indicator]) -> None:
    client = Client()
    client.force_login(make_user("leader", role="provincial_leader"))
    assert push(client, [GOOD]).status_code == 401


def _load(department: Department) -> Client:
    push(
        key_client(department, "ioc:write"),
        [
            GOOD,
            {"indicator": "DS_TB", "unit": "26", "period": "2015", "value": 1054.5},
            {"indicator": "TL_HN", "unit": "26", "period": "2016", "value": 2.5},
        ],
    )
    return key_client(department, "ioc:read")


def test_read_values_with_filters(department: Department, indicators: dict[str, Indicator]) -> None:
    client = _load(department)
    body = client.get(
        "/api/v1/ioc/values", {"indicator": "DS_TB", "period_from": "2016-01-01"}
    ).json()
    assert body["count"] == 1
    assert body["results"][0]["value"] == 1066.0
    assert body["results"][0]["unit_name"] == "Tỉnh Vĩnh Phúc"


def test_read_values_pagination(department: Department, indicators: dict[str, Indicator]) -> None:
    client = _load(department)
    first = client.get("/api/v1/ioc/values", {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert len(second["results"]) == 1
    assert second["next"] is None


def test_etag_gives_304(department: Department, indicators: dict[str, Indicator]) -> None:
    client = _load(department)
    first = client.get("/api/v1/ioc/values")
    again = client.get("/api/v1/ioc/values", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_etag_changes_with_data(department: Department, indicators: dict[str, Indicator]) -> None:
    client = _load(department)
    first = client.get("/api/v1/ioc/values")["ETag"]
    push(key_client(department, "ioc:write"), [dict(GOOD, value=1066.5, idempotency_key="a2")])
    assert client.get("/api/v1/ioc/values")["ETag"] != first


def test_csv_export(department: Department, indicators: dict[str, Indicator]) -> None:
    response = _load(department).get("/api/v1/ioc/values", {"format": "csv", "indicator": "DS_TB"})
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert text.splitlines()[0].startswith("indicator,unit,unit_name,period")
    assert "Tỉnh Vĩnh Phúc" in text
    assert len(text.splitlines()) == 3


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"status": "final"}, "status='final'"),
        ({"period_from": "2016"}, "period_from='2016'"),
        ({"page_size": 0}, "page_size=0"),
        ({"format": "xml"}, "format='xml'"),
    ],
)
def test_bad_filters(
    department: Department, indicators: dict[str, Indicator], params: dict[str, Any], fragment: str
) -> None:
    response = _load(department).get("/api/v1/ioc/values", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert fragment in response.json()["message"]


def test_dhis2_data_value_sets(department: Department, indicators: dict[str, Indicator]) -> None:
    body = (
        _load(department)
        .get("/api/v1/ioc/dataValueSets", {"dataElement": "DS_TB", "period": "2016"})
        .json()
    )
    [value] = body["dataValues"]
    assert (value["dataElement"], value["period"], value["orgUnit"], value["value"]) == (
        "DS_TB",
        "2016",
        "26",
        "1066.0",
    )
    assert value["categoryOptionCombo"] == "default"


def test_dhis2_rejects_invalid_period(
    department: Department, indicators: dict[str, Indicator]
) -> None:
    response = _load(department).get(
        "/api/v1/ioc/dataValueSets", {"period": "2016-13"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert "period='2016-13' is not a period code" in response.json()["message"]


def test_indicators_list(department: Department, indicators: dict[str, Indicator]) -> None:
    body = key_client(department, "ioc:read").get("/api/v1/ioc/indicators", {"q": "nghèo"}).json()
    assert [i["code"] for i in body["results"]] == ["TL_HN"]


def test_anonymous_cannot_read(indicators: dict[str, Indicator]) -> None:
    assert Client().get("/api/v1/ioc/values").status_code == 401


def test_commune_officer_sees_only_their_commune(
    make_user: Any, department: Department, indicators: dict[str, Indicator]
) -> None:
    push(
        key_client(department, "ioc:write"),
        [
            {"indicator": "DS_TB", "unit": "08707", "period": "2025Q4", "value": 1.0},
            {"indicator": "DS_TB", "unit": "08716", "period": "2025Q4", "value": 2.0},
        ],
    )
    officer = make_user(
        "xa", role="commune_officer", unit=Unit.objects.current().get(code="08707", level=3)
    )
    client = Client()
    client.force_login(officer)
    body = client.get("/api/v1/ioc/values").json()
    assert [row["unit"] for row in body["results"]] == ["08707"]
