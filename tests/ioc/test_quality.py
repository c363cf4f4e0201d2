"""Validation rules, approval, targets, late submissions and derived indicators."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from tinhso.core.models import Unit, UnitLevel
from tinhso.core.services.units import find_unit
from tinhso.ioc import periods
from tinhso.ioc.models import Aggregation, DataValue, Indicator, Target, ValueStatus, ValueType
from tinhso.ioc.services import derived, freshness, targets
from tinhso.ioc.services.approval import approve
from tinhso.ioc.services.validation import validate
from tinhso.ioc.services.values import IncomingValue, store_values

pytestmark = pytest.mark.django_db

D = dt.date
HANOI_TIME = ZoneInfo("Asia/Ho_Chi_Minh")


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=HANOI_TIME)  # type: ignore[misc]


@pytest.fixture(autouse=True)
def english() -> None:
    translation.activate("en")


def vinh_phuc() -> Unit:
    return find_unit("26", D(2016, 1, 1))


def put(
    indicator: Indicator, unit: Unit, period: str, value: float | None, **fields: Any
) -> DataValue:
    store_values(
        [
            IncomingValue(
                indicator_id=indicator.pk,
                unit_id=unit.pk,
                period=periods.parse(period),
                value=value,
                **fields,
            )
        ]
    )
    return DataValue.objects.select_related("indicator", "unit").get(
        indicator=indicator, unit=unit, period=period
    )


def make(code: str, **fields: Any) -> Indicator:
    return Indicator.objects.create(code=code, name=code, **fields)


def test_range_rule() -> None:
    row = put(make("T.RANGE", min_value=0, max_value=10), vinh_phuc(), "2016", 12.0)
    [violation] = validate([row])
    assert violation.rule == "range"
    assert (
        violation.message
        == "T.RANGE of Tỉnh Vĩnh Phúc in 2016 is 12, above the plausible maximum 10."
    )


def test_percent_rule() -> None:
    row = put(make("T.PCT", value_type=ValueType.PERCENT), vinh_phuc(), "2016", 101.0)
    assert [v.rule for v in validate([row])] == ["percent"]


def test_integer_rule() -> None:
    row = put(make("T.INT", value_type=ValueType.INTEGER), vinh_phuc(), "2016", 2.5)
    assert [v.rule for v in validate([row])] == ["integer"]


def test_population_break_is_flagged_and_explained_by_me_linh() -> None:
    population = make("T.POP", max_growth_percent=5)
    put(population, vinh_phuc(), "2007", 1174.1)
    row = put(population, vinh_phuc(), "2008", 993.8)
    [violation] = validate([row])
    assert violation.rule == "growth"
    assert "changed by -15.4% from 2007 (1,174.1) to 2008 (993.8)" in violation.message
    assert (
        "Huyện Mê Linh moved from Tỉnh Vĩnh Phúc to Thành phố Hà Nội on 01/08/2008"
        in violation.explanation
    )


def test_growth_without_boundary_change_has_no_explanation() -> None:
    population = make("T.POP2", max_growth_percent=5)
    put(population, vinh_phuc(), "2011", 1000.0)
    row = put(population, vinh_phuc(), "2012", 1200.0)
    [violation] = validate([row])
    assert violation.explanation == ""


def test_commune_values_cannot_exceed_the_province() -> None:
    indicator = make("T.SUM", aggregation=Aggregation.SUM)
    province = find_unit("25", D(2025, 8, 1))
    communes = list(Unit.objects.current().filter(parent=province)[:2])
    for commune in communes:
        put(indicator, commune, "2025Q3", 60.0)
    row = put(indicator, province, "2025Q3", 100.0)
    [violation] = validate([row])
    assert violation.rule == "commune_sum"
    assert "add up to 120" in violation.message


def test_approval_blocked_by_a_violation(make_user: Any) -> None:
    row = put(make("T.BLOCK", max_value=1), vinh_phuc(), "2016", 5.0)
    result = approve([row], make_user("leader", role="provincial_leader"))
    assert result.approved == []
    assert [v.rule for v in result.blocked] == ["range"]
    row.refresh_from_db()
    assert row.status == ValueStatus.DRAFT


def test_explained_break_can_be_approved_with_confirmation(make_user: Any) -> None:
    population = make("T.POP3", max_growth_percent=5)
    put(population, vinh_phuc(), "2007", 1174.1)
    row = put(population, vinh_phuc(), "2008", 993.8)
    leader = make_user("leader2", role="provincial_leader")
    assert approve([row], leader).approved == []
    result = approve([row], leader, allow_explained=True)
    row.refresh_from_db()
    assert result.approved == [row]
    assert row.status == ValueStatus.APPROVED
    assert row.approved_by == leader
    assert row.versions.count() == 1


@pytest.mark.parametrize(
    ("month_value", "status"),
    [
        (60.0, targets.TargetStatus.ON_TRACK),
        (47.0, targets.TargetStatus.AT_RISK),
        (30.0, targets.TargetStatus.OFF_TRACK),
    ],
)
def test_cumulative_target_pace(month_value: float, status: targets.TargetStatus) -> None:
    revenue = make("T.REV", time_aggregation=Aggregation.SUM, periodicity="month")
    province = vinh_phuc()
    Target.objects.create(indicator=revenue, unit=province, year=2016, value=200.0)
    for month in range(1, 4):
        put(revenue, province, f"2016{month:02d}", month_value / 3)
    # 31 March: 91 of 366 days elapsed, so 49.7 of 200 is needed.
    result = targets.progress(revenue, province, 2016, D(2016, 3, 31))
    assert result.status is status
    assert result.expected == pytest.approx(200 * 91 / 366)


def test_level_target_lower_is_better() -> None:
    poverty = make("T.POV", time_aggregation=Aggregation.LAST)
    Target.objects.create(
        indicator=poverty, unit=vinh_phuc(), year=2016, value=2.0, higher_is_better=False
    )
    put(poverty, vinh_phuc(), "2016", 1.8)
    assert (
        targets.progress(poverty, vinh_phuc(), 2016, D(2016, 12, 31)).status
        is targets.TargetStatus.ON_TRACK
    )


def test_no_target() -> None:
    assert (
        targets.progress(make("T.NONE"), vinh_phuc(), 2016, D(2016, 6, 1)).status
        is targets.TargetStatus.NO_TARGET
    )


def test_late_monthly_submissions_of_communes() -> None:
    indicator = make(
        "T.LATE", periodicity="month", deadline_day=5, reporting_level=UnitLevel.COMMUNE
    )
    province = find_unit("25", D(2025, 8, 1))
    communes = list(Unit.objects.current().filter(parent=province).order_by("code"))
    on_time = put(indicator, communes[0], "202509", 1.0, status=ValueStatus.SUBMITTED)
    DataValue.objects.filter(pk=on_time.pk).update(created_at=at(2025, 10, 3, 8, 0))
    late_row = put(indicator, communes[1], "202509", 1.0, status=ValueStatus.SUBMITTED)
    DataValue.objects.filter(pk=late_row.pk).update(created_at=at(2025, 10, 6, 8, 0))
    now = at(2025, 10, 7, 9, 0)
    late = freshness.late_submissions(province, now)
    assert len(late) == len(communes) - 1
    assert {item.period.code for item in late} == {"202509"}
    assert late[0].late_by == now - at(2025, 10, 5, 23, 59)
    submitted_late = next(item for item in late if item.unit == communes[1])
    assert submitted_late.late_by == dt.timedelta(hours=8, minutes=1)


def test_daily_deadline_skips_weekends() -> None:
    indicator = make("T.DAILY", periodicity="day", deadline_time=dt.time(17, 0))
    saturday = at(2025, 10, 11, 10, 0)
    period, deadline = freshness.due_period(indicator, saturday) or (None, None)
    assert period is not None
    assert period.code == "20251010"
    assert deadline is not None
    assert timezone.localtime(deadline).hour == 17


def test_derived_per_capita_and_growth() -> None:
    grdp = make("T.GRDP")
    population = make("T.DS")
    per_capita = make("T.GRDP_BQ", formula="{T.GRDP} / {T.DS} * 1000")
    growth = make("T.GRDP_TT", formula="growth({T.GRDP})")
    put(grdp, vinh_phuc(), "2015", 100.0)
    put(grdp, vinh_phuc(), "2016", 108.0)
    put(population, vinh_phuc(), "2016", 1066.0)
    assert derived.evaluate(per_capita, vinh_phuc(), "2016") == pytest.approx(108.0 / 1066.0 * 1000)
    assert derived.evaluate(growth, vinh_phuc(), "2016") == pytest.approx(108.0)
    assert derived.evaluate(growth, vinh_phuc(), "2015") is None


def test_messages_write_numbers_the_vietnamese_way() -> None:
    population = make("T.POP4", max_growth_percent=5)
    put(population, vinh_phuc(), "2007", 1174.1)
    row = put(population, vinh_phuc(), "2008", 993.8)
    with translation.override("vi"):
        [violation] = validate([row])
    assert "-15,4%" in violation.message
    assert "1.174,1" in violation.message


def test_materialize_derived_values() -> None:
    grdp = make("T.GRDP2")
    growth = make("T.GRDP2_TT", formula="growth({T.GRDP2})")
    put(grdp, vinh_phuc(), "2015", 100.0)
    put(grdp, vinh_phuc(), "2016", 108.0)
    result = derived.materialize(growth)
    stored = DataValue.objects.get(indicator=growth)
    assert result.created == 1
    assert (stored.period, stored.value, stored.source_kind) == (
        "2016",
        pytest.approx(108.0),
        "derived",
    )
    put(grdp, vinh_phuc(), "2016", 110.0)
    assert derived.materialize(growth).updated == 1
    assert DataValue.objects.get(indicator=growth).version == 2


def test_derive_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from django.core.management import call_command

    monkeypatch.setenv("TINHSO_LANGUAGE", "en")
    revenue = make("T.THU")
    make("T.THU_TT", formula="growth({T.THU})")
    put(revenue, vinh_phuc(), "2015", 50.0)
    put(revenue, vinh_phuc(), "2016", 60.0)
    out = io.StringIO()
    call_command("ioc", "derive", stdout=out)
    assert "T.THU_TT: 1 values created, 0 updated, 0 unchanged." in out.getvalue()
