"""Administrative units in time: codes, lookups, history links and re-aggregation."""

from __future__ import annotations

import datetime as dt

import pytest

from tinhso.core.errors import UnknownUnitError
from tinhso.core.models import Unit, UnitLevel, UnitLink
from tinhso.core.services import units as unit_service

pytestmark = pytest.mark.django_db

AFTER = dt.date(2025, 7, 1)
BEFORE = dt.date(2025, 6, 30)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8707", ["08707"]),
        ("08707", ["08707"]),
        (8707, ["08707"]),
        ("8707.0", ["08707"]),
        ("26", ["26", "026", "00026"]),
        ("243", ["243", "00243"]),
        ("abc", []),
        ("", []),
        ("123456", []),
    ],
)
def test_code_candidates(raw: str, expected: list[str]) -> None:
    assert unit_service.code_candidates(raw) == expected


@pytest.mark.parametrize(
    ("raw", "level", "expected"),
    [
        ("8707", UnitLevel.COMMUNE, "08707"),
        ("26", UnitLevel.PROVINCE, "26"),
        ("243", UnitLevel.DISTRICT, "243"),
        ("1243", UnitLevel.DISTRICT, None),
        ("x1", UnitLevel.COMMUNE, None),
    ],
)
def test_normalize_code(raw: str, level: UnitLevel, expected: str | None) -> None:
    assert unit_service.normalize_code(raw, level) == expected


def test_find_unit_with_and_without_leading_zeros() -> None:
    assert unit_service.find_unit("8707", AFTER).pk == unit_service.find_unit("08707", AFTER).pk


def test_find_unit_picks_the_unit_valid_on_the_date() -> None:
    assert unit_service.find_unit("8707", AFTER).name == "Phường Vĩnh Yên"
    assert unit_service.find_unit("8707", BEFORE).name == "Phường Tích Sơn"


def test_find_unit_short_code_is_a_province() -> None:
    assert unit_service.find_unit("25", AFTER).name == "Tỉnh Phú Thọ"
    assert unit_service.find_unit("26", BEFORE).name == "Tỉnh Vĩnh Phúc"


def test_find_unit_falls_back_to_the_last_valid_unit() -> None:
    vinh_phuc = unit_service.find_unit("26", AFTER)
    assert vinh_phuc.valid_to == BEFORE


def test_find_unit_unknown_code() -> None:
    with pytest.raises(UnknownUnitError) as raised:
        unit_service.find_unit("99999")
    assert raised.value.unit_code == "99999"


def test_reference_data_has_both_systems() -> None:
    current_provinces = Unit.objects.current().filter(level=UnitLevel.PROVINCE).count()
    legacy_provinces = Unit.objects.filter(level=UnitLevel.PROVINCE, valid_to=BEFORE).count()
    assert current_provinces == 34
    assert legacy_provinces == 63


def test_phu_tho_has_148_communes_from_the_reform() -> None:
    phu_tho = unit_service.find_unit("25", AFTER)
    assert len(unit_service.units_of(phu_tho, AFTER)) == 148


def test_vinh_phuc_had_nine_districts_and_121_communes() -> None:
    vinh_phuc = unit_service.find_unit("26", BEFORE)
    districts = unit_service.units_of(vinh_phuc, BEFORE)
    communes = Unit.objects.valid_on(BEFORE).filter(parent__in=districts)
    assert len(districts) == 9
    assert communes.count() == 121


def test_phu_tho_was_formed_from_three_provinces() -> None:
    phu_tho = unit_service.find_unit("25", AFTER)
    codes = sorted(link.predecessor.code for link in unit_service.predecessors(phu_tho))
    assert codes == ["17", "25", "26"]


def test_vinh_yen_predecessors() -> None:
    vinh_yen = unit_service.find_unit("08707", AFTER)
    names = [link.predecessor.name for link in unit_service.predecessors(vinh_yen)]
    assert names == ["Phường Tích Sơn", "Phường Hội Hợp", "Phường Đồng Tâm", "Xã Thanh Trù"]
    assert {link.kind for link in unit_service.predecessors(vinh_yen)} == {"merge"}


def test_old_commune_successor() -> None:
    tich_son = unit_service.find_unit("08707", BEFORE)
    successors = unit_service.successors(tich_son)
    assert [link.successor.name for link in successors] == ["Phường Vĩnh Yên"]


def test_split_communes_are_partly_linked() -> None:
    partly = UnitLink.objects.filter(partly=True)
    assert partly.exists()
    assert set(partly.values_list("kind", flat=True)) == {"split"}


def test_valid_on_includes_both_ends() -> None:
    tich_son = unit_service.find_unit("08707", BEFORE)
    assert Unit.objects.valid_on(BEFORE).filter(pk=tich_son.pk).exists()
    assert not Unit.objects.valid_on(AFTER).filter(pk=tich_son.pk).exists()


@pytest.mark.parametrize("query", ["vinh yen", "Vĩnh Yên", "VINH YEN", "vĩnh  yên"])
def test_search_ignores_diacritics(query: str) -> None:
    names = set(Unit.objects.current().search(query).values_list("name", flat=True))
    assert "Phường Vĩnh Yên" in names


def test_search_d_letter() -> None:
    names = set(Unit.objects.valid_on(BEFORE).search("dong tam").values_list("name", flat=True))
    assert "Phường Đồng Tâm" in names


def _vinh_yen_old_values() -> dict[int, float]:
    vinh_yen = unit_service.find_unit("08707", AFTER)
    predecessors = [link.predecessor for link in unit_service.predecessors(vinh_yen)]
    return {unit.pk: float(index + 1) for index, unit in enumerate(predecessors)}


def test_reaggregate_sum_onto_vinh_yen() -> None:
    values = _vinh_yen_old_values()
    results = unit_service.reaggregate(values, "sum")
    vinh_yen = unit_service.find_unit("08707", AFTER)
    result = results[vinh_yen.pk]
    assert result.value == 10.0
    assert len(result.contributors) == 4
    assert result.partial is False


def test_reaggregate_weighted_mean() -> None:
    values = _vinh_yen_old_values()
    weights = dict.fromkeys(values, 1.0)
    first = next(iter(values))
    weights[first] = 7.0  # value 1.0 weighted 7, the others 2, 3, 4 weighted 1
    result = next(iter(unit_service.reaggregate(values, "weighted_mean", weights=weights).values()))
    assert result.value == pytest.approx((7 * 1 + 2 + 3 + 4) / 10)


def test_reaggregate_last() -> None:
    values = _vinh_yen_old_values()
    result = next(iter(unit_service.reaggregate(values, "last").values()))
    assert result.value == 4.0


def test_reaggregate_marks_missing_predecessors_partial() -> None:
    values = _vinh_yen_old_values()
    values.pop(next(iter(values)))
    result = next(iter(unit_service.reaggregate(values, "sum").values()))
    assert result.partial is True
    assert len(result.missing) == 1


def test_reaggregate_marks_partly_merged_predecessor() -> None:
    link = UnitLink.objects.filter(partly=True).select_related("predecessor", "successor").first()
    assert link is not None
    results = unit_service.reaggregate({link.predecessor_id: 5.0}, "sum")
    assert results[link.successor_id].partial is True


def test_reaggregate_weighted_mean_needs_weights() -> None:
    with pytest.raises(ValueError, match="weights"):
        unit_service.reaggregate({1: 1.0}, "weighted_mean")


def test_reference_load_is_idempotent() -> None:
    from tinhso.core.services.reference import load_reference_units

    before = Unit.objects.count()
    result = load_reference_units()
    assert result.units_created == 0
    assert result.links_created == 0
    assert Unit.objects.count() == before


def test_me_linh_belonged_to_vinh_phuc_until_2008() -> None:
    in_2007 = unit_service.find_unit("250", dt.date(2007, 12, 31), level=UnitLevel.DISTRICT)
    in_2010 = unit_service.find_unit("250", dt.date(2010, 1, 1), level=UnitLevel.DISTRICT)
    assert in_2007.parent is not None
    assert in_2007.parent.code == "26"
    assert in_2010.parent is not None
    assert in_2010.parent.code == "01"
    assert [link.successor for link in unit_service.successors(in_2007)] == [in_2010]


def test_boundary_changes_of_vinh_phuc_in_2008() -> None:
    from tinhso.core.services.history import apply_transfers, boundary_changes

    vinh_phuc = unit_service.find_unit("26", BEFORE)
    changes = boundary_changes(vinh_phuc, dt.date(2007, 12, 31), dt.date(2008, 12, 31))
    assert [link.kind for link in changes] == ["transfer"]
    assert apply_transfers() == 0


def test_misplaced_reference_centre_is_dropped() -> None:
    luong_dien = Unit.objects.get(code="09118", valid_to=BEFORE)
    assert luong_dien.centroid_lon is None


def test_reference_centres_lie_in_their_province() -> None:
    vinh_phuc_communes = Unit.objects.filter(
        parent__parent__code="26", valid_to=BEFORE, centroid_lon__isnull=False
    )
    lons = list(vinh_phuc_communes.values_list("centroid_lon", flat=True))
    assert min(lons) > 105.2
    assert max(lons) < 105.9


def test_successors_on_follow_the_merger() -> None:
    vinh_phuc = Unit.objects.get(code="26", level=UnitLevel.PROVINCE)

    before = unit_service.successors_on(vinh_phuc, dt.date(2025, 6, 30))
    after = unit_service.successors_on(vinh_phuc, dt.date(2025, 11, 30))

    assert before == [vinh_phuc]
    assert [(unit.code, unit.name) for unit in after] == [("25", "Tỉnh Phú Thọ")]
