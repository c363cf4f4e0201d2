"""The record-scope layer: which place-bound records each user may see, and personal-data masking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.accounts import current_vinh_yen, make_administrator, make_department
from tests.scopeapp.models import PlaceRecord
from tinhso.core.access import can_see_personal_data, redact, restrict, scope_of
from tinhso.core.models import Department, Role, Unit, User

# Records filed under units of Phú Thọ, before and after the reform of 1 July 2025.
RECORDS_OF_VINH_YEN = {"vinh-yen", "tich-son", "hoi-hop", "thanh-tru"}
RECORDS_OF_PHUC_YEN = {"phuc-yen", "hai-ba-trung"}
RECORDS_OF_DEPARTMENTS = {"so-tnmt", "so-xd"}
ALL_RECORDS = RECORDS_OF_VINH_YEN | RECORDS_OF_PHUC_YEN | RECORDS_OF_DEPARTMENTS


def unit(code: str, *, current: bool) -> Unit:
    return Unit.objects.get(code=code, valid_to__isnull=current)


@pytest.fixture
def departments(db: None) -> dict[str, Department]:
    return {
        "so-tnmt": make_department("so-tnmt", "Sở Tài nguyên và Môi trường"),
        "so-xd": make_department("so-xd", "Sở Xây dựng"),
    }


@pytest.fixture
def records(departments: dict[str, Department]) -> None:
    by_unit = {
        "vinh-yen": unit("08707", current=True),  # Phường Vĩnh Yên
        "tich-son": unit("08707", current=False),  # Phường Tích Sơn, merged into it
        "hoi-hop": unit("08713", current=False),  # Phường Hội Hợp, merged into it
        "thanh-tru": unit("08731", current=False),  # Xã Thanh Trù, merged into it
        "phuc-yen": unit("08740", current=True),  # Phường Phúc Yên
        "hai-ba-trung": unit("08740", current=False),  # Phường Hai Bà Trưng, merged into it
    }
    for title, place in by_unit.items():
        PlaceRecord.objects.create(title=title, unit=place)
    for code, department in departments.items():
        PlaceRecord.objects.create(title=code, department=department)


def visible_titles(user: Any) -> set[str]:
    return set(restrict(PlaceRecord.objects.all(), user).values_list("title", flat=True))


@pytest.mark.usefixtures("records")
class TestRestrict:
    def test_commune_officer_sees_commune_and_predecessors(
        self, make_user: Callable[..., User]
    ) -> None:
        officer = make_user("canbo-xa", Role.COMMUNE_OFFICER, unit=current_vinh_yen())

        assert visible_titles(officer) == RECORDS_OF_VINH_YEN

    def test_commune_officer_never_sees_other_commune(self, make_user: Callable[..., User]) -> None:
        officer = make_user("canbo-xa", Role.COMMUNE_OFFICER, unit=current_vinh_yen())

        assert visible_titles(officer).isdisjoint(RECORDS_OF_PHUC_YEN)

    def test_officer_of_old_commune_sees_only_it(self, make_user: Callable[..., User]) -> None:
        # Units that came before are included, units that came after are not.
        officer = make_user("canbo-xa", Role.COMMUNE_OFFICER, unit=unit("08707", current=False))

        assert visible_titles(officer) == {"tich-son"}

    def test_department_officer_sees_own_department(
        self, make_user: Callable[..., User], departments: dict[str, Department]
    ) -> None:
        officer = make_user("canbo-so", Role.DEPARTMENT_OFFICER, department=departments["so-tnmt"])

        assert visible_titles(officer) == {"so-tnmt"}

    def test_department_officer_with_unit_sees_own_department(
        self, make_user: Callable[..., User], departments: dict[str, Department]
    ) -> None:
        # A department's own unit is the province; it must not widen the scope to every
        # record filed in the province.
        officer = make_user(
            "canbo-so",
            Role.DEPARTMENT_OFFICER,
            department=departments["so-tnmt"],
            unit=unit("25", current=True),
        )

        assert visible_titles(officer) == {"so-tnmt"}

    def test_police_officer_of_commune_sees_commune(self, make_user: Callable[..., User]) -> None:
        officer = make_user("congan-xa", Role.POLICE_OFFICER, unit=current_vinh_yen())

        assert visible_titles(officer) == RECORDS_OF_VINH_YEN

    @pytest.mark.parametrize(
        "role", [Role.PROVINCIAL_LEADER, Role.SECURITY_ANALYST, Role.POLICE_OFFICER]
    )
    def test_province_wide_role_sees_all(self, make_user: Callable[..., User], role: Role) -> None:
        assert visible_titles(make_user("toan-tinh", role)) == ALL_RECORDS

    def test_administrator_sees_all(self, make_user: Callable[..., User]) -> None:
        assert visible_titles(make_administrator(make_user)) == ALL_RECORDS

    def test_superuser_without_role_sees_all(self, make_user: Callable[..., User]) -> None:
        assert visible_titles(make_user("root", "", is_superuser=True)) == ALL_RECORDS

    def test_anonymous_sees_nothing(self) -> None:
        assert visible_titles(AnonymousUser()) == set()

    def test_user_without_role_sees_nothing(self, make_user: Callable[..., User]) -> None:
        # An account with a commune but no role yet has no scope at all.
        user = make_user("moi-tao", "", unit=current_vinh_yen())

        assert visible_titles(user) == set()


def test_scope_of_commune_officer_lists_predecessors(make_user: Callable[..., User]) -> None:
    officer = make_user("canbo-xa", Role.COMMUNE_OFFICER, unit=current_vinh_yen())
    expected = {
        current_vinh_yen().pk,
        unit("08707", current=False).pk,  # Tích Sơn
        unit("08713", current=False).pk,  # Hội Hợp
        unit("08722", current=False).pk,  # Đồng Tâm
        unit("08731", current=False).pk,  # Thanh Trù
    }

    assert scope_of(officer).unit_ids == expected


# --- Personal data ---------------------------------------------------------------------------

CITIZEN = {"name": "Nguyễn Văn An", "citizen_id": "026090001234", "phone": "0912345678"}


@pytest.mark.parametrize(
    ("role", "superuser", "allowed"),
    [
        (Role.SYSTEM_ADMINISTRATOR, False, True),
        ("", True, True),
        (Role.PROVINCIAL_LEADER, False, False),
        (Role.DEPARTMENT_OFFICER, False, False),
        (Role.POLICE_OFFICER, False, False),
        (Role.SECURITY_ANALYST, False, False),
    ],
)
def test_can_see_personal_data_by_role(
    make_user: Callable[..., User], role: str, superuser: bool, allowed: bool
) -> None:
    department = make_department() if role == Role.DEPARTMENT_OFFICER else None
    user = make_user("nguoi-dung", role, is_superuser=superuser, department=department)

    assert can_see_personal_data(user) is allowed


def test_anonymous_cannot_see_personal_data() -> None:
    assert can_see_personal_data(AnonymousUser()) is False


def test_redact_masks_personal_fields(make_user: Callable[..., User]) -> None:
    leader = make_user("lanhdao", Role.PROVINCIAL_LEADER)

    assert redact(CITIZEN, ["citizen_id", "phone"], leader) == {
        "name": "Nguyễn Văn An",
        "citizen_id": "***",
        "phone": "***",
    }


def test_redact_shows_administrator_everything(make_user: Callable[..., User]) -> None:
    assert redact(CITIZEN, ["citizen_id", "phone"], make_administrator(make_user)) == CITIZEN


def test_redact_leaves_empty_values_empty() -> None:
    record = {"name": "Trần Thị Bình", "citizen_id": ""}

    assert redact(record, ["citizen_id"], AnonymousUser()) == record


def test_redact_accepts_generator_of_fields() -> None:
    fields = (name for name in ["citizen_id", "phone"])

    assert redact(CITIZEN, fields, AnonymousUser()) == {
        "name": "Nguyễn Văn An",
        "citizen_id": "***",
        "phone": "***",
    }


def test_redact_returns_copy() -> None:
    record = dict(CITIZEN)

    redact(record, ["citizen_id"], AnonymousUser())

    assert record == CITIZEN
