"""The vocabulary of the permission matrix: outcomes of a GET and who gets which.

``tests/core/test_permission_matrix.py`` contains the table for the platform's shared pages;
each system adds the entries of its own URLs in a ``matrix`` module under its tests
(``MATRIX_PARTS`` there lists them), with a ``make_world`` that creates the objects its
URLs need and returns the values of their path parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.accounts import ADMIN, ADMIN_WITHOUT_OTP, ANONYMOUS, STAFF_ROLES
from tinhso.core.models import Role

# Outcomes of a GET, as ``outcome()`` writes them.
OK = "200"
LOGIN = "302 /login/"
ADMIN_LOGIN = "302 /admin/login/"
OTP = "302 /otp/"
HOME = "302 /"
ADMIN_INDEX = "302 /admin/"
CHANGE_PAGE = "302 to the change page"
UNAUTHORIZED = "401"
DENIED = "403"
NOT_FOUND = "404"
NOT_ALLOWED = "405"


@dataclass(frozen=True)
class Expect:
    """The outcome for each role of ``ALL_ROLES``."""

    by_role: dict[str, str]


def expect(*, anonymous: str, staff: str, admin_without_otp: str, admin: str) -> Expect:
    """Outcomes where the five staff roles (leader to security analyst) get the same one."""
    by_role = {ANONYMOUS: anonymous, ADMIN_WITHOUT_OTP: admin_without_otp, ADMIN: admin}
    by_role.update(dict.fromkeys(STAFF_ROLES, staff))
    return Expect(by_role)


def for_everyone(result: str) -> Expect:
    return expect(anonymous=result, staff=result, admin_without_otp=result, admin=result)


def data_entry(*, officer: str, others: str, admin: str = OK) -> Expect:
    """Pages of the roles that enter data (department, commune, leader) and administrators.

    ``officer`` is what the department officer who owns the objects gets, ``others`` what
    the other data-entry roles get; police and security analysts are denied.
    """
    result = expect(anonymous=LOGIN, staff=DENIED, admin_without_otp=OTP, admin=admin)
    result.by_role[Role.DEPARTMENT_OFFICER.value] = officer
    result.by_role[Role.COMMUNE_OFFICER.value] = others
    result.by_role[Role.PROVINCIAL_LEADER.value] = others
    return result


# Public pages: an administrator who has not passed TOTP is sent to finish it first.
PUBLIC_PAGE = expect(anonymous=OK, staff=OK, admin_without_otp=OTP, admin=OK)


def admin_page(admin: str = OK) -> Expect:
    """A page of the admin site: only administrators who passed TOTP get past its gate."""
    return expect(anonymous=ADMIN_LOGIN, staff=DENIED, admin_without_otp=OTP, admin=admin)
