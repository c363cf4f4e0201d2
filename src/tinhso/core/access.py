"""The one permission layer: who may open which view, and which records they may see.

Views declare a :class:`Policy` with :func:`policy`; :class:`AccessPolicyMiddleware`
enforces it before the view runs, so no view checks roles itself. Querysets of
place-bound records go through :func:`restrict`, which the web views, the API and the
exports all call, so a commune officer never sees another commune's records anywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from tinhso.core.models import Role, Unit, UnitLink, User

logger = logging.getLogger(__name__)

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., Any])

ALL_STAFF_ROLES = frozenset(Role.values)


@dataclass(frozen=True)
class Policy:
    """Who may open a view.

    ``public`` views are open to everyone, logged in or not. Otherwise the user must be
    logged in and hold one of ``roles``; administrators must also have passed TOTP.
    """

    public: bool = False
    roles: frozenset[str] = field(default=ALL_STAFF_ROLES)

    def allows_role(self, user: User) -> bool:
        return user.is_superuser or user.role in self.roles


PUBLIC = Policy(public=True)
STAFF = Policy()
ADMINISTRATORS = Policy(roles=frozenset({Role.SYSTEM_ADMINISTRATOR}))

# Views that must stay reachable while an administrator has not yet passed TOTP.
OTP_EXEMPT_ATTR = "tinhso_otp_exempt"
POLICY_ATTR = "tinhso_access_policy"


def policy(rule: Policy, *, otp_exempt: bool = False) -> Callable[[ViewFunc], ViewFunc]:
    """Declare the access rule of a view function."""

    def decorate(view: ViewFunc) -> ViewFunc:
        setattr(view, POLICY_ATTR, rule)
        setattr(view, OTP_EXEMPT_ATTR, otp_exempt)
        return view

    return decorate


def needs_second_factor(user: User) -> bool:
    """True while a user who must pass TOTP has not: administrators, and anyone who enrolled."""
    # Right after login() the user has not passed the OTP middleware yet and lacks is_verified.
    is_verified = getattr(user, "is_verified", None)
    if not user.is_authenticated or (is_verified is not None and is_verified()):
        return False
    if user.is_administrator:
        return True
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


class AccessPolicyMiddleware:
    """Enforce each view's :class:`Policy`; views without one require a logged-in user.

    The admin site and the API have their own gates (the OTP admin site, API keys) and
    are left to them; both call the same helpers of this module.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Iterable[Any],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is not None and match.namespace in {"admin", "api-1"}:
            return None

        rule: Policy = getattr(view_func, POLICY_ATTR, STAFF)
        user = request.user

        otp_exempt = getattr(view_func, OTP_EXEMPT_ATTR, False)
        if not otp_exempt and needs_second_factor(user):  # type: ignore[arg-type]
            return redirect("web:otp")

        if rule.public:
            return None
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not rule.allows_role(user):
            logger.info(
                "Denied %s to user id %s with role %r",
                request.path,
                user.pk,
                getattr(user, "role", ""),
            )
            raise PermissionDenied
        return None


# --- Record scope --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The records a user may see: everything, or those of some units or one department."""

    everything: bool = False
    unit_ids: frozenset[int] = frozenset()
    department_id: int | None = None

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.unit_ids and self.department_id is None


PROVINCE_WIDE_ROLES = frozenset(
    {Role.PROVINCIAL_LEADER, Role.SYSTEM_ADMINISTRATOR, Role.SECURITY_ANALYST}
)


def scope_of(user: User | Any) -> Scope:
    """Work out the records ``user`` may see from role, unit and department.

    The role decides which of the two assignments counts. A department officer sees the
    department's records even when a unit is also set. Commune and police officers see the
    records of their unit. A user without a role sees nothing.
    """
    if not getattr(user, "is_authenticated", False):
        return Scope()
    if user.is_superuser or user.role in PROVINCE_WIDE_ROLES:
        return Scope(everything=True)
    if user.role == Role.DEPARTMENT_OFFICER:
        return Scope(department_id=user.department_id)
    if user.role not in {Role.COMMUNE_OFFICER, Role.POLICE_OFFICER}:
        return Scope()
    if user.unit_id is not None:
        return Scope(unit_ids=frozenset(units_under(user.unit_id)))
    if user.department_id is not None:
        return Scope(department_id=user.department_id)
    if user.role == Role.POLICE_OFFICER:
        # Provincial police with no commune assigned work across the province.
        return Scope(everything=True)
    return Scope()


def units_under(unit_id: int) -> set[int]:
    """``unit_id``, every unit below it, and every unit that became it or part of it.

    Records filed under a commune before the 2025 reform belong to the commune officers of
    the commune that succeeded it.
    """
    found = {unit_id}
    frontier = {unit_id}
    while frontier:
        children = set(Unit.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        predecessors = set(
            UnitLink.objects.filter(successor_id__in=frontier).values_list(
                "predecessor_id", flat=True
            )
        )
        frontier = (children | predecessors) - found
        found |= frontier
    return found


M = TypeVar("M", bound=models.Model)


def restrict(queryset: models.QuerySet[M], user: User | Any) -> models.QuerySet[M]:
    """Filter ``queryset`` to the records ``user`` may see.

    The model names its scope fields in ``scope_unit_field`` and ``scope_department_field``
    (either may be absent). A record matches when its unit is in the user's units or its
    department is the user's department.
    """
    scope = scope_of(user)
    if scope.everything:
        return queryset
    if scope.nothing:
        return queryset.none()

    model = queryset.model
    unit_field: str | None = getattr(model, "scope_unit_field", None)
    department_field: str | None = getattr(model, "scope_department_field", None)
    condition = Q(pk__in=[])
    if unit_field and scope.unit_ids:
        condition |= Q(**{f"{unit_field}__in": scope.unit_ids})
    if department_field and scope.department_id is not None:
        condition |= Q(**{department_field: scope.department_id})
    return queryset.filter(condition)


def can_see_personal_data(user: User | Any) -> bool:
    """Personal data (citizen ID numbers, land users, evaluations) is for administrators only."""
    return bool(getattr(user, "is_authenticated", False) and user.is_administrator)


def redact(
    record: dict[str, Any], personal_fields: Iterable[str], user: User | Any
) -> dict[str, Any]:
    """A copy of ``record`` with personal fields masked unless ``user`` may see them."""
    if can_see_personal_data(user):
        return dict(record)
    masked = set(personal_fields)
    return {key: ("***" if key in masked and value else value) for key, value in record.items()}
